"""The code that runs inside a worker: execute a chunk of tasks, time it, report it.

This module is what a spawned worker imports (with the workload's own module), so it imports
nothing but the standard library: no Qt, no pyqtgraph, no numpy.

A chunk is reported in one `Report` holding one or more `TaskBlock`s: tasks one worker did back
to back (see `app.engine.messages`). Telemetry
follows the task size: if the first task of a chunk takes longer than `COARSE_TASK_S`, every
task is timed and reported on its own; otherwise the rest of the chunk runs on a fast path
(`list.extend(map(func, ...))`, as tight as `Pool.map` itself) and is reported as one block.

Beside wall time, each block carries the CPU time of the worker's own thread
(`time.thread_time()`, read once per block on the fast path and once per task on the coarse
one). Wall minus CPU is time spent waiting: for the GIL when threads share a CPU-bound
workload, for the clock or the disk on I/O-bound ones (`sleep`).

Where the rest of a worker's life goes is counted as cheaply, per chunk and never per task,
in running totals each Report carries (see `Tally`): time spent sending (pickling a message
and handing it to the channel), time alive without a task (waiting for the next chunk, or for
its first), and the pickled bytes of the task messages received, read off the bytes the
worker reads anyway (`count_received`). The start-up's moments travel in the Hello: when the
parent asked for the process (`Process.asked_at`, set by the backend), when it first ran our
code (`note_start`), and when it was ready.

A Pool's worker batches the reports of its tiny chunks: with one task a chunk (the chunksize
lesson) a report per chunk would cost more than the task itself. It keeps their blocks and
sends them together at least every `REPORT_EVERY_S`, and always before it could wait for its
next task (`flushing_get`), so nothing it has done waits on it while it is idle. Coarse
chunks are reported as they go, as before.

Reports from worker processes cross a multiprocessing Queue as pieces of at most
`PIECE_BYTES`. A pipe write of up to PIPE_BUF bytes is atomic (POSIX), so a worker that is
killed mid-report leaves whole pieces or nothing, never half a message: the reader can never
block on a message that will not finish (see `Lib/multiprocessing/queues.py` for the hazard).
On POSIX each piece is written straight to the Queue's pipe, in the Connection's own framing
(a 4-byte length, then the pickle), from the thread that made it: no feeder thread to wake,
no lock to take, since each write is atomic by itself.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from itertools import islice
from multiprocessing import current_process, parent_process
from multiprocessing.connection import wait

from app.engine.messages import Ack, Failure, Hello, Report, TaskBlock

# When this process first ran our code: importing this module, in a spawned worker. A forked
# worker (or one forked by a forkserver that imported it) inherits the value of another
# process; `note_start` then takes the moment it starts running our code instead.
_began_at = time.perf_counter()
_began_pid = os.getpid()

COARSE_TASK_S = 0.002  # tasks at least this long are timed and reported one by one
FLUSH_EVERY_S = 0.05  # a coarse chunk sends what it has at least this often
REPORT_EVERY_S = 0.02  # a worker that batches its tiny chunks' reports sends them this often
# 128 bytes leave room for the piece's tuple and the Connection's 4-byte length header.
PIECE_BYTES = getattr(select, "PIPE_BUF", 65536) - 128
_FRAME_HEADER = struct.Struct("!i")  # multiprocessing.connection's length prefix


class WorkerContext:
    """What a worker needs for a run: the function, where reports go, and where to say which
    chunk it has started.

    A plain class rather than a dataclass: `dataclasses` would add its import time to the
    start of every spawned worker.
    """

    __slots__ = ("func", "channel", "started_by", "batch", "channel_fd")

    def __init__(
        self,
        func: Callable,
        channel: object,  # the run's multiprocessing.Queue
        started_by: object | None = None,  # shared array: chunk slot -> pid that took the chunk
        batch: bool = False,  # keep tiny chunks' blocks to send together (see flushing_get)
    ) -> None:
        self.func = func
        self.channel = channel
        self.started_by = started_by
        self.batch = batch
        self.channel_fd = _pipe_fd(channel)


def _pipe_fd(channel: object) -> int | None:
    """The write end of a Queue's pipe, to write whole frames to; None where writes of up to
    PIPE_BUF bytes are not atomic (Windows) or the channel is no Queue (a list in tests)."""
    writer = getattr(channel, "_writer", None)
    if writer is None or os.name != "posix":
        return None
    return writer.fileno()


_context: WorkerContext | None = None  # set in each worker process by init_process_worker
_message_count = 0
# Threads of one host process share its pid, so each message must get a number of its own.
_message_count_lock = threading.Lock()
_received_bytes = 0  # the size of the last task message this process received
_batching = False  # a Pool worker: its tiny chunks' reports are batched (see pool_worker)
RSS_EVERY_S = 0.05  # peak memory is asked of the OS at most this often
_RSS_KB_PER_UNIT = 1 / 1024 if sys.platform == "darwin" else 1  # ru_maxrss: bytes on macOS


class Tally:
    """Where one worker's time and bytes went since it was ready: running totals, per thread.

    `mark` is when the worker last finished something it accounts for (its hello, a chunk's
    last message); a chunk that starts later was waited for: `idle_s`.
    """

    __slots__ = (
        "send_s", "send_cpu_s", "idle_s", "bytes_in", "mark", "rss_kb", "rss_at", "pending",
        "pending_since", "pending_max",
    )  # fmt: skip

    def __init__(self, mark: float) -> None:
        self.send_s = 0.0  # pickling messages and handing them to the channel
        self.send_cpu_s = 0.0  # ...of which this thread had the CPU (the rest: GIL, a core)
        self.idle_s = 0.0  # alive without a task: from `mark` to the next chunk's start
        self.bytes_in = 0  # pickled task messages received (inputs, indices, envelope)
        self.mark = mark
        self.rss_kb = 0
        self.rss_at = -1.0
        self.pending: list[TaskBlock] = []  # blocks done and not yet reported (batching)
        self.pending_since = 0.0  # when the oldest of them started
        # How many may wait: as many as fill one atomic piece, judged by the last report's
        # size per block. A first report, or one of large results, is sent at once.
        self.pending_max = 1


_local = threading.local()  # each worker thread's Tally


def tally() -> Tally:
    """The calling worker thread's running totals (made at its hello, or now)."""
    books = getattr(_local, "tally", None)
    if books is None:
        books = _local.tally = Tally(time.perf_counter())
    return books


