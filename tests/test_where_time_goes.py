"""Where the time goes: CPU time beside wall time, per block and per worker, with real workers.

Two threads on a CPU-bound workload share one GIL, so each computes about half the time and
waits the other half; two processes each have their own and compute nearly all the time; a
thread that sleeps waits nearly all the time. Other programs on the machine can only take CPU
away, never add it, so the process check waits for quiet cores and keeps its best of a few
runs, and the thread checks hold on a busy machine too.
"""

from __future__ import annotations

import pickle
import time

import psutil
import pytest

from app.engine import Run, RunConfig
from app.engine.messages import TaskBlock
from app.engine.records import Segment, WorkerSummary
from app.engine.worker import WorkerContext, execute_chunk

PRIMES_TASKS = 60  # about 20 ms each: a second or two of work for two workers


def run_to_the_end(config: RunConfig, timeout_s: float = 40.0):
    run = Run(config)
    run.start()
    segments = []
    while not run.finished:
        segments.extend(e for e in run.poll(timeout=0.05) if isinstance(e, Segment))
    summary = run.wait(timeout_s)
    assert summary.completed == summary.tasks
    return summary, segments


def cpu_and_wall(summary) -> tuple[float, float]:
    """Summed CPU time and summed wall time inside tasks, over every worker."""
    cpu = sum(worker.cpu_s for worker in summary.per_worker)
    wall = sum(worker.busy_s for worker in summary.per_worker)
    return cpu, wall


@pytest.mark.timeout(60)
def test_two_threads_on_primes_take_turns_on_one_gil():
    summary, segments = run_to_the_end(
        RunConfig(workload="primes", tasks=PRIMES_TASKS, executor="thread", workers=2)
    )
    cpu, wall = cpu_and_wall(summary)
    assert cpu / wall < 0.75, f"threads computed {cpu / wall:.0%} of their time"
    waiting = sum(worker.wait_s for worker in summary.per_worker)
    assert waiting / wall > 0.25
    # One GIL: together the threads never compute for longer than the run lasted.
    assert cpu <= summary.wall_s * 1.1
    assert all(segment.cpu is not None for segment in segments)
    assert sum(segment.cpu for segment in segments) == pytest.approx(cpu)


def wait_for_a_quiet_machine(longest_s: float = 15.0) -> None:
    """Other programs busy on our cores take CPU from the workers, which then wait for a core:
    true, but not what this test is about. Wait (a while, not for ever) until the cores rest."""
    deadline = time.monotonic() + longest_s
    while psutil.cpu_percent(interval=0.5) > 20 and time.monotonic() < deadline:
        pass


@pytest.mark.timeout(150)
def test_two_processes_on_primes_compute_nearly_all_the_time():
    best = 0.0
    for _ in range(4):  # other programs on this machine's cores can only lower the share
        wait_for_a_quiet_machine()
        summary, _ = run_to_the_end(
            RunConfig(workload="primes", tasks=PRIMES_TASKS, executor="process", workers=2)
        )
        cpu, wall = cpu_and_wall(summary)
        best = max(best, cpu / wall)
        if best >= 0.85:
            break
    assert best >= 0.85, f"processes computed only {best:.0%} of their time"
    for worker in summary.per_worker:
        assert worker.wait_s == pytest.approx(worker.busy_s - worker.cpu_s, abs=1e-9)


@pytest.mark.timeout(60)
def test_sleeping_threads_wait_and_use_no_cpu():
    summary, _ = run_to_the_end(RunConfig(workload="sleep", tasks=12, executor="thread", workers=2))
    cpu, wall = cpu_and_wall(summary)
    assert cpu / wall < 0.1
    waiting = sum(worker.wait_s for worker in summary.per_worker)
    assert waiting == pytest.approx(wall, rel=0.1)


class _Channel(list):
    """Collects what a worker sends: pickled pieces, as they would cross the run's Queue."""

    put = list.append

    def messages(self) -> list:
        parts: dict = {}
        done = []
        for pid, number, seq, total, data in self:
            parts.setdefault((pid, number), []).append(data)
            if seq == total - 1:
                done.append(pickle.loads(b"".join(parts.pop((pid, number)))))
        return done


