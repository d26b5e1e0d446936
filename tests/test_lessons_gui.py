"""Lessons in the window: one press runs the comparison through the window's own runs, the
comparison chart builds up a point per case, the tutorial prints who computed what, and Stop
or closing the window ends the lesson with no process left behind."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from app.gui.charts.comparison import NOISY_TEXT, ComparisonChart
from app.lessons import LESSONS, Case, Point
from app.stats.amdahl import AmdahlFit
from app.stats.repeats import Repeated
from tests.conftest import FREEZE_MS, worker_children


def choose_quick(qtbot, window, name: str) -> None:
    window.lessons.actions[name].trigger()
    assert window.lessons.panel.title.text() == LESSONS[name].title
    window.lessons.panel.quick_check.setChecked(True)


def run_lesson(qtbot, window, timeout_ms: int = 60_000):
    with qtbot.waitSignal(window.lessons.lesson_finished, timeout=timeout_ms) as finished:
        qtbot.mouseClick(window.lessons.panel.run_button, Qt.MouseButton.LeftButton)
    return finished.args[0]


@pytest.mark.timeout(120)
def test_a_quick_lesson_runs_end_to_end_and_the_chart_holds_a_point_per_case(qtbot, window):
    choose_quick(qtbot, window, "scaling")
    runner = run_lesson(qtbot, window)
    assert runner.ended_early is None
    assert len(runner.finished) == len(runner.plan) == len(runner.cases)
    chart = window.lessons.chart
    assert len(chart.shown) == len(runner.cases)
    assert sorted(point.x for point in chart.shown) == [c.workers for c in runner.cases]
    # Every run of the lesson went through the window's normal path, into the history.
    assert len(window.history.runs) == len(runner.plan)
    panel = window.lessons.panel
    assert panel.conclusion.text() == f"Measured: {runner.conclusion()}"
    assert "Speedup by workers" in panel.conclusion.text()
    assert "serial part" in chart.caption.full_text()
    assert window.lessons.right_tabs.currentWidget() is chart
    assert not window.running and panel.run_button.isEnabled()


@pytest.mark.timeout(120)
def test_the_tutorial_lesson_shows_who_computed_what_and_its_process_and_queue(qtbot, window):
    choose_quick(qtbot, window, "tutorial")
    window.lessons.panel.expect_edit.setText("each worker gets two")
    runner = run_lesson(qtbot, window)
    printout = window.lessons.panel.printout.toPlainText()
    assert "4**4 = 256   computed by SpawnPoolWorker-" in printout
    assert "(pid ?" not in printout and "computed by ?" not in printout
    assert "Process + Queue" in printout
    assert printout.count(" put 0.") + printout.count(" put 1.") == 4
    assert window.lessons.panel.expected.text() == "The class expected: each worker gets two"
    assert runner.demo_lines and not window.lessons.waiting_for_demo
    assert len(window.lessons.chart.shown) == 1


@pytest.mark.timeout(120)
def test_stop_mid_lesson_stops_it_and_no_further_run_starts(qtbot, window):
    choose_quick(qtbot, window, "gil")
    lessons = window.lessons
    with qtbot.waitSignal(lessons.lesson_finished, timeout=60_000):
        qtbot.mouseClick(lessons.panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: len(lessons.runner.finished) >= 1 and window.running, timeout=30_000
        )
        qtbot.mouseClick(window.controls.stop_button, Qt.MouseButton.LeftButton)
    runner = lessons.runner
    assert runner.ended_early == "stopped"
    assert len(runner.finished) < len(runner.plan)
    assert lessons.panel.conclusion.text().startswith("Measured: Stopped before the end")
    runs = len(window.history.runs)
    assert runs == len(runner.finished)
    qtbot.wait(800)  # long enough for a next run to have started, were one coming
    assert not window.running and len(window.history.runs) == runs
    qtbot.waitUntil(lambda: not worker_children(), timeout=5000)


@pytest.mark.timeout(120)
def test_closing_mid_lesson_returns_at_once_and_leaves_no_process(qtbot, window):
    choose_quick(qtbot, window, "gil")
    lessons = window.lessons
    qtbot.mouseClick(lessons.panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            len(lessons.runner.finished) >= 1 and window.running and bool(window.run.worker_pids())
        ),
        timeout=30_000,
    )
    finished = len(lessons.runner.finished)
    began = time.perf_counter()
    window.close()
    assert time.perf_counter() - began < FREEZE_MS / 1000
    qtbot.waitUntil(lambda: not worker_children(), timeout=5000)
    qtbot.wait(300)
    assert len(lessons.runner.finished) == finished
    assert not worker_children()


def point(case: Case, wall: Repeated, speedup: float | None, chunks: int = 1) -> Point:
    run = SimpleNamespace(chunks=chunks)
    startup = Repeated(0.1, 0.1, 0.1, 1)
    return Point(case, wall, startup, 1000, speedup, "1 process", (run,))


def test_the_comparison_chart_marks_noisy_points_and_shows_the_amdahl_fit(qtbot):
    chart = ComparisonChart()
    qtbot.addWidget(chart)
    chart.reset(LESSONS["scaling"], ["process"])
    points = [
        point(Case("primes", "process", 1, 60), Repeated(2.0, 1.9, 2.1, 3), 1.0),
        point(Case("primes", "process", 2, 60), Repeated(1.0, 0.7, 1.4, 3), 2.0),  # noisy
    ]
    chart.show_points(points, AmdahlFit(0.04, 2))
    assert [(s.x, s.noisy) for s in chart.shown] == [(1, False), (2, True)]
    two = chart.shown[1]
    # The spread of a speedup: the baseline's median over this point's slowest and fastest.
    assert two.low == pytest.approx(2.0 / 1.4) and two.high == pytest.approx(2.0 / 0.7)
    assert NOISY_TEXT in [label.text for _, label in chart.legend.items]
    assert "serial part ≈ 4.0 %: at most 25× however many cores" in chart.caption.full_text()
    chart.set_measure("tasks/s")
    assert [s.y for s in chart.shown] == pytest.approx([500.0, 1000.0])
    chart.set_measure("efficiency")
    assert [s.y for s in chart.shown] == pytest.approx([1.0, 1.0])


def test_the_chunksize_chart_puts_auto_at_its_measured_chunk_size(qtbot):
    chart = ComparisonChart()
    qtbot.addWidget(chart)
    chart.reset(LESSONS["chunksize"], ["sized", "auto"])
    wall = Repeated(0.5, 0.5, 0.5, 1)
    points = [
        point(Case("power", "process", 2, 1000, chunksize=size), wall, None) for size in (1, 100)
    ]
    points.append(point(Case("power", "process", 2, 1000, chunksize=0), wall, None, chunks=10))
    chart.show_points(points)
    by_series = {(s.series, round(s.x, 6)) for s in chart.shown}
    assert by_series == {
        ("2 processes (spawn)", 0.0),
        ("2 processes (spawn)", 2.0),
        ("auto (x: its mean chunk)", 2.0),
    }
