"""The main window: what to run on the left, what the pool is doing on the right.

The window shows at most one run at a time and never waits for it. A `RunController` owns the
run's life; a QTimer on the GUI thread calls its `tick()` about 30 times a second (the run's
`poll()` never blocks) and shows the frame it returns: new records in the event log, the
numbers in the status line, and one chart redrawn per tick, in turn. `Run.start()` returns at
once: the pool and the inputs are made on the engine's supervisor thread.
"""

from __future__ import annotations

import multiprocessing
import platform
import sys
import time
from collections import deque
from dataclasses import replace

import pyqtgraph as pg
import PySide6
from PySide6.QtCore import QByteArray, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.control import RunController
from app.engine import BACKENDS, ConfigError, Run, RunConfig, cpu_count, describe_exit
from app.engine.platform_facts import current_platform
from app.engine.records import RunSummary
from app.gui.charts import CHARTS, ChartPanel, chart_rows
from app.gui.controls import WORKER_NICENESS, ControlPanel
from app.gui.event_log import EventLog
from app.gui.history import HistoryTable
from app.gui.lesson_driver import LessonDriver
from app.gui.meters import MeterStrip
from app.gui.panels import PANELS, Panel
from app.gui.settings import SettingsStore
from app.gui.status_panel import StatusPanel
from app.gui.zoom import ColumnScroll, PresenterMode, scroll_when_cramped
from app.stats import RunStats, format_duration, format_rate

TITLE = "Multiprocessing Playground"
TICK_MS = 33  # ~30 frames a second: smooth to the eye, and leaves the GUI thread mostly idle