def test_fast_path_reports_one_cpu_time_for_the_whole_block():
    context = WorkerContext(func=abs, channel=_Channel())
    ack = execute_chunk(context, 0, range(0, 1000), list(range(-1000, 0)))
    (report,) = context.channel.messages()
    (block,) = report.blocks
    assert ack.count == 1000 and block.indices == range(0, 1000)
    assert 0.0 <= block.cpu <= block.end - block.start


def test_coarse_tasks_each_carry_their_own_cpu_time():
    def spin(n: int) -> int:
        total = 0
        for i in range(40_000 * n):
            total += i
        return total

    context = WorkerContext(func=spin, channel=_Channel())
    execute_chunk(context, 0, range(0, 3), [3, 3, 3])
    blocks = [block for report in context.channel.messages() for block in report.blocks]
    assert len(blocks) == 3
    for block in blocks:
        assert 0.0 < block.cpu <= block.end - block.start


def test_old_records_still_build_without_cpu_time():
    block = TaskBlock(range(0, 2), 0.0, 1.0, [1, 2], [])
    assert block.cpu is None
    segment = Segment("1", 1, "W-1", 0, 2, 0, 0.0, 1.0)
    assert segment.cpu is None and segment.cpu_share == 1.0
    assert Segment("1", 1, "W-1", 0, 2, 0, 0.0, 2.0, cpu=0.5).cpu_share == 0.25
    worker = WorkerSummary("1", 1, "W-1", 2, 0, 1.0, 2.0, 0.5)
    assert worker.to_dict()["cpu_s"] == 0.0 and worker.to_dict()["wait_s"] == 0.0


def test_the_text_summary_has_a_waiting_column():
    from app.cli import format_summary
    from app.engine.records import RunSummary

    worker = WorkerSummary("1", 1, "Thread-1", 10, 0, 2.0, 5.0, 1.0, 0.0, cpu_s=0.5, wait_s=1.5)
    summary = RunSummary("primes", "thread", 1, "spawn", 0, 10, 10, 0, 0, 0, 10, 2.0, 0.1, 5.0,
                         per_worker=(worker,))  # fmt: skip
    header, row = format_summary(summary).splitlines()[3:5]
    assert header.split()[-1] == "waiting" and row.split()[-1] == "75%"
    assert all(len(line) <= 80 for line in format_summary(summary).splitlines())


def test_platform_facts_say_whether_the_gil_is_on(monkeypatch):
    import sys

    from app.engine.platform_facts import current_platform

    facts = current_platform()
    assert facts.cpu_count >= 1 and facts.python_version.startswith("3.")
    if not hasattr(sys, "_is_gil_enabled"):  # before 3.13 every CPython has the GIL
        assert facts.gil_enabled and facts.process_cpu_count is None
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    free = current_platform()
    assert not free.gil_enabled and free.python_text.endswith("(GIL off)")
    assert free.to_dict()["gil_enabled"] is False


def turns_taken(cpu_share: float, workers: int = 2, tasks_each: int = 10, task_s: float = 0.1):
    """A snapshot of workers whose every task computed `cpu_share` of its time."""
    from app.stats import RunStats

    stats = RunStats(workers * tasks_each)
    for step in range(tasks_each):
        for w in range(workers):
            start = step * task_s
            stats.add(
                Segment(
                    str(w),
                    w,
                    f"Thread-{w}",
                    step,
                    1,
                    0,
                    start,
                    start + task_s,
                    cpu=task_s * cpu_share,
                )  # fmt: skip
            )
    return stats.snapshot(tasks_each * task_s)


def lane_colours(chart, lane: int, until: float) -> list[str]:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor

    image = chart.grab().toImage()
    view = chart.plot.getViewBox()
    offset = chart.plot_widget.pos()

    def pixel(x: float, y: float):
        point = chart.plot_widget.mapFromScene(view.mapViewToScene(QPointF(x, y)))
        return point.x() + offset.x(), point.y() + offset.y()

    left, centre = pixel(0.0, lane)
    right, _ = pixel(until, lane)
    return [QColor(image.pixel(x, centre)).name() for x in range(left + 2, right - 2)]


