"""The engine with real processes: exact books, order, failures, cancel, deaths, cycles."""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import pickle
import select
import struct
import time

import psutil
import pytest

from app.engine import ConfigError, Run, RunConfig, available_start_methods
from app.engine.backends.process_pool import dispose_pool
from app.engine.records import (
    PoolRestarted,
    RunFinished,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
)
from app.engine.worker import PIECE_BYTES
from tests import sample_tasks
from tests.conftest import worker_children

START_METHODS = [m for m in ("spawn", "fork", "forkserver") if m in available_start_methods()]
TUTORIAL = (4, 2, 3, 5, 3, 2, 1, 2)


def wait_for_no_children(timeout: float = 3.0) -> list[psutil.Process]:
    deadline = time.perf_counter() + timeout
    while worker_children() and time.perf_counter() < deadline:
        time.sleep(0.02)
    return worker_children()


def collect(run: Run, timeout: float = 30.0, after_poll=None) -> list:
    """Poll like a consumer does until RunFinished; return every event."""
    events = []
    deadline = time.perf_counter() + timeout
    while not run.finished:
        assert time.perf_counter() < deadline, "run did not finish in time"
        events.extend(run.poll(timeout=0.01))
        if after_poll:
            after_poll()
    return events


def books_are_exact(summary) -> None:
    assert summary.completed + summary.failed + summary.cancelled == summary.tasks


@pytest.mark.timeout(60)
@pytest.mark.parametrize("start_method", START_METHODS)
def test_tutorial_pool_map_results_in_input_order(start_method):
    run = Run(RunConfig(workload="power", inputs=TUTORIAL, workers=2, start_method=start_method))
    run.start()
    events = collect(run)
    summary = events[-1].summary
    assert isinstance(events[-1], RunFinished)
    assert summary.results == [256, 4, 27, 3125, 27, 4, 1, 4]
    assert (summary.completed, summary.failed, summary.cancelled) == (8, 0, 0)
    assert sum(e.count for e in events if isinstance(e, Segment)) == 8
    assert any(isinstance(e, WorkerStarted) for e in events)
    assert wait_for_no_children() == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["thread", "serial"])
def test_thread_and_serial_executors_keep_the_same_books(executor):
    run = Run(RunConfig(workload="power", tasks=5000, executor=executor, workers=2))
    run.start()
    summary = run.wait(30)
    assert summary.completed == 5000 and summary.failed == 0
    assert summary.results == [x**x for x in run.config.make_inputs()]


@pytest.mark.timeout(60)
def test_200000_tiny_tasks_every_result_once_and_reported_per_chunk():
    run = Run(RunConfig(workload="power", tasks=200_000, workers=2))
    run.start()
    events = collect(run)
    summary = events[-1].summary
    assert summary.completed == 200_000 and summary.failed == 0 and summary.retried == 0
    segments = [e for e in events if isinstance(e, Segment)]
    assert sum(s.count for s in segments) == 200_000
    # Telemetry follows the task size: tiny tasks arrive in blocks, not one message each.
    assert len(segments) < 2_000
    assert summary.results == [x**x for x in run.config.make_inputs()]
    assert sum(w.tasks for w in summary.per_worker) == 200_000


@pytest.mark.timeout(60)
def test_a_raising_task_is_counted_failed_with_its_traceback_and_the_run_goes_on():
    run = Run(
        RunConfig(workload="power", inputs=tuple(range(1, 31)), workers=2),
        func=sample_tasks.fail_on_threes,
    )
    run.start()
    events = collect(run)
    summary = events[-1].summary
    failures = sorted((e for e in events if isinstance(e, TaskFailed)), key=lambda e: e.index)
    assert [f.index for f in failures] == [i for i in range(30) if (i + 1) % 3 == 0]
    assert (summary.completed, summary.failed) == (20, 10)
    assert failures[0].exc_type == "ValueError"
    assert "multiple of three" in failures[0].message
    assert "fail_on_threes" in failures[0].traceback
    assert summary.results[0] == 1 and summary.results[2] is None


@pytest.mark.timeout(60)
def test_unpicklable_results_fail_their_tasks_instead_of_hanging():
    run = Run(
        RunConfig(workload="power", inputs=(1, 2, 3), workers=2), func=sample_tasks.unpicklable
    )
    run.start()
    summary = run.wait(30)
    assert summary.failed == 3 and summary.completed == 0
    books_are_exact(summary)


