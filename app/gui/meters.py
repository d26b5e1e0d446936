"""CPU and memory meters: how busy each CPU core is, and how much memory each worker holds.

A strip under the status line, always in view: a bar per CPU core (percent busy since the last
sample) and a bar per worker process (its resident memory, RSS), in the worker's colour. It is
sampled on the GUI thread by its own QTimer about twice a second and never waits:
`psutil.cpu_percent(percpu=True, interval=None)` reads /proc/stat once and compares it with the
reading before; a worker's memory is one small /proc read, and a sample reads at most
`MEMORY_READS_PER_SAMPLE` workers, taking turns, so 64 workers cost a sample no more than 8 do
(each is read again every few seconds). Without a run only the CPU is sampled.

psutil is imported here, in the window only: worker processes never import it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.gui.charts.common import nice_ceiling
from app.gui.theme import (
    IDLE_COLOUR,
    MUTED_TEXT_COLOUR,
    TEXT_COLOUR,
    worker_colour,
    zoom_percent,
)

SAMPLE_MS = 500  # about twice a second: a meter that moves, and costs next to nothing
MEMORY_READS_PER_SAMPLE = 8
CPU_COLOUR = "#0072B2"
HOST_COLOUR = "#555555"  # the one process that runs a thread or serial run's work
MAX_BAR_PX = 28  # at 100 %: a few cores still look like meters, not like slabs
BAR_GAP_PX = 2
MEGABYTE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class WorkerMemory:
    """One worker process's resident memory, as last read."""

    pid: int
    rss_bytes: int
    slot: int | None  # its colour in the charts; None for a thread or serial run's host


class ResourceSampler:
    """Reads the CPU load per core and the workers' memory, a little at a time (no Qt)."""

    def __init__(self, reads_per_sample: int = MEMORY_READS_PER_SAMPLE) -> None:
        self.reads_per_sample = reads_per_sample
        self._processes: dict[int, psutil.Process] = {}
        self._rss: dict[int, int] = {}
        self._turn = 0
        psutil.cpu_percent(percpu=True, interval=None)  # the first reading has nothing before it

    def cpu_percent(self) -> list[float]:
        """Each core's busy percentage since the last call; never waits."""
        return list(psutil.cpu_percent(percpu=True, interval=None))

    def memory(self, pids: list[int]) -> dict[int, int]:
        """RSS in bytes of each of `pids` read so far: up to `reads_per_sample` of them are read
        now, the ones whose turn it is; a process that has gone is dropped."""
        wanted = sorted(set(pids))
        for pid in [pid for pid in self._processes if pid not in wanted]:
            self._processes.pop(pid, None)
            self._rss.pop(pid, None)
        if not wanted:
            return {}
        unread = [pid for pid in wanted if pid not in self._rss]
        start = self._turn % len(wanted)
        in_turn = wanted[start:] + wanted[:start]
        to_read = (unread + [pid for pid in in_turn if pid not in unread])[: self.reads_per_sample]
        self._turn = start + self.reads_per_sample
        for pid in to_read:
            self._read(pid)
        return {pid: self._rss[pid] for pid in wanted if pid in self._rss}

    def _read(self, pid: int) -> None:
        try:
            process = self._processes.get(pid)
            if process is None:
                process = self._processes[pid] = psutil.Process(pid)
            self._rss[pid] = process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            self._processes.pop(pid, None)
            self._rss.pop(pid, None)