def test_the_timeline_draws_waiting_pale_and_computing_solid(qtbot):
    from app.gui.charts import TimelineChart
    from app.gui.theme import worker_colour

    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.resize(900, 260)
    chart.show()
    qtbot.waitExposed(chart)

    chart.draw(turns_taken(0.5))
    solid = worker_colour(1).name()
    row = lane_colours(chart, 1, 1.0)
    computing = row.count(solid) / len(row)
    assert 0.3 < computing < 0.6, f"{computing:.0%} of the lane solid"
    pale = sum(1 for colour in row if colour not in (solid, "#e4e4e4"))
    assert pale / len(row) > 0.3
    assert len(chart._waiting_by_look[1].opts["x0"]) == 10

    chart.reset()
    chart.draw(turns_taken(1.0))  # processes: every block solid, nothing pale
    row = lane_colours(chart, 1, 1.0)
    assert row.count(solid) / len(row) > 0.8
    assert len(chart._waiting_by_look[1].opts["x0"]) == 0


def test_merged_blocks_keep_the_cpu_time_of_both():
    from app.stats.timeline import merge_blocks

    earlier = Segment("1", 1, "W-1", 0, 1, 0, 0.0, 1.0, cpu=0.25)
    later = Segment("1", 1, "W-1", 1, 1, 0, 1.0, 2.0, cpu=0.75)
    merged = merge_blocks(earlier, later)
    assert merged.cpu == 1.0 and merged.cpu_share == 0.5
    unmeasured = Segment("1", 1, "W-1", 1, 1, 0, 1.0, 2.0)
    assert merge_blocks(earlier, unmeasured).cpu == 1.25
    assert merge_blocks(unmeasured, unmeasured).cpu is None


# -- where the rest of a worker's life goes: start-up, sending, idle, bytes ---------------------

# The parts meet end to end (each starts at the clock reading the last one ended on), so they
# add up to well under a millisecond whatever the load; a few ms allow for float sums.
LIFETIME_TOLERANCE_S = 0.003


def parts_of(worker: WorkerSummary) -> float:
    return worker.startup_s + worker.cpu_s + worker.wait_s + worker.send_s + worker.idle_s


@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["process", "thread", "serial"])
def test_start_up_computing_waiting_sending_and_idle_add_up_to_each_workers_lifetime(executor):
    summary, _ = run_to_the_end(
        RunConfig(workload="primes", tasks=24, executor=executor, workers=2, chunksize=2)
    )
    assert summary.per_worker
    for worker in summary.per_worker:
        assert worker.startup_s > 0 and worker.send_s > 0 and worker.idle_s >= 0
        assert 0 < worker.send_cpu_s <= worker.send_s * 1.05 + 1e-4
        assert worker.cpu_s > 0 and worker.messages >= 2  # its hello and a report at least
        assert parts_of(worker) == pytest.approx(worker.lifetime_s, abs=LIFETIME_TOLERANCE_S)
        # A lifetime runs from being asked for to the run's last result.
        assert worker.asked_s + worker.lifetime_s == pytest.approx(summary.wall_s, abs=1e-6)
        assert worker.peak_rss_mb > 1.0  # an interpreter holds megabytes, whatever it runs


@pytest.mark.timeout(90)
@pytest.mark.parametrize("start_method", ["spawn", "fork", "forkserver"])
def test_start_up_phases_are_ordered_and_positive_under_every_start_method(start_method):
    from app.engine import available_start_methods

    if start_method not in available_start_methods():
        pytest.skip(f"{start_method} is not offered by this OS")
    config = RunConfig(workload="power", tasks=8, workers=2, start_method=start_method)
    run = Run(config)
    run.start()
    started = []
    while not run.finished:
        started.extend(e for e in run.poll(timeout=0.05) if type(e).__name__ == "WorkerStarted")
    summary = run.wait(30)
    assert len(started) == 2 == len(summary.per_worker)
    for event in started:
        assert 0 < event.asked < event.began < event.at, event
    for worker in summary.per_worker:
        assert worker.startup_s == pytest.approx(worker.ready_s - worker.asked_s)
        assert 0 < worker.began_s - worker.asked_s < worker.startup_s


