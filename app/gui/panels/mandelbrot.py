"""The Mandelbrot tab: the picture a `mandelbrot` run computes, filling in row by row.

Each task of the mandelbrot workload computes one row. As results arrive, each tick draws
only the new rows (the Segments of the tick say which task indices came from which worker;
`Run.results_in` hands over just those results), and each row is tinted with the colour its
worker has in the charts: bands of one colour are rows one worker computed, so uneven rows
and load balancing show in the picture itself. "Worker colours" off shows the plain image.
Works the same for processes, threads and serial runs; other workloads have no picture.
"""

from __future__ import annotations

import html
import math
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.engine.records import Segment
from app.gui.charts.common import short_worker_label
from app.gui.panels import Panel
from app.gui.theme import caption_html, worker_colour, worker_pattern
from app.workloads.mandelbrot import HEIGHT, MAX_ITER, WIDTH

NOT_YET = (236, 236, 236)  # a row no result has reached yet: light grey
# (share of the steps to escape, red, green, blue): the plain picture's colours.
PLAIN_STOPS = (
    (0.0, 255, 255, 255),
    (0.2, 150, 200, 240),
    (0.45, 30, 90, 180),
    (0.7, 10, 30, 90),
    (0.9, 240, 180, 30),
    (1.0, 255, 240, 180),
)
MOST_WORKERS_NAMED = 12  # the legend names this many workers, then says how many more
PICTURE_FOR = (
    "The picture is for the Mandelbrot workload: choose \u201cMandelbrot rows\u201d and press "
    "Start to watch it fill in, each row in the colour of the worker that computed it."
)


def escape_share(counts: np.ndarray) -> np.ndarray:
    """0 for a point that escaped at once, towards 1 for one that took almost MAX_ITER steps
    (on a log scale: the steps near the set matter most)."""
    return np.log(np.maximum(counts, 1)) / math.log(MAX_ITER)


def _plain_table() -> np.ndarray:
    """The plain picture's colour for each iteration count: white far out, through blues to
    gold for points that escaped only near the set, black inside it (count == MAX_ITER)."""
    share = escape_share(np.arange(MAX_ITER + 1))
    stops = np.array(PLAIN_STOPS, float)
    table = np.stack(
        [np.interp(share, stops[:, 0], stops[:, channel]) for channel in (1, 2, 3)], axis=1
    )
    table[MAX_ITER] = 0
    return np.round(table).astype(np.uint8)


def _lightness_table() -> np.ndarray:
    """How much of the worker's colour each count keeps in the tinted picture: all of it far
    out, less near the set, none inside it, so the set's shape stays readable."""
    table = 1.0 - 0.8 * escape_share(np.arange(MAX_ITER + 1))
    table[MAX_ITER] = 0.0
    return table


PLAIN_TABLE = _plain_table()
LIGHTNESS_TABLE = _lightness_table()


@lru_cache(maxsize=256)
def pattern_mask(slot: int) -> np.ndarray:
    """Columns to lighten for the worker in this slot: none for the first 7 workers, then
    stripes, dots or a hatch, as its blocks have in the charts (the colours come round again)."""
    columns = np.arange(WIDTH)
    pattern = worker_pattern(slot)
    if pattern == "stripes":
        return columns % 16 < 5
    if pattern == "dots":
        return columns % 8 == 0
    if pattern == "crosshatch":
        return columns % 24 < 2
    return np.zeros(WIDTH, bool)


@lru_cache(maxsize=256)
def worker_rgb(slot: int) -> np.ndarray:
    """The worker's chart colour as (red, green, blue), 0 to 255."""
    colour = worker_colour(slot)
    return np.array((colour.red(), colour.green(), colour.blue()), float)