def peak_rss_kb(books: Tally, now: float) -> int:
    """The process's peak resident memory in KiB (0 where the OS does not say), asked of the
    OS at most every RSS_EVERY_S: one system call, never per task."""
    if now - books.rss_at >= RSS_EVERY_S:
        books.rss_at = now
        try:
            # Imported here: the parent imports this module only to name its functions.
            import resource  # POSIX only: the peak memory a process has used, for free
        except ImportError:  # Windows
            return 0
        books.rss_kb = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_KB_PER_UNIT)
    return books.rss_kb


def note_start() -> None:
    """Call first in a worker process: it now runs our code (if importing this module was
    not already the moment, in this very process)."""
    global _began_at, _began_pid
    if _began_pid != os.getpid():
        _began_at, _began_pid = time.perf_counter(), os.getpid()


def count_received(receive: Callable[..., bytes]) -> Callable[..., bytes]:
    """Wrap a function that reads one pickled message (`Connection.recv_bytes`) so that the
    size of what it read is kept: the bytes are counted as they are read, never pickled again."""

    def receive_and_count(*args) -> bytes:
        global _received_bytes
        data = receive(*args)
        _received_bytes = len(data)
        return data

    return receive_and_count


def last_received_bytes() -> int:
    """The size of the last message a `count_received` wrapper read in this process."""
    return _received_bytes


def pool_worker(inqueue, outqueue, *rest) -> None:
    """A Pool worker process's body: `multiprocessing.pool.worker`, with the size of each task
    message it reads counted (the Pool's SimpleQueue reads through `_reader.recv_bytes`), and
    its reports batched: they are sent before it could wait for a task (`flushing_get`)."""
    global _batching
    from multiprocessing.pool import worker

    note_start()
    reader = inqueue._reader
    reader.recv_bytes = count_received(reader.recv_bytes)
    _batching = True
    inqueue.get = flushing_get(inqueue)  # Pool's worker reads `inqueue.get` once, at its start
    worker(inqueue, outqueue, *rest)


