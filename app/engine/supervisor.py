"""The supervisor: one thread that owns a run's workers for their whole life.

It makes the inputs, opens the backend (never on the caller's thread), cuts the inputs into
chunks and keeps a window of them in flight, watches the workers, replaces them when one dies
or is stuck, and disposes of them at the end. It tells the consumer what happened through
`notices` (a deque: it appends, the consumer pops) and the current `channel`.

A dead or stuck worker: the backend disposes of all its workers (a death may have left the
pool's shared locks held) and opens anew; every task whose result has not reached the ledger
is sent again. The ledger keeps the first result of each task, so a task never counts twice.
"""

from __future__ import annotations

import math
import queue
import signal
import threading
import time
from collections import deque, namedtuple
from collections.abc import Callable, Sequence

from app.engine.backends import BACKENDS, Backend
from app.engine.config import MAX_TASKS, RunConfig
from app.engine.lazy import LazyModule
from app.engine.ledger import Ledger
from app.engine.messages import Ack, ChunkError

# Loaded by the supervisor once it has asked for the workers (see app.engine.lazy).
records = LazyModule("app.engine.records")
procinfo = LazyModule("app.engine.procinfo")  # only once workers are watched


TARGET_CHUNK_S = 0.02  # auto chunks aim at this much work: fine-grained, yet cheap to send
MIN_CHUNK_S = 0.002  # ...and never less, or tiny tasks would end in a long tail of tiny chunks
TICK_S = 0.05  # how long the supervisor sleeps when nothing wakes it
DEATH_LOOK_S = 0.02  # how often, at most, it looks for dead workers
WATCH_S = 0.25  # how often it asks the OS whether a worker is stopped or using CPU
STOPPED_S = 2.0  # a worker stopped (SIGSTOP) this long is stuck
STUCK_TASK_FACTOR = 10  # no progress for 10x the longest task seen so far is "stuck"...
BLIND_STUCK_S = 60.0  # ...or, where the OS cannot tell CPU time (no /proc), at least this
WINDOW_MAX = 256  # chunks in flight at most, whatever the chunksize (and slots to hold them)
READY_WAIT_S = 2.0  # a short list waits this long at most for every worker to be up
TINY_TASK_S = 0.001  # ...and sends its chunks one at a time while tasks take less than this


# The supervisor's small records are named tuples, as the messages are (`messages.py`): a
# frozen dataclass costs a cold run about 0.4 ms to define, before it can ask for workers.
ChunkFailed = namedtuple("ChunkFailed", "indices exc_type message")
ChunkFailed.__doc__ = """Notice: a chunk could not run at all (its inputs or results would
not pickle, say): its task `indices` (a range), the exception's type name and message."""

SupervisorDone = namedtuple("SupervisorDone", "error")
SupervisorDone.__doc__ = """Notice: the supervisor has ended and every worker is gone; `error`
says why the run failed or gave up (None: it did not)."""

InFlight = namedtuple("InFlight", "indices slot")
InFlight.__doc__ = """A chunk sent to the backend and not yet acknowledged: its task `indices`
and its `slot`, its place in the backend's shared "who took it" table."""


class WorkerWatch:
    """What the supervisor last saw of one worker process, to tell stuck from slow."""

    __slots__ = ("progress_at", "cpu_s", "stopped_since")

    def __init__(self, now: float) -> None:
        self.progress_at = now  # the last time it reported, finished a chunk or used CPU
        self.cpu_s = -1.0
        self.stopped_since: float | None = None


