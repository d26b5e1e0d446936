"""Measure an engine change: the same cases through two checkouts of the app, alternating.

On a shared machine whose load swings from one minute to the next, two benchmark runs taken
one after the other compare the load, not the code. This script runs each case through the
checkout before a change and the one after it back to back, in fresh processes, swapping
which goes first every round, and prints each side's median and the median of the paired
ratios (after / before time: above 1 is slower).

    git archive HEAD~3 | tar -x -C /tmp/before     # the engine before the change
    python benchmarks/before_after.py /tmp/before . --rounds 9

Each timing is `benchmarks/timing.py`'s own, from creating the pool to the last result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

# name: (workload, tasks, workers, executor, chunksize)
CASES = {
    "primes, 96 tasks, 2 processes": ("primes", 96, 2, "process", 0),
    "power, 200,000 tasks, 2 processes": ("power", 200_000, 2, "process", 0),
    "power, 20,000 tasks, chunksize 1": ("power", 20_000, 2, "process", 1),
    "power, 20,000 tasks, chunksize 10": ("power", 20_000, 2, "process", 10),
    "primes, 96 tasks, 2 threads": ("primes", 96, 2, "thread", 0),
}

TIME_ONE = """
import sys
sys.path[:0] = [{root!r}, {benchmarks!r}]
from timing import engine
from app.workloads import WORKLOADS
inputs = WORKLOADS[{workload!r}].make_inputs({tasks})
print(engine({workload!r}, inputs, {workers}, "spawn", {executor!r}, {chunksize}))
"""


def time_case(root: Path, case: tuple) -> float:
    workload, tasks, workers, executor, chunksize = case
    code = TIME_ONE.format(
        root=str(root),
        benchmarks=str(root / "benchmarks"),
        workload=workload,
        tasks=tasks,
        workers=workers,
        executor=executor,
        chunksize=chunksize,
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a checkout of the app before the change")
    parser.add_argument("after", type=Path, help="a checkout after it (this one: .)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    times: dict[str, dict[str, list[float]]] = {name: {"before": [], "after": []} for name in CASES}
    for round_number in range(args.rounds):
        order = ("before", "after") if round_number % 2 == 0 else ("after", "before")
        for name, case in CASES.items():
            for side in order:
                times[name][side].append(time_case(sides[side], case))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    table = {}
    for name, by_side in times.items():
        ratios = [a / b for a, b in zip(by_side["after"], by_side["before"], strict=True)]
        table[name] = {
            "before_s": statistics.median(by_side["before"]),
            "after_s": statistics.median(by_side["after"]),
            "after_over_before": statistics.median(ratios),
        }
    if args.json:
        print(json.dumps({"rounds": args.rounds, "cases": table, "times": times}))
        return 0
    print(f"medians of {args.rounds} rounds, before and after alternating (above 1x: slower)")
    print(f"  {'case':<36} {'before':>8} {'after':>8} {'after/before':>13}")
    for name, row in table.items():
        print(
            f"  {name:<36} {row['before_s']:>7.3f}s {row['after_s']:>7.3f}s "
            f"{row['after_over_before']:>12.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
