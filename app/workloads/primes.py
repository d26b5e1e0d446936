"""The "primes" workload: count the primes in a range by trial division, in pure Python.

The loop runs Python bytecode the whole time, so a thread holds the GIL while it counts:
threads give no speedup here, processes do. Every task costs about the same (~20 ms on a
2020s PC), so the work splits evenly between workers.
"""

from __future__ import annotations

import math

FIRST_NUMBER = 10_000_000  # big enough that each number takes real work to test
RANGE_WIDTH = 5_000  # about 20 ms of trial division per range on a 2020s PC
RANGE_COUNT = 100  # task k uses range k % 100: staying in one narrow band keeps costs equal


def prime_range(k: int) -> tuple[int, int]:
    """The half-open range [low, high) that task k counts the primes in."""
    low = FIRST_NUMBER + (k % RANGE_COUNT) * RANGE_WIDTH
    return low, low + RANGE_WIDTH


def is_prime(n: int) -> bool:
    """True if n is prime: try every odd divisor up to the square root of n."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    for divisor in range(3, math.isqrt(n) + 1, 2):  # noqa: SIM110 (the loop a student writes)
        if n % divisor == 0:
            return False
    return True


def count_primes(k: int) -> int:
    """How many primes lie in task k's range (see `prime_range`)."""
    low, high = prime_range(k)
    count = 0
    for n in range(low, high):
        if is_prime(n):
            count += 1
    return count


def make_inputs(n: int) -> list[int]:
    """The range numbers 0, 1, ..., n-1."""
    return list(range(n))
