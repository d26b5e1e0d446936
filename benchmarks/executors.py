"""Pool, ProcessPoolExecutor and a local Dask cluster on the same inputs: wall-time ratios,
and what each costs per task.

Each executor is used the way a student's script would use it, with no engine in between:

    Pool(2).map(func, inputs)
    ProcessPoolExecutor(2).map(func, inputs)
    client.gather(client.map(func, inputs))   # LocalCluster(n_workers=2, threads_per_worker=1)

Three measurements per round, rounds alternating the executors so that a busy machine's drift
hits all of them alike; the table shows medians over the rounds:

* **cold**: `primes` from creating the pool (or cluster) to having every result, pool closed;
* **warm**: the same map on a pool (cluster) that is already up: the work and its sending;
* **per task**: many tiny tasks (`power` of 2), one task per message (Pool.map with chunksize 1,
  one future per task), on a warm pool: wall time / tasks, the cost of one round trip.

    python benchmarks/executors.py                 # 3 rounds, 2 workers
    python benchmarks/executors.py --rounds 5 --json

Needs `dask[distributed]` (the cluster extra) for the Dask column; without it, that column is
left out.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import json
import logging
import math
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.workloads import WORKLOADS  # noqa: E402

PRIMES = WORKLOADS["primes"].func
POWER = WORKLOADS["power"].func


class PoolCase:
    name = "Pool"

    def __init__(self, workers: int, method: str) -> None:
        self.workers, self.method = workers, method

    def open(self):
        return multiprocessing.get_context(self.method).Pool(self.workers)

    def map(self, pool, func, inputs: list, one_by_one: bool = False) -> list:
        return pool.map(func, inputs, chunksize=1 if one_by_one else None)

    def close(self, pool) -> None:
        pool.close()
        pool.join()


class ExecutorCase(PoolCase):
    name = "ProcessPoolExecutor"

    def open(self):
        context = multiprocessing.get_context(self.method)
        executor = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=context)
        return executor

    def map(self, executor, func, inputs: list, one_by_one: bool = False) -> list:
        # ProcessPoolExecutor.map sends one input per message unless given a chunksize: give
        # it Pool.map's own default (four chunks per worker), so both send alike.
        chunksize = 1 if one_by_one else math.ceil(len(inputs) / (4 * self.workers))
        return list(executor.map(func, inputs, chunksize=chunksize))

    def close(self, executor) -> None:
        executor.shutdown(wait=True)


class DaskCase(PoolCase):
    name = "Dask LocalCluster"

    def open(self):
        import distributed

        for logger in ("distributed", "tornado", "bokeh"):
            logging.getLogger(logger).setLevel(logging.CRITICAL)
        cluster = distributed.LocalCluster(
            n_workers=self.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",  # its HTTP server starts anyway: not on 8787
            silence_logs=logging.CRITICAL,
        )
        return cluster, distributed.Client(cluster, set_as_default=False)

    def map(self, opened, func, inputs: list, one_by_one: bool = False) -> list:
        _, client = opened
        # One future per input: Dask has no chunks (a batch would be the user's own code).
        futures = client.map(func, inputs, pure=False)
        return client.gather(futures)

    def close(self, opened) -> None:
        cluster, client = opened
        client.close()
        cluster.close()


def timed(case: PoolCase, func, inputs: list, warm: bool, one_by_one: bool = False) -> float:
    """Wall time of one map: with the pool's start and close (cold), or without (warm)."""
    began = time.perf_counter()
    opened = case.open()
    try:
        if warm:
            case.map(opened, func, inputs[: 2 * case.workers], one_by_one)  # every worker up
            began = time.perf_counter()
        results = case.map(opened, func, inputs, one_by_one)
        elapsed = time.perf_counter() - began
    finally:
        case.close(opened)
    assert len(results) == len(inputs)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--primes-tasks", type=int, default=48)
    parser.add_argument("--tiny-tasks", type=int, default=4000)
    parser.add_argument("--start-method", default="spawn")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    cases: list[PoolCase] = [PoolCase, ExecutorCase]
    if importlib.util.find_spec("distributed") is not None:
        cases.append(DaskCase)
    cases = [cls(args.workers, args.start_method) for cls in cases]
    primes = WORKLOADS["primes"].make_inputs(args.primes_tasks)
    tiny = [2] * args.tiny_tasks

    times: dict[str, dict[str, list[float]]] = {
        case.name: {"cold": [], "warm": [], "per_task": []} for case in cases
    }
    for round_number in range(args.rounds):
        order = cases if round_number % 2 == 0 else cases[::-1]
        for case in order:
            measured = times[case.name]
            measured["cold"].append(timed(case, PRIMES, primes, warm=False))
            measured["warm"].append(timed(case, PRIMES, primes, warm=True))
            per_task = timed(case, POWER, tiny, warm=True, one_by_one=True) / len(tiny)
            measured["per_task"].append(per_task)
        print(f"round {round_number + 1} of {args.rounds} done", file=sys.stderr)

    medians = {
        name: {kind: statistics.median(values) for kind, values in measured.items()}
        for name, measured in times.items()
    }
    pool = medians["Pool"]
    if args.json:
        print(json.dumps({"settings": vars(args), "medians": medians, "times": times}, indent=1))
        return 0
    print(
        f"{args.primes_tasks} primes tasks, {args.tiny_tasks:,} tiny tasks, {args.workers} "
        f"workers, {args.start_method}, medians of {args.rounds} rounds"
    )
    print(
        f"  {'executor':<20} {'cold s':>7} {'/ Pool':>7} {'warm s':>7} {'/ Pool':>7} "
        f"{'µs per task':>12} {'/ Pool':>7}"
    )
    for name, median in medians.items():
        print(
            f"  {name:<20} {median['cold']:>7.2f} {median['cold'] / pool['cold']:>7.2f} "
            f"{median['warm']:>7.2f} {median['warm'] / pool['warm']:>7.2f} "
            f"{median['per_task'] * 1e6:>12,.0f} {median['per_task'] / pool['per_task']:>7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
