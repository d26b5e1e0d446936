"""One run of a workload on a pool: `start()` it, `poll()` what it reports, `stop()` it.

Two owners, so no state is written from two places:

* The **supervisor thread** owns the pool's life. It creates the pool (never on the caller's
  thread), cuts the inputs into chunks and keeps a small window of them in flight, watches the
  worker processes, replaces the pool when a worker dies, and disposes of it at the end.
* The **consumer**, whoever calls `poll()` (the window's QTimer, the CLI's loop), owns the books.
  `poll()` drains the run's multiprocessing Queue without blocking, accepts each task's result
  exactly once, and turns what arrived into records (`app.engine.records`).

Why a dead worker replaces the whole pool: `multiprocessing.Pool` shares locks between its
workers (the task queue's read lock is held by an idle worker while it waits; the result
queue's write lock while a worker sends). A worker killed while holding one leaves it locked
forever, and a plain Pool then waits forever (CPython issue 96062). A killed worker also loses
the task it held. So the supervisor kills the old pool, frees the locks its teardown needs, and
sends every task whose result has not arrived to a fresh pool. Results that still come in from
the old pool are accepted if they are first, dropped if not: each task's result is kept once.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import multiprocessing
import multiprocessing.pool
import os
import pickle
import queue
import random
import signal
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app.engine import procinfo
from app.engine.config import RunConfig
from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerStuck,
    WorkerSummary,
    describe_exit,
)
from app.engine.worker import (
    HELLO,
    REPORT,
    WorkerContext,
    execute_chunk,
    init_process_worker,
    run_chunk_in_process,
    say_hello,
)

TARGET_CHUNK_S = 0.02  # auto chunks aim at this much work: fine-grained, yet cheap to send
MIN_CHUNK_S = 0.002  # ...and never less, or tiny tasks would end in a long tail of tiny chunks
TICK_S = 0.05  # how often the supervisor looks at its workers when nothing else wakes it
WATCH_S = 0.25  # how often it asks the OS whether a worker is stopped or using CPU
STOPPED_S = 2.0  # a worker stopped (SIGSTOP) this long is stuck
STUCK_TASK_FACTOR = 10  # no progress for 10x the longest task seen so far is "stuck"...
BLIND_STUCK_S = 60.0  # ...or, where the OS cannot tell CPU time (no /proc), at least this
POLL_BUDGET_S = 0.004  # poll() returns after this much work, so a GUI frame is never late


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    completed: int
    failed: int
    retried: int
    total: int


@dataclass(frozen=True, slots=True)
class _ChunkFailed:
    """A chunk could not run at all (its inputs or results would not pickle, say)."""

    indices: range
    exc_type: str
    message: str


@dataclass(frozen=True, slots=True)
class _SupervisorDone:
    error: str | None


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A chunk sent to the pool and not yet acknowledged."""

    indices: range
    slot: int | None  # its place in the shared "who took it" array (process pools)


class _WorkerWatch:
    """What the supervisor last saw of one worker process, to tell stuck from slow."""

    __slots__ = ("progress_at", "cpu_s", "stopped_since")

    def __init__(self, now: float) -> None:
        self.progress_at = now  # the last time it reported, finished a chunk or used CPU
        self.cpu_s = -1.0
        self.stopped_since: float | None = None


_active_runs: weakref.WeakSet[Run] = weakref.WeakSet()


