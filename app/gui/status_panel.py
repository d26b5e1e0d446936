"""The status strip: a progress bar and big numbers a class can read from the back row."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.control import Books
from app.gui.fitted_label import FittedLabel
from app.gui.theme import set_scaled_font, zoom_percent

TILES = (
    ("done", "Done"),
    ("failed", "Failed"),
    ("retried", "Retried"),
    ("elapsed", "Elapsed"),
    ("eta", "Time left"),
    ("throughput", "Throughput"),
)


class StatusPanel(QWidget):
    """Progress, books (done / failed / retried of total), time and total throughput."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        set_scaled_font(self.progress_bar, 1, bold=True)
        self.progress_bar.setFormat("ready")
        self.progress_bar.setValue(0)
        # Two lines: "Gave up: workers keep dying: ..." names every dead worker and its signal.
        self.state_label = FittedLabel("Choose a workload and press Start.", lines=2)
        set_scaled_font(self.state_label, 0, bold=True)

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 8, 0)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(0)
        self.values: dict[str, QLabel] = {}
        self._tiles: list[tuple[QLabel, QLabel]] = []
        for key, title in TILES:
            name = QLabel(title)
            name.setObjectName("tileName")
            value = QLabel("—")
            value.setObjectName("bigNumber")
            set_scaled_font(value, 5, bold=True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._tiles.append((name, value))
            self.values[key] = value
        self._grid = grid
        self._place_tiles(len(TILES))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state_label)
        layout.addWidget(self.progress_bar)
        layout.addLayout(grid)

    def apply_zoom(self) -> None:
        """Presenter mode's zoom changed: bigger type gets more lines, so the longest status
        ("Gave up: ..." with every dead worker) still fits a 1280x720 screen."""
        zoom = zoom_percent()
        self.state_label.set_lines(2 if zoom < 150 else 3 if zoom < 200 else 4 if zoom < 250 else 5)
        # From 200 %, six big numbers in a row are wider than a 1280x720 screen leaves them.
        self._place_tiles(len(TILES) if zoom < 200 else len(TILES) // 2)

    def _place_tiles(self, columns: int) -> None:
        """The tiles in rows of `columns`: a name above its number."""
        for index, (name, value) in enumerate(self._tiles):
            row, column = divmod(index, columns)
            self._grid.removeWidget(name)  # a widget added twice would sit in two cells
            self._grid.removeWidget(value)
            self._grid.addWidget(name, 2 * row, column)
            self._grid.addWidget(value, 2 * row + 1, column)
        for column in range(len(TILES)):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)

    def show_state(self, text: str) -> None:
        self.state_label.setText(text)

    def show_books(
        self,
        done: int,
        failed: int,
        retried: int,
        total: int | None,
        elapsed_s: float,
        eta_s: float | None,
        throughput: float | None,
    ) -> None:
        """Show the numbers as measured; unknown values show as a dash, never as a guess."""
        if total is None:  # a run until Stop has no end to measure progress against
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat(f"{done:,} tasks done · runs until Stop")
        else:
            fraction = done / total if total else 0.0
            self.progress_bar.setValue(round(fraction * 1000))
            self.progress_bar.setFormat(f"{done:,} of {total:,} tasks  ({fraction:.0%})")
        self.values["done"].setText(f"{done:,}")
        self.values["failed"].setText(f"{failed:,}")
        self.values["retried"].setText(f"{retried:,}")
        self.values["elapsed"].setText(format_seconds(elapsed_s))
        self.values["eta"].setText("—" if eta_s is None else format_seconds(eta_s))
        self.values["throughput"].setText("—" if throughput is None else format_rate(throughput))

    def show(self, books: Books) -> None:
        """Show one tick's numbers."""
        self.show_books(
            books.done,
            books.failed,
            books.retried,
            books.total,
            books.elapsed_s,
            books.eta_s,
            books.rate,
        )

    def reset(self, total: int | None) -> None:
        self.show_books(0, 0, 0, total, 0.0, None, None)


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d} min"


def format_rate(tasks_per_second: float) -> str:
    if tasks_per_second >= 1000:
        return f"{tasks_per_second:,.0f}/s"
    if tasks_per_second >= 10:
        return f"{tasks_per_second:.1f}/s"
    return f"{tasks_per_second:.2f}/s"
