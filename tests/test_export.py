"""Export without a window: the Chrome trace of real runs checked against the Trace Event
Format, and the tasks and history tables written as CSV and JSON and read back unchanged."""

from __future__ import annotations

import json

import pytest

from app.engine import Run, RunConfig
from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    TaskFailed,
    WorkerDied,
    WorkerStarted,
    WorkerStuck,
    WorkerSummary,
)
from app.stats import tables
from app.stats.comparison import Comparisons
from app.stats.run_log import RunAbout, RunLog
from app.stats.trace import chrome_trace, write_trace
from tests import sample_tasks
from tests.trace_format import names, trace_problems, tracks_with_work


def record(config: RunConfig, func=None, timeout: float = 60) -> RunLog:
    """Run to the end, keeping every record the way the window and the CLI do."""
    run = Run(config, func=func)
    log = RunLog(RunAbout.of_config(config))
    run.start()
    run_records = []
    while not run.finished:
        run_records += run.poll(timeout=0.05, budget_s=0.1)
        assert run.elapsed < timeout, "the run did not finish"
    log.add_all(run_records)
    return log


def run_end_us(log: RunLog) -> float:
    return log.summary.wall_s * 1e6


def complete_events(trace: dict) -> list[dict]:
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


# ------------------------------------------------------------------ the trace, real runs


@pytest.mark.timeout(90)
def test_a_process_run_traces_one_named_process_track_per_worker_and_an_event_per_task():
    log = record(RunConfig(workload="primes", tasks=12, workers=2, executor="process"))
    trace = chrome_trace(log)
    assert trace_problems(trace, run_end_us(log)) == []
    summary = log.summary
    workers = {w.pid: w for w in summary.per_worker if w.tasks}
    assert tracks_with_work(trace) == {(pid, pid) for pid in workers}
    process_names = names(trace, "process_name")
    for pid, worker in workers.items():
        assert process_names[pid] == f"{worker.name} (pid {pid})"
        assert worker.name.startswith("SpawnPoolWorker-")
    tasks = complete_events(trace)
    # primes tasks take milliseconds: each is timed and reported on its own.
    assert sorted(e["args"]["first_index"] for e in tasks) == list(range(12))
    for event in tasks:
        assert event["name"] == f"task {event['args']['first_index']}"
        assert event["args"]["count"] == 1 and event["args"]["failed"] == 0
        assert 0 < event["args"]["cpu_s"] <= event["dur"] / 1e6 + 1e-3
    # Every task's busy time adds up to what the summary says each worker was busy.
    for pid, worker in workers.items():
        busy_us = sum(e["dur"] for e in tasks if e["pid"] == pid)
        assert busy_us == pytest.approx(worker.busy_s * 1e6, rel=1e-6, abs=1)
    ready = [e for e in trace["traceEvents"] if e["name"] == "ready"]
    assert {e["pid"] for e in ready} >= set(workers)


@pytest.mark.timeout(90)
def test_a_thread_run_traces_a_thread_track_per_thread_in_one_process():
    log = record(RunConfig(workload="primes", tasks=8, workers=2, executor="thread"))
    trace = chrome_trace(log)
    assert trace_problems(trace, run_end_us(log)) == []
    worker_keys = {w.worker for w in log.summary.per_worker if w.tasks}
    tracks = tracks_with_work(trace)
    assert len({pid for pid, _ in tracks}) == 1  # threads share their process's pid
    assert len(tracks) == len(worker_keys)
    assert {f"{pid}:{tid}" for pid, tid in tracks} == worker_keys
    (pid,) = {pid for pid, _ in tracks}
    assert names(trace, "process_name")[pid] == f"2 threads (pid {pid})"
    thread_names = names(trace, "thread_name")
    for track in tracks:
        assert thread_names[track].startswith("Thread-")
    assert sum(e["args"]["count"] for e in complete_events(trace)) == 8
    assert log.about.start_method == ""  # threads have no start method


@pytest.mark.timeout(90)
def test_tiny_tasks_are_traced_as_blocks_that_add_up_to_every_task():
    log = record(RunConfig(workload="power", tasks=200_000, workers=2, executor="process"))
    trace = chrome_trace(log)
    assert trace_problems(trace, run_end_us(log)) == []
    blocks = complete_events(trace)
    assert sum(e["args"]["count"] for e in blocks) == 200_000
    # How many blocks depends on the machine's load (a chunk whose first task took over 2 ms
    # is reported task by task), so only the names are checked here.
    for event in blocks:
        first, count = event["args"]["first_index"], event["args"]["count"]
        if count == 1:
            assert (event["name"], event["cat"]) == (f"task {first}", "task")
        else:
            assert (event["name"], event["cat"]) == (f"{count:,} tasks from #{first}", "block")