class MeterStrip(QWidget):
    """The strip of CPU and memory meters. `window` is the MainWindow whose run it watches."""

    def __init__(self, window=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self.sampler = ResourceSampler()
        self.cpu: list[float] = [0.0] * (psutil.cpu_count() or 1)
        self.memory: list[WorkerMemory] = []
        self.samples = 0  # how many times it has sampled (tests watch it move)
        self.sample_ms: list[float] = []  # how long each sample took, the last 100
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setObjectName("meters")
        self.timer = QTimer(self)
        self.timer.setInterval(SAMPLE_MS)
        self.timer.timeout.connect(self.sample)

    # -- sampling ------------------------------------------------------------------------

    def running(self) -> bool:
        window = self._window
        return window is not None and window.running and window.run is not None

    def sample(self) -> None:
        """Read the CPU load and, while a run is going, some workers' memory; then repaint."""
        began = time.perf_counter()
        self.cpu = self.sampler.cpu_percent() or self.cpu
        if self.running():
            run, stats = self._window.run, self._window.stats
            pids = run.worker_pids()
            slots = {}
            if stats is not None:
                for worker in stats.workers:
                    if worker.alive and ":" not in worker.worker:  # a process, not a thread
                        slots[worker.pid] = worker.slot
            rss = self.sampler.memory(pids)
            readings = [WorkerMemory(pid, rss[pid], slots.get(pid)) for pid in pids if pid in rss]
            # In the charts' order (the order workers said hello), so bar n is worker n there too.
            self.memory = sorted(
                readings, key=lambda entry: (entry.slot is None, entry.slot or 0, entry.pid)
            )
        else:
            self.sampler.memory([])
            self.memory = []
        self.samples += 1
        self.sample_ms = [*self.sample_ms[-99:], (time.perf_counter() - began) * 1000]
        self.update()

    def event(self, event: QEvent) -> bool:
        # The tooltip is written when asked for, not at every sample: setting one is a change
        # event, and those add up.
        if event.type() == QEvent.Type.ToolTip:
            QToolTip.showText(event.globalPos(), self.describe(), self)
            return True
        return super().event(event)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self.timer.stop()

    # -- words ---------------------------------------------------------------------------

    def cpu_texts(self) -> list[str]:
        """What the CPU meters say, longest first: the caption shows the first that fits."""
        cores = len(self.cpu)
        average = sum(self.cpu) / cores if cores else 0.0
        return [
            f"{cores} CPU core{'s' if cores != 1 else ''}, {average:.0f} % busy on average",
            f"{cores} core{'s' if cores != 1 else ''}, {average:.0f} % busy",
            f"{average:.0f} %",
        ]

    def memory_texts(self) -> list[str]:
        """What the memory meters say, longest first: the caption shows the first that fits."""
        if not self.memory:
            return ["each worker process's memory, during a run", "during a run"]
        total = sum(entry.rss_bytes for entry in self.memory) / MEGABYTE
        largest = max(entry.rss_bytes for entry in self.memory) / MEGABYTE
        count = len(self.memory)
        processes = f"{count} process{'es' if count != 1 else ''}"
        return [
            f"{processes}, {total:,.0f} MB in all, the largest {largest:,.0f} MB",
            f"{processes}, {total:,.0f} MB in all",
            f"{total:,.0f} MB in all",
        ]

    def memory_scale_mb(self) -> float:
        """A full memory bar, in MB: a round number above the largest worker's."""
        largest = max((entry.rss_bytes for entry in self.memory), default=0) / MEGABYTE
        return nice_ceiling(largest * 1.05, 1.0)

    def describe(self) -> str:
        """Every figure the meters show: their tooltip."""
        cores = ", ".join(f"{index}: {value:.0f} %" for index, value in enumerate(self.cpu))
        lines = [f"CPU cores busy: {cores}"]
        for entry in self.memory:
            lines.append(f"pid {entry.pid}: {entry.rss_bytes / MEGABYTE:,.1f} MB")
        return "\n".join(lines)

    # -- drawing -------------------------------------------------------------------------

    def _bar_room(self) -> int:
        return QFontMetrics(self.font()).height() * 2

    def sizeHint(self):  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        hint.setHeight(QFontMetrics(self.font()).height() + self._bar_room() + 6)
        return hint

    def minimumSizeHint(self):  # noqa: N802 (Qt's name)
        hint = self.sizeHint()
        hint.setWidth(200)
        return hint

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presenter mode's zoom: a new height
            # Only then: a relayout of the whole window per sample (a tooltip change is a
            # change event too) would cost the next tick tens of milliseconds.
            self.updateGeometry()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        metrics = QFontMetrics(self.font())
        half = self.width() // 2
        top = metrics.height() + 2
        room = self._bar_room()
        self._caption(painter, 0, half - 12, "CPU", self.cpu_texts())
        self._bars(
            painter,
            QRectF(0, top, half - 12, room),
            [value / 100 for value in self.cpu],
            [QColor(CPU_COLOUR)] * len(self.cpu),
            "a bar: 0–100 % busy",
        )
        self._caption(painter, half, self.width() - half, "Memory (RSS)", self.memory_texts())
        if self.memory:
            scale = self.memory_scale_mb()
            colours = [
                worker_colour(entry.slot) if entry.slot is not None else QColor(HOST_COLOUR)
                for entry in self.memory
            ]
            self._bars(
                painter,
                QRectF(half, top, self.width() - half, room),
                [entry.rss_bytes / (scale * MEGABYTE) for entry in self.memory],
                colours,
                f"a bar: 0–{scale:,g} MB",
            )
        painter.end()

    def _caption(
        self, painter: QPainter, left: int, width: int, title: str, texts: list[str]
    ) -> None:
        metrics = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setPen(QColor(TEXT_COLOUR))
        painter.setFont(bold)
        painter.drawText(left, metrics.ascent(), title)
        title_width = QFontMetrics(bold).horizontalAdvance(title + "  ")
        painter.setFont(self.font())
        room = max(0, width - title_width)
        fits = [text for text in texts if metrics.horizontalAdvance(text) <= room]
        shown = (
            fits[0] if fits else metrics.elidedText(texts[-1], Qt.TextElideMode.ElideRight, room)
        )
        painter.drawText(left + title_width, metrics.ascent(), shown)

    def _bars(
        self, painter: QPainter, area: QRectF, fractions: list[float], colours, scale: str
    ) -> None:
        """A bar per value, filled from the bottom, then what a full bar means if it fits."""
        count = len(fractions)
        if count == 0:
            return
        zoom = zoom_percent() / 100
        scale_width = QFontMetrics(self.font()).horizontalAdvance(scale) + 8
        # Room for what a full bar means beside the bars, unless they would be slivers then.
        show_scale = area.width() - scale_width >= count * 6
        bars_width = area.width() - (scale_width if show_scale else 0)
        gap = BAR_GAP_PX * zoom if count < bars_width / 4 else 0.0
        width = min(MAX_BAR_PX * zoom, (bars_width - gap * (count - 1)) / count)
        end = area.left() + count * (width + gap)
        if show_scale:
            painter.setPen(QColor(MUTED_TEXT_COLOUR))
            painter.drawText(
                QRectF(end + 4, area.top(), scale_width, area.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                scale,
            )
        painter.setPen(Qt.PenStyle.NoPen)
        for index, (fraction, colour) in enumerate(zip(fractions, colours, strict=True)):
            left = area.left() + index * (width + gap)
            painter.setBrush(QColor(IDLE_COLOUR))
            painter.drawRect(QRectF(left, area.top(), width, area.height()))
            height = area.height() * max(0.0, min(1.0, fraction))
            painter.setBrush(colour)
            painter.drawRect(QRectF(left, area.bottom() - height, width, height))
