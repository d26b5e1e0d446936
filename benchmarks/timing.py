"""How every benchmark times one case: from creating the pool to having every result back and
the pool gone, for a bare `Pool.map` and for the engine alike."""

from __future__ import annotations

import multiprocessing
import time

from app.engine import Run, RunConfig
from app.workloads import WORKLOADS


def bare_pool_map(
    workload: str, inputs: list, workers: int, method: str, chunksize: int | None = None
) -> float:
    """The tutorial's way: `Pool(workers).map(func, inputs[, chunksize])`."""
    func = WORKLOADS[workload].func
    began = time.perf_counter()
    with multiprocessing.get_context(method).Pool(workers) as pool:
        results = pool.map(func, inputs, chunksize=chunksize)
    elapsed = time.perf_counter() - began
    assert len(results) == len(inputs)
    return elapsed


def engine(
    workload: str,
    inputs: list,
    workers: int,
    method: str,
    executor: str = "process",
    chunksize: int = 0,
) -> float:
    """The same inputs through the engine, every result checked in."""
    began = time.perf_counter()
    run = Run(
        RunConfig(
            workload=workload,
            inputs=tuple(inputs),
            workers=workers,
            executor=executor,
            chunksize=chunksize,
            start_method=method,
        )
    )
    run.start()
    summary = run.wait(timeout=600)
    elapsed = time.perf_counter() - began
    assert summary.completed == len(inputs) and summary.failed == 0, summary
    return elapsed
