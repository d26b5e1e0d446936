"""What the thread and serial backends share: their work runs in one child process, the host.

The host (`app.engine.host`) is a spawned process that runs a ThreadPool, or one task after
another. Chunks go to it on a Queue; acknowledgements come back on a pipe that a reader
thread here hands to the supervisor. When the host dies, the pipe ends and every chunk it
held is run again in a new host, as after any worker's death. Stop kills the host: threads
cannot be killed one by one, but a process can, threads and all.
"""

from __future__ import annotations

import multiprocessing
import threading
import time

from app.engine import spawning
from app.engine.backends import Backend
from app.engine.config import DEFAULT_START_METHOD
from app.engine.host import host_main
from app.engine.lazy import LazyModule
from app.engine.slot_table import SlotTable

procinfo = LazyModule("app.engine.procinfo")  # read only once workers are ending


class HostedBackend(Backend):
    threads_in_host: bool  # a ThreadPool in the host, or the serial loop

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._host: multiprocessing.process.BaseProcess | None = None
        self._tasks = None
        self._started_by = None
        self._reported_dead = False

    def open(self) -> object:
        self.generation += 1
        # The host is always spawned: forking the window's process (Qt threads and all) is
        # unsafe, and the start method is a lesson about worker processes, not threads.
        mp = spawning.context(DEFAULT_START_METHOD)
        channel = mp.Queue()
        self._tasks = mp.Queue()
        self._started_by = SlotTable(self.slots)
        receive, send = mp.Pipe(duplex=False)
        threads = self.config.workers if self.threads_in_host else None
        self._host = mp.Process(
            target=host_main,
            args=(
                self.func,
                channel,
                self._tasks,
                send,
                self._started_by,
                threads,
                self.config.worker_nice,
            ),
            name=self.host_name,
            daemon=True,
        )
        self._host.asked_at = time.perf_counter()  # travels to the host: its start-up began
        self._host.start()
        send.close()  # the host holds the only write end now: its death ends the pipe
        self._reported_dead = False
        threading.Thread(
            target=self._hand_over_acks,
            args=(receive, self.generation),
            name="HostAcks",
            daemon=True,
        ).start()
        return channel

    @property
    def host_name(self) -> str:
        return "ThreadHost" if self.threads_in_host else "SerialWorker"

    def _hand_over_acks(self, receive, generation: int) -> None:
        with receive:
            while True:
                try:
                    ack = receive.recv()
                except (EOFError, OSError):
                    return  # the host has gone: find_dead() tells the supervisor
                self.on_done(generation, ack)

    def submit(self, chunk_id: int, slot: int, indices: range, inputs: list) -> None:
        self._started_by[slot] = 0
        self._tasks.put((chunk_id, slot, indices, inputs))

    def started_by(self, slot: int) -> int:
        return self._started_by[slot]

    def processes(self) -> dict:
        host = self._host
        if host is None or host.pid is None or host.exitcode is not None:
            return {}
        return {host.pid: host}

    def find_dead(self) -> list:
        host = self._host
        if host is None or self._reported_dead or host.exitcode is None:
            return []
        self._reported_dead = True
        return [host]

    def dispose(self) -> None:
        host, self._host = self._host, None
        if host is None:
            return
        if host.exitcode is None:
            host.kill()
        procinfo.join(host, timeout=1.0)
        self._tasks.close()
        self._tasks.cancel_join_thread()  # its reader was killed: never wait to flush to it
        self._tasks = None
