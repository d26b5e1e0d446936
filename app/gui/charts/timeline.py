"""Chart 3: the timeline. One lane per worker, one block per stretch of work it did.

A grey lane is a worker that exists but is waiting; a coloured block is work. Uneven tasks
(mandelbrot with big chunks) show as one lane still busy while the others are grey. Failed
tasks are drawn hatched. Blocks are grouped by colour into a fixed set of bar items, so a
frame draws a few thousand rectangles in a handful of calls.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from app.gui.charts.common import WIDEST_WORKER_NAME, ChartPanel, nice_ceiling
from app.gui.theme import FAILED_COLOUR, IDLE_COLOUR, WORKER_COLOURS, worker_colour
from app.stats import Snapshot, WorkerView

CAPTION = (
    "One row per worker. Coloured = working, grey = alive but waiting for work, "
    "hatched = tasks that raised."
)
LANE_HEIGHT = 0.8


class TimelineChart(ChartPanel):
    name = "timeline"
    row = 1

    def __init__(self) -> None:
        super().__init__("Timeline: who worked when", CAPTION)
        self.set_axis_label("bottom", "seconds since Start")
        self.fit_left_axis(WIDEST_WORKER_NAME)
        self.plot.showGrid(x=False, y=False)  # grid lines would cut through the blocks
        self.plot.invertY(True)
        self.lanes = pg.BarGraphItem(
            x0=[], y0=[], width=[], height=LANE_HEIGHT, brush=IDLE_COLOUR, pen=pg.mkPen(None)
        )
        self.plot.addItem(self.lanes)
        # One item per palette colour: a single-colour BarGraphItem draws all its rectangles
        # in one call, which is what keeps thousands of blocks cheap.
        self.blocks: list[pg.BarGraphItem] = []
        for slot in range(len(WORKER_COLOURS)):
            colour = worker_colour(slot)
            item = pg.BarGraphItem(
                x0=[],
                y0=[],
                width=[],
                height=LANE_HEIGHT,
                brush=colour,
                pen=pg.mkPen(colour, width=1),  # at least a pixel wide, however short
            )
            self.plot.addItem(item)
            self.blocks.append(item)
        self.failed_blocks = pg.BarGraphItem(
            x0=[],
            y0=[],
            width=[],
            height=LANE_HEIGHT,
            brush=pg.mkBrush(FAILED_COLOUR, style=Qt.BrushStyle.BDiagPattern),
            pen=pg.mkPen(FAILED_COLOUR, width=1),
        )
        self.plot.addItem(self.failed_blocks)
        self._ticks_key: tuple = ()
        self.reset()

    def reset(self) -> None:
        for item in (self.lanes, *self.blocks, self.failed_blocks):
            item.setOpts(x0=[], y0=[], width=[])
        self._ticks_key = ()
        self.plot.getAxis("left").setTicks([[]])
        self.set_x_range(0, 1)
        self.set_y_range(-0.6, 1.6)

    def draw(self, snapshot: Snapshot) -> None:
        """Draw the lanes (each worker's life) and the blocks of work, up to the frame's time."""
        workers, segments, now = snapshot.workers, snapshot.timeline, snapshot.now
        lane_of = {worker.worker: lane for lane, worker in enumerate(workers)}
        colour_of = {worker.worker: worker.slot % len(WORKER_COLOURS) for worker in workers}
        self._set_lane_labels(workers)
        end = max(now, 1.0)

        starts = np.empty(len(workers))
        stops = np.empty(len(workers))
        for lane, worker in enumerate(workers):
            starts[lane] = worker.started_at
            stops[lane] = now if worker.gone_at is None else worker.gone_at
        lane_numbers = np.arange(len(workers), dtype=float)
        self.lanes.setOpts(
            x0=starts, y0=lane_numbers - LANE_HEIGHT / 2, width=np.maximum(stops - starts, 0)
        )

        count = len(segments)
        block_start = np.fromiter((s.start for s in segments), float, count)
        block_end = np.fromiter((s.end for s in segments), float, count)
        block_lane = np.fromiter((lane_of.get(s.worker, -1) for s in segments), float, count)
        block_colour = np.fromiter((colour_of.get(s.worker, -1) for s in segments), int, count)
        block_failed = np.fromiter((s.failed > 0 for s in segments), bool, count)
        block_failed &= block_lane >= 0
        widths = np.maximum(block_end - block_start, 0.0)
        for colour, item in enumerate(self.blocks):
            mine = block_colour == colour
            item.setOpts(
                x0=block_start[mine], y0=block_lane[mine] - LANE_HEIGHT / 2, width=widths[mine]
            )
        self.failed_blocks.setOpts(
            x0=block_start[block_failed],
            y0=block_lane[block_failed] - LANE_HEIGHT / 2,
            width=widths[block_failed],
        )
        self.set_x_range(0, nice_ceiling(end * 1.02))
        self.set_y_range(-0.6, max(len(workers), 2) - 0.4)

    def _set_lane_labels(self, workers: list[WorkerView]) -> None:
        key = tuple(worker.worker for worker in workers)
        if key == self._ticks_key:
            return
        self._ticks_key = key
        ticks = [(lane, f"{worker.name}\npid {worker.pid}") for lane, worker in enumerate(workers)]
        self.plot.getAxis("left").setTicks([ticks])
