"""Small calculations and labels for a run: speedup, efficiency, time left, rates as text."""

from __future__ import annotations

import math


def speedup(baseline_wall_s: float, wall_s: float) -> float:
    """How many times faster than the baseline (usually 1 worker): baseline time / this time."""
    if baseline_wall_s <= 0 or wall_s <= 0:
        raise ValueError(f"times must be positive, not {baseline_wall_s} and {wall_s}")
    return baseline_wall_s / wall_s


def efficiency(speedup: float, workers: int) -> float:
    """Speedup per worker: 1.0 means every worker pulled its full weight."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    return speedup / workers


def eta(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left if the rest goes at the average pace so far; None if it cannot be known."""
    if done >= total:
        return 0.0
    if done <= 0 or elapsed <= 0:
        return None
    return (total - done) * elapsed / done


def format_rate(tasks_per_s: float) -> str:
    """A rate as short text: '0.50 tasks/s', '12.3 tasks/s', '845 tasks/s', '12.4k tasks/s'."""
    if not math.isfinite(tasks_per_s) or tasks_per_s < 0:
        return "- tasks/s"
    if tasks_per_s < 1:
        return f"{tasks_per_s:.2f} tasks/s"
    if tasks_per_s < 100:
        return f"{tasks_per_s:.1f} tasks/s"
    if tasks_per_s < 1000:
        return f"{tasks_per_s:.0f} tasks/s"
    if tasks_per_s < 1_000_000:
        return f"{tasks_per_s / 1000:.1f}k tasks/s"
    return f"{tasks_per_s / 1_000_000:.1f}M tasks/s"


def format_duration(seconds: float | None) -> str:
    """A duration as short text: '0.42 s', '12.3 s', '2 min 05 s', '1 h 02 min'; None -> '-'."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