def flushing_get(inqueue) -> Callable[[], object]:
    """`SimpleQueue.get` for a worker that batches its reports: before it could wait (for the
    read lock another worker holds, or for a task not yet in the pipe), it sends what it has
    not reported. A worker never sits idle on results the parent is waiting for."""
    from multiprocessing.reduction import ForkingPickler

    lock, reader, loads = inqueue._rlock, inqueue._reader, ForkingPickler.loads
    task_waiting = _readable_now(reader)

    def get() -> object:
        if not lock.acquire(False):
            flush_reports()
            lock.acquire()
        try:
            if tally().pending and not task_waiting():
                flush_reports()
            data = reader.recv_bytes()
        finally:
            lock.release()
        task = loads(data)
        if task is None:  # the pool ends: nothing may stay behind
            flush_reports()
        return task

    return get


def _readable_now(reader) -> Callable[[], bool]:
    """Whether a Connection has bytes to read now; a `select.poll` where there is one (a
    system call, where `Connection.poll(0)` also builds a selector each time)."""
    if not hasattr(select, "poll"):
        return lambda: reader.poll(0)
    poller = select.poll()
    poller.register(reader.fileno(), select.POLLIN)
    return lambda: bool(poller.poll(0))


def identity() -> tuple[str, int, str]:
    """(key, pid, name) of the calling worker: a process, or a thread of one."""
    pid = os.getpid()
    thread = threading.current_thread()
    if thread is threading.main_thread():
        return str(pid), pid, current_process().name
    return f"{pid}:{thread.native_id}", pid, thread.name


def init_process_worker(func: Callable, channel: object, started_by: object, nice: int = 0) -> None:
    """Pool initializer for worker processes."""
    global _context
    prepare_worker_process(nice)
    _context = WorkerContext(func, channel, started_by, batch=_batching)
    say_hello(_context)


def prepare_worker_process(nice: int = 0) -> None:
    """What every worker process does first: leave Ctrl+C to the parent, die with it, and
    lower its own priority if asked."""
    # Ctrl+C reaches the whole process group; the parent decides what happens, not each worker.
    # A forked worker starts with SIGINT blocked (see Supervisor.run), so a Ctrl+C during its
    # start-up waits as a pending signal; ignoring it before unblocking throws that away.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    die_with_parent()
    if nice and hasattr(os, "nice"):
        os.nice(nice)


def die_with_parent() -> None:
    """End this worker when the process that started it ends, however that ends.

    `atexit` does not run when the parent is killed (SIGKILL), and a Pool's workers would
    then finish their tasks, or, if stopped or stuck, live on for good. On Linux the kernel
    kills us (PR_SET_PDEATHSIG works even on a stopped process); everywhere a daemon thread
    waits on the parent's sentinel, which becomes ready when the parent is gone.
    """
    parent = parent_process()
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if parent is None or parent.sentinel is None:
        return
    sentinel = parent.sentinel

    def exit_when_parent_is_gone() -> None:
        wait([sentinel])
        os._exit(1)

    if wait([sentinel], timeout=0):  # gone already, before the kernel was told to watch
        os._exit(1)
    threading.Thread(target=exit_when_parent_is_gone, name="ParentWatch", daemon=True).start()


def say_hello(context: WorkerContext) -> None:
    """Say this worker is ready, with its start-up's moments; its running totals start now."""
    now = time.perf_counter()
    books = _local.tally = Tally(now)
    asked = getattr(current_process(), "asked_at", None)
    began = _began_at if _began_pid == os.getpid() else None
    send(context, Hello(*identity(), now, asked, began, peak_rss_kb(books, now)), books, now)


