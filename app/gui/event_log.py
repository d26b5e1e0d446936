"""The event log: what happened during a run, in words, with tracebacks one click away.

A list item per event a student should notice (a worker starting or dying, the pool being
replaced, a task failing, the run ending). Clicking a failed task shows its traceback in the
box below the list: no modal dialog, so the run keeps being drawn while you read.
The log is capped so a run with thousands of failures cannot grow it without bound.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.engine.records import (
    ExecutorNote,
    PoolRestarted,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerStuck,
)
from app.gui.fitted_label import FittedLabel
from app.gui.theme import set_scaled_font

MAX_ITEMS = 1000
MAX_FAILURES_SHOWN = 100  # per run; the status panel still counts every failure
MAX_STARTS_SHOWN = 4  # "Worker started" lines per run; the rest are counted on one line
DETAIL_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 1

KIND_COLOURS = {
    "info": "#111111",
    "started": "#333333",
    "died": "#B04600",
    "restarted": "#0060A0",
    "failed": "#A00000",
    "finished": "#005A8C",
    "user": "#6A1B9A",
    "error": "#A00000",
}
BOLD_KINDS = {"died", "restarted", "finished", "error", "user"}


def describe_tasks(indices: tuple[int, ...], limit: int = 6) -> str:
    if not indices:
        return "no task in progress"
    shown = ", ".join(f"#{i}" for i in indices[:limit])
    more = f" and {len(indices) - limit} more" if len(indices) > limit else ""
    noun = "task" if len(indices) == 1 else "tasks"
    return f"was running {noun} {shown}{more}"


class EventLog(QWidget):
    """A capped list of events plus a box that shows the details of the selected one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # A fitted label, not a wrapping one: in this box layout a wrapping label squeezes the
        # list below it; this one reserves two lines and never cuts the hint off unseen.
        caption = FittedLabel("click a failed task for its traceback", lines=2, title="Event log")
        caption.setObjectName("caption")
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select an event to see its details here.")
        set_scaled_font(self.detail, -1, fixed=True)
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(caption)
        layout.addWidget(splitter, 1)
        self.list.currentItemChanged.connect(self._show_detail)
        self._failures_this_run = 0
        self._failures_hidden_item: QListWidgetItem | None = None
        self._starts_this_run = 0
        self._starts_item: QListWidgetItem | None = None
        self.detail.hide()  # until an event is chosen: the list gets the room

    def new_run(self) -> None:
        self._failures_this_run = 0
        self._failures_hidden_item = None
        self._starts_this_run = 0
        self._starts_item: QListWidgetItem | None = None

    def add(self, text: str, kind: str = "info", detail: str | None = None) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(DETAIL_ROLE, detail if detail is not None else text)
        item.setData(KIND_ROLE, kind)
        item.setForeground(QBrush(QColor(KIND_COLOURS.get(kind, "#111111"))))
        if kind in BOLD_KINDS:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.list.addItem(item)
        while self.list.count() > MAX_ITEMS:
            self.list.takeItem(0)
        self.list.scrollToBottom()
        return item

    def add_event(self, event: object) -> None:
        """Log one engine record if a student should see it (Segments are for the charts)."""
        if isinstance(event, WorkerStarted):
            self._add_start(event)
        elif isinstance(event, WorkerStuck):
            self.add(
                f"{event.at:6.2f} s  Worker stuck: {event.name}: {event.reason}; "
                "killing it and running its tasks again",
                "died",
            )
        elif isinstance(event, WorkerDied):
            self.add(
                f"{event.at:6.2f} s  Worker died: {event.name}, pid {event.pid}, "
                f"{event.cause}; {describe_tasks(tuple(event.running))}",
                "died",
            )
        elif isinstance(event, PoolRestarted):
            what = "Pool restarted" if event.pool_replaced else "Tasks rescheduled"
            how = f". {event.how[0].upper()}{event.how[1:]}." if event.how else ""
            self.add(
                f"{event.at:6.2f} s  {what}: {event.retried} started task(s) run again, "
                f"{event.requeued} waiting task(s) sent again{how}",
                "restarted",
            )
        elif isinstance(event, ExecutorNote):
            self.add(f"{event.at:6.2f} s  {event.text}", "info")
        elif isinstance(event, TaskFailed):
            self._add_failure(event)

    def items(self) -> list[tuple[str, str]]:
        """(kind, text) of every entry: what tests and the self-test read."""
        return [
            (self.list.item(i).data(KIND_ROLE), self.list.item(i).text())
            for i in range(self.list.count())
        ]

    def _add_failure(self, event: TaskFailed) -> None:
        self._failures_this_run += 1
        if self._failures_this_run <= MAX_FAILURES_SHOWN:
            self.add(
                f"Task #{event.index} failed on {event.name} (pid {event.pid}): "
                f"{event.exc_type}: {event.message}",
                "failed",
                detail=event.traceback or f"{event.exc_type}: {event.message}",
            )
            return
        hidden = self._failures_this_run - MAX_FAILURES_SHOWN
        text = f"... and {hidden:,} more failed task(s), counted but not listed"
        self._failures_hidden_item = self._keep_up_to_date(
            self._failures_hidden_item, text, "failed"
        )

    def _add_start(self, event: WorkerStarted) -> None:
        # With 64 workers, 64 lines would push everything else out of sight: the first few
        # are listed, the rest counted on one line that keeps up to date.
        self._starts_this_run += 1
        if self._starts_this_run <= MAX_STARTS_SHOWN:
            self.add(f"{event.at:6.2f} s  Worker started: {event.name}, pid {event.pid}", "started")
            return
        more = self._starts_this_run - MAX_STARTS_SHOWN
        text = f"{event.at:6.2f} s  ... and {more} more worker(s) started, the last {event.name}"
        self._starts_item = self._keep_up_to_date(self._starts_item, text, "started")

    def _keep_up_to_date(
        self, item: QListWidgetItem | None, text: str, kind: str
    ) -> QListWidgetItem:
        """One line that counts what is not listed: added once, then rewritten in place."""
        if item is None or self.list.row(item) < 0:
            return self.add(text, kind)
        item.setText(text)
        item.setData(DETAIL_ROLE, text)
        return item

    def _show_detail(self, current: QListWidgetItem | None, _previous: object) -> None:
        self.detail.setVisible(current is not None)
        self.detail.setPlainText("" if current is None else str(current.data(DETAIL_ROLE)))