@pytest.mark.timeout(90)
def test_failed_tasks_are_marked_in_the_trace_and_kept_with_their_tracebacks():
    config = RunConfig(workload="power", inputs=tuple(range(1, 31)), workers=2)
    log = record(config, func=sample_tasks.fail_on_threes)
    trace = chrome_trace(log)
    assert trace_problems(trace, run_end_us(log)) == []
    failed = [e for e in complete_events(trace) if e["args"]["failed"]]
    assert failed and all(e["cat"] == "failed" for e in failed)
    assert sum(e["args"]["failed"] for e in failed) == log.summary.failed == 10
    assert sorted(f.index for f in log.failures) == [i for i in range(30) if (i + 1) % 3 == 0]


@pytest.mark.timeout(120)
def test_a_dying_worker_is_an_instant_event_on_its_track():
    config = RunConfig(workload="power", inputs=tuple(range(20)), workers=2)
    log = record(config, func=sample_tasks.exit_on_seven, timeout=90)
    assert log.deaths, "exit_on_seven kills the worker that runs task 7"
    trace = chrome_trace(log)
    assert trace_problems(trace, run_end_us(log)) == []
    deaths = [e for e in trace["traceEvents"] if e.get("cat") == "death"]
    assert len(deaths) == len(log.deaths)
    process_names = names(trace, "process_name")
    for event, died in zip(deaths, log.deaths, strict=True):
        assert event["ph"] == "i" and event["pid"] == died.pid
        assert event["name"] == "died: exit code 3"
        assert event["args"]["exitcode"] == 3
        assert process_names[died.pid] == f"{died.name} (pid {died.pid})"
    restarts = [e for e in trace["traceEvents"] if e["name"] == "pool restarted"]
    assert len(restarts) == len(log.restarts)


# ------------------------------------------------------------------ the trace, made-up runs


def made_up_log() -> RunLog:
    """Two processes, one of which died after being stuck, and a thread host: no processes."""
    log = RunLog(RunAbout("primes", "process", 2, 1, "spawn", 4))
    log.add_all(
        [
            WorkerStarted("101", 101, "SpawnPoolWorker-1", 0.10),
            WorkerStarted("102", 102, "SpawnPoolWorker-2", 0.12),
            Segment("101", 101, "SpawnPoolWorker-1", 0, 1, 0, 0.11, 0.21, 0.09),
            Segment("102", 102, "SpawnPoolWorker-2", 1, 1, 1, 0.13, 0.20, None),
            Segment("101", 101, "SpawnPoolWorker-1", 2, 1, 0, 0.21, 0.31, 0.1),
            TaskFailed(1, "102", 102, "SpawnPoolWorker-2", "ValueError", "no", "Traceback..."),
            WorkerStuck("102", 102, "SpawnPoolWorker-2", 12.0, "pid 102 is stopped", 0.25),
            WorkerDied("102", 102, "SpawnPoolWorker-2", -9, 0.26, (3,)),
            PoolRestarted(0.27, 1, 0),
            WorkerStarted("103", 103, "SpawnPoolWorker-3", 0.30),
            Segment("103", 103, "SpawnPoolWorker-3", 3, 1, 0, 0.31, 0.40, 0.08),
            RunFinished(
                RunSummary(
                    "primes", "process", 2, "spawn", 1, 4, 3, 1, 0, 1, 5, 0.41, 0.1, 9.7,
                    per_worker=(WorkerSummary("101", 101, "SpawnPoolWorker-1", 2, 0, 0.2, 4.8, 0.5),),  # noqa: E501
                    deaths=((102, -9),),
                )
            ),
        ]
    )  # fmt: skip
    return log


