"""SIGTERM or Ctrl+C to the window process closes it like Quit: the run stops, its workers go,
and the exit code says which signal (128 + its number)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent

# The real entry point (`launch`), with a long primes run on 2 processes started once it is up.
WINDOW_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.gui import launch
from app.gui.window import MainWindow

def start_a_long_run():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    controls = window.controls
    controls.workload_combo.setCurrentIndex(controls.workload_combo.findData("primes"))
    controls.tasks_spin.setValue(100_000)
    controls.executor_combo.setCurrentIndex(controls.executor_combo.findData("process"))
    controls.workers_spin.setValue(2)
    window.start_run()
    print("started", flush=True)

app = QApplication(sys.argv)
QTimer.singleShot(0, start_a_long_run)
sys.exit(launch())
"""


def wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def workers_of(process: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in process.children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "resource_tracker" not in command and "forkserver" not in command:
            found.append(child)
    return found


@contextlib.contextmanager
def window_process(tmp_path, script: str = WINDOW_SCRIPT, **popen):
    """The window in a process of its own; whatever a failed test left running is killed."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(REPO),
        MPPLAYGROUND_SETTINGS=str(tmp_path / "settings.ini"),
    )
    window = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env, **popen)
    try:
        yield window, psutil.Process(window.pid)
    finally:
        # psutil checks that each pid is still the same process before it kills it.
        children = []
        with contextlib.suppress(psutil.Error):
            children = psutil.Process(window.pid).children(recursive=True)
        if window.poll() is None:
            window.kill()
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()
        window.wait(timeout=10)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.timeout(60)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_closes_the_window_stops_the_run_and_leaves_no_process(tmp_path, signum):
    pipes = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with window_process(tmp_path, **pipes) as (window, process):
        wait_for(lambda: len(workers_of(process)) >= 2, 30, "the run's 2 worker processes")
        children = process.children(recursive=True)
        window.send_signal(signum)
        _, stderr = window.communicate(timeout=10)
        assert window.returncode == 128 + signum, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
        _, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"left behind: {[(p.pid, p.cmdline()) for p in alive]}"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["process", "thread"])
def test_workers_die_with_a_window_killed_by_sigkill(tmp_path, executor):
    """SIGKILL gives the window no chance to stop anything: the workers must go by themselves."""
    script = WINDOW_SCRIPT.replace('findData("process")', f'findData("{executor}")')
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with window_process(tmp_path, script, **quiet) as (window, process):
        wanted = 2 if executor == "process" else 1  # threads run in one process of their own

        def started_workers() -> bool:
            # A worker that has started runs a thread that watches its parent (and has told
            # the kernel to kill it with its parent): a worker still starting has neither.
            workers = workers_of(process)
            return len(workers) >= wanted and all(w.num_threads() >= 2 for w in workers)

        wait_for(started_workers, 30, "the run's worker processes, started")
        children = process.children(recursive=True)
        window.kill()
        window.wait(timeout=10)
        _, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"left behind: {[(p.pid, p.cmdline()) for p in alive]}"