def run_chunk_in_process(chunk_id: int, slot: int, indices: Sequence[int], inputs: list) -> Ack:
    """Run a chunk in a pool process, first writing our pid in the chunk's slot of the shared
    array, so the supervisor knows who holds it if this process dies or stops."""
    context = _context
    context.started_by[slot] = os.getpid()
    return execute_chunk(context, chunk_id, indices, inputs, _received_bytes)


def run_chunk_in_pool(chunk_id: int, slot: int, first: int, inputs: list) -> tuple[int, float]:
    """`run_chunk_in_process` for a Pool's worker, as lean as a task message can be: tasks
    `first`, `first + 1`, ... of chunk `chunk_id`; returns `(count, busy_s)` of its Ack, a
    plain tuple (the parent knows which chunk it sent)."""
    context = _context
    context.started_by[slot] = os.getpid()
    ack = execute_chunk(
        context, chunk_id, range(first, first + len(inputs)), inputs, _received_bytes
    )
    return ack[1], ack[2]


def flush_reports(context: WorkerContext | None = None) -> None:
    """Send the calling thread's batched blocks, if it has any, in one Report."""
    books = tally()
    if books.pending:
        _send_pending(context or _context, books, None, None)


def _send_pending(
    context: WorkerContext, books: Tally, since: float | None, cpu_since: float | None
) -> None:
    blocks, books.pending = books.pending, []
    try:
        size = send(context, _report(books, blocks, blocks[-1].end), books, since, cpu_since)
        books.pending_max = max(1, PIECE_BYTES * len(blocks) // size)
    except Exception:  # a result that will not pickle: find it, and fail its tasks alone
        for block in blocks:
            try:
                send(context, _report(books, [block], block.end), books)
            except Exception as exc:
                send(context, _report(books, [_unsendable(block, exc)], block.end), books)


def _report(books: Tally, blocks: list, now: float) -> Report:
    key, pid, name = identity()
    return Report(
        key, pid, name, blocks, books.send_s, books.send_cpu_s, books.idle_s, books.bytes_in,
        peak_rss_kb(books, now),
    )  # fmt: skip


def _unsendable(block: TaskBlock, exc: BaseException) -> TaskBlock:
    """A block whose results could not be pickled: each of its tasks failed, with why."""
    message = f"its result could not be sent to the parent: {exc}"
    failures = [Failure(index, type(exc).__qualname__, message, "") for index in block.indices]
    return block._replace(results=[None] * len(block.results), failures=failures)


def execute_chunk(
    context: WorkerContext,
    chunk_id: int,
    indices: Sequence[int],
    inputs: list,
    bytes_in: int = 0,
) -> Ack:
    """Run one chunk, report it through the context's channel, and acknowledge it.

    `bytes_in`: the size of the pickled message that brought the chunk, for the books.
    busy_s counts the tasks alone, not the reporting, so that the supervisor's estimate of
    a task's cost (which sizes the next chunks) is not inflated by a fixed cost per chunk.
    A context that batches keeps a short chunk's blocks to send with the next ones.
    """
    func = context.func
    clock = time.perf_counter
    cpu_clock = time.thread_time  # this thread's CPU time: a thread waiting for the GIL gets none
    count = len(inputs)
    books = tally()
    books.bytes_in += bytes_in
    # Blocks not yet reported: a batching worker's earlier ones go with this chunk's.
    blocks: list[TaskBlock] = books.pending
    books.pending = []

    # CPU time is read inside the wall-clock readings, so a block's CPU never exceeds its wall.
    start = clock()
    idle = start - books.mark
    if idle > 0:
        books.idle_s += idle
    if not blocks:
        books.pending_since = start
    cpu_start = cpu_clock()
    first_failures: list = []
    first = _call(func, inputs[0], indices[0], first_failures)
    cpu_end = cpu_clock()
    end = clock()
    busy = end - start
    if busy >= COARSE_TASK_S or count == 1:
        blocks.append(
            TaskBlock(
                indices[0:1], start, end, [first], first_failures, cpu_end - cpu_start, chunk_id
            )
        )
        last_flush = start
        # Each task's wall time starts where the last one's ended, so that the moments between
        # them (its books; for a thread, a wait for the GIL) are counted, not lost.
        task_start = end
        for position in range(1, count):
            failures: list = []
            cpu_start = cpu_clock()
            result = _call(func, inputs[position], indices[position], failures)
            cpu_end = cpu_clock()
            task_end = clock()
            busy += task_end - task_start
            blocks.append(
                TaskBlock(
                    indices[position : position + 1],
                    task_start,
                    task_end,
                    [result],
                    failures,
                    cpu_end - cpu_start,
                    chunk_id,
                )
            )
            if task_end - last_flush >= FLUSH_EVERY_S and position < count - 1:
                report = _report(books, blocks, task_end)
                send(context, report, books, since=task_end, cpu_since=cpu_end)
                blocks = []
                last_flush = task_end
                task_start = books.mark
            else:
                task_start = task_end
    else:
        results = [first]
        failures = first_failures
        position = 1
        while position < count:
            done_before = len(results)
            try:
                results.extend(map(func, islice(inputs, position, None)))
                position = count
            except Exception as exc:
                position += len(results) - done_before
                failures.append(_failure(indices[position], exc))
                results.append(None)
                position += 1
        cpu_end = cpu_clock()
        end = clock()
        busy = end - start
        blocks.append(
            TaskBlock(indices, start, end, results, failures, cpu_end - cpu_start, chunk_id)
        )
    if blocks:
        books.pending = blocks
        last_end = blocks[-1].end
        if (
            context.batch
            and len(blocks) < books.pending_max
            and last_end - books.pending_since < REPORT_EVERY_S
        ):
            books.mark = last_end  # kept: sent with the next ones, or before this worker waits
        else:
            _send_pending(context, books, last_end, cpu_end)
    return Ack(chunk_id, count, busy)


def _call(func: Callable, value: object, index: int, failures: list) -> object:
    try:
        return func(value)
    except Exception as exc:
        failures.append(_failure(index, exc))
        return None


def _failure(index: int, exc: BaseException) -> Failure:
    # Drop our own frame so the traceback starts in the workload, where the student looks.
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next)
    return Failure(index, type(exc).__qualname__, str(exc), "".join(frames))