def tinted_row(counts: np.ndarray, slot: int) -> np.ndarray:
    """One row (WIDTH x 3 bytes) in its worker's colour: the colour times the row's lightness."""
    row = LIGHTNESS_TABLE[counts][:, None] * worker_rgb(slot)
    mask = pattern_mask(slot)
    # Towards white as light as the pixel may be: the pattern shows on any colour, not on black.
    white = 255 * LIGHTNESS_TABLE[counts][mask][:, None]
    row[mask] += (white - row[mask]) * 0.55
    return np.round(row).astype(np.uint8)


class MandelbrotPicture:
    """The picture's data: each row's iteration counts and which worker's slot computed it.
    `rgb` is what is shown (HEIGHT x WIDTH x 3), kept up to date one row at a time."""

    def __init__(self) -> None:
        self.counts = np.zeros((HEIGHT, WIDTH), np.uint16)
        self.slot_of_row = np.full(HEIGHT, -1, np.int32)  # -1: no result for this row yet
        self.rgb = np.empty((HEIGHT, WIDTH, 3), np.uint8)
        self.tinted = True
        self.clear()

    def clear(self) -> None:
        self.counts[:] = 0
        self.slot_of_row[:] = -1
        self.rgb[:] = NOT_YET

    def add_row(self, row: int, counts, slot: int) -> None:
        """Row `row` (0 is the top) has arrived from the worker in `slot`."""
        self.counts[row] = counts
        self.slot_of_row[row] = slot
        self._paint(row)

    def set_tinted(self, tinted: bool) -> None:
        """Worker colours (True) or the plain picture: every row that has arrived, repainted."""
        self.tinted = tinted
        for row in np.flatnonzero(self.slot_of_row >= 0):
            self._paint(int(row))

    def rows_by_slot(self) -> dict[int, int]:
        """How many rows of the picture each worker's slot computed (the last time a row was
        computed, for runs that compute the picture more than once)."""
        slots, rows = np.unique(self.slot_of_row[self.slot_of_row >= 0], return_counts=True)
        return dict(zip(slots.tolist(), rows.tolist(), strict=True))

    def _paint(self, row: int) -> None:
        counts = self.counts[row]
        if self.tinted:
            self.rgb[row] = tinted_row(counts, int(self.slot_of_row[row]))
        else:
            self.rgb[row] = PLAIN_TABLE[counts]


