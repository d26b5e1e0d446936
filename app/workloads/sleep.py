"""The "sleep" workload: `time.sleep` standing in for I/O such as a download or a disk read.

A sleeping task uses no CPU and releases the GIL, so threads do just as well as processes
here, and more workers than CPU cores still help: the workers mostly wait.
"""

from __future__ import annotations

import time

DEFAULT_MS = 100


def sleep_ms(ms: int) -> float:
    """Sleep for ms milliseconds and return how long the sleep really took, in ms."""
    started = time.perf_counter()
    time.sleep(max(ms, 0) / 1000)
    return (time.perf_counter() - started) * 1000


def make_inputs(n: int) -> list[int]:
    """n tasks of DEFAULT_MS (100) milliseconds each."""
    return [DEFAULT_MS] * n
