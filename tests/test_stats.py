"""RunStats and friends, fed synthetic engine records: exact numbers, bounded memory."""

from __future__ import annotations

import pytest

from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerSummary,
)
from app.stats import (
    EMPTY,
    TOTAL,
    RunStats,
    Timeline,
    WorkerView,
    efficiency,
    eta,
    format_duration,
    format_rate,
    speedup,
)


def block(worker: str, start: float, end: float, count: int = 1, failed: int = 0, first=0):
    return Segment(worker, int(worker), f"Worker-{worker}", first, count, failed, start, end)


def started(worker: str, at: float) -> WorkerStarted:
    return WorkerStarted(worker, int(worker), f"Worker-{worker}", at)


def summary(**changes) -> RunSummary:
    values = dict(
        workload="primes",
        executor="process",
        workers=2,
        start_method="spawn",
        chunksize=0,
        tasks=10,
        completed=10,
        failed=0,
        cancelled=0,
        retried=0,
        chunks=10,
        wall_s=3.0,
        startup_s=0.2,
        throughput=3.3,
    )
    values.update(changes)
    return RunSummary(**values)


def test_workers_get_slots_in_order_of_first_appearance():
    stats = RunStats(10)
    stats.add(started("200", 0.1))
    stats.add(block("100", 0.2, 0.3))  # appears through its first block
    stats.add(started("100", 0.15))  # a late hello does not move it
    stats.add(block("200", 0.3, 0.4))
    assert [(w.worker, w.slot) for w in stats.workers] == [("200", 0), ("100", 1)]


def test_worker_counts_tasks_failures_and_busy_time():
    stats = RunStats(10)
    stats.add(block("7", 0.0, 0.5, count=3, failed=1))
    stats.add(block("7", 0.5, 0.75, count=2))
    stats.add(TaskFailed(1, "7", 7, "Worker-7", "ValueError", "bad", "Traceback..."))
    (worker,) = stats.workers
    assert worker == WorkerView("7", 7, "Worker-7", 0, tasks=5, failed=1, busy_s=0.75, alive=True)
    assert (stats.done, stats.failed, stats.completed, stats.total) == (5, 1, 4, 10)
    assert [f.index for f in stats.recent_failures] == [1]


def test_rate_counts_blocks_cut_by_the_window_edge_in_proportion():
    stats = RunStats(100, window_s=2.0)
    stats.add(block("1", 1.0, 3.0, count=10))  # half of it inside (2, 4]: 5 tasks
    stats.add(block("1", 3.0, 3.5, count=4))  # all inside: 4 tasks
    stats.add(block("2", 0.0, 2.0, count=8))  # ends exactly on the edge: outside
    stats.add(block("2", 3.9, 3.9, count=2))  # an instant block inside
    rates = stats.rates(4.0)
    assert rates == {"1": pytest.approx(4.5), "2": pytest.approx(1.0)}
    assert stats.total_rate(4.0) == pytest.approx(5.5)


def test_rate_clips_blocks_that_end_after_now():
    stats = RunStats(100, window_s=1.0)
    stats.add(block("1", 2.0, 4.0, count=8))
    # At now=3 the window (2, 3] holds half the block: 4 tasks in 1 s.
    assert stats.rates(3.0)["1"] == pytest.approx(4.0)


def test_window_never_reaches_before_the_start():
    stats = RunStats(100, window_s=2.0)
    stats.add(block("1", 0.0, 0.5, count=5))
    assert stats.rates(0.5)["1"] == pytest.approx(10.0)  # 5 tasks in 0.5 s, not in 2 s
    assert stats.rates(0.0)["1"] == 0.0


def test_rates_fall_to_zero_after_the_window():
    stats = RunStats(100, window_s=2.0)
    stats.add(block("1", 0.0, 1.0, count=5))
    assert stats.rates(3.0) == {"1": 0.0}


def test_dead_worker_is_not_alive_and_keeps_its_slot():
    stats = RunStats(10)
    stats.add(started("1", 0.0))
    stats.add(started("2", 0.0))
    stats.add(WorkerDied("1", 1, "Worker-1", -9, 1.0, running=(3,)))
    assert [(w.worker, w.slot, w.alive) for w in stats.workers] == [
        ("1", 0, False),
        ("2", 1, True),
    ]
    assert stats.deaths == 1


def test_pool_restart_retires_old_workers_and_new_ones_get_new_slots():
    stats = RunStats(10)
    stats.add(started("1", 0.0))
    stats.add(started("2", 0.0))
    stats.add(WorkerDied("1", 1, "Worker-1", -9, 1.0, running=(3,)))
    stats.add(PoolRestarted(at=1.1, retried=1, requeued=4))
    stats.add(started("3", 1.3))
    stats.add(started("4", 1.3))
    assert [(w.worker, w.slot, w.alive) for w in stats.workers] == [
        ("1", 0, False),
        ("2", 1, False),
        ("3", 2, True),
        ("4", 3, True),
    ]
    assert stats.retried == 1


