"""The table of finished runs, so a class can compare them: speedup, processes vs threads.

Every number in the table is measured. Speedup is only shown against a real one-worker run of
the same workload, task count and executor; until there is one, the cell says how to get it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.records import RunSummary
from app.gui.theme import caption_label
from app.stats import efficiency, speedup

MAX_ROWS = 100
NO_BASELINE = "run with 1 worker to compare"
COLUMNS = ("Workload", "Executor", "Workers", "Tasks", "Wall time", "Tasks/s", "Speedup")
RIGHT_ALIGNED = (2, 3, 4, 5)  # the numbers


@dataclass(frozen=True, slots=True)
class FinishedRun:
    summary: RunSummary

    @property
    def comparable(self) -> bool:
        """Only complete runs are fair to compare: a stopped run did less work."""
        s = self.summary
        return not s.stopped and s.error is None and s.completed + s.failed == s.tasks

    def same_experiment(self, other: FinishedRun) -> bool:
        a, b = self.summary, other.summary
        return (a.workload, a.tasks, a.executor) == (b.workload, b.tasks, b.executor)


def baseline_for(run: FinishedRun, runs: list[FinishedRun]) -> FinishedRun | None:
    """The latest complete 1-worker run of the same workload, task count and executor."""
    for candidate in reversed(runs):
        if (
            candidate.summary.workers == 1
            and candidate.comparable
            and candidate.same_experiment(run)
        ):
            return candidate
    return None


def speedup_text(run: FinishedRun, runs: list[FinishedRun]) -> str:
    if not run.comparable:
        return "stopped, not compared" if run.summary.stopped else "did not finish"
    baseline = baseline_for(run, runs)
    if baseline is None or run.summary.wall_s <= 0:
        return NO_BASELINE
    if baseline is run:
        return "1.00× (the baseline)"
    factor = speedup(baseline.summary.wall_s, run.summary.wall_s)
    share = efficiency(factor, run.summary.workers)
    return f"{factor:.2f}×  ({share:.0%} per worker)"


def row_cells(run: FinishedRun, runs: list[FinishedRun]) -> tuple[str, ...]:
    """The texts of one row of the table, in the order of `COLUMNS`."""
    s = run.summary
    done = s.completed + s.failed
    return (
        s.workload,
        s.executor,
        str(s.workers),
        f"{s.tasks:,}" if run.comparable else f"{done:,} of {s.tasks:,}",
        f"{s.wall_s:.2f} s",
        f"{s.throughput:,.1f}",
        speedup_text(run, runs),
    )


class HistoryTable(QWidget):
    """One row per finished run, newest at the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        caption = caption_label(
            "Run history",
            "Run once with 1 worker, then with more: the last column says how many times "
            "faster. Then try threads instead of processes.",
        )
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        # Not ResizeToContents: that mode measures every row again on every cell change, so
        # filling a full table cost a second. The columns grow to fit each new row instead.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnsToContents()  # the headings' widths, while the table is empty
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(caption)
        layout.addWidget(self.table, 1)
        self.runs: list[FinishedRun] = []

    def add(self, summary: RunSummary) -> FinishedRun:
        """Append a row, drop the oldest beyond `MAX_ROWS`, and rewrite only the speedups that
        changed: the cost of an add does not grow with the table."""
        run = FinishedRun(summary)
        self.runs.append(run)
        dropped = self.runs[:-MAX_ROWS]
        del self.runs[:-MAX_ROWS]
        for _ in dropped:
            self.table.removeRow(0)
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate(row_cells(run, self.runs)):
            item = QTableWidgetItem(text)
            if column in RIGHT_ALIGNED:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
        self._widen_columns_for(row)
        # Only a 1-worker run, arriving or leaving, changes the speedup of other rows, and only
        # of rows of the same experiment.
        for changed in (run, *dropped):
            if changed.summary.workers == 1 and changed.comparable:
                self._rewrite_speedups(changed)
        self.table.scrollToBottom()
        return run

    def speedup_text(self, run: FinishedRun) -> str:
        return speedup_text(run, self.runs)

    def _rewrite_speedups(self, experiment: FinishedRun) -> None:
        last = len(COLUMNS) - 1
        for row, run in enumerate(self.runs):
            if run.same_experiment(experiment):
                item = self.table.item(row, last)
                text = speedup_text(run, self.runs)
                if item.text() != text:
                    item.setText(text)

    def _widen_columns_for(self, row: int) -> None:
        header = self.table.horizontalHeader()
        grid = 1 if self.table.showGrid() else 0
        for column in range(len(COLUMNS) - 1):  # the last column stretches
            index = self.table.model().index(row, column)
            needed = self.table.sizeHintForIndex(index).width() + grid
            if needed > header.sectionSize(column):
                header.resizeSection(column, needed)

    def rows(self) -> list[list[str]]:
        """The table as text: what tests read."""
        return [
            [self.table.item(r, c).text() for c in range(self.table.columnCount())]
            for r in range(self.table.rowCount())
        ]
