"""The "random" workload: the tutorial's first example, where each Process puts one
`random.random()` on a Queue.

Every process has its own copy of the `random` module and so its own generator. A process
started with spawn or forkserver seeds it afresh from the operating system; a forked child
would start as a copy of its parent's generator, so Python reseeds it right after fork
(`os.register_at_fork`). That is why the workers do not all print the same number.
"""

from __future__ import annotations

# The stdlib module, not this one: imports are absolute, so `random` here is Python's own.
import random


def random_number(task_number: int) -> float:
    """Return one random float in [0, 1) from this process's own generator.

    The input is only the task's number; it does not change the result.
    """
    return random.random()


def make_inputs(n: int) -> list[int]:
    """The task numbers 0, 1, ..., n-1."""
    return list(range(n))
