"""What a lesson is: a question, a matrix of runs, and a rule that reads the measurements.

A lesson is data: which runs to make (`Case`s), how many times each (`repeats`, alternating
the cases so drift hits all alike), which chart shows it, and a function that turns the
measured `Point`s into a conclusion in plain words. Conclusions are computed from what was
measured, never pasted from a textbook: when the numbers disagree with the textbook, the
conclusion says what was measured and offers the likely reason.

No Qt here: the window and the command line run lessons through `app.control.lesson_runner`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.engine.backends import BACKENDS
from app.engine.config import DEFAULT_START_METHOD, RunConfig
from app.engine.records import RunSummary
from app.stats.amdahl import AmdahlFit, fit_amdahl
from app.stats.comparison import format_factor
from app.stats.numbers import format_duration
from app.stats.repeats import Repeated, repeated

SPEEDUP_CHART = "speedup"  # speedup against serial by workers, a line per executor
CHUNKSIZE_CHART = "chunksize"  # tasks/s against chunksize
STARTUP_CHART = "startup"  # time to every worker ready against workers, a line per method
TIMELINE_CHART = "timeline"  # the run's own timeline says it (uneven tasks)


@dataclass(frozen=True, slots=True)
class Case:
    """One run of a lesson's matrix."""

    workload: str
    executor: str = "process"
    workers: int = 1
    tasks: int | None = None
    inputs: tuple | None = None
    chunksize: int = 0
    start_method: str = DEFAULT_START_METHOD

    def config(self, worker_nice: int = 0) -> RunConfig:
        return RunConfig(
            workload=self.workload,
            tasks=self.tasks,
            inputs=self.inputs,
            executor=self.executor,
            workers=self.workers,
            chunksize=self.chunksize,
            start_method=self.start_method,
            worker_nice=worker_nice,
        )

    @property
    def label(self) -> str:
        """'2 processes (spawn)', 'serially, one task at a time', '+ chunksize 10'."""
        how = BACKENDS[self.executor].describe(self.config())
        return how if not self.chunksize else f"{how}, chunksize {self.chunksize}"


@dataclass(frozen=True, slots=True)
class Point:
    """One case, measured: the medians of its repeats, and its speedup if it has a baseline."""

    case: Case
    wall: Repeated  # seconds from Start to the last result
    startup: Repeated  # seconds from Start to the last worker ready
    tasks: int
    speedup: float | None  # baseline's median wall / this one's
    baseline: str  # what the speedup is against: "serial", "1 thread"...
    runs: tuple[RunSummary, ...]

    @property
    def throughput(self) -> float:
        return self.tasks / self.wall.median if self.wall.median > 0 else 0.0

    @property
    def noisy(self) -> bool:
        return self.wall.noisy

    @property
    def efficiency(self) -> float | None:
        return None if self.speedup is None else self.speedup / self.case.workers


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    question: str  # to ask the class before pressing Run
    explanation: str  # what the lesson shows, a few sentences
    chart: str  # one of the *_CHART names
    make_cases: Callable[[int, bool], Sequence[Case]]  # (CPU count, quick) -> the matrix
    conclude: Callable[[Sequence[Point]], str]  # measured points -> plain words
    fits_amdahl: bool = False
    repeats: int = 3
    # What to show beside the conclusion, line by line, from the points and who computed
    # which task in the last run (the tutorial's printout).
    printout: Callable[[Sequence[Point], dict[int, tuple[str, int]]], list[str]] | None = None
    # A demonstration with plain multiprocessing after the runs, lines to show (it blocks
    # while its processes run: the window calls it off the GUI thread).
    demo: Callable[[], list[str]] | None = None

    def cases(self, cpus: int, quick: bool = False) -> tuple[Case, ...]:
        return tuple(self.make_cases(max(1, cpus), quick))


def worker_counts(cpus: int, most: int = 4) -> tuple[int, ...]:
    """1, 2, 4 ... up to `most`, never past 2 x CPU count: the counts a lesson compares."""
    limit = min(most, 2 * cpus)
    counts, n = [], 1
    while n <= limit:
        counts.append(n)
        n *= 2
    return tuple(counts)