@pytest.mark.timeout(60)
def test_threads_share_the_start_up_of_the_process_they_run_in():
    summary, _ = run_to_the_end(RunConfig(workload="power", tasks=8, executor="thread", workers=2))
    first, second = summary.per_worker
    assert first.asked_s == second.asked_s and first.began_s == second.began_s
    assert first.pid == second.pid and first.peak_rss_mb == second.peak_rss_mb
    for worker in summary.per_worker:
        assert 0 < worker.asked_s < worker.began_s < worker.ready_s


def pieces_of(messages: list) -> list:
    """What the run's channel carries for these messages: one piece each, as send() cuts."""
    return [
        (1, number, 0, 1, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        for number, message in enumerate(messages)
    ]


def test_bytes_out_are_the_pickled_size_of_every_message_a_worker_sent():
    from app.engine.ledger import Ledger
    from app.engine.worker import say_hello

    context = WorkerContext(func=abs, channel=_Channel())
    say_hello(context)
    execute_chunk(context, 0, range(0, 500), list(range(-500, 0)))  # one block of tiny tasks
    execute_chunk(context, 1, range(500, 503), [-(10**6)] * 3)
    messages = context.channel.messages()
    ledger = Ledger(503)
    for piece in context.channel:  # the pieces exactly as a worker sent them
        ledger.take(piece, [])
    (books,) = ledger.workers.values()
    assert books.messages == len(messages) == 3
    assert books.bytes_out == sum(
        len(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)) for message in messages
    )
    assert ledger.summary(RunConfig(workload="power", tasks=503), start_method="",
                          retried=0, chunks=2).bytes_out == books.bytes_out  # fmt: skip


def test_a_report_carries_the_time_its_worker_spent_sending_the_messages_before_it():
    context = WorkerContext(func=abs, channel=_Channel())
    from app.engine.worker import say_hello, tally

    say_hello(context)
    sent_hello = tally().send_s
    assert sent_hello > 0
    execute_chunk(context, 0, range(0, 10), list(range(10)), bytes_in=123)
    execute_chunk(context, 1, range(10, 20), list(range(10)), bytes_in=77)
    hello, first, second = context.channel.messages()
    assert first.send_s == sent_hello and first.bytes_in == 123
    assert second.send_s > first.send_s and second.bytes_in == 200
    assert second.idle_s >= first.idle_s >= 0


def test_bytes_in_are_counted_as_a_pool_worker_reads_its_tasks():
    from multiprocessing import Pipe
    from multiprocessing.reduction import ForkingPickler

    from app.engine.worker import count_received, last_received_bytes

    receive, send = Pipe(duplex=False)
    reader = count_received(receive.recv_bytes)
    for task in [(0, 0, range(0, 3), [4, 2, 3]), (1, 5, range(3, 1003), list(range(1000)))]:
        send.send(task)
        assert ForkingPickler.loads(reader()) == task
        assert last_received_bytes() == len(ForkingPickler.dumps(task))
    receive.close()
    send.close()


@pytest.mark.timeout(60)
def test_bytes_in_equal_the_pickled_size_of_the_chunks_sent_to_a_serial_worker():
    from multiprocessing.reduction import ForkingPickler

    inputs = tuple(range(200))  # small numbers: every chunk id, slot and index pickles alike
    config = RunConfig(workload="power", inputs=inputs, executor="serial", chunksize=10)
    summary, _ = run_to_the_end(config)
    # Each chunk crosses to the worker as (chunk id, slot, indices, inputs) on a Queue;
    # given inputs travel as the tuple they were given in.
    expected = sum(
        len(ForkingPickler.dumps((0, 0, range(start, start + 10), inputs[start:start + 10])))
        for start in range(0, 200, 10)
    )  # fmt: skip
    assert summary.bytes_in == expected
    assert summary.per_worker[0].bytes_in == expected


