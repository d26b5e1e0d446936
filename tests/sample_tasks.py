"""Task functions the engine tests need: they must live in an importable module so that
spawned workers can unpickle them (a test file's local function would not do)."""

import os
import sys
import tempfile
import time
from pathlib import Path


def square(x: int) -> int:
    return x * x


def slow_square(x: int) -> int:
    time.sleep(0.03)
    return x * x


def hang_marker(x: int) -> Path:
    """Where `hang_once_on_five` says which pid holds task x. The input carries the test's own
    token (x // 1000): an environment variable would not reach workers forked from a
    forkserver that an earlier test started."""
    return Path(tempfile.gettempdir()) / f"mpplayground-test-{x // 1000}-hung-pid"


def hang_once_on_five(x: int) -> int:
    """Task x % 1000 == 5 hangs on its first attempt, after writing its worker's pid to
    `hang_marker(x)`: a test then knows exactly which worker is in the middle of a task."""
    if x % 1000 == 5:
        marker = hang_marker(x)
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(60)
    time.sleep(0.01)
    return x * x


def fail_on_threes(x: int) -> int:
    if x % 3 == 0:
        raise ValueError(f"{x} is a multiple of three")
    return x


def exit_on_seven(x: int) -> int:
    if x == 7:
        os._exit(3)
    time.sleep(0.01)
    return x


def big_result(x: int) -> bytes:
    """A result far larger than PIPE_BUF, so its report crosses the Queue in many pieces."""
    return bytes([x % 256]) * 200_000


def unpicklable(x: int):
    return lambda: x


def loaded_modules(_: int) -> list[str]:
    return sorted(
        name
        for name in sys.modules
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "numpy", "shiboken6")
    )


def _stop_myself_once(x: int, hold=None) -> None:
    """On input x % 1000 == 5, first attempt: write our pid to `hang_marker(x)`, take `hold`
    (a lock) if given, and SIGSTOP ourselves, as a worker stopped at the worst moment."""
    import signal

    marker = hang_marker(x)
    if x % 1000 != 5 or marker.exists():
        return
    if hold is not None:
        hold.acquire()
    marker.write_text(str(os.getpid()))
    os.kill(os.getpid(), signal.SIGSTOP)


def stop_in_task_once(x: int) -> int:
    """Stopped in the middle of a task."""
    _stop_myself_once(x)
    time.sleep(0.01)
    return x * x


def stop_holding_report_lock_once(x: int) -> int:
    """Stopped holding the write lock of the run's report Queue: no other worker's report
    can get through until this process is gone."""
    from app.engine import worker

    _stop_myself_once(x, hold=getattr(worker._context.channel, "_wlock", None))
    time.sleep(0.01)
    return x * x


def stop_holding_task_lock_once(x: int) -> int:
    """Stopped holding the read lock of the pool's task queue: no other worker can take a
    task until this process is gone. The lock is the one `multiprocessing.pool.worker`
    reads its tasks under; we find it in that function's frame."""
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_name != "worker":
        frame = frame.f_back
    _stop_myself_once(x, hold=frame.f_locals["inqueue"]._rlock if frame else None)
    time.sleep(0.01)
    return x * x


def block_forever_once(x: int) -> int:
    """Task x % 1000 == 5 blocks for good on its first attempt, using no CPU: a deadlock."""
    import threading

    marker = hang_marker(x)
    if x % 1000 == 5 and not marker.exists():
        marker.write_text(str(os.getpid()))
        threading.Event().wait()
    time.sleep(0.01)
    return x * x


def compute_for_three_seconds_on_five(x: int) -> int:
    """Task x % 1000 == 5 computes (uses CPU) for 3 s: long, but not stuck."""
    if x % 1000 == 5:
        end = time.perf_counter() + 3.0
        while time.perf_counter() < end:
            pass
    time.sleep(0.01)
    return x * x


def five_megabytes(x: int) -> bytes:
    return bytes([x % 256]) * 5_000_000