@pytest.mark.timeout(60)
def test_stop_ends_every_worker_within_a_second_and_a_new_run_starts_at_once():
    run = Run(RunConfig(workload="sleep", tasks=400, workers=2))
    run.start()
    deadline = time.perf_counter() + 20
    while not any(isinstance(e, Segment) for e in run.poll(timeout=0.01)):
        assert time.perf_counter() < deadline
    assert len(run.worker_pids()) == 2
    stopped_at = time.perf_counter()
    run.stop()
    events = collect(run, timeout=5)
    assert wait_for_no_children(timeout=1.0) == []
    assert time.perf_counter() - stopped_at < 1.5
    summary = events[-1].summary
    assert summary.stopped and summary.cancelled > 0
    books_are_exact(summary)

    again = Run(RunConfig(workload="power", inputs=TUTORIAL, workers=2))
    again.start()
    assert again.wait(20).results == [256, 4, 27, 3125, 27, 4, 1, 4]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["thread", "serial"])
def test_stop_ends_a_thread_or_serial_run_at_once(executor):
    """Threads cannot be killed one by one, but the process they run in can: at once."""
    run = Run(RunConfig(workload="sleep", tasks=200, executor=executor, workers=2))
    run.start()
    while run.progress.done < 2:
        run.poll(timeout=0.01)
        assert run.elapsed < 20
    stopped_at = time.perf_counter()
    run.stop()
    summary = run.wait(5)
    assert time.perf_counter() - stopped_at < 1.0
    assert summary.stopped and summary.cancelled > 100
    books_are_exact(summary)
    assert wait_for_no_children() == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["thread", "serial"])
def test_killing_a_thread_or_serial_run_kills_its_process_and_every_task_still_ends(executor):
    run = Run(RunConfig(workload="sleep", tasks=40, executor=executor, workers=2))
    run.start()
    while run.progress.done < 2:
        run.poll(timeout=0.01)
        assert run.elapsed < 20
    (host,) = run.worker_pids()
    assert run.kill_worker() == host
    events = collect(run, timeout=40)
    died = [e for e in events if isinstance(e, WorkerDied)]
    assert [d.pid for d in died] == [host]
    summary = events[-1].summary
    assert summary.completed == 40 and summary.error is None
    assert None not in summary.results
    assert wait_for_no_children() == []


@pytest.mark.timeout(120)
def test_twenty_start_stop_cycles_leave_no_process():
    for cycle in range(20):
        run = Run(RunConfig(workload="primes", tasks=40, workers=2))
        run.start()
        if cycle % 2:
            while not run.worker_pids() and run.elapsed < 10:
                run.poll(timeout=0.01)
        run.stop()
        summary = run.wait(10)
        books_are_exact(summary)
    assert wait_for_no_children(timeout=3.0) == []


@pytest.mark.timeout(90)
@pytest.mark.parametrize("start_method", START_METHODS)
def test_killed_worker_task_is_retried_and_the_books_stay_exact(start_method):
    token = os.getpid() * 10 + START_METHODS.index(start_method)
    inputs = tuple(token * 1000 + i for i in range(30))
    marker = sample_tasks.hang_marker(inputs[0])
    marker.unlink(missing_ok=True)
    run = Run(
        RunConfig(workload="power", inputs=inputs, workers=2, start_method=start_method),
        func=sample_tasks.hang_once_on_five,
    )
    run.start()
    killed = {}

    def kill_the_worker_running_task_5():
        if not killed and marker.exists() and marker.read_text():
            killed["pid"] = run.kill_worker(int(marker.read_text()))

    events = collect(run, timeout=60, after_poll=kill_the_worker_running_task_5)
    deaths = [e for e in events if isinstance(e, WorkerDied)]
    assert [d.pid for d in deaths] == [killed["pid"]]
    assert deaths[0].exitcode == -9
    assert 5 in deaths[0].running
    restarts = [e for e in events if isinstance(e, PoolRestarted)]
    assert len(restarts) == 1 and restarts[0].retried >= 1
    summary = events[-1].summary
    assert summary.error is None
    assert summary.completed == 30 and summary.failed == 0 and summary.retried >= 1
    assert summary.results == [x * x for x in inputs]
    assert summary.deaths == ((killed["pid"], -9),)
    assert wait_for_no_children() == []
    marker.unlink()


