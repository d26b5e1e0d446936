"""The dask backend: the same chunks on a Dask cluster, this computer's or many computers'.

Without a scheduler address a run starts a `LocalCluster` (processes, one thread each,
`workers` of them) and closes it at the end. With one (`RunConfig.scheduler`,
"tcp://HOST:PORT") it uses that cluster as it is and never closes it. Dask is imported only
when such a run opens, never at the app's start.

**Telemetry.** A multiprocessing Queue cannot reach another computer, so each chunk returns
its reports with its result (`app.engine.remote`), and the Dask callback thread here puts the
same Hello and Report messages on a queue the consumer reads like any channel. A worker's key
and name are "host:pid" (the host as the scheduler knows it, the name with its hostname).

**Clocks.** The engine's times are `perf_counter` seconds since the run started, and another
computer's perf_counter has nothing to do with ours. So each chunk brings back one reading of
its worker's wall clock and perf_counter taken together; its timings are put on the wall clock
(`wall - (perf - t)`) and then on ours through our own wall-clock/perf_counter pair. That is
exact on one computer and as good as the computers' clock sync (NTP: milliseconds) across
several. What cannot be is corrected: a chunk cannot end after its result arrived, nor start
before it was sent, so a chunk whose times fall outside that window is shifted into it.

**A death.** Dask reschedules a lost worker's tasks by itself (a LocalCluster's nanny also
starts a new worker), so the supervisor reports the death and counts the retry without
replacing anything (`reschedules_itself`). Deaths are learnt from the scheduler's
"remove-worker" events, with the chunks the worker held. Exit codes are known only for
workers this run killed.

**Stop** cancels every future and closes the LocalCluster the run started (its worker
processes are this process's children; any still there after the close is killed by pid).
Tasks already running on an existing cluster's workers finish there, unused.
"""

from __future__ import annotations

import collections
import contextlib
import importlib.util
import logging
import os
import queue
import signal
import socket
import threading
import time
from urllib.parse import urlsplit

from app.engine import procinfo
from app.engine.backends import Backend
from app.engine.messages import ChunkError, Hello
from app.engine.remote import RemoteChunk, die_now, run_chunk_remotely, who_is_here

INSTALL_HINT = 'Dask is not installed: pip install "dask[distributed]" (the app\'s "cluster" extra)'
CLUSTER_START_S = 60.0  # a LocalCluster of many workers on a busy computer is slow to start
CONNECT_S = 10.0  # to reach an existing scheduler and find a worker there
CLOSE_S = 10.0
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class DaskWorker:
    """A Dask worker as the supervisor sees a process: pid, name, exit code, kill()."""

    def __init__(self, address: str, host: str, pid: int, name: str, backend: DaskBackend):
        self.address = address
        self.host = host
        self.pid = pid
        self.key = f"{host}:{pid}"  # the worker's key in the books and the charts
        self.name = name
        self.exitcode: int | None = None  # known only when this run killed it
        self._killed = False
        self._backend = backend

    @property
    def local(self) -> bool:
        return self.host in self._backend.local_hosts

    def kill(self) -> None:
        """SIGKILL it: by pid when it runs here, else by asking the cluster (never waits)."""
        self._killed = True
        if self.local:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            return
        client = self._backend.client
        if client is not None:
            threading.Thread(
                target=_ask_to_die, args=(client, self.address), name="DaskKill", daemon=True
            ).start()

    def ended(self) -> None:
        self.exitcode = -signal.SIGKILL if self._killed else None


def _ask_to_die(client, address: str) -> None:
    with contextlib.suppress(Exception):  # it dies while answering: that is the point
        client.run(die_now, workers=[address])


