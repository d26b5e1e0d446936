"""`run --record FILE` and `replay FILE`: what a recorded run prints, and bad files."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from app import cli
from app.engine import Run, RunConfig
from app.engine.recording import Recorder, load, save
from tests import sample_tasks


def run_cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.timeout(120)
def test_replay_json_prints_what_run_json_printed(tmp_path):
    path = tmp_path / "primes.mpprun"
    live = run_cli("run", "--workload", "primes", "--tasks", "12", "--workers", "2", "--json",
                   "--record", str(path))  # fmt: skip
    assert live.returncode == 0, live.stderr
    assert f"recorded to {path}" in live.stderr
    replayed = run_cli("replay", str(path), "--json")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == live.stdout  # same object, same per-worker totals, same python
    data = json.loads(replayed.stdout)
    assert data["completed"] == 12 and len(data["per_worker"]) == 2
    assert "replayed from primes.mpprun, recorded on " in replayed.stderr


@pytest.mark.timeout(90)
def test_replay_prints_the_summary_run_printed(tmp_path, capsys):
    path = tmp_path / "serial.mpprun"
    code = cli.main(["run", "--workload", "power", "--tasks", "300", "--executor", "serial",
                     "--record", str(path)])  # fmt: skip
    live = capsys.readouterr().out
    assert code == 0 and "SerialWorker" in live
    assert cli.main(["replay", str(path)]) == 0
    assert capsys.readouterr().out == live


@pytest.mark.timeout(90)
def test_a_run_with_failed_tasks_replays_with_exit_code_1(tmp_path, capsys):
    config = RunConfig(workload="power", inputs=tuple(range(1, 10)), workers=1)
    recorder = Recorder(Run(config, func=sample_tasks.fail_on_threes))
    recorder.start()
    recorder.wait(60)
    path = tmp_path / "failing.mpprun"
    save(recorder.recording(), path)
    assert cli.main(["replay", str(path)]) == cli.EXIT_FAILED
    assert "completed 6   failed 3" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, says",
    [
        (b"", "is empty"),
        (b"PK\x03\x04 a zip file", "not a gzip file"),
        (gzip.compress(b'{"format": "mpplayground-run", "version": 99}'), "newer version"),
        (gzip.compress(b'{"traceEvents": []}'), "not a recorded run of this app"),
        (gzip.compress(b'{"format": "mpplayground-run", "vers'), "not valid JSON"),
    ],
    ids=["empty", "zip", "newer", "chrome trace", "cut JSON"],
)
def test_a_bad_file_is_one_line_and_exit_code_2(tmp_path, capsys, content, says):
    path = tmp_path / "bad.mpprun"
    path.write_bytes(content)
    assert cli.main(["replay", str(path), "--json"]) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "bad.mpprun" in lines[0]


def test_a_truncated_recording_is_one_line_and_exit_code_2_from_a_shell(tmp_path):
    path = tmp_path / "cut.mpprun"
    code = cli.main(["run", "--workload", "power", "--tasks", "50", "--executor", "serial",
                     "--record", str(path)])  # fmt: skip
    assert code == 0
    path.write_bytes(path.read_bytes()[:-20])
    done = run_cli("replay", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "cut short" in done.stderr


def test_record_to_a_folder_that_does_not_exist_is_refused_before_the_run(tmp_path, capsys):
    where = tmp_path / "no such folder" / "run.mpprun"
    code = cli.main(["run", "--workload", "primes", "--record", str(where)])
    assert code == cli.EXIT_USAGE
    assert "cannot write in" in capsys.readouterr().err


def test_replay_needs_a_file(capsys):
    assert cli.main(["replay"]) == cli.EXIT_USAGE
    assert cli.main(["replay", "/no/such/file.mpprun"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "no such file" in err


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group")
def test_a_run_stopped_with_ctrl_c_is_still_recorded(tmp_path):
    path = tmp_path / "stopped.mpprun"
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "run", "--workload", "sleep", "--tasks", "400",
         "--record", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    parent = psutil.Process(process.pid)
    deadline = time.perf_counter() + 30
    while len(parent.children(recursive=True)) < 2:
        assert time.perf_counter() < deadline, "workers never started"
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    recording = load(path)
    summary = recording.summary
    assert summary.stopped and summary.completed + summary.cancelled == 400
