"""One set of comparison rules for the history, the sweep and the lessons: every speedup is
measured against a real baseline of the same job, and a figure once shown is never re-based."""

from __future__ import annotations

import pytest

from app.engine.records import RunSummary
from app.stats.comparison import (
    NO_ONE_WORKER_RUN,
    STOPPED,
    UNFINISHED,
    Comparisons,
    Job,
    compare,
    format_factor,
)


def run(executor: str = "process", workers: int = 2, wall_s: float = 1.0, **changes) -> RunSummary:
    tasks = changes.pop("tasks", 48)
    values = dict(
        workload="primes",
        executor=executor,
        workers=workers,
        start_method="spawn",
        chunksize=0,
        tasks=tasks,
        completed=tasks,
        failed=0,
        cancelled=0,
        retried=0,
        chunks=4,
        wall_s=wall_s,
        startup_s=0.1,
        throughput=tasks / wall_s,
    )
    values.update(changes)
    return RunSummary(**values)


def test_speedup_and_efficiency_are_against_one_worker_of_the_same_executor():
    one, two = compare([run(workers=1, wall_s=2.0), run(workers=2, wall_s=1.0)])
    assert one.against_one_worker.of_itself
    assert one.speedup_text() == "1.00× (the baseline)"
    assert two.against_one_worker.baseline is one.run
    assert two.against_one_worker.factor == pytest.approx(2.0)
    assert two.against_one_worker.efficiency == pytest.approx(1.0)
    assert two.speedup_text() == "2.00×  (100% per worker)"


def test_a_run_without_a_one_worker_run_says_so_instead_of_a_made_up_speedup():
    two, four = compare([run("thread", workers=2), run("thread", workers=4, wall_s=0.9)])
    for row in (two, four):
        assert row.against_one_worker is None
        assert row.speedup_text() == NO_ONE_WORKER_RUN


def test_threads_are_not_measured_against_processes():
    _, threads = compare([run("process", workers=1), run("thread", workers=2)])
    assert threads.against_one_worker is None


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"workload": "hash"}, id="another workload"),
        pytest.param({"tasks": 96}, id="another task count"),
    ],
)
def test_only_the_same_job_is_a_baseline(other):
    _, row = compare([run(workers=1, **other), run(workers=2)])
    assert row.against_one_worker is None


def test_the_same_task_count_with_other_inputs_is_another_job():
    comparisons = Comparisons()
    comparisons.add(run(workers=1, tasks=3), inputs=[1, 2, 3])
    comparisons.add(run(workers=2, tasks=3), inputs=[4, 5, 6])
    comparisons.add(run(workers=4, tasks=3), inputs=(1, 2, 3))
    assert comparisons[0].job == Job("primes", 3, (1, 2, 3))
    assert comparisons[1].against_one_worker is None
    assert comparisons[2].against_one_worker.baseline is comparisons[0].run


def test_a_new_one_worker_run_does_not_re_base_rows_already_measured():
    first_one = run(workers=1, wall_s=2.0)
    early_two = run(workers=2, wall_s=1.0)
    comparisons = Comparisons()
    comparisons.add(first_one)
    comparisons.add(early_two)
    _, changed = comparisons.add(run(workers=1, wall_s=1.5))
    assert changed == [2], "only the new row"
    assert comparisons[1].against_one_worker.baseline is first_one
    assert comparisons[1].speedup_text().startswith("2.00×")
    comparisons.add(run(workers=2, wall_s=1.0))
    assert comparisons[3].speedup_text().startswith("1.50×"), "later rows use the latest"


def test_a_row_waiting_for_a_baseline_gets_the_first_that_comes():
    comparisons = Comparisons()
    comparisons.add(run(workers=4, wall_s=0.5))
    comparisons.add(run(workers=2, wall_s=1.0))
    _, changed = comparisons.add(run(workers=1, wall_s=2.0))
    assert changed == [0, 1, 2]
    assert [c.speedup_text()[:5] for c in comparisons] == ["4.00×", "2.00×", "1.00×"]
    _, changed = comparisons.add(run(workers=1, wall_s=4.0))
    assert changed == [3]
    assert comparisons[0].against_one_worker.factor == pytest.approx(4.0)


def test_speedup_against_serial_when_there_is_a_serial_run_of_the_same_job():
    comparisons = Comparisons()
    comparisons.add(run("process", workers=1, wall_s=2.2))
    comparisons.add(run("thread", workers=2, wall_s=2.0))
    assert comparisons[1].serial_text() == ""
    _, changed = comparisons.add(run("serial", workers=1, wall_s=2.0))
    assert changed == [0, 1, 2]
    comparisons.add(run("process", workers=2, wall_s=1.0))
    one_process, two_threads, serial, two_processes = comparisons
    assert serial.serial_text() == "1.00× (serial)"
    assert one_process.against_serial.factor == pytest.approx(2.0 / 2.2)
    assert two_threads.serial_text() == "1.00×"
    assert two_processes.against_serial.baseline is serial.run
    assert two_processes.serial_text() == "2.00×"
    assert two_processes.against_serial.efficiency == pytest.approx(1.0)
    assert two_processes.speedup_text() == "2.20×  (110% per worker)"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        pytest.param({"stopped": True, "completed": 10, "cancelled": 38}, STOPPED, id="stopped"),
        pytest.param({"error": "3 workers died", "completed": 20}, UNFINISHED, id="gave up"),
    ],
)
def test_an_incomplete_run_is_neither_compared_nor_a_baseline(changes, says):
    incomplete, two = compare([run(workers=1, **changes), run(workers=2)])
    assert incomplete.speedup_text() == says
    assert incomplete.against_one_worker is None and incomplete.serial_text() == ""
    assert two.speedup_text() == NO_ONE_WORKER_RUN


def test_a_run_with_failed_tasks_finished_its_work_and_is_compared():
    one, two = compare([run(workers=1, wall_s=2.0), run(workers=2, completed=40, failed=8)])
    assert two.against_one_worker.baseline is one.run


def test_forgotten_runs_keep_their_rows_figures_and_measure_no_new_runs():
    comparisons = Comparisons(keep=3)
    comparisons.add(run(workers=1, wall_s=2.0))
    comparisons.add(run(workers=2, wall_s=1.0))
    comparisons.add(run(workers=4, wall_s=0.5))
    dropped, changed = comparisons.add(run(workers=2, wall_s=1.0))
    assert (dropped, changed) == (1, [2])
    assert len(comparisons) == 3
    assert comparisons[0].speedup_text().startswith("2.00×"), "measured before: kept"
    assert comparisons[2].speedup_text() == NO_ONE_WORKER_RUN, "its baseline has gone"


def test_keep_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        Comparisons(keep=0)


@pytest.mark.parametrize(
    ("factor", "text"),
    [(1.966, "1.97×"), (0.1, "0.10×"), (0.0049, "0.0049×"), (12.345, "12.35×")],
)
def test_a_factor_far_below_one_keeps_its_digits(factor, text):
    assert format_factor(factor) == text
    assert format_factor(factor, "x") == text.replace("×", "x")
