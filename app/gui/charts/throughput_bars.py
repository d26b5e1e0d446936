"""Chart 1: one horizontal bar per worker, as long as the tasks it finishes per second now.

Each bar carries its worker's name and pid above it, which is the point of the chart: with
processes every bar has its own pid, with threads they all share one. The labels sit inside the
plot rather than on an axis, so long names never squeeze the bars.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from app.gui.charts.common import ChartPanel, nice_ceiling, worker_label
from app.gui.theme import scaled_font, worker_colour
from app.stats import Snapshot, WorkerView, format_rate

LIVE_CAPTION = "One bar per worker: tasks it finished per second over the last 2 s."
FINAL_CAPTION = "One bar per worker: its tasks per second averaged over the whole run."
BAR_HEIGHT = 0.45  # of a row one unit high; the upper part holds the label


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
        self._labels: list[pg.TextItem] = []  # one per worker, made as workers appear
        self._shown_texts: list[str] = []  # what each label says, to skip unchanged texts
        self._look: tuple = ()
        self.reset()

    def reset(self) -> None:
        self.bars.setOpts(x0=[], y0=[], width=[])
        for label in self._labels:
            label.setText("")
        self._shown_texts = [""] * len(self._labels)
        self._look = ()
        self.set_y_range(-0.6, 1.6)
        self.set_x_range(0, 1)
        self.set_caption(LIVE_CAPTION)

    def draw(self, snapshot: Snapshot) -> None:
        """Draw each worker's rate (live, or its average over the whole run at the end)."""
        workers, rates, final = snapshot.workers, snapshot.rates, snapshot.final
        count = len(workers)
        if count == 0:
            return
        values = np.fromiter((rates.get(w.worker, 0.0) for w in workers), float, count)
        look = tuple((w.worker, w.alive, w.died) for w in workers)
        if look != self._look:
            # Workers came or went: new colours and labels (rare, so built in full).
            self._look = look
            while len(self._labels) < count:
                self._add_label()
            self.bars.setOpts(
                x0=np.zeros(count),
                y0=np.arange(count, dtype=float),
                width=values,
                brushes=[_bar_brush(w) for w in workers],
            )
        else:
            self.bars.setOpts(width=values)
        # The scale only grows during a run, in round steps, so bars compare across frames.
        x_max = max(self._x_range[1] if self._x_range else 1.0, nice_ceiling(values.max() * 1.1))
        self.set_x_range(0, x_max)
        self.set_y_range(-0.75, max(count, 2) - 0.25)
        for position, (worker, value) in enumerate(zip(workers, values, strict=True)):
            text = f"{worker_label(worker)}:  {_state(worker, float(value), final)}"
            if text != self._shown_texts[position]:
                self._shown_texts[position] = text
                label = self._labels[position]
                label.setText(text)
                label.setPos(0.0, position - 0.04)
        self.set_caption(FINAL_CAPTION if final else LIVE_CAPTION)

    def _add_label(self) -> None:
        label = pg.TextItem("", color="#111111", anchor=(0, 1))
        label.setFont(self._label_font)
        self.plot.addItem(label)
        self._labels.append(label)
        self._shown_texts.append("")


def _state(worker: WorkerView, rate: float, final: bool) -> str:
    if worker.alive or final:
        return format_rate(rate)
    return "died" if worker.died else "gone (its pool was replaced)"


def _bar_brush(worker: WorkerView) -> QColor:
    colour = QColor(worker_colour(worker.slot))
    if not worker.alive:
        colour.setAlpha(90)  # a faded bar: this worker is gone
    return pg.mkBrush(colour)