def send(
    context: WorkerContext,
    message: Hello | Report,
    books: Tally | None = None,
    since: float | None = None,
    cpu_since: float | None = None,
) -> int:
    """Put one message on the run's channel, in atomic pieces when it crosses processes, and
    return its pickled size.

    A piece is the tuple `(pid, message_number, piece_number, piece_count, bytes)`: a plain
    tuple, the smallest thing that pickles, so that a piece always fits in PIPE_BUF. The time
    it takes goes to the calling thread's `send_s`, from `since` (the end of the work the
    message reports: building the message is part of sending it) or from now, and the CPU
    time of the calling thread in it to `send_cpu_s`, from `cpu_since` or now. On POSIX the
    pieces are written to the pipe here, waiting while it is full (the parent is behind):
    that wait is part of sending. Elsewhere a Queue's feeder thread writes them, overlapping
    the work, and that part is not counted.
    """
    global _message_count
    started = time.perf_counter() if since is None else since
    cpu_started = time.thread_time() if cpu_since is None else cpu_since
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    with _message_count_lock:
        _message_count += 1
        message_number = _message_count  # read once: another thread may send meanwhile
    pieces = range(0, len(payload), PIECE_BYTES) if payload else range(1)
    total = len(pieces)
    pid = os.getpid()
    fd = context.channel_fd
    for number, offset in enumerate(pieces):
        piece = (pid, message_number, number, total, payload[offset : offset + PIECE_BYTES])
        if fd is None:
            context.channel.put(piece)
        else:  # one atomic write of at most PIPE_BUF bytes: a whole frame or nothing
            frame = pickle.dumps(piece, protocol=pickle.HIGHEST_PROTOCOL)
            os.write(fd, _FRAME_HEADER.pack(len(frame)) + frame)
    if books is None:
        books = tally()
    books.send_cpu_s += time.thread_time() - cpu_started
    books.mark = ended = time.perf_counter()
    books.send_s += ended - started
    return len(payload)
