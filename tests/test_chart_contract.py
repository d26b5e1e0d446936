"""Every registered chart honours the contract the window draws it by: `reset()`, then
`draw(snapshot)` with an empty or a populated frame, offscreen, without making new plot items
for frames it has drawn before."""

from __future__ import annotations

import pytest

from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    WorkerDied,
    WorkerStarted,
    WorkerSummary,
)
from app.gui.charts import CHARTS, ChartPanel
from app.stats import EMPTY, RunStats, Snapshot


def started(pid: int, at: float) -> WorkerStarted:
    return WorkerStarted(str(pid), pid, f"SpawnPoolWorker-{pid}", at)


def block(pid: int, start: float, end: float, count: int = 1, failed: int = 0) -> Segment:
    return Segment(str(pid), pid, f"SpawnPoolWorker-{pid}", 0, count, failed, start, end)


def populated_stats() -> RunStats:
    """Three workers: one dies, its pool is replaced, a new one takes over; a task fails."""
    stats = RunStats(100)
    stats.add_all([started(1, 0.1), started(2, 0.1)])
    for step in range(10):
        at = 0.1 + step * 0.1
        stats.add_all([block(1, at, at + 0.1, count=2), block(2, at, at + 0.05, failed=step % 2)])
        stats.sample(at + 0.1)
    stats.add(WorkerDied("1", 1, "SpawnPoolWorker-1", -9, 1.2, running=(40,)))
    stats.add(PoolRestarted(at=1.2, retried=1, requeued=2))
    stats.add_all([started(3, 1.3), block(3, 1.3, 1.5, count=3)])
    stats.sample(1.5)
    return stats


def final_snapshot(stats: RunStats) -> Snapshot:
    summary = RunSummary(
        workload="sleep",
        executor="process",
        workers=2,
        start_method="spawn",
        chunksize=0,
        tasks=100,
        completed=38,
        failed=5,
        cancelled=57,
        retried=1,
        chunks=21,
        wall_s=1.6,
        startup_s=0.1,
        throughput=43 / 1.6,
        per_worker=(WorkerSummary("3", 3, "SpawnPoolWorker-3", 3, 0, 0.2, 3 / 1.6, 0.1),),
        stopped=True,
    )
    stats.add(RunFinished(summary))
    return stats.snapshot(1.6)


@pytest.fixture(params=CHARTS, ids=lambda chart_class: chart_class.name)
def chart(request, qtbot) -> ChartPanel:
    made = request.param()
    qtbot.addWidget(made)
    made.resize(500, 300)
    made.show()
    return made


def test_every_chart_has_a_name_and_a_row():
    names = [chart_class.name for chart_class in CHARTS]
    assert all(names) and len(set(names)) == len(names)
    assert all(chart_class.row >= 0 for chart_class in CHARTS)


def test_a_chart_draws_an_empty_frame_after_reset(chart):
    chart.reset()
    chart.draw(EMPTY)
    chart.draw(RunStats(10).snapshot(0.5))  # a run with no worker yet


def test_a_chart_draws_live_and_final_frames_and_starts_over_on_reset(chart, qtbot):
    stats = populated_stats()
    live = stats.snapshot(1.5)
    chart.reset()
    chart.draw(live)
    items = len(chart.plot.items)
    assert items > 0
    chart.draw(live)
    chart.draw(final_snapshot(stats))
    assert len(chart.plot.items) == items  # made once, then only given new data
    chart.reset()
    chart.draw(EMPTY)
    chart.draw(live)
    assert len(chart.plot.items) == items  # a new run reuses what the last one made
    chart.grab()  # and it paints
