"""The ledger: a run's books, kept by the consumer (whoever calls `Run.poll()`).

It takes the messages that arrive on the run's channel (whole, or in pieces to reassemble),
accepts each task's result exactly once, by index, into a list in input order, counts what
each worker did, and turns it all into records. It writes; the supervisor only reads
`received` (which tasks have a result), `all_received` and `heard_at`.

    completed + failed + cancelled == tasks, always.

It also keeps where each worker's time went (see `WorkerSummary`): start-up from the Hello's
moments, computing and waiting from the blocks, sending and idle from the running totals each
Report carries, and the bytes of every message as it arrives: `bytes_out` is the length of
each pickled message the channel brings (`pickle.dumps(message, HIGHEST_PROTOCOL)`, without
the few bytes of the pieces' envelope), counted here for free since the bytes are in hand.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable

from app.engine.lazy import LazyModule
from app.engine.messages import Hello, Report, TaskBlock

# Loaded by the supervisor once it has asked for the workers (see app.engine.lazy).
records = LazyModule("app.engine.records")


class WorkerBooks:
    """What one worker (process or thread) has done in this run."""

    __slots__ = (
        "worker",
        "pid",
        "name",
        "tasks",
        "failed",
        "busy_s",
        "cpu_s",
        "ready_s",
        "asked_s",
        "began_s",
        "send_s",
        "send_cpu_s",
        "idle_s",
        "bytes_in",
        "bytes_out",
        "messages",
        "rss_kb",
        "accounted_until",
        "ended_at",
        "last_chunk",
    )

    def __init__(self, worker: str, pid: int, name: str) -> None:
        self.worker = worker
        self.pid = pid
        self.name = name
        self.tasks = 0  # tasks it finished, failed ones included
        self.failed = 0
        self.busy_s = 0.0
        self.cpu_s = 0.0  # CPU time of its thread inside those tasks
        self.ready_s: float | None = None  # when its hello came, since the run started
        self.asked_s: float | None = None  # when its process was asked to start
        self.began_s: float | None = None  # when its process first ran our code
        self.send_s = 0.0  # the worker's own running totals, from its latest report
        self.send_cpu_s = 0.0
        self.idle_s = 0.0
        self.bytes_in = 0
        self.bytes_out = 0  # counted here, message by message
        self.messages = 0
        self.rss_kb = 0
        self.accounted_until = 0.0  # its totals cover its life up to here (its last block)
        self.ended_at: float | None = None  # it died, or its pool was replaced
        self.last_chunk = -2  # the chunk of its last block (-1: a block of no chunk)

    def summary(self, wall: float, until: float | None) -> records.WorkerSummary:
        """These books as a WorkerSummary. `until`: the end of its life (since the run
        started), the time between its last message and then being idle; None while the run
        goes on: its life so far ends with its last message. So do the books of a worker
        that died or was killed with its pool: what it did after its last message never
        reached us (it may have been in a task), so none of it is called idle."""
        if self.ended_at is not None:
            until = None
        tail = 0.0
        if until is not None:
            tail = max(0.0, until - self.accounted_until)
        lived_until = self.accounted_until + tail
        born = self.asked_s if self.asked_s is not None else self.ready_s or 0.0
        startup = None if self.asked_s is None or self.ready_s is None else self.ready_s - born
        return records.WorkerSummary(
            self.worker,
            self.pid,
            self.name,
            self.tasks,
            self.failed,
            self.busy_s,
            self.tasks / wall,
            self.busy_s / wall,
            self.ready_s,
            self.cpu_s,
            max(0.0, self.busy_s - self.cpu_s),
            self.send_s,
            self.idle_s + tail,
            startup,
            self.bytes_in,
            self.bytes_out,
            self.messages,
            round(self.rss_kb / 1024, 1),
            self.asked_s,
            self.began_s,
            max(0.0, lived_until - born),
            self.send_cpu_s,
        )


class Ledger:
    def __init__(self, total: int, keep_results: bool = True) -> None:
        self.total = total  # grows, round by round, in a run that goes on until stopped
        self.t0 = 0.0
        self.received = bytearray(total)  # 1 once task i's result (or failure) is in
        # Every result, in input order (None: not in, or failed); a run until Stop keeps none.
        # Made when the first result arrives: a list as long as the run, made before then,
        # is walked by each young-generation garbage collection that a cold run's imports
        # and start-up set off (some 0.7 ms each at 200,000 tasks).
        self.results: list | None = None
        self._keep_results = keep_results
        self.completed = 0
        self.failed = 0
        self.workers: dict[str, WorkerBooks] = {}
        self.heard_at: dict[int, float] = {}  # pid -> when its last message arrived
        self.first_ready: float | None = None
        self.all_in_at: float | None = None  # when the last result arrived
        self.all_received = threading.Event()
        self.on_complete: Callable[[], None] = lambda: None  # when the last result arrives
        self._partial: dict[tuple[int, int], list[bytes]] = {}
        self._changed: set[str] = set()  # workers heard from since the last `changed_workers`

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
        if type(item) is not tuple:  # a message that crossed no pipe (in-process tests)
            message, size = item, 0
        elif item[3] == 1:  # the usual case: a message in one piece
            data = item[4]
            message, size = pickle.loads(data), len(data)
        else:
            message, size = self._assemble(item)
            if message is None:
                return
        worker = message.worker
        self.heard_at[message.pid] = time.perf_counter()
        books = self.workers.get(worker)
        if books is None:
            books = self.workers[worker] = WorkerBooks(worker, message.pid, message.name)
        books.bytes_out += size
        books.messages += 1
        self._changed.add(worker)
        if type(message) is Report:  # by far the most frequent: first, and unpacked at once
            *_, blocks, books.send_s, books.send_cpu_s, books.idle_s, books.bytes_in, rss_kb = (
                message
            )
            if rss_kb > books.rss_kb:
                books.rss_kb = rss_kb
            for block in blocks:
                chunk_start = block.chunk_id != books.last_chunk  # a chunk's first block
                books.last_chunk = block.chunk_id
                self._take_block(books, block, events, chunk_start)
            if blocks:
                until = blocks[-1].end - self.t0
                if until > books.accounted_until:
                    books.accounted_until = until
                self._check_complete()  # once a report, not once a block
        elif isinstance(message, Hello):
            self._take_hello(books, message, events)

    def _take_hello(self, books: WorkerBooks, message: Hello, events: list) -> None:
        t0 = self.t0
        at = message.at - t0
        books.ready_s = at
        books.accounted_until = max(books.accounted_until, at)
        books.asked_s = None if message.asked is None else message.asked - t0
        books.began_s = None if message.began is None else message.began - t0
        books.rss_kb = max(books.rss_kb, message.rss_kb)
        if self.first_ready is None:
            self.first_ready = at
        events.append(
            records.WorkerStarted(
                books.worker, books.pid, books.name, at, books.asked_s, books.began_s
            )
        )

    def _assemble(self, piece: tuple) -> tuple[Hello | Report | None, int]:
        """A piece's message once all its pieces are in, and the message's pickled size."""
        pid, number, seq, total, data = piece
        if total == 1:
            return pickle.loads(data), len(data)
        parts = self._partial.setdefault((pid, number), [])
        parts.append(data)
        if seq < total - 1:
            return None, 0
        del self._partial[(pid, number)]
        payload = b"".join(parts)
        return pickle.loads(payload), len(payload)

    def worker_left(self, pid: int, at: float) -> None:
        """Process `pid` died at `at` (since the run started): its workers' lives end there."""
        for books in self.workers.values():
            if books.pid == pid and books.ended_at is None:
                books.ended_at = at
                self._changed.add(books.worker)

    def pool_replaced(self, at: float) -> None:
        """The pool was replaced at `at`: the lives of the workers asked for before end."""
        for books in self.workers.values():
            born = books.asked_s if books.asked_s is not None else books.ready_s
            if books.ended_at is None and born is not None and born <= at:
                books.ended_at = at
                self._changed.add(books.worker)

    def changed_workers(self) -> list[records.WorkerSummary]:
        """The books so far of each worker heard from since the last call, each up to its
        last message."""
        if not self._changed:
            return []
        now = time.perf_counter()
        wall = max((self.all_in_at or now) - self.t0, 1e-9)
        changed = [self.workers[key].summary(wall, None) for key in self._changed]
        self._changed.clear()
        return changed

    def _results_list(self) -> list | None:
        """`results`, made now if no result has arrived yet; None for a run that keeps none."""
        if self.results is None and self._keep_results:
            self.results = [None] * self.total
        return self.results

    def _take_block(
        self, books: WorkerBooks, block: TaskBlock, events: list, chunk_start: bool = False
    ) -> None:
        received = self.received
        indices = block.indices
        first, stop = indices.start, indices.stop
        results = self._results_list()
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
            records.Segment(
                books.worker,
                books.pid,
                books.name,
                first,
                accepted,
                failed,
                block.start - t0,
                block.end - t0,
                block.cpu,
                chunk_start,
            )
        )
        for failure in new_failures:
            events.append(
                records.TaskFailed(
                    failure.index,
                    books.worker,
                    books.pid,
                    books.name,
                    failure.exc_type,
                    failure.message,
                    failure.traceback,
                )
            )

    def fail_chunk(self, indices: range, exc_type: str, message: str, events: list) -> None:
        """Tasks that could not run at all: failed, unless a result came in first."""
        for index in indices:
            if not self.received[index]:
                self.received[index] = 1
                self.failed += 1
                events.append(records.TaskFailed(index, "pool", 0, "Pool", exc_type, message, ""))
        self._check_complete()

    def _check_complete(self) -> None:
        if self.done == self.total and not self.all_received.is_set():
            self.all_in_at = time.perf_counter()
            self.all_received.set()
            self.on_complete()

    def summary(self, config, **facts) -> records.RunSummary:
        """The books as a RunSummary; `facts` are what the supervisor knows (retried...)."""
        # As a Pool.map caller measures it: until every result is here, not until the last
        # task ended in its worker (a large result can take longer to arrive than to make).
        end = self.all_in_at or time.perf_counter()
        wall = max(end - self.t0, 1e-9)
        # A run stopped or given up killed its workers wherever they were, perhaps in a task:
        # their books end with their last message, as a dead worker's do.
        until = None if facts.get("stopped") or facts.get("error") else wall
        workers = tuple(books.summary(wall, until) for books in self.workers.values())
        self._partial.clear()
        return records.RunSummary(
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
            results=self._results_list(),
            bytes_in=sum(worker.bytes_in for worker in workers),
            bytes_out=sum(worker.bytes_out for worker in workers),
            messages=sum(worker.messages for worker in workers),
            **facts,
        )