@pytest.mark.timeout(60)
def test_a_death_is_noticed_within_two_seconds():
    run = Run(RunConfig(workload="sleep", tasks=200, workers=2))
    run.start()
    while len(run.worker_pids()) < 2 or run.progress.done < 2:
        run.poll(timeout=0.01)
        assert run.elapsed < 20
    pid = run.kill_worker()
    killed_at = time.perf_counter()
    noticed = None
    while noticed is None:
        for event in run.poll(timeout=0.01):
            if isinstance(event, WorkerDied):
                noticed = time.perf_counter() - killed_at
                assert event.pid == pid
        assert time.perf_counter() - killed_at < 5
    assert noticed < 2.0
    run.stop()
    books_are_exact(run.wait(10))


@pytest.mark.timeout(90)
def test_workers_that_keep_dying_stop_the_run_with_an_error_naming_them():
    inputs = tuple(range(20))
    run = Run(
        RunConfig(workload="power", inputs=inputs, workers=2), func=sample_tasks.exit_on_seven
    )
    run.start()
    events = collect(run, timeout=60)
    summary = events[-1].summary
    deaths = [e for e in events if isinstance(e, WorkerDied)]
    assert len(deaths) == 3 and all(d.exitcode == 3 for d in deaths)
    assert summary.error is not None
    for death in deaths:
        assert f"pid {death.pid}" in summary.error
    assert "exit code 3" in summary.error
    assert summary.results[7] is None
    books_are_exact(summary)
    assert summary.cancelled >= 1
    assert wait_for_no_children() == []


@pytest.mark.timeout(120)
def test_workers_killed_mid_message_never_block_poll_or_lose_a_result():
    """Reports of 200 kB cross the Queue in ~50 pieces each; kill workers while they stream.

    A worker killed halfway through a message must not make poll() wait for the rest, and
    every task must still end with exactly one result.
    """
    inputs = tuple(range(120))
    run = Run(
        RunConfig(workload="power", inputs=inputs, workers=2, chunksize=1, max_deaths=5),
        func=sample_tasks.big_result,
    )
    run.start()
    kills = []
    slowest_poll = 0.0
    deadline = time.perf_counter() + 90
    while not run.finished:
        assert time.perf_counter() < deadline
        began = time.perf_counter()
        run.poll()
        slowest_poll = max(slowest_poll, time.perf_counter() - began)
        if len(kills) < 3 and run.progress.done >= 20 * (len(kills) + 1):
            pid = run.kill_worker()
            if pid:
                kills.append(pid)
    summary = run.summary
    assert len(kills) == 3
    assert summary.error is None, summary.error
    assert summary.completed == 120 and summary.failed == 0
    assert all(result == bytes([i % 256]) * 200_000 for i, result in enumerate(summary.results))
    assert slowest_poll < 0.25, f"poll() took {slowest_poll:.3f} s"
    assert wait_for_no_children() == []


def test_every_piece_fits_in_one_atomic_pipe_write():
    from multiprocessing.reduction import ForkingPickler

    pipe_buf = getattr(select, "PIPE_BUF", 65536)
    piece = (2**22, 2**40, 65535, 65535, b"x" * PIECE_BYTES)
    assert len(ForkingPickler.dumps(piece)) + 4 <= pipe_buf  # 4: the Connection's length header


@pytest.mark.timeout(30)
def test_disposing_a_pool_whose_locks_a_killed_worker_held_does_not_hang():
    """The hazard in Lib/multiprocessing/queues.py: a process killed while holding a lock."""
    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(2)
    holders = []
    for lock in (pool._inqueue._rlock, pool._outqueue._wlock):
        holder = ctx.Process(target=_hold_forever, args=(lock,))
        holder.start()
        holders.append(holder)
    deadline = time.perf_counter() + 10
    while pool._outqueue._wlock.acquire(False) and time.perf_counter() < deadline:
        pool._outqueue._wlock.release()
        time.sleep(0.01)
    for holder in holders:
        holder.kill()
        holder.join()
    began = time.perf_counter()
    dispose_pool(pool, [])
    assert time.perf_counter() - began < 3.0
    assert wait_for_no_children() == []


