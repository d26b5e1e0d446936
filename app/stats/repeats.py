"""One point from several runs of the same case: the median, and how far the runs spread.

A single run on a shared or busy machine can tell the wrong story, so a lesson runs each case
several times (alternating the cases, as `benchmarks/` does) and believes the median. A point
whose runs spread too widely is marked noisy rather than believed.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

NOISY_SPREAD = 0.25  # runs that differ by more than a quarter of their median: not believed


@dataclass(frozen=True, slots=True)
class Repeated:
    median: float
    low: float
    high: float
    count: int

    @property
    def spread(self) -> float:
        """(highest - lowest) / median: 0.1 means the runs were within 10 % of each other."""
        return (self.high - self.low) / self.median if self.median > 0 else 0.0

    @property
    def noisy(self) -> bool:
        return self.count > 1 and self.spread > NOISY_SPREAD


def repeated(values: Sequence[float]) -> Repeated:
    """The median and range of one case's measurements (at least one)."""
    if not values:
        raise ValueError("no measurements")
    return Repeated(statistics.median(values), min(values), max(values), len(values))
