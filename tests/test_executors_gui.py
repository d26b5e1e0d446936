"""The new executors in the window: a killed ProcessPoolExecutor worker is told as the executor
breaking (BrokenProcessPool) and recovering; a Dask death leaves the other workers' lanes going;
the event log shows each executor's own words."""

from __future__ import annotations

import pytest

from app.engine.records import (
    ExecutorNote,
    PoolRestarted,
    WorkerDied,
    WorkerStarted,
)
from app.stats.run_stats import RunStats


def test_a_dask_death_ends_only_its_own_lane_and_a_pool_restart_ends_them_all():
    events = [
        WorkerStarted("h:1", 1, "h:1", 0.1),
        WorkerStarted("h:2", 2, "h:2", 0.1),
        WorkerDied("h:1", 1, "h:1", -9, 1.0, (3,)),
    ]
    rescheduled = RunStats(10)
    rescheduled.add_all([*events, PoolRestarted(1.0, 1, 0, "Dask rescheduled", False)])
    alive = {w.worker: w.alive for w in rescheduled.workers}
    assert alive == {"h:1": False, "h:2": True}
    assert rescheduled.retried == 1

    replaced = RunStats(10)
    replaced.add_all([*events, PoolRestarted(1.0, 1, 0, "replaced")])
    assert not any(w.alive for w in replaced.workers)


def test_the_event_log_says_how_each_executor_reacted(qtbot):
    from app.gui.event_log import EventLog

    log = EventLog()
    qtbot.addWidget(log)
    log.add_event(ExecutorNote(0.5, "Dask: a local cluster started for this run"))
    log.add_event(PoolRestarted(1.0, 2, 3, "ProcessPoolExecutor broke (BrokenProcessPool)"))
    log.add_event(PoolRestarted(2.0, 1, 0, "Dask rescheduled the lost worker's tasks", False))
    texts = [text for _, text in log.items()]
    assert any(t.endswith("Dask: a local cluster started for this run") for t in texts)
    assert any(
        "Pool restarted: 2 started task(s) run again, 3 waiting task(s) sent again. "
        "ProcessPoolExecutor broke (BrokenProcessPool)." in t
        for t in texts
    ), texts
    assert any("Tasks rescheduled: 1 started task(s) run again" in t for t in texts), texts


@pytest.mark.timeout(90)
def test_kill_in_the_window_breaks_a_process_pool_executor_and_the_run_still_ends(window, qtbot):
    controls = window.controls
    controls.workload_combo.setCurrentIndex(controls.workload_combo.findData("sleep"))
    controls.executor_combo.setCurrentIndex(controls.executor_combo.findData("futures"))
    controls.tasks_spin.setValue(40)
    controls.workers_spin.setValue(2)
    assert controls.start_method_combo.isEnabled()  # a start method applies, as for Pool
    assert not controls.scheduler_edit.isVisible()
    controls.start_button.click()
    qtbot.waitUntil(lambda: window.controller.run is not None, timeout=20_000)
    qtbot.waitUntil(lambda: window.controller.run.progress.done >= 4, timeout=30_000)
    assert controls.kill_button.isEnabled()
    controls.kill_button.click()
    qtbot.waitUntil(lambda: controls.start_button.isEnabled(), timeout=60_000)
    texts = [text for _, text in window.event_log.items()]
    assert any("Worker died" in t and "SIGKILL" in t for t in texts), texts
    assert any("BrokenProcessPool: a worker died" in t for t in texts), texts
    assert any("Pool restarted" in t and "ProcessPoolExecutor broke" in t for t in texts), texts
    assert any("Run finished: 40 tasks" in t for t in texts), texts


def test_the_scheduler_address_is_remembered_and_a_bad_one_is_dropped_and_said(tmp_path):
    from dataclasses import replace

    from app.gui.settings import SettingsStore, default_settings

    path = tmp_path / "settings.ini"
    store = SettingsStore(str(path))
    assert store.save(replace(default_settings(), scheduler="tcp://10.0.0.5:8786")) is None
    assert SettingsStore(str(path)).load().scheduler == "tcp://10.0.0.5:8786"
    assert store.save(default_settings()) is None
    assert SettingsStore(str(path)).load().scheduler == ""

    path.write_text("[run]\nscheduler=tcp://nowhere\n")
    bad = SettingsStore(str(path))
    assert bad.load().scheduler == ""
    assert "run/scheduler" in bad.load_problem
