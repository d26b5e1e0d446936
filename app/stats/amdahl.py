"""Amdahl's law fitted to measured speedups: how much of the work stayed serial.

Amdahl: with a serial fraction s of the work, n workers give a speedup of
S(n) = 1 / (s + (1 - s) / n), and never more than 1 / s however many there are. Given measured
(n, speedup) points, `fit_amdahl` finds the s in [0, 1] with the least squared error. The
model is linear in s once inverted (1/S = s + (1 - s)/n), which gives a closed form; s is then
clamped to [0, 1], so points that beat the ideal (a warm cache) or make no sense (a busy
machine) cannot yield s < 0 or a crash.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AmdahlFit:
    serial_fraction: float  # s, in [0, 1]
    points: int  # how many measured points it rests on

    @property
    def max_speedup(self) -> float:
        """The most any number of workers can give: 1 / s (infinite when s is 0)."""
        return math.inf if self.serial_fraction <= 0 else 1.0 / self.serial_fraction

    def speedup(self, workers: float) -> float:
        """The speedup the fitted law predicts for this many workers."""
        s = self.serial_fraction
        return 1.0 / (s + (1.0 - s) / workers)

    def describe(self) -> str:
        """'serial part ≈ 4 %: at most 25× however many cores'."""
        percent = 100 * self.serial_fraction
        if self.serial_fraction <= 0.0005:
            return "serial part ≈ 0 %: no limit seen in these runs"
        shown = f"{percent:.1f}" if percent < 10 else f"{percent:.0f}"
        return f"serial part ≈ {shown} %: at most {self.max_speedup:.3g}× however many cores"


def fit_amdahl(points: Iterable[tuple[float, float]]) -> AmdahlFit | None:
    """Fit s to (workers, speedup) points; None without a point beyond 1 worker.

    Least squares on the inverted law 1/S - 1/n = s * (1 - 1/n), a line through the origin.
    Points with no meaning (n < 1, speedup not a positive finite number) are left out.
    """
    sum_xy = sum_xx = 0.0
    used = 0
    for workers, measured in points:
        if not (workers >= 1 and measured > 0 and math.isfinite(measured)):
            continue
        x = 1.0 - 1.0 / workers
        y = 1.0 / measured - 1.0 / workers
        sum_xy += x * y
        sum_xx += x * x
        used += 1
    if sum_xx == 0:
        return None
    s = min(1.0, max(0.0, sum_xy / sum_xx))
    return AmdahlFit(s, used)
