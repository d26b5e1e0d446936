"""The window with real runs: buttons, charts, a killed worker, closing mid-run, settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from app.engine import Run, RunConfig, cpu_count
from app.gui.event_log import EventLog
from app.gui.history import COLUMNS
from app.gui.settings import SettingsStore, default_settings
from app.gui.window import MainWindow
from app.workloads import WORKLOADS
from tests import sample_tasks
from tests.conftest import FREEZE_MS, assert_selftest_ok_but_for_load, worker_children

REPO = Path(__file__).resolve().parent.parent
SPEEDUP = COLUMNS.index("Speedup")


def configure(win, workload, tasks, executor="process", workers=2, chunksize=0) -> None:
    controls = win.controls
    controls.workload_combo.setCurrentIndex(controls.workload_combo.findData(workload))
    controls.tasks_spin.setValue(tasks)
    controls.executor_combo.setCurrentIndex(controls.executor_combo.findData(executor))
    controls.workers_spin.setValue(workers)
    controls.chunksize_spin.setValue(chunksize)


def run_to_end(qtbot, win, timeout_ms=30_000):
    with qtbot.waitSignal(win.run_finished, timeout=timeout_ms) as finished:
        qtbot.mouseClick(win.controls.start_button, Qt.MouseButton.LeftButton)
    return finished.args[0]


def log_kinds(win) -> list[str]:
    return [kind for kind, _ in win.event_log.items()]


@pytest.mark.timeout(60)
def test_start_and_stop_by_clicks(qtbot, window):
    configure(window, "sleep", 200, workers=2)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    assert window.running
    qtbot.waitUntil(lambda: window.stats is not None and window.stats.done >= 2, timeout=20_000)
    with qtbot.waitSignal(window.run_finished, timeout=5000) as finished:
        qtbot.mouseClick(window.controls.stop_button, Qt.MouseButton.LeftButton)
    summary = finished.args[0]
    assert summary.stopped
    assert summary.completed + summary.failed + summary.cancelled == 200
    assert summary.cancelled > 0
    assert not window.running
    assert window.controls.start_button.isEnabled()
    assert not window.controls.stop_button.isEnabled()
    assert "stopped, not compared" in window.history.rows()[-1][SPEEDUP]


@pytest.mark.timeout(60)
def test_charts_receive_data(qtbot, window):
    configure(window, "primes", 16)
    summary = run_to_end(qtbot, window)
    assert summary.completed == 16
    bars = window.bars_chart.bars.opts
    assert len(bars["width"]) == len(window.stats.workers) >= 1
    assert max(bars["width"]) > 0  # each worker's measured average
    total_times, total_rates = window.lines_chart.total_line.getData()
    assert total_times is not None and len(total_times) >= 1
    drawn_blocks = sum(len(item.opts["x0"]) for item in window.timeline_chart.blocks)
    assert drawn_blocks == len(window.stats.timeline()) > 0
    assert window.status.values["done"].text() == "16"


@pytest.mark.timeout(90)
def test_killed_worker_shows_in_log_and_the_run_still_finishes_with_exact_books(qtbot, window):
    configure(window, "sleep", 40, workers=2)
    with qtbot.waitSignal(window.run_finished, timeout=60_000) as finished:
        qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.stats is not None and window.stats.done >= 3, timeout=30_000)
        assert window.controls.kill_button.isEnabled()
        qtbot.mouseClick(window.controls.kill_button, Qt.MouseButton.LeftButton)
    summary = finished.args[0]
    assert summary.completed == 40 and summary.failed == 0 and summary.cancelled == 0
    assert len(summary.deaths) == 1
    kinds = log_kinds(window)
    assert "user" in kinds  # "You killed worker pid ..."
    assert "died" in kinds
    assert "restarted" in kinds
    died_text = next(text for kind, text in window.event_log.items() if kind == "died")
    assert f"pid {summary.deaths[0][0]}" in died_text
    assert "SIGKILL" in died_text or "signal" in died_text or "exit code" in died_text


@pytest.mark.timeout(60)
def test_closing_the_window_mid_run_returns_at_once_and_leaves_no_worker(qtbot, window):
    configure(window, "sleep", 400, workers=2)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stats is not None and window.stats.done >= 2, timeout=30_000)
    pids = window.run.worker_pids()
    assert pids
    began = time.perf_counter()
    window.close()
    # The GUI thread does not wait for the pool; a generous bound, so a busy machine passes.
    assert time.perf_counter() - began < FREEZE_MS / 1000
    qtbot.waitUntil(lambda: not worker_children(), timeout=3000)
    assert not any(psutil.pid_exists(pid) and _running(pid) for pid in pids)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.timeout(180)
def test_twenty_start_stop_cycles_leave_no_child_process(qtbot, window):
    configure(window, "sleep", 100, workers=2)
    for cycle in range(20):
        qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
        if cycle % 2:  # every other time, stop only once the workers are up
            qtbot.waitUntil(lambda: window.stats.done >= 1, timeout=30_000)
        with qtbot.waitSignal(window.run_finished, timeout=10_000):
            qtbot.mouseClick(window.controls.stop_button, Qt.MouseButton.LeftButton)
        assert not window.running
    qtbot.waitUntil(lambda: not worker_children(), timeout=3000)
    assert len(window.history.runs) == 20


@pytest.mark.timeout(60)
def test_controls_are_locked_while_running(qtbot, window):
    configure(window, "sleep", 20, workers=2)
    controls = window.controls
    locked = (
        controls.workload_combo,
        controls.tasks_spin,
        controls.executor_combo,
        controls.workers_spin,
        controls.chunksize_spin,
        controls.start_method_combo,
        controls.start_button,
    )
    with qtbot.waitSignal(window.run_finished, timeout=30_000):
        qtbot.mouseClick(controls.start_button, Qt.MouseButton.LeftButton)
        assert not any(widget.isEnabled() for widget in locked)
        assert not window.start_action.isEnabled()
        assert controls.stop_button.isEnabled()
        qtbot.waitUntil(lambda: window.run is not None)
        assert controls.kill_button.isEnabled()
    assert all(widget.isEnabled() for widget in locked)
    assert not controls.stop_button.isEnabled() and not controls.kill_button.isEnabled()


@pytest.mark.timeout(60)
def test_kill_on_a_thread_run_kills_its_process_and_every_task_still_ends(qtbot, window):
    """A thread cannot be killed alone: Kill ends the process the threads run in."""
    configure(window, "sleep", 40, executor="thread", workers=2)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controls.kill_button.isEnabled(), timeout=10_000)
    qtbot.waitUntil(lambda: "started" in log_kinds(window), timeout=10_000)
    with qtbot.waitSignal(window.run_finished, timeout=30_000) as finished:
        qtbot.mouseClick(window.controls.kill_button, Qt.MouseButton.LeftButton)
    summary = finished.args[0]
    assert summary.completed == 40 and len(summary.deaths) == 1
    died = [text for kind, text in window.event_log.items() if kind == "died"]
    assert died and "ThreadHost" in died[0]


@pytest.mark.timeout(90)
def test_history_shows_measured_speedup_against_one_worker(qtbot, window):
    configure(window, "primes", 8, executor="thread", workers=2)
    run_to_end(qtbot, window)
    assert window.history.rows()[-1][SPEEDUP] == "no 1-worker run"
    configure(window, "primes", 8, executor="thread", workers=1)
    one = run_to_end(qtbot, window)
    rows = window.history.rows()
    assert rows[-1][SPEEDUP] == "1.00× (the baseline)"
    # The earlier 2-worker run now has its baseline: speedup = one worker's time / its time.
    two = window.history.runs[0].run
    assert rows[0][SPEEDUP].startswith(f"{one.wall_s / two.wall_s:.2f}×")
    assert rows[0][:4] == ["primes", "thread", "2", "8"]
    assert "speedup" in window.event_log.items()[-1][1]


def test_failed_task_shows_its_traceback_when_clicked(qtbot):
    log = EventLog()
    qtbot.addWidget(log)
    run = Run(
        RunConfig(workload="power", inputs=(1, 2, 3, 4), executor="thread", workers=1),
        func=sample_tasks.fail_on_threes,
    )
    run.start()
    events = []
    while not run.finished:
        events += run.poll(timeout=0.05)
    for event in events:
        log.add_event(event)
    failed_rows = [i for i, (kind, _) in enumerate(log.items()) if kind == "failed"]
    assert len(failed_rows) == 1
    log.list.setCurrentRow(failed_rows[0])
    assert "ValueError" in log.detail.toPlainText()
    assert "3 is a multiple of three" in log.detail.toPlainText()
    assert "Traceback" in log.detail.toPlainText()


def test_corrupt_settings_file_falls_back_to_defaults(qtbot, settings_path):
    Path(settings_path).write_bytes(b"\x00\xff\xfe[run\n=workers=\x01\n\n[[[garbage")
    win = MainWindow(settings_path=settings_path)
    qtbot.addWidget(win)
    _assert_defaults(win)


def test_outdated_or_invalid_settings_values_fall_back_to_defaults(qtbot, settings_path):
    Path(settings_path).write_text(
        "[run]\nworkload=teleport\ntasks=abc\nexecutor=gpu\nworkers=-3\nchunksize=1e99\n"
        "start_method=carrier-pigeon\n[window]\ngeometry=not-a-geometry\n"
    )
    win = MainWindow(settings_path=settings_path)
    qtbot.addWidget(win)
    _assert_defaults(win)
    assert win.width() >= 200 and win.height() >= 200


def _assert_defaults(win) -> None:
    defaults = default_settings()
    controls = win.controls
    assert controls.workload == defaults.workload
    assert controls.tasks_spin.value() == WORKLOADS[defaults.workload].default_tasks
    assert controls.executor == defaults.executor
    assert controls.workers_spin.value() == defaults.workers
    assert controls.chunksize_spin.value() == 0
    assert controls.chunksize_spin.text() == "auto"
    assert controls.start_method_combo.currentData() == defaults.start_method


def test_settings_are_remembered_between_launches(qtbot, settings_path):
    first = MainWindow(settings_path=settings_path)
    qtbot.addWidget(first)
    configure(first, "mandelbrot", 123, executor="thread", workers=3, chunksize=7)
    first.close()
    stored = SettingsStore(settings_path).load()
    assert (stored.workload, stored.tasks, stored.executor) == ("mandelbrot", 123, "thread")
    assert (stored.workers, stored.chunksize) == (3, 7)
    second = MainWindow(settings_path=settings_path)
    qtbot.addWidget(second)
    assert second.controls.workload == "mandelbrot"
    assert second.controls.tasks_spin.value() == 123
    assert second.controls.executor == "thread"
    assert second.controls.workers_spin.value() == 3
    assert second.controls.chunksize_spin.value() == 7


def test_settings_location_comes_from_the_environment(settings_path):
    assert os.path.samefile(
        os.path.dirname(SettingsStore().location), os.path.dirname(settings_path)
    )


def test_worker_count_reaches_at_least_twice_the_cpu_count(window):
    assert window.controls.workers_spin.maximum() >= 2 * cpu_count()
    assert window.controls.workers_spin.minimum() == 1


def test_menus_have_the_classroom_shortcuts(window):
    assert window.start_action.shortcut() == QKeySequence("Ctrl+R")
    assert window.stop_action.shortcut() == QKeySequence(Qt.Key.Key_Escape)
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    window.about_action.trigger()
    text = window.about_box.text()
    import pyqtgraph
    import PySide6

    assert PySide6.__version__ in text and pyqtgraph.__version__ in text
    assert f"CPU cores: {cpu_count()}" in text
    assert "(GIL on)" in text or "(GIL off)" in text
    window.about_box.close()


def test_changing_the_workload_sets_its_default_task_count(window):
    controls = window.controls
    for name, workload in WORKLOADS.items():
        controls.workload_combo.setCurrentIndex(controls.workload_combo.findData(name))
        assert controls.tasks_spin.value() == workload.default_tasks
        assert workload.explanation in controls.explanation.text()


@pytest.mark.timeout(120)
def test_selftest_returns_ok_for_a_small_task_count(qapp):
    from app.gui.selftest import run_selftest

    report = run_selftest(tasks=20_000, workload="power", timeout_s=60)
    assert report["completed"] == 20_000 and report["failed"] == 0, report
    assert report["first_paint_s"] is not None and report["heartbeats"] > 10, report
    assert_selftest_ok_but_for_load(report)
    assert not worker_children()


QUIT_SCRIPT = """
import json, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.gui.theme import apply_theme
from app.gui.window import MainWindow

