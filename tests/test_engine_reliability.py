"""The engine when someone tries to break it: many chunks, stuck workers, a killed parent, a
killed forkserver, large results. Every test starts real processes and ends with none left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from app.engine import Run, RunConfig, available_start_methods
from app.engine.records import PoolRestarted, RunFinished, Segment, WorkerDied, WorkerStuck
from tests import sample_tasks
from tests.test_engine import books_are_exact, collect, wait_for_no_children

START_METHODS = [m for m in ("spawn", "fork", "forkserver") if m in available_start_methods()]
LINUX = sys.platform.startswith("linux")


def token_inputs(tag: int, count: int = 30) -> tuple[int, ...]:
    """Inputs that carry this test's own token, so markers of parallel tests never meet."""
    token = os.getpid() * 100 + tag
    return tuple(token * 1000 + i for i in range(count))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("start_method", START_METHODS)
def test_far_more_chunks_than_any_fixed_table_keep_exact_books(start_method):
    run = Run(
        RunConfig(workload="power", tasks=12_000, chunksize=1, workers=2, start_method=start_method)
    )
    run.start()
    summary = run.wait(100)
    assert summary.chunks == 12_000
    assert (summary.completed, summary.failed, summary.cancelled) == (12_000, 0, 0)
    assert summary.results == [x**x for x in run.config.make_inputs()]
    assert wait_for_no_children() == []


def run_with_one_stuck_worker(func, tag: int, **config) -> tuple[list, int]:
    inputs = token_inputs(tag)
    marker = sample_tasks.hang_marker(inputs[0])
    marker.unlink(missing_ok=True)
    run = Run(
        RunConfig(workload="power", inputs=inputs, workers=2, chunksize=1, **config), func=func
    )
    run.start()
    try:
        events = collect(run, timeout=60)
    finally:
        run.stop()
    pid = int(marker.read_text())
    marker.unlink()
    summary = events[-1].summary
    assert summary.error is None, summary.error
    assert summary.completed == len(inputs) and summary.failed == 0
    assert summary.results == [x * x for x in inputs]
    assert summary.deaths == ((pid, -signal.SIGKILL),)
    books_are_exact(summary)
    assert wait_for_no_children() == []
    return events, pid


@pytest.mark.skipif(not LINUX, reason="a stopped process is seen in /proc")
@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    "func",
    [
        sample_tasks.stop_in_task_once,
        sample_tasks.stop_holding_report_lock_once,
        sample_tasks.stop_holding_task_lock_once,
    ],
    ids=["in a task", "holding the report queue's lock", "holding the task queue's lock"],
)
def test_a_stopped_worker_is_reported_killed_and_its_tasks_run_again(func):
    tag = [
        sample_tasks.stop_in_task_once,
        sample_tasks.stop_holding_report_lock_once,
        sample_tasks.stop_holding_task_lock_once,
    ].index(func)
    events, pid = run_with_one_stuck_worker(func, tag=tag)
    stuck = [e for e in events if isinstance(e, WorkerStuck)]
    assert [e.pid for e in stuck] == [pid]
    assert f"pid {pid} is stopped" in stuck[0].reason
    died = [e for e in events if isinstance(e, WorkerDied)]
    assert [e.pid for e in died] == [pid]
    assert len([e for e in events if isinstance(e, PoolRestarted)]) == 1


@pytest.mark.timeout(90)
def test_a_worker_blocked_in_a_task_is_stuck_after_ten_times_its_tasks_cost():
    events, pid = run_with_one_stuck_worker(
        sample_tasks.block_forever_once, tag=10, stuck_after_s=1.0
    )
    stuck = [e for e in events if isinstance(e, WorkerStuck)]
    assert [e.pid for e in stuck] == [pid]
    assert f"pid {pid} has made no progress for" in stuck[0].reason
    assert stuck[0].idle_s >= 1.0
    died = [e for e in events if isinstance(e, WorkerDied)]
    assert 5 in died[0].running


@pytest.mark.skipif(not LINUX, reason="CPU time is read from /proc")
@pytest.mark.timeout(60)
def test_a_long_task_that_computes_is_never_stuck():
    inputs = token_inputs(11, count=10)
    run = Run(
        RunConfig(workload="power", inputs=inputs, workers=2, chunksize=1, stuck_after_s=0.5),
        func=sample_tasks.compute_for_three_seconds_on_five,
    )
    run.start()
    events = collect(run, timeout=40)
    assert not [e for e in events if isinstance(e, WorkerStuck | WorkerDied)]
    assert events[-1].summary.completed == 10
    assert wait_for_no_children() == []