def test_a_made_up_run_with_a_death_traces_cleanly():
    log = made_up_log()
    trace = chrome_trace(log)
    assert trace_problems(trace, 0.41e6) == []
    death = next(e for e in trace["traceEvents"] if e.get("cat") == "death")
    assert (death["name"], death["pid"], death["tid"], death["s"]) == (
        "died: killed by SIGKILL",
        102,
        102,
        "t",
    )
    assert death["ts"] == pytest.approx(260_000)
    stuck = next(e for e in trace["traceEvents"] if e["name"] == "stuck")
    assert stuck["args"]["reason"] == "pid 102 is stopped"
    failed = next(e for e in complete_events(trace) if e["args"]["failed"])
    assert failed["args"]["cpu_s"] is None and failed["cname"] == "terrible"
    assert (failed["ts"], failed["dur"]) == (pytest.approx(130_000), pytest.approx(70_000))
    assert names(trace, "process_name") == {
        101: "SpawnPoolWorker-1 (pid 101)",
        102: "SpawnPoolWorker-2 (pid 102)",
        103: "SpawnPoolWorker-3 (pid 103)",
    }
    # Sorted as the workers appeared, like the window's lanes.
    order = {e["pid"]: e["args"]["sort_index"] for e in trace["traceEvents"]
             if e["name"] == "process_sort_index"}  # fmt: skip
    assert order == {101: 0, 102: 1, 103: 2}


def test_a_thread_hosts_death_marks_its_whole_process():
    log = RunLog()
    log.add_all(
        [
            WorkerStarted("50:51", 50, "Thread-1 (worker)", 0.1),
            WorkerStarted("50:52", 50, "Thread-2 (worker)", 0.1),
            Segment("50:51", 50, "Thread-1 (worker)", 0, 1, 0, 0.1, 0.2, 0.05),
            WorkerDied("50", 50, "SpawnProcess-1", -9, 0.3, (1, 2)),
        ]
    )
    trace = chrome_trace(log)
    assert trace_problems(trace, 0.3e6) == []
    death = next(e for e in trace["traceEvents"] if e.get("cat") == "death")
    assert (death["pid"], death["s"]) == (50, "p")
    assert death["args"]["running"] == [1, 2]
    assert names(trace, "process_name")[50] == "SpawnProcess-1 (pid 50)"


def test_the_log_keeps_a_bounded_number_of_blocks_and_the_trace_says_how_many_are_left_out():
    log = RunLog(max_blocks=10)
    for i in range(25):
        log.add(Segment("7", 7, "SpawnPoolWorker-1", i, 1, 0, i * 0.01, i * 0.01 + 0.005, None))
    assert len(log.blocks) == 10 and log.blocks_not_kept == 15
    assert log.workers["7"].at == 0.0  # met in its first block: no hello came
    trace = chrome_trace(log)
    assert trace["otherData"]["blocks_not_kept"] == 15
    assert len(complete_events(trace)) == 10
    assert trace_problems(trace) == []


@pytest.mark.parametrize(
    "breakage, complaint",
    [
        (lambda t: t["traceEvents"][-1].__setitem__("dur", -1), "dur >= 0"),
        (lambda t: t["traceEvents"][-1].__setitem__("ts", "0"), "ts must be a number"),
        (lambda t: t["traceEvents"][-1].__setitem__("pid", "101"), "pid must be an integer"),
        (lambda t: t["traceEvents"][-1].__setitem__("ts", 10e6), "after the run"),
        (lambda t: t["traceEvents"][-1].__setitem__("ts", 0.12e6), "overlaps"),
        (lambda t: t["traceEvents"].pop(0), "no process_name"),
        (
            lambda t: t["traceEvents"].append(
                {"ph": "X", "name": "x", "pid": 1, "tid": 1, "ts": 0, "dur": 1}
            ),
            "no thread_name",
        ),  # fmt: skip
        (lambda t: t["traceEvents"][-1].__setitem__("name", ""), "non-empty string"),
        (lambda t: t.__setitem__("traceEvents", {}), "traceEvents list"),
    ],
)
def test_the_trace_checker_finds_what_a_viewer_would_refuse(breakage, complaint):
    log = RunLog()
    log.add_all(
        [
            WorkerStarted("101", 101, "SpawnPoolWorker-1", 0.0),
            Segment("101", 101, "SpawnPoolWorker-1", 0, 1, 0, 0.1, 0.2, None),
            Segment("101", 101, "SpawnPoolWorker-1", 1, 1, 0, 0.2, 0.3, None),
        ]
    )
    trace = chrome_trace(log)
    assert trace_problems(trace, 0.3e6) == []
    breakage(trace)
    problems = trace_problems(trace, 0.3e6)
    assert any(complaint in problem for problem in problems), problems


def test_write_trace_writes_json_that_loads(tmp_path):
    path = tmp_path / "run.json"
    count = write_trace(made_up_log(), path)
    trace = json.loads(path.read_text())
    assert len(trace["traceEvents"]) == count
    assert trace == chrome_trace(made_up_log())


# ------------------------------------------------------------------ tables


