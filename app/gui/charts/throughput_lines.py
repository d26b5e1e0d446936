"""Chart 2: tasks per second over time, one line per worker and a thick black line for all."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.gui.charts.common import ChartPanel, nice_ceiling
from app.gui.theme import TOTAL_COLOUR, line_width, worker_pen
from app.stats import TOTAL, Snapshot, WorkerView

CAPTION = "Coloured: each worker's tasks per second. Black: all workers together."
# How the lines are measured: each point is the tasks finished in the 2 s before it, per second.
# A chunk of many tasks reports once, at its end; its tasks are then spread evenly over the
# points taken while it ran (RunStats), so a worker's line does not sit at 0 while it works.


class ThroughputLinesChart(ChartPanel):
    name = "lines"
    # Its first point comes with the first sample, a moment after the first finished task.
    shows_first_data = False

    def __init__(self) -> None:
        super().__init__("Throughput over time", CAPTION)
        self.set_axis_label("bottom", "seconds since Start")
        self.set_axis_label("left", "tasks/s")
        self.fit_left_axis("0000000000")  # room for 7-digit rates beside the axis title
        self.total_line = self.plot.plot([], [], pen=pg.mkPen(TOTAL_COLOUR, width=line_width(3)))
        self.total_line.setZValue(10)
        self._worker_lines: dict[str, pg.PlotDataItem] = {}
        self._slots: dict[str, int] = {}  # each line's worker slot: its colour and dash
        self._spare_lines: list[pg.PlotDataItem] = []

    def reset(self) -> None:
        # Lines are kept for the next run: only their data is cleared.
        for line in self._worker_lines.values():
            line.setData([], [])
            self._spare_lines.append(line)
        self._worker_lines.clear()
        self._slots.clear()
        self.total_line.setData([], [])
        self.set_x_range(0, 1)
        self.set_y_range(0, 1)

    def draw(self, snapshot: Snapshot) -> None:
        series = snapshot.series
        y_max = 0.0
        for worker in snapshot.workers:
            times, rates = series.get(worker.worker, ((), ()))
            if not times:
                continue
            rate_array = np.asarray(rates, dtype=float)
            self._line_for(worker).setData(np.asarray(times, dtype=float), rate_array)
            y_max = max(y_max, float(rate_array.max()))
        times, rates = series.get(TOTAL, ((), ()))
        if not times:
            return
        rate_array = np.asarray(rates, dtype=float)
        self.total_line.setData(np.asarray(times, dtype=float), rate_array)
        y_max = max(y_max, float(rate_array.max()))
        # Round steps: the axes move now and then, not every frame.
        # Once the oldest points are dropped (after 2 minutes) the chart scrolls.
        low = 0.0 if times[0] <= 0.5 else times[0]
        self.set_x_range(low, low + nice_ceiling((times[-1] - low) * 1.05))
        self.set_y_range(0, nice_ceiling(y_max * 1.1))

    def _line_for(self, worker: WorkerView) -> pg.PlotDataItem:
        line = self._worker_lines.get(worker.worker)
        if line is None:
            line = self._spare_lines.pop() if self._spare_lines else self.plot.plot([], [])
            line.setPen(worker_pen(worker.slot, width=line_width(2)))
            self._worker_lines[worker.worker] = line
            self._slots[worker.worker] = worker.slot
        return line

    def zoom_changed(self) -> None:
        self.total_line.setPen(pg.mkPen(TOTAL_COLOUR, width=line_width(3)))
        for key, line in self._worker_lines.items():
            line.setPen(worker_pen(self._slots[key], width=line_width(2)))
