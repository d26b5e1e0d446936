"""The code behind a run: the script `app.control.codegen` writes runs in a fresh Python, with
nothing but the standard library, and prints the results the engine computes for the same run."""

from __future__ import annotations

import ast
import subprocess
import sys
from contextlib import contextmanager

import pytest

from app import cli
from app.control.codegen import script_file_name, script_for
from app.engine import Run, RunConfig, available_start_methods
from app.workloads import WORKLOADS

# Small runs of every workload: the same inputs for the script and for the engine.
JOBS = {
    "power": {"tasks": 20},
    "random": {"inputs": (1000, 1000, 1000)},
    "primes": {"tasks": 4},
    "mandelbrot": {"tasks": 4},
    "sleep": {"tasks": 3},
    "hash": {"tasks": 3},
}
# Every executor, each start method this OS has for processes, and a chunksize for each.
WAYS = [
    *(
        {"executor": "process", "start_method": m, "chunksize": c}
        for m, c in zip(available_start_methods(), (0, 1, 3), strict=False)
    ),
    {"executor": "futures", "start_method": available_start_methods()[-1], "chunksize": 0},
    {"executor": "thread", "chunksize": 2},
    {"executor": "serial", "chunksize": 0},
]


def way_id(way: dict) -> str:
    return "-".join(str(way[key]) for key in ("executor", "start_method") if key in way)


@contextmanager
def whole_ints():
    """Parse ints of any length, as the scripts print them."""
    previous = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
    if previous is not None:
        sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        if previous is not None:
            sys.set_int_max_str_digits(previous)


def run_script(script: str, tmp_path, name: str = "script.py") -> subprocess.CompletedProcess:
    """Run the script as a student would, in a fresh Python that cannot see the app:
    -S leaves out site-packages (where the app is installed), -I the environment and the
    current directory."""
    path = tmp_path / name
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-I", "-S", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )


def printed_results(completed: subprocess.CompletedProcess) -> list:
    assert completed.returncode == 0, completed.stderr
    last_line = completed.stdout.rstrip("\n").rsplit("\n", 1)[-1]
    with whole_ints():
        return ast.literal_eval(last_line)


_engine_results: dict[str, list] = {}


def engine_results(workload: str) -> list:
    """What the engine computes for the job (once per workload: the results do not depend on
    how the tasks were spread)."""
    if workload not in _engine_results:
        run = Run(RunConfig(workload=workload, workers=2, **JOBS[workload]))
        run.start()
        summary = run.wait(timeout=60)
        assert summary.completed == summary.tasks
        _engine_results[workload] = summary.results
    return _engine_results[workload]


def assert_same_results(workload: str, script_results: list, expected: list) -> None:
    assert len(script_results) == len(expected)
    if workload == "random":  # a fresh generator in every process: the same kind of number
        assert all(isinstance(x, float) and 0 <= x < 1 for x in script_results)
    elif workload == "sleep":  # each result is how long its sleep took, in ms
        assert all(90 <= x < 10_000 for x in script_results)
    else:
        assert script_results == expected


@pytest.mark.timeout(180)
@pytest.mark.parametrize("way", WAYS, ids=way_id)
@pytest.mark.parametrize("workload", list(JOBS))
def test_the_script_prints_the_results_the_engine_computes(workload, way, tmp_path):
    config = RunConfig(workload=workload, workers=2, **JOBS[workload], **way)
    script = script_for(config)
    completed = run_script(script, tmp_path, script_file_name(config))
    assert_same_results(workload, printed_results(completed), engine_results(workload))


def test_the_script_needs_only_the_standard_library():
    for workload in WORKLOADS:
        for way in WAYS:
            config = RunConfig(workload=workload, tasks=5, **way)
            tree = ast.parse(script_for(config))
            imported = {
                alias.name.partition(".")[0]
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for alias in node.names
            } | {
                node.module.partition(".")[0]
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom)
            }
            assert imported <= set(sys.stdlib_module_names), (workload, way, imported)
            assert "app" not in imported


def test_a_dask_script_says_what_it_needs_and_runs_on_a_cluster():
    local = script_for(RunConfig(workload="primes", tasks=8, workers=3, executor="dask"))
    ast.parse(local)
    assert "dask[distributed]" in local
    assert "LocalCluster(n_workers=3, threads_per_worker=1)" in local
    assert "client.map(count_primes, inputs)" in local
    remote = RunConfig(workload="primes", tasks=8, executor="dask", scheduler="tcp://10.0.0.5:8786")
    assert 'Client("tcp://10.0.0.5:8786")' in script_for(remote)