class DaskBackend(Backend):
    name = "dask"
    aliases = ("dask.distributed", "distributed", "cluster")
    label = "Dask cluster"
    tip = (
        "dask.distributed: a scheduler sends tasks to worker processes, on this computer "
        "or many; a dead worker's tasks are rescheduled"
    )
    uses_scheduler = True
    reschedules_itself = True
    watch_for_stuck = False  # the scheduler watches its own workers (their heartbeats)
    on_death = "Dask rescheduled the lost worker's tasks on the workers left; nothing restarted"

    @classmethod
    def missing(cls) -> str:
        if importlib.util.find_spec("distributed") is None:
            return INSTALL_HINT
        return ""

    @classmethod
    def describe(cls, config) -> str:
        if getattr(config, "scheduler", ""):
            return f"the Dask cluster at {config.scheduler}"
        one = "process" if config.workers == 1 else "processes"
        return f"a local Dask cluster of {config.workers} {one}"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.client = None
        self.cluster = None  # the LocalCluster this run started, if it did
        self.local_hosts: set[str] = set(LOCAL_HOSTS)
        self._channel: queue.SimpleQueue | None = None
        self._workers: dict[str, DaskWorker] = {}  # address -> worker
        self._events: collections.deque = collections.deque()  # the scheduler's, as they come
        self._futures: dict[int, object] = {}  # chunk_id -> Future
        self._sent_at: dict[int, float] = {}  # chunk_id -> perf_counter when submitted
        self._slot_of: dict[str, int] = {}  # task key -> slot
        self._held_by_dead: dict[int, int] = {}  # slot -> pid, for the deaths just found
        self._wall_minus_perf = 0.0
        self._more_slots = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ open and close

    def open(self) -> object:
        import distributed

        self.generation += 1
        self._channel = queue.SimpleQueue()  # the consumer reads it like any channel
        self._wall_minus_perf = time.time() - time.perf_counter()
        self.local_hosts = set(LOCAL_HOSTS) | _own_addresses()
        scheduler = getattr(self.config, "scheduler", "")
        if scheduler:
            try:
                self.client = distributed.Client(
                    scheduler, timeout=CONNECT_S, set_as_default=False, name="playground"
                )
            except OSError:
                raise ConnectionError(
                    f"no Dask scheduler answered at {scheduler} within {CONNECT_S:.0f} s: is "
                    "`dask scheduler` running there, and its port open?"
                ) from None
            try:
                self.client.wait_for_workers(1, timeout=CONNECT_S)
            except TimeoutError:
                raise ConnectionError(
                    f"the Dask scheduler at {scheduler} has no worker: start one with "
                    f"`dask worker {scheduler}`"
                ) from None
            self.notes.append(f"Dask: connected to the scheduler at {scheduler}")
        else:
            self.cluster = _start_local_cluster(distributed, self.config.workers)
            self.client = distributed.Client(self.cluster, set_as_default=False)
            self.client.wait_for_workers(self.config.workers, timeout=CLUSTER_START_S)
            self.notes.append(_dashboard_note(self.cluster))
        self.client.subscribe_topic("all", self._events.append)
        self._learn_workers()
        threads = sum(w.get("nthreads", 1) for w in self._scheduler_workers().values())
        # Two chunks per thread keep every thread busy, as two per worker do a Pool's.
        asked = 2 * max(self.config.workers, 1)
        self._more_slots = max(0, 2 * threads - asked) if self.generation == 1 else 0
        self.notes.append(
            f"Dask: {len(self._workers)} worker(s), {threads} thread(s): "
            + ", ".join(worker.name for worker in self._workers.values())
        )
        return self._channel

    def dispose(self) -> None:
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        futures = list(self._futures.values())
        self._futures.clear()
        pids = [w.pid for w in self._workers.values() if w.local] if cluster else []
        pids += _children_of(cluster) if cluster else []
        self._workers.clear()
        if client is not None:
            with contextlib.suppress(Exception):
                # Else the scheduler would try to tell a closed client it closed.
                client.unsubscribe_topic("all")
            with contextlib.suppress(Exception):
                client.cancel(futures, force=True)
            with contextlib.suppress(Exception):
                client.close(timeout=CLOSE_S)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=CLOSE_S)
            # Its workers are our children: whatever the close left is killed.
            for pid in pids:
                if procinfo.is_alive(pid):
                    procinfo.kill_and_confirm(pid)

    # ------------------------------------------------------------------ chunks

    def submit(self, chunk_id: int, slot: int, indices: range, inputs: list) -> None:
        generation = self.generation
        key = f"playground-chunk-{id(self):x}-{generation}-{chunk_id}"
        with self._lock:
            self._slot_of[key] = slot
            self._held_by_dead.pop(slot, None)
            self._sent_at[chunk_id] = time.perf_counter()
        future = self.client.submit(
            run_chunk_remotely, self.func, chunk_id, indices, inputs, key=key, pure=False
        )
        self._futures[chunk_id] = future
        future.add_done_callback(lambda done: self._settled(generation, chunk_id, key, done))

    def _settled(self, generation: int, chunk_id: int, key: str, future) -> None:
        """On Dask's callback thread: a chunk's future is done."""
        if generation != self.generation or future.status == "cancelled":
            return
        try:
            if future.status == "finished":
                outcome = future.result()
                self._put_reports(chunk_id, outcome)
                news = outcome.ack
            else:  # "error": could not run at all, or killed workers too often (KilledWorker)
                error = future.exception()
                news = ChunkError(chunk_id, type(error).__qualname__, str(error))
        except Exception as exc:  # the client closed under it: disposed of
            if self.client is None:
                return
            news = ChunkError(chunk_id, type(exc).__qualname__, str(exc))
        with self._lock:
            self._slot_of.pop(key, None)
            self._sent_at.pop(chunk_id, None)
        self._futures.pop(chunk_id, None)
        self.on_done(generation, news)

    def _put_reports(self, chunk_id: int, outcome: RemoteChunk) -> None:
        received_at = time.perf_counter()
        with self._lock:
            sent_at = self._sent_at.get(chunk_id, received_at)
            worker = self._workers.get(outcome.address)
            if worker is None or worker.pid != outcome.pid:
                host = _host_of(outcome.address) or outcome.host
                worker = DaskWorker(
                    outcome.address, host, outcome.pid, f"{outcome.host}:{outcome.pid}", self
                )
                self._workers[outcome.address] = worker
                new = True
            else:
                new = False
        # Remote perf_counter -> remote wall clock -> our perf_counter.
        offset = outcome.wall - outcome.perf - self._wall_minus_perf
        reports = [m for m in outcome.messages if m.blocks]
        if not reports:
            return
        start = min(b.start for m in reports for b in m.blocks) + offset
        end = max(b.end for m in reports for b in m.blocks) + offset
        if end > received_at:  # a chunk cannot end after its result arrived...
            offset -= end - received_at
        elif start < sent_at:  # ...nor start before it was sent
            offset += min(sent_at - start, received_at - end)
        if new:
            self._channel.put(Hello(worker.key, worker.pid, worker.name, start))
        for report in reports:
            blocks = [
                block._replace(start=block.start + offset, end=block.end + offset)
                for block in report.blocks
            ]
            self._channel.put(report._replace(worker=worker.key, name=worker.name, blocks=blocks))

    def more_slots(self) -> int:
        return self._more_slots

    def started_by(self, slot: int) -> int:
        """The pid of a worker that died holding this slot's chunk (Dask does not say who
        runs a task until it has run; the scheduler says who held it when one dies)."""
        return self._held_by_dead.get(slot, 0)

    # ------------------------------------------------------------------ workers

    def processes(self) -> dict:
        with self._lock:
            return {w.pid: w for w in self._workers.values() if w.exitcode is None}

    def find_dead(self) -> list:
        if self.client is None:
            return []
        dead = []
        self._held_by_dead = {}
        while self._events:
            _, message = self._events.popleft()
            if not isinstance(message, dict):
                continue
            action = message.get("action")
            if action == "add-worker":
                self._learn_workers()
            elif action == "remove-worker" and not message.get("expected"):
                with self._lock:
                    worker = self._workers.pop(message.get("worker", ""), None)
                    if worker is None:
                        continue
                    for key in message.get("processing-tasks", ()):
                        slot = self._slot_of.get(key)
                        if slot is not None:
                            self._held_by_dead[slot] = worker.pid
                worker.ended()
                dead.append(worker)
        return dead

    def cause_of_death(self, process) -> str:
        how = "killed by SIGKILL" if process.exitcode is not None else "exit code not known here"
        return f"{how}; the scheduler lost it"

    def _learn_workers(self) -> None:
        """Workers the scheduler has that we have not met: each says hello."""
        known = self._workers
        fresh = {a: info for a, info in self._scheduler_workers().items() if a not in known}
        if not fresh:
            return
        try:
            # The scheduler does not know its workers' pids: ask them.
            identities = self.client.run(who_is_here, workers=list(fresh))
        except Exception:
            return  # gone again already; a chunk it ran would introduce it
        now = time.perf_counter()
        for address, info in fresh.items():
            if address not in identities:
                continue
            hostname, pid = identities[address]
            host = info.get("host") or _host_of(address)
            name = f"{hostname}:{pid}"
            worker = DaskWorker(address, host, pid, name, self)
            with self._lock:
                known[address] = worker
            self._channel.put(Hello(worker.key, pid, name, now))

    def _scheduler_workers(self) -> dict:
        try:
            return dict(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        except TypeError:  # older distributed: no n_workers
            return dict(self.client.scheduler_info().get("workers", {}))


def _start_local_cluster(distributed, workers: int):
    """A LocalCluster of `workers` processes, one thread each, quiet in a terminal."""
    for name in ("distributed", "bokeh", "tornado"):
        # The scheduler runs in this process: its log is for Dask developers, not a class.
        logging.getLogger(name).setLevel(logging.CRITICAL)
    _spawn_out_of_reach_of_ctrl_c()
    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # A port of its own even without bokeh: the scheduler's HTTP server always starts,
        # and on its usual port (8787) it would warn whenever another cluster has that.
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )


