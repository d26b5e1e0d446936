"""The window's lessons: the Lessons menu, and one press that runs a lesson's whole matrix.

A lesson's runs go one after another through the window's own `RunController`, the one the
Start button uses, so the live charts show each run and each lands in the run history. When
a run finishes (the window's `run_finished`), its summary goes to the `LessonRunner` and the
next case starts at once; the comparison chart gains its point. Stop ends the lesson. The
lesson's own demonstration (the tutorial's Process + Queue) blocks while its processes run,
so it runs on a thread of its own and its lines come back by a queued signal: the GUI thread
never waits.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenuBar, QTabWidget, QWidget

from app.control.lesson_runner import LessonRunner
from app.engine import ConfigError, cpu_count
from app.engine.config import available_start_methods
from app.gui.charts.comparison import ComparisonChart
from app.gui.controls import WORKER_NICENESS
from app.gui.lesson_panel import LessonPanel
from app.lessons import LESSONS, Lesson
from app.lessons.lesson import CHUNKSIZE_CHART, STARTUP_CHART, TIMELINE_CHART

LIVE_TAB, COMPARISON_TAB = 0, 1
LOG_TAB, LESSON_TAB = 0, 1


class LessonDriver(QObject):
    """Owns the lesson panel, the comparison chart and the lesson being run.

    `window` is the MainWindow: the driver starts runs with its `start_config`, reads the
    finished run from its `controller`, and listens to its `run_started` / `run_finished`.
    """

    lesson_finished = Signal(object)  # the LessonRunner, once its conclusion is shown
    _demo_done = Signal(object)  # from the demonstration's thread: its lines

    def __init__(self, window, cpus: int | None = None) -> None:
        super().__init__(window)
        self._window = window
        self.cpus = cpus or cpu_count()
        self.panel = LessonPanel()
        self.chart = ComparisonChart()
        self.lesson: Lesson | None = None
        self.runner: LessonRunner | None = None
        self.actions: dict[str, QAction] = {}
        self.active = False  # from Run lesson until its conclusion is shown
        self._stop_asked = False
        self.demo_thread: threading.Thread | None = None
        self.left_tabs: QTabWidget | None = None
        self.right_tabs: QTabWidget | None = None
        self.panel.run_requested.connect(self.run_lesson)
        self.panel.stop_requested.connect(window.stop_run)
        self._demo_done.connect(self._show_results)
        window.run_started.connect(self._sync)
        window.run_finished.connect(self._run_finished)

    # -- where it sits in the window ---------------------------------------------------------

    def wrap_log(self, event_log: QWidget) -> QTabWidget:
        """The event log and the lesson panel, as two tabs of the left column."""
        self.left_tabs = QTabWidget()
        self.left_tabs.addTab(event_log, "Event log")
        self.left_tabs.addTab(self.panel, "Lesson")
        return self.left_tabs

    def wrap_charts(self, live_charts: QWidget) -> QTabWidget:
        """The live charts and the lesson's comparison chart, as two tabs."""
        self.right_tabs = QTabWidget()
        self.right_tabs.addTab(live_charts, "Live run")
        self.right_tabs.addTab(self.chart, "Lesson comparison")
        return self.right_tabs

    def add_menu(self, menu_bar: QMenuBar) -> None:
        """The Lessons menu: one action per lesson; choosing one shows it in the panel."""
        menu = menu_bar.addMenu("&Lessons")
        for lesson in LESSONS.values():
            action = QAction(lesson.title, self)
            action.setToolTip(lesson.question)
            action.triggered.connect(lambda _=False, name=lesson.name: self.choose(name))
            menu.addAction(action)
            self.actions[lesson.name] = action
        menu.setToolTipsVisible(True)

    # -- choosing and running ---------------------------------------------------------------

    def choose(self, name: str) -> None:
        """Show a lesson before it runs (not while another one is running)."""
        if self.active:
            return
        self.lesson = LESSONS[name]
        self.runner = None
        self.panel.show_lesson(self.lesson)
        self.chart.reset(self.lesson, _series_of(self.lesson, self.cpus))
        if self.left_tabs is not None:
            self.left_tabs.setCurrentIndex(LESSON_TAB)
        self._sync()

    def run_lesson(self, quick: bool | None = None) -> bool:
        """Run the chosen lesson from its first case; False if it cannot start now."""
        window = self._window
        if self.lesson is None or self.active or window.running:
            return False
        quick = self.panel.quick if quick is None else quick
        self.runner = LessonRunner(self.lesson, self.cpus, quick=quick)
        self.chart.reset(self.lesson, _series_of(self.lesson, self.cpus))
        self.panel.show_result("", [], "")
        self.active, self._stop_asked = True, False
        if self.right_tabs is not None:
            self.right_tabs.setCurrentIndex(LIVE_TAB)
        window.event_log.add(
            f"Lesson started: {self.lesson.title} ({len(self.runner.plan)} runs"
            f"{', quick' if quick else ''})",
            "user",
        )
        self._start_next()
        return self.active

    def stop(self) -> None:
        """Stop pressed (or the window closing): no run of this lesson starts after this one."""
        if self.active:
            self._stop_asked = True

    @property
    def waiting_for_demo(self) -> bool:
        """The lesson waits for its demonstration's lines (not: the thread has not yet ended;
        it ends a moment after it hands them over, maybe after the lesson has finished)."""
        return self.demo_thread is not None

    def _start_next(self) -> None:
        runner, window = self.runner, self._window
        case = runner.next_case()
        runner.start_next()
        done, total = len(runner.finished), len(runner.plan)
        self.panel.show_progress(done, total, f"run {done + 1} of {total}: {case.label}")
        self._set_tab_progress(f"{done} of {total} runs")
        try:
            window.start_config(case.config(worker_nice=WORKER_NICENESS))
        except ConfigError as error:
            runner.ended_early = str(error)
        if not window.running and runner.ended_early is None:
            runner.ended_early = "the run could not start"
        if runner.done:
            self._wrap_up()
        self._sync()

    def observe(self, frame) -> None:
        """Each tick's records: who computed which task (the tutorial prints it)."""
        if self.active and self.runner is not None:
            self.runner.observe(frame.segments)

    def _run_finished(self, _summary) -> None:
        runner = self.runner
        if not self.active or runner is None or runner.done:
            self._sync()  # a run of its own: Run lesson is possible again
            return
        # The window's summary leaves out the results; the lesson reads them (the tutorial).
        runner.record(self._window.controller.run.summary)
        if self._stop_asked and not runner.done:
            runner.ended_early = "stopped"
        self.chart.show_points(runner.points(), runner.amdahl())
        done, total = len(runner.finished), len(runner.plan)
        self.panel.show_progress(done, total, f"{done} of {total} runs done")
        self._set_tab_progress(f"{done} of {total} runs")
        if runner.done:
            self._wrap_up()
        else:
            self._start_next()

    def _wrap_up(self) -> None:
        """Every run is in: the lesson's demonstration off the GUI thread, then the result."""
        runner = self.runner
        if runner.lesson.demo is None or runner.ended_early is not None:
            self._show_results(None)
            return
        self.panel.show_progress(
            len(runner.finished), len(runner.plan), "Running the Process + Queue example …"
        )

        def demonstrate() -> None:
            try:
                lines = runner.run_demo()
            except Exception as error:  # a demo that fails says so instead of hanging
                lines = [f"The demonstration failed: {error}"]
            with contextlib.suppress(RuntimeError):  # the window may be gone already
                self._demo_done.emit(lines)

        self.demo_thread = threading.Thread(target=demonstrate, name="lesson-demo", daemon=True)
        self.demo_thread.start()

    def _show_results(self, demo_lines) -> None:
        runner = self.runner
        if runner is None or not self.active:
            return
        if demo_lines is not None:
            runner.demo_lines = list(demo_lines)
        self.demo_thread = None  # its lines are in: it ends on its own
        self.active = False
        conclusion = runner.conclusion()
        self.panel.show_result(conclusion, runner.printout() + runner.demo_lines, self.panel.guess)
        done, total = len(runner.finished), len(runner.plan)
        ended = "stopped" if runner.ended_early == "stopped" else "finished"
        self.panel.show_progress(done, total, f"Lesson {ended}: {done} of {total} runs")
        self._set_tab_progress("")
        self.chart.show_points(runner.points(), runner.amdahl())
        if self.right_tabs is not None and runner.lesson.chart != TIMELINE_CHART:
            self.right_tabs.setCurrentIndex(COMPARISON_TAB)
        self._window.event_log.add(f"Lesson {ended}: {conclusion}", "finished")
        self._sync()
        self.lesson_finished.emit(runner)

    def _set_tab_progress(self, text: str) -> None:
        if self.right_tabs is not None:
            label = "Lesson comparison" + (f" ({text})" if text else "")
            self.right_tabs.setTabText(COMPARISON_TAB, label)

    def _sync(self) -> None:
        window = self._window
        busy = self.active or window.running
        self.panel.set_running(self.active, can_run=not busy)
        for action in self.actions.values():
            action.setEnabled(not self.active)


def _series_of(lesson: Lesson, cpus: int) -> list[str]:
    """The lines the comparison chart draws for this lesson, in the order of its cases."""
    cases = lesson.cases(cpus)
    if lesson.chart == STARTUP_CHART:
        return [m for m in available_start_methods() if any(c.start_method == m for c in cases)]
    if lesson.chart == CHUNKSIZE_CHART:
        return ["sized", "auto"]
    if lesson.chart == TIMELINE_CHART:
        return []
    return list(dict.fromkeys(case.executor for case in cases))
