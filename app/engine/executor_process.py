"""The process classes a `ProcessPoolExecutor` starts its workers with, one per start method.

When one worker dies, the executor itself terminates every other worker (its queues may be
left locked). Those are not deaths a class should count: these classes remember that the
executor asked them to end, so the engine can tell the worker that died from the ones the
executor ended after it.

A module of its own, importing only the standard library and `spawning` (the worker module
only in the child): spawn and forkserver send the process object to the child, which imports
its class from here.
"""

from __future__ import annotations

import multiprocessing.connection
import multiprocessing.context
import time

from app.engine import spawning


class _TerminatedByExecutor:
    """Mixin: `terminate()` (the executor's way) marks a live worker; `kill()` (ours) does not.

    The executor terminates every worker it holds, the one already dead too: only a worker
    not already exiting then was ended by the executor.

    It also measures what a Pool's workers measure (see `app.engine.worker`): when the
    parent asked for the process (`asked_at`, which travels to the child with the process
    object), when the child first ran our code, and the size of each work item it reads
    from the executor's call queue, the first argument of `_process_worker`."""

    terminated_by_executor = False

    def start(self) -> None:
        self.asked_at = time.perf_counter()
        super().start()

    def run(self) -> None:  # in the child
        from app.engine import worker

        worker.note_start()
        call_queue = self._args[0]  # its Queue.get reads through `_recv_bytes`
        call_queue._recv_bytes = worker.count_received(call_queue._recv_bytes)
        super().run()

    def terminate(self) -> None:
        # Its sentinel is ready as soon as it is exiting, even before its exit code is.
        if not multiprocessing.connection.wait([self.sentinel], timeout=0):
            self.terminated_by_executor = True
        super().terminate()


# spawning's own SpawnProcess starts the child in a session of its own (POSIX).
_SPAWN = getattr(spawning, "SpawnProcess", multiprocessing.context.SpawnProcess)


class SpawnExecutorWorker(_TerminatedByExecutor, _SPAWN):
    pass


_CLASSES: dict[str, type] = {"spawn": SpawnExecutorWorker}

if hasattr(multiprocessing.context, "ForkProcess"):  # POSIX only

    class ForkExecutorWorker(_TerminatedByExecutor, multiprocessing.context.ForkProcess):
        pass

    class ForkServerExecutorWorker(
        _TerminatedByExecutor, multiprocessing.context.ForkServerProcess
    ):
        pass

    _CLASSES["fork"] = ForkExecutorWorker
    _CLASSES["forkserver"] = ForkServerExecutorWorker


class ExecutorContext:
    """A multiprocessing context whose `Process` is one of the classes above; all else is the
    start method's own context."""

    def __init__(self, start_method: str) -> None:
        self._base = spawning.context(start_method)
        self.Process = _CLASSES[start_method]  # noqa: N815 (multiprocessing's name)

    def __getattr__(self, name: str):
        return getattr(self._base, name)
