"""What a run reports: the events `Run.poll()` returns and the summary it ends with.

Every record is a frozen dataclass of plain values, so the CLI, the stats and the window can
all read the same stream. Times are seconds since the run started, on `time.perf_counter()`,
which CPython takes from a system-wide monotonic clock (CLOCK_MONOTONIC on Linux,
QueryPerformanceCounter on Windows, mach_absolute_time on macOS), so a worker's timestamps
line up with the parent's.
"""

from __future__ import annotations

import signal
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class WorkerStarted:
    """A worker process (or thread) is up and ready for tasks."""

    worker: str  # stable key for charts: the pid for processes, "pid:thread-id" for threads
    pid: int
    name: str  # multiprocessing.current_process().name, or the thread's name
    at: float  # ready: imports done, hello sent
    # Its start-up's earlier moments, seconds since the run started (None: not measured): when
    # the parent asked for its process to start, and when that process first ran our code.
    # A thread's are those of the process it runs in (threads and serial runs: their host).
    asked: float | None = None
    began: float | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """`count` tasks that one worker ran back to back: one block of the timeline.

    Coarse tasks are reported one by one (count == 1); tiny tasks are reported per chunk, so
    telemetry never costs more than the work it describes. `cpu` is the CPU time the worker's
    thread used in the block; the rest of `end - start` it was waiting (for the GIL, for I/O).
    """

    worker: str
    pid: int
    name: str
    first_index: int
    count: int
    failed: int
    start: float
    end: float
    cpu: float | None = None  # seconds of CPU time; None when it was not measured
    chunk_start: bool = False  # the first block of a chunk: its worker had just taken it

    @property
    def cpu_share(self) -> float:
        """The part of the block spent computing, 0 to 1 (1 when CPU time was not measured)."""
        wall = self.end - self.start
        if self.cpu is None or wall <= 0:
            return 1.0
        return min(1.0, max(0.0, self.cpu / wall))


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """A task raised: the run goes on, and the traceback is kept."""

    index: int
    worker: str
    pid: int
    name: str
    exc_type: str
    message: str
    traceback: str


@dataclass(frozen=True, slots=True)
class WorkerDied:
    """A worker process ended without being asked to (killed, crashed, os._exit)."""

    worker: str
    pid: int
    name: str
    exitcode: int | None  # None: not known here (a cluster's worker on another computer)
    at: float
    running: tuple[int, ...]  # task indices it had started and not delivered
    cause: str = ""  # how it ended, for people: "killed by SIGKILL", "its forkserver died"

    def __post_init__(self) -> None:
        if not self.cause:
            object.__setattr__(self, "cause", describe_exit(self.exitcode))


@dataclass(frozen=True, slots=True)
class WorkerStuck:
    """A worker made no progress (stopped, or blocked in a task far past what tasks cost).

    The engine kills it next and recovers as from any death: a `WorkerDied` follows.
    """

    worker: str
    pid: int
    name: str
    idle_s: float  # how long it had made no progress
    reason: str  # one line for people: "pid 1234 has made no progress for 12 s (...)"
    at: float


@dataclass(frozen=True, slots=True)
class PoolRestarted:
    """After a death the pool was replaced; unfinished tasks went to the new one."""

    at: float
    retried: int  # tasks that had started and were run again
    requeued: int  # tasks that were waiting or in transit and were sent again
    how: str = ""  # how this executor reacts to a death, for people (Backend.on_death)
    # False: the executor rescheduled the tasks itself (Dask) and the other workers go on
    pool_replaced: bool = True


@dataclass(frozen=True, slots=True)
class ExecutorNote:
    """A line about the executor for the event log: a cluster's dashboard link, say."""

    at: float
    text: str