@pytest.mark.timeout(120)
def test_the_dask_script_prints_the_results_the_engine_computes(tmp_path):
    pytest.importorskip("distributed")
    config = RunConfig(workload="primes", workers=2, executor="dask", **JOBS["primes"])
    path = tmp_path / script_file_name(config)
    path.write_text(script_for(config), encoding="utf-8")
    completed = subprocess.run(  # with site-packages this time: Dask lives there
        [sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=100
    )
    assert printed_results(completed) == engine_results("primes")


def test_the_script_says_what_a_student_should_see():
    spawn = script_for(RunConfig(workload="primes", tasks=48, workers=3, chunksize=4))
    assert 'if __name__ == "__main__":' in spawn
    assert 'multiprocessing.get_context("spawn")' in spawn
    assert "with context.Pool(3) as pool:" in spawn
    assert "results = pool.map(count_primes, inputs, chunksize=4)" in spawn
    assert "inputs = make_inputs(48)" in spawn
    assert "time.perf_counter()" in spawn and "multiprocessing.cpu_count()" in spawn
    assert "current_process()" in spawn
    assert spawn.rstrip().endswith("print(results)")
    assert "noqa" not in spawn  # the app's linter notes are left out

    auto = script_for(RunConfig(workload="primes", tasks=48, workers=2, chunksize=0))
    assert "results = pool.map(count_primes, inputs)\n" in auto
    assert "sizes chunks itself" in auto

    threads = script_for(RunConfig(workload="hash", tasks=8, executor="threads", workers=4))
    assert "from multiprocessing.pool import ThreadPool" in threads
    assert "with ThreadPool(4) as pool:" in threads

    serial = script_for(RunConfig(workload="sleep", tasks=8, executor="serial"))
    assert "Pool" not in serial.split('if __name__ == "__main__":')[1]
    assert "for x in inputs:" in serial and "results.append(sleep_ms(x))" in serial

    given = script_for(RunConfig(workload="power", inputs=tuple(range(1, 200))))
    assert "def make_inputs" not in given  # the run's own inputs are written out instead
    assert all(len(line) <= 100 for line in given.splitlines())


@pytest.mark.timeout(120)
def test_huge_results_are_printed_whole(tmp_path):
    config = RunConfig(workload="power", inputs=(1371, 3), executor="serial")
    completed = run_script(script_for(config), tmp_path)
    assert printed_results(completed) == [1371**1371, 27]


def test_a_run_until_stop_is_one_round_in_the_script():
    script = script_for(RunConfig(workload="primes", tasks=10, until_stopped=True))
    assert "until Stop" in script and "one round" in script


def test_the_code_command_prints_the_same_script(capsys):
    args = ["--workload", "Primes", "--tasks", "12", "--workers", "3", "--executor", "processes"]
    assert cli.main(["code", *args, "--chunksize", "2", "--start-method", "spawn"]) == 0
    printed = capsys.readouterr().out
    config = RunConfig(workload="primes", tasks=12, workers=3, chunksize=2)
    assert printed == script_for(config)
    assert (
        cli.main(["code", "--workload", "power", "--inputs", "4,2,3", "--executor", "serial"]) == 0
    )
    assert "inputs = [4, 2, 3]" in capsys.readouterr().out


def test_the_code_command_uses_the_workloads_demo_size_by_default(capsys):
    assert cli.main(["code", "--workload", "mandelbrot"]) == 0
    assert f"inputs = make_inputs({WORKLOADS['mandelbrot'].default_tasks:_})" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "the following arguments are required: --workload"),
        (["--workload", "prims"], "did you mean primes?"),
        (["--workload", "power", "--tasks", "0"], "tasks must be between 1"),
        (["--workload", "power", "--tasks", "3", "--inputs", "1,2"], "not both"),
        (["--workload", "power", "--inputs", "1,,2"], "--inputs needs comma-separated"),
        (["--workload", "power", "--workers", "0"], "workers must be between 1"),
        (["--workload", "power", "--workers", "many"], "--workers must be a whole number"),
        (["--workload", "power", "--executor", "threds"], "did you mean threads?"),
        (["--workload", "power", "--chunksize", "-1"], "chunksize must be between 0"),
        (["--workload", "power", "--start-method", "spwan"], "did you mean spawn?"),
        (["--workload", "power", "--json"], "unknown option --json"),
    ],
)
def test_the_code_command_refuses_bad_input_in_one_line(args, says, capsys):
    assert cli.main(["code", *args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert says in lines[0]
    assert captured.out == ""


def test_a_build_without_the_workloads_source_gets_one_clear_line(monkeypatch, capsys):
    from app.control import codegen

    def no_source(module):
        raise OSError("could not get source code")

    codegen._module_parts.cache_clear()
    monkeypatch.setattr(codegen.inspect, "getsource", no_source)
    try:
        with pytest.raises(codegen.ScriptUnavailable, match="not part of this installation"):
            script_for(RunConfig(workload="primes", tasks=4))
        assert cli.main(["code", "--workload", "primes"]) == 2
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1 and "not part of this installation" in captured.err
    finally:
        codegen._module_parts.cache_clear()