def test_each_worker_knows_when_it_started_left_and_whether_it_died():
    stats = RunStats(10)
    stats.add(started("1", 0.1))
    stats.add(started("2", 0.2))
    stats.add(WorkerDied("1", 1, "Worker-1", -9, 1.0, running=(3,)))
    stats.add(PoolRestarted(at=1.0, retried=1, requeued=4))
    stats.add(started("3", 1.3))
    stats.add(WorkerDied("9", 9, "Worker-9", -9, 1.4, running=()))  # died before its hello
    lives = [(w.worker, w.started_at, w.gone_at, w.died) for w in stats.workers]
    assert lives == [
        ("1", 0.1, 1.0, True),
        ("2", 0.2, 1.0, False),  # gone with its pool, did not die
        ("3", 1.3, None, False),
        ("9", 1.4, 1.4, True),
    ]


def test_snapshot_holds_one_frame_for_the_charts():
    stats = RunStats(100, window_s=1.0)
    stats.add(started("1", 0.0))
    stats.add(block("1", 0.0, 1.0, count=4))
    stats.sample(1.0)
    frame = stats.snapshot(1.0)
    assert [w.worker for w in frame.workers] == ["1"]
    assert frame.now == 1.0 and frame.done == 4 and not frame.final
    assert frame.rates == {"1": pytest.approx(4.0)}
    assert frame.series["1"] == ((1.0,), (4.0,))
    assert [b.count for b in frame.timeline] == [4]
    stats.add(block("1", 1.0, 2.0, count=6))
    stats.sample(2.0)
    assert frame.done == 4 and len(frame.timeline) == 1  # an earlier frame stays as it was
    assert stats.snapshot(2.0).series[TOTAL] == ((1.0, 2.0), (4.0, 6.0))


def test_final_snapshot_shows_each_workers_average_over_the_whole_run():
    stats = RunStats(10)
    stats.add(block("1", 0.0, 1.0, count=10))
    per_worker = (WorkerSummary("1", 1, "Worker-1", 10, 0, 1.0, 3.3, 0.33),)
    stats.add(RunFinished(summary(per_worker=per_worker)))
    frame = stats.snapshot(3.0)
    assert frame.final and frame.rates == {"1": 3.3}


def test_the_empty_snapshot_has_no_workers():
    assert EMPTY.workers == () and EMPTY.done == 0 and not EMPTY.final


def test_run_finished_keeps_the_summary():
    stats = RunStats(10)
    assert not stats.finished
    stats.add(RunFinished(summary()))
    assert stats.finished and stats.summary.wall_s == 3.0


def test_unknown_records_are_ignored():
    stats = RunStats(10)
    stats.add("not a record")
    assert stats.workers == [] and stats.done == 0


def test_utilisation_is_busy_share_of_each_workers_life():
    stats = RunStats(10)
    stats.add(started("1", 0.0))
    stats.add(block("1", 0.0, 1.0))
    stats.add(started("2", 1.0))
    stats.add(block("2", 1.0, 1.5))
    stats.add(WorkerDied("2", 2, "Worker-2", -9, 2.0, running=()))
    assert stats.utilisation(4.0) == {"1": pytest.approx(0.25), "2": pytest.approx(0.5)}


def test_sample_and_series_give_copies_per_worker_and_total():
    stats = RunStats(100, window_s=1.0)
    stats.add(block("1", 0.0, 1.0, count=4))
    stats.add(block("2", 0.0, 1.0, count=2))
    stats.sample(1.0)
    series = stats.series()
    assert list(series) == ["1", "2", TOTAL]
    assert series["1"] == ([1.0], [4.0])
    assert series[TOTAL] == ([1.0], [6.0])
    series["1"][0].append(99.0)
    assert stats.series()["1"] == ([1.0], [4.0])


def test_a_gone_worker_is_sampled_for_one_more_window_only():
    stats = RunStats(100, window_s=1.0)
    stats.add(block("1", 0.0, 1.0, count=4))
    stats.add(WorkerDied("1", 1, "Worker-1", -9, 1.0, running=()))
    for now in (1.0, 1.5, 2.0, 2.5, 3.0):
        stats.sample(now)
    times, rates = stats.series()["1"]
    assert times == [1.0, 1.5, 2.0]
    assert rates == [4.0, 2.0, 0.0]
    assert len(stats.series()[TOTAL][0]) == 5


