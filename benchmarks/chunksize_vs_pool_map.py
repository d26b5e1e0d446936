"""The engine at a fixed chunksize against a bare `Pool.map(..., chunksize=C)`, in one run.

    python benchmarks/chunksize_vs_pool_map.py                  # 20,000 power tasks, 7 rounds
    python benchmarks/chunksize_vs_pool_map.py --chunksizes 1,10,100 --tasks 20000 --rounds 9

Both sides get the same function, inputs, 2 spawned workers and chunksize, and are timed the
same way: from creating the pool to having every result and the pool gone. Each round runs
every case once, in alternating order; the table shows medians and the ratio of medians
(bare time / engine time: 1.0 means the engine is as fast as the bare pool). The issue's goal
is >= 0.9 at chunksize 1, where every task is a message each way: the engine then also
reports every task (its telemetry), which is what the ratio measures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import bare_pool_map, engine  # noqa: E402  (benchmarks/timing.py, beside this)

from app.workloads import WORKLOADS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="power")
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--chunksizes", default="1,10,100")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start-method", default="spawn")
    args = parser.parse_args()
    workload = WORKLOADS[args.workload]
    inputs = workload.make_inputs(args.tasks)
    sizes = [int(size) for size in args.chunksizes.split(",")]
    cases = {}
    for size in sizes:
        cases[f"bare Pool.map chunksize {size}"] = lambda size=size: bare_pool_map(
            args.workload, inputs, args.workers, args.start_method, chunksize=size
        )
        cases[f"engine chunksize {size}"] = lambda size=size: engine(
            args.workload, inputs, args.workers, args.start_method, chunksize=size
        )
    times: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for round_number in range(args.rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            times[name].append(cases[name]())
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"{args.tasks:,} {args.workload} tasks on {args.workers} {args.start_method} workers, "
        f"medians of {args.rounds} rounds, {multiprocessing.cpu_count()} CPUs"
    )
    print(f"  {'case':<30} {'median':>8} {'fastest':>8} {'slowest':>8}")
    for name, values in times.items():
        print(f"  {name:<30} {median[name]:8.3f} {min(values):8.3f} {max(values):8.3f} s")
    print("engine speed against bare Pool.map (bare median / engine median; goal >= 0.9)")
    for size in sizes:
        ratio = median[f"bare Pool.map chunksize {size}"] / median[f"engine chunksize {size}"]
        print(f"  chunksize {size:<6} {ratio:6.2f}x   {'met' if ratio >= 0.9 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
