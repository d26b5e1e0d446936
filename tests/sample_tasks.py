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