class MandelbrotPanel(Panel):
    name = "mandelbrot"
    title = "Mandelbrot"

    def __init__(self) -> None:
        super().__init__()
        self.picture = MandelbrotPicture()
        self._window = None
        self._run = None
        self._slots: dict[str, int] = {}  # the engine's worker key -> its colour slot
        self._names: dict[int, str] = {}  # slot -> a short name for the legend
        self._dirty = False

        # Beside the picture, not above it: the tab is short, and the picture needs the height.
        self.caption = QLabel(
            caption_html(
                "The picture, row by row",
                "Each task computes one row. A row takes the colour of the worker that "
                "computed it, as in the charts; black is the set, where rows cost the most.",
            )
        )
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.tint_check = QCheckBox("Worker colours")
        self.tint_check.setChecked(True)
        self.tint_check.setToolTip("Off: the plain picture. On: each row in its worker's colour.")
        self.tint_check.toggled.connect(self.set_tinted)
        self.message = QLabel(PICTURE_FOR)
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend = QLabel()
        self.legend.setObjectName("hint")
        self.legend.setWordWrap(True)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend.setTextFormat(Qt.TextFormat.RichText)

        self.view_widget = pg.GraphicsLayoutWidget()
        self.view_widget.setMinimumHeight(60)
        self.view = self.view_widget.addViewBox()
        self.view.setAspectLocked(True)
        self.view.invertY(True)  # row 0 at the top, as the workload numbers them
        self.view.setMouseEnabled(x=False, y=False)
        self.view.setMenuEnabled(False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self.view.setRange(xRange=(0, WIDTH), yRange=(0, HEIGHT), padding=0.01)
        self.image_item.setImage(self.picture.rgb, levels=(0, 255))

        # The side column scrolls: however many workers the legend names, the tab asks for no
        # more height, and the charts above keep theirs.
        side_widget = QWidget()
        side = QVBoxLayout(side_widget)
        side.setContentsMargins(0, 0, 4, 0)
        side.addWidget(self.caption)
        side.addWidget(self.tint_check)
        side.addWidget(self.legend)
        side.addStretch(1)
        self.side_area = QScrollArea()
        self.side_area.setWidget(side_widget)
        self.side_area.setWidgetResizable(True)
        self.side_area.setFrameShape(QFrame.Shape.NoFrame)
        self.side_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QHBoxLayout()
        body.addWidget(self.view_widget, 3)
        body.addWidget(self.side_area, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addWidget(self.message)
        layout.addLayout(body, 1)
        self._show_picture(False)

    def attach(self, window) -> None:
        self._window = window

    # -- the run ---------------------------------------------------------------------------

    def run_started(self, config) -> None:
        self._run = None
        self._slots.clear()
        self._names.clear()
        if config.workload != "mandelbrot":
            self.message.setText(PICTURE_FOR)
            self._show_picture(False)
            return
        if config.until_stopped:
            self.message.setText(
                "A run until Stop keeps no results, so it has no picture: untick Until Stop "
                "to watch the picture fill in."
            )
            self._show_picture(False)
            return
        run = self._window.controller.run if self._window is not None else None
        if not hasattr(run, "results_in"):  # a run without results to read (a replay, say)
            self.message.setText("This run hands over no results, so it has no picture.")
            self._show_picture(False)
            return
        self._run = run
        self.picture.clear()
        self._dirty = True
        self._show_picture(True)
        self._refresh()

    def observe(self, frame) -> None:
        if self._run is None or not frame.segments:
            return
        slots = self._slots
        if len(slots) != len(frame.snapshot.workers):
            for worker in frame.snapshot.workers:
                slots[worker.worker] = worker.slot
                self._names[worker.slot] = short_worker_label(worker)
        for segment in frame.segments:
            self.add_segment(segment, slots.get(segment.worker, 0))
        self._refresh()

    def run_finished(self, summary) -> None:
        self._refresh()

    def add_segment(self, segment: Segment, slot: int) -> None:
        """Paint the rows whose results this Segment announced (the task's input is its row)."""
        indices = range(segment.first_index, segment.first_index + segment.count)
        results = self._run.results_in(indices)
        for row, result in zip(self._run.inputs_in(indices), results, strict=False):
            if result is not None and len(result) == WIDTH:
                self.picture.add_row(row % HEIGHT, result, slot)
                self._dirty = True

    # -- drawing ---------------------------------------------------------------------------

    def set_tinted(self, tinted: bool) -> None:
        self.picture.set_tinted(tinted)
        self._dirty = True
        self._refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._refresh()

    def _refresh(self) -> None:
        """Show what changed, if the tab is visible: a hidden tab is drawn when it shows."""
        if not self._dirty or not self.isVisible():
            return
        self._dirty = False
        self.image_item.setImage(self.picture.rgb, levels=(0, 255))
        self.legend.setText(self._legend_html())

    def _legend_html(self) -> str:
        rows = self.picture.rows_by_slot()
        if not rows:
            return ""
        lines = []
        for slot in sorted(rows)[:MOST_WORKERS_NAMED]:
            colour = worker_colour(slot).name()
            name = html.escape(self._names.get(slot, f"worker {slot + 1}"))
            lines.append(f'<span style="color:{colour}">&#9632;</span> {name}: {rows[slot]:,} rows')
        if len(rows) > MOST_WORKERS_NAMED:
            lines.append(f"and {len(rows) - MOST_WORKERS_NAMED} more workers")
        return "<br>".join(lines)

    def _show_picture(self, shown: bool) -> None:
        self.message.setVisible(not shown)
        self.view_widget.setVisible(shown)
        self.side_area.setVisible(shown)