class Run:
    """A single run: make one per press of Start."""

    def __init__(self, config: RunConfig, func: Callable | None = None) -> None:
        self.config = config
        self._func = func or config.func
        self._inputs: list | None = None  # made on the supervisor thread: millions take a while
        total = config.task_count
        self.t0: float | None = None

        # The consumer's books.
        self._total = total
        self._received = bytearray(total)
        self._results: list = [None] * total
        self._completed = 0
        self._failed = 0
        self._per_worker: dict[str, list] = {}  # key -> [pid, name, tasks, failed, busy_s]
        self._first_ready: float | None = None
        self._all_in_at: float | None = None  # when the last result reached the consumer
        self._heard_at: dict[int, float] = {}  # pid -> when its last report arrived
        self._partial: dict[tuple[int, int], list[bytes]] = {}
        self._channel_seen: object = None
        self._done_notice: _SupervisorDone | None = None
        self._summary: RunSummary | None = None

        # Shared between the two owners; each is written by one side only.
        self._channel: object = None  # written by the supervisor (poll() drops it at the end)
        self._notices: deque = deque()  # supervisor -> consumer
        self._control: queue.SimpleQueue = queue.SimpleQueue()  # anyone -> supervisor
        self._all_received = threading.Event()  # set by the consumer
        self._supervisor_done = threading.Event()  # set by the supervisor as it ends
        self._stop_requested = threading.Event()
        self._cancel = threading.Event()  # tells in-process workers to stop between tasks
        self._retried = 0  # written by the supervisor
        self._chunks = 0
        self._deaths: list[tuple[int, int]] = []
        self._procs: dict[int, multiprocessing.process.BaseProcess] = {}

        # The supervisor's own state.
        self._pending: deque[range] = deque([range(total)])
        self._pending_count = total
        self._in_flight: dict[int, _InFlight] = {}
        self._generation = 0
        self._per_task_s: float | None = None
        self._longest_task_s = 0.0
        self._started_by = None  # process pools: shared array, chunk slot -> pid that took it
        self._free_slots: list[int] = []
        self._watch: dict[int, _WorkerWatch] = {}
        self._next_watch = 0.0
        self._channel_ready = threading.Event()  # set once poll() has a channel to read
        self._forkserver_pid: int | None = None  # the forkserver that started this pool's workers
        self._thread_context: WorkerContext | None = None  # thread pools: what workers share
        self._pool = None
        self._supervisor: threading.Thread | None = None

    # ----------------------------------------------------------------- the caller's side

    def start(self) -> None:
        """Start the run and return at once: the pool starts on the supervisor thread."""
        if self._supervisor is not None:
            raise RuntimeError("a Run starts once; make a new Run to run again")
        self.t0 = time.perf_counter()
        name = "SerialWorker" if self.config.executor == "serial" else "RunSupervisor"
        self._supervisor = threading.Thread(target=self._supervise, name=name, daemon=True)
        _active_runs.add(self)
        self._supervisor.start()

    def stop(self) -> None:
        """Ask the run to stop and return at once; workers are gone within a second."""
        self._stop_requested.set()
        self._cancel.set()
        self._control.put(("wake",))

    @property
    def elapsed(self) -> float:
        return 0.0 if self.t0 is None else time.perf_counter() - self.t0

    @property
    def progress(self) -> Progress:
        done = self._completed + self._failed
        return Progress(done, self._completed, self._failed, self._retried, self._total)

    @property
    def finished(self) -> bool:
        return self._summary is not None

    @property
    def summary(self) -> RunSummary | None:
        return self._summary

    def worker_pids(self) -> list[int]:
        return sorted(self._procs)

    def kill_worker(self, pid: int | None = None) -> int | None:
        """Kill one worker process with SIGKILL, as a classroom demonstration of a crash."""
        procs = dict(self._procs)
        if pid is None:
            if not procs:
                return None
            pid = random.choice(sorted(procs))
        process = procs.get(pid)
        if process is None or process.exitcode is not None:
            return None
        process.kill()
        return pid

    def wait(self, timeout: float | None = None) -> RunSummary:
        """Poll until the run has finished (for scripts and tests; a GUI polls from a timer)."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        while not self.finished:
            if deadline is not None and time.perf_counter() > deadline:
                raise TimeoutError(f"the run did not finish within {timeout} s")
            self.poll(timeout=0.01, budget_s=0.25)
        return self._summary

    def poll(self, timeout: float = 0.0, budget_s: float = POLL_BUDGET_S) -> list:
        """Return the records that arrived since the last call.

        Never blocks unless asked to wait up to `timeout` for the first message, and returns
        after about `budget_s` of work even if more is waiting.
        """
        events: list = []
        if self._summary is not None:
            return events
        if timeout > 0 and self._all_received.is_set():
            # Every result is in: what is left to wait for is the supervisor, not the channel.
            self._supervisor_done.wait(timeout)
            timeout = 0.0
        if timeout > 0 and not self._channel_ready.is_set():
            # Block rather than spin: a spinning consumer starves the supervisor thread that
            # is creating the pool and its channel.
            self._channel_ready.wait(timeout)
        deadline = time.perf_counter() + budget_s
        drained = self._drain_channel(events, timeout, deadline)
        while self._notices:
            notice = self._notices.popleft()
            if isinstance(notice, _SupervisorDone):
                self._done_notice = notice
            elif isinstance(notice, _ChunkFailed):
                self._fail_chunk(notice, events)
            else:
                events.append(notice)
        if self._done_notice is not None and drained:
            events.append(self._finish())
        return events

    # ------------------------------------------------------------- the consumer's books

    def _drain_channel(self, events: list, timeout: float, deadline: float) -> bool:
        """Take messages until the channel is empty (True) or the budget is spent (False)."""
        channel = self._channel
        if channel is None:
            return True
        if channel is not self._channel_seen:
            self._channel_seen = channel
            self._partial.clear()  # pieces of a replaced pool's messages will never complete
        in_process = self.config.executor != "process"
        wait = timeout
        while True:
            try:
                item = channel.get(timeout=wait) if wait > 0 else channel.get_nowait()
            except queue.Empty:
                return True
            except (OSError, EOFError, ValueError):
                return True  # the channel was closed with its pool
            wait = 0
            message = item if in_process else self._assemble(item)
            if message is not None:
                self._take(message, events)
            if time.perf_counter() > deadline:
                return False

    def _assemble(self, piece: tuple) -> tuple | None:
        pid, number, seq, total, data = piece
        if total == 1:
            return pickle.loads(data)
        parts = self._partial.setdefault((pid, number), [])
        parts.append(data)
        if seq < total - 1:
            return None
        del self._partial[(pid, number)]
        return pickle.loads(b"".join(parts))

    def _take(self, message: tuple, events: list) -> None:
        kind, key, pid, name = message[:4]
        self._heard_at[pid] = time.perf_counter()
        worker = self._per_worker.get(key)
        if worker is None:
            worker = self._per_worker[key] = [pid, name, 0, 0, 0.0]
        if kind == HELLO:
            at = message[4] - self.t0
            if self._first_ready is None:
                self._first_ready = at
            events.append(WorkerStarted(key, pid, name, at))
        elif kind == REPORT:
            for segment in message[5]:
                self._take_segment(key, pid, name, worker, segment, events)

    def _take_segment(self, key, pid, name, worker, segment, events) -> None:
        indices, start, end, results, failures = segment
        received = self._received
        first, stop = indices.start, indices.stop
        if received.find(1, first, stop) == -1:  # the usual case: all new
            received[first:stop] = b"\x01" * (stop - first)
            self._results[first:stop] = results
            accepted = stop - first
            new_failures = failures
        else:  # a task that was retried after a death: keep the first result only
            failure_at = {failure[0]: failure for failure in failures}
            new_failures = []
            accepted = 0
            for index, result in zip(indices, results, strict=True):
                if received[index]:
                    continue
                received[index] = 1
                self._results[index] = result
                accepted += 1
                if index in failure_at:
                    new_failures.append(failure_at[index])
            if not accepted:
                return
        failed = len(new_failures)
        self._completed += accepted - failed
        self._failed += failed
        worker[2] += accepted
        worker[3] += failed
        worker[4] += end - start
        t0 = self.t0
        events.append(Segment(key, pid, name, first, accepted, failed, start - t0, end - t0))
        for index, exc_type, text, trace in new_failures:
            events.append(TaskFailed(index, key, pid, name, exc_type, text, trace))
        self._check_complete()

    def _fail_chunk(self, notice: _ChunkFailed, events: list) -> None:
        for index in notice.indices:
            if not self._received[index]:
                self._received[index] = 1
                self._failed += 1
                events.append(
                    TaskFailed(index, "pool", 0, "Pool", notice.exc_type, notice.message, "")
                )
        self._check_complete()

    def _check_complete(self) -> None:
        if self._completed + self._failed == self._total:
            self._all_in_at = time.perf_counter()
            self._all_received.set()
            self._control.put(("wake",))

    def _finish(self) -> RunFinished:
        # As a Pool.map caller measures it: until every result is here, not until the last
        # task ended in its worker (a large result can take longer to arrive than to make).
        end = self._all_in_at or time.perf_counter()
        wall = max(end - self.t0, 1e-9)
        workers = tuple(
            WorkerSummary(key, pid, name, tasks, failed, busy, tasks / wall, busy / wall)
            for key, (pid, name, tasks, failed, busy) in self._per_worker.items()
        )
        done = self._completed + self._failed
        config = self.config
        self._summary = RunSummary(
            workload=config.workload,
            executor=config.executor,
            workers=config.workers,
            start_method=config.start_method if config.executor == "process" else "",
            chunksize=config.chunksize,
            tasks=self._total,
            completed=self._completed,
            failed=self._failed,
            cancelled=self._total - done,
            retried=self._retried,
            chunks=self._chunks,
            wall_s=wall,
            startup_s=self._first_ready or 0.0,
            throughput=done / wall,
            per_worker=workers,
            deaths=tuple(self._deaths),
            stopped=self._stop_requested.is_set() and done < self._total,
            error=self._done_notice.error,
            results=self._results,
        )
        self._partial.clear()
        self._channel = None
        return RunFinished(self._summary)

    # ------------------------------------------------------------- the supervisor's side

    def _supervise(self) -> None:
        error = None
        if hasattr(signal, "pthread_sigmask"):
            # Processes forked from this thread inherit its signal mask: with SIGINT blocked,
            # a Ctrl+C while they start cannot raise in them (the worker ignores it, then
            # unblocks). The caller's thread still gets Ctrl+C. Spawned workers start with a
            # fresh mask, so they stay open to a Ctrl+C until their initializer runs.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._inputs = self.config.make_inputs()
            if len(self._inputs) != self._total:
                raise RuntimeError(
                    f"workload {self.config.workload!r} made {len(self._inputs)} inputs "
                    f"for {self._total} tasks"
                )
            if self.config.executor == "serial":
                self._supervise_serial()
            else:
                self._supervise_pool()
        except Exception as exc:  # an engine fault must end the run, not hang it
            error = f"the run failed: {type(exc).__name__}: {exc}"
        finally:
            try:
                self._dispose_pool()
            finally:
                self._notices.append(_SupervisorDone(error or self._give_up_reason()))
                self._supervisor_done.set()
                self._channel_ready.set()

    def _give_up_reason(self) -> str | None:
        if len(self._deaths) < self.config.max_deaths:
            return None
        listed = ", ".join(f"pid {pid} ({describe_exit(code)})" for pid, code in self._deaths)
        return f"workers keep dying: {len(self._deaths)} died in this run: {listed}. Stopped."

    def _supervise_serial(self) -> None:
        channel = queue.SimpleQueue()
        context = WorkerContext(self._func, channel, cancel=self._cancel, in_process=True)
        self._channel = channel
        self._channel_ready.set()
        say_hello(context)
        while self._pending_count and not self._stop_requested.is_set():
            chunk_id, indices = self._cut_chunk()
            ack = execute_chunk(
                context, chunk_id, indices, self._inputs[indices.start : indices.stop]
            )
            self._learn(ack)
        self._wait_for_consumer()

    @property
    def _window(self) -> int:
        """How many chunks are kept in flight at most."""
        return max(2, 2 * self.config.workers)

    def _supervise_pool(self) -> None:
        self._open_pool()
        window = self._window
        while not self._stop_requested.is_set() and not self._all_received.is_set():
            dead = self._find_dead_workers() + self._find_stuck_workers()
            if dead:
                if not self._recover(dead):
                    return
                continue
            while self._pending_count and len(self._in_flight) < window:
                self._submit()
            self._handle_control(TICK_S)
        # Every result is in; let the last acknowledgements land before the workers are
        # killed, so no worker dies holding the result queue's lock.
        deadline = time.perf_counter() + 0.5
        while (
            self._in_flight and not self._stop_requested.is_set() and time.perf_counter() < deadline
        ):
            self._handle_control(0.01)

    def _wait_for_consumer(self) -> None:
        while not self._stop_requested.is_set() and not self._all_received.is_set():
            self._handle_control(TICK_S)

    def _open_pool(self) -> None:
        config = self.config
        if config.executor == "thread":
            channel = queue.SimpleQueue()
            context = WorkerContext(self._func, channel, cancel=self._cancel, in_process=True)
            self._thread_context = context
            self._channel = channel
            self._channel_ready.set()
            self._pool = multiprocessing.pool.ThreadPool(
                config.workers, initializer=say_hello, initargs=(context,)
            )
            return
        mp = multiprocessing.get_context(config.start_method)
        channel = mp.Queue()
        # One slot per chunk that can be in flight: a chunk holds its slot until acknowledged.
        self._started_by = mp.RawArray("q", self._window)
        self._free_slots = list(range(self._window))
        self._channel = channel
        self._channel_ready.set()
        self._pool = _EnginePool(
            config.workers,
            initializer=init_process_worker,
            initargs=(self._func, channel, self._started_by, config.worker_nice),
            context=mp,
        )
        if config.start_method == "forkserver":
            from multiprocessing import forkserver

            self._forkserver_pid = forkserver._forkserver._forkserver_pid
        self._note_workers()

    def _cut_chunk(self) -> tuple[int, range]:
        size = self._chunk_size()
        head = self._pending[0]
        if len(head) <= size:
            chunk = self._pending.popleft()
        else:
            chunk = head[:size]
            self._pending[0] = head[size:]
        self._pending_count -= len(chunk)
        chunk_id = self._chunks
        self._chunks += 1
        return chunk_id, chunk

    def _chunk_size(self) -> int:
        if self.config.chunksize:
            return self.config.chunksize
        if self._per_task_s is None:
            return 1  # measure one task before sending more
        per_task = max(self._per_task_s, 1e-9)
        # Like Pool.map's own rule, leave several chunks per worker for the tail...
        tail = math.ceil(self._pending_count / (4 * self.config.workers))
        # ...but not chunks so small that sending them costs more than running them.
        size = min(int(TARGET_CHUNK_S / per_task), max(tail, int(MIN_CHUNK_S / per_task)))
        return max(1, size)

    def _submit(self) -> None:
        chunk_id, indices = self._cut_chunk()
        inputs = self._inputs[indices.start : indices.stop]
        generation = self._generation
        control = self._control

        def done(ack):
            control.put(("ack", generation, ack))

        def failed(exc):
            control.put(("error", generation, chunk_id, exc))

        if self.config.executor == "thread":
            self._in_flight[chunk_id] = _InFlight(indices, None)
            self._pool.apply_async(
                execute_chunk, (self._thread_context, chunk_id, indices, inputs), {}, done, failed
            )
        else:
            slot = self._free_slots.pop()
            self._started_by[slot] = 0
            self._in_flight[chunk_id] = _InFlight(indices, slot)
            self._pool.apply_async(
                run_chunk_in_process, (chunk_id, slot, indices, inputs), {}, done, failed
            )

    def _handle_control(self, timeout: float) -> None:
        try:
            message = self._control.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            kind = message[0]
            if kind == "ack" and message[1] == self._generation:
                self._settle(message[2][0])
                self._learn(message[2])
            elif kind == "error" and message[1] == self._generation:
                _, _, chunk_id, exc = message
                chunk = self._settle(chunk_id)
                if chunk is not None:
                    failure = _ChunkFailed(chunk.indices, type(exc).__qualname__, str(exc))
                    self._notices.append(failure)
            try:
                message = self._control.get_nowait()
            except queue.Empty:
                return

    def _settle(self, chunk_id: int) -> _InFlight | None:
        """A chunk is done with: free its slot and count it as its worker's progress."""
        chunk = self._in_flight.pop(chunk_id, None)
        if chunk is not None and chunk.slot is not None:
            watch = self._watch.get(self._started_by[chunk.slot])
            if watch is not None:
                watch.progress_at = time.perf_counter()
            self._free_slots.append(chunk.slot)
        return chunk

    def _learn(self, ack: tuple) -> None:
        _, count, busy = ack
        per_task = busy / max(count, 1)
        self._longest_task_s = max(self._longest_task_s, per_task)
        if self._per_task_s is None:
            self._per_task_s = per_task
        else:
            self._per_task_s = 0.5 * (self._per_task_s + per_task)

    # ------------------------------------------------------------------ deaths

    def _note_workers(self) -> None:
        # Pool keeps no public list of its workers; _pool has held them since Python 2.6.
        for process in list(self._pool._pool):
            if process.pid is not None and process.pid not in self._procs:
                self._procs[process.pid] = process

    def _find_dead_workers(self) -> list:
        if self.config.executor != "process" or self._pool is None:
            return []  # no pool: a death came after the last result, and none was needed
        self._note_workers()
        dead = []
        for pid, process in list(self._procs.items()):
            if process.exitcode is not None:
                del self._procs[pid]
                self._watch.pop(pid, None)
                dead.append(process)
        return dead

    def _find_stuck_workers(self) -> list:
        """Workers that make no progress: stopped, or blocked in a task far past its cost.

        Progress is a report or a finished chunk, or CPU time used. A busy worker is stuck
        after `STUCK_TASK_FACTOR` times the longest task seen, and never before the config's
        `stuck_after_s`: a long task that computes is never stuck, one that waits is only
        after ten times what its tasks have cost. A stopped process (SIGSTOP, Ctrl+Z) is stuck
        after a short grace, busy or not: idle, it may hold the lock all workers read tasks
        under. Stuck workers are killed here and recovered from like any death.
        """
        if self.config.executor != "process" or self._pool is None:
            return []
        now = time.perf_counter()
        if now < self._next_watch:
            return []
        self._next_watch = now + WATCH_S
        busy = {self._started_by[chunk.slot] for chunk in self._in_flight.values()}
        stuck = []
        for pid, process in list(self._procs.items()):
            watch = self._watch.get(pid)
            if watch is None:
                watch = self._watch[pid] = _WorkerWatch(now)
            watch.progress_at = max(watch.progress_at, self._heard_at.get(pid, 0.0))
            info = procinfo.sample(pid)
            if info is not None and info.cpu_s > watch.cpu_s:
                if watch.cpu_s >= 0:
                    watch.progress_at = now
                watch.cpu_s = info.cpu_s
            idle = now - watch.progress_at
            reason = None
            if info is not None and info.stopped:
                watch.stopped_since = watch.stopped_since or now
                if now - watch.stopped_since >= min(STOPPED_S, self.config.stuck_after_s):
                    reason = (
                        f"pid {pid} is stopped (SIGSTOP or Ctrl+Z) and has made no progress "
                        f"for {idle:.0f} s"
                    )
            else:
                watch.stopped_since = None
                limit = self._stuck_limit(blind=info is None)
                if pid in busy and idle >= limit:
                    reason = (
                        f"pid {pid} has made no progress for {idle:.0f} s (no report, no CPU "
                        f"time; its tasks have taken at most {self._longest_task_s:.2g} s)"
                    )
            if reason is not None:
                self._notices.append(
                    WorkerStuck(str(pid), pid, process.name, idle, reason, now - self.t0)
                )
                process.kill()
                _join(process, timeout=1.0)
                del self._procs[pid]
                self._watch.pop(pid, None)
                stuck.append(process)
        return stuck

    def _stuck_limit(self, blind: bool) -> float:
        floor = max(self.config.stuck_after_s, BLIND_STUCK_S if blind else 0.0)
        return max(floor, STUCK_TASK_FACTOR * self._longest_task_s)

    def _recover(self, dead: list) -> bool:
        """Report the deaths; replace the pool and requeue unfinished tasks, or give up."""
        at = time.perf_counter() - self.t0
        slots = self._started_by
        started = {chunk_id: slots[chunk.slot] for chunk_id, chunk in self._in_flight.items()}
        for process in dead:
            running = tuple(
                index
                for chunk_id, chunk in self._in_flight.items()
                if started[chunk_id] == process.pid
                for index in chunk.indices
                if not self._received[index]
            )
            cause = ""
            if _lost_with_forkserver(process, self._forkserver_pid):
                cause = "its forkserver died"
                procinfo.kill_and_confirm(process.pid)  # pdeathsig may not have: be sure
            self._deaths.append((process.pid, process.exitcode))
            self._notices.append(
                WorkerDied(
                    str(process.pid),
                    process.pid,
                    process.name,
                    process.exitcode,
                    at,
                    running,
                    cause,
                )
            )
        if len(self._deaths) >= self.config.max_deaths:
            return False
        retried = sum(
            1
            for chunk_id, chunk in self._in_flight.items()
            if started[chunk_id]
            for index in chunk.indices
            if not self._received[index]
        )
        self._dispose_pool()
        self._generation += 1
        self._in_flight.clear()
        unsent = self._pending_count
        self._pending = deque(_unreceived_ranges(self._received))
        self._pending_count = sum(len(r) for r in self._pending)
        requeued = max(0, self._pending_count - unsent - retried)
        self._retried += retried
        self._notices.append(PoolRestarted(at, retried, requeued))
        if self._pending_count:
            self._open_pool()
        return True

    def _dispose_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self.config.executor == "thread":
            self._cancel.set()
            pool.terminate()
            return
        procs = list(self._procs.values())
        self._procs.clear()
        _dispose_process_pool(pool, procs, self._forkserver_pid)


