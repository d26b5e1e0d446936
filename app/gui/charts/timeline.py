"""Chart 3: the timeline. One lane per worker, one block per stretch of work it did.

A grey lane is a worker that exists but is waiting; a coloured block is work, one per task (or
per chunk of tiny tasks), each with a darker outline so neighbouring tasks stay apart. Within a
block, the share its thread had the CPU is drawn solid and the rest pale: the time it
was inside a task but waiting (for the GIL, for I/O). Two threads on a CPU-bound workload show
half of each block pale; two processes show them solid. Only the share is known, not when in
the block the waits fell, so the solid part comes first. Uneven
tasks (mandelbrot with big chunks) show as one lane still busy while the others are grey.
Failed tasks are drawn hatched; a worker that died ends its lane with a red cross. On request
(`set_chunk_marks`, the View menu), a thin dark line marks where each chunk began: the moments
a worker took a message of work from the queue. Before a
lane begins, a darker grey shows the worker starting up: from when its process was asked for to
when it was ready (a fresh interpreter importing everything under spawn, almost nothing under
fork; threads share the start-up of the one process they run in). Blocks are
grouped by look into a few bar items, so a frame draws thousands of rectangles in a handful of
calls, and only the blocks new since the last frame are converted to arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from app.engine.records import Segment
from app.gui.charts.common import (
    WIDEST_WORKER_NAME,
    ChartPanel,
    nice_ceiling,
    row_range,
    short_worker_label,
)
from app.gui.theme import (
    DEATH_COLOUR,
    FAILED_COLOUR,
    IDLE_COLOUR,
    STARTUP_COLOUR,
    waiting_brush,
    worker_brush,
    worker_colour,
    worker_look,
)
from app.stats import Snapshot, WorkerView

CAPTION = (
    "One row per worker, one block per task (or chunk). Dark grey = starting up, coloured = "
    "computing, pale = waiting inside a task (for the GIL, a free core or I/O), light grey = "
    "waiting for work, hatched = tasks that raised, red ✕ = the worker died."
)
LANE_HEIGHT = 0.8
LABEL_SPACING = 1.1  # lane labels need this many text lines of room each


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
        self.startups = pg.BarGraphItem(
            x0=[],
            y0=[],
            width=[],
            height=LANE_HEIGHT,
            brush=pg.mkBrush(STARTUP_COLOUR),
            pen=pg.mkPen(None),
        )
        self.plot.addItem(self.startups)
        # One item per worker look, made when a worker with that look first appears and kept
        # for later runs: a single-look BarGraphItem draws all its rectangles in one call.
        self._items_by_look: dict[int, pg.BarGraphItem] = {}
        self.blocks: list[pg.BarGraphItem] = []  # the same items, in the order they were made
        # Beside each, the pale part of its blocks: the time spent waiting inside a task.
        self._waiting_by_look: dict[int, pg.BarGraphItem] = {}
        self.failed_blocks = pg.BarGraphItem(
            x0=[],
            y0=[],
            width=[],
            height=LANE_HEIGHT,
            brush=pg.mkBrush(FAILED_COLOUR, style=Qt.BrushStyle.BDiagPattern),
            pen=pg.mkPen(FAILED_COLOUR, width=1),
        )
        self.failed_blocks.setZValue(5)
        self.plot.addItem(self.failed_blocks)
        self.death_marks = pg.ScatterPlotItem(
            [], [], symbol="x", brush=pg.mkBrush(DEATH_COLOUR), pen=pg.mkPen("#FFFFFF", width=1)
        )
        self.death_marks.setZValue(10)
        # Zero-wide bars with an outline: a vertical line a lane high at each chunk's start.
        self.chunk_marks = pg.BarGraphItem(
            x0=[], y0=[], width=0.0, height=LANE_HEIGHT, brush=None, pen=pg.mkPen("#222222")
        )
        self.chunk_marks.setZValue(6)
        self.plot.addItem(self.chunk_marks)
        self.show_chunk_marks = False
        self.plot.addItem(self.death_marks)
        self._label_metrics = QFontMetrics(self.tick_font)
        self._workers: Sequence[WorkerView] = ()
        self._ticks_key: tuple = ()
        self._converted: Sequence[Segment] = ()
        self._arrays = _empty_arrays()
        self.plot.getViewBox().sigResized.connect(self._fit_lanes)
        self.reset()

    def reset(self) -> None:
        for item in (
            self.lanes,
            self.startups,
            *self.blocks,
            *self._waiting_by_look.values(),
            self.failed_blocks,
            self.chunk_marks,
        ):
            item.setOpts(x0=[], y0=[], width=[])
        self.death_marks.setData([], [])
        self._workers = ()
        self._ticks_key = ()
        self._converted = ()
        self._arrays = _empty_arrays()
        self.plot.getAxis("left").setTicks([[]])
        self.set_x_range(0, 1)
        self.set_y_range(-0.6, 1.6)

    def draw(self, snapshot: Snapshot) -> None:
        """Draw the lanes (each worker's life) and the blocks of work, up to the frame's time."""
        workers, now = snapshot.workers, snapshot.now
        end = max(now, 1.0)
        self.set_x_range(0, nice_ceiling(end * 1.02))
        self._workers = workers
        self._fit_lanes()

        starts = np.array([worker.started_at for worker in workers], dtype=float)
        stops = np.array(
            [now if worker.gone_at is None else worker.gone_at for worker in workers], dtype=float
        )
        lane_numbers = np.arange(len(workers), dtype=float)
        self.lanes.setOpts(
            x0=starts, y0=lane_numbers - LANE_HEIGHT / 2, width=np.maximum(stops - starts, 0)
        )
        asked = np.array(
            [starts[i] if w.asked_at is None else w.asked_at for i, w in enumerate(workers)],
            dtype=float,
        )
        self.startups.setOpts(
            x0=asked, y0=lane_numbers - LANE_HEIGHT / 2, width=np.maximum(starts - asked, 0)
        )

        start, width, computing, lane, look, failed, chunk_start = self._block_arrays(snapshot)
        top = lane - LANE_HEIGHT / 2
        waiting = width - computing
        waited = waiting > width * 0.01  # a wait under 1 % of its block is not a pixel wide
        for worker in workers:
            self._item_for(worker)
        for block_look, item in self._items_by_look.items():
            mine = look == block_look
            item.setOpts(x0=start[mine], y0=top[mine], width=computing[mine])
            pale = mine & waited
            self._waiting_by_look[block_look].setOpts(
                x0=start[pale] + computing[pale], y0=top[pale], width=waiting[pale]
            )
        self.failed_blocks.setOpts(x0=start[failed], y0=top[failed], width=width[failed])
        if self.show_chunk_marks:
            marked = chunk_start & (lane >= 0)
            self.chunk_marks.setOpts(x0=start[marked], y0=top[marked], width=0.0)
        else:
            self.chunk_marks.setOpts(x0=[], y0=[], width=0.0)

        dead = [(worker.gone_at, lane) for lane, worker in enumerate(workers) if worker.died]
        self.death_marks.setData(
            [at for at, _ in dead], [lane for _, lane in dead], size=self._mark_size()
        )

    def set_chunk_marks(self, shown: bool) -> None:
        """Mark where each chunk began (from the next frame on)."""
        self.show_chunk_marks = shown

    def _block_arrays(self, snapshot: Snapshot) -> tuple[np.ndarray, ...]:
        """(start, width, computing, lane, look, failed, chunk_start) of every block. Between
        compactions the timeline only grows at its end; a compaction rewrites its oldest half
        and keeps the rest. Either way only blocks not seen in the last frame are converted."""
        segments, old = snapshot.timeline, self._converted
        if segments is old:
            return self._arrays
        kept_from, kept = self._still_there(segments, old)
        if kept:
            parts = (
                self._convert(segments[:kept_from], snapshot),
                tuple(array[len(old) - kept :] for array in self._arrays),
                self._convert(segments[kept_from + kept :], snapshot),
            )
            arrays = tuple(np.concatenate(columns) for columns in zip(*parts, strict=True))
        else:
            arrays = self._convert(segments, snapshot)
        self._converted, self._arrays = segments, arrays
        return arrays

    @staticmethod
    def _still_there(segments: Sequence[Segment], old: Sequence[Segment]) -> tuple[int, int]:
        """Where the newest run of last frame's blocks sits in this frame's: (index, length)."""
        if not old or not segments:
            return 0, 0
        if len(segments) >= len(old) and segments[len(old) - 1] is old[-1]:
            return 0, len(old)  # only new blocks at the end
        last = old[-1]
        position = next((i for i in range(len(segments) - 1, -1, -1) if segments[i] is last), None)
        if position is None:
            return 0, 0
        length = 1
        while (
            length < len(old)
            and length <= position
            and segments[position - length] is old[-1 - length]
        ):
            length += 1
        return position - length + 1, length

    @staticmethod
    def _convert(segments: Sequence[Segment], snapshot: Snapshot) -> tuple[np.ndarray, ...]:
        lane_of = {worker.worker: lane for lane, worker in enumerate(snapshot.workers)}
        look_of = {worker.worker: worker_look(worker.slot) for worker in snapshot.workers}
        count = len(segments)
        start = np.fromiter((s.start for s in segments), float, count)
        end = np.fromiter((s.end for s in segments), float, count)
        lane = np.fromiter((lane_of.get(s.worker, -1) for s in segments), float, count)
        look = np.fromiter((look_of.get(s.worker, -1) for s in segments), int, count)
        failed = np.fromiter((s.failed > 0 for s in segments), bool, count) & (lane >= 0)
        share = np.fromiter((s.cpu_share for s in segments), float, count)
        width = np.maximum(end - start, 0.0)
        chunk_start = np.fromiter((s.chunk_start for s in segments), bool, count)
        return start, width, width * share, lane, look, failed, chunk_start

    def _item_for(self, worker: WorkerView) -> pg.BarGraphItem:
        look = worker_look(worker.slot)
        item = self._items_by_look.get(look)
        if item is None:
            # The darker outline is the edge between two tasks that follow each other, and
            # keeps a task that is shorter than a pixel at least a pixel wide.
            outline = worker_colour(worker.slot).darker(170)
            item = pg.BarGraphItem(
                x0=[],
                y0=[],
                width=[],
                height=LANE_HEIGHT,
                brush=worker_brush(worker.slot),
                pen=pg.mkPen(outline, width=1),
            )
            self.plot.addItem(item)
            self._items_by_look[look] = item
            self.blocks.append(item)
            # No outline: the computing part's outline already marks where each task begins.
            waiting = pg.BarGraphItem(
                x0=[],
                y0=[],
                width=[],
                height=LANE_HEIGHT,
                brush=waiting_brush(worker.slot),
                pen=pg.mkPen(None),
            )
            self.plot.addItem(waiting)
            self._waiting_by_look[look] = waiting
        return item

    def zoom_changed(self) -> None:
        self._label_metrics = QFontMetrics(self.tick_font)
        self._ticks_key = ()  # label the lanes again for the new size of type
        self._fit_lanes()

    def _lane_pixels(self) -> float:
        low, high = self._y_range or (0.0, 1.0)
        return self.plot.getViewBox().height() / max(high - low, 1e-9)

    def _mark_size(self) -> float:
        return min(18.0, max(7.0, self._lane_pixels() * 0.9))

    def _fit_lanes(self) -> None:
        """Lanes fill the height, with room for the first and last lane's labels."""
        line = self._label_metrics.height()
        height = self.plot.getViewBox().height()
        self.set_y_range(*row_range(len(self._workers), height, line))
        self._label_lanes()

    def _label_lanes(self) -> None:
        """Name every lane when two lines of text fit in it, else 'pid N' on every lane or on
        every n-th lane, so labels never run into each other however many workers there are."""
        workers = self._workers
        line = self._label_metrics.height() * LABEL_SPACING
        lane_px = self._lane_pixels()
        two_lines = lane_px >= 2 * line
        every = 1 if lane_px >= line else math.ceil(line / max(lane_px, 1e-9))
        key = (tuple(worker.worker for worker in workers), two_lines, every)
        if key == self._ticks_key:
            return
        self._ticks_key = key
        if two_lines:
            ticks = [(lane, f"{w.name}\npid {w.pid}") for lane, w in enumerate(workers)]
        else:
            ticks = [
                (lane, short_worker_label(w)) for lane, w in enumerate(workers) if lane % every == 0
            ]
        self.plot.getAxis("left").setTicks([ticks])
        self.death_marks.setSize(self._mark_size())


def _empty_arrays() -> tuple[np.ndarray, ...]:
    floats = np.empty(0)
    return floats, floats, floats, floats, np.empty(0, int), np.empty(0, bool), np.empty(0, bool)
