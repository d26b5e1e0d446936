"""The "Time spent" tab: where each worker's time went, in five parts, and the run's costs.

The chart (`app.gui.charts.where_time_went`) draws a stacked bar per worker; beside it, the
run's totals: bytes and messages sent, and the share of the workers' time that starting up,
computing, waiting, sending and idling took (`app.stats.time_budget`, measured by the engine).
The books arrive four times a second at most; a tab out of sight draws nothing until shown.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.gui.charts.where_time_went import WhereTimeWentChart, part_colour
from app.gui.panels import Panel
from app.gui.theme import set_scaled_font
from app.stats import EMPTY, PARTS, Snapshot, costs_sentence, format_share, run_costs

WAITING_TEXT = "Start a run: each worker's start-up, computing, waiting, sending and idle time."


class WhereTimeWentPanel(Panel):
    name = "where-time-went"
    title = "Time spent"  # short: six tabs share a 1280-pixel window

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart = WhereTimeWentChart()
        self.totals = QLabel(WAITING_TEXT)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)
        self.totals.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        set_scaled_font(self.totals, -1)  # follows the presenter zoom
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.chart, 3)
        layout.addWidget(self.totals, 2)
        self._pending: Snapshot = EMPTY  # the newest frame, drawn when the tab is in sight
        self._drawn: object = None

    def attach(self, window) -> None:
        """Add 'Mark chunk boundaries' to the View menu: the timeline's marks where each chunk
        (one message of work) began, off at first."""
        from PySide6.QtGui import QAction

        timeline = next(chart for chart in window.charts if chart.name == "timeline")
        self.chunk_marks_action = QAction("Mark &chunk boundaries in the timeline", window)
        self.chunk_marks_action.setCheckable(True)

        def show_marks(shown: bool) -> None:
            timeline.set_chunk_marks(shown)
            window.refresh_charts()

        self.chunk_marks_action.toggled.connect(show_marks)
        window.view_menu.addAction(self.chunk_marks_action)

    def run_started(self, config) -> None:
        self.chart.reset()
        self._pending, self._drawn = EMPTY, None
        self.totals.setText(WAITING_TEXT)

    def observe(self, frame) -> None:
        self._pending = frame.snapshot
        if self.isVisible():
            self.show_frame()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.show_frame()

    def show_frame(self) -> None:
        """Draw the newest frame's books, if they changed since the last drawing."""
        snapshot = self._pending
        if snapshot.costs is self._drawn:
            return
        self._drawn = snapshot.costs
        self.chart.draw(snapshot)
        self.totals.setText(totals_text(snapshot))


def totals_text(snapshot: Snapshot) -> str:
    """The run's costs in words, then each part's share of the workers' time."""
    workers = [snapshot.costs[w.worker] for w in snapshot.workers if w.worker in snapshot.costs]
    if not workers:
        return WAITING_TEXT
    when = "" if snapshot.final else "So far: "
    shares = run_costs(workers).shares
    first_slot = snapshot.workers[0].slot
    legend = "&nbsp;&nbsp; ".join(
        f'<span style="color:{part_colour(part, first_slot)}">\u25a0</span>&nbsp;'
        f"{part.replace(' ', '&nbsp;')}&nbsp;{format_share(share)}"
        for part, share in zip(PARTS, shares, strict=True)
    )
    return f"{when}{escape(costs_sentence(workers))}<br>Of the workers' time: {legend}"
