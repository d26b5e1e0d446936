"""The futures backend: `concurrent.futures.ProcessPoolExecutor`, the modern standard API.

Its workers are set up exactly as a Pool's (the same initializer: the same telemetry channel,
the same hello, the same "who started this chunk" array), with the start method given through
`mp_context`, and it runs the same chunks.

What differs is a death. `Pool` never notices a lost task (CPython issue 96062); the executor
notices at once, and gives up: it marks itself broken, fails every pending future with
`BrokenProcessPool` and terminates its other workers. So here a future that fails with
`BrokenProcessPool` is not a failed task: the death is reported by `find_dead()` (the worker
that died, not the ones the executor ended after it), and the supervisor sends every task
without a result to a new executor, as after any death.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import threading
import time
from concurrent.futures.process import BrokenProcessPool

from app.engine.backends import Backend
from app.engine.backends.process_pool import _discard_pending, _lost_with_forkserver, kill_all
from app.engine.executor_process import ExecutorContext
from app.engine.messages import ChunkError
from app.engine.slot_table import SlotTable
from app.engine.worker import init_process_worker, run_chunk_in_process

BROKEN_WAIT_S = 0.5  # after a death, how long to wait for the executor to say it broke


class ProcessPoolExecutorBackend(Backend):
    name = "futures"
    aliases = ("processpoolexecutor", "concurrent.futures", "executor")
    label = "ProcessPoolExecutor"
    tip = (
        "concurrent.futures.ProcessPoolExecutor: processes like Pool's; when one dies the "
        "executor breaks and every pending future fails (BrokenProcessPool)"
    )
    uses_start_method = True
    on_death = (
        "ProcessPoolExecutor broke (BrokenProcessPool): it failed every pending future at "
        "once and ended its other workers, so the engine started a new executor"
    )

    @classmethod
    def describe(cls, config) -> str:
        one = "process" if config.workers == 1 else "processes"
        return f"{config.workers} ProcessPoolExecutor {one} ({config.start_method})"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._procs: dict = {}
        self._started_by = None
        self._forkserver_pid: int | None = None
        self._lock = threading.Lock()
        self._broken_futures = 0  # futures of this executor that failed with BrokenProcessPool

    def open(self) -> object:
        config = self.config
        self.generation += 1
        context = ExecutorContext(config.start_method)
        channel = context.Queue()
        self._started_by = SlotTable(self.slots)
        self._broken_futures = 0
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=config.workers,
            mp_context=context,
            initializer=init_process_worker,
            initargs=(self.func, channel, self._started_by, config.worker_nice),
        )
        # An executor starts its workers one at a time as work arrives (Python 3.11+); a class
        # should see them all start at once, as a Pool's do.
        with executor._shutdown_lock:
            for _ in range(config.workers):
                executor._adjust_process_count()
        self._executor = executor
        if config.start_method == "forkserver":
            from multiprocessing import forkserver

            self._forkserver_pid = forkserver._forkserver._forkserver_pid
        self._note_workers()
        return channel

    def submit(self, chunk_id: int, slot: int, indices: range, inputs: list) -> None:
        generation = self.generation
        self._started_by[slot] = 0
        try:
            future = self._executor.submit(run_chunk_in_process, chunk_id, slot, indices, inputs)
        except (BrokenProcessPool, RuntimeError):
            # Broken (or shut down) between a death and the supervisor seeing it: the chunk
            # stays in flight and goes to the next executor with the rest.
            return
        future.add_done_callback(lambda done: self._settled(generation, chunk_id, done))

    def _settled(self, generation: int, chunk_id: int, future: concurrent.futures.Future) -> None:
        if future.cancelled():
            return  # disposed of
        error = future.exception()
        if error is None:
            self.on_done(generation, future.result())
        elif isinstance(error, BrokenProcessPool):
            with self._lock:
                if generation == self.generation:
                    self._broken_futures += 1
        else:
            self.on_done(generation, ChunkError(chunk_id, type(error).__qualname__, str(error)))

    def started_by(self, slot: int) -> int:
        return self._started_by[slot]

    def processes(self) -> dict:
        self._note_workers()
        return {pid: p for pid, p in self._procs.items() if p.exitcode is None}

    def find_dead(self) -> list:
        executor = self._executor
        if executor is None:
            return []
        self._note_workers()
        ended = [p for p in self._procs.values() if p.exitcode is not None]
        dead = [p for p in ended if not p.terminated_by_executor]
        if not dead and ended and getattr(executor, "_broken", False):
            # Broken with no worker dead by itself (a result it could not read): the workers
            # it ended are the ones to report.
            dead = ended
        for process in dead:
            del self._procs[process.pid]
        if dead:
            self._say_how_it_broke(executor)
        return dead

    def _say_how_it_broke(self, executor) -> None:
        deadline = time.perf_counter() + BROKEN_WAIT_S
        while not getattr(executor, "_broken", False) and time.perf_counter() < deadline:
            time.sleep(0.01)
        if not getattr(executor, "_broken", False):
            return  # killed as it was being disposed of: nothing broke
        time.sleep(0.02)  # its thread fails the futures right after marking itself broken
        with self._lock:
            failed = self._broken_futures
        self.notes.append(
            f"BrokenProcessPool: a worker died, so the executor failed {failed} pending "
            f"future(s) at once and ended its other workers"
        )

    def cause_of_death(self, process) -> str:
        if _lost_with_forkserver(process, self._forkserver_pid):
            return "its forkserver died"
        return ""

    def dispose(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        procs = [*self._procs.values(), *(executor._processes or {}).values()]
        self._procs.clear()
        call_queue = executor._call_queue
        thread = executor._executor_manager_thread
        executor.shutdown(wait=False, cancel_futures=True)
        kill_all(procs, self._forkserver_pid)
        # The executor's thread ends once it has flushed its task queue: nobody reads it now,
        # so throw away what it holds until the thread has gone.
        deadline = time.perf_counter() + 2.0
        while thread is not None and thread.is_alive() and time.perf_counter() < deadline:
            if call_queue is not None:
                with contextlib.suppress(OSError, ValueError):
                    _discard_pending(call_queue._reader)
            thread.join(timeout=0.02)
        if thread is not None and thread.is_alive():
            # Never let a stuck thread hold up the interpreter's exit, which joins it.
            concurrent.futures.process._threads_wakeups.pop(thread, None)

    def _note_workers(self) -> None:
        executor = self._executor
        if executor is None:
            return
        for process in list((executor._processes or {}).values()):
            if process.pid is not None and process.pid not in self._procs:
                self._procs[process.pid] = process


BACKEND = ProcessPoolExecutorBackend
