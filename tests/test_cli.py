"""The command line as a user meets it: JSON output, bad input, Ctrl+C, the self-test."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app import cli
from app.engine import available_start_methods
from tests.conftest import worker_children

REQUIRED_KEYS = {
    "workload", "executor", "workers", "start_method", "chunksize", "tasks", "completed",
    "failed", "retried", "wall_s", "startup_s", "throughput", "per_worker",
}  # fmt: skip


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.timeout(60)
def test_run_json_has_the_books_and_results_in_input_order():
    done = run_cli("run", "--workload", "power", "--inputs", "4,2,3,5,3,2,1,2", "--workers", "2",
                   "--json", "--results")  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data.keys() >= REQUIRED_KEYS
    assert data["results"] == [256, 4, 27, 3125, 27, 4, 1, 4]
    assert (data["tasks"], data["completed"], data["failed"]) == (8, 8, 0)
    assert data["start_method"] == "spawn"
    for worker in data["per_worker"]:
        assert {"pid", "name", "tasks", "busy_s", "throughput", "cpu_s", "wait_s"} <= worker.keys()
        assert worker["wait_s"] == pytest.approx(worker["busy_s"] - worker["cpu_s"], abs=1e-6)
    assert sum(w["tasks"] for w in data["per_worker"]) == 8
    python = data["python"]
    assert python["version"] == platform.python_version()
    assert python["gil_enabled"] in (True, False) and python["cpu_count"] == os.cpu_count()


@pytest.mark.timeout(90)
def test_primes_on_two_processes_uses_both_workers():
    done = run_cli("run", "--workload", "primes", "--tasks", "16", "--workers", "2", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["completed"] == 16
    assert len({w["pid"] for w in data["per_worker"]}) == 2


@pytest.mark.timeout(60)
def test_readable_summary_names_the_workers(capsys):
    code = cli.main(["run", "--workload", "power", "--tasks", "100", "--executor", "serial"])
    out = capsys.readouterr().out
    assert code == 0
    assert "power: 100 tasks on 1 serial" in out
    assert "completed 100   failed 0" in out
    assert "SerialWorker" in out  # in a child process of its own: never the caller


@pytest.mark.timeout(120)
def test_sweep_reports_speedup_and_efficiency_per_row():
    done = run_cli("sweep", "--workload", "power", "--tasks", "2000", "--workers", "1,2",
                   "--executor", "process,thread", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert [(r["executor"], r["workers"]) for r in rows] == [
        ("process", 1), ("process", 2), ("thread", 1), ("thread", 2),
    ]  # fmt: skip
    assert rows[0]["speedup"] == pytest.approx(1.0)
    for row in rows:
        assert row["baseline"] == f"{row['executor']} x1"
        assert row["completed"] == 2000
        assert row["efficiency"] == pytest.approx(row["speedup"] / row["workers"])


@pytest.mark.timeout(60)
def test_sweep_without_a_one_worker_run_says_so_instead_of_a_made_up_speedup(capsys):
    code = cli.main(["sweep", "--workload", "primes", "--tasks", "4", "--workers", "2,4",
                     "--executor", "thread"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    table = out.splitlines()[2:]
    assert len(table) == 2
    for line in table:
        assert "no 1-worker run" in line
        assert "1.00x" not in line and "%" not in line
    code = cli.main(["sweep", "--workload", "primes", "--tasks", "4", "--workers", "2",
                     "--executor", "thread", "--json"])  # fmt: skip
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    assert code == 0
    assert (row["speedup"], row["efficiency"], row["baseline"]) == (None, None, None)
    assert row["not_compared"] == "no 1-worker run"


@pytest.mark.timeout(60)
def test_sweep_compares_with_a_serial_run_of_the_same_job(capsys):
    code = cli.main(["sweep", "--workload", "power", "--tasks", "2000", "--workers", "1,2",
                     "--executor", "thread,serial", "--json"])  # fmt: skip
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert code == 0
    assert [(row["executor"], row["workers"]) for row in rows] == [
        ("thread", 1), ("thread", 2), ("serial", 1),
    ], "serial runs once: it is one worker whatever --workers says"  # fmt: skip
    serial = rows[-1]
    for row in rows:
        assert row["serial_baseline"] == "serial x1"
        assert row["speedup_vs_serial"] == pytest.approx(serial["wall_s"] / row["wall_s"])
        assert row["baseline"] == f"{row['executor']} x1"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--workload", "nope"], "choose from power"),
        (["run", "--workload", "power", "--workers", "two"], "--workers must be a whole number"),
        (["run", "--workload", "power", "--workers", "0"], "workers must be between 1"),
        (["run", "--workload", "power", "--tasks", "0"], "tasks must be between 1"),
        (["run", "--workload", "power", "--tasks", "x"], "--tasks must be a whole number"),
        (["run", "--workload", "power", "--chunksize", "-2"], "chunksize must be between 0"),
        (["run", "--workload", "power", "--inputs", "4,,2"], "comma-separated whole numbers"),
        (["run", "--workload", "power", "--inputs", "1", "--tasks", "3"], "not both"),
        (["run", "--workload", "power", "--executor", "gpu"], "choose from process"),
        (["run", "--workload", "power", "--start-method", "magic"], "choose from spawn"),
        (["sweep", "--workload", "power", "--workers", "1,x"], "comma-separated"),
        (["teleport"], "invalid choice"),
        (["run"], "required"),
        # Every number, at its edges: huge, negative, zero, nan, inf.
        (["run", "--workload", "power", "--tasks", "9" * 5000], "got 5,000 characters"),
        (["run", "--workload", "power", "--tasks", "-5"], "tasks must be between 1"),
        (["run", "--workload", "power", "--tasks", "nan"], "--tasks must be a whole number"),
        (
            ["run", "--workload", "power", "--workers", "99999999999999"],
            "workers must be between 1",
        ),
        (["run", "--workload", "power", "--chunksize", "1e309"], "must be a whole number"),
        (["run", "--workload", "power", "--chunksize", "99999999999999"], "chunksize must be"),
        (["sweep", "--workload", "power", "--workers", "0,2"], "workers must be between 1"),
        (["selftest", "--timeout", "99999999999999"], "--timeout must be 1 to 86,400 seconds"),
        (["selftest", "--timeout", "0"], "--timeout must be 1 to"),
        (["selftest", "--timeout", "-3"], "--timeout must be 1 to"),
        (["selftest", "--timeout", "nan"], "--timeout must be 1 to"),
        (["selftest", "--timeout", "inf"], "--timeout must be 1 to"),
        (["selftest", "--timeout", "9" * 5000], "got 5,000 characters"),
        (["selftest", "--timeout", "soon"], "--timeout must be a number of seconds"),
        (["selftest", "--measure", "-1"], "--measure must be 0 to 60 seconds"),
        (["selftest", "--measure", "nan"], "--measure must be 0 to 60 seconds"),
        (["selftest", "--tasks", "0"], "--tasks must be between 1 and 1,000,000"),
        (["selftest", "--tasks", "99999999999999"], "--tasks must be between 1 and 1,000,000"),
        (["selftest", "--workload", "nope"], "choose from power"),
        (["selftest", "--screenshot", "/proc/nope/x.png"], "cannot save the screenshot"),
        (["selftest", "--screenshot", "/"], "it is a folder"),
        (["selftest", "--screenshot", "window.nope"], "Qt cannot write .nope images"),
        # A typo names what was meant; an abbreviation is a typo too, not a silent guess.
        (["run", "--workload", "power", "--worker", "2"], "did you mean --workers?"),
        (["run", "--workload", "power", "--workers=2", "--tsks", "3"], "did you mean --tasks?"),
        (["sweep", "--workload", "power", "--exector", "thread"], "did you mean --executor?"),
        (["rn", "--workload", "power"], "did you mean run?"),
        (["sweeep"], "did you mean sweep?"),
        (["run", "--workload", "prims"], "did you mean primes?"),
        (["run", "--workload", "power", "--executor", "threds"], "did you mean threads?"),
        (["sweep", "--workload", "power", "--executor", "process,procesess"], "did you mean"),
        (["run", "--workload", "power", "--start-method", "spwan"], "did you mean spawn?"),
        (["selftest", "--workload", "Powr"], "did you mean power?"),
        (["run", "--workload", "power", "now"], "unexpected argument 'now'"),
    ],
)
def test_bad_input_gets_one_line_and_exit_code_2(args, says, capsys):
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert says in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.fixture
def any_int_reads():
    """Let this test turn ints of any length into text and back, as the CLI now prints them."""
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    yield
    sys.set_int_max_str_digits(previous)


@pytest.mark.timeout(60)
def test_results_over_4300_digits_print_whole(capsys):
    limit = sys.get_int_max_str_digits()
    args = ["run", "--workload", "power", "--inputs", "1371,2", "--executor", "serial", "--results"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert sys.get_int_max_str_digits() == limit  # lifted for printing only
    sys.set_int_max_str_digits(0)
    try:
        expected = f"results: [{1371**1371}, 4]"  # 4,301 digits
    finally:
        sys.set_int_max_str_digits(limit)
    assert out.splitlines()[-1] == expected


@pytest.mark.timeout(60)
def test_results_over_4300_digits_stay_exact_json_numbers(any_int_reads):
    done = run_cli("run", "--workload", "power", "--inputs", "1371,2", "--json", "--results")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == [1371**1371, 4]


def test_bad_input_from_a_real_shell_has_no_traceback():
    done = run_cli("run", "--workload", "power", "--workers", "-1")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_a_start_method_this_os_lacks_is_refused(monkeypatch, capsys):
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    assert cli.main(["run", "--workload", "power", "--start-method", "fork"]) == 2
    assert "not available on this OS" in capsys.readouterr().err


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group")
def test_ctrl_c_stops_cleanly_with_exit_130_and_no_child_left():
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "run", "--workload", "sleep", "--tasks", "400"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    parent = psutil.Process(process.pid)
    deadline = time.perf_counter() + 30
    while len(_workers_of(parent)) < 2:
        assert time.perf_counter() < deadline, "workers never started"
        time.sleep(0.05)
    workers = _workers_of(parent)
    time.sleep(0.3)  # let the workers get into their tasks
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl+C does: the whole foreground group
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    gone, alive = psutil.wait_procs(workers, timeout=3)
    assert alive == []


def _workers_of(parent: psutil.Process) -> list[psutil.Process]:
    try:
        found = parent.children(recursive=True)
    except psutil.Error:
        return []
    return [p for p in found if "resource_tracker" not in " ".join(_cmdline(p))]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland displays")
def test_no_display_gets_one_line_instead_of_a_qt_abort(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no display" in err[0] and "python -m app run" in err[0]


@pytest.mark.timeout(60)
def test_selftest_reports_an_unwritable_screenshot_and_never_as_saved(qapp):
    from app.gui.selftest import run_selftest

    report = run_selftest(tasks=2000, screenshot="/proc/nope/x.png", timeout_s=30)
    assert report["ok"] is False
    assert report.get("screenshot") is None
    assert "cannot save the screenshot to /proc/nope/x.png" in report["problems"][0]


@pytest.mark.timeout(60)
def test_selftest_screenshot_failing_mid_run_is_a_problem_not_a_saved_file(qapp, tmp_path,
                                                                          monkeypatch):  # fmt: skip
    from PySide6.QtGui import QPixmap

    from app.gui.selftest import run_selftest

    monkeypatch.setattr(QPixmap, "save", lambda self, *args: False)  # as on a full disk
    report = run_selftest(tasks=20_000, screenshot=str(tmp_path / "w.png"), timeout_s=30)
    assert report["ok"] is False and report["screenshot"] is None
    assert any("could not save the screenshot" in problem for problem in report["problems"])
    assert report["completed"] == 20_000  # the run itself went fine
    assert not worker_children()


@pytest.mark.timeout(60)
def test_selftest_runs_long_enough_by_default_to_check_the_99th_percentile():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "app", "selftest", "--json"],
                          capture_output=True, text=True, timeout=50, env=env)  # fmt: skip
    took = time.perf_counter() - began
    report = json.loads(done.stdout)
    assert report["measured_s"] >= 2 and report["p99_checked"] is True, report
    assert report["heartbeats"] >= 100 and report["p99_stall_ms"] <= report["max_stall_ms"]
    assert report["runs"] * report["tasks_per_run"] == report["tasks"] == report["completed"]
    assert (report["failed"], report["cancelled"]) == (0, 0)
    # Whether the window kept up depends on the machine and what else it runs; the books do not.
    books = [p for p in report["problems"] if "heartbeat" not in p and "froze" not in p]
    assert books == [], report["problems"]
    assert done.returncode == (0 if report["ok"] else 1)
    print(f"selftest: {took:.1f} s, {report['runs']} runs, max stall {report['max_stall_ms']} ms,"
          f" p99 {report['p99_stall_ms']} ms")  # fmt: skip


@pytest.mark.timeout(60)
def test_the_windows_words_and_any_case_work(capsys):
    code = cli.main(["run", "--workload", "Power", "--tasks", "100", "--executor", "Threads",
                     "--workers", "2"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("power: 100 tasks on 2 threads, chunksize auto")
    code = cli.main(["sweep", "--workload", "POWER", "--tasks", "100", "--workers", "1",
                     "--executor", "threads,serial", "--json"])  # fmt: skip
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert code == 0
    assert [row["executor"] for row in rows] == ["thread", "serial"]


@pytest.mark.timeout(60)
def test_processes_is_the_process_executor():
    done = run_cli("run", "--workload", "Primes", "--tasks", "2", "--workers", "1",
                   "--executor", "processes", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["executor"], data["workload"], data["start_method"]) == (
        "process", "primes", "spawn",
    )  # fmt: skip


def test_summary_uses_the_backends_label_and_start_method():
    from app.engine import BACKENDS
    from app.engine.records import RunSummary

    for backend in BACKENDS.values():
        method = "spawn" if backend.uses_start_method else ""
        summary = RunSummary("power", backend.name, 1, method, 0, 4, 4, 0, 0, 0, 1, 0.1, 0.05, 40.0)
        first = cli.format_summary(summary).splitlines()[0]
        shown = backend.label + (" (spawn)" if backend.uses_start_method else "")
        assert first.startswith(f"power: 4 tasks on 1 {shown}, chunksize auto"), first


def test_more_workers_than_cpus_get_one_note_and_the_run_goes_on(monkeypatch, capsys):
    monkeypatch.setattr("app.engine.config.cpu_count", lambda: 2)
    args = ["run", "--workload", "power", "--tasks", "50", "--executor", "thread", "--workers"]
    assert cli.main([*args, "8"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["note: 8 threads on 2 CPUs: they take turns, so expect no more than 2x "
                   "the speed of one"]  # fmt: skip
    assert cli.main([*args, "2"]) == 0
    assert capsys.readouterr().err == ""
    # Waiting needs no CPU: more sleepers than CPUs do help, so there is nothing to warn about.
    sleep = ["run", "--workload", "sleep", "--inputs", "1,1", "--executor", "thread"]
    assert cli.main([*sleep, "--workers", "8"]) == 0
    assert "note:" not in capsys.readouterr().err
    sweep = ["sweep", "--workload", "power", "--tasks", "50", "--executor", "thread"]
    assert cli.main([*sweep, "--workers", "1,4,8"]) == 0
    assert capsys.readouterr().err.count("note: 8 threads on 2 CPUs") == 1


@pytest.mark.timeout(120)
def test_many_more_processes_than_cpus_warn_once_and_do_not_fail():
    workers = min(max(64, 2 * (os.cpu_count() or 1)), 256)
    done = run_cli("run", "--workload", "power", "--tasks", "200", "--workers", str(workers),
                   "--json", timeout=110)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("note: ") == 1, done.stderr
    assert f"note: {workers} processes on" in done.stderr
    assert json.loads(done.stdout)["completed"] == 200


def test_usage_names_how_the_command_was_started():
    done = run_cli("--help")
    assert done.stdout.startswith("usage: python -m app "), done.stdout
    done = run_cli("run", "--workload", "power", "--worker", "2")
    assert done.stderr.startswith("python -m app: error: unknown option --worker;"), done.stderr
    assert "(see python -m app run --help)" in done.stderr
    for path in ("/usr/bin/mpplayground-cli", "mpplayground", "MultiprocessingPlayground.exe"):
        expected = os.path.basename(path).removesuffix(".exe")
        assert cli.program_name(path) == expected
        assert (
            cli.build_parser(cli.program_name(path))
            .format_usage()
            .startswith(f"usage: {expected} ")
        )
    assert cli.program_name("/somewhere/pytest") == "mpplayground"


def test_results_without_json_are_documented_as_they_behave(capsys):
    help_text = cli.build_parser("mpplayground")._subparsers._group_actions[0].choices["run"]
    assert "`results: [...]` after the summary" in " ".join(help_text.format_help().split())
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`--results` without `--json`" in readme
    assert cli.main(["run", "--workload", "power", "--inputs", "4,2", "--executor", "serial",
                     "--results"]) == 0  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("power: 2 tasks") and out[-1] == "results: [256, 4]"


def _stop_mid_run(signum: int, *extra: str) -> tuple[subprocess.Popen, str, str]:
    """Start 400 sleeps of 100 ms on 2 processes, let some finish, send `signum`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "run", "--workload", "sleep", "--tasks", "400",
         "--workers", "2", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    parent = psutil.Process(process.pid)
    deadline = time.perf_counter() + 30
    while len(_workers_of(parent)) < 2:
        assert time.perf_counter() < deadline, "workers never started"
        time.sleep(0.05)
    time.sleep(0.6)  # a few tasks of 100 ms each get done
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)  # Ctrl+C reaches the whole foreground group
    else:
        process.send_signal(signum)
    out, err = process.communicate(timeout=20)
    return process, out, err


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
def test_ctrl_c_prints_what_got_done_with_exact_books_then_exits_130():
    process, out, err = _stop_mid_run(signal.SIGINT, "--json")
    assert process.returncode == 130, err
    assert "Traceback" not in err
    data = json.loads(out)
    assert data["stopped"] is True
    assert data["completed"] + data["failed"] + data["cancelled"] == data["tasks"] == 400
    assert data["cancelled"] > 0
    assert sum(worker["tasks"] for worker in data["per_worker"]) >= data["completed"]


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_prints_the_partial_summary_then_exits_143():
    process, out, err = _stop_mid_run(signal.SIGTERM)
    assert process.returncode == 143, err
    assert out.startswith("sleep: 400 tasks on 2 processes (spawn)"), out
    assert "stopped before the end" in out
    completed, failed, cancelled = (
        int(out.split(word)[1].split()[0].replace(",", ""))
        for word in ("completed", "failed", "cancelled")
    )
    assert completed + failed + cancelled == 400 and cancelled > 0
    assert "terminated" in err and "Traceback" not in err


@pytest.mark.timeout(120)
def test_sweep_takes_chunksizes_and_start_methods_as_axes_and_compares_like_with_like():
    methods = [m for m in ("spawn", "fork") if m in available_start_methods()]
    done = run_cli(
        "sweep", "--workload", "primes", "--tasks", "8", "--workers", "1,2",
        "--chunksize", "1,0", "--start-method", ",".join(methods), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert len(rows) == 2 * 2 * len(methods)
    assert {(r["workers"], r["chunksize"], r["start_method"]) for r in rows} == {
        (w, c, m) for w in (1, 2) for c in (1, 0) for m in methods
    }
    assert all(r["completed"] == r["tasks"] for r in rows)
    ones = {(r["chunksize"], r["start_method"]): r for r in rows if r["workers"] == 1}
    for row in rows:  # each is measured against the 1-worker run of its own settings
        one = ones[(row["chunksize"], row["start_method"])]
        assert row["speedup"] == pytest.approx(one["wall_s"] / row["wall_s"])
