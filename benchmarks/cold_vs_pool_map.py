"""Cold runs: each case in a fresh Python process, the engine against a bare `Pool.map`.

    python benchmarks/cold_vs_pool_map.py                 # 5 runs of each case
    python benchmarks/cold_vs_pool_map.py --runs 5 --huge # also 10,000,000 tiny tasks

What a user of `python -m app run` or of the tutorial's script pays: the interpreter, the
imports, starting the pool, the work, and the pool's end, all inside the timed process. Each
case runs three ways, alternating run after run, with the same function and inputs on 2
spawned workers: a tiny script with `python -c` that drives the engine (`Run`, its inputs
made by the script), the command line itself (`python -m app run --workload W --tasks N
--workers 2`, which prints its summary), and a bare `Pool.map` (with its own default
chunksize; the engine with its automatic one). Reported: medians of the whole process's wall
time as the parent saw it, the ratio of medians (bare / engine; 1.0 = as fast, the issue's
goal is >= 0.95), and the time from the script's start to the first worker ready (engine:
RunSummary.startup_s; bare: a Pool(2) and one `apply` of a trivial call).

Both sides run with the project's bytecode compiled first, as an installed app has it (pip
compiles on install; a checkout writes it on its first run): a machine that sets
PYTHONDONTWRITEBYTECODE would otherwise compile every module from source in every fresh
process, a cost no user pays (about 25 ms a run here, workers included).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ENGINE = """
import json, time
began = time.perf_counter()
from app.engine import Run, RunConfig
from app.workloads import WORKLOADS
inputs = WORKLOADS[{workload!r}].make_inputs({tasks})
run = Run(RunConfig(workload={workload!r}, inputs=tuple(inputs), workers={workers}))
run.start()
summary = run.wait(timeout=900)
assert summary.completed == {tasks} and summary.failed == 0, summary
print(json.dumps({{"inside_s": time.perf_counter() - began, "ready_s": summary.startup_s}}))
"""

BARE = """
import json, multiprocessing, time
began = time.perf_counter()
from app.workloads import WORKLOADS
workload = WORKLOADS[{workload!r}]
inputs = workload.make_inputs({tasks})
with multiprocessing.get_context("spawn").Pool({workers}) as pool:
    results = pool.map(workload.func, inputs)
assert len(results) == {tasks}
print(json.dumps({{"inside_s": time.perf_counter() - began}}))
"""

BARE_READY = """
import json, multiprocessing, time
began = time.perf_counter()
with multiprocessing.get_context("spawn").Pool({workers}) as pool:
    pool.apply(abs, (1,))
    ready = time.perf_counter() - began
print(json.dumps({{"ready_s": ready}}))
"""


def cold(script: str) -> tuple[float, dict]:
    wall, stdout = _timed([sys.executable, "-c", script])
    return wall, json.loads(stdout)


def cold_cli(workload: str, tasks: int, workers: int) -> float:
    command = ["-m", "app", "run", "--workload", workload, "--tasks", str(tasks)]
    return _timed([sys.executable, *command, "--workers", str(workers)])[0]


def _timed(command: list[str]) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed app runs (see above)
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    return time.perf_counter() - began, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--huge", action="store_true", help="also 10,000,000 power tasks")
    args = parser.parse_args()
    jobs = [("power", 200_000), ("primes", 48)] + ([("power", 10_000_000)] if args.huge else [])
    compileall.compile_dir(ROOT / "app", quiet=1)
    process_s: dict[str, list[float]] = {}
    ready_s: dict[str, list[float]] = {"engine": [], "bare": []}
    for run_number in range(args.runs):
        for workload, tasks in jobs:
            values = {"workload": workload, "tasks": tasks, "workers": args.workers}
            sides = [("engine", ENGINE), ("cli", None), ("bare", BARE)]
            for side, template in sides if run_number % 2 == 0 else sides[::-1]:
                if template is None:
                    wall = cold_cli(workload, tasks, args.workers)
                else:
                    wall, report = cold(template.format(**values))
                process_s.setdefault(f"{side} {workload} {tasks:,}", []).append(wall)
                if side == "engine":
                    ready_s["engine"].append(report["ready_s"])
        ready_s["bare"].append(cold(BARE_READY.format(workers=args.workers))[1]["ready_s"])
        print(f"run {run_number + 1}/{args.runs} done", file=sys.stderr)
    print(
        f"cold runs: a fresh process each, {args.workers} spawned workers, medians of "
        f"{args.runs}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(f"  {'case':<28} {'median':>8} {'fastest':>8} {'slowest':>8}")
    for name, values in process_s.items():
        median = statistics.median(values)
        print(f"  {name:<28} {median:8.3f} {min(values):8.3f} {max(values):8.3f} s")
    print("speed against bare Pool.map (bare median / median; goal >= 0.95)")
    for workload, tasks in jobs:
        key = f"{workload} {tasks:,}"
        for side in ("engine", "cli"):
            ratio = statistics.median(process_s[f"bare {key}"]) / statistics.median(
                process_s[f"{side} {key}"]
            )
            verdict = "met" if ratio >= 0.95 else "MISSED"
            print(f"  {side:<7} {key:<20} {ratio:6.2f}x   {verdict}")
    print("start to first worker ready, inside the script (median, fastest, slowest)")
    for side, values in ready_s.items():
        print(f"  {side:<8} {statistics.median(values):.3f} {min(values):.3f} {max(values):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