class _EnginePool(multiprocessing.pool.Pool):
    """A Pool that never starts replacement workers.

    After a death the engine replaces the whole pool, so a replacement would only be killed
    again; and starting one can fail inside the Pool's own thread (a forkserver that was
    killed refuses the connection). Exited workers are still joined, so the Pool's handler
    thread does not wake for them again and again.
    """

    @staticmethod
    def _maintain_pool(ctx, Process, processes, pool, *args) -> None:
        multiprocessing.pool.Pool._join_exited_workers(pool)


def _unreceived_ranges(received: bytearray) -> list[range]:
    ranges = []
    start = received.find(0)
    while start != -1:
        stop = received.find(1, start)
        if stop == -1:
            stop = len(received)
        ranges.append(range(start, stop))
        start = received.find(0, stop)
    return ranges


def _dispose_process_pool(
    pool: multiprocessing.pool.Pool, procs: list, server: int | None = None
) -> None:
    """Kill a pool's workers now and let its threads end, whatever state the workers were in.

    `Pool.terminate()` alone can hang or fail when a worker died at the wrong moment: holding
    one of the pool's locks, or halfway through reading a task (the rest of that message is
    then garbage at the head of the task pipe, which terminate() would try to parse). So:
    stop the pool from starting replacements, kill every worker, free the two locks a killed
    worker may have held, throw away what is left in the task pipe until the pool's task
    thread has finished, and only then let `terminate()` stop the pool's threads.
    """
    handler = pool._worker_handler
    handler._state = multiprocessing.pool.TERMINATE  # no more replacement workers
    _kill_all([*procs, *pool._pool], server)
    pool._change_notifier.put(None)  # wake the handler if no death has already
    handler.join(timeout=1.0)
    _kill_all(pool._pool, server)  # one it started in the meantime
    _free_lock(pool._inqueue._rlock, wait_s=0.0)  # nobody alive reads the task pipe now
    # The pool's task thread may hold the result queue's lock for a moment: wait a little.
    _free_lock(pool._outqueue._wlock, wait_s=0.2)
    task_thread = pool._task_handler
    deadline = time.perf_counter() + 1.0
    while task_thread.is_alive() and time.perf_counter() < deadline:
        _discard_pending(pool._inqueue._reader)  # it may be blocked writing to a full pipe
        task_thread.join(timeout=0.02)
    _discard_pending(pool._inqueue._reader)
    pool.terminate()