@pytest.mark.timeout(30)
def test_disposing_a_pool_with_half_a_message_in_its_task_pipe_does_not_hang():
    """A worker killed between reading a task's length and its bytes leaves the rest behind:
    terminate() would read that as a message (here, one that claims to be 1 GiB)."""
    pool = multiprocessing.get_context("spawn").Pool(1)
    pool._worker_handler._state = multiprocessing.pool.TERMINATE  # no replacement reads it
    for worker in pool._pool:
        worker.kill()
        worker.join()
    os.write(pool._inqueue._writer.fileno(), struct.pack("!i", 1 << 30) + b"half a message")
    began = time.perf_counter()
    dispose_pool(pool, [])
    assert time.perf_counter() - began < 3.0
    assert wait_for_no_children() == []


def _hold_forever(lock):
    lock.acquire()
    time.sleep(60)


@pytest.mark.timeout(60)
def test_spawned_workers_never_import_qt_pyqtgraph_or_numpy():
    run = Run(
        RunConfig(workload="power", inputs=(1, 2), workers=2), func=sample_tasks.loaded_modules
    )
    run.start()
    summary = run.wait(30)
    assert summary.results == [[], []]


def test_config_rejects_what_cannot_work_with_a_message_saying_what_is_allowed():
    with pytest.raises(ConfigError, match="choose from power"):
        RunConfig(workload="nope", tasks=1)
    with pytest.raises(ConfigError, match="workers must be between 1"):
        RunConfig(workload="power", tasks=1, workers=0)
    with pytest.raises(ConfigError, match="whole number"):
        RunConfig(workload="power", tasks=1, workers="2")
    with pytest.raises(ConfigError, match="chunksize"):
        RunConfig(workload="power", tasks=1, chunksize=-1)
    with pytest.raises(ConfigError, match="executor"):
        RunConfig(workload="power", tasks=1, executor="gpu")
    with pytest.raises(ConfigError, match="start method"):
        RunConfig(workload="power", tasks=1, start_method="teleport")
    with pytest.raises(ConfigError, match="empty"):
        RunConfig(workload="power", inputs=())


def test_a_run_starts_once():
    run = Run(RunConfig(workload="power", inputs=(1,), executor="serial"))
    run.start()
    with pytest.raises(RuntimeError):
        run.start()
    run.wait(10)


def test_records_and_summary_pickle_and_serialise():
    run = Run(RunConfig(workload="power", inputs=TUTORIAL, executor="serial"))
    run.start()
    summary = run.wait(10)
    assert pickle.loads(pickle.dumps(summary)) == summary
    data = summary.to_dict(include_results=True)
    assert data["results"] == [256, 4, 27, 3125, 27, 4, 1, 4]
    # Serial work runs in a child process of its own, never in the caller's.
    assert os.getpid() not in {w["pid"] for w in data["per_worker"]}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("start_method", START_METHODS)
def test_the_tutorials_eight_inputs_spread_over_both_workers(start_method):
    """As in the tutorial's printout: a short list is not all taken by the first worker up.

    Which worker takes a task from the shared queue is the OS scheduler's choice; on a loaded
    machine one worker can still win every race, so one of three runs must spread.
    """
    spread = []
    for _ in range(3):
        config = RunConfig(workload="power", inputs=TUTORIAL, workers=2, start_method=start_method)
        summary = _run_to_end(config)
        assert summary.results == [256, 4, 27, 3125, 27, 4, 1, 4]
        spread.append(sum(1 for worker in summary.per_worker if worker.tasks))
        if spread[-1] == 2:
            break
    assert 2 in spread, spread
    assert wait_for_no_children() == []


def _run_to_end(config: RunConfig):
    run = Run(config)
    run.start()
    return run.wait(30)


class _FakeLedger:
    def __init__(self, workers: int) -> None:
        self.workers = dict.fromkeys(range(workers))


