"""Export in the window: the File menu's actions, the files they write (called with a path, as
the menu does once its dialog has one), and a save dialog that never stops the run being drawn."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLineEdit

from app.engine import RunConfig
from app.stats.tables import (
    read_history_csv,
    read_history_json,
    read_tasks_csv,
    read_tasks_json,
)
from tests.trace_format import trace_problems, tracks_with_work

EXPORT_ACTIONS = [
    "Save window as PNG…",
    "Save chart as PNG/SVG",
    "Export history as CSV…",
    "Export history as JSON…",
    "Export this run's tasks as CSV…",
    "Export this run's tasks as JSON…",
    "Export timeline as Chrome trace…",
]


def run_to_the_end(qtbot, window, config: RunConfig, timeout_ms: int = 60_000):
    with qtbot.waitSignal(window.run_finished, timeout=timeout_ms) as finished:
        window.start_config(config)
    return finished.args[0]


def save(qtbot, panel, export, *args) -> str:
    """Call one export with a path and wait for it to say it has finished."""
    with qtbot.waitSignal(panel.saved, timeout=20_000) as said:
        export(*args)
    message, ok = said.args
    assert ok, message
    return message


def test_the_file_menu_has_every_export_above_quit(window):
    texts = [action.text() for action in window.file_menu.actions() if not action.isSeparator()]
    assert texts[-1] == "&Quit"  # Quit stays last
    assert [t for t in texts if t in EXPORT_ACTIONS] == EXPORT_ACTIONS
    charts = window.panel("export").chart_menu.actions()
    assert [a.text() for a in charts] == [
        f"{chart._title} as {kind}…" for chart in window.charts for kind in ("PNG", "SVG")
    ]
    # Nothing to export before the first run.
    actions = window.panel("export").actions_by_name
    assert not actions["trace"].isEnabled() and not actions["history_csv"].isEnabled()


@pytest.mark.timeout(120)
def test_a_process_run_exports_its_trace_tasks_and_history(qtbot, window, tmp_path):
    panel = window.panel("export")
    summary = run_to_the_end(qtbot, window, RunConfig(workload="primes", tasks=12, workers=2))
    assert panel.actions_by_name["trace"].isEnabled()
    assert "12 tasks in 12 blocks from 2 workers" in panel.kept_label.text()

    message = save(qtbot, panel, panel.export_trace, str(tmp_path / "run.json"))
    assert "ui.perfetto.dev" in message
    trace = json.loads((tmp_path / "run.json").read_text())
    assert trace_problems(trace, summary.wall_s * 1e6) == []
    assert tracks_with_work(trace) == {(w.pid, w.pid) for w in summary.per_worker if w.tasks}

    save(qtbot, panel, panel.export_tasks, str(tmp_path / "tasks.csv"), "csv")
    save(qtbot, panel, panel.export_tasks, str(tmp_path / "tasks.json"), "json")
    blocks = read_tasks_csv(tmp_path / "tasks.csv")
    assert sorted(b.first_index for b in blocks) == list(range(12))
    log = read_tasks_json(tmp_path / "tasks.json")
    assert log.blocks == blocks and log.summary.completed == 12

    save(qtbot, panel, panel.export_history, str(tmp_path / "history.csv"), "csv")
    save(qtbot, panel, panel.export_history, str(tmp_path / "history.json"), "json")
    (row,) = read_history_csv(tmp_path / "history.csv")
    assert read_history_json(tmp_path / "history.json") == [row]
    assert (row["workload"], row["workers"], row["completed"]) == ("primes", 2, 12)
    # The row says what the history table shows.
    assert row["speedup_text"] == window.history.rows()[0][6]
    last = window.event_log.list.item(window.event_log.list.count() - 1).text()
    assert last == f"Saved the run history to {tmp_path / 'history.json'}: 1 runs"


@pytest.mark.timeout(120)
def test_a_thread_run_exports_a_thread_track_per_thread(qtbot, window, tmp_path):
    panel = window.panel("export")
    config = RunConfig(workload="primes", tasks=8, workers=2, executor="thread")
    summary = run_to_the_end(qtbot, window, config)
    save(qtbot, panel, panel.export_trace, str(tmp_path / "threads.json"))
    trace = json.loads((tmp_path / "threads.json").read_text())
    assert trace_problems(trace, summary.wall_s * 1e6) == []
    tracks = tracks_with_work(trace)
    assert len({pid for pid, _ in tracks}) == 1
    assert {f"{pid}:{tid}" for pid, tid in tracks} == {
        w.worker for w in summary.per_worker if w.tasks
    }


@pytest.mark.timeout(120)
def test_the_current_run_can_be_exported_while_it_goes(qtbot, window, tmp_path):
    panel = window.panel("export")
    window.start_config(RunConfig(workload="sleep", tasks=40, workers=2))
    qtbot.waitUntil(lambda: len(panel.log.blocks) >= 3, timeout=30_000)
    save(qtbot, panel, panel.export_trace, str(tmp_path / "so-far.json"))
    assert window.running  # the run is still going
    trace = json.loads((tmp_path / "so-far.json").read_text())
    assert trace_problems(trace, trace["otherData"]["run_s"] * 1e6) == []
    assert "completed" not in trace["otherData"]  # no summary yet: the run had not ended
    assert 3 <= sum(e["args"]["count"] for e in trace["traceEvents"] if e["ph"] == "X") < 40
    with qtbot.waitSignal(window.run_finished, timeout=60_000):
        window.stop_run()


@pytest.mark.timeout(120)
def test_pictures_of_the_window_and_of_each_chart(qtbot, window, tmp_path):
    panel = window.panel("export")
    run_to_the_end(qtbot, window, RunConfig(workload="primes", tasks=8, workers=2))
    window.refresh_charts()
    save(qtbot, panel, panel.save_window, str(tmp_path / "window.png"))
    image = QImage(str(tmp_path / "window.png"))
    assert not image.isNull()
    assert (image.width(), image.height()) == (window.width(), window.height())
    for chart in window.charts:
        png, svg = tmp_path / f"{chart.name}.png", tmp_path / f"{chart.name}.svg"
        save(qtbot, panel, panel.save_chart, chart, str(png))
        picture = QImage(str(png))
        assert not picture.isNull() and picture.width() >= chart.plot_widget.width()
        # Not blank: a chart with data has more than a handful of colours.
        colours = {picture.pixel(x, y) for x in range(0, picture.width(), 7)
                   for y in range(0, picture.height(), 7)}  # fmt: skip
        assert len(colours) > 3, chart.name
        save(qtbot, panel, panel.save_chart, chart, str(svg))
        root = ElementTree.parse(svg).getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 10


@pytest.mark.timeout(60)
def test_a_path_that_cannot_be_written_is_one_line_in_the_log(qtbot, window, tmp_path):
    panel = window.panel("export")
    run_to_the_end(qtbot, window, RunConfig(workload="power", tasks=100, workers=1,
                                            executor="serial"))  # fmt: skip
    bad = str(tmp_path / "no" / "such" / "folder" / "x.json")
    for export, args in (
        (panel.export_trace, (bad,)),
        (panel.export_tasks, (bad, "csv")),
        (panel.export_history, (bad, "json")),
        (panel.save_window, (bad,)),
        (panel.save_chart, (window.charts[0], bad)),
    ):
        with qtbot.waitSignal(panel.saved, timeout=10_000) as said:
            export(*args)
        message, ok = said.args
        assert not ok
        assert message.startswith("Could not save") and "No such file or directory" in message
        assert "\n" not in message and "Traceback" not in message
        last = window.event_log.list.item(window.event_log.list.count() - 1)
        assert last.text() == message


@pytest.mark.timeout(120)
def test_the_save_dialog_lets_the_run_go_on_being_drawn(qtbot, window, tmp_path):
    panel = window.panel("export")
    run_to_the_end(qtbot, window, RunConfig(workload="power", tasks=50, workers=1,
                                            executor="serial"))  # fmt: skip
    # A run of about a second; the dialog opens while it goes.
    config = RunConfig(workload="sleep", tasks=12, workers=2, executor="process")
    with qtbot.waitSignal(window.run_finished, timeout=60_000):
        window.start_config(config)
        window.panel("export").actions_by_name["trace"].trigger()
        dialog = panel.dialog
        assert dialog is not None and dialog.isVisible()
        ticks_before = len(window.tick_ms)
    # The run was drawn to its end while the dialog stayed open.
    assert dialog.isVisible() and panel.dialog is dialog
    assert len(window.tick_ms) > ticks_before + 5
    assert window.history.rows()[-1][0] == "sleep"
    # Choosing a file writes the finished run's trace.
    path = str(tmp_path / "chosen.json")
    with qtbot.waitSignal(panel.saved, timeout=20_000) as said:
        dialog.findChild(QLineEdit, "fileNameEdit").setText(path)  # as if typed
        dialog.accept()
    assert said.args == [f"Saved the timeline to {path}: {said.args[0].split(': ', 1)[1]}", True]
    with open(path) as file:
        trace = json.load(file)
    assert trace["otherData"]["workload"] == "sleep" and trace["otherData"]["completed"] == 12