app = QApplication([])
apply_theme(app)
win = MainWindow(settings_path=sys.argv[1])
win.show()
controls = win.controls
controls.workload_combo.setCurrentIndex(controls.workload_combo.findData("sleep"))
controls.tasks_spin.setValue(400)
controls.workers_spin.setValue(2)
controls.start_button.click()
state = {}

def close_when_busy():
    run = win.run
    if run is not None and run.progress.done >= 2 and "closed_at" not in state:
        state["pids"] = run.worker_pids()
        state["closed_at"] = time.time()
        win.close()

timer = QTimer()
timer.timeout.connect(close_when_busy)
timer.start(20)
QTimer.singleShot(40_000, app.quit)
app.exec()
print(json.dumps(state), flush=True)
"""


@pytest.mark.timeout(90)
def test_the_app_quits_within_a_second_of_closing_mid_run(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", QUIT_SCRIPT, str(tmp_path / "s.ini")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    output, _ = child.communicate(timeout=80)
    exited_at = time.time()
    state = json.loads(output.strip().splitlines()[-1])
    assert child.returncode == 0
    assert state["pids"], "the run never got going"
    assert exited_at - state["closed_at"] < 1.0
    assert not any(psutil.pid_exists(pid) and _running(pid) for pid in state["pids"])


@pytest.mark.timeout(60)
def test_a_run_until_stop_goes_past_its_round_and_stops_with_exact_books(qtbot, window):
    configure(window, "sleep", 4, executor="thread", workers=4)
    window.controls.until_stopped_check.setChecked(True)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    assert any("rounds of 4 tasks until Stop" in text for _, text in window.event_log.items())
    run = window.controller.run
    qtbot.waitUntil(lambda: run.progress.done > 8, timeout=20_000)  # past its round of 4
    assert "runs until Stop" in window.status.progress_bar.format()
    with qtbot.waitSignal(window.run_finished, timeout=10_000) as finished:
        qtbot.mouseClick(window.controls.stop_button, Qt.MouseButton.LeftButton)
    summary = finished.args[0]
    assert summary.stopped and summary.completed > 8 and summary.results is None
    assert summary.completed + summary.failed + summary.cancelled == summary.tasks


@pytest.mark.timeout(90)
@pytest.mark.parametrize("executor", ["thread", "serial"])
def test_cpu_bound_threads_and_serial_runs_never_freeze_the_window(qapp, executor):
    """They run in a process of their own: the window's GIL is never theirs (it was frozen
    for 717-965 ms at worst when they ran in the window's own process)."""
    from app.gui.selftest import run_selftest

    report = run_selftest(workload="primes", tasks=48, executor=executor, workers=2)
    assert_selftest_ok_but_for_load(report)
    assert report["completed"] == 48
