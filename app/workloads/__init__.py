"""The workloads a run can use: small functions of one int, each with the inputs for n tasks.

Each workload lives in its own module (power.py, primes.py, ...) as a plain top-level
function, so a worker process can find it by name (that is how `pickle` sends functions).
You can use them without the app, for example in a notebook:

    from multiprocessing import Pool
    from app.workloads import WORKLOADS

    w = WORKLOADS["primes"]
    with Pool(2) as pool:
        print(pool.map(w.func, w.make_inputs(48)))

This package imports only the standard library and does no work at import time, so a
spawned worker starts quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.workloads import hash, mandelbrot, power, primes, random, sleep

CPU_BOUND = "CPU-bound"
IO_BOUND = "I/O-bound"
RELEASES_GIL = "C code, releases the GIL"


@dataclass(frozen=True, slots=True)
class Workload:
    """One kind of task: what it does, why it is interesting, and how to make its inputs."""

    name: str  # the key in WORKLOADS, e.g. "primes"
    title: str  # a short label for menus
    kind: str  # CPU_BOUND, IO_BOUND or RELEASES_GIL
    explanation: str  # a few sentences for the class
    func: Callable[[int], object]  # top-level function of one int: picklable by reference
    make_inputs: Callable[[int], list[int]]  # n -> the inputs of n tasks
    # The window's (and the CLI's) task count: a run of about 5 to 15 s on 2 processes, long
    # enough to watch. Not power: its tasks are tiny on purpose (see its explanation).
    default_tasks: int


WORKLOADS: dict[str, Workload] = {
    "power": Workload(
        name="power",
        title="x to the power x (tiny tasks)",
        kind=CPU_BOUND,
        explanation=(
            "The tutorial's pool.map(my_func, [4, 2, 3, 5, 3, 2, 1, 2]): each task computes x**x, "
            "in well under a microsecond. With chunks sized automatically, 200,000 tasks are done "
            "in a blink, and most of the run is starting the worker processes. With chunksize 1 "
            "every task travels to a worker and back on its own, and the same run takes many "
            "times longer: the pool spends its time on messages. Bigger chunks fix that."
        ),
        func=power.power_of_itself,
        make_inputs=power.make_inputs,
        default_tasks=200_000,
    ),
    "random": Workload(
        name="random",
        title="A random number per task",
        kind=CPU_BOUND,
        explanation=(
            "The tutorial's first Process and Queue example: each task returns random.random(), "
            "after drawing four million numbers to give it about 0.1 s of work. Every process has "
            "its own random generator. Spawned processes seed theirs from the operating system, "
            "and Python reseeds a forked child's, so workers do not repeat each other's numbers."
        ),
        func=random.random_number,
        make_inputs=random.make_inputs,
        default_tasks=120,
    ),
    "primes": Workload(
        name="primes",
        title="Count primes (pure Python)",
        kind=CPU_BOUND,
        explanation=(
            "Each task counts the primes in a range by trial division, tens of milliseconds of "
            "pure Python. The interpreter holds the GIL the whole time, so threads take turns and "
            "give no speedup, while processes run truly in parallel, one per CPU core."
        ),
        func=primes.count_primes,
        make_inputs=primes.make_inputs,
        default_tasks=640,
    ),
    "mandelbrot": Workload(
        name="mandelbrot",
        title="Mandelbrot rows (uneven tasks)",
        kind=CPU_BOUND,
        explanation=(
            "Each task computes one row of a Mandelbrot image (the image ten times over, by "
            "default). Rows through the middle of the "
            "set cost many times more than rows near the edges, so the tasks are uneven: with "
            "big chunks one worker gets the expensive rows and the others sit idle. Smaller "
            "chunks balance the load."
        ),
        func=mandelbrot.mandelbrot_row,
        make_inputs=mandelbrot.make_inputs,
        default_tasks=4800,
    ),
    "sleep": Workload(
        name="sleep",
        title="Sleep 100 ms (stands for I/O)",
        kind=IO_BOUND,
        explanation=(
            "Each task sleeps 100 ms, like waiting for a download or a disk. Waiting needs no "
            "CPU and releases the GIL, so threads do as well as processes, and more workers "
            "than CPU cores still help."
        ),
        func=sleep.sleep_ms,
        make_inputs=sleep.make_inputs,
        default_tasks=160,
    ),
    "hash": Workload(
        name="hash",
        title="SHA-256 of 40 MiB (C code)",
        kind=RELEASES_GIL,
        explanation=(
            "Each task hashes a big buffer with hashlib. The hashing is C code that releases "
            "the GIL while it works, so threads run in parallel too, and they avoid the cost of "
            "starting processes and copying data to them."
        ),
        func=hash.hash_block,
        make_inputs=hash.make_inputs,
        default_tasks=480,
    ),
}

__all__ = ["CPU_BOUND", "IO_BOUND", "RELEASES_GIL", "WORKLOADS", "Workload"]