def process_tree(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def gone_within(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def is_ready_worker(process: psutil.Process) -> bool:
    """A worker that has run its initializer: it has started its parent-watch thread."""
    try:
        command = " ".join(process.cmdline())
        return "resource_tracker" not in command and process.num_threads() >= 2
    except psutil.Error:
        return False


def start_cli_run(*args: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """`python -m app run ...` in a process of its own; returns once its 2 workers are ready."""
    cli = subprocess.Popen(
        [sys.executable, "-m", "app", "run", "--workers", "2", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.perf_counter() + 20
    while True:
        assert time.perf_counter() < deadline, "workers did not start"
        children = process_tree(cli.pid)
        if sum(map(is_ready_worker, children)) >= 2:
            return cli, children
        time.sleep(0.05)


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.timeout(60)
def test_workers_die_with_a_killed_cli_even_when_stopped():
    cli, children = start_cli_run("--workload", "primes", "--tasks", "400")
    worker = next(c for c in children if is_ready_worker(c))
    worker.suspend()  # SIGSTOP: it can no longer notice anything by itself
    cli.kill()
    cli.wait(5)
    assert gone_within(children, 5) == []


@pytest.mark.timeout(60)
def test_workers_in_a_long_task_die_with_a_killed_cli_at_once():
    # Each task sleeps 100 ms: "at once" here means well before the run could end by itself.
    cli, children = start_cli_run("--workload", "sleep", "--tasks", "400")
    cli.kill()
    cli.wait(5)
    assert gone_within(children, 3) == []


@pytest.mark.skipif("forkserver" not in START_METHODS, reason="no forkserver on this OS")
@pytest.mark.timeout(90)
def test_killing_the_forkserver_mid_run_loses_no_task_and_leaves_no_worker():
    from multiprocessing import forkserver

    run = Run(RunConfig(workload="sleep", tasks=60, workers=2, start_method="forkserver"))
    run.start()
    while len(run.worker_pids()) < 2 or run.progress.done < 4:
        run.poll(timeout=0.01)
        assert run.elapsed < 30
    old_workers = [psutil.Process(pid) for pid in run.worker_pids()]
    server = forkserver._forkserver._forkserver_pid
    os.kill(server, signal.SIGKILL)
    events = collect(run, timeout=60)
    summary = events[-1].summary
    assert summary.completed == 60 and summary.failed == 0 and summary.error is None
    died = [e for e in events if isinstance(e, WorkerDied)]
    assert died and all(e.cause == "its forkserver died" for e in died)
    assert gone_within(old_workers, 3) == []
    assert wait_for_no_children() == []


@pytest.mark.timeout(60)
def test_wall_time_lasts_until_every_result_has_arrived():
    run = Run(
        RunConfig(workload="power", inputs=tuple(range(40)), workers=2, chunksize=1),
        func=sample_tasks.five_megabytes,
    )
    run.start()
    last_poll_began = None
    segments = []
    deadline = time.perf_counter() + 40
    while not run.finished:
        assert time.perf_counter() < deadline
        began = time.perf_counter()
        for event in run.poll(timeout=0.01):
            if isinstance(event, Segment):
                segments.append(event)
                last_poll_began = began
            if isinstance(event, RunFinished):
                summary = event.summary
    assert summary.completed == 40
    # The last result arrived during the poll that returned it, after its task had ended.
    assert summary.wall_s >= last_poll_began - run.t0
    assert summary.wall_s > max(segment.end for segment in segments)
    assert summary.throughput == pytest.approx(40 / summary.wall_s)
    assert wait_for_no_children() == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["process", "futures", "thread"])
def test_a_run_until_stopped_goes_round_after_round_and_keeps_exact_books(executor):
    run = Run(
        RunConfig(
            workload="power", inputs=(4, 2, 3), executor=executor, workers=2, until_stopped=True
        ),
        func=sample_tasks.slow_square,
    )
    run.start()
    segments = []
    deadline = time.perf_counter() + 30
    while run.progress.done < 20:  # nearly seven rounds of three
        assert time.perf_counter() < deadline
        segments += [e for e in run.poll(timeout=0.01) if isinstance(e, Segment)]
    run.stop()
    summary = run.wait(10)
    assert summary.stopped and summary.error is None and summary.results is None
    assert summary.completed >= 20 and summary.tasks >= 21
    books_are_exact(summary)
    assert sum(s.count for s in segments) <= summary.completed
    assert wait_for_no_children() == []


@pytest.mark.skipif(os.name != "posix", reason="sessions are POSIX")
@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["process", "futures", "thread"])
def test_spawned_workers_start_out_of_reach_of_a_terminals_ctrl_c(executor):
    """A terminal's Ctrl+C goes to its foreground process group: workers must not be in it."""
    run = Run(RunConfig(workload="sleep", tasks=20, executor=executor, workers=2))
    run.start()
    while not run.worker_pids():
        run.poll(timeout=0.01)
        assert run.elapsed < 20
    for pid in run.worker_pids():
        assert os.getsid(pid) != os.getsid(0) and os.getpgid(pid) != os.getpgid(0)
    run.stop()
    books_are_exact(run.wait(10))
    assert wait_for_no_children() == []
