"""The "random" workload: the tutorial's first example, where each Process puts one
`random.random()` on a Queue.

One draw takes well under a microsecond, so each task draws DEFAULT_DRAWS numbers (about
0.1 s of work) and returns the last: a run lasts long enough to watch, and what a task returns
is still one `random.random()` from its own process's generator.

Every process has its own copy of the `random` module and so its own generator. A process
started with spawn or forkserver seeds it afresh from the operating system; a forked child
would start as a copy of its parent's generator, so Python reseeds it right after fork
(`os.register_at_fork`). That is why the workers do not all print the same number.
"""

from __future__ import annotations

# The stdlib module, not this one: imports are absolute, so `random` here is Python's own.
import random

DEFAULT_DRAWS = 4_000_000  # about 0.1 s of draws on a 2020s PC


def random_number(draws: int) -> float:
    """Draw `draws` random floats in [0, 1) from this process's own generator (at least one)
    and return the last."""
    draw = random.random
    for _ in range(draws - 1):
        draw()
    return draw()


def make_inputs(n: int) -> list[int]:
    """n tasks of DEFAULT_DRAWS draws each."""
    return [DEFAULT_DRAWS] * n
