"""What the operating system says about a worker process: alive, stopped, CPU time used;
and how to be sure one has ended.

The supervisor asks this to tell a stuck worker (stopped with SIGSTOP, or blocked inside a
task) from a slow one. Linux answers from `/proc/<pid>/stat`; elsewhere `sample()` returns
None and the supervisor judges progress by what the worker reports alone.
"""

from __future__ import annotations

import os
import signal
import time
from collections import namedtuple

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
HAS_PROC = os.path.exists("/proc/self/stat")


class ProcessSample(namedtuple("ProcessSample", "state cpu_s")):
    """`state`: R running, S sleeping, D disk wait, T stopped, t traced, Z zombie, ...;
    `cpu_s`: its user + system CPU time so far. (A named tuple, not a dataclass: it is
    defined in a cold run's first milliseconds.)"""

    __slots__ = ()

    @property
    def stopped(self) -> bool:
        return self.state in ("T", "t")


def sample(pid: int) -> ProcessSample | None:
    """The process's state and CPU time, or None if it is gone or this OS cannot say."""
    if not HAS_PROC:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) sits in parentheses and may itself hold spaces or ')'.
    fields = text[text.rfind(")") + 2 :].split()
    state, utime, stime = fields[0], int(fields[11]), int(fields[12])
    return ProcessSample(state, (utime + stime) / _TICKS_PER_S)


def is_alive(pid: int) -> bool:
    """True while a process with this pid exists and is not a zombie."""
    info = sample(pid)
    if info is not None:
        return info.state != "Z"
    if HAS_PROC:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_and_confirm(pid: int, wait_s: float = 1.0) -> bool:
    """SIGKILL a process we cannot wait for (not our child) by pid; True once it is gone.

    Only for processes we know to be ours and alive a moment ago: a pid is reused only after
    the process is reaped, so kill a pid straight after seeing it alive, never later.
    """
    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    try:
        os.kill(pid, kill)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    deadline = time.perf_counter() + wait_s
    while is_alive(pid):
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.005)
    return True


def join(process, timeout: float) -> None:
    """Join a process until its exit code is known.

    The Pool's handler thread reaps exited workers too; when it wins the race for waitpid,
    our join returns with the exit code not yet stored on the shared Popen: wait for it.
    """
    deadline = time.perf_counter() + timeout
    process.join(timeout)
    while process.exitcode is None and time.perf_counter() < deadline:
        time.sleep(0.005)
