"""The process backend: a `multiprocessing.Pool`, each worker a process with its own GIL.

This is the one place that knows `multiprocessing.Pool`'s insides. A plain Pool waits forever
for a task a killed worker held (CPython issue 96062), and its workers share locks (the task
queue's read lock, the result queue's write lock) that a worker killed at the wrong moment
leaves locked for good. So after a death the supervisor asks for the whole pool to be
disposed of (`dispose_pool`: kill every worker, free the locks, empty the task pipe, then
`terminate()`), and opens a new one. The attributes used (`_pool`, `_worker_handler`,
`_change_notifier`, `_task_handler`, `_inqueue._rlock`, `_outqueue._wlock`) have been stable
since Python 3.8; tests cover each dispose path.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.pool
import os
import sys
import time

from app.engine import spawning
from app.engine.backends import Backend
from app.engine.lazy import LazyModule
from app.engine.messages import Ack, ChunkError
from app.engine.slot_table import SlotTable
from app.engine.worker import init_process_worker, pool_worker, run_chunk_in_pool

procinfo = LazyModule("app.engine.procinfo")  # read only once workers are ending


class ProcessPoolBackend(Backend):
    name = "process"
    aliases = ("processes", "proc")
    label = "processes"
    tip = "multiprocessing.Pool: each worker is its own process with its own GIL"
    uses_start_method = True
    on_death = (
        "multiprocessing.Pool itself would wait forever for the lost task (CPython issue "
        "96062), so the engine replaced the whole pool"
    )

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._pool: multiprocessing.pool.Pool | None = None
        self._procs: dict[int, multiprocessing.process.BaseProcess] = {}
        self._started_by = None
        self._forkserver_pid: int | None = None  # the forkserver that started these workers

    def open(self) -> object:
        config = self.config
        self.generation += 1
        mp = spawning.context(config.start_method)
        channel = mp.Queue()
        self._started_by = SlotTable(self.slots)
        self._pool = _EnginePool(
            config.workers,
            initializer=init_process_worker,
            initargs=(self.func, channel, self._started_by, config.worker_nice),
            context=mp,
        )
        if config.start_method == "forkserver":
            from multiprocessing import forkserver

            self._forkserver_pid = forkserver._forkserver._forkserver_pid
        self._note_workers()
        return channel

    def submit(self, chunk_id: int, slot: int, indices: range, inputs: list) -> None:
        self.submit_many([(chunk_id, slot, indices, inputs)])

    def submit_many(self, chunks: list[tuple[int, int, range, list]]) -> None:
        """Hand the chunks to the Pool's task thread in one message, as `Pool.map` hands it
        its tasks, with one entry in the Pool's cache for all of them (`_Batch`)."""
        pool, started_by = self._pool, self._started_by
        batch = _Batch(pool, [chunk[0] for chunk in chunks], self.generation, self.on_done)
        job = batch.job
        tasks = []
        for position, (chunk_id, slot, indices, inputs) in enumerate(chunks):
            started_by[slot] = 0
            arguments = (chunk_id, slot, indices.start, inputs)
            tasks.append((job, position, run_chunk_in_pool, arguments, {}))
        pool._taskqueue.put((tasks, None))

    def started_by(self, slot: int) -> int:
        return self._started_by[slot]

    def processes(self) -> dict:
        self._note_workers()
        return dict(self._procs)

    def find_dead(self) -> list:
        if self._pool is None:
            return []  # disposed of: a death after the last result needs nothing
        self._note_workers()
        dead = [process for process in self._procs.values() if process.exitcode is not None]
        for process in dead:
            del self._procs[process.pid]
        return dead

    def cause_of_death(self, process) -> str:
        if _lost_with_forkserver(process, self._forkserver_pid):
            procinfo.kill_and_confirm(process.pid)  # PR_SET_PDEATHSIG may not have: be sure
            return "its forkserver died"
        return ""

    def dispose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list(self._procs.values())
        self._procs.clear()
        dispose_pool(pool, procs, self._forkserver_pid)

    def _note_workers(self) -> None:
        # Pool keeps no public list of its workers; _pool has held them since Python 2.6.
        if self._pool is None:
            return
        for process in list(self._pool._pool):
            if process.pid is not None and process.pid not in self._procs:
                self._procs[process.pid] = process


BACKEND = ProcessPoolBackend


def _chunk_error(chunk_id: int, exc: BaseException) -> ChunkError:
    return ChunkError(chunk_id, type(exc).__qualname__, str(exc))


