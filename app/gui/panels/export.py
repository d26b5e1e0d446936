"""The Export tab and File menu: save the window or a chart as a picture, the history and this
run's tasks as CSV or JSON, and the timeline as a Chrome trace to open at ui.perfetto.dev.

The panel keeps the current (or last) run's records in a `RunLog`, fed from every tick's frame
(the first 100,000 blocks: tiny tasks come in blocks, so that is a long run; about 19 MB at
most). File dialogs open with `open()`, not `exec()`: they return at once, so the window keeps
ticking and drawing the run behind them. Tables and traces are written on a thread of their
own from a copy of the records, so a long run's file never stalls the window. Pictures are
painted on the GUI thread (Qt paints nowhere else); a PNG is then written on a thread too, an
SVG (a few KB) at once. A file that cannot be written gets one line in the event log and in
the tab, never a traceback.

Each export is a method that takes a path (`export_trace(path)`), which is what the menu calls
once the dialog has a file name, and what tests call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pyqtgraph.exporters as exporters
from PySide6.QtCore import QRectF, QStandardPaths, Qt, Signal
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
)

from app.gui.panels import Panel
from app.gui.theme import caption_label
from app.stats.run_log import MAX_BLOCKS_KEPT, RunAbout, RunLog
from app.stats.tables import (
    history_rows,
    write_history_csv,
    write_history_json,
    write_tasks_csv,
    write_tasks_json,
)
from app.stats.trace import write_trace

PERFETTO = "https://ui.perfetto.dev"
CAPTION = "Save what you ran. A trace opens at ui.perfetto.dev."
FILTERS = {
    "csv": "CSV files (*.csv)",
    "json": "JSON files (*.json)",
    "png": "PNG images (*.png)",
    "svg": "SVG drawings (*.svg)",
}
CHART_SCALE = 2  # chart PNGs at twice the size on screen: sharp on a slide or a handout


def chart_title(chart) -> str:
    """A chart's title as its caption shows it ("Timeline: who worked when")."""
    return getattr(chart, "_title", "") or chart.name


def run_stem(about: RunAbout | None) -> str:
    """A file name for a run, without suffix: 'primes-2-process'."""
    if about is None:
        return "run"
    return f"{about.workload}-{about.workers}-{about.executor}"


