"""One run of a workload: `start()` it, `poll()` what it reports, `stop()` it.

A `Run` puts two owners together, so no state is written from two places:

* the **supervisor** (`app.engine.supervisor`), on a thread of its own, owns the workers'
  life: it opens the backend, keeps chunks in flight, replaces dead or stuck workers and
  disposes of them all at the end;
* the **ledger** (`app.engine.ledger`), kept by whoever calls `poll()` (the window's QTimer,
  the CLI's loop), owns the books: it drains the run's channel without blocking and accepts
  each task's result exactly once.
"""

from __future__ import annotations

import atexit
import random
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable

from app.engine import spawning
from app.engine.channel import ChannelReader
from app.engine.config import RunConfig
from app.engine.lazy import LazyModule
from app.engine.ledger import Ledger
from app.engine.supervisor import ChunkFailed, Supervisor, SupervisorDone

# Loaded by the supervisor once it has asked for the workers (see app.engine.lazy).
records = LazyModule("app.engine.records")

# Started with the engine, not with the first run's workers (see the function).
spawning.start_resource_tracker()

POLL_BUDGET_S = 0.004  # poll() returns after this much work, so a GUI frame is never late
BOOKS_EVERY_S = 0.25  # how often poll() returns the books so far of the workers heard from


# A named tuple, as the messages are: a frozen dataclass would cost a cold run 0.4 ms to
# define before it could ask for its workers.
Progress = namedtuple("Progress", "done completed failed retried total")
Progress.__doc__ = """How far a run is: tasks done (completed + failed) of `total`, and how
many were run again after their worker died."""


_active_runs: weakref.WeakSet[Run] = weakref.WeakSet()