class MainWindow(QMainWindow):
    """The playground window. `start_run` is the Start button's slot."""

    run_started = Signal()
    run_finished = Signal(object)  # the RunSummary
    chart_data_shown = Signal()  # once per run, the first frame that draws measured data

    def __init__(self, settings_path: str | None = None, remember_settings: bool = True) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self._settings_store = SettingsStore(settings_path)
        self._remember_settings = remember_settings
        self._settings = self._settings_store.load()

        self.controls = ControlPanel()
        self.status = StatusPanel()
        self.charts: list[ChartPanel] = [chart_class() for chart_class in CHARTS]
        named = {chart.name: chart for chart in self.charts}  # for tests and the self-test
        self.bars_chart, self.lines_chart = named["bars"], named["lines"]
        self.timeline_chart = named["timeline"]
        self.event_log = EventLog()
        self.history = HistoryTable()
        self.panels: list[Panel] = [panel_class() for panel_class in PANELS]
        self.lessons = LessonDriver(self)
        self._build_layout()
        self._build_menus()
        self.presenter = PresenterMode(self, self.view_menu, self._settings.zoom)
        for problem in (
            self._settings_store.load_problem,
            self._settings_store.save_problem() if remember_settings else None,
        ):
            if problem:
                self.event_log.add(problem, "error")

        self.controls.apply(self._settings)
        self.controls.start_requested.connect(self.start_run)
        self.controls.stop_requested.connect(self.stop_run)
        self.controls.kill_requested.connect(self.kill_worker)
        self.controls.note.connect(self.event_log.add)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)

        self.controller: RunController[ChartPanel] = RunController(self.charts)
        self._closing = False
        self.last_summary: RunSummary | None = None
        self.tick_ms: deque[float] = deque(
            maxlen=5000
        )  # how long each tick took, for the self-test
        self._sync_buttons()
        self._restore_geometry()
        for panel in self.panels:
            panel.attach(self)

    def panel(self, name: str) -> Panel:
        """The panel with this name: window.panel("code")."""
        return next(panel for panel in self.panels if panel.name == name)

    # ------------------------------------------------------------------ layout

    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.controls)
        left_layout.addWidget(self.lessons.wrap_log(self.event_log), 1)

        self._right_splitter = QSplitter(Qt.Orientation.Vertical)
        self._chart_rows = chart_rows(self.charts)
        for row in self._chart_rows:
            self._right_splitter.addWidget(row)
            self._right_splitter.setStretchFactor(self._right_splitter.count() - 1, 4)
        self.tabs = QTabWidget()  # the history, then one tab per panel
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.history, "History")
        for panel in self.panels:
            self.tabs.addTab(panel, panel.title)
        self.tabs.tabBar().setVisible(self.tabs.count() > 1)
        self._right_splitter.addWidget(self.tabs)
        self._right_splitter.setStretchFactor(self._right_splitter.count() - 1, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.status)
        self.meters = MeterStrip(self)  # CPU per core and each worker's memory, always in view
        right_layout.addWidget(self.meters)
        right_layout.addWidget(self.lessons.wrap_charts(self._right_splitter), 1)

        self._main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self._main_splitter.addWidget(ColumnScroll(left))  # scrolls when zoomed (presenter)
        self._main_splitter.addWidget(right)
        self._main_splitter.setStretchFactor(0, 0)
        self._main_splitter.setStretchFactor(1, 1)
        for splitter in self._splitters():
            splitter.setChildrenCollapsible(False)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addWidget(self._main_splitter)
        self.setCentralWidget(scroll_when_cramped(central))

    def _splitters(self) -> tuple[QSplitter, ...]:
        rows = [row for row in self._chart_rows if isinstance(row, QSplitter)]
        return (self._main_splitter, self._right_splitter, *rows)

    def _build_menus(self) -> None:
        # File and View start empty: panels and features add their actions in `attach`.
        self.file_menu = self.menuBar().addMenu("&File")
        run_menu = self.menuBar().addMenu("&Run")
        self.view_menu = self.menuBar().addMenu("&View")
        self.start_action = QAction("&Start", self, shortcut=QKeySequence("Ctrl+R"))
        self.stop_action = QAction("S&top", self, shortcut=QKeySequence(Qt.Key.Key_Escape))
        self.kill_action = QAction("&Kill a worker", self, shortcut=QKeySequence("Ctrl+K"))
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        self.start_action.triggered.connect(self.start_run)
        self.stop_action.triggered.connect(self.stop_run)
        self.kill_action.triggered.connect(self.kill_worker)
        self.quit_action.triggered.connect(self.close)
        for action in (self.start_action, self.stop_action, self.kill_action):
            run_menu.addAction(action)
        self.file_menu.addAction(self.quit_action)  # stays last: features insert above it
        self.lessons.add_menu(self.menuBar())
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _restore_geometry(self) -> None:
        geometry = self._settings.geometry
        if geometry and self.restoreGeometry(QByteArray(geometry)):
            states = self._settings.splitters
            restored = [
                splitter.restoreState(QByteArray(state))
                for splitter, state in zip(self._splitters(), states, strict=False)
            ]
            self._layout_pending = not (restored and all(restored))
            return
        screen = self.screen().availableGeometry()
        self.resize(min(1800, int(screen.width() * 0.95)), min(1050, int(screen.height() * 0.92)))
        self._layout_pending = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._layout_pending:
            # First show without a remembered layout: a controls column just wide enough,
            # the rest for the charts. Done here because only now the window has its size.
            self._layout_pending = False
            left = 480 if self.width() >= 1600 else 400
            self._main_splitter.setSizes([left, self.width() - left])
            charts_height = self._right_splitter.height()
            self._right_splitter.setSizes(
                [int(charts_height * 0.38), int(charts_height * 0.37), int(charts_height * 0.25)]
            )

    # ------------------------------------------------------------------ the run

    @property
    def run(self) -> Run | None:
        return self.controller.run

    @property
    def stats(self) -> RunStats | None:
        return self.controller.stats

    @property
    def running(self) -> bool:
        """True from Start until the run's last event (RunFinished) has been shown."""
        return self.controller.running

    def start_run(self) -> None:
        """The Start button's slot: check the controls and start a run. `Run.start()` returns at
        once; the pool starts on the engine's own thread."""
        if self.running or self._closing:
            return
        try:
            config = self.controls.run_config()
        except ConfigError as error:
            self.event_log.add(f"Cannot start: {error}", "error")
            self.status.show_state(f"Cannot start: {error}")
            return
        self.start_config(config)

    def start_config(self, config: RunConfig, run: Run | None = None) -> None:
        """Start this run (the Start button's, or a lesson's next case); `run`: one made already
        for `config`, to show instead of a new one (a replay)."""
        if self.running or self._closing:
            return
        for chart in self.charts:
            chart.reset()
        self.status.reset(None if config.until_stopped else config.task_count)
        self.event_log.new_run()
        self.event_log.add(f"Run started: {describe_config(config)}", "info")
        if run is None and (warning := self.controls.oversubscription_note(config)):
            self.event_log.add(warning, "user")
        self.controller.start(config, run)
        for panel in self.panels:
            panel.run_started(config)
        self.status.show_state(f"Running: {describe_config(config)}")
        self._sync_buttons()
        self._timer.start()
        self.run_started.emit()

    def stop_run(self) -> None:
        """Ask the run to stop; the window keeps ticking until the run says it has finished."""
        self.lessons.stop()
        if self.controller.stop():
            if getattr(self.run, "provenance", None) is not None:  # a replay's run
                self.event_log.add("You pressed Stop: the replay stops here.", "user")
            else:
                self.event_log.add("You pressed Stop: stopping the workers …", "user")
            self.status.show_state("Stopping …")
            self._sync_buttons()

    def kill_worker(self) -> None:
        """Classroom demo: kill one worker process, as if it had crashed."""
        if not self.controller.can_kill:
            return
        pid = self.controller.kill_worker()
        if pid is None:
            self.event_log.add("No worker process to kill right now (pool starting).", "user")
        else:
            self.event_log.add(f"You killed worker pid {pid} (SIGKILL).", "user")

    def _sync_buttons(self) -> None:
        running, stopping = self.running, self.controller.stopping
        self.controls.set_running(running, can_kill=self.controller.can_kill, stopping=stopping)
        self.start_action.setEnabled(not running)
        self.stop_action.setEnabled(running and not stopping)
        self.kill_action.setEnabled(self.controls.kill_button.isEnabled())

    # ------------------------------------------------------------------ the tick

    def _on_tick(self) -> None:
        began = time.perf_counter()
        self._tick()
        self.tick_ms.append((time.perf_counter() - began) * 1000)

    def _tick(self) -> None:
        frame = self.controller.tick()
        if frame is None:
            self._timer.stop()
            return
        self.lessons.observe(frame)
        for event in frame.events:
            self.event_log.add_event(event)
        self.status.show(frame.books)
        for chart in frame.charts:
            chart.draw(frame.snapshot)
        for panel in self.panels:
            panel.observe(frame)
        if frame.first_data:
            self.chart_data_shown.emit()
        if frame.finished is not None:
            self._finish(frame.finished)

    def refresh_charts(self) -> None:
        """Draw every chart now (the ticks draw one per turn): for a consistent screenshot."""
        snapshot = self.controller.snapshot()
        if snapshot is None or not snapshot.workers:
            return
        for chart in self.charts:
            chart.draw(snapshot)

    def _finish(self, summary: RunSummary) -> None:
        self._timer.stop()
        # The history keeps summaries, not the results of every task.
        summary = replace(summary, results=None)
        self.last_summary = summary
        record = self.history.add(summary, getattr(self.run, "provenance", None))  # a replay's
        self.event_log.add(describe_finish(summary, self.history.speedup_text(record)), "finished")
        if summary.error:
            self.status.show_state(f"Gave up: {summary.error}")
        elif summary.stopped:
            self.status.show_state(f"Stopped after {format_duration(summary.wall_s)}")
        else:
            self.status.show_state(
                f"Finished: {summary.tasks:,} {summary.workload} tasks in "
                f"{format_duration(summary.wall_s)} ({format_rate(summary.throughput)})"
            )
        self._sync_buttons()
        for panel in self.panels:
            panel.run_finished(summary)
        self.run_finished.emit(summary)

    # ------------------------------------------------------------------ the rest

    def show_about(self) -> None:
        default_method = multiprocessing.get_start_method(allow_none=True)
        if default_method is None:
            # The documented rule: the first method listed is the platform's default.
            default_method = multiprocessing.get_all_start_methods()[0]
        text = (
            f"<h3>{TITLE}</h3>"
            "<p>Watch Python's multiprocessing at work: pick a workload, a number of workers, "
            "and press Start.</p>"
            f"<p>Python {platform.python_version()} ({sys.platform})<br>"
            f"Qt {qVersion()}, PySide6 {PySide6.__version__}<br>"
            f"pyqtgraph {pg.__version__}<br>"
            f"CPU cores: {cpu_count()} · {current_platform().python_text}<br>"
            f"This OS's default start method: {default_method}</p>"
            f"<p>Worker processes run at a lower priority (nice +{WORKER_NICENESS}) so this "
            "window stays smooth while they use every core; on an otherwise idle computer "
            "that costs them nothing.</p>"
        )
        box = QMessageBox(QMessageBox.Icon.Information, f"About {TITLE}", text, parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setWindowModality(Qt.WindowModality.NonModal)  # the run keeps being drawn
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.about_box = box

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        # Stop and go: the engine's supervisor thread ends the workers within a second.
        self._closing = True
        self.controller.stop()
        self._timer.stop()
        self._save_settings()
        event.accept()

    def _save_settings(self) -> None:
        if not self._remember_settings:
            return
        settings = self.controls.current(self._settings)
        settings = replace(
            settings,
            geometry=bytes(self.saveGeometry().data()),
            splitters=tuple(bytes(s.saveState().data()) for s in self._splitters()),
            zoom=self.presenter.percent,
        )
        problem = self._settings_store.save(settings)
        if problem:
            self.event_log.add(problem, "error")


def describe_config(config: RunConfig) -> str:
    how = BACKENDS[config.executor].describe(config)
    chunks = "auto chunks" if config.chunksize == 0 else f"chunksize {config.chunksize}"
    tasks = f"{config.task_count:,} {config.workload} tasks"
    if config.until_stopped:
        tasks = f"{config.workload} in rounds of {config.task_count:,} tasks until Stop"
    return f"{tasks} · {how} · {chunks}"


def describe_finish(summary: RunSummary, speedup: str) -> str:
    done = summary.completed + summary.failed
    failed = f", {summary.failed:,} failed" if summary.failed else ""
    if summary.error:
        return f"Run gave up after {format_duration(summary.wall_s)}: {summary.error}"
    if summary.stopped:
        return (
            f"Run stopped after {format_duration(summary.wall_s)}: {done:,} of "
            f"{summary.tasks:,} tasks done{failed}, {summary.cancelled:,} never ran"
        )
    deaths = ""
    if summary.deaths:
        deaths = "; survived " + ", ".join(
            f"pid {pid} {describe_exit(code)}" for pid, code in summary.deaths
        )
    return (
        f"Run finished: {summary.tasks:,} tasks{failed} in {format_duration(summary.wall_s)}, "
        f"{format_rate(summary.throughput)}; speedup: {speedup}{deaths}"
    )