def test_series_and_timeline_stay_bounded_under_100k_adds():
    stats = RunStats(100_000, window_s=2.0, max_segments=400, max_samples=50)
    for i in range(100_000):
        worker = str(1 + i % 2)
        t = (i // 2) * 0.001
        stats.add(block(worker, t, t + 0.001, first=i))
        if i % 100 == 0:
            stats.sample(t + 0.001)
    assert stats.done == 100_000
    assert len(stats.timeline()) <= 400
    assert all(len(times) <= 50 for times, _ in stats.series().values())
    # Merged blocks keep every task: back-to-back blocks merge instead of being dropped.
    assert sum(b.count for b in stats.timeline()) == 100_000
    assert stats.rates(50.0) == {"1": pytest.approx(1000.0), "2": pytest.approx(1000.0)}


def test_timeline_past_its_bound_merges_the_oldest_neighbours_in_pairs():
    timeline = Timeline(max_blocks=8)
    for i in range(9):
        timeline.add(block("1", float(i), float(i + 1), first=i))
    blocks = timeline.blocks()
    assert blocks[0] == block("1", 0.0, 2.0, count=2, first=0)
    assert [b.count for b in blocks] == [2, 2, 1, 1, 1, 1, 1]  # the recent half keeps detail
    assert timeline.dropped == 0


def test_timeline_never_merges_over_a_visible_wait():
    timeline = Timeline(max_blocks=8)
    for i in range(9):  # each task followed by a wait as long as itself
        timeline.add(block("1", 2.0 * i, 2.0 * i + 1))
    assert all(b.end - b.start == 1.0 for b in timeline.blocks())


def test_a_run_of_thousands_of_tasks_keeps_every_task_its_own_block():
    # 16 workers x 400 back-to-back tasks (the old 4,000-block bound merged these early).
    stats = RunStats(6400)
    for i in range(6400):
        worker, step = str(1 + i % 16), i // 16
        stats.add(block(worker, step * 0.01, (step + 1) * 0.01, first=i))
    timeline = stats.timeline()
    assert len(timeline) == 6400 and all(b.count == 1 for b in timeline)


def test_spread_chunk_rate_fills_the_samples_taken_while_it_ran():
    stats = RunStats(1000, window_s=1.0)
    stats.add(started("1", 0.0))
    stats.add(started("2", 0.0))
    for step in range(1, 41):  # worker 2 reports small blocks as it goes...
        at = step * 0.1
        stats.add(block("2", at - 0.1, at, count=10))
        stats.sample(at)
    stats.add(block("1", 0.0, 4.0, count=400))  # ...worker 1 one chunk of 400 at the end
    times, rates = stats.series()["1"]
    assert times[-1] == pytest.approx(4.0)
    # 100 tasks per second all along, as measured over the chunk, not 0 then a spike.
    assert rates[10:] == pytest.approx([100.0] * 30)
    totals = stats.series()[TOTAL][1]
    assert totals[10:] == pytest.approx([200.0] * 30)  # the total is still the sum


def test_timeline_drops_the_oldest_when_merging_cannot_make_room():
    timeline = Timeline(max_blocks=4)
    for i in range(5):  # five workers: nothing to merge
        timeline.add(block(str(i + 1), float(i), float(i + 1)))
    assert [b.worker for b in timeline.blocks()] == ["3", "4", "5"]
    assert timeline.dropped == 2


def test_timeline_does_not_merge_blocks_of_different_workers():
    timeline = Timeline(max_blocks=2)
    timeline.add(block("1", 0.0, 1.0))
    timeline.add(block("2", 1.0, 2.0))
    timeline.add(block("1", 2.0, 3.0))
    assert all(b.count == 1 for b in timeline.blocks())
    assert len(timeline) <= 2


def test_speedup_and_efficiency():
    assert speedup(10.0, 4.0) == 2.5
    assert efficiency(2.5, 4) == 0.625
    with pytest.raises(ValueError):
        speedup(10.0, 0.0)
    with pytest.raises(ValueError):
        efficiency(1.0, 0)


def test_eta_from_the_average_pace():
    assert eta(25, 100, 5.0) == 15.0
    assert eta(100, 100, 5.0) == 0.0
    assert eta(0, 100, 5.0) is None
    assert eta(10, 100, 0.0) is None


def test_format_rate_and_duration():
    assert format_rate(0.5) == "0.50 tasks/s"
    assert format_rate(12.34) == "12.3 tasks/s"
    assert format_rate(845.2) == "845 tasks/s"
    assert format_rate(12_400) == "12.4k tasks/s"
    assert format_rate(3_200_000) == "3.2M tasks/s"
    assert format_duration(None) == "-"
    assert format_duration(0.424) == "0.42 s"
    assert format_duration(12.34) == "12.3 s"
    assert format_duration(125) == "2 min 05 s"
    assert format_duration(3720) == "1 h 02 min"