class _Batch:
    """The Pool's cache entry for chunks submitted together: what `ApplyResult` is to one call,
    without its Event and Condition (nobody waits on it). The Pool's result thread calls
    `_set` with each chunk's outcome; it passes on an Ack, or a ChunkError for a chunk that
    raised or whose task would not pickle, and leaves the cache once all are in."""

    __slots__ = ("job", "_cache", "_chunk_ids", "_left", "_generation", "_on_done")

    def __init__(self, pool, chunk_ids: list[int], generation: int, on_done) -> None:
        self.job = next(multiprocessing.pool.job_counter)
        self._cache = pool._cache
        self._chunk_ids = chunk_ids
        self._left = len(chunk_ids)
        self._generation = generation
        self._on_done = on_done
        self._cache[self.job] = self

    def _set(self, position: int, outcome: tuple) -> None:
        ok, value = outcome
        chunk_id = self._chunk_ids[position]
        self._left -= 1
        if not self._left:
            # pop, not del: the Pool's task thread also calls _set (for a task that would not
            # pickle), and two threads must never make the result thread raise KeyError.
            self._cache.pop(self.job, None)
        if ok:
            self._on_done(self._generation, Ack(chunk_id, *value))
        else:
            self._on_done(self._generation, _chunk_error(chunk_id, value))


class _EnginePool(multiprocessing.pool.Pool):
    """A Pool that never starts replacement workers, and whose handler thread sleeps.

    After a death the engine replaces the whole pool, so a replacement would only be killed
    again; and starting one can fail inside the Pool's own thread (a forkserver that was
    killed refuses the connection). Once the first workers are up, the Pool is handed a
    stand-in instead of each replacement.

    The Pool's handler thread wakes each time the Pool's task cache empties, and each time
    a result waits to be read (see `_get_sentinels`): with small chunks, thousands of times
    a second of work for nothing. One result that never completes keeps the cache from ever
    emptying; the engine disposes of every pool with `terminate()`, which does not wait for
    it.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._populated = False
        super().__init__(*args, **kwargs)
        self._populated = True
        multiprocessing.pool.ApplyResult(self, None, None)  # keeps the cache from emptying

    def _get_sentinels(self) -> list:
        # Pool's handler thread also waits on the result pipe, to replace workers that end
        # after `maxtasksperchild` tasks. The wait is level-triggered: it wakes, and looks at
        # every worker, as long as a result is waiting to be read, some thousands of times
        # a second with small chunks. The engine starts no replacements: the change
        # notifier, and each worker's sentinel (added by Pool), are all it needs to wait on.
        return [self._change_notifier._reader]

    def Process(self, ctx, *args, **kwargs):  # noqa: N802 (Pool's name)
        if self._populated:
            return _NoWorker()
        # Our own body for the worker, which counts the bytes of the tasks it reads; and the
        # moment it was asked for, which travels with the process object to the worker (the
        # first of its start-up's three moments, see app.engine.worker).
        if kwargs.get("target") is multiprocessing.pool.worker:
            kwargs["target"] = pool_worker
        process = ctx.Process(*args, **kwargs)
        process.asked_at = time.perf_counter()
        return process


class _NoWorker:
    """What the Pool gets instead of a replacement worker: never started, never alive."""

    name = "NoWorker"
    daemon = True
    pid = None
    exitcode = None

    def start(self) -> None:
        pass

    def is_alive(self) -> bool:
        return False

    def terminate(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass


def dispose_pool(pool: multiprocessing.pool.Pool, procs: list, server: int | None = None) -> None:
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
    kill_all([*procs, *pool._pool], server)
    pool._change_notifier.put(None)  # wake the handler if no death has already
    handler.join(timeout=1.0)
    kill_all(pool._pool, server)  # one it started in the meantime
    _free_lock(pool._inqueue._rlock, wait_s=0.0)  # nobody alive reads the task pipe now
    task_thread = pool._task_handler
    _free_result_lock(pool._outqueue._wlock, task_thread)
    deadline = time.perf_counter() + 1.0
    while task_thread.is_alive() and time.perf_counter() < deadline:
        _discard_pending(pool._inqueue._reader)  # it may be blocked writing to a full pipe
        task_thread.join(timeout=0.02)
    _discard_pending(pool._inqueue._reader)
    pool.terminate()


def kill_all(processes, server: int | None = None) -> None:
    """SIGKILL every process and join it; a forkserver's orphan is killed by pid."""
    processes = [process for process in processes if not isinstance(process, _NoWorker)]
    for process in processes:
        if process.exitcode is None:
            process.kill()
        elif _lost_with_forkserver(process, server):
            procinfo.kill_and_confirm(process.pid)
    for process in processes:
        procinfo.join(process, timeout=1.0)


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


def _free_result_lock(lock, task_thread) -> None:
    """Free the result queue's write lock, which a killed worker may have died holding.

    Every worker is dead now; the only one alive that takes this lock is the pool's task
    thread, for a moment, to tell the result thread to end. Wait only while it is writing
    under the lock: a lock held with nobody writing was left by a worker killed holding it,
    and waiting for it is time lost at the end of every such run (seen when one worker was
    still starting as the last result came in).
    """
    if lock is None:  # Windows queues have no write lock
        return
    deadline = time.perf_counter() + 0.2
    while not lock.acquire(timeout=0.002):
        if not _writing(task_thread) or time.perf_counter() > deadline:
            break
    with contextlib.suppress(ValueError):
        lock.release()


def _writing(thread) -> bool:
    """Whether this thread is now sending on a pipe (under the lock it took to do so)."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name in ("_send_bytes", "send_bytes"):
            return True
        frame = frame.f_back
    return False


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
