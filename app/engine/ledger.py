"""The ledger: a run's books, kept by the consumer (whoever calls `Run.poll()`).

It takes the messages that arrive on the run's channel (whole, or in pieces to reassemble),
accepts each task's result exactly once, by index, into a list in input order, counts what
each worker did, and turns it all into records. It writes; the supervisor only reads
`received` (which tasks have a result), `all_received` and `heard_at`.

    completed + failed + cancelled == tasks, always.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable

from app.engine.messages import Hello, Report, TaskBlock
from app.engine.records import (
    RunSummary,
    Segment,
    TaskFailed,
    WorkerStarted,
    WorkerSummary,
)


class WorkerBooks:
    """What one worker (process or thread) has done in this run."""

    __slots__ = ("worker", "pid", "name", "tasks", "failed", "busy_s", "cpu_s", "ready_s")

    def __init__(self, worker: str, pid: int, name: str) -> None:
        self.worker = worker
        self.pid = pid
        self.name = name
        self.tasks = 0  # tasks it finished, failed ones included
        self.failed = 0
        self.busy_s = 0.0
        self.cpu_s = 0.0  # CPU time of its thread inside those tasks
        self.ready_s: float | None = None  # when its hello came, since the run started


class Ledger:
    def __init__(self, total: int, keep_results: bool = True) -> None:
        self.total = total  # grows, round by round, in a run that goes on until stopped
        self.t0 = 0.0
        self.received = bytearray(total)  # 1 once task i's result (or failure) is in
        self.results: list | None = [None] * total if keep_results else None
        self.completed = 0
        self.failed = 0
        self.workers: dict[str, WorkerBooks] = {}
        self.heard_at: dict[int, float] = {}  # pid -> when its last message arrived
        self.first_ready: float | None = None
        self.all_in_at: float | None = None  # when the last result arrived
        self.all_received = threading.Event()
        self.on_complete: Callable[[], None] = lambda: None  # when the last result arrives
        self._partial: dict[tuple[int, int], list[bytes]] = {}

    @property
    def done(self) -> int:
        return self.completed + self.failed

    def grow(self, tasks: int) -> None:
        """More tasks are coming (from the supervisor's thread, before it sends them)."""
        self.received.extend(bytes(tasks))
        self.total += tasks

    def forget_pieces(self) -> None:
        """Pieces of a replaced pool's messages will never complete."""
        self._partial.clear()

    def take(self, item: object, events: list) -> None:
        """One item from the channel: a message, or a piece of one `(pid, number, i, n, data)`."""
        message = self._assemble(item) if type(item) is tuple else item
        if message is None:
            return
        self.heard_at[message.pid] = time.perf_counter()
        books = self.workers.get(message.worker)
        if books is None:
            books = self.workers[message.worker] = WorkerBooks(
                message.worker, message.pid, message.name
            )
        if isinstance(message, Hello):
            at = message.at - self.t0
            books.ready_s = at
            if self.first_ready is None:
                self.first_ready = at
            events.append(WorkerStarted(message.worker, message.pid, message.name, at))
        elif isinstance(message, Report):
            for block in message.blocks:
                self._take_block(books, block, events)

    def _assemble(self, piece: tuple) -> Hello | Report | None:
        pid, number, seq, total, data = piece
        if total == 1:
            return pickle.loads(data)
        parts = self._partial.setdefault((pid, number), [])
        parts.append(data)
        if seq < total - 1:
            return None
        del self._partial[(pid, number)]
        return pickle.loads(b"".join(parts))

    def _take_block(self, books: WorkerBooks, block: TaskBlock, events: list) -> None:
        received = self.received
        indices = block.indices
        first, stop = indices.start, indices.stop
        results = self.results
        if received.find(1, first, stop) == -1:  # the usual case: all new
            received[first:stop] = b"\x01" * (stop - first)
            if results is not None:
                results[first:stop] = block.results
            accepted = stop - first
            new_failures = block.failures
        else:  # a task that was retried after a death: keep the first result only
            failure_at = {failure.index: failure for failure in block.failures}
            new_failures = []
            accepted = 0
            for index, result in zip(indices, block.results, strict=True):
                if received[index]:
                    continue
                received[index] = 1
                if results is not None:
                    results[index] = result
                accepted += 1
                if index in failure_at:
                    new_failures.append(failure_at[index])
            if not accepted:
                return
        failed = len(new_failures)
        self.completed += accepted - failed
        self.failed += failed
        books.tasks += accepted
        books.failed += failed
        books.busy_s += block.end - block.start
        if block.cpu is not None:
            books.cpu_s += block.cpu
        t0 = self.t0
        events.append(
            Segment(
                books.worker,
                books.pid,
                books.name,
                first,
                accepted,
                failed,
                block.start - t0,
                block.end - t0,
                block.cpu,
            )
        )
        for failure in new_failures:
            events.append(
                TaskFailed(
                    failure.index,
                    books.worker,
                    books.pid,
                    books.name,
                    failure.exc_type,
                    failure.message,
                    failure.traceback,
                )
            )
        self._check_complete()

    def fail_chunk(self, indices: range, exc_type: str, message: str, events: list) -> None:
        """Tasks that could not run at all: failed, unless a result came in first."""
        for index in indices:
            if not self.received[index]:
                self.received[index] = 1
                self.failed += 1
                events.append(TaskFailed(index, "pool", 0, "Pool", exc_type, message, ""))
        self._check_complete()

    def _check_complete(self) -> None:
        if self.done == self.total and not self.all_received.is_set():
            self.all_in_at = time.perf_counter()
            self.all_received.set()
            self.on_complete()

    def summary(self, config, **facts) -> RunSummary:
        """The books as a RunSummary; `facts` are what the supervisor knows (retried...)."""
        # As a Pool.map caller measures it: until every result is here, not until the last
        # task ended in its worker (a large result can take longer to arrive than to make).
        end = self.all_in_at or time.perf_counter()
        wall = max(end - self.t0, 1e-9)
        workers = tuple(
            WorkerSummary(
                b.worker,
                b.pid,
                b.name,
                b.tasks,
                b.failed,
                b.busy_s,
                b.tasks / wall,
                b.busy_s / wall,
                b.ready_s,
                b.cpu_s,
                max(0.0, b.busy_s - b.cpu_s),
            )
            for b in self.workers.values()
        )
        self._partial.clear()
        return RunSummary(
            workload=config.workload,
            executor=config.executor,
            workers=config.workers,
            chunksize=config.chunksize,
            tasks=self.total,
            completed=self.completed,
            failed=self.failed,
            cancelled=self.total - self.done,
            wall_s=wall,
            startup_s=self.first_ready or 0.0,
            throughput=self.done / wall,
            per_worker=workers,
            results=self.results,
            **facts,
        )
