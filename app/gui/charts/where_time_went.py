"""Where the time went: one stacked bar per worker, its life cut into five parts.

Not one of the live charts above (`CHARTS`): at 1280x720 a fourth chart would squeeze the
timeline, so it lives in its own tab below them, `app.gui.panels.where_time_went`.

Starting up, computing, waiting, sending and idle (see `app.stats.time_budget`), left to right,
each as long as the seconds it took, so the bars line up with the timeline's seconds: a bar
ends where its worker's life in the run ended. The parts look as they do in the timeline: dark
grey for starting up, the worker's colour for computing, a pale tint of it for waiting, a dark
shade of it for sending, light grey for idle. Flat fills all: a hatch would be stretched with
the chart's axes into blotches (see `app.gui.theme.waiting_brush`).

While the run goes on, each bar reaches its worker's last message; at the end, the run's end.
Five bar items, one per part, each drawing every worker's piece in one call.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QFontMetrics

from app.gui.charts.common import (
    WIDEST_WORKER_NAME,
    ChartPanel,
    nice_ceiling,
    row_range,
    short_worker_label,
)
from app.gui.theme import (
    IDLE_COLOUR,
    STARTUP_COLOUR,
    waiting_brush,
    worker_brush,
    worker_colour,
)
from app.stats import PARTS, Snapshot, WorkerView, time_budget

CAPTION = "One bar per worker: its life in the run, part by part (the key is beside it)."
BAR_HEIGHT = 0.7
LABEL_SPACING = 1.1


def part_brush(part: str, slot: int) -> QBrush:
    """How a part of a worker's life is drawn: as in the timeline, sending added."""
    if part == "starting up":
        return pg.mkBrush(STARTUP_COLOUR)
    if part == "computing":
        return worker_brush(slot)
    if part == "waiting":
        return waiting_brush(slot)
    if part == "sending":
        return pg.mkBrush(worker_colour(slot).darker(190))
    return pg.mkBrush(IDLE_COLOUR)


def part_colour(part: str, slot: int) -> str:
    """The colour of a part, '#rrggbb', for a key in words."""
    return part_brush(part, slot).color().name()


class WhereTimeWentChart(ChartPanel):
    name = "where-time-went"

    def __init__(self) -> None:
        super().__init__("Where the time went", CAPTION)
        self.set_axis_label("bottom", "seconds since Start")
        self.fit_left_axis(WIDEST_WORKER_NAME)
        self.plot.showGrid(x=True, y=False, alpha=0.25)
        self.plot.invertY(True)  # the first worker on top, as in the timeline
        self.parts: dict[str, pg.BarGraphItem] = {}
        for part in PARTS:
            item = pg.BarGraphItem(
                x0=[], y0=[], width=[], height=BAR_HEIGHT, brushes=[], pen=pg.mkPen(None)
            )
            self.plot.addItem(item)
            self.parts[part] = item
        self._label_metrics = QFontMetrics(self.tick_font)
        self._workers: tuple[WorkerView, ...] = ()
        self._ticks_key: tuple = ()
        self._shown: object = None
        self.plot.getViewBox().sigResized.connect(self._fit_rows)
        self.reset()

    def reset(self) -> None:
        for item in self.parts.values():
            item.setOpts(x0=[], y0=[], width=[], brushes=[])
        self._workers = ()
        self._ticks_key = ()
        self._shown = None
        self.plot.getAxis("left").setTicks([[]])
        self.set_x_range(0, 1)
        self.set_y_range(-0.6, 1.6)

    def draw(self, snapshot: Snapshot) -> None:
        """One bar per worker that has reported, its parts side by side."""
        costs = snapshot.costs
        if costs is self._shown:
            return  # nothing new: the books change four times a second at most
        self._shown = costs
        workers = tuple(worker for worker in snapshot.workers if worker.worker in costs)
        self._workers = workers
        self._fit_rows()
        budgets = [time_budget(costs[worker.worker]) for worker in workers]
        seconds = np.array([budget.parts_s for budget in budgets], dtype=float).reshape(
            len(budgets), len(PARTS)
        )
        left = np.zeros(len(budgets))
        rows = np.arange(len(budgets), dtype=float) - BAR_HEIGHT / 2
        for column, part in enumerate(PARTS):
            width = seconds[:, column]
            self.parts[part].setOpts(
                x0=left.copy(),
                y0=rows,
                width=width,
                height=BAR_HEIGHT,
                brushes=[part_brush(part, worker.slot) for worker in workers],
            )
            left += width
        self.set_x_range(0, nice_ceiling(float(left.max()) * 1.02 if len(left) else 1.0))

    def _row_pixels(self) -> float:
        low, high = self._y_range or (0.0, 1.0)
        return self.plot.getViewBox().height() / max(high - low, 1e-9)

    def _fit_rows(self) -> None:
        line = self._label_metrics.height()
        self.set_y_range(*row_range(len(self._workers), self.plot.getViewBox().height(), line))
        self._label_rows()

    def _label_rows(self) -> None:
        """A worker's short name on every row it fits on, as in the timeline."""
        workers = self._workers
        line = self._label_metrics.height() * LABEL_SPACING
        every = 1 if self._row_pixels() >= line else math.ceil(line / self._row_pixels())
        key = (tuple(worker.worker for worker in workers), every)
        if key == self._ticks_key:
            return
        self._ticks_key = key
        ticks = [
            (row, short_worker_label(worker))
            for row, worker in enumerate(workers)
            if row % every == 0
        ]
        self.plot.getAxis("left").setTicks([ticks])
