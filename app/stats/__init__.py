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
from app.stats.time_budget import (
    PARTS,
    RunCosts,
    TimeBudget,
    costs_sentence,
    format_bytes,
    format_share,
    run_costs,
    shares_sentence,
    time_budget,
)
from app.stats.timeline import Timeline, merge_blocks
from app.stats.window import SlidingRate

__all__ = [
    "EMPTY",
    "PARTS",
    "TOTAL",
    "RunCosts",
    "RunStats",
    "SlidingRate",
    "Snapshot",
    "TimeBudget",
    "Timeline",
    "WorkerView",
    "costs_sentence",
    "efficiency",
    "eta",
    "format_bytes",
    "format_duration",
    "format_rate",
    "format_share",
    "merge_blocks",
    "run_costs",
    "shares_sentence",
    "speedup",
    "time_budget",
]