class ExportPanel(Panel):
    name = "export"
    title = "Export"

    # (message, ok): a save has finished, on the GUI thread. Tests wait for it.
    saved = Signal(str, bool)
    _written = Signal(str, bool)  # from a writer thread; Qt queues it to the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self.log = RunLog()
        self._window = None
        self.dialog: QFileDialog | None = None  # the open file dialog, if any (for tests)
        self._writers: list[threading.Thread] = []
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        self._folder = documents if documents and os.path.isdir(documents) else str(Path.home())
        self._written.connect(self._report)
        self._build()

    # -- the tab -----------------------------------------------------------------------

    def _build(self) -> None:
        # Short words, so that three fit side by side at 1280x720; the tooltip says it all.
        self.trace_button = _button("Chrome trace…", "Export this run's timeline as a Chrome trace")
        self.tasks_csv_button = _button("Tasks as CSV…", "Export this run's tasks as CSV")
        self.tasks_json_button = _button("Tasks as JSON…", "Export this run's tasks as JSON")
        self.history_csv_button = _button("History as CSV…", "Export the run history as CSV")
        self.history_json_button = _button("History as JSON…", "Export the run history as JSON")
        self.window_button = _button("Window as PNG…", "Save the whole window as a PNG image")
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        buttons = (
            self.trace_button,
            self.tasks_csv_button,
            self.tasks_json_button,
            self.history_csv_button,
            self.history_json_button,
            self.window_button,
        )
        for number, button in enumerate(buttons):
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            grid.addWidget(button, number // 3, number % 3)
        self.kept_label = QLabel("No run yet.")
        self.kept_label.setObjectName("hint")
        self.result_label = QLabel("")
        self.result_label.setObjectName("hint")
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.kept_label, self.result_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(caption_label("Export", CAPTION, lines=1))
        layout.addLayout(grid)
        layout.addWidget(self.kept_label)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

    # -- the hooks ---------------------------------------------------------------------

    def attach(self, window) -> None:
        self._window = window
        self.actions_by_name: dict[str, QAction] = {}
        menu, before = window.file_menu, window.quit_action

        def action(key: str, text: str, slot: Callable[[], None]) -> QAction:
            made = QAction(text, window)
            made.triggered.connect(slot)
            self.actions_by_name[key] = made
            return made

        menu.insertAction(before, action("window_png", "Save window as PNG…", self.ask_window))
        self.chart_menu = QMenu("Save chart as PNG/SVG", window)
        for chart in window.charts:
            for kind in ("png", "svg"):
                self.chart_menu.addAction(
                    action(
                        f"{chart.name}_{kind}",
                        f"{chart_title(chart)} as {kind.upper()}…",
                        lambda chart=chart, kind=kind: self.ask_chart(chart, kind),
                    )
                )
        menu.insertMenu(before, self.chart_menu)
        menu.insertSeparator(before)
        for key, text, slot in (
            ("history_csv", "Export history as CSV…", lambda: self.ask_history("csv")),
            ("history_json", "Export history as JSON…", lambda: self.ask_history("json")),
            ("tasks_csv", "Export this run's tasks as CSV…", lambda: self.ask_tasks("csv")),
            ("tasks_json", "Export this run's tasks as JSON…", lambda: self.ask_tasks("json")),
            ("trace", "Export timeline as Chrome trace…", self.ask_trace),
        ):
            menu.insertAction(before, action(key, text, slot))
        menu.insertSeparator(before)
        menu.aboutToShow.connect(self._sync)

        self.trace_button.clicked.connect(self.ask_trace)
        self.tasks_csv_button.clicked.connect(lambda: self.ask_tasks("csv"))
        self.tasks_json_button.clicked.connect(lambda: self.ask_tasks("json"))
        self.history_csv_button.clicked.connect(lambda: self.ask_history("csv"))
        self.history_json_button.clicked.connect(lambda: self.ask_history("json"))
        self.window_button.clicked.connect(self.ask_window)
        window.run_finished.connect(lambda _summary: self._sync())
        self._sync()

    def run_started(self, config) -> None:
        self.log = RunLog(RunAbout.of_config(config))
        self._sync()

    def observe(self, frame) -> None:
        log = self.log
        for segment in frame.segments:
            log.add(segment)
        for event in frame.events:
            log.add(event)

    def run_finished(self, summary) -> None:
        self._sync()

    def _sync(self) -> None:
        has_run = self.log.about is not None or not self.log.is_empty()  # a run has started
        has_history = self._window is not None and bool(self._window.history.runs)
        for key in ("trace", "tasks_csv", "tasks_json"):
            self.actions_by_name[key].setEnabled(has_run)
        for key in ("history_csv", "history_json"):
            self.actions_by_name[key].setEnabled(has_history)
        for button in (self.trace_button, self.tasks_csv_button, self.tasks_json_button):
            button.setEnabled(has_run)
        self.history_csv_button.setEnabled(has_history)
        self.history_json_button.setEnabled(has_history)
        self.kept_label.setText(self._kept_text())

    def _kept_text(self) -> str:
        log = self.log
        if log.is_empty():
            return "No run yet: press Start, then save what it did."
        tasks = sum(block.count for block in log.blocks)
        going = "" if log.finished else " so far"
        text = (
            f"This run{going}: {tasks:,} tasks in {len(log.blocks):,} blocks from "
            f"{len(log.workers)} worker{'s' * (len(log.workers) != 1)}."
        )
        if log.blocks_not_kept:
            text += f" Only the first {MAX_BLOCKS_KEPT:,} blocks are kept."
        return text

    # -- asking for a file -------------------------------------------------------------

    def ask_trace(self) -> None:
        self._ask(
            "Export timeline as Chrome trace",
            f"{run_stem(self.log.about)}-trace.json",
            "json",
            self.export_trace,
        )

    def ask_tasks(self, kind: str) -> None:
        self._ask(
            f"Export this run's tasks as {kind.upper()}",
            f"{run_stem(self.log.about)}-tasks.{kind}",
            kind,
            lambda path: self.export_tasks(path, kind),
        )

    def ask_history(self, kind: str) -> None:
        self._ask(
            f"Export history as {kind.upper()}",
            f"run-history.{kind}",
            kind,
            lambda path: self.export_history(path, kind),
        )

    def ask_window(self) -> None:
        self._ask("Save window as PNG", "playground.png", "png", self.save_window)

    def ask_chart(self, chart, kind: str) -> None:
        self._ask(
            f"Save chart as {kind.upper()}",
            f"{chart.name}.{kind}",
            kind,
            lambda path: self.save_chart(chart, path),
        )

    def _ask(self, caption: str, suggested: str, kind: str, then: Callable[[str], None]) -> None:
        """A save dialog that returns at once (`open()`, not `exec()`): the run goes on being
        drawn behind it. `then(path)` runs when a file has been chosen."""
        if self.dialog is not None:
            self.dialog.close()
        dialog = QFileDialog(self._window, caption, os.path.join(self._folder, suggested))
        dialog.setNameFilter(FILTERS[kind])
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(kind)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(path: str) -> None:
            self._folder = os.path.dirname(path) or self._folder
            then(path)

        dialog.fileSelected.connect(chosen)
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    # -- the exports: each takes a path ------------------------------------------------

    def export_trace(self, path: str) -> None:
        """The timeline as a Chrome trace, written on a thread; `saved` says how it went."""
        log = self._log_copy()
        self._write(
            path,
            "the timeline",
            lambda: f"{write_trace(log, path):,} trace events; open it at {PERFETTO}",
        )

    def export_tasks(self, path: str, kind: str) -> None:
        """This run's tasks (one row per task, or per block of tiny tasks) as CSV or JSON."""
        log = self._log_copy()
        write = write_tasks_csv if kind == "csv" else write_tasks_json
        self._write(path, "this run's tasks", lambda: f"{write(log, path):,} blocks of tasks")

    def export_history(self, path: str, kind: str) -> None:
        """The run history, a row per finished run with its speedups, as CSV or JSON."""
        rows = history_rows(self._window.history.runs)
        write = write_history_csv if kind == "csv" else write_history_json
        self._write(path, "the run history", lambda: f"{write(rows, path):,} runs")

    def save_window(self, path: str) -> None:
        """The whole window as it is now, as a PNG."""
        image = self._window.grab().toImage()
        self._write(path, "the window", lambda: _save_image(image, path))

    def save_chart(self, chart, path: str) -> None:
        """One chart's plot as PNG (twice its size on screen) or SVG, by the path's suffix."""
        what = f"the chart “{chart_title(chart)}”"
        try:
            if path.lower().endswith(".svg"):
                self._report(f"Saved {what} to {path}: {_save_svg(chart, path)}", True)
                return
            exporter = exporters.ImageExporter(chart.plot)
            width = int(exporter.parameters()["width"])
            exporter.parameters()["width"] = max(1, width * CHART_SCALE)
            image = exporter.export(toBytes=True)
        except OSError as exc:
            self._report(_could_not(what, path, exc), False)
            return
        self._write(path, what, lambda: _save_image(image, path))

    # -- writing -----------------------------------------------------------------------

    def _log_copy(self) -> RunLog:
        """The records as they are now: the writer thread reads these while ticks go on."""
        log = self.log
        return RunLog(
            about=log.about,
            max_blocks=log.max_blocks,
            workers=dict(log.workers),
            blocks=list(log.blocks),
            blocks_not_kept=log.blocks_not_kept,
            failures=list(log.failures),
            failures_not_kept=log.failures_not_kept,
            deaths=list(log.deaths),
            stuck=list(log.stuck),
            restarts=list(log.restarts),
            summary=log.summary,
        )

    def _write(self, path: str, what: str, write: Callable[[], str]) -> None:
        """Run `write` (it returns what was written, for people) on a thread of its own."""

        def work() -> None:
            try:
                done = write()
            except OSError as exc:
                message, ok = _could_not(what, path, exc), False
            except Exception as exc:  # a bug: one line for people, never a traceback
                message, ok = f"Could not save {what}: {type(exc).__name__}: {exc}", False
            else:
                message, ok = f"Saved {what} to {path}: {done}", True
            # If the window closed while the file was written, there is no one left to tell.
            with suppress(RuntimeError):
                self._written.emit(message, ok)

        # Not a daemon: quitting waits for a file being written, rather than cutting it short.
        thread = threading.Thread(target=work, name="export-writer")
        self._writers = [t for t in self._writers if t.is_alive()] + [thread]
        thread.start()

    def _report(self, message: str, ok: bool) -> None:
        self.result_label.setText(message)
        self.result_label.setToolTip(message)
        if self._window is not None:
            self._window.event_log.add(message, "info" if ok else "error")
        self.saved.emit(message, ok)


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button


def _save_image(image: QImage, path: str) -> str:
    # QImage.save gives no reason; a failed open does, so try the file first.
    with open(path, "wb"):
        pass
    if not image.save(path, "PNG"):
        raise OSError(f"the image could not be written to {path}")
    return f"{image.width()} × {image.height()} pixels"


def _save_svg(chart, path: str) -> str:
    """pyqtgraph's SVG exporter; where it fails, Qt's own SVG painter on the same plot.

    pyqtgraph 0.14's exporter cannot read back closed paths ("... Z"), which the Qt 6 SVG
    painter writes for the bars and the timeline's blocks (pyqtgraph issue #3495)."""
    with open(path, "wb"):  # a path that cannot be written says why here
        pass
    try:
        exporters.SVGExporter(chart.plot).export(path)
        return "drawn by pyqtgraph"
    except ValueError:
        pass
    scene_rect = chart.plot.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(scene_rect.size().toSize())
    generator.setViewBox(QRectF(0, 0, scene_rect.width(), scene_rect.height()))
    generator.setTitle(chart_title(chart))
    # Fonts are sized in points: at the screen's dots per inch they take the room they take
    # on screen (QSvgGenerator's own default is 72, which shrinks the text against the plot).
    generator.setResolution(chart.plot_widget.logicalDpiX())
    painter = QPainter(generator)
    try:
        target = QRectF(0, 0, scene_rect.width(), scene_rect.height())
        chart.plot_widget.scene().render(painter, target, scene_rect)
    finally:
        painter.end()
    return "drawn by Qt"


def _could_not(what: str, path: str, error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"Could not save {what} to {path}: {reason}"