def _spawn_out_of_reach_of_ctrl_c() -> None:
    """Start a LocalCluster's workers in a session of their own, as the engine's own spawned
    workers are (see `spawning`): a terminal's Ctrl+C then reaches the parent alone, which
    stops the run and closes the cluster, instead of a KeyboardInterrupt traceback from every
    worker. They still end with the parent: each watches a pipe from it (Dask's own)."""
    import dask.config
    import distributed.process

    from app.engine import spawning

    if dask.config.get("distributed.worker.multiprocessing-method") == "spawn":
        distributed.process.get_mp_context = lambda: spawning.context("spawn")


def _dashboard_note(cluster) -> str:
    if importlib.util.find_spec("bokeh") is None:
        return (
            "Dask: a local cluster started for this run (its dashboard needs bokeh: "
            'pip install "bokeh>=3.1")'
        )
    return f"Dask: a local cluster started for this run; dashboard: {cluster.dashboard_link}"


def _children_of(cluster) -> list[int]:
    """The pids of a LocalCluster's worker processes (its nannies start them)."""
    pids = []
    for worker in getattr(cluster, "workers", {}).values():
        process = getattr(getattr(worker, "process", None), "process", None)
        pid = getattr(process, "pid", None)
        if pid:
            pids.append(pid)
    return pids


def _host_of(address: str) -> str:
    """ "tcp://10.0.0.5:4242" -> "10.0.0.5"."""
    if "://" in address:
        return urlsplit(address).hostname or ""
    return address.rpartition(":")[0]


def _own_addresses() -> set[str]:
    names = {socket.gethostname()}
    with contextlib.suppress(OSError):
        names |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    return names


BACKEND = DaskBackend