def window_for(config: RunConfig) -> int:
    """How many chunks to keep in flight, usually. Auto chunks aim at 20 ms of work each, so
    two per worker keep every worker busy (auto chunks of tiny tasks, which stop at Pool.map's
    own size, keep more: see Supervisor._stretch). A small chunksize chosen by hand (the
    chunksize lesson) needs many in flight, as Pool.map sends them all at once, or the lesson
    would show the round trip to the supervisor instead of the cost of sending a chunk."""
    if config.chunksize:
        return max(2 * config.workers, min(WINDOW_MAX, config.task_count // config.chunksize))
    return max(2, 2 * config.workers)


class Supervisor:
    def __init__(self, config: RunConfig, func: Callable, ledger: Ledger) -> None:
        self.config = config
        self.ledger = ledger  # read only: which results have arrived, when a worker reported
        self.t0 = 0.0
        self.window = window_for(config)  # chunks in flight, usually (see _in_flight_limit)
        # Each chunk in flight holds a slot of the backend's "who took it" table. Auto chunks
        # of tiny tasks may need more in flight than the usual window (see _stretch).
        self.slots = self.window if config.chunksize else max(self.window, WINDOW_MAX)
        self.backend: Backend = BACKENDS[config.executor](config, func, self.slots, self._done)

        # What the consumer reads.
        self.channel: object = None
        self.channel_ready = threading.Event()
        self.notices: deque = deque()
        self.done = threading.Event()
        self.retried = 0
        self.chunks = 0
        self.deaths: list[tuple[int, int]] = []
        self.workers: dict[int, object] = {}  # pid -> Process, for kill_worker

        # Anyone -> the supervisor thread: wake-ups on `control`, the backends' news of their
        # chunks (Acks, ChunkErrors) on `_news`, each with the generation of its pool.
        self.control: queue.SimpleQueue = queue.SimpleQueue()
        self.stop_requested = threading.Event()
        self._news: deque[tuple[int, Ack | ChunkError]] = deque()
        self._wake_after = 1  # wake the supervisor when this many acknowledgements wait

        # The supervisor thread's own.
        self._inputs: Sequence = ()
        self._pending: deque[range] = deque([range(config.task_count)])
        self._pending_count = config.task_count
        self._map_chunksize = math.ceil(config.task_count / (4 * config.workers))
        self._in_flight: dict[int, InFlight] = {}
        self._free_slots: list[int] = []
        self._per_task_s: float | None = None
        self._busy_seen = self._tasks_seen = 0.0  # what _learn has seen, the older ever less
        self._longest_task_s = 0.0
        self._watch: dict[int, WorkerWatch] = {}
        self._next_watch = 0.0

    def stop(self) -> None:
        self.stop_requested.set()
        self.wake()

    def wake(self) -> None:
        self.control.put(None)

    # ------------------------------------------------------------------ the thread

    def run(self) -> None:
        """The supervisor thread's body: never raises; ends with a SupervisorDone notice."""
        error = None
        if hasattr(signal, "pthread_sigmask"):
            # Processes forked from this thread inherit its signal mask: with SIGINT blocked,
            # a Ctrl+C while they start cannot raise in them (the worker ignores it, then
            # unblocks). The caller's thread still gets Ctrl+C. Spawned workers start in a
            # session of their own instead, out of the terminal's reach (see spawning.py).
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._open()  # first: the workers start while the inputs are made...
            records.load()  # ...and while what the run needs only once they are up is loaded
            self._inputs = self.config.make_inputs()
            if len(self._inputs) != self.config.task_count:
                raise RuntimeError(
                    f"workload {self.config.workload!r} made {len(self._inputs)} inputs "
                    f"for {self.config.task_count} tasks"
                )
            self._supervise()
        except Exception as exc:  # an engine fault must end the run, not hang it
            error = f"the run failed: {type(exc).__name__}: {exc}"
        finally:
            try:
                self.workers = {}
                self.backend.dispose()
            finally:
                self.notices.append(SupervisorDone(error or self._give_up_reason()))
                self.done.set()
                self.channel_ready.set()

    def _supervise(self) -> None:
        all_received = self.ledger.all_received
        next_look = 0.0
        while not self.stop_requested.is_set() and not all_received.is_set():
            now = time.perf_counter()
            if now >= next_look:  # not at every acknowledgement: each look is a syscall a worker
                next_look = now + DEATH_LOOK_S
                dead = self.backend.find_dead()
                if self.backend.watch_for_stuck:
                    dead += self._find_stuck_workers()
                if dead:
                    if not self._recover(dead):
                        return
                    continue
            limit = self._in_flight_limit()
            if self._pending_count and len(self._in_flight) < limit:
                self._submit(limit - len(self._in_flight))
            # Woken by one acknowledgement while few chunks fly, by a quarter of the window's
            # when many do: each wake-up costs the workers' messages a thread switch.
            self._wake_after = max(1, limit // 4)
            self._handle_control(TICK_S if limit else 0.005)  # waiting for hellos: look often
        # Every result is in; let the last acknowledgements land before the workers are
        # killed, so no worker dies holding the result queue's lock.
        self._wake_after = 1
        if self._news:
            self.wake()
        deadline = time.perf_counter() + 0.5
        while (
            self._in_flight and not self.stop_requested.is_set() and time.perf_counter() < deadline
        ):
            self._handle_control(0.01)

    def _open(self) -> None:
        self._free_slots = list(range(self.slots))
        self.channel = self.backend.open()
        more = self.backend.more_slots()
        if more:  # a cluster bigger than the run asked for: keep all of it busy
            self._free_slots += range(self.slots, self.slots + more)
            self.window += more
            self.slots += more
            self.backend.slots = self.slots
        self.workers = self.backend.processes()
        self._pass_on_notes()
        self.channel_ready.set()

    def _pass_on_notes(self) -> None:
        notes, self.backend.notes = self.backend.notes, []
        at = time.perf_counter() - self.t0
        self.notices.extend(records.ExecutorNote(at, text) for text in notes)

    def _in_flight_limit(self) -> int:
        """How many chunks may be in flight now."""
        # Until one chunk has been timed, sizes are guesses: one small chunk per worker.
        if self.config.chunksize:
            limit = self.window
        elif self._per_task_s is not None:
            limit = min(self.slots, self.window * self._stretch())
        else:
            limit = self.config.workers
        # A short list, as the tutorial's 8 inputs; a run until Stop is never short.
        if self._map_chunksize == 1 and not self.config.until_stopped:
            limit = self._short_list_limit(limit)
        return limit

    def _stretch(self) -> int:
        """How many times the usual window auto chunks need in flight now.

        Auto chunks aim at TARGET_CHUNK_S of work, but a chunk of tiny tasks stops at
        Pool.map's own size and may hold far less: 25,000 `power` tasks are about 1 ms.
        Two of those per worker run dry in 2 ms, sooner than the supervisor's thread may get
        its turn at the GIL in a busy parent (a cold run's imports, the window's painting),
        and the workers would wait. So keep as many more in flight as a chunk falls short of
        the target: what Pool.map does, which sends all its chunks at once.
        """
        chunk_s = self._per_task_s * self._chunk_size()
        return max(1, math.ceil(TARGET_CHUNK_S / max(chunk_s, 1e-9)))

    def _short_list_limit(self, limit: int) -> int:
        """How many chunks a short list (under four tasks a worker) keeps in flight.

        Tiny tasks on a shared queue all go to the first worker free: one worker would take
        the tutorial's 8 microsecond tasks before the other has even started, and the class
        would never see the work spread. So a short list waits until every worker is up (at
        most READY_WAIT_S), then sends one chunk at a time while its tasks prove tiny: the
        next one then finds the other worker already waiting for it. Coarse tasks, whose
        workers are busy when the next arrives, get the usual window.
        """
        ready = len(self.ledger.workers) >= self.config.workers
        if not ready and time.perf_counter() - self.t0 < READY_WAIT_S:
            return 0
        if self._per_task_s is None or self._per_task_s < TINY_TASK_S:
            return 1
        return limit

    def _give_up_reason(self) -> str | None:
        if len(self.deaths) < self.config.max_deaths:
            return None
        listed = ", ".join(
            f"pid {pid} ({records.describe_exit(code)})" for pid, code in self.deaths
        )
        return f"workers keep dying: {len(self.deaths)} died in this run: {listed}. Stopped."

    # ------------------------------------------------------------------ chunks

    def _cut_chunk(self) -> tuple[int, range]:
        size = self._chunk_size()
        head = self._pending[0]
        if len(head) <= size:
            chunk = self._pending.popleft()
        else:
            chunk = head[:size]
            self._pending[0] = head[size:]
        self._pending_count -= len(chunk)
        if not self._pending and self.config.until_stopped:
            self._add_round()
        chunk_id = self.chunks
        self.chunks += 1
        return chunk_id, chunk

    def _add_round(self) -> None:
        """Another round of the same inputs, announced to the ledger before any is sent, so
        that its books never look complete between two rounds."""
        issued = self.ledger.total
        size = min(len(self._inputs), MAX_TASKS - issued)
        if size <= 0:
            return  # the most one run holds: it ends when these results are in
        self.ledger.grow(size)
        self._pending.append(range(issued, issued + size))
        self._pending_count += size

    def _chunk_size(self) -> int:
        if self.config.chunksize:
            return self.config.chunksize
        if self._per_task_s is None:
            return 1  # measure one task before sending more
        per_task = max(self._per_task_s, 1e-9)
        # Like Pool.map's own rule, leave several chunks per worker for the tail...
        tail = math.ceil(self._pending_count / (4 * self.config.workers))
        # ...but not chunks so small that sending them costs more than running them...
        size = min(int(TARGET_CHUNK_S / per_task), max(tail, int(MIN_CHUNK_S / per_task)))
        # ...and never larger than Pool.map's own default, so a short list still spreads
        # over every worker as in the tutorial (8 inputs on 2 workers: chunks of 1).
        return max(1, min(size, self._map_chunksize))

    def _submit(self, room: int) -> None:
        """Send up to `room` chunks, together: one hand-over to the backend for all."""
        chunks = []
        while self._pending_count and len(chunks) < room:
            chunk_id, indices = self._cut_chunk()
            slot = self._free_slots.pop()
            self._in_flight[chunk_id] = InFlight(indices, slot)
            chunks.append((chunk_id, slot, indices, self._inputs_for(indices)))
        self.backend.submit_many(chunks)

    def _inputs_for(self, indices: range) -> Sequence:
        """The inputs of these tasks: later rounds of a run until Stop reuse the first's."""
        count = len(self._inputs)
        start = indices.start % count
        if start + len(indices) <= count:
            return self._inputs[start : start + len(indices)]
        return [self._inputs[index % count] for index in indices]  # across two rounds

    def _done(self, generation: int, news: Ack | ChunkError) -> None:
        """From a backend's thread: a chunk is done, or could not run."""
        self._news.append((generation, news))
        if len(self._news) >= self._wake_after or type(news) is not Ack:
            self.control.put(None)

    def _handle_control(self, timeout: float) -> None:
        """Wait up to `timeout` to be woken, then take in every chunk's news."""
        control = self.control
        try:
            control.get(timeout=timeout)
            while True:  # one wake-up serves them all
                control.get_nowait()
        except queue.Empty:
            pass
        news, generation = self._news, self.backend.generation
        now = time.perf_counter()  # when these chunks were seen done: their workers' progress
        while news:
            made_by, item = news.popleft()
            if made_by != generation:
                continue  # from a pool already replaced
            chunk = self._settle(item.chunk_id, now)
            if type(item) is Ack:
                self._learn(item)
            elif chunk is not None:
                self.notices.append(ChunkFailed(chunk.indices, item.exc_type, item.message))

    def _settle(self, chunk_id: int, now: float) -> InFlight | None:
        """A chunk is done with: free its slot and count it as its worker's progress."""
        chunk = self._in_flight.pop(chunk_id, None)
        if chunk is not None:
            if self._watch:  # the workers are watched for being stuck (see below)
                watch = self._watch.get(self.backend.started_by(chunk.slot))
                if watch is not None:
                    watch.progress_at = now
            self._free_slots.append(chunk.slot)
        return chunk

    def _learn(self, ack: Ack) -> None:
        per_task = ack.busy_s / max(ack.count, 1)
        self._longest_task_s = max(self._longest_task_s, per_task)
        # The time per task over the chunks seen, each weighing by its tasks, the older ever
        # less: the first chunk, one task long, says little about thousands of tiny tasks
        # (it holds a chunk's fixed costs, and a first call's), and later chunks correct it.
        self._busy_seen = 0.5 * self._busy_seen + ack.busy_s
        self._tasks_seen = 0.5 * self._tasks_seen + max(ack.count, 1)
        self._per_task_s = self._busy_seen / self._tasks_seen

    # ------------------------------------------------------------------ stuck and dead

    def _find_stuck_workers(self) -> list:
        """Workers that make no progress: stopped, or blocked in a task far past its cost.

        Progress is a report or a finished chunk, or CPU time used. A busy worker is stuck
        after `STUCK_TASK_FACTOR` times the longest task seen, and never before the config's
        `stuck_after_s`: a long task that computes is never stuck, one that waits is only
        after ten times what its tasks have cost. A stopped process (SIGSTOP, Ctrl+Z) is stuck
        after a short grace, busy or not: idle, it may hold the lock all workers read tasks
        under. Stuck workers are killed here and recovered from like any death.
        """
        now = time.perf_counter()
        if now < self._next_watch:
            return []
        self._next_watch = now + WATCH_S
        busy = {self.backend.started_by(chunk.slot) for chunk in self._in_flight.values()}
        heard_at = self.ledger.heard_at
        stuck = []
        for pid, process in self.backend.processes().items():
            watch = self._watch.get(pid)
            if watch is None:
                watch = self._watch[pid] = WorkerWatch(now)
            watch.progress_at = max(watch.progress_at, heard_at.get(pid, 0.0))
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
                if pid in busy and idle >= self._stuck_limit(blind=info is None):
                    reason = (
                        f"pid {pid} has made no progress for {idle:.0f} s (no report, no CPU "
                        f"time; its tasks have taken at most {self._longest_task_s:.2g} s)"
                    )
            if reason is not None:
                self.notices.append(
                    records.WorkerStuck(str(pid), pid, process.name, idle, reason, now - self.t0)
                )
                process.kill()
                stuck.append(process)
        if stuck:
            # Let each exit code land, then take them from the backend's list of the dead.
            for process in stuck:
                procinfo.join(process, timeout=1.0)
            return self.backend.find_dead()
        return []

    def _stuck_limit(self, blind: bool) -> float:
        floor = max(self.config.stuck_after_s, BLIND_STUCK_S if blind else 0.0)
        return max(floor, STUCK_TASK_FACTOR * self._longest_task_s)

    def _recover(self, dead: list) -> bool:
        """Report the deaths; open anew and send every task without a result, or give up."""
        at = time.perf_counter() - self.t0
        received = self.ledger.received
        started = {
            chunk_id: self.backend.started_by(chunk.slot)
            for chunk_id, chunk in self._in_flight.items()
        }
        for process in dead:
            running = tuple(
                index
                for chunk_id, chunk in self._in_flight.items()
                if started[chunk_id] == process.pid
                for index in chunk.indices
                if not received[index]
            )
            cause = self.backend.cause_of_death(process) or records.describe_exit(process.exitcode)
            self._watch.pop(process.pid, None)
            self.deaths.append((process.pid, process.exitcode))
            self.notices.append(
                records.WorkerDied(
                    getattr(process, "key", None) or str(process.pid),  # a cluster's: host:pid
                    process.pid,
                    process.name,
                    process.exitcode,
                    at,
                    running,
                    cause,
                )
            )
        if len(self.deaths) >= self.config.max_deaths:
            return False
        retried = sum(
            1
            for chunk_id, chunk in self._in_flight.items()
            if started[chunk_id]
            for index in chunk.indices
            if not received[index]
        )
        self._pass_on_notes()  # what the executor said of the death (BrokenProcessPool)
        if self.backend.reschedules_itself:
            # The executor runs the lost tasks again itself (Dask); the others go on.
            self.retried += retried
            self.notices.append(records.PoolRestarted(at, retried, 0, self.backend.on_death, False))
            self.workers = self.backend.processes()
            return True
        self.workers = {}
        self.backend.dispose()
        self._in_flight.clear()
        unsent = self._pending_count
        self._pending = deque(_unreceived_ranges(received))
        self._pending_count = sum(len(r) for r in self._pending)
        requeued = max(0, self._pending_count - unsent - retried)
        self.retried += retried
        self.notices.append(records.PoolRestarted(at, retried, requeued, self.backend.on_death))
        if self._pending_count:
            self._open()
        return True


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