@pytest.mark.timeout(60)
def test_process_workers_count_the_task_messages_that_brought_their_inputs():
    inputs = tuple(range(1000, 1400))
    config = RunConfig(workload="power", inputs=inputs, executor="process", chunksize=100)
    summary, _ = run_to_the_end(config)
    pickled_inputs = sum(len(pickle.dumps(list(inputs[i : i + 100]))) for i in range(0, 400, 100))
    envelope = summary.bytes_in - pickled_inputs  # the Pool's job ids, our function, indices
    assert 0 < envelope < 4 * 200, summary.bytes_in
    assert summary.bytes_in == sum(worker.bytes_in for worker in summary.per_worker)
    # The results (big numbers) are what travels back.
    results = [x**x for x in inputs]
    pickled_results = sum(len(pickle.dumps(results[i : i + 100])) for i in range(0, 400, 100))
    assert pickled_results < summary.bytes_out < pickled_results + 6 * 400
    assert summary.messages == sum(worker.messages for worker in summary.per_worker)


@pytest.mark.timeout(60)
def test_a_run_reports_each_workers_books_while_it_goes_on():
    run = Run(RunConfig(workload="primes", tasks=40, executor="process", workers=2))
    run.start()
    live = []
    while not run.finished:
        live.extend(e for e in run.poll(timeout=0.05) if isinstance(e, WorkerSummary))
    summary = run.wait(30)
    assert {worker.worker for worker in live} == {w.worker for w in summary.per_worker}
    for worker in live:  # so far: up to its last message, which nothing idle follows yet
        assert parts_of(worker) == pytest.approx(worker.lifetime_s, abs=LIFETIME_TOLERANCE_S)


@pytest.mark.timeout(60)
def test_run_json_gives_where_each_worker_spent_its_time(tmp_path):
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "app", "run", "--workload", "power", "--tasks", "200", "--json"],
        capture_output=True, text=True, timeout=50,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["bytes_in"] > 0 and data["bytes_out"] > 0 and data["messages"] >= 2
    for worker in data["per_worker"]:
        for key in ("cpu_s", "wait_s", "send_s", "idle_s", "startup_s", "bytes_in",
                    "bytes_out", "peak_rss_mb"):  # fmt: skip
            assert isinstance(worker[key], int | float), key


# -- where the time went, in numbers and words (app.stats.time_budget, no Qt) -------------------


def books(worker: str = "1", slot_pid: int = 1, **parts) -> WorkerSummary:
    """A worker's books with these parts (seconds) and bytes, everything else plain."""
    values = dict(startup_s=0.1, cpu_s=0.5, wait_s=0.3, send_s=0.05, idle_s=0.05)
    values.update(parts)
    life = sum(v or 0.0 for k, v in values.items() if k.endswith("_s") and k != "send_cpu_s")
    return WorkerSummary(worker, slot_pid, f"W-{worker}", 10, 0, 0.8, 10.0, 0.8, 0.1,
                         lifetime_s=life, **values)  # fmt: skip


def test_a_workers_time_budget_has_five_parts_in_order():
    from app.stats import PARTS, time_budget

    budget = time_budget(books(startup_s=0.2, cpu_s=0.4, wait_s=0.2, send_s=0.1, idle_s=0.1))
    assert PARTS == ("starting up", "computing", "waiting", "sending", "idle")
    assert budget.parts_s == pytest.approx((0.2, 0.4, 0.2, 0.1, 0.1))
    assert budget.shares == pytest.approx((0.2, 0.4, 0.2, 0.1, 0.1))
    assert sum(budget.parts_s) == pytest.approx(budget.lifetime_s)
    unmeasured = time_budget(books(startup_s=None))
    assert unmeasured.parts_s[0] == 0.0