@dataclass(frozen=True, slots=True)
class WorkerSummary:
    worker: str
    pid: int
    name: str
    tasks: int
    failed: int
    busy_s: float
    throughput: float  # tasks / run wall time: the workers' throughputs add up to the run's
    utilisation: float  # busy_s / wall_s
    ready_s: float | None = None  # when it said hello, since the run started (its start-up)
    cpu_s: float = 0.0  # CPU time its thread used inside tasks (time.thread_time)
    wait_s: float = 0.0  # busy_s - cpu_s: inside a task but waiting (for the GIL, for I/O)
    # Where the rest of its life went. Its lifetime runs from when its process was asked to
    # start (`asked_s`, since the run started) to the run's end (its last result in); for a
    # worker that died or went with its pool, in a run stopped or given up, and in a record
    # sent while the run goes on, to its last message.
    # startup_s + cpu_s + wait_s + send_s + idle_s == lifetime_s: each part starts on the
    # clock reading the one before it ended on, so no moment is lost or counted
    # twice (a thread's wait for the GIL between two tasks counts as waiting; building a
    # report, as sending it).
    send_s: float = 0.0  # pickling its messages and handing them to the channel
    idle_s: float = 0.0  # alive without a task: waiting for work, or for the run's end
    startup_s: float | None = None  # from asked to start to ready (None: not measured)
    bytes_in: int = 0  # pickled task messages it received: inputs, indices, the pool's envelope
    bytes_out: int = 0  # pickled messages it sent: hello and reports (results, timings)
    messages: int = 0  # messages it sent (a report of many tasks is one)
    peak_rss_mb: float = 0.0  # its process's peak resident memory (threads share theirs)
    asked_s: float | None = None  # when its process was asked to start, since the run began
    began_s: float | None = None  # when that process first ran our code
    lifetime_s: float = 0.0
    # Of send_s, the CPU time its thread had (the rest it waited to send: for the GIL, for a
    # free core); None: not measured.
    send_cpu_s: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The books of a finished run: completed + failed + cancelled == tasks, always."""

    workload: str
    executor: str
    workers: int
    start_method: str
    chunksize: int  # 0 means the engine sized chunks itself
    tasks: int
    completed: int
    failed: int
    cancelled: int  # never run, because the run was stopped or gave up
    retried: int
    chunks: int
    wall_s: float
    startup_s: float
    throughput: float
    per_worker: tuple[WorkerSummary, ...] = ()
    deaths: tuple[tuple[int, int], ...] = ()  # (pid, exitcode) of every worker that died
    stopped: bool = False  # the user asked the run to stop
    error: str | None = None  # why the run gave up, if it did
    results: list | None = field(default=None, repr=False, compare=False)
    bytes_in: int = 0  # every worker's bytes_in, added up
    bytes_out: int = 0
    messages: int = 0  # hellos and reports the workers sent

    @property
    def ok(self) -> bool:
        return self.error is None and not self.stopped and self.failed == 0

    def to_dict(self, include_results: bool = False) -> dict:
        data = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("per_worker", "deaths", "results")
        }
        data["per_worker"] = [w.to_dict() for w in self.per_worker]
        data["deaths"] = [{"pid": pid, "exitcode": code} for pid, code in self.deaths]
        if include_results:
            data["results"] = self.results
        return data

    def to_report_dict(self, include_results: bool = False) -> dict:
        """`to_dict` for people and scripts (`run --json`): a count that was not measured is
        null, never a made-up 0. Any task that arrived came in a message of some bytes, so a
        worker with tasks and no bytes counted did not count them (a Dask worker)."""
        data = self.to_dict(include_results)
        for worker in data["per_worker"]:
            if worker["tasks"] and not worker["bytes_in"]:
                worker["bytes_in"] = None
        if self.completed + self.failed and not self.bytes_in:
            data["bytes_in"] = None
        return data


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The last event of every run, after its pool is gone."""

    summary: RunSummary


Event = (
    WorkerStarted
    | Segment
    | TaskFailed
    | WorkerStuck
    | WorkerDied
    | PoolRestarted
    | ExecutorNote
    | WorkerSummary  # a worker's books so far, now and then while the run goes on
    | RunFinished
)


def describe_exit(code: int | None) -> str:
    """'exit code 3' or 'killed by SIGKILL': how a process ended, for people."""
    if code is None:
        return "exit code not known here"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
