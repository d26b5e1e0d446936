"""The table of finished runs, so a class can compare them: speedup, processes vs threads.

Every number in the table is measured, by the rules of `app.stats.comparison`: speedup against
a real 1-worker run of the same job and executor (until there is one, the cell says so), and
against a serial run of the same job when there is one. A row keeps the figures it was first
measured with; a later 1-worker run measures later rows only.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.records import RunSummary
from app.engine.replay import Provenance
from app.gui.theme import caption_label, zoom_percent
from app.stats.comparison import NO_ONE_WORKER_RUN, Comparison, Comparisons

MAX_ROWS = 100
NO_BASELINE = NO_ONE_WORKER_RUN
COLUMNS = (
    "Workload",
    "Executor",
    "Workers",
    "Tasks",
    "Wall time",
    "Tasks/s",
    "Speedup",
    "Against serial",
)
RIGHT_ALIGNED = (2, 3, 4, 5)  # the numbers
SPEEDUP_COLUMNS = (6, 7)  # the cells a later baseline can fill in
ROWS_SHOWN = 4  # at least this many rows fit: the GIL lesson compares four runs
ZOOMED_ROWS_FROM = 150  # presenter mode's zoom from which the table keeps room for 2 rows


def row_cells(run: Comparison) -> tuple[str, ...]:
    """The texts of one row of the table, in the order of `COLUMNS`."""
    s = run.run
    done = s.completed + s.failed
    return (
        s.workload,
        s.executor,
        str(s.workers),
        f"{s.tasks:,}" if run.not_compared is None else f"{done:,} of {s.tasks:,}",
        f"{s.wall_s:.2f} s",
        f"{s.throughput:,.1f}",
        run.speedup_text(),
        run.serial_text(),
    )


class HistoryTable(QWidget):
    """One row per finished run, newest at the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        caption = caption_label(
            "Run history",
            "Run with 1 worker, then more: Speedup says how many times faster. Then try threads.",
            lines=1,
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
        self._fit_to_font()
        self._refit_timer = QTimer(self)  # dies with the table: never fires on a deleted one
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(0)
        self._refit_timer.timeout.connect(self._fit_to_font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(caption)
        layout.addWidget(self.table, 1)
        self._comparisons = Comparisons(keep=MAX_ROWS)

    def _fit_to_font(self) -> None:
        self.table.resizeColumnsToContents()  # the headings' widths (and the rows', if any)
        # Rows as tall as the text needs, and room for `ROWS_SHOWN` of them whatever the
        # splitter does: the GIL lesson compares four runs, and a class should see them at once.
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        # Zoomed on a small screen, the charts need the height more: two rows, and a scroll bar.
        rows_shown = ROWS_SHOWN if zoom_percent() < ZOOMED_ROWS_FROM else 2
        self.table.setMinimumHeight(
            self.table.horizontalHeader().sizeHint().height()
            + rows_shown * rows.defaultSectionSize()
            + 2 * self.table.frameWidth()
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presenter mode's zoom
            # Once the table's header has its new font too (the style sheet makes it bold).
            self._refit_timer.start()

    @property
    def runs(self) -> list[Comparison]:
        """The rows' runs with their figures, oldest first."""
        return list(self._comparisons)

    def add(self, summary: RunSummary, provenance: Provenance | None = None) -> Comparison:
        """Append a row, drop the oldest beyond `MAX_ROWS`, and fill in only the speedups of
        earlier rows that were waiting for the baseline this run is: the cells an add writes do
        not grow with the table, and no row is measured again against a newer baseline.

        A replayed run (`provenance`) is marked, and compared only with runs recorded on the
        same kind of machine: its times were measured there, not here."""
        measured_on = None if provenance is None else ("recorded on", provenance.machine)
        dropped, changed = self._comparisons.add(summary, measured_on)
        for _ in range(dropped):
            self.table.removeRow(0)
        row = self.table.rowCount()
        self.table.insertRow(row)
        run = self._comparisons[row]
        for column, text in enumerate(row_cells(run)):
            item = QTableWidgetItem(text)
            if column in RIGHT_ALIGNED:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
        self._widen_columns_for(row)
        if provenance is not None:
            self.mark(row, provenance.note)
        for earlier in changed:
            if earlier != row:
                self._rewrite_speedups(earlier)
        self.table.scrollToBottom()
        return run

    def mark(self, row: int, note: str) -> None:
        """Say where a row's run came from ("replayed from run.mpprun, recorded on ..."): its
        workload cell says "(replayed)" and every cell's tooltip says the whole note."""
        if not 0 <= row < self.table.rowCount():
            return
        first = self.table.item(row, 0)
        first.setText(f"{first.text()} (replayed)")
        for column in range(self.table.columnCount()):
            self.table.item(row, column).setToolTip(note)
        self._widen_columns_for(row)

    def notes(self) -> list[str]:
        """Each row's note ("" for runs of this window): what tests read."""
        return [self.table.item(r, 0).toolTip() for r in range(self.table.rowCount())]

    def speedup_text(self, run: Comparison) -> str:
        """The speedup of a run, as its row shows it, with the serial figure when there is one."""
        against_serial = run.serial_text()
        if against_serial and run.against_serial and not run.against_serial.of_itself:
            return f"{run.speedup_text()}; {against_serial} against serial"
        return run.speedup_text()

    def _rewrite_speedups(self, row: int) -> None:
        cells = row_cells(self._comparisons[row])
        for column in SPEEDUP_COLUMNS:
            item = self.table.item(row, column)
            if item.text() != cells[column]:
                item.setText(cells[column])
        self._widen_columns_for(row)

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