def test_sending_without_the_cpu_counts_as_waiting():
    from app.stats import time_budget

    # A thread that spent 0.1 s in send(), 0.02 s of it with the CPU: 0.08 s waiting (the GIL).
    budget = time_budget(books(wait_s=0.2, send_s=0.1, send_cpu_s=0.02))
    assert budget.parts_s[2] == pytest.approx(0.28) and budget.parts_s[3] == pytest.approx(0.02)
    assert sum(budget.parts_s) == pytest.approx(budget.lifetime_s)


def test_the_runs_costs_add_up_every_worker():
    from app.stats import run_costs

    first = books("1", bytes_in=1000, bytes_out=20_000, messages=30)
    second = books("2", cpu_s=0.1, bytes_in=500, bytes_out=5_000, messages=12)
    costs = run_costs([first, second])
    assert costs.bytes_in == 1500 and costs.bytes_out == 25_000 and costs.messages == 42
    assert costs.parts_s[1] == pytest.approx(0.6)
    assert sum(costs.shares) == pytest.approx(1.0)


def test_the_costs_in_words_say_bytes_messages_and_the_share_spent_sending():
    from app.stats import costs_sentence, format_bytes, format_share

    workers = [
        books("1", startup_s=0.0, cpu_s=0.82, wait_s=0.0, send_s=0.18, idle_s=0.0,
              bytes_in=1_200_000, bytes_out=12_400_000, messages=3210),
    ]  # fmt: skip
    assert costs_sentence(workers) == (
        "Sent 12.4 MB in 3,210 messages and received 1.2 MB of tasks; sending took 18\u00a0% "
        "of the workers' time."
    )
    assert costs_sentence([]) == "No worker has reported yet."
    assert [format_bytes(n) for n in (1, 999, 1000, 123_456, 5_000_000_000)] == [
        "1 byte", "999 bytes", "1.0 kB", "123 kB", "5.0 GB"
    ]  # fmt: skip
    shares = [format_share(s) for s in (0.18, 0.018, 0.0004, 0.0, 1e-7)]
    assert shares == ["18\u00a0%", "1.8\u00a0%", "0.04\u00a0%", "0\u00a0%", "< 0.01\u00a0%"]


def test_run_json_shows_bytes_that_were_not_counted_as_null_not_zero():
    from app.engine.records import RunSummary

    def summary(*workers) -> RunSummary:
        return RunSummary("power", "dask", len(workers), "", 0, 20, 20, 0, 0, 0, 2, 1.0, 0.1,
                          20.0, per_worker=workers,
                          bytes_in=sum(w.bytes_in for w in workers))  # fmt: skip

    uncounted = summary(books("a", bytes_in=0), books("b", bytes_in=0)).to_report_dict()
    assert uncounted["bytes_in"] is None
    assert [w["bytes_in"] for w in uncounted["per_worker"]] == [None, None]
    counted = summary(books("a", bytes_in=500), books("b", bytes_in=700)).to_report_dict()
    assert counted["bytes_in"] == 1200
    assert [w["bytes_in"] for w in counted["per_worker"]] == [500, 700]
    # The lossless form, which recordings keep, still holds the 0 it measured.
    assert summary(books("a", bytes_in=0)).to_dict()["bytes_in"] == 0


def test_the_words_never_show_a_figure_that_was_not_measured_as_zero():
    from app.stats import costs_sentence, shares_sentence

    # Workers that count neither their start-up nor the bytes they read (Dask's).
    workers = [books("1", startup_s=None, bytes_in=0, bytes_out=2000, messages=4)]
    assert "received tasks (their size is not measured for this executor)" in costs_sentence(
        workers
    )
    assert shares_sentence(workers).startswith("Starting up not measured, computing ")
    measured = [books("1", startup_s=0.1, bytes_in=10, bytes_out=2000, messages=4)]
    assert "received 10 bytes of tasks" in costs_sentence(measured)
    assert shares_sentence(measured).startswith("Starting up 10\u00a0%, computing ")