class Run:
    """A single run: make one per press of Start."""

    def __init__(self, config: RunConfig, func: Callable | None = None) -> None:
        self.config = config
        self.t0: float | None = None
        self._ledger = Ledger(config.task_count, keep_results=not config.until_stopped)
        self._supervisor = Supervisor(config, func or config.func, self._ledger)
        self._ledger.on_complete = self._supervisor.wake
        self._thread: threading.Thread | None = None
        self._reader: ChannelReader | None = None
        self._done_notice: SupervisorDone | None = None
        self._summary: records.RunSummary | None = None
        self._books_due_at = 0.0

    # ----------------------------------------------------------------- the caller's side

    def start(self) -> None:
        """Start the run and return at once: the workers start on the supervisor thread."""
        if self._thread is not None:
            raise RuntimeError("a Run starts once; make a new Run to run again")
        self.t0 = self._ledger.t0 = self._supervisor.t0 = time.perf_counter()
        self._thread = threading.Thread(
            target=self._supervisor.run, name="RunSupervisor", daemon=True
        )
        _active_runs.add(self)
        self._thread.start()

    def wait_until_asked(self, timeout: float) -> bool:
        """Block until the run has asked for its workers (or ended), at most `timeout` s;
        True if it has. A caller with work of its own to do right after `start()` (imports,
        say) does it then, not while the supervisor's thread needs the GIL to ask."""
        return self._supervisor.channel_ready.wait(timeout)

    def stop(self) -> None:
        """Ask the run to stop and return at once; its workers are gone within a second."""
        self._supervisor.stop()

    @property
    def elapsed(self) -> float:
        return 0.0 if self.t0 is None else time.perf_counter() - self.t0

    @property
    def progress(self) -> Progress:
        ledger = self._ledger
        return Progress(
            ledger.done, ledger.completed, ledger.failed, self._supervisor.retried, ledger.total
        )

    @property
    def finished(self) -> bool:
        return self._summary is not None

    @property
    def summary(self) -> records.RunSummary | None:
        return self._summary

    def results_in(self, indices: range) -> list:
        """The results of these tasks as the books hold them now, in input order: None for a
        task whose result is not in (or that failed), and for every task of a run until Stop,
        which keeps none. A Segment says which indices just arrived (`first_index`, `count`):
        reading just those each tick copies only what is new, however long the run."""
        results = self._ledger.results
        if results is None:
            return [None] * len(indices)
        return results[indices.start : indices.stop]

    def inputs_in(self, indices: range) -> list:
        """What these tasks were called with (the inputs the run made on its own thread):
        with `results_in`, what a Segment's tasks computed from what. Empty before the run
        has made its inputs; a run until Stop's later rounds repeat the first's."""
        supervisor = self._supervisor
        if not supervisor._inputs:
            return []
        return list(supervisor._inputs_for(indices))

    def worker_pids(self) -> list[int]:
        return sorted(self._supervisor.workers)

    def kill_worker(self, pid: int | None = None) -> int | None:
        """Kill one worker process with SIGKILL, as a classroom demonstration of a crash."""
        workers = dict(self._supervisor.workers)
        if pid is None:
            if not workers:
                return None
            pid = random.choice(sorted(workers))
        process = workers.get(pid)
        if process is None or process.exitcode is not None:
            return None
        process.kill()
        return pid

    def wait(self, timeout: float | None = None) -> records.RunSummary:
        """Poll until the run has finished (for scripts and tests; a GUI polls from a timer)."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        while not self.finished:
            if deadline is not None and time.perf_counter() > deadline:
                raise TimeoutError(f"the run did not finish within {timeout} s")
            self.poll(timeout=0.01, budget_s=0.25)
        return self._summary

    def poll(self, timeout: float = 0.0, budget_s: float = POLL_BUDGET_S) -> list[records.Event]:
        """Return the records that arrived since the last call.

        Never blocks unless asked to wait up to `timeout` for the first message, and returns
        after about `budget_s` of work even if more is waiting.
        """
        events: list = []
        if self._summary is not None:
            return events
        supervisor = self._supervisor
        if timeout > 0:
            if self._ledger.all_received.is_set():
                # Every result is in: what is left to wait for is the supervisor.
                supervisor.done.wait(timeout)
                timeout = 0.0
            elif not supervisor.channel_ready.is_set():
                # Block rather than spin: a spinning consumer starves the supervisor thread
                # that is creating the workers and their channel.
                supervisor.channel_ready.wait(timeout)
        drained = self._drain_channel(events, timeout, time.perf_counter() + budget_s)
        notices = supervisor.notices
        while notices:
            notice = notices.popleft()
            if isinstance(notice, SupervisorDone):
                self._done_notice = notice
            elif isinstance(notice, ChunkFailed):
                self._ledger.fail_chunk(notice.indices, notice.exc_type, notice.message, events)
            else:
                if isinstance(notice, records.WorkerDied):
                    self._ledger.worker_left(notice.pid, notice.at)
                elif isinstance(notice, records.PoolRestarted) and notice.pool_replaced:
                    # Dask reschedules on the workers it has: their lives go on.
                    self._ledger.pool_replaced(notice.at)
                events.append(notice)
        now = time.perf_counter()
        if now >= self._books_due_at:  # where each worker's time went so far, now and then
            self._books_due_at = now + BOOKS_EVERY_S
            events.extend(self._ledger.changed_workers())
        if self._done_notice is not None and drained:
            events.append(self._finish())
        return events

    def _drain_channel(self, events: list, timeout: float, deadline: float) -> bool:
        """Take messages until the channel is empty (True) or the budget is spent (False)."""
        channel = self._supervisor.channel
        if channel is None:
            return True
        if self._reader is None or channel is not self._reader.channel:
            self._reader = ChannelReader(channel)
            self._ledger.forget_pieces()
        ledger = self._ledger
        return self._reader.read(lambda item: ledger.take(item, events), timeout, deadline)

    def _finish(self) -> records.RunFinished:
        supervisor, config = self._supervisor, self.config
        self._summary = self._ledger.summary(
            config,
            start_method=config.start_method if supervisor.backend.uses_start_method else "",
            retried=supervisor.retried,
            chunks=supervisor.chunks,
            deaths=tuple(supervisor.deaths),
            stopped=supervisor.stop_requested.is_set() and self._ledger.done < self._ledger.total,
            error=self._done_notice.error,
        )
        # Let the channel go with its locks (each one a semaphore the OS keeps until freed).
        supervisor.channel = self._reader = None
        return records.RunFinished(self._summary)


@atexit.register
def _stop_active_runs() -> None:
    """At interpreter exit, stop runs still going so no worker outlives the app."""
    runs = list(_active_runs)
    for run in runs:
        run.stop()
    for run in runs:
        if run._thread is not None and run._thread is not threading.current_thread():
            run._thread.join(timeout=3.0)
