"""How long each workload's default run lasts: `python -m app run --workload W --json`, with no
`--tasks` (the window's default), each in a fresh process, several times; prints medians.

    python benchmarks/default_runs.py                 # every workload, 3 runs each
    python benchmarks/default_runs.py --runs 5 primes sleep

The issue that set the default task counts asked for 5 to 15 s on 2 processes, long enough
for a class to watch; `power` is the exception (see its explanation in app/workloads).
Rounds alternate the workloads, so drift on a busy machine hits them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.workloads import WORKLOADS  # noqa: E402


def default_run(workload: str, workers: int, extra: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "app", "run", "--workload", workload, "--workers", str(workers),
         "--json", *extra],
        capture_output=True, text=True, check=True, cwd=ROOT, env=env,
    )  # fmt: skip
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunksize", default="0")
    args = parser.parse_args()
    walls: dict[str, list[float]] = {name: [] for name in args.workloads}
    startups: dict[str, list[float]] = {name: [] for name in args.workloads}
    for round_number in range(args.runs):
        order = args.workloads if round_number % 2 == 0 else args.workloads[::-1]
        for name in order:
            data = default_run(name, args.workers, ["--chunksize", args.chunksize])
            walls[name].append(data["wall_s"])
            startups[name].append(data["startup_s"])
        print(f"round {round_number + 1}/{args.runs} done", file=sys.stderr)
    print(f"default runs on {args.workers} processes, {args.runs} runs each, {os.cpu_count()} CPUs")
    print(f"  {'workload':<11} {'tasks':>8} {'median s':>9} {'fastest':>8} {'slowest':>8} "
          f"{'start-up':>9}")  # fmt: skip
    for name in args.workloads:
        print(
            f"  {name:<11} {WORKLOADS[name].default_tasks:>8,} "
            f"{statistics.median(walls[name]):>9.2f} {min(walls[name]):>8.2f} "
            f"{max(walls[name]):>8.2f} {statistics.median(startups[name]):>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
