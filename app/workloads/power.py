"""The "power" workload: the tutorial's `pool.map(my_func, [4, 2, 3, 5, 3, 2, 1, 2])`.

Each task is tiny (a few microseconds), so with many tasks the cost of sending work to other
processes and getting the answers back is bigger than the work itself. That makes it the
workload for seeing why chunksize matters.
"""

from __future__ import annotations

# The list from the classic multiprocessing tutorial.
TUTORIAL_INPUTS = (4, 2, 3, 5, 3, 2, 1, 2)


def power_of_itself(x: int) -> int:
    """Return x to the power x, e.g. 4 -> 256. Python ints are exact, however big."""
    return x**x


def make_inputs(n: int) -> list[int]:
    """n inputs that repeat the tutorial's list: 4, 2, 3, 5, 3, 2, 1, 2, 4, 2, ..."""
    return [TUTORIAL_INPUTS[i % len(TUTORIAL_INPUTS)] for i in range(n)]
