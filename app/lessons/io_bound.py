"""Waiting (I/O) on threads and on processes: threads are enough for waiting."""

from __future__ import annotations

from app.lessons.lesson import (
    NOT_ENOUGH_TO_COMPARE,
    SPEEDUP_CHART,
    Case,
    Lesson,
    factor,
    find,
    worker_counts,
)
from app.stats.numbers import format_duration


def cases(cpus: int, quick: bool) -> list[Case]:
    tasks = 4 if quick else 24
    return [
        Case("sleep", executor, n, tasks)
        for executor in ("thread", "process")
        for n in worker_counts(cpus)
    ]


def conclude(points) -> str:
    threads, processes = find(points, "thread"), find(points, "process")
    if threads is None or processes is None or threads.speedup is None:
        return NOT_ENOUGH_TO_COMPARE
    said = (
        f"{threads.case.label} ran {factor(threads)} as fast as 1 thread; "
        f"{processes.case.label} {factor(processes)} as fast as 1 process."
    )
    if threads.speedup < 0.6 * threads.case.workers:
        return said + " Threads did not scale as waiting should: the machine may be busy."
    faster = "threads" if threads.wall.median <= processes.wall.median else "processes"
    return said + (
        " Waiting needs no CPU and releases the GIL, so threads overlap their waits as well "
        f"as processes do. Here {faster} finished first ({format_duration(threads.wall.median)}"
        f" against {format_duration(processes.wall.median)}): threads start faster, and more "
        "workers than cores still help."
    )


LESSON = Lesson(
    name="io",
    title="Waiting: threads are enough",
    question="Tasks that wait 100 ms each: do threads help as much as processes?",
    explanation=(
        "Each task sleeps 100 ms, standing for a download or a disk read. Threads and "
        "processes run them with 1, 2 and 4 workers."
    ),
    chart=SPEEDUP_CHART,
    make_cases=cases,
    conclude=conclude,
)