def test_tasks_csv_reads_back_the_same_blocks(tmp_path):
    log = made_up_log()
    path = tmp_path / "tasks.csv"
    assert tables.write_tasks_csv(log, path) == 4
    assert path.read_text().splitlines()[0] == (
        "worker,pid,name,first_index,count,failed,start_s,end_s,cpu_s,chunk_start"
    )
    assert tables.read_tasks_csv(path) == log.blocks


def test_tasks_json_reads_back_the_whole_log(tmp_path):
    log = made_up_log()
    path = tmp_path / "tasks.json"
    tables.write_tasks_json(log, path)
    again = tables.read_tasks_json(path)
    assert again == log
    assert again.summary.per_worker == log.summary.per_worker
    assert again.deaths[0].running == (3,)


@pytest.mark.timeout(90)
def test_a_real_runs_tasks_round_trip_through_csv_and_json(tmp_path):
    config = RunConfig(workload="power", inputs=tuple(range(1, 31)), workers=2)
    log = record(config, func=sample_tasks.fail_on_threes)
    tables.write_tasks_csv(log, tmp_path / "t.csv")
    tables.write_tasks_json(log, tmp_path / "t.json")
    blocks = tables.read_tasks_csv(tmp_path / "t.csv")
    assert blocks == log.blocks
    assert sum(b.count for b in blocks) == 30 and sum(b.failed for b in blocks) == 10
    again = tables.read_tasks_json(tmp_path / "t.json")
    assert again == log
    assert "multiple of three" in again.failures[0].message


def history() -> Comparisons:
    runs = Comparisons()
    base = dict(workload="primes", start_method="spawn", chunksize=0, tasks=48, completed=48,
                failed=0, cancelled=0, retried=0, chunks=48, startup_s=0.2)  # fmt: skip
    runs.add(RunSummary(executor="process", workers=1, wall_s=2.0, throughput=24.0, **base))
    runs.add(RunSummary(executor="process", workers=2, wall_s=1.1, throughput=43.6, **base))
    runs.add(RunSummary(executor="serial", workers=1, wall_s=1.9, throughput=25.3, **base))
    stopped = {**base, "completed": 10, "cancelled": 38}
    runs.add(RunSummary(executor="thread", workers=2, wall_s=0.5, throughput=20.0,
                        stopped=True, **stopped))  # fmt: skip
    return runs


def test_history_rows_have_the_figures_the_table_shows():
    rows = tables.history_rows(history())
    assert [r["executor"] for r in rows] == ["process", "process", "serial", "thread"]
    assert rows[0]["speedup"] == 1.0 and rows[0]["speedup_text"] == "1.00× (the baseline)"
    assert rows[1]["speedup"] == pytest.approx(2.0 / 1.1)
    assert rows[1]["speedup_text"].startswith("1.82×")
    assert rows[3]["speedup"] is None and rows[3]["stopped"] is True
    assert rows[3]["speedup_text"] == "stopped, not compared"


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_history_round_trips(tmp_path, kind):
    rows = tables.history_rows(history())
    path = tmp_path / f"history.{kind}"
    write = getattr(tables, f"write_history_{kind}")
    read = getattr(tables, f"read_history_{kind}")
    assert write(rows, path) == 4
    assert read(path) == rows


@pytest.mark.parametrize(
    "reader, text, complaint",
    [
        (tables.read_tasks_csv, "a,b\n1,2\n", "not a tasks CSV"),
        (tables.read_history_csv, "", "not a history CSV"),
        (
            tables.read_tasks_csv,
            "worker,pid,name,first_index,count,failed,start_s,end_s,cpu_s,chunk_start\n1,x,n,0,1,0,0,1,,\n",
            "line 2: pid should be int",
        ),  # fmt: skip
        (tables.read_tasks_json, "{", "not JSON"),
        (tables.read_tasks_json, '{"made_by": "someone else"}', "not a tasks file"),
        (
            tables.read_history_json,
            '{"made_by": "Multiprocessing Playground", "kind": "tasks", "version": 1}',
            "not a history file",
        ),  # fmt: skip
        (
            tables.read_tasks_json,
            '{"made_by": "Multiprocessing Playground", "kind": "tasks", "version": 1, "run": null}',
            "missing or wrong field",
        ),  # fmt: skip
    ],
)
def test_a_file_that_is_not_an_export_is_refused_in_one_line(tmp_path, reader, text, complaint):
    path = tmp_path / "file"
    path.write_text(text)
    with pytest.raises(tables.TableError, match=complaint) as raised:
        reader(path)
    assert "\n" not in str(raised.value)
