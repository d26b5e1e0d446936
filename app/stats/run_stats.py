"""RunStats: turns the event stream of a run into what the window shows.

Feed it every record from `Run.poll()`; ask it for the workers, their task rates, the rate
history for the charts and the timeline of blocks. Everything it keeps is bounded (windows,
deques with a maximum length, a compacting timeline), so a run of millions of tasks uses the
same memory as a short one, and adding one event costs O(1) amortised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerSummary,
)
from app.stats.snapshot import Snapshot
from app.stats.timeline import Timeline
from app.stats.window import SlidingRate, effective_window

TOTAL = "total"  # the series key of the whole run's rate
MAX_FAILURES_KEPT = 100


@dataclass(frozen=True, slots=True)
class WorkerView:
    """What the window shows about one worker."""

    worker: str  # the engine's key: the pid for processes, "pid:thread-id" for threads
    pid: int
    name: str
    slot: int  # 0, 1, 2, ... in order of first appearance: a colour that never changes
    tasks: int  # tasks this worker finished, failed ones included
    failed: int
    busy_s: float  # time spent inside its blocks of work
    alive: bool  # False once it died or its pool was replaced
    started_at: float = 0.0  # when it said hello (or first showed up), seconds since Start
    gone_at: float | None = None  # when it died or its pool was replaced; None while alive
    died: bool = False  # it died (rather than left with a pool that was replaced)
    # When its process was asked to start (its start-up runs from here to started_at); None
    # when not measured. Threads share the process they run in.
    asked_at: float | None = None


class _Worker:
    """The running totals of one worker (mutable; the outside world sees WorkerView)."""

    __slots__ = (
        "worker",
        "pid",
        "name",
        "slot",
        "tasks",
        "failed",
        "busy_s",
        "alive",
        "died",
        "started_at",
        "gone_at",
        "asked_at",
        "window",
        "sample_times",
        "sample_rates",
    )

    def __init__(
        self, worker: str, pid: int, name: str, slot: int, at: float, window_s: float, samples: int
    ) -> None:
        self.worker = worker
        self.pid = pid
        self.name = name
        self.slot = slot
        self.tasks = 0
        self.failed = 0
        self.busy_s = 0.0
        self.alive = True
        self.died = False
        self.started_at = at
        self.gone_at: float | None = None
        self.asked_at: float | None = None
        self.window = SlidingRate(window_s)
        self.sample_times: deque[float] = deque(maxlen=samples)
        self.sample_rates: deque[float] = deque(maxlen=samples)

    def view(self) -> WorkerView:
        return WorkerView(
            self.worker,
            self.pid,
            self.name,
            self.slot,
            self.tasks,
            self.failed,
            self.busy_s,
            self.alive,
            self.started_at,
            self.gone_at,
            self.died,
            self.asked_at,
        )

    def leave(self, at: float) -> None:
        if self.alive:
            self.alive = False
            self.gone_at = at


class RunStats:
    """Live statistics of one run, fed one event at a time.

    Times are the engine's: seconds since the run started. Ask for rates at a time `now` at or
    after the newest event (the run's elapsed time); older blocks are forgotten as new ones come.
    """

    def __init__(
        self,
        total_tasks: int,
        window_s: float = 2.0,
        max_segments: int = 32_000,
        max_samples: int = 600,
    ) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, not {window_s}")
        if max_samples < 1:
            raise ValueError(f"max_samples must be at least 1, not {max_samples}")
        self.total = total_tasks
        self.window_s = window_s
        self.max_samples = max_samples
        self.done = 0  # tasks finished, failed ones included
        self.failed = 0
        self.retried = 0  # tasks run again after their worker died
        self.deaths = 0  # WorkerDied events
        self.summary: RunSummary | None = None  # set by RunFinished
        self.recent_failures: deque[TaskFailed] = deque(maxlen=MAX_FAILURES_KEPT)
        self._workers: dict[str, _Worker] = {}
        self._timeline = Timeline(max_segments)
        self._newest_time = 0.0
        self._total_times: deque[float] = deque(maxlen=max_samples)
        self._total_rates: deque[float] = deque(maxlen=max_samples)
        # Frozen copies for snapshots, made again only after what they copy has changed.
        self._series_copy: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] | None = None
        self._timeline_copy: tuple[Segment, ...] | None = None
        self._costs: dict[str, WorkerSummary] = {}  # each worker's latest books
        self._costs_copy: dict[str, WorkerSummary] | None = None

    # -- feeding -------------------------------------------------------------------------

    def add(self, event: object) -> None:
        """Take one record from `Run.poll()`; records it does not know are ignored."""
        # Segment first: it is by far the most frequent record.
        if isinstance(event, Segment):
            self._add_segment(event)
        elif isinstance(event, WorkerStarted):
            worker = self._worker(event.worker, event.pid, event.name, event.at)
            worker.started_at = min(worker.started_at, event.at)
            if event.asked is not None:
                worker.asked_at = event.asked
            self._see_time(event.at)
        elif isinstance(event, TaskFailed):
            self.recent_failures.append(event)
        elif isinstance(event, WorkerDied):
            # A worker that died before saying hello still appears, so the death is visible.
            worker = self._worker(event.worker, event.pid, event.name, event.at)
            worker.died = True
            worker.leave(event.at)
            self.deaths += 1
            self._see_time(event.at)
        elif isinstance(event, PoolRestarted):
            self.retried += event.retried
            # The old pool is gone, survivors too; its workers' blocks may still arrive.
            # (Unless the executor rescheduled the tasks itself: then the survivors go on.)
            for worker in self._workers.values():
                if event.pool_replaced and worker.started_at <= event.at:
                    worker.leave(event.at)
            self._see_time(event.at)
        elif isinstance(event, WorkerSummary):
            self._costs[event.worker] = event
            self._costs_copy = None
        elif isinstance(event, RunFinished):
            self.summary = event.summary
            self._costs.update((worker.worker, worker) for worker in event.summary.per_worker)
            self._costs_copy = None

    def add_all(self, events: Iterable[object]) -> None:
        for event in events:
            self.add(event)

    def _add_segment(self, segment: Segment) -> None:
        worker = self._workers.get(segment.worker)
        if worker is None:
            worker = self._worker(segment.worker, segment.pid, segment.name, segment.start)
        worker.tasks += segment.count
        worker.failed += segment.failed
        worker.busy_s += segment.end - segment.start
        self.done += segment.count
        self.failed += segment.failed
        self._see_time(segment.end)
        worker.window.add(segment.start, segment.end, segment.count, self._newest_time)
        self._spread_over_past_samples(worker, segment)
        self._timeline.add(segment)
        self._timeline_copy = None

    def _spread_over_past_samples(self, worker: _Worker, segment: Segment) -> None:
        """Give the points sampled while this block was running their share of its tasks.

        How the lines are measured: a worker reports a block when it ends, so a chunk of many
        tasks counts nothing while it runs and the rate sampled then was 0. When the block
        arrives, its tasks are spread evenly over its time (as SlidingRate does for the rate
        from now on) and each earlier point gets what its window would have counted had the
        block been known: the lines show measured work, drawn a moment late rather than never.
        """
        if segment.count == 0:
            return
        for times, rates in (
            (worker.sample_times, worker.sample_rates),
            (self._total_times, self._total_rates),
        ):
            position = len(times) - 1
            while position >= 0 and times[position] > segment.start:
                share = self._share_in_window(segment, times[position])
                if share:
                    rates[position] += share
                position -= 1
        self._series_copy = None

    def _share_in_window(self, segment: Segment, at: float) -> float:
        """The block's tasks per second inside the sampling window that ends at `at`."""
        length = effective_window(at, self.window_s)
        if length <= 0:
            return 0.0
        window_start = at - length
        duration = segment.end - segment.start
        if duration <= 0:
            inside = segment.count if window_start < segment.end <= at else 0
        else:
            overlap = min(segment.end, at) - max(segment.start, window_start)
            inside = segment.count * max(0.0, overlap) / duration
        return inside / length

    def _worker(self, key: str, pid: int, name: str, at: float) -> _Worker:
        worker = self._workers.get(key)
        if worker is None:
            slot = len(self._workers)
            worker = _Worker(key, pid, name, slot, at, self.window_s, self.max_samples)
            self._workers[key] = worker
        return worker

    def _see_time(self, at: float) -> None:
        if at > self._newest_time:
            self._newest_time = at

    # -- reading -------------------------------------------------------------------------

    @property
    def workers(self) -> list[WorkerView]:
        """Every worker seen so far, in order of first appearance (dead ones included)."""
        return [worker.view() for worker in self._workers.values()]

    @property
    def completed(self) -> int:
        """Tasks that finished without raising."""
        return self.done - self.failed

    @property
    def finished(self) -> bool:
        return self.summary is not None

    def rates(self, now: float) -> dict[str, float]:
        """Tasks per second of each worker over the window ending at `now`.

        The window is `window_s` long, or `now` long early in the run (it never reaches back
        before the start), so the first second's rate is not understated.
        """
        return {key: worker.window.rate(now) for key, worker in self._workers.items()}

    def total_rate(self, now: float) -> float:
        return sum(self.rates(now).values())

    def utilisation(self, now: float) -> dict[str, float]:
        """Share of each worker's life (from its start until `now` or its end) spent busy."""
        shares = {}
        for key, worker in self._workers.items():
            until = now if worker.gone_at is None else min(now, worker.gone_at)
            lifetime = until - worker.started_at
            shares[key] = min(1.0, worker.busy_s / lifetime) if lifetime > 0 else 0.0
        return shares

    def sample(self, now: float) -> None:
        """Add a point at `now` to each worker's rate series and to the total's.

        A worker that has left is still sampled for one window, so its line falls to zero,
        then no more.
        """
        total = 0.0
        for worker in self._workers.values():
            rate = worker.window.rate(now)
            total += rate
            if worker.gone_at is None or now - worker.gone_at <= self.window_s:
                worker.sample_times.append(now)
                worker.sample_rates.append(rate)
        self._total_times.append(now)
        self._total_rates.append(total)
        self._series_copy = None

    def series(self) -> dict[str, tuple[list[float], list[float]]]:
        """Copies of the sampled rates: worker key -> (times, rates), then "total" last."""
        result = {
            key: (list(worker.sample_times), list(worker.sample_rates))
            for key, worker in self._workers.items()
            if worker.sample_times
        }
        result[TOTAL] = (list(self._total_times), list(self._total_rates))
        return result

    def timeline(self) -> list[Segment]:
        """The newest blocks of work, at most `max_segments` (see app.stats.timeline)."""
        return self._timeline.blocks()

    def snapshot(self, now: float) -> Snapshot:
        """One frame for the charts at `now`; once the run has finished (RunFinished came),
        its rates are each worker's average over the whole run, as the summary measured it."""
        if self._series_copy is None:
            self._series_copy = {
                key: (tuple(times), tuple(rates)) for key, (times, rates) in self.series().items()
            }
        if self._timeline_copy is None:
            self._timeline_copy = tuple(self._timeline.blocks())
        if self._costs_copy is None:
            self._costs_copy = dict(self._costs)
        if self.summary is not None:
            rates = {worker.worker: worker.throughput for worker in self.summary.per_worker}
        else:
            rates = self.rates(now)
        return Snapshot(
            now=now,
            workers=tuple(self.workers),
            rates=rates,
            series=self._series_copy,
            timeline=self._timeline_copy,
            done=self.done,
            final=self.summary is not None,
            costs=self._costs_copy,
        )