def test_run_stats_keeps_each_workers_latest_books_and_the_summarys_at_the_end():
    from app.engine.records import RunFinished, RunSummary
    from app.stats import RunStats

    stats = RunStats(10)
    early, later = books("1", cpu_s=0.1), books("1", cpu_s=0.4)
    stats.add(early)
    first = stats.snapshot(0.5)
    assert first.costs == {"1": early}
    assert stats.snapshot(0.6).costs is first.costs  # unchanged books: the same mapping
    stats.add(later)
    assert stats.snapshot(0.7).costs["1"] is later
    final = books("1", cpu_s=0.5)
    summary = RunSummary("primes", "process", 1, "spawn", 0, 10, 10, 0, 0, 0, 1, 1.0, 0.1, 10.0,
                         per_worker=(final,))  # fmt: skip
    stats.add(RunFinished(summary))
    assert stats.snapshot(1.0).costs["1"] is final


# -- the window: the timeline's start-up, and the "Where the time went" tab --------------------


def test_the_timeline_draws_each_workers_start_up_before_its_lane(qtbot):
    from app.engine.records import WorkerStarted
    from app.gui.charts import TimelineChart
    from app.stats import RunStats

    chart = TimelineChart()
    qtbot.addWidget(chart)
    stats = RunStats(4)
    stats.add(WorkerStarted("1", 1, "SpawnPoolWorker-1", 0.30, asked=0.01, began=0.2))
    stats.add(WorkerStarted("2", 2, "SpawnPoolWorker-2", 0.35, asked=0.02, began=0.25))
    stats.add(WorkerStarted("3:9", 3, "Thread-1", 0.10))  # not measured: no start-up drawn
    chart.draw(stats.snapshot(1.0))
    opts = chart.startups.opts
    assert list(opts["x0"]) == pytest.approx([0.01, 0.02, 0.10])
    assert list(opts["width"]) == pytest.approx([0.29, 0.33, 0.0])
    assert list(chart.lanes.opts["x0"]) == pytest.approx([0.30, 0.35, 0.10])
    assert "starting up" in chart.caption.toolTip() + chart._caption_text


@pytest.mark.timeout(60)
def test_the_where_the_time_went_tab_draws_each_workers_parts_and_the_totals(qtbot, settings_path):
    from app.gui.window import MainWindow
    from app.stats import PARTS, time_budget

    win = MainWindow(settings_path=settings_path)
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    panel = win.panel("where-time-went")
    win.tabs.setCurrentWidget(panel)
    with qtbot.waitSignal(win.run_finished, timeout=40_000) as finished:
        win.start_config(RunConfig(workload="primes", tasks=12, workers=2, executor="thread"))
    summary = finished.args[0]
    qtbot.waitUntil(lambda: panel.chart._shown is not None and "messages" in panel.totals.text())
    qtbot.waitUntil(lambda: len(panel.chart.parts["computing"].opts["width"]) == 2)
    for row, worker in enumerate(summary.per_worker):
        budget = time_budget(worker)
        left = 0.0
        for part, seconds in zip(PARTS, budget.parts_s, strict=True):
            opts = panel.chart.parts[part].opts
            assert opts["x0"][row] == pytest.approx(left) and opts["width"][row] == seconds
            left += seconds
    assert f"in {summary.messages:,} messages" in panel.totals.text()
    assert "waiting" in panel.totals.text()
    win.close()


