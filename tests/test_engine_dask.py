"""The dask executor: a local cluster per run, and a real cluster (a `dask scheduler` and two
`dask worker` processes on 127.0.0.1) that the command line is pointed at. Exact books and
order, a raising task, stop, a killed worker, nothing left behind; and without Dask installed,
the executor says how to install it instead of failing."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from app.engine import ConfigError, Run, RunConfig
from app.engine.records import ExecutorNote, PoolRestarted, Segment, TaskFailed, WorkerDied
from tests import sample_tasks
from tests.test_engine import books_are_exact, collect, wait_for_no_children

ROOT = Path(__file__).resolve().parent.parent
HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason='needs "dask[distributed]" (extra: cluster)')


# ---------------------------------------------------------------- without a cluster


def test_a_scheduler_address_is_checked_and_only_for_dask():
    if HAS_DASK:
        config = RunConfig(workload="power", tasks=1, executor="dask", scheduler="10.0.0.5:8786")
        assert config.scheduler == "tcp://10.0.0.5:8786"
        assert RunConfig(workload="power", tasks=1, executor="dask").scheduler == ""
        for bad in ("tcp://", "nonsense", "tcp://host:port", "tcp://host:99999", "tcp://h:1/x"):
            with pytest.raises(ConfigError, match="tcp://HOST:PORT"):
                RunConfig(workload="power", tasks=1, executor="dask", scheduler=bad)
    with pytest.raises(ConfigError, match="for the Dask executor"):
        RunConfig(workload="power", tasks=1, executor="process", scheduler="tcp://h:8786")


def without_dask(monkeypatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            return None
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_without_dask_a_run_says_how_to_install_it(monkeypatch):
    without_dask(monkeypatch)
    with pytest.raises(ConfigError, match=r'pip install "dask\[distributed\]"'):
        RunConfig(workload="power", tasks=1, executor="dask")


def test_without_dask_the_cli_prints_one_line_and_exits_2(monkeypatch, capsys):
    from app import cli

    without_dask(monkeypatch)
    code = cli.main(["run", "--workload", "power", "--tasks", "4", "--executor", "dask"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and 'pip install "dask[distributed]"' in err


def test_without_dask_the_window_shows_the_executor_disabled_with_the_hint(
    monkeypatch, qtbot, settings_path
):
    from PySide6.QtCore import Qt

    from app.gui.controls import ControlPanel

    without_dask(monkeypatch)
    panel = ControlPanel()
    qtbot.addWidget(panel)
    combo = panel.executor_combo
    index = combo.findData("dask")
    assert index >= 0
    assert not combo.model().item(index).isEnabled()
    assert "not installed" in combo.itemText(index)
    assert "pip install" in combo.itemData(index, Qt.ItemDataRole.ToolTipRole)
    assert combo.model().item(combo.findData("futures")).isEnabled()


@needs_dask
def test_the_scheduler_field_shows_for_dask_only_and_reaches_the_run(qtbot, settings_path):
    from app.gui.controls import ControlPanel

    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.scheduler_edit.isVisible()
    panel.executor_combo.setCurrentIndex(panel.executor_combo.findData("dask"))
    assert panel.scheduler_edit.isVisible()
    assert panel.run_config().scheduler == ""
    qtbot.keyClicks(panel.scheduler_edit, "tcp://127.0.0.1:8786 !")  # the validator drops " !"
    assert panel.scheduler_edit.text() == "tcp://127.0.0.1:8786"
    assert panel.run_config().scheduler == "tcp://127.0.0.1:8786"
    panel.executor_combo.setCurrentIndex(panel.executor_combo.findData("process"))
    assert not panel.scheduler_edit.isVisible()
    assert panel.run_config().scheduler == ""


def test_the_app_starts_without_importing_dask():
    code = (
        "import sys, app.cli; from app.engine import Run, RunConfig, BACKENDS; "
        "RunConfig(workload='power', tasks=1); app.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- a local cluster per run


@needs_dask
@pytest.mark.timeout(120)
def test_a_local_cluster_keeps_exact_books_in_order_with_a_raising_task():
    run = Run(
        RunConfig(workload="power", inputs=tuple(range(1, 31)), workers=2, executor="dask"),
        func=sample_tasks.fail_on_threes,
    )
    run.start()
    events = collect(run, timeout=100)
    summary = events[-1].summary
    assert summary.error is None
    assert (summary.completed, summary.failed, summary.cancelled) == (20, 10, 0)
    expected = [None if x % 3 == 0 else x for x in range(1, 31)]
    assert summary.results == expected
    failures = sorted(e.index for e in events if isinstance(e, TaskFailed))
    assert failures == [i for i in range(30) if (i + 1) % 3 == 0]
    # Lanes are host:pid, and their blocks lie inside the run on our own clock.
    segments = [e for e in events if isinstance(e, Segment)]
    assert sum(s.count for s in segments) == 30
    assert all(s.worker == f"127.0.0.1:{s.pid}" for s in segments)
    assert all(0 <= s.start <= s.end <= summary.wall_s for s in segments)
    notes = [e.text for e in events if isinstance(e, ExecutorNote)]
    assert any("local cluster started for this run" in note for note in notes), notes
    assert wait_for_no_children(timeout=10) == []


@needs_dask
@pytest.mark.timeout(120)
def test_stop_cancels_the_futures_and_closes_the_local_cluster():
    run = Run(RunConfig(workload="sleep", tasks=200, workers=2, executor="dask"))
    run.start()
    deadline = time.perf_counter() + 90
    while run.progress.done < 2:
        run.poll(timeout=0.01)
        assert time.perf_counter() < deadline
    assert len(run.worker_pids()) == 2
    assert all(p.pid in run.worker_pids() for p in psutil.Process().children() if is_dask(p))
    run.stop()
    summary = run.wait(30)
    assert summary.stopped and summary.cancelled > 0
    books_are_exact(summary)
    assert wait_for_no_children(timeout=10) == []


def is_dask(process: psutil.Process) -> bool:
    try:
        return "spawn_main" in " ".join(process.cmdline())
    except psutil.Error:
        return False


@needs_dask
@pytest.mark.timeout(150)
def test_a_killed_local_dask_worker_is_shown_and_its_tasks_rescheduled():
    run = Run(RunConfig(workload="sleep", tasks=40, workers=2, executor="dask"))
    run.start()
    deadline = time.perf_counter() + 90
    events = []
    while run.progress.done < 4:
        events += run.poll(timeout=0.01)
        assert time.perf_counter() < deadline
    pid = run.kill_worker()
    assert pid
    events += collect(run, timeout=100)
    died = [e for e in events if isinstance(e, WorkerDied)]
    assert [(d.pid, d.exitcode) for d in died] == [(pid, -signal.SIGKILL)]
    assert died[0].worker == f"127.0.0.1:{pid}" and died[0].running
    rescheduled = [e for e in events if isinstance(e, PoolRestarted)]
    assert len(rescheduled) == 1 and not rescheduled[0].pool_replaced
    assert rescheduled[0].retried == len(died[0].running) and "rescheduled" in rescheduled[0].how
    summary = events[-1].summary
    assert summary.error is None
    assert (summary.completed, summary.failed, summary.cancelled) == (40, 0, 0)
    assert summary.retried >= 1 and summary.deaths == ((pid, -signal.SIGKILL),)
    assert all(result >= 100 for result in summary.results)  # each sleep's own ms
    assert wait_for_no_children(timeout=10) == []


# ---------------------------------------------------------------- a real cluster


class Cluster:
    """A `dask scheduler` and two `dask worker` processes (no nanny: each worker is the
    process started here) on 127.0.0.1, on ports the OS picks."""

    def __init__(self, tmp_path: Path) -> None:
        self.processes: list[subprocess.Popen] = []
        env = dict(os.environ, PYTHONPATH=str(ROOT))  # the workers import this checkout
        dask = str(Path(sys.executable).with_name("dask"))
        scheduler_file = tmp_path / "scheduler.json"
        self.processes.append(
            self._start(
                [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
                + ["--scheduler-file", str(scheduler_file)],
                env,
                tmp_path / "scheduler.log",
            )
        )
        deadline = time.perf_counter() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert time.perf_counter() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.1)  # the file is written whole, but not in one write
        self.address = json.loads(scheduler_file.read_text())["address"]
        self.workers = [
            self._start(
                [dask, "worker", "--scheduler-file", str(scheduler_file), "--no-nanny"]
                + ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                env,
                tmp_path / f"worker-{n}.log",
            )
            for n in range(2)
        ]
        self.processes += self.workers

    def _start(self, command: list[str], env: dict, log: Path) -> subprocess.Popen:
        with open(log, "wb") as out:
            return subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent
            )

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        for process in self.processes:
            process.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(tmp_path)
    try:
        yield made
    finally:
        made.close()


@needs_dask
@pytest.mark.timeout(180)
def test_the_cli_runs_on_a_real_cluster_and_survives_a_killed_worker(cluster):
    command = [sys.executable, "-m", "app", "run", "--executor", "dask"]
    command += ["--scheduler", cluster.address, "--workload", "sleep", "--tasks", "40"]
    command += ["--workers", "2", "--json", "--results"]
    cli = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stderr: list[str] = []
    connected = threading.Event()

    def read_stderr() -> None:
        for line in cli.stderr:
            stderr.append(line)
            if line.startswith("Dask: ") and "worker(s)" in line:
                connected.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert connected.wait(90), "".join(stderr)
        time.sleep(1.0)  # tasks of 100 ms each: both workers are busy now
        victim = cluster.workers[0]
        victim.kill()
        victim.wait(timeout=10)
        # Not communicate(): it would read stderr too, racing the thread that reads it.
        out = cli.stdout.read()
        cli.wait(timeout=90)
    finally:
        if cli.poll() is None:
            cli.kill()
    reader.join(timeout=5)
    assert cli.returncode == 0, "".join(stderr)
    report = json.loads(out)
    assert report["executor"] == "dask"
    assert (report["completed"], report["failed"], report["cancelled"]) == (40, 0, 0)
    assert len(report["results"]) == 40 and all(ms >= 100 for ms in report["results"])
    # The tasks ran in the two worker processes started here, and nowhere else.
    ran_in = {worker["pid"] for worker in report["per_worker"] if worker["tasks"]}
    assert ran_in <= {worker.pid for worker in cluster.workers} and ran_in
    assert cluster.workers[1].pid in ran_in
    assert [death["pid"] for death in report["deaths"]] == [victim.pid]
    assert report["retried"] >= 1
    said = "".join(stderr)
    assert f"(pid {victim.pid}) died" in said and "Dask rescheduled" in said
    # The run never closes a cluster it did not start: the other worker lives on.
    assert cluster.workers[1].poll() is None and cluster.processes[0].poll() is None


# ---------------------------------------------------------------- packaging


def test_dask_is_an_optional_extra_that_the_tests_install_and_the_frozen_app_leaves_out():
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(req.startswith("dask[distributed]") for req in extras["cluster"])
    assert set(extras["cluster"]) <= set(extras["test"])
    from tests.test_packaging import spec_constant

    assert {"dask", "distributed"} <= set(spec_constant("EXCLUDES"))


def test_only_the_dask_backend_imports_dask_and_only_inside_a_function():
    import ast

    for path in (ROOT / "app").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if not any(name.split(".")[0] in ("dask", "distributed") for name in names):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert path.name in ("dask.py", "remote.py"), where
            assert node.col_offset > 0, f"{where}: a module-level import of Dask"


@needs_dask
@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")
@pytest.mark.timeout(120)
def test_ctrl_c_stops_a_cli_run_on_a_local_cluster_without_a_traceback_and_leaves_nothing():
    command = [sys.executable, "-m", "app", "run", "--executor", "dask", "--workload", "sleep"]
    cli = subprocess.Popen(
        [*command, "--tasks", "200", "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job is
    )
    lines: list[str] = []
    started = threading.Event()

    def read_stderr() -> None:
        for line in cli.stderr:
            lines.append(line)
            if "worker(s)" in line:
                started.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        assert started.wait(90), "".join(lines)
        workers = psutil.Process(cli.pid).children(recursive=True)
        os.killpg(cli.pid, signal.SIGINT)  # what Ctrl+C in the terminal does
        assert cli.wait(timeout=60) == 130
    finally:
        if cli.poll() is None:
            cli.kill()
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []
    time.sleep(0.2)  # the reader takes the last lines
    assert "Traceback" not in "".join(lines), "".join(lines)


@needs_dask
@pytest.mark.timeout(150)
def test_a_run_on_an_existing_cluster_uses_all_its_threads_and_leaves_it_running(cluster):
    run = Run(
        RunConfig(
            workload="power",
            inputs=tuple(range(200)),
            workers=1,  # fewer than the cluster has: the run still keeps both busy
            executor="dask",
            scheduler=cluster.address,
        ),
        func=sample_tasks.slow_square,
    )
    run.start()
    events = collect(run, timeout=120)
    summary = events[-1].summary
    assert summary.error is None
    assert summary.results == [x * x for x in range(200)]
    assert run._supervisor.window == 4  # two chunks for each of the cluster's two threads
    pids = {worker.pid for worker in cluster.workers}
    assert {w.pid for w in summary.per_worker if w.tasks} == pids
    assert {w.worker for w in summary.per_worker} == {f"127.0.0.1:{pid}" for pid in pids}
    notes = [e.text for e in events if isinstance(e, ExecutorNote)]
    assert f"Dask: connected to the scheduler at {cluster.address}" in notes
    assert all(process.poll() is None for process in cluster.processes)  # never closed


@needs_dask
@pytest.mark.timeout(150)
def test_kill_reaches_a_worker_on_another_computer_through_the_cluster(cluster):
    run = Run(
        RunConfig(workload="sleep", tasks=40, workers=2, executor="dask", scheduler=cluster.address)
    )
    run.start()
    events = []
    while run.progress.done < 4:
        events += run.poll(timeout=0.01)
        assert run.elapsed < 90
    run._supervisor.backend.local_hosts = set()  # as if its workers ran elsewhere
    pid = run.kill_worker()
    assert pid in {worker.pid for worker in cluster.workers}
    events += collect(run, timeout=100)
    victim = next(w for w in cluster.workers if w.pid == pid)
    assert victim.wait(timeout=10) == -signal.SIGKILL  # asked to die, through Dask
    died = [e for e in events if isinstance(e, WorkerDied)]
    assert [(d.pid, d.exitcode) for d in died] == [(pid, -signal.SIGKILL)]
    summary = events[-1].summary
    assert (summary.completed, summary.failed, summary.cancelled) == (40, 0, 0)


@needs_dask
def test_the_dashboard_link_is_given_when_bokeh_can_draw_it(monkeypatch):
    from app.engine.backends import dask as dask_backend

    class FakeCluster:
        dashboard_link = "http://127.0.0.1:40123/status"

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    assert dask_backend._dashboard_note(FakeCluster()).endswith(
        "dashboard: http://127.0.0.1:40123/status"
    )
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert "needs bokeh" in dask_backend._dashboard_note(FakeCluster())
