"""The classic tutorial itself: Pool.map of x**x, and Process + Queue."""

from __future__ import annotations

import multiprocessing
import os
import random

from app.engine.config import DEFAULT_START_METHOD
from app.lessons.lesson import TIMELINE_CHART, Case, Lesson

INPUTS = (4, 2, 3, 5, 3, 2, 1, 2)


def cases(cpus: int, quick: bool) -> list[Case]:
    return [Case("power", "process", min(4, 2 * cpus), inputs=INPUTS, chunksize=1)]


def conclude(points) -> str:
    if not points:
        return "The run did not finish."
    run = points[0].runs[0]
    names = sorted({w.name for w in run.per_worker if w.tasks})
    workers = f"{len(names)} worker process{'es' if len(names) != 1 else ''}"
    text = (
        f"pool.map gave {run.results} in input order, computed by {workers} "
        f"({', '.join(names)}): each input went to whichever worker was free, and the pool "
        "put the results back in order."
    )
    if len(names) < run.workers:
        text += (
            f" {run.workers - len(names)} of the {run.workers} workers got none: x**x takes "
            "microseconds, so the first worker ready took task after task before the others "
            "had started."
        )
    return text


def printout(points, computed_by: dict[int, tuple[str, int]]) -> list[str]:
    """What the tutorial prints: each input, its result, and the process that computed it."""
    if not points:
        return []
    lines = []
    results = points[0].runs[-1].results or []
    for index, (value, result) in enumerate(zip(INPUTS, results, strict=True)):
        name, pid = computed_by.get(index, ("?", 0))
        lines.append(f"{value}**{value} = {result}   computed by {name} (pid {pid})")
    return lines


def _put_random(queue) -> None:
    queue.put((multiprocessing.current_process().name, os.getpid(), random.random()))


def process_and_queue_lines() -> list[str]:
    """The Process + Queue example as the tutorial prints it."""
    lines = ["Process + Queue: each process put one random number on the Queue:"]
    for name, pid, number in process_and_queue():
        lines.append(f"  {name} (pid {pid}) put {number:.6f}")
    return lines


def process_and_queue(processes: int = 4) -> list[tuple[str, int, float]]:
    """The tutorial's first example: each Process puts a random number on a Queue, and the
    parent reads them back. Blocks until they have all ended (call it off the GUI thread)."""
    context = multiprocessing.get_context(DEFAULT_START_METHOD)
    queue = context.Queue()
    workers = [context.Process(target=_put_random, args=(queue,)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    numbers = [queue.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    return numbers


LESSON = Lesson(
    name="tutorial",
    title="The tutorial: Pool.map of x**x",
    question="pool.map(my_func, [4, 2, 3, 5, 3, 2, 1, 2]) on 4 workers: who computes what?",
    explanation=(
        "The classic tutorial's example, exactly: each input x becomes x**x on a pool of "
        "worker processes, one task per message (chunksize 1)."
    ),
    chart=TIMELINE_CHART,
    make_cases=cases,
    conclude=conclude,
    repeats=1,
    printout=printout,
    demo=process_and_queue_lines,
)
