"""The child process that runs a thread or serial run: a student's script, in a process of
its own.

Threads share their process's GIL. Run in the window's own process, CPU-bound threads would
take the GIL from the window and freeze it; so threads (a `multiprocessing.pool.ThreadPool`)
and the serial loop run here, in one spawned process, and report through the same channel as
pool workers. Stopping or killing the run kills this process, threads and all, at once.

This module is what that process imports: standard library and `app.engine.worker` only.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.pool import Pool, ThreadPool

from app.engine import worker
from app.engine.messages import Ack, ChunkError
from app.engine.worker import (
    WorkerContext,
    count_received,
    execute_chunk,
    last_received_bytes,
    note_start,
    say_hello,
)


def host_main(
    func: Callable,
    channel: object,  # reports to the consumer (multiprocessing.Queue)
    tasks: object,  # chunks from the supervisor (multiprocessing.Queue); None ends the run
    acks: object,  # acknowledgements back to the supervisor (a Connection's write end)
    started_by: object,  # shared array: chunk slot -> pid that started it
    threads: int | None,  # a ThreadPool of this many threads, or None: one after another
    nice: int = 0,
) -> None:
    note_start()
    worker.prepare_worker_process(nice)
    context = WorkerContext(func, channel, started_by=started_by)
    pid = os.getpid()
    # The size of each chunk's message is counted as it is read (Queue.get reads through
    # `_recv_bytes`), and handed to the thread that runs the chunk, for its books.
    tasks._recv_bytes = count_received(tasks._recv_bytes)

    def run_chunk(
        chunk_id: int, slot: int, indices: range, inputs: list, bytes_in: int = 0
    ) -> Ack | ChunkError:
        started_by[slot] = pid
        try:
            return execute_chunk(context, chunk_id, indices, inputs, bytes_in)
        except Exception as exc:  # a report that would not pickle, say: fail the chunk
            return ChunkError(chunk_id, type(exc).__qualname__, str(exc))

    if threads is None:
        say_hello(context)
        while (chunk := tasks.get()) is not None:
            acks.send(run_chunk(*chunk, last_received_bytes()))
        return

    # Acknowledgements are sent from the pool's one result thread: one writer, no lock.
    with _HostThreadPool(threads, say_hello, (context,)) as pool:
        while (chunk := tasks.get()) is not None:
            pool.apply_async(run_chunk, (*chunk, last_received_bytes()), callback=acks.send)
        pool.close()
        pool.join()


class _HostThreadPool(ThreadPool):
    """A ThreadPool that leaves nothing for the resource tracker when its process is killed.

    Every Pool, ThreadPool included, makes a multiprocessing SimpleQueue to wake its handler
    thread. Under spawn its two locks are named semaphores registered with the resource
    tracker, and a host killed by Stop never unregisters them: "leaked semaphore objects"
    at exit. Under fork (where the OS offers it) they are unlinked at once, never registered.
    """

    def __init__(self, threads: int, initializer, initargs: tuple) -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        Pool.__init__(self, threads, initializer, initargs, context=context)
