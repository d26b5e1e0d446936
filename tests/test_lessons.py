"""Lessons: their matrices, the medians they believe, and conclusions that say what was measured."""

from __future__ import annotations

import pytest

from app.control.lesson_runner import LessonRunner
from app.engine import cpu_count
from app.engine.records import RunSummary, WorkerSummary
from app.lessons import LESSONS
from app.lessons.lesson import Case, measure, worker_counts
from tests.test_engine import wait_for_no_children


def summary(case: Case, wall_s: float, **changes) -> RunSummary:
    tasks = case.tasks or len(case.inputs or ())
    fields = dict(
        workload=case.workload,
        executor=case.executor,
        workers=case.workers,
        start_method=case.start_method,
        chunksize=case.chunksize,
        tasks=tasks,
        completed=tasks,
        failed=0,
        cancelled=0,
        retried=0,
        chunks=tasks,
        wall_s=wall_s,
        startup_s=0.05,
        throughput=tasks / wall_s,
        per_worker=(WorkerSummary("1", 1, "W-1", tasks, 0, wall_s, 1.0, 0.9, 0.05),),
    )
    fields.update(changes)
    return RunSummary(**fields)


def points_for(lesson_name: str, wall_of) -> list:
    """Measured points of a lesson's full matrix on 2 CPUs, each case's wall from `wall_of`."""
    cases = LESSONS[lesson_name].cases(2)
    runs = [(case, summary(case, wall_of(case))) for case in cases for _ in range(3)]
    return measure(cases, runs)


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_lesson_describes_runs_the_engine_accepts(name):
    lesson = LESSONS[name]
    assert lesson.question.endswith("?") and lesson.explanation and lesson.title
    for quick in (False, True):
        cases = lesson.cases(2, quick)
        assert cases
        for case in cases:
            config = case.config()
            assert config.workers <= 4  # capped at 2 x CPU count


def test_worker_counts_double_up_to_twice_the_cpus():
    assert worker_counts(2) == (1, 2, 4)
    assert worker_counts(1) == (1, 2)
    assert worker_counts(16, most=8) == (1, 2, 4, 8)


def test_a_point_is_the_median_of_its_runs_and_its_speedup_is_against_serial():
    serial, two = Case("primes", "serial", 1, 10), Case("primes", "process", 2, 10)
    runs = [(serial, summary(serial, t)) for t in (4.0, 4.2, 3.8)]
    runs += [(two, summary(two, t)) for t in (2.0, 2.1, 5.0)]
    points = {p.case: p for p in measure([serial, two], runs)}
    assert points[two].wall.median == 2.1 and points[two].speedup == pytest.approx(4.0 / 2.1)
    assert points[two].baseline == "serial" and points[two].noisy
    assert not points[serial].noisy


def test_a_stopped_run_is_not_believed():
    case = Case("primes", "process", 2, 10)
    assert measure([case], [(case, summary(case, 1.0, stopped=True))]) == []


def textbook_gil(case: Case) -> float:
    if case.executor == "process":
        return 6.0 / min(case.workers, 2)
    return 6.0


def test_the_gil_conclusion_says_what_the_textbook_runs_measured():
    text = LESSONS["gil"].conclude(points_for("gil", textbook_gil))
    assert text.startswith("2 processes (spawn) ran 2.00× as fast as serial; 2 threads 1.00×.")
    assert "GIL" in text


def test_the_gil_conclusion_follows_threads_that_scale_as_on_a_free_threaded_build():
    text = LESSONS["gil"].conclude(points_for("gil", lambda c: 6.0 / min(c.workers, 2)))
    assert "2 threads 2.00×" in text and "free-threaded" in text


def test_the_gil_conclusion_follows_processes_that_do_not_help():
    text = LESSONS["gil"].conclude(points_for("gil", lambda c: 6.0))
    assert "2 processes (spawn) ran 1.00×" in text and "one free core" in text


def test_the_scaling_lesson_fits_amdahl_to_the_measured_speedups():
    def amdahl_walls(case: Case) -> float:
        return 10.0 * (0.1 + 0.9 / case.workers)

    text = LESSONS["scaling"].conclude(points_for("scaling", amdahl_walls))
    assert "serial part ≈ 10 %: at most 10× however many cores" in text
    assert "stops gaining" not in text


def test_the_scaling_lesson_says_where_the_cores_run_out():
    text = LESSONS["scaling"].conclude(points_for("scaling", lambda c: 10.0 / min(c.workers, 2)))
    assert "Past 2 workers it stops gaining" in text


def test_the_chunksize_conclusion_compares_measured_rates():
    text = LESSONS["chunksize"].conclude(
        points_for("chunksize", lambda c: 10.0 if c.chunksize == 1 else 0.5)
    )
    assert "20× as many" in text and "messages cost more than the work" in text


@pytest.mark.timeout(180)
def test_every_lesson_runs_headless_quick_and_ends_with_a_conclusion():
    for lesson in LESSONS.values():
        runner = LessonRunner(lesson, cpu_count(), quick=True)
        runner.run_headless()
        assert runner.done and runner.ended_early is None, (lesson.name, runner.ended_early)
        assert len(runner.points()) == len(runner.cases)
        assert "Not enough" not in runner.conclusion()
    assert wait_for_no_children() == []


def test_the_gil_conclusion_blames_start_up_when_runs_are_too_short():
    cases = LESSONS["gil"].cases(2)
    slow_start = WorkerSummary("1", 1, "W-1", 8, 0, 0.2, 1.0, 0.5, 0.3)
    runs = [
        (case, summary(case, 0.5, per_worker=(slow_start,)) if case.executor == "process"
         else summary(case, 0.5))
        for case in cases
    ]  # fmt: skip
    text = LESSONS["gil"].conclude(measure(cases, runs))
    assert "Starting the workers took 0.30 s of the 0.50 s run" in text
