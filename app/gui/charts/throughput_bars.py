"""Chart 1: one horizontal bar per worker, as long as the tasks it finishes per second now.

Each bar carries its worker's name and pid, which is the point of the chart: with processes
every bar has its own pid, with threads they all share one. With room to spare the label sits
above its bar; with many workers (short rows) a shorter "pid N: rate" sits just past the bar's
end, on every row or on every n-th one, so labels never overlap a bar or each other. The labels
sit inside the plot rather than on an axis, so long names never squeeze the bars.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from app.gui.charts.common import (
    ChartPanel,
    nice_ceiling,
    row_range,
    short_worker_label,
    worker_label,
)
from app.gui.theme import scaled_font, worker_brush
from app.stats import EMPTY, Snapshot, WorkerView, format_rate

LIVE_CAPTION = "One bar per worker: tasks it finished per second over the last 2 s."
FINAL_CAPTION = "One bar per worker: its tasks per second averaged over the whole run."
# Rows are one unit high. Above: the label fills the upper part of a row, the bar the lower.
BAR_HEIGHT = 0.45
LABEL_ROOM = 0.5  # of a row: the label above a bar needs its whole height to fit in this
# Beside: short rows give the bar most of the row and put the label past its end.
COMPACT_BAR_HEIGHT = 0.7
LABEL_GAP_PX = 6
FADED = 90  # alpha of a gone worker's bar


class ThroughputBarsChart(ChartPanel):
    name = "bars"

    def __init__(self) -> None:
        super().__init__("Throughput per worker", LIVE_CAPTION)
        self.set_axis_label("bottom", "tasks per second")
        self.plot.hideAxis("left")
        self.plot.showGrid(x=True, y=False, alpha=0.25)
        self.plot.invertY(True)  # the first worker on top, as in the timeline
        self.bars = pg.BarGraphItem(
            x0=[], y0=[], width=[], height=BAR_HEIGHT, brushes=[], pen=pg.mkPen("#333333")
        )
        self.plot.addItem(self.bars)
        self._label_font = scaled_font(-1, bold=True)
        self._metrics = QFontMetrics(self._label_font)
        # A TextItem's text sits in a document with a margin all round: measure it whole.
        probe = pg.TextItem("")
        self._text_margin = 2 * probe.textItem.document().documentMargin()
        self._labels: list[pg.TextItem] = []  # one per worker, made as workers appear
        self._shown_texts: list[str] = []  # what each label says, to skip unchanged texts
        self._look: tuple = ()
        self._last = EMPTY
        self.plot.getViewBox().sigResized.connect(self._redraw)
        self.reset()

    def reset(self) -> None:
        self.bars.setOpts(x0=[], y0=[], width=[])
        for label in self._labels:
            label.setText("")
        self._shown_texts = [""] * len(self._labels)
        self._look = ()
        self._last = EMPTY
        self.set_y_range(-0.6, 1.6)
        self.set_x_range(0, 1)
        self.set_caption(LIVE_CAPTION)

    def draw(self, snapshot: Snapshot) -> None:
        """Draw each worker's rate (live, or its average over the whole run at the end)."""
        workers, rates, final = snapshot.workers, snapshot.rates, snapshot.final
        count = len(workers)
        self._last = snapshot
        if count == 0:
            return
        values = np.fromiter((rates.get(w.worker, 0.0) for w in workers), float, count)
        line = self._metrics.height() + self._text_margin
        self.set_y_range(-0.6, max(count, 2) - 0.4)
        above = line <= LABEL_ROOM * self._row_pixels()
        if not above:  # labels centred on their rows: room for the first and the last
            self.set_y_range(*row_range(count, self.plot.getViewBox().height(), line))
        row_px = self._row_pixels()
        every = 1 if above or line <= row_px else math.ceil(line / max(row_px, 1e-9))
        height = BAR_HEIGHT if above else COMPACT_BAR_HEIGHT
        look = (tuple((w.worker, w.alive, w.died) for w in workers), height)
        if look != self._look:
            # Workers came or went, or the rows changed size: built in full (rare).
            self._look = look
            while len(self._labels) < count:
                self._add_label()
            self.bars.setOpts(
                x0=np.zeros(count),
                y0=np.arange(count, dtype=float) - (0 if above else height / 2),
                height=height,
                width=values,
                # An outline on bars a few pixels high would paint them all dark grey.
                pen=pg.mkPen("#333333") if row_px * height >= 6 else pg.mkPen(None),
                brushes=[worker_brush(w.slot, 255 if w.alive else FADED) for w in workers],
            )
        else:
            self.bars.setOpts(width=values)
        texts = [
            _label_text(worker, float(value), final, above) if row % every == 0 else ""
            for row, (worker, value) in enumerate(zip(workers, values, strict=True))
        ]
        # The scale only grows during a run, in round steps, so bars compare across frames;
        # beside the bars it also leaves room for each label past its bar's end.
        x_max = max(self._x_range[1] if self._x_range else 1.0, nice_ceiling(values.max() * 1.1))
        if not above:
            x_max = max(x_max, self._room_for_labels(values, texts, every))
        self.set_x_range(0, x_max)
        units_per_px = x_max / max(self.plot.getViewBox().width(), 1.0)
        for row, text in enumerate(texts):
            label = self._labels[row]
            if text != self._shown_texts[row]:
                self._shown_texts[row] = text
                label.setText(text)
            if above:
                label.setAnchor((0, 1))
                label.setPos(0.0, row - 0.04)
            else:
                label.setAnchor((0, 0.5))
                # Past the longest bar of the rows the label's height spans, not across one.
                reach = float(values[max(0, row - every // 2) : row + every // 2 + 1].max())
                label.setPos(reach + LABEL_GAP_PX * units_per_px, float(row))
        self.set_caption(FINAL_CAPTION if final else LIVE_CAPTION)

    def _row_pixels(self) -> float:
        low, high = self._y_range or (0.0, 1.0)
        return self.plot.getViewBox().height() / max(high - low, 1e-9)

    def _room_for_labels(self, values: np.ndarray, texts: list[str], every: int) -> float:
        """The smallest round scale at which every label fits past its bar's end."""
        width = self.plot.getViewBox().width()
        needed = 0.0
        for row, text in enumerate(texts):
            value = values[max(0, row - every // 2) : row + every // 2 + 1].max()
            if text:
                text_width = self._metrics.horizontalAdvance(text) + self._text_margin
                free = width - text_width - 2 * LABEL_GAP_PX
                needed = max(needed, float(value) * width / max(free, width * 0.2))
        return nice_ceiling(needed) if needed > 0 else 0.0

    def zoom_changed(self) -> None:
        self._label_font = scaled_font(-1, bold=True)
        self._metrics = QFontMetrics(self._label_font)
        for label in self._labels:
            label.setFont(self._label_font)
        self._redraw()

    def _redraw(self) -> None:
        """Rows change size with the window: lay the labels out again."""
        if self._last.workers:
            self._look = ()
            self.draw(self._last)

    def _add_label(self) -> None:
        label = pg.TextItem("", color="#111111", anchor=(0, 1))
        label.setFont(self._label_font)
        self.plot.addItem(label)
        self._labels.append(label)
        self._shown_texts.append("")


def _label_text(worker: WorkerView, rate: float, final: bool, above: bool) -> str:
    name = worker_label(worker) if above else short_worker_label(worker)
    return f"{name}:  {_state(worker, rate, final)}"


def _state(worker: WorkerView, rate: float, final: bool) -> str:
    if worker.alive or final:
        return format_rate(rate)
    return "died" if worker.died else "gone (its pool was replaced)"
