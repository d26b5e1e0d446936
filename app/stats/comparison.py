"""How finished runs compare: speedup and efficiency against a fair baseline, one set of rules.

The history table, the sweep and the lessons all ask the same question, so they all ask here.
A run is compared with a complete 1-worker run of the same executor, start method and
chunksize doing the same job (same workload, same inputs or task count), and also with a serial
run of the same job when there is one. A run without such a baseline says so; it never gets a
made-up 1.00x.

A run keeps the figures it was measured with: its baseline is the latest one there was when it
was added, or, if there was none yet, the first one that comes after. A later baseline changes
the figures of later runs only, never silently those of runs already shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from app.engine.records import RunSummary
from app.stats.numbers import efficiency, speedup

NO_ONE_WORKER_RUN = "no 1-worker run"
STOPPED = "stopped, not compared"
UNFINISHED = "did not finish"
UNTIMED = "took no measurable time"


@dataclass(frozen=True, slots=True)
class Job:
    """What was run, whoever ran it: runs of the same job did the same work."""

    workload: str
    tasks: int
    inputs: tuple | None = None  # the exact inputs, where the caller knows them

    @classmethod
    def of(cls, summary: RunSummary, inputs: Iterable | None = None) -> Job:
        return cls(summary.workload, summary.tasks, None if inputs is None else tuple(inputs))


@dataclass(frozen=True, slots=True)
class Speedup:
    """One run against one baseline: baseline time / this run's time, and that per worker."""

    baseline: RunSummary
    factor: float
    efficiency: float
    of_itself: bool  # the run is its own baseline: 1.00x by definition, not by measurement


@dataclass(frozen=True, slots=True)
class Comparison:
    """A finished run and how it compares: against 1 worker of its kind, and against serial."""

    run: RunSummary
    job: Job
    against_one_worker: Speedup | None = None
    against_serial: Speedup | None = None

    @property
    def not_compared(self) -> str | None:
        """Why this run is compared with nothing (stopped, unfinished), or None if it is."""
        return why_not_comparable(self.run)

    def speedup_text(self) -> str:
        """'1.97×  (98% per worker)', '1.00× (the baseline)' or why there is no figure."""
        reason = self.not_compared
        if reason:
            return reason
        against = self.against_one_worker
        if against is None:
            return NO_ONE_WORKER_RUN
        if against.of_itself:
            return "1.00× (the baseline)"
        return f"{format_factor(against.factor)}  ({against.efficiency:.0%} per worker)"

    def serial_text(self) -> str:
        """'2.05×' against a serial run of the same job, or '' when there is none."""
        against = self.against_serial
        if self.not_compared or against is None:
            return ""
        if against.of_itself:
            return "1.00× (serial)"
        return format_factor(against.factor)


def format_factor(factor: float, times: str = "×") -> str:
    """A speedup as text: '1.97×'; below 0.1 with two significant digits ('0.0047×'), so that a
    run hundreds of times slower does not read as '0.00×'."""
    return f"{factor:.2f}{times}" if factor >= 0.1 else f"{factor:.2g}{times}"


def why_not_comparable(run: RunSummary) -> str | None:
    """Only complete runs are fair to compare: a stopped run did less work."""
    if run.stopped:
        return STOPPED
    if run.error is not None or run.completed + run.failed != run.tasks:
        return UNFINISHED
    if run.wall_s <= 0:
        return UNTIMED
    return None


def _against(run: RunSummary, baseline: RunSummary) -> Speedup:
    factor = speedup(baseline.wall_s, run.wall_s)
    return Speedup(baseline, factor, efficiency(factor, run.workers), of_itself=run is baseline)


class Comparisons:
    """Finished runs in the order they finished, each with the baselines it was measured with.

    `keep` bounds how many runs are remembered (the oldest go first); a baseline that is
    forgotten measures no new runs, but the runs it measured keep their figures.
    """

    def __init__(self, keep: int | None = None) -> None:
        if keep is not None and keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        self.keep = keep
        self._items: list[Comparison] = []
        self._one_worker: dict[tuple[str, Job], RunSummary] = {}  # latest, by (executor, job)
        self._serial: dict[Job, RunSummary] = {}  # latest serial run of each job

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, position: int) -> Comparison:
        return self._items[position]

    def __iter__(self) -> Iterator[Comparison]:
        return iter(self._items)

    def add(self, run: RunSummary, inputs: Iterable | None = None) -> tuple[int, list[int]]:
        """Add a finished run. Returns how many of the oldest runs were forgotten to stay within
        `keep`, and the positions (after that) of the runs whose comparison changed: the new
        run's own, and those of earlier runs that were waiting for the baseline it is."""
        dropped = self._forget_oldest(make_room_for=1)
        job = Job.of(run, inputs)
        item = Comparison(run, job)
        changed: list[int] = []
        if why_not_comparable(run) is None:
            kind = _kind(run, job)
            if run.workers == 1:
                self._one_worker[kind] = run
            if run.executor == "serial":
                self._serial[job] = run
            item = self._measured(item)
            changed = [
                position
                for position, earlier in enumerate(self._items)
                if earlier.job == job and self._fill(position, earlier)
            ]
        self._items.append(item)
        changed.append(len(self._items) - 1)
        return dropped, changed

    def _measured(self, item: Comparison) -> Comparison:
        run = item.run
        one = self._one_worker.get(_kind(run, item.job))
        serial = self._serial.get(item.job)
        return replace(
            item,
            against_one_worker=None if one is None else _against(run, one),
            against_serial=None if serial is None else _against(run, serial),
        )

    def _fill(self, position: int, item: Comparison) -> bool:
        """Give a run waiting for a baseline the first one that came; True if it got one."""
        if item.not_compared or (item.against_one_worker and item.against_serial):
            return False
        filled = self._measured(item)
        filled = replace(
            filled,
            against_one_worker=item.against_one_worker or filled.against_one_worker,
            against_serial=item.against_serial or filled.against_serial,
        )
        if filled == item:
            return False
        self._items[position] = filled
        return True

    def _forget_oldest(self, make_room_for: int) -> int:
        """Forget the oldest runs so that `make_room_for` more fit within `keep`: before the new
        run is measured, so that it is never measured against a run that is no longer shown."""
        if self.keep is None or len(self._items) + make_room_for <= self.keep:
            return 0
        dropped = len(self._items) + make_room_for - self.keep
        for gone in self._items[:dropped]:
            for table in (self._one_worker, self._serial):
                for key in [key for key, baseline in table.items() if baseline is gone.run]:
                    del table[key]
        del self._items[:dropped]
        return dropped


def _kind(run: RunSummary, job: Job) -> tuple:
    """What a 1-worker baseline must share with a run: executor, start method, chunksize, job."""
    return run.executor, run.start_method, run.chunksize, job


def compare(runs: Iterable[RunSummary]) -> list[Comparison]:
    """Each run, in the order given (the order they finished), with its baselines."""
    comparisons = Comparisons()
    for run in runs:
        comparisons.add(run)
    return list(comparisons)
