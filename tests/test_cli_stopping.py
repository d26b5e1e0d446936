"""How the command line ends when it is told to: SIGTERM, Ctrl+C while workers start, and a
reader that closes the pipe early. Each ends quietly, stops the run, and leaves no process.

Every test starts the CLI in its own process group (as a shell starts a job), so that what
it started can be found, and cleaned up, by that group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

PRIMES_RUN = ("run", "--workload", "primes", "--tasks", "400", "--workers", "2")


@pytest.fixture
def start_cli() -> Iterator:
    """Start `python -m app ...` in a new process group; kill whatever is left afterwards."""
    started: list[subprocess.Popen] = []

    def start(*args: str, **popen_args) -> subprocess.Popen:
        popen_args.setdefault("stdout", subprocess.PIPE)
        popen_args.setdefault("stderr", subprocess.PIPE)
        process = subprocess.Popen(
            [sys.executable, "-m", "app", *args],
            text=True,
            start_new_session=True,  # its own process group, like a shell's job
            **popen_args,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        for member in group_members(process.pid):
            member.kill()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def group_members(pgid: int) -> list[psutil.Process]:
    """The live processes of a process group: the CLI, its workers and helpers."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def workers_of(pid: int) -> list[psutil.Process]:
    """The CLI's worker processes (multiprocessing's resource tracker is not a worker)."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    workers = []
    for child in children:
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.Error:
            continue
    return workers


def wait_for(condition, timeout: float, what: str):
    """Poll `condition` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.02)


def assert_group_empties(pgid: int, timeout: float = 5) -> None:
    wait_for(lambda: not group_members(pgid), timeout, "nothing left of the command's group")


@pytest.mark.timeout(60)
def test_sigterm_stops_the_run_exits_143_and_leaves_no_child(start_cli):
    process = start_cli(*PRIMES_RUN)
    workers = wait_for(lambda: len(workers_of(process.pid)) >= 2 and workers_of(process.pid),
                       30, "two workers started")  # fmt: skip
    process.send_signal(signal.SIGTERM)  # what `kill PID`, systemd or a CI timeout sends
    _, err = process.communicate(timeout=10)
    assert process.returncode == 143, err
    assert "Traceback" not in err, err
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert alive == [], f"workers left behind: {alive}"
    assert_group_empties(process.pid)


@pytest.mark.timeout(60)
def test_ctrl_c_while_workers_start_prints_no_worker_traceback(start_cli):
    process = start_cli(*PRIMES_RUN)
    wait_for(lambda: workers_of(process.pid), 30, "a worker process appeared")
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl+C: the whole foreground group
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "KeyboardInterrupt" not in err and "Traceback" not in err, err
    assert_group_empties(process.pid)


@pytest.mark.timeout(60)
def test_reader_closing_stdout_early_ends_quietly_like_head(start_cli):
    # 20,000 results make ~100 kB of JSON, more than a pipe holds: the write meets the closed end.
    process = start_cli("run", "--workload", "power", "--tasks", "20000", "--workers", "2",
                        "--json", "--results")  # fmt: skip
    assert process.stdout.read(100).startswith('{"workload": "power"')
    process.stdout.close()  # what `| head -c 100` does once it has its 100 bytes
    err = process.stderr.read()
    assert process.wait(timeout=20) == 141, err
    assert err == ""
    assert_group_empties(process.pid)


@pytest.mark.timeout(60)
def test_stderr_closed_mid_run_stops_the_run_and_leaves_no_child(start_cli):
    # The first task fails at once (a sleep too long for the OS), so its report goes to a
    # stderr nobody reads any more while 20 s of sleeps are still to run.
    inputs = ",".join(["99999999999999999999"] + ["100"] * 400)
    process = start_cli("run", "--workload", "sleep", "--inputs", inputs, "--workers", "2",
                        stdout=subprocess.DEVNULL)  # fmt: skip
    process.stderr.close()
    assert process.wait(timeout=20) == 141
    assert_group_empties(process.pid)
