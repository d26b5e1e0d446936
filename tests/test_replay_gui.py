"""Record and replay in the window: Save run…, Open run…, drag and drop, the replay bar."""

from __future__ import annotations

import gzip
from dataclasses import replace

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.engine import RunConfig
from app.engine.recording import Machine, Recording, load, save
from app.engine.records import RunFinished, RunSummary, Segment, WorkerStarted, WorkerSummary
from app.engine.replay import END, ReplayRun
from tests.conftest import FREEZE_MS


def texts(window) -> list[str]:
    return [text for _, text in window.event_log.items()]


def driver_of(window):
    return window.panel("recording").driver


def long_recording(seconds: float = 20.0, blocks_per_second: int = 1500) -> Recording:
    """Two workers reporting `blocks_per_second` blocks a second between them, one poll every
    30 ms: a long run of tiny chunks, as a busy live run sends them."""
    total_blocks = int(seconds * blocks_per_second)
    config = RunConfig(workload="power", tasks=total_blocks, workers=2, chunksize=1)
    workers = [("11", 11, "SpawnPoolWorker-1"), ("12", 12, "SpawnPoolWorker-2")]
    polls = [(0.05, tuple(WorkerStarted(*worker, 0.04) for worker in workers))]
    per_poll = max(1, int(blocks_per_second * 0.03))
    index = 0
    at = 0.05
    while index < total_blocks:
        at += 0.03
        batch = []
        for _ in range(min(per_poll, total_blocks - index)):
            worker = workers[index % 2]
            batch.append(Segment(*worker, index, 1, 0, at - 0.02, at - 0.01, 0.009))
            index += 1
        polls.append((round(at, 6), tuple(batch)))
    per_worker = tuple(
        WorkerSummary(*worker, total_blocks // 2, 0, 0.01 * total_blocks / 2, 1.0, 0.5, 0.04)
        for worker in workers
    )
    summary = RunSummary(
        "power", "process", 2, "spawn", 1, total_blocks, total_blocks, 0, 0, 0, total_blocks,
        at, 0.04, total_blocks / at, per_worker,
    )  # fmt: skip
    polls[-1] = (polls[-1][0], (*polls[-1][1], RunFinished(summary)))
    return Recording(config, Machine.this_one(), tuple(polls), "2026-11-26T08:00:00+00:00")


@pytest.fixture
def recorded_file(tmp_path):
    path = tmp_path / "long.mpprun"
    save(long_recording(), path)
    return path


def test_the_file_menu_has_open_and_save_above_quit(window):
    actions = [a.text() for a in window.file_menu.actions() if not a.isSeparator()]
    assert actions[-1] == "&Quit"
    assert actions[:2] == ["&Open run…", "&Save run…"]
    assert not window.panel("recording").bar.isVisible()


def test_save_before_any_run_says_there_is_nothing_to_save(window, tmp_path):
    assert not driver_of(window).save_to(str(tmp_path / "x.mpprun"))
    assert "Cannot save the run: there is no finished run to save yet" in texts(window)
    assert not (tmp_path / "x.mpprun").exists()


@pytest.mark.timeout(90)
def test_a_run_saved_from_the_window_replays_to_the_same_summary_and_marked_row(
    qtbot, window, tmp_path
):
    with qtbot.waitSignal(window.run_finished, timeout=60_000):
        window.start_config(RunConfig(workload="power", tasks=400, workers=2, chunksize=20))
    live = window.last_summary
    live_workers = {w.worker: (w.tasks, w.busy_s) for w in window.stats.workers}
    driver = driver_of(window)
    path = tmp_path / "saved.mpprun"
    with qtbot.waitSignal(driver.saved, timeout=10_000):
        assert driver.save_to(str(path))
    assert any(text.startswith(f"Saved the run to {path}") for text in texts(window))
    assert load(path).summary == live

    driver.set_speed(10.0)
    with qtbot.waitSignal(window.run_finished, timeout=30_000) as finished:
        assert driver.open_path(str(path))
    assert finished.args[0] == replace(live, results=None)
    assert {w.worker: (w.tasks, w.busy_s) for w in window.stats.workers} == live_workers
    rows = window.history.rows()
    assert len(rows) == 2 and rows[1][0] == "power (replayed)" and rows[0][0] == "power"
    note = window.history.notes()[1]
    assert note == f"replayed from saved.mpprun, recorded on {Machine.this_one().describe()}"
    assert window.history.notes()[0] == ""
    assert any(text.startswith("Replaying saved.mpprun: recorded on") for text in texts(window))


@pytest.mark.timeout(90)
def test_a_long_run_replays_to_the_end_at_10x_without_freezing_the_window(
    qtbot, window, recorded_file
):
    driver = driver_of(window)
    driver.set_speed(10.0)
    window.tick_ms.clear()
    with qtbot.waitSignal(window.run_finished, timeout=60_000) as finished:
        assert driver.open_path(str(recorded_file))
    summary = finished.args[0]
    assert summary.tasks == 30_000 and summary.completed == 30_000
    assert window.stats.done == 30_000
    assert window.panel("recording").bar.isVisible()
    assert len(window.tick_ms) > 10
    assert max(window.tick_ms) < FREEZE_MS, sorted(window.tick_ms)[-5:]
    assert window.history.rows()[-1][0] == "power (replayed)"


@pytest.mark.timeout(60)
def test_scrubbing_ahead_and_back_ends_in_one_marked_row(qtbot, window, recorded_file):
    driver = driver_of(window)
    bar = window.panel("recording").bar
    with qtbot.waitSignal(window.run_started, timeout=10_000):
        driver.open_path(str(recorded_file))
    first = window.run
    assert isinstance(first, ReplayRun) and bar.isVisible()
    driver.seek(12.0)  # ahead: the same replay jumps
    qtbot.waitUntil(lambda: window.stats.done > 12_000, timeout=20_000)
    assert window.run is first
    driver.seek(3.0)  # back: a new replay from 3 s, the charts drawn again from there
    assert window.run is not first and window.running
    qtbot.waitUntil(lambda: window.stats.done > 0, timeout=10_000)
    assert window.stats.done < 12_000
    with qtbot.waitSignal(window.run_finished, timeout=30_000):
        bar.speed_buttons[END].click()
    assert len(window.history.rows()) == 1
    assert window.history.rows()[0][0] == "power (replayed)"


@pytest.mark.parametrize(
    "content, says",
    [
        (lambda good: good[: len(good) // 3], "cut short"),
        (lambda good: b"hello", "not a gzip file"),
        (lambda good: gzip.compress(b'{"traceEvents": []}'), "not a recorded run of this app"),
        (
            lambda good: gzip.compress(b'{"format": "mpplayground-run", "version": 7}'),
            "newer version",
        ),
    ],
    ids=["truncated", "not gzip", "foreign", "newer"],
)
def test_a_bad_file_is_one_message_in_the_event_log_and_no_run(
    qtbot, window, tmp_path, recorded_file, content, says
):
    bad = tmp_path / "bad.mpprun"
    bad.write_bytes(content(recorded_file.read_bytes()))
    before = len(texts(window))
    assert driver_of(window).open_path(str(bad))
    qtbot.waitUntil(lambda: len(texts(window)) > before, timeout=10_000)
    qtbot.wait(200)  # nothing more comes
    new = texts(window)[before:]
    assert len(new) == 1 and new[0].startswith("Cannot open the run: bad.mpprun")
    assert says in new[0]
    assert window.run is None and not window.running  # no chart was touched
    assert window.history.rows() == []
    assert not window.panel("recording").bar.isVisible()


def test_a_file_dropped_on_the_window_is_replayed(qtbot, window, recorded_file):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(recorded_file))])
    point = QPointF(window.width() / 2, window.height() / 2)
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point.toPoint(), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(point, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    with qtbot.waitSignal(window.run_started, timeout=10_000):
        QApplication.sendEvent(window, drop)
    assert isinstance(window.run, ReplayRun)
    with qtbot.waitSignal(window.run_finished, timeout=20_000) as finished:
        window.stop_run()  # Stop during a replay shows its end
    assert finished.args[0].completed == 30_000


@pytest.mark.timeout(60)
def test_opening_while_a_run_is_going_is_refused(qtbot, window, recorded_file):
    window.start_config(RunConfig(workload="sleep", tasks=40, workers=2))
    assert not driver_of(window).open_path(str(recorded_file))
    assert "while a run is going" in texts(window)[-1]
    window.stop_run()
    qtbot.waitUntil(lambda: not window.running, timeout=20_000)


def test_the_file_is_read_on_a_thread_of_its_own(qtbot, window, recorded_file, monkeypatch):
    import threading

    import app.gui.replay_driver as replay_driver

    readers = []

    def load_and_note(path):
        readers.append(threading.current_thread())
        return load(path)

    monkeypatch.setattr(replay_driver, "load", load_and_note)
    driver_of(window).set_speed(END)
    with qtbot.waitSignal(window.run_finished, timeout=30_000):
        driver_of(window).open_path(str(recorded_file))
    assert readers and readers[0] is not threading.main_thread()


def server_recording(workers: int, wall_s: float) -> Recording:
    """A short run of 40 power tasks, as if recorded on a 64-core server."""
    config = RunConfig(workload="power", tasks=40, workers=workers, chunksize=1)
    keys = [(str(100 + n), 100 + n, f"SpawnPoolWorker-{n + 1}") for n in range(workers)]
    hello = tuple(WorkerStarted(*key, 0.1) for key in keys)
    blocks = tuple(
        Segment(*keys[i % workers], i, 1, 0, 0.2, 0.2 + wall_s / 50, None) for i in range(40)
    )
    per_worker = tuple(
        WorkerSummary(*key, 40 // workers, 0, wall_s / 2, 40 / workers / wall_s, 0.5, 0.1)
        for key in keys
    )
    summary = RunSummary(
        "power", "process", workers, "spawn", 1, 40, 40, 0, 0, 0, 40, wall_s, 0.1, 40 / wall_s,
        per_worker,
    )  # fmt: skip
    server = replace(Machine.this_one(), os="Linux", cpu_count=64)
    polls = ((0.15, hello), (wall_s, (*blocks, RunFinished(summary))))
    return Recording(config, server, polls, "2026-11-26T08:00:00+00:00")


@pytest.mark.timeout(90)
def test_replays_are_compared_only_with_runs_recorded_on_the_same_machine(qtbot, window, tmp_path):
    driver = driver_of(window)
    driver.set_speed(END)
    for workers, wall in ((1, 8.0), (2, 4.0)):
        path = tmp_path / f"server-{workers}.mpprun"
        save(server_recording(workers, wall), path)
        with qtbot.waitSignal(window.run_finished, timeout=30_000):
            driver.open_path(str(path))
    with qtbot.waitSignal(window.run_finished, timeout=60_000):  # the same job, live, here
        window.start_config(RunConfig(workload="power", tasks=40, workers=2, chunksize=1))
    rows = window.history.rows()
    assert [row[0] for row in rows] == ["power (replayed)", "power (replayed)", "power"]
    assert rows[0][6] == "1.00× (the baseline)"
    assert rows[1][6].startswith("2.00×")  # 8 s on 1 worker of the server, 4 s on 2
    assert rows[2][6] == "no 1-worker run"  # never against the server's 1-worker run
    assert "recorded on Linux, 64 CPUs" in window.history.notes()[1]


def test_the_replay_bar_asks_for_the_moment_its_slider_points_at(qtbot):
    from app.gui.replay_bar import SLIDER_STEPS, ReplayBar

    bar = ReplayBar()
    qtbot.addWidget(bar)
    bar.show_replay("run.mpprun", 20.0, 1.0)
    assert bar.title.text() == "Replay of run.mpprun"
    bar.show_position(5.0)
    assert bar.slider.value() == SLIDER_STEPS // 4 and bar.position_label.text() == "5.0 of 20.0 s"
    with qtbot.waitSignal(bar.seek_requested) as asked:
        bar.slider.setValue(SLIDER_STEPS // 2)  # a click along it, or a key
    assert asked.args == [10.0]
    with qtbot.waitSignal(bar.speed_chosen) as chosen:
        bar.speed_buttons[5.0].click()
    assert chosen.args == [5.0]


@pytest.mark.timeout(60)
def test_save_run_is_offered_only_once_a_run_has_finished(qtbot, window):
    panel = window.panel("recording")
    assert not panel.save_action.isEnabled() and panel.open_action.isEnabled()
    with qtbot.waitSignal(window.run_started, timeout=10_000):
        window.start_config(RunConfig(workload="power", tasks=300, executor="serial"))
    assert not panel.open_action.isEnabled()  # no replay while a run is going
    qtbot.waitUntil(lambda: panel.save_action.isEnabled(), timeout=30_000)
    assert panel.open_action.isEnabled()
    assert "Save run… saves the last finished run" in panel.about.text()


def test_the_controls_show_the_replayed_runs_settings_and_stop_says_the_replay_stops(
    qtbot, window, recorded_file
):
    controls = window.controls
    controls.workload_combo.setCurrentIndex(controls.workload_combo.findData("primes"))
    controls.workers_spin.setValue(4)
    controls.chunksize_spin.setValue(0)
    driver = driver_of(window)
    driver.set_speed(1.0)
    with qtbot.waitSignal(window.run_started, timeout=10_000):
        assert driver.open_path(str(recorded_file))
    recorded = load(recorded_file).config
    assert controls.run_config() == replace(recorded, worker_nice=controls.run_config().worker_nice)
    assert (controls.workload, controls.workers_spin.value(), controls.chunksize_spin.value()) == (
        "power",
        2,
        1,
    )
    assert any("The controls show the recorded run's settings" in text for text in texts(window))
    with qtbot.waitSignal(window.run_finished, timeout=10_000):
        window.stop_run()
    assert "You pressed Stop: the replay stops here." in texts(window)
    assert not any("stopping the workers" in text for text in texts(window))
