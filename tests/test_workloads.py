"""The workloads: right answers, picklable by name, cheap to import, usable from a plain Pool."""

from __future__ import annotations

import math
import multiprocessing
import pickle
import random as stdlib_random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.workloads import WORKLOADS, Workload, mandelbrot, power, primes, sleep
from app.workloads import hash as hash_workload

REPO_ROOT = Path(__file__).resolve().parent.parent


def primes_by_sieve(low: int, high: int) -> int:
    """Count primes in [low, high) with a sieve of Eratosthenes: an independent check."""
    is_prime = bytearray([1]) * high
    is_prime[0:2] = b"\x00\x00"
    for n in range(2, math.isqrt(high - 1) + 1):
        if is_prime[n]:
            is_prime[n * n :: n] = bytes(len(range(n * n, high, n)))
    return sum(is_prime[low:high])


def test_registry_has_the_six_workloads_in_order():
    assert list(WORKLOADS) == ["power", "random", "primes", "mandelbrot", "sleep", "hash"]
    for name, workload in WORKLOADS.items():
        assert isinstance(workload, Workload)
        assert workload.name == name
        assert workload.kind in ("CPU-bound", "I/O-bound", "C code, releases the GIL")
        assert workload.title and workload.explanation
        assert workload.default_tasks > 0


def test_power_matches_the_tutorial():
    inputs = WORKLOADS["power"].make_inputs(8)
    assert inputs == [4, 2, 3, 5, 3, 2, 1, 2]
    assert [power.power_of_itself(x) for x in inputs] == [256, 4, 27, 3125, 27, 4, 1, 4]


def test_power_results_are_exact_big_ints():
    assert power.power_of_itself(30) == 30**30
    assert WORKLOADS["power"].make_inputs(10)[8:] == [4, 2]


def test_random_gives_floats_in_unit_interval():
    numbers = [WORKLOADS["random"].func(task) for task in range(5)]
    assert all(isinstance(x, float) and 0.0 <= x < 1.0 for x in numbers)
    assert len(set(numbers)) == 5


@pytest.mark.parametrize("k", [0, 1, 99])
def test_primes_count_matches_a_sieve(k):
    low, high = primes.prime_range(k)
    assert primes.count_primes(k) == primes_by_sieve(low, high)


def test_primes_ranges_wrap_and_small_numbers_are_right():
    assert primes.prime_range(100) == primes.prime_range(0)
    assert [n for n in range(30) if primes.is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]


def test_mandelbrot_rows_through_the_set_cost_more_than_edge_rows():
    middle = mandelbrot.mandelbrot_row(mandelbrot.HEIGHT // 2)
    top = mandelbrot.mandelbrot_row(0)
    assert len(middle) == len(top) == mandelbrot.WIDTH
    assert all(1 <= n <= mandelbrot.MAX_ITER for n in middle + top)
    assert mandelbrot.MAX_ITER in middle  # the real axis crosses the set
    assert sum(middle) > 10 * sum(top)


def test_mandelbrot_inputs_spread_over_the_image():
    assert mandelbrot.make_inputs(4) == [0, 120, 240, 360]
    rows = mandelbrot.make_inputs(mandelbrot.HEIGHT)
    assert rows == list(range(mandelbrot.HEIGHT))
    assert len(set(mandelbrot.make_inputs(100))) == 100
    assert len(mandelbrot.make_inputs(2 * mandelbrot.HEIGHT)) == 2 * mandelbrot.HEIGHT


def test_sleep_returns_at_least_the_requested_time():
    assert sleep.sleep_ms(5) >= 5
    assert sleep.sleep_ms(0) >= 0
    assert WORKLOADS["sleep"].make_inputs(3) == [100, 100, 100]


def test_hash_is_deterministic_per_seed_and_differs_across_seeds():
    first = hash_workload.hash_block(1)
    assert first == hash_workload.hash_block(1)
    assert first != hash_workload.hash_block(2)
    assert len(first) == 64 and int(first, 16) >= 0


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_func_and_make_inputs_pickle_by_reference(name):
    workload = WORKLOADS[name]
    assert pickle.loads(pickle.dumps(workload.func)) is workload.func
    assert pickle.loads(pickle.dumps(workload.make_inputs)) is workload.make_inputs


@pytest.mark.parametrize("name", list(WORKLOADS))
@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_make_inputs_gives_n_ints(name, n):
    inputs = WORKLOADS[name].make_inputs(n)
    assert len(inputs) == n
    assert all(type(x) is int for x in inputs)


def test_importing_workloads_is_light():
    code = (
        "import sys, app.workloads;"
        "heavy = [m for m in ('numpy', 'PySide6', 'pyqtgraph') if m in sys.modules];"
        "print(heavy); assert app.workloads.hash._buffer is None"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.timeout(60)
def test_notebook_line_works_with_a_spawned_pool():
    workload = WORKLOADS["primes"]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        counts = pool.map(workload.func, workload.make_inputs(8))
    assert counts == [workload.func(k) for k in range(8)]


def test_random_task_returns_the_last_of_its_draws():
    state = stdlib_random.getstate()
    try:
        stdlib_random.seed(7)
        drawn = [stdlib_random.random() for _ in range(1000)]
        stdlib_random.seed(7)
        assert WORKLOADS["random"].func(1000) == drawn[-1]
        stdlib_random.seed(7)
        assert WORKLOADS["random"].func(0) == drawn[0], "a task draws at least one number"
    finally:
        stdlib_random.setstate(state)


def test_power_default_run_starts_with_the_tutorial_and_stays_tiny():
    workload = WORKLOADS["power"]
    inputs = workload.make_inputs(workload.default_tasks)
    assert inputs[:8] == [4, 2, 3, 5, 3, 2, 1, 2]
    assert max(inputs) == 5, "tiny tasks: the chunksize lesson"
    assert "starting the worker processes" in workload.explanation


def estimated_run_s(name: str, workers: int = 2) -> float:
    """The default run's work on `workers` workers, from timing `samples` of its own inputs
    spread evenly over the run (mandelbrot's rows differ a lot); start-up is left out."""
    workload = WORKLOADS[name]
    inputs = workload.make_inputs(workload.default_tasks)
    samples = 48 if name == "mandelbrot" else 6  # its rows are cheap, and unequal
    chosen = inputs[:: max(1, len(inputs) // samples)]
    began = time.perf_counter()
    for x in chosen:
        workload.func(x)
    per_task = (time.perf_counter() - began) / len(chosen)
    return per_task * workload.default_tasks / workers


@pytest.mark.parametrize("name", [name for name in WORKLOADS if name != "power"])
def test_default_run_lasts_long_enough_to_watch(name):
    # The issue asks for 5 to 15 s on 2 processes; the bounds are wide because a shared machine
    # runs a task anywhere from half to twice its usual speed. benchmarks/default_runs.py
    # measures the real runs.
    seconds = estimated_run_s(name)
    assert 2.5 <= seconds <= 30, f"{name}: about {seconds:.1f} s of work on 2 workers"
