"""A run's records, kept whole for export: who worked, every block of tasks, what went wrong.

`RunStats` keeps what the charts draw and compacts the past; a `RunLog` keeps the records as the
engine reported them, so they can be saved as a table of tasks (`app.stats.tables`) or a Chrome
trace (`app.stats.trace`). Tiny tasks arrive as blocks (one per chunk), so the number of blocks
follows the run's length, not its task count. The log keeps the first `MAX_BLOCKS_KEPT` blocks
(about 19 MB; a block is about 190 bytes) and counts the rest in `blocks_not_kept`, so memory
stays bounded in a run that goes on until Stop; the exports say how many were left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.backends import BACKENDS
from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerStuck,
)

MAX_BLOCKS_KEPT = 100_000
MAX_FAILURES_KEPT = 1_000  # each keeps its traceback: a run where every task raises stays small


@dataclass(frozen=True, slots=True)
class RunAbout:
    """What was run: the settings, as plain values (from a RunConfig or a RunSummary)."""

    workload: str
    executor: str
    workers: int
    chunksize: int  # 0 means the engine sized chunks itself
    start_method: str  # "" where none applies (threads, serial)
    tasks: int

    @classmethod
    def of_config(cls, config) -> RunAbout:
        """From an `app.engine.RunConfig`: the settings a run was started with."""
        backend = BACKENDS[config.executor]
        return cls(
            config.workload,
            config.executor,
            config.workers,
            config.chunksize,
            config.start_method if backend.uses_start_method else "",
            config.task_count,
        )

    @classmethod
    def of_summary(cls, summary: RunSummary) -> RunAbout:
        return cls(
            summary.workload,
            summary.executor,
            summary.workers,
            summary.chunksize,
            summary.start_method,
            summary.tasks,
        )


@dataclass(slots=True)
class RunLog:
    """Every record of one run, in the order it arrived; feed it with `add(event)`."""

    about: RunAbout | None = None
    max_blocks: int = MAX_BLOCKS_KEPT
    # Each worker's first record: its hello, or (if its hello never came) its first block.
    workers: dict[str, WorkerStarted] = field(default_factory=dict)
    blocks: list[Segment] = field(default_factory=list)
    blocks_not_kept: int = 0
    failures: list[TaskFailed] = field(default_factory=list)
    failures_not_kept: int = 0
    deaths: list[WorkerDied] = field(default_factory=list)
    stuck: list[WorkerStuck] = field(default_factory=list)
    restarts: list[PoolRestarted] = field(default_factory=list)
    summary: RunSummary | None = None

    def add(self, event: object) -> None:
        """One record from `Run.poll()`; records of other kinds are ignored."""
        kind = type(event)
        if kind is Segment:
            self._meet(event.worker, event.pid, event.name, event.start)
            if len(self.blocks) < self.max_blocks:
                self.blocks.append(event)
            else:
                self.blocks_not_kept += 1
        elif kind is WorkerStarted:
            self.workers.setdefault(event.worker, event)
        elif kind is TaskFailed:
            if len(self.failures) < MAX_FAILURES_KEPT:
                self.failures.append(event)
            else:
                self.failures_not_kept += 1
        elif kind is WorkerDied:
            self.deaths.append(event)
        elif kind is WorkerStuck:
            self.stuck.append(event)
        elif kind is PoolRestarted:
            self.restarts.append(event)
        elif kind is RunFinished:
            self.summary = event.summary
            # The summary's word is the last: a run until Stop has grown by rounds of tasks.
            self.about = RunAbout.of_summary(event.summary)

    def add_all(self, events) -> None:
        for event in events:
            self.add(event)

    def _meet(self, worker: str, pid: int, name: str, at: float) -> None:
        if worker not in self.workers:
            self.workers[worker] = WorkerStarted(worker, pid, name, at)

    @property
    def finished(self) -> bool:
        return self.summary is not None

    @property
    def end_s(self) -> float:
        """Seconds from the run's start to its end, or to the last thing heard while it goes on."""
        ends = [block.end for block in self.blocks]
        ends += [w.at for w in self.workers.values()]
        ends += [e.at for e in (*self.deaths, *self.stuck, *self.restarts)]
        if self.summary is not None:
            ends.append(self.summary.wall_s)
        return max(ends, default=0.0)

    def is_empty(self) -> bool:
        return not (self.workers or self.blocks or self.failures or self.summary)