def test_a_short_list_of_tiny_tasks_waits_for_every_worker_then_goes_one_chunk_at_a_time():
    from app.engine.supervisor import Supervisor

    config = RunConfig(workload="power", inputs=TUTORIAL, workers=2)
    supervisor = Supervisor(config, config.func, _FakeLedger(1))
    supervisor.t0 = time.perf_counter()
    assert supervisor._short_list_limit(4) == 0  # one worker up of two: wait
    supervisor.ledger = _FakeLedger(2)
    assert supervisor._short_list_limit(4) == 1  # all up, task cost unknown: one at a time
    supervisor._per_task_s = 1e-6
    assert supervisor._short_list_limit(4) == 1  # tiny: still one at a time
    supervisor._per_task_s = 0.05
    assert supervisor._short_list_limit(4) == 4  # coarse: the usual window
    supervisor.ledger, supervisor.t0 = _FakeLedger(1), time.perf_counter() - 10
    supervisor._per_task_s = None
    assert supervisor._short_list_limit(4) == 1  # a worker that never came: go on anyway


@pytest.mark.timeout(60)
def test_a_caller_can_wait_until_the_workers_are_asked_for():
    run = Run(RunConfig(workload="power", tasks=1000, workers=2))
    run.start()
    assert run.wait_until_asked(timeout=30)
    assert len(run.worker_pids()) == 2  # asked for: each has its pid, ready or not
    summary = collect(run)[-1].summary
    assert summary.completed == 1000
    assert run.wait_until_asked(timeout=0)  # and stays so


def test_auto_chunks_of_tiny_tasks_keep_more_in_flight_than_the_usual_window():
    from app.engine.supervisor import Supervisor

    config = RunConfig(workload="power", tasks=200_000, workers=2)
    supervisor = Supervisor(config, config.func, _FakeLedger(2))
    supervisor._per_task_s = 50e-9  # chunks stop at Pool.map's own 25,000 tasks: about 1 ms
    assert supervisor._chunk_size() == 25_000
    assert supervisor._in_flight_limit() >= 4 * supervisor.window  # ~40 ms of work queued
    assert supervisor._in_flight_limit() <= supervisor.slots
    supervisor._per_task_s = 0.01  # chunks of 2 tasks hold the target's 20 ms: the usual window
    assert supervisor._in_flight_limit() == supervisor.window
    chosen = RunConfig(workload="power", tasks=200_000, workers=2, chunksize=25_000)
    supervisor = Supervisor(chosen, chosen.func, _FakeLedger(2))
    supervisor._per_task_s = 50e-9  # a chunksize chosen by hand keeps its own window
    assert supervisor._in_flight_limit() == supervisor.window == supervisor.slots


def test_the_time_per_task_weighs_each_chunk_by_its_tasks():
    from app.engine.messages import Ack
    from app.engine.supervisor import Supervisor

    config = RunConfig(workload="power", tasks=200_000, workers=2)
    supervisor = Supervisor(config, config.func, _FakeLedger(2))
    supervisor._learn(Ack(0, 1, 2e-6))  # the first chunk: one task, with a chunk's fixed costs
    assert supervisor._per_task_s == pytest.approx(2e-6)
    supervisor._learn(Ack(1, 10_000, 10_000 * 50e-9))  # then 10,000 tasks of 50 ns
    assert supervisor._per_task_s == pytest.approx(50e-9, rel=0.01)
    assert supervisor._longest_task_s == pytest.approx(2e-6)
    for chunk_id in range(2, 12):  # tasks that grow ten times dearer: the estimate follows
        supervisor._learn(Ack(chunk_id, 10_000, 10_000 * 500e-9))
    assert supervisor._per_task_s == pytest.approx(500e-9, rel=0.01)


def test_a_run_until_stop_over_a_short_list_keeps_its_full_window():
    from app.engine.supervisor import Supervisor

    config = RunConfig(workload="power", inputs=(4, 2, 3), workers=2, until_stopped=True)
    supervisor = Supervisor(config, config.func, _FakeLedger(2))
    supervisor.t0 = time.perf_counter()
    supervisor._per_task_s = 1e-6  # tiny tasks: a short list would go one chunk at a time
    assert supervisor._in_flight_limit() >= supervisor.window  # more, even: see _stretch
    short = RunConfig(workload="power", inputs=(4, 2, 3), workers=2)
    supervisor = Supervisor(short, short.func, _FakeLedger(2))
    supervisor._per_task_s = 1e-6
    assert supervisor._in_flight_limit() == 1
