"""RunController: one run's life from Start to its last frame, with no Qt.

Whoever shows the run calls `tick()` about 30 times a second. Each tick takes what the run has
(`Run.poll()` never blocks), feeds it to `RunStats`, samples the rates now and then, and returns
a `Frame`: the records for the event log, the numbers for the status line, a snapshot for the
charts and which chart to redraw. One chart is redrawn per tick, in turn, so no tick keeps the
GUI thread for long. When the run has finished, each chart gets one last frame, and the frame
after the last of them says how the run ended. Then `start()` takes the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from app.engine import BACKENDS, Run, RunConfig
from app.engine.records import RunSummary, Segment
from app.stats import RunStats, Snapshot

SAMPLE_EVERY_S = 0.2  # a point on the throughput-over-time chart; 600 points = 2 minutes


class Chart(Protocol):
    """What the controller needs to know of a chart to schedule it."""

    # Whether a frame with finished tasks shows them at once (see Frame.first_data).
    shows_first_data: bool


ChartT = TypeVar("ChartT", bound=Chart)


@dataclass(frozen=True, slots=True)
class Books:
    """The run's numbers for the status line."""

    done: int  # tasks finished, failed ones included
    failed: int
    retried: int
    total: int | None  # None in a run that goes on until Stop
    elapsed_s: float
    eta_s: float | None  # None while there is no rate to guess from, or the run was cut short
    rate: float | None  # tasks per second of the whole run; None until a task has finished


@dataclass(frozen=True, slots=True)
class Frame(Generic[ChartT]):
    """What one tick has for the window to show."""

    events: tuple[object, ...]  # new records for the event log (all but Segments)
    books: Books
    snapshot: Snapshot  # for the charts
    charts: tuple[ChartT, ...]  # the charts to draw this tick: none until a worker appears
    first_data: bool  # the run's first frame whose drawn charts show finished tasks
    finished: RunSummary | None  # set once the run's last frame is drawn: how it ended
    # The tick's Segments, which `events` leaves out: who ran which task (a lesson's printout).
    segments: tuple[Segment, ...] = ()


class RunController(Generic[ChartT]):
    """Starts runs, one at a time, and turns each tick into a Frame.

    `charts` are whatever the caller draws (the window's chart widgets); the controller only
    decides whose turn it is. `make_run` makes the run from a config: `Run` unless a test gives
    a fake.
    """

    def __init__(
        self,
        charts: Sequence[ChartT],
        make_run: Callable[[RunConfig], Run] = Run,
    ) -> None:
        self.charts = tuple(charts)
        self._make_run = make_run
        self._run: Run | None = None
        self._stats: RunStats | None = None
        self._start_run_state()

    def _start_run_state(self) -> None:
        """Everything that belongs to one run, fresh."""
        self._stopping = False
        self._final_draws: list[ChartT] | None = None  # set once the run has finished
        self._reported = False  # the frame with `finished` has been returned
        self._turn = 0  # whose turn among the charts
        self._last_sample_at = -1.0
        self._data_shown = False

    # -- the run's life ------------------------------------------------------------------

    @property
    def run(self) -> Run | None:
        """The current run, or the last one once it has finished; None before the first."""
        return self._run

    @property
    def stats(self) -> RunStats | None:
        return self._stats

    @property
    def running(self) -> bool:
        """True from start() until the run has finished (its last frames may still be due)."""
        return self._run is not None and not self._run.finished

    @property
    def stopping(self) -> bool:
        """Stop was asked for and the run has not yet said it has finished."""
        return self._stopping

    @property
    def can_kill(self) -> bool:
        """A worker process can be killed now (a classroom demo of a crash)."""
        run = self._run
        if not self.running or self._stopping or not getattr(run, "can_kill_workers", True):
            return False
        return BACKENDS[run.config.executor].can_kill_workers

    def start(self, config: RunConfig, run: Run | None = None) -> Run:
        """Start a run (the previous one must have finished); returns at once. `run`: one made
        already for this config (a replay, `app.engine.replay.ReplayRun`) instead of a new one."""
        if self.running:
            raise RuntimeError("a run is still going: stop it, or wait for it to finish")
        run = self._make_run(config) if run is None else run
        self._run = run
        self._stats = RunStats(config.task_count)
        self._start_run_state()
        run.start()
        return run

    def stop(self) -> bool:
        """Ask the run to stop; False if there is none going or it is stopping already."""
        if not self.running or self._stopping:
            return False
        self._stopping = True
        self._run.stop()
        return True

    def kill_worker(self) -> int | None:
        """Kill one worker process; its pid, or None if there is none (yet) or none to kill."""
        if not self.can_kill:
            return None
        return self._run.kill_worker()

    # -- the tick ------------------------------------------------------------------------

    def tick(self) -> Frame[ChartT] | None:
        """Take what the run has and say what to show; None when there is nothing more to do
        (no run, or its end has been shown): the caller's timer can stop."""
        run, stats = self._run, self._stats
        if run is None or stats is None or self._reported:
            return None
        events: list[object] = []
        segments: list[Segment] = []
        if self._final_draws is None:
            for event in run.poll():
                stats.add(event)
                if type(event) is Segment:  # Segments are many: the charts and lessons read them
                    segments.append(event)
                else:
                    events.append(event)
            if run.finished:
                self._final_draws = list(self.charts)
        finishing = self._final_draws is not None
        now = self._now()
        if not finishing and now - self._last_sample_at >= SAMPLE_EVERY_S:
            self._last_sample_at = now
            stats.sample(now)
        snapshot = stats.snapshot(now)
        charts = self._whose_turn() if snapshot.workers else ()
        first_data = (
            not self._data_shown
            and snapshot.done > 0
            and any(chart.shows_first_data for chart in charts)
        )
        self._data_shown = self._data_shown or first_data
        finished = None
        if finishing and not (snapshot.workers and self._final_draws):
            finished = run.summary
            self._reported = True
            self._stopping = False
        books = self._books(snapshot)
        return Frame(tuple(events), books, snapshot, charts, first_data, finished, tuple(segments))

    def snapshot(self) -> Snapshot | None:
        """The frame the charts would show now (None before the first run)."""
        if self._stats is None:
            return None
        return self._stats.snapshot(self._now())

    def _now(self) -> float:
        run = self._run
        return run.summary.wall_s if run.finished else run.elapsed

    def _whose_turn(self) -> tuple[ChartT, ...]:
        # At the end, each chart once more; before that one chart per tick, in turn: each of
        # three charts is redrawn 10 times a second and no tick keeps the GUI thread long.
        if self._final_draws is not None:
            return (self._final_draws.pop(0),) if self._final_draws else ()
        if not self.charts:
            return ()
        chart = self.charts[self._turn % len(self.charts)]
        self._turn += 1
        return (chart,)

    def _books(self, snapshot: Snapshot) -> Books:
        run = self._run
        progress = run.progress
        if run.finished:
            summary = run.summary
            rate = summary.throughput
            eta = None if summary.stopped or summary.error else 0.0
        else:
            rate = sum(snapshot.rates.values())
            remaining = progress.total - progress.done
            eta = remaining / rate if rate > 0 else None
        until_stopped = run.config.until_stopped and not run.finished
        return Books(
            progress.done,
            progress.failed,
            progress.retried,
            None if until_stopped else progress.total,
            snapshot.now,
            eta,
            rate if (snapshot.done or run.finished) else None,
        )
