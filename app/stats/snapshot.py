"""A snapshot: one frame of a run, everything the charts draw, in plain values (no Qt).

`RunStats.snapshot(now)` makes one; each chart's `draw(snapshot)` reads it. A snapshot is a
frozen record that nobody changes after it is made, so one frame can be drawn by every chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # RunStats makes snapshots, so this module cannot import it at run time
    from app.engine.records import Segment, WorkerSummary
    from app.stats.run_stats import WorkerView

Series = tuple[Sequence[float], Sequence[float]]  # (times, tasks per second)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the charts show of a run at time `now` (seconds since Start)."""

    now: float = 0.0
    # Every worker seen so far, in order of first appearance, dead ones included; each knows
    # when it started, when it left and whether it died.
    workers: tuple[WorkerView, ...] = ()
    # Worker key -> tasks per second: over the last few seconds while the run goes on, over
    # the whole run once it is over (`final`).
    rates: Mapping[str, float] = field(default_factory=dict)
    # Worker key -> its sampled rates over time; the whole run's under app.stats.TOTAL.
    series: Mapping[str, Series] = field(default_factory=dict)
    timeline: Sequence[Segment] = ()  # the blocks of work, oldest first
    done: int = 0  # tasks finished so far, failed ones included
    final: bool = False  # the run is over: this is how it ended
    # Worker key -> where its time went so far (up to its last message), or over the whole
    # run once it is over: the engine's WorkerSummary records.
    costs: Mapping[str, WorkerSummary] = field(default_factory=dict)


EMPTY = Snapshot()  # before any run: what a chart shows when reset
