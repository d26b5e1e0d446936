"""The futures executor (concurrent.futures.ProcessPoolExecutor) keeps the same books as Pool:
order, failures, stop, and a killed worker under every start method, which breaks the whole
executor (BrokenProcessPool) and is recovered from with a new one."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import time

import pytest

from app.engine import Run, RunConfig, available_start_methods
from app.engine.records import ExecutorNote, PoolRestarted, Segment, TaskFailed, WorkerDied
from tests import sample_tasks
from tests.test_engine import TUTORIAL, books_are_exact, collect, wait_for_no_children

START_METHODS = [m for m in ("spawn", "fork", "forkserver") if m in available_start_methods()]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("start_method", START_METHODS)
def test_tutorial_results_come_back_in_input_order_from_executor_workers(start_method):
    run = Run(
        RunConfig(
            workload="power",
            inputs=TUTORIAL,
            workers=2,
            executor="futures",
            start_method=start_method,
        )
    )
    run.start()
    events = collect(run)
    summary = events[-1].summary
    assert summary.results == [256, 4, 27, 3125, 27, 4, 1, 4]
    assert (summary.completed, summary.failed, summary.cancelled) == (8, 0, 0)
    assert summary.executor == "futures" and summary.start_method == start_method
    # Every worker of the executor said hello on the same channel as a Pool's.
    assert len(summary.per_worker) == 2
    assert all("ExecutorWorker" in worker.name for worker in summary.per_worker)
    # Their start-up is measured as a Pool's is: asked, began, ready, in that order...
    for worker in summary.per_worker:
        assert 0 <= worker.asked_s <= worker.began_s <= worker.ready_s
        assert worker.startup_s == pytest.approx(worker.ready_s - worker.asked_s)
    # ...and so are the work items they read: more than the inputs alone, pickled.
    assert sum(worker.bytes_in for worker in summary.per_worker) == summary.bytes_in
    assert summary.bytes_in > len(pickle.dumps(list(TUTORIAL)))
    assert wait_for_no_children() == []


@pytest.mark.timeout(60)
def test_many_tiny_tasks_every_result_once_in_auto_chunks():
    run = Run(RunConfig(workload="power", tasks=50_000, workers=2, executor="futures"))
    run.start()
    events = collect(run)
    summary = events[-1].summary
    assert (summary.completed, summary.failed, summary.retried) == (50_000, 0, 0)
    assert summary.results == [x**x for x in run.config.make_inputs()]
    segments = [e for e in events if isinstance(e, Segment)]
    assert sum(s.count for s in segments) == 50_000 and len(segments) < 1_000
    assert wait_for_no_children() == []


@pytest.mark.timeout(60)
def test_a_raising_task_fails_alone_with_its_traceback():
    run = Run(
        RunConfig(workload="power", inputs=tuple(range(1, 31)), workers=2, executor="futures"),
        func=sample_tasks.fail_on_threes,
    )
    run.start()
    events = collect(run)
    summary = events[-1].summary
    failures = sorted((e for e in events if isinstance(e, TaskFailed)), key=lambda e: e.index)
    assert [f.index for f in failures] == [i for i in range(30) if (i + 1) % 3 == 0]
    assert (summary.completed, summary.failed) == (20, 10)
    assert "fail_on_threes" in failures[0].traceback
    assert not [e for e in events if isinstance(e, WorkerDied)]  # a raise breaks nothing


@pytest.mark.timeout(60)
def test_unpicklable_results_fail_their_tasks_and_do_not_break_the_executor():
    run = Run(
        RunConfig(workload="power", inputs=(1, 2, 3), workers=2, executor="futures"),
        func=sample_tasks.unpicklable,
    )
    run.start()
    summary = run.wait(30)
    assert summary.failed == 3 and summary.completed == 0 and summary.deaths == ()
    books_are_exact(summary)


@pytest.mark.timeout(60)
def test_stop_ends_every_executor_worker_within_a_second():
    run = Run(RunConfig(workload="sleep", tasks=400, workers=2, executor="futures"))
    run.start()
    while run.progress.done < 2:
        run.poll(timeout=0.01)
        assert run.elapsed < 20
    assert len(run.worker_pids()) == 2
    stopped_at = time.perf_counter()
    run.stop()
    summary = run.wait(5)
    assert time.perf_counter() - stopped_at < 1.5
    assert summary.stopped and summary.cancelled > 0
    books_are_exact(summary)
    assert wait_for_no_children(timeout=1.0) == []


@pytest.mark.timeout(60)
def test_start_stop_cycles_leave_no_process():
    for cycle in range(6):
        run = Run(RunConfig(workload="primes", tasks=40, workers=2, executor="futures"))
        run.start()
        if cycle % 2:
            while not run.worker_pids() and run.elapsed < 10:
                run.poll(timeout=0.01)
        run.stop()
        books_are_exact(run.wait(10))
    assert wait_for_no_children(timeout=3.0) == []


@pytest.mark.timeout(90)
@pytest.mark.parametrize("start_method", START_METHODS)
def test_a_killed_worker_breaks_the_executor_and_a_new_one_finishes_with_exact_books(
    start_method,
):
    token = os.getpid() * 10 + 5 + START_METHODS.index(start_method)
    inputs = tuple(token * 1000 + i for i in range(30))
    marker = sample_tasks.hang_marker(inputs[0])
    marker.unlink(missing_ok=True)
    run = Run(
        RunConfig(
            workload="power",
            inputs=inputs,
            workers=2,
            executor="futures",
            start_method=start_method,
        ),
        func=sample_tasks.hang_once_on_five,
    )
    run.start()
    killed = {}

    def kill_the_worker_running_task_5():
        if not killed and marker.exists() and marker.read_text():
            killed["pid"] = run.kill_worker(int(marker.read_text()))

    try:
        events = collect(run, timeout=60, after_poll=kill_the_worker_running_task_5)
    finally:
        run.stop()
        marker.unlink(missing_ok=True)
    # Only the worker that was killed died: the executor's terminating the other one after
    # it is not a death of its own.
    deaths = [e for e in events if isinstance(e, WorkerDied)]
    assert [(d.pid, d.exitcode) for d in deaths] == [(killed["pid"], -signal.SIGKILL)]
    assert 5 in deaths[0].running
    notes = [e.text for e in events if isinstance(e, ExecutorNote)]
    assert any(note.startswith("BrokenProcessPool: a worker died") for note in notes), notes
    restarts = [e for e in events if isinstance(e, PoolRestarted)]
    assert len(restarts) == 1 and restarts[0].retried >= 1 and restarts[0].pool_replaced
    assert "BrokenProcessPool" in restarts[0].how
    summary = events[-1].summary
    assert summary.error is None
    assert (summary.completed, summary.failed, summary.cancelled) == (30, 0, 0)
    assert summary.retried >= 1
    assert summary.results == [x * x for x in inputs]
    assert summary.deaths == ((killed["pid"], -signal.SIGKILL),)
    assert wait_for_no_children() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a stopped process: /proc")
@pytest.mark.timeout(90)
def test_a_stopped_executor_worker_is_stuck_killed_and_its_tasks_run_again():
    token = os.getpid() * 10 + 9
    inputs = tuple(token * 1000 + i for i in range(30))
    marker = sample_tasks.hang_marker(inputs[0])
    marker.unlink(missing_ok=True)
    run = Run(
        RunConfig(workload="power", inputs=inputs, workers=2, chunksize=1, executor="futures"),
        func=sample_tasks.stop_in_task_once,
    )
    run.start()
    try:
        events = collect(run, timeout=60)
    finally:
        run.stop()
    pid = int(marker.read_text())
    marker.unlink()
    summary = events[-1].summary
    assert summary.error is None
    assert summary.completed == 30 and summary.results == [x * x for x in inputs]
    assert summary.deaths == ((pid, -signal.SIGKILL),)
    assert wait_for_no_children() == []


@pytest.mark.timeout(90)
def test_executor_workers_that_keep_dying_stop_the_run_with_an_error_naming_them():
    run = Run(
        RunConfig(workload="power", inputs=tuple(range(20)), workers=2, executor="futures"),
        func=sample_tasks.exit_on_seven,
    )
    run.start()
    events = collect(run, timeout=60)
    summary = events[-1].summary
    deaths = [e for e in events if isinstance(e, WorkerDied)]
    # Each death is the worker that ran task 7, never one the broken executor ended after it.
    assert len(deaths) == 3 and all(d.exitcode == 3 for d in deaths)
    assert summary.error is not None and "exit code 3" in summary.error
    assert summary.results[7] is None and summary.cancelled >= 1
    books_are_exact(summary)
    assert wait_for_no_children() == []
