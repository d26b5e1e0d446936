"""`run --trace FILE` and `run --csv FILE`: the files a command-line run leaves, and the one
line a bad path gets before anything runs."""

from __future__ import annotations

import json
import signal
import sys

import pytest

from app.stats.tables import read_tasks_csv
from tests.test_cli import _stop_mid_run, run_cli
from tests.trace_format import trace_problems, tracks_with_work


@pytest.mark.timeout(90)
def test_run_saves_a_trace_and_a_csv_and_prints_the_same_json(tmp_path):
    trace_path, csv_path = tmp_path / "run.json", tmp_path / "tasks.csv"
    done = run_cli("run", "--workload", "primes", "--tasks", "10", "--workers", "2", "--json",
                   "--trace", str(trace_path), "--csv", str(csv_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # stdout is still exactly one JSON object
    assert summary["completed"] == 10
    trace = json.loads(trace_path.read_text())
    assert trace_problems(trace, summary["wall_s"] * 1e6) == []
    pids = {w["pid"] for w in summary["per_worker"] if w["tasks"]}
    assert tracks_with_work(trace) == {(pid, pid) for pid in pids}
    assert trace["otherData"]["completed"] == 10
    blocks = read_tasks_csv(csv_path)
    assert sorted(b.first_index for b in blocks) == list(range(10))
    assert {b.pid for b in blocks} == pids
    for worker in summary["per_worker"]:
        mine = [b for b in blocks if b.pid == worker["pid"]]
        assert sum(b.count for b in mine) == worker["tasks"]
    assert f"to {trace_path}: open it at https://ui.perfetto.dev" in done.stderr
    assert "wrote 10 rows" in done.stderr


@pytest.mark.timeout(90)
def test_a_thread_run_from_the_command_line_traces_its_threads(tmp_path):
    trace_path = tmp_path / "threads.json"
    done = run_cli("run", "--workload", "sleep", "--tasks", "6", "--workers", "3",
                   "--executor", "threads", "--trace", str(trace_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sleep: 6 tasks on 3 threads")  # the summary as before
    trace = json.loads(trace_path.read_text())
    assert trace_problems(trace) == []
    tracks = tracks_with_work(trace)
    assert len({pid for pid, _ in tracks}) == 1 and 1 <= len(tracks) <= 3


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "option, path, complaint",
    [
        ("--trace", "{tmp}/no/such/folder/run.json", "there is no folder"),
        ("--csv", "{tmp}", "is a folder"),
        ("--csv", "", "an empty file name"),
    ],
)
def test_a_bad_path_is_one_line_and_exit_2_before_anything_runs(tmp_path, option, path, complaint):
    # More workers than CPUs would add a note: a bad path must come first, and alone.
    done = run_cli("run", "--workload", "primes", "--tasks", "4", "--workers", "64", option,
                   path.format(tmp=tmp_path))  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""  # no run, no summary
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and complaint in lines[0] and option in lines[0], done.stderr


@pytest.mark.timeout(60)
def test_trace_and_csv_cannot_be_the_same_file(tmp_path):
    same = str(tmp_path / "x")
    done = run_cli("run", "--workload", "primes", "--tasks", "4", "--trace", same, "--csv", same)
    assert done.returncode == 2 and "the same file" in done.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
def test_ctrl_c_still_saves_what_got_done(tmp_path):
    trace_path, csv_path = tmp_path / "stopped.json", tmp_path / "stopped.csv"
    process, out, err = _stop_mid_run(signal.SIGINT, "--json", "--trace", str(trace_path),
                                      "--csv", str(csv_path))  # fmt: skip
    assert process.returncode == 130, err
    summary = json.loads(out)
    assert summary["stopped"] is True
    trace = json.loads(trace_path.read_text())
    assert trace_problems(trace, summary["wall_s"] * 1e6) == []
    assert trace["otherData"]["stopped"] is True
    blocks = read_tasks_csv(csv_path)
    # Records that arrived while the stop closed the books may be missing, never extra.
    assert 0 < sum(b.count for b in blocks) <= summary["completed"] + summary["failed"]
