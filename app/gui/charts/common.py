"""What every chart shares: a title, a one-line caption for students, a styled plot, and the
contract the window draws it by: `reset()` before a run, `draw(snapshot)` for each frame, and
`apply_zoom()` when presenter mode's zoom changes (fonts, axis room, line widths).

Moving an axis range is the most expensive thing a pyqtgraph plot does (every axis re-lays
out its ticks), so ranges only move in steps to "nice" round values, and only when they change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from app.gui.theme import (
    MUTED_TEXT_COLOUR,
    caption_label,
    line_width,
    scaled_font,
    zoom_percent,
)
from app.stats import Snapshot, WorkerView

NICE_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
TICK_STEPS = (1.0, 2.0, 5.0, 10.0)  # tick spacings: 1, 2 or 5 x a power of ten
TICK_GAP_PX = 12  # at least this much space between two tick labels
WIDEST_WORKER_NAME = "SpawnPoolWorker-10"
MIN_PLOT_HEIGHT = 90  # px at 100 %: three charts and the history fit 1280x720


def worker_label(worker: WorkerView) -> str:
    """How a worker is named on every chart: its name and its process id."""
    return f"{worker.name} · pid {worker.pid}"


def short_worker_label(worker: WorkerView) -> str:
    """A worker in a few characters: its pid, or for a thread (its process's threads share
    one pid) its thread's name."""
    if ":" in worker.worker:  # the engine keys threads "pid:thread-id"
        return worker.name.removesuffix(" (worker)")
    return f"pid {worker.pid}"


def format_tick(value: float, spacing: float) -> str:
    """A tick label short enough for a projector: '2.0 M', '15 k', '0.25', never '2e+06'.

    Ticks `spacing` apart get just enough decimals to differ from each other."""
    size = max(abs(value), abs(spacing))
    unit, suffix = (1e6, " M") if size >= 1e6 else (1e3, " k") if size >= 1e4 else (1.0, "")
    if abs(value) < abs(spacing) * 1e-6:
        return "0"
    step = spacing / unit
    decimals = 1 if suffix == " M" and step < 10 else 0  # "2.0 M", but "50 M"
    while decimals < 6 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    return f"{value / unit:.{decimals}f}{suffix}"


class ReadableAxis(pg.AxisItem):
    """An axis whose labels read '2.0 M', not '2e+06', and never run into each other: the
    spacing of labelled ticks grows until the widest label fits between two of them."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [format_tick(value * scale, spacing * scale) for value in values]

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        span = maxVal - minVal
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or span <= 0 or size <= 0:
            return levels
        metrics = QFontMetrics(self.style.get("tickFont") or self.font())
        spacing = levels[0][0]
        for _ in range(40):
            first = math.ceil(minVal / spacing) * spacing
            labels = [
                format_tick(first + k * spacing, spacing) for k in (0, 1, int(span / spacing))
            ]
            if self.orientation in ("left", "right"):
                room = metrics.height()
            else:
                room = max(metrics.horizontalAdvance(label) for label in labels)
            if spacing * size / span >= room + TICK_GAP_PX:
                break
            spacing = _next_tick_step(spacing)
        return [(spacing, 0), (spacing / (2 if _mantissa(spacing) == 5 else 5), 0)]


def _mantissa(spacing: float) -> int:
    return round(spacing / 10.0 ** math.floor(math.log10(spacing) + 1e-9))


def _next_tick_step(spacing: float) -> float:
    power = 10.0 ** math.floor(math.log10(spacing) + 1e-9)
    for step in TICK_STEPS:
        if step * power > spacing * (1 + 1e-9):
            return step * power
    return 10.0 * power


def row_range(rows: int, height_px: float, label_px: float, margin: float = 0.6):
    """The (low, high) range of a chart of `rows` rows one unit apart (row i centred on i),
    with room above the first and below the last for a label `label_px` high centred on its
    row, so no label is cut off however short the rows are."""
    last = max(rows, 2) - 1
    pad = margin
    for _ in range(2):  # the padding shrinks the rows: measure once more with it
        row_px = height_px / (last + 2 * pad) if height_px > 0 else 0.0
        if row_px > 0:
            pad = max(margin, (label_px / 2 + 2) / row_px)
    return -pad, last + pad


def nice_ceiling(value: float, smallest: float = 1.0) -> float:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6, 8 x a power of ten) >= value."""
    if not math.isfinite(value) or value <= smallest:
        return smallest
    power = 10.0 ** math.floor(math.log10(value))
    for step in NICE_STEPS:
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10.0 * power