@pytest.mark.timeout(90)
def test_a_killed_workers_books_end_with_its_last_message_and_still_add_up():
    from app.engine.records import PoolRestarted, WorkerDied

    run = Run(RunConfig(workload="primes", tasks=60, workers=2, chunksize=1))
    run.start()
    events: list = []
    killed = None
    while not run.finished:
        events.extend(run.poll(timeout=0.05))
        if killed is None and run.progress.done >= 6:
            killed = run.kill_worker()
        assert run.elapsed < 80
    summary = run.summary
    assert summary.completed == 60 and killed is not None
    (death,) = [e for e in events if isinstance(e, WorkerDied)]
    (restart,) = [e for e in events if isinstance(e, PoolRestarted)]
    by_pid = {worker.pid: worker for worker in summary.per_worker}
    dead = by_pid[killed]
    # What it did after its last message never arrived: none of it is called idle.
    assert dead.asked_s + dead.lifetime_s <= death.at
    first_pool = [w for w in summary.per_worker if w.asked_s < restart.at]
    second_pool = [w for w in summary.per_worker if w.asked_s > restart.at]
    assert len(first_pool) == 2 and len(second_pool) == 2
    for worker in first_pool:
        assert worker.asked_s + worker.lifetime_s <= restart.at
    for worker in second_pool:
        assert worker.asked_s + worker.lifetime_s == pytest.approx(summary.wall_s, abs=1e-6)
    for worker in summary.per_worker:
        assert parts_of(worker) == pytest.approx(worker.lifetime_s, abs=LIFETIME_TOLERANCE_S)


def test_the_ledger_marks_the_first_block_of_each_chunk():
    from app.engine.ledger import Ledger

    context = WorkerContext(func=abs, channel=_Channel())
    execute_chunk(context, 0, range(0, 3), [1, 2, 3])  # tiny: one block
    execute_chunk(context, 1, range(3, 6), [4, 5, 6])
    ledger = Ledger(6)
    events: list = []
    for piece in context.channel:
        ledger.take(piece, events)
    segments = [e for e in events if isinstance(e, Segment)]
    assert [s.chunk_start for s in segments] == [True, True]

    def spin(n: int) -> int:  # coarse: a block per task, the chunk's first one marked
        return sum(range(1_000_000 * n))

    context = WorkerContext(func=spin, channel=_Channel())
    execute_chunk(context, 0, range(0, 3), [2, 2, 2])
    ledger = Ledger(3)
    events = []
    for piece in context.channel:
        ledger.take(piece, events)
    assert [e.chunk_start for e in events if isinstance(e, Segment)] == [True, False, False]


def test_the_timeline_marks_chunk_boundaries_when_asked(qtbot):
    from app.gui.charts import TimelineChart
    from app.stats import RunStats

    chart = TimelineChart()
    qtbot.addWidget(chart)
    stats = RunStats(4)
    for index, (start, first) in enumerate([(0.0, True), (0.1, False), (0.2, True), (0.3, False)]):
        stats.add(Segment("1", 1, "W-1", index, 1, 0, start, start + 0.1, chunk_start=first))
    chart.draw(stats.snapshot(0.5))
    assert len(chart.chunk_marks.opts["x0"]) == 0  # off at first
    chart.set_chunk_marks(True)
    chart.draw(stats.snapshot(0.6))
    assert list(chart.chunk_marks.opts["x0"]) == pytest.approx([0.0, 0.2])


@pytest.mark.timeout(60)
def test_a_stopped_runs_books_end_with_each_workers_last_message():
    run = Run(RunConfig(workload="sleep", tasks=40, executor="thread", workers=2))
    run.start()
    while run.progress.done < 4:
        run.poll(timeout=0.05)
        assert run.elapsed < 30
    run.stop()
    summary = run.wait(30)
    assert summary.stopped
    for worker in summary.per_worker:  # killed mid-sleep: that last stretch is not idle
        assert worker.asked_s + worker.lifetime_s < summary.wall_s
        assert parts_of(worker) == pytest.approx(worker.lifetime_s, abs=LIFETIME_TOLERANCE_S)


@pytest.mark.timeout(60)
def test_the_time_budget_of_two_threads_on_primes_is_mostly_waiting_for_the_gil():
    from app.stats import PARTS, run_costs

    summary, _ = run_to_the_end(
        RunConfig(workload="primes", tasks=PRIMES_TASKS, executor="thread", workers=2)
    )
    shares = dict(zip(PARTS, run_costs(summary.per_worker).shares, strict=True))
    # One GIL for two threads: together they compute at most about half of their lives.
    assert shares["waiting"] > 0.25 and shares["computing"] < 0.6, shares
    assert shares["sending"] < 0.05  # a primes result is one small number
