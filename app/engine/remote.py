"""A chunk on a cluster's worker (Dask): run it as a Pool worker would, and bring its report
back with its result.

A multiprocessing Queue cannot reach another computer, so the reports a Pool worker would put
on the run's channel are collected here and returned with the chunk's acknowledgement, with
who ran it (host, pid, worker address) and one reading of its clocks (wall and perf_counter,
taken together) so the parent can place its timings on its own clock (see
`app.engine.backends.dask`).

A cluster's workers import this module and the workload's, so it imports nothing but the
standard library and the engine's worker code.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import time
from collections import namedtuple
from collections.abc import Callable, Sequence

from app.engine.worker import WorkerContext, execute_chunk

RemoteChunk = namedtuple("RemoteChunk", "host pid address wall perf ack messages")
RemoteChunk.__doc__ = """What a chunk run on a cluster's worker brings back: who ran it, one
reading of its wall clock (`wall`, time.time) and perf_counter (`perf`) taken together, the
chunk's Ack and the Hello/Report messages it would have sent on a channel."""


class _Collected:
    """Stands in for the run's channel: keeps what `worker.send` puts on it."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list = []

    def put(self, item: object) -> None:
        self.items.append(item)


def run_chunk_remotely(
    func: Callable, chunk_id: int, indices: Sequence[int], inputs: list
) -> RemoteChunk:
    """Run one chunk where this is called (a Dask worker) and return it with its reports."""
    collected = _Collected()
    ack = execute_chunk(WorkerContext(func, collected), chunk_id, indices, inputs)
    perf = time.perf_counter()
    wall = time.time()
    return RemoteChunk(
        socket.gethostname(), os.getpid(), _worker_address(), wall, perf, ack, _whole(collected)
    )


def who_is_here() -> tuple[str, int]:
    """(hostname, pid) of the process this runs in: what `client.run` asks each worker."""
    return socket.gethostname(), os.getpid()


def die_now() -> None:
    """End the worker this runs in as a crash would: "Kill a worker" on another computer."""
    os.kill(os.getpid(), signal.SIGKILL)


def _whole(collected: _Collected) -> list:
    """The messages, put together again from the pieces `worker.send` cut them into."""
    messages, parts = [], []
    for _pid, _number, seq, total, data in collected.items:
        parts.append(data)
        if seq == total - 1:
            messages.append(pickle.loads(b"".join(parts)))
            parts = []
    return messages


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except Exception:  # not in a Dask worker (a test calls this directly)
        return ""