class ChartPanel(QWidget):
    """A chart with a bold title and a caption that says what a student is looking at.

    A chart makes its plot items once; `draw` only gives them new data, so a frame costs the
    same at the end of a long run as at its start.
    """

    name = ""  # what the chart is called in the registry (app.gui.charts.CHARTS)
    row = 0  # which row of charts in the window it sits in, left to right in registry order
    # Whether a frame with finished tasks shows them at once: the window's chart_data_shown.
    shows_first_data = True

    def __init__(self, title: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self.caption = caption_label(title, caption)
        self._caption_text = caption
        axes = {side: ReadableAxis(side) for side in ("left", "bottom")}
        self.plot_widget = pg.PlotWidget(axisItems=axes)
        self.plot_widget.setMinimumHeight(MIN_PLOT_HEIGHT)
        self.plot_widget.setMenuEnabled(False)
        self.plot_widget.setMouseEnabled(x=False, y=False)
        self.plot_widget.hideButtons()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self._axis_titles: dict[str, str] = {}
        self._left_axis_sample: str | None = None
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            # Only the labelled level has text: minor ticks are lines, so labels never crowd.
            axis.setStyle(autoExpandTextSpace=False, maxTextLevel=0)
            axis.enableAutoSIPrefix(False)
            axis.setTextPen(pg.mkPen("#111111"))
        self._style_axes()
        self._x_range: tuple[float, float] | None = None
        self._y_range: tuple[float, float] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)

    def reset(self) -> None:
        """Empty the chart for a new run."""
        raise NotImplementedError

    def draw(self, snapshot: Snapshot) -> None:
        """Show one frame of the run."""
        raise NotImplementedError

    def apply_zoom(self) -> None:
        """Presenter mode's zoom changed: fonts, the room the axes keep for them, and line
        widths follow it. Subclasses restyle their own items in `zoom_changed`."""
        self._style_axes()
        # Bigger axis type takes room from the data: a zoomed chart may be taller (and scroll).
        self.plot_widget.setMinimumHeight(round(MIN_PLOT_HEIGHT * zoom_percent() / 100))
        for side, text in self._axis_titles.items():
            self.set_axis_label(side, text)
        if self._left_axis_sample is not None:
            self.fit_left_axis(self._left_axis_sample)
        self.zoom_changed()

    def zoom_changed(self) -> None:
        """Restyle what this chart made itself (label fonts, pens) at the new zoom."""

    def _style_axes(self) -> None:
        self.tick_font = scaled_font(-1)
        # Without auto-expanding text space an axis keeps 18 px for its labels: more for big type.
        text_height = max(18, QFontMetrics(self.tick_font).height())
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setStyle(tickFont=self.tick_font, tickTextHeight=text_height)
            axis.setPen(pg.mkPen(MUTED_TEXT_COLOUR, width=line_width(1)))

    def set_axis_label(self, side: str, text: str) -> None:
        self._axis_titles[side] = text
        size = f"{scaled_font(0).pointSize()}pt"
        self.plot.setLabel(side, text, **{"font-size": size, "color": "#111111"})

    def fit_left_axis(self, sample_text: str) -> None:
        """A fixed width for the left axis, so new tick labels never re-lay out the plot."""
        self._left_axis_sample = sample_text
        width = QFontMetrics(self.tick_font).horizontalAdvance(sample_text) + 14
        self.plot.getAxis("left").setWidth(width)

    def set_caption(self, text: str) -> None:
        """The title in bold, then what a student is looking at."""
        if text != self._caption_text:
            self._caption_text = text
            self.caption.setText(text)

    def set_x_range(self, low: float, high: float) -> None:
        if self._x_range != (low, high):
            self._x_range = (low, high)
            self.plot.setXRange(low, high, padding=0)

    def set_y_range(self, low: float, high: float) -> None:
        if self._y_range != (low, high):
            self._y_range = (low, high)
            self.plot.setYRange(low, high, padding=0)


def chart_rows(charts: Sequence[ChartPanel]) -> list[QWidget]:
    """The charts laid out in rows, top to bottom by their `row`: a row of one chart is that
    chart; several in a row share its width in a splitter, left to right in registry order."""
    rows: list[QWidget] = []
    for row in sorted({chart.row for chart in charts}):
        in_row = [chart for chart in charts if chart.row == row]
        if len(in_row) == 1:
            rows.append(in_row[0])
            continue
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for chart in in_row:
            splitter.addWidget(chart)
        splitter.setSizes([500] * len(in_row))
        rows.append(splitter)
    return rows
