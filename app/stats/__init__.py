"""Live statistics of a run, in pure Python (no Qt), for the window and the CLI.

from app.stats import RunStats, speedup, efficiency

stats = RunStats(total_tasks=48)
for event in run.poll():
    stats.add(event)
stats.rates(run.elapsed)  # tasks per second of each worker, recent window
stats.snapshot(run.elapsed)  # one frame for the charts
"""

from __future__ import annotations

from app.stats.numbers import efficiency, eta, format_duration, format_rate, speedup
from app.stats.run_stats import TOTAL, RunStats, WorkerView
from app.stats.snapshot import EMPTY, Snapshot
from app.stats.timeline import Timeline, merge_blocks
from app.stats.window import SlidingRate

__all__ = [
    "EMPTY",
    "TOTAL",
    "RunStats",
    "SlidingRate",
    "Snapshot",
    "Timeline",
    "WorkerView",
    "efficiency",
    "eta",
    "format_duration",
    "format_rate",
    "merge_blocks",
    "speedup",
]