def serial_threads_and_processes(workload: str, tasks: int, cpus: int) -> list[Case]:
    """Serial, then threads and processes at 1, 2, 4 ... workers: the GIL's matrix."""
    matrix = [Case(workload, "serial", 1, tasks)]
    for executor in ("thread", "process"):
        matrix += [Case(workload, executor, n, tasks) for n in worker_counts(cpus)]
    return matrix


NOT_ENOUGH_TO_COMPARE = "Not enough runs finished to compare threads with processes."


def threads_and_processes(points: Sequence[Point]) -> tuple[Point, Point] | None:
    """The thread and the process points to compare: at 2 workers, or the most there are;
    None unless both ran and the threads' point has a baseline."""
    threads = find(points, "thread", 2) or find(points, "thread")
    processes = find(points, "process", 2) or find(points, "process")
    if threads is None or processes is None or threads.speedup is None:
        return None
    return threads, processes


def startup_dominates(point: Point) -> str | None:
    """A sentence if starting the workers took a large part of this point's run, which then
    says more about start-up than about the work; None otherwise."""
    wall, startup = point.wall.median, point.startup.median
    if wall <= 0 or startup < 0.3 * wall:
        return None
    return (
        f"Starting the workers took {format_duration(startup)} of the "
        f"{format_duration(wall)} run: these runs are too short to show the work itself."
    )


def measure(cases: Sequence[Case], runs: Sequence[tuple[Case, RunSummary]]) -> list[Point]:
    """Points from finished runs: a case's median wall time, and its speedup against a serial
    run of the same job if the lesson has one, else against 1 worker of the same executor."""
    done: dict[Case, list[RunSummary]] = {case: [] for case in cases}
    for case, summary in runs:
        if case in done and summary.error is None and not summary.stopped:
            done[case].append(summary)
    walls = {case: repeated([s.wall_s for s in found]) for case, found in done.items() if found}
    points = []
    for case, wall in walls.items():
        base, against = _baseline(case, walls)
        speedup = walls[base].median / wall.median if base is not None else None
        startups = [_all_ready_s(summary) for summary in done[case]]
        runs_of_case = tuple(done[case])
        tasks = runs_of_case[0].tasks
        points.append(Point(case, wall, repeated(startups), tasks, speedup, against, runs_of_case))
    return points


def _baseline(case: Case, walls: dict[Case, Repeated]) -> tuple[Case | None, str]:
    def same_job(other: Case) -> bool:
        return (other.workload, other.tasks, other.inputs) == (
            case.workload,
            case.tasks,
            case.inputs,
        )

    for other in walls:
        if other.executor == "serial" and same_job(other):
            return other, "serial"
    for other in walls:
        if (
            same_job(other)
            and other.chunksize == case.chunksize
            and other.executor == case.executor
            and other.workers == 1
        ):
            return other, BACKENDS[other.executor].describe(other.config())
    return None, ""


def _all_ready_s(summary: RunSummary) -> float:
    """Seconds from Start until the last worker was ready."""
    return max((w.ready_s or 0.0 for w in summary.per_worker), default=0.0)


def amdahl_of(
    points: Sequence[Point], cores: int | None = None, executor: str = "process"
) -> AmdahlFit | None:
    """Amdahl's law fitted to one executor's speedups, on at most `cores` workers.

    Amdahl's law is about a serial part of the work; past one worker per core, workers only
    take turns, and a fit over those points would blame the missing cores on the work.
    """
    return fit_amdahl(
        (p.case.workers, p.speedup)
        for p in points
        if p.case.executor == executor and p.speedup and (cores is None or p.case.workers <= cores)
    )


def find(points: Sequence[Point], executor: str, workers: int | None = None) -> Point | None:
    """The point of this executor (and worker count; the most workers if none is given)."""
    chosen = [p for p in points if p.case.executor == executor]
    if workers is not None:
        chosen = [p for p in chosen if p.case.workers == workers]
    return max(chosen, key=lambda p: p.case.workers, default=None)


def factor(point: Point | None) -> str:
    """'1.9×' or '?' when there was nothing to compare with; '(noisy)' when not believed."""
    if point is None or point.speedup is None:
        return "?"
    return format_factor(point.speedup) + (" (noisy)" if point.noisy else "")