def _kill_all(processes, server: int | None = None) -> None:
    processes = list(processes)
    for process in processes:
        if process.exitcode is None:
            process.kill()
        elif _lost_with_forkserver(process, server):
            procinfo.kill_and_confirm(process.pid)
    for process in processes:
        process.join(timeout=1.0)


def _join(process, timeout: float) -> None:
    """Join a process until its exit code is known.

    The Pool's handler thread reaps exited workers too; when it wins the race for waitpid,
    our join returns with the exit code not yet stored on the shared Popen: wait for it.
    """
    deadline = time.perf_counter() + timeout
    process.join(timeout)
    while process.exitcode is None and time.perf_counter() < deadline:
        time.sleep(0.005)


def _lost_with_forkserver(process, server: int | None) -> bool:
    """A forkserver's child whose exit code came from losing the forkserver, not its own end.

    The parent learns a forkserver child's exit code from the forkserver; when the forkserver
    itself dies, `Process.exitcode` reads 255 while the worker may still be alive, and
    `Process.kill()` then does nothing. Such a worker must be killed by pid. `server` is the
    forkserver that started it: by the time the death is seen, the Pool may already have
    started a new forkserver for replacement workers.
    """
    popen = getattr(process, "_popen", None)
    if process.exitcode != 255 or not type(popen).__module__.endswith("popen_forkserver"):
        return False
    if server is None or procinfo.is_alive(process.pid):
        return True
    # The worker saw the forkserver's pipe close: the forkserver may still be ending.
    deadline = time.perf_counter() + 0.5
    while procinfo.is_alive(server):
        if time.perf_counter() > deadline:
            return False  # the worker itself ended with exit code 255
        time.sleep(0.01)
    return True


def _discard_pending(connection) -> None:
    """Throw away every byte waiting in a pipe, whole messages or not."""
    if os.name == "nt":  # message-mode pipes: a message is never read in part
        while connection.poll():
            connection.recv_bytes()
        return
    fd = connection.fileno()
    os.set_blocking(fd, False)
    try:
        while os.read(fd, 1 << 16):
            pass
    except BlockingIOError:
        pass
    finally:
        os.set_blocking(fd, True)


def _free_lock(lock, wait_s: float) -> None:
    if lock is None:  # Windows queues have no write lock
        return
    if wait_s:
        lock.acquire(timeout=wait_s)
    else:
        lock.acquire(False)
    # Either we took it (nobody held it), or every worker is dead and its holder was killed
    # holding it: release it either way.
    with contextlib.suppress(ValueError):
        lock.release()


@atexit.register
def _stop_active_runs() -> None:
    """At interpreter exit, stop runs still going so no worker outlives the app."""
    runs = list(_active_runs)
    for run in runs:
        run.stop()
    for run in runs:
        if run._supervisor is not None and run._supervisor is not threading.current_thread():
            run._supervisor.join(timeout=3.0)
