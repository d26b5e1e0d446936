"""The GIL: CPU-bound Python on threads against processes."""

from __future__ import annotations

from app.lessons.lesson import (
    NOT_ENOUGH_TO_COMPARE,
    SPEEDUP_CHART,
    Case,
    Lesson,
    factor,
    serial_threads_and_processes,
    startup_dominates,
    threads_and_processes,
)


def cases(cpus: int, quick: bool) -> list[Case]:
    return serial_threads_and_processes("primes", 8 if quick else 100, cpus)


def conclude(points) -> str:
    pair = threads_and_processes(points)
    if pair is None:
        return NOT_ENOUGH_TO_COMPARE
    threads, processes = pair
    said = (
        f"{processes.case.label} ran {factor(processes)} as fast as serial; "
        f"{threads.case.label} {factor(threads)}."
    )
    if threads.speedup >= 1.5:
        return said + (
            " Threads scaled on pure Python: this Python may run without the GIL (a "
            "free-threaded build)."
        )
    if processes.speedup is not None and processes.speedup < 1.3:
        if note := startup_dominates(processes):
            return f"{said} {note}"
        return said + (
            " Processes did not help either: this computer may have only one free core, or "
            "be busy with other work."
        )
    return said + (
        " Only one thread runs Python at a time (the GIL), so threads take turns; each "
        "process has its own interpreter and its own GIL, so processes run in parallel."
    )


LESSON = Lesson(
    name="gil",
    title="The GIL: threads against processes",
    question="Two threads counting primes: how much faster than one?",
    explanation=(
        "The same pure-Python work (counting primes) runs serially, on threads and on "
        "processes. Pure Python holds the Global Interpreter Lock while it runs."
    ),
    chart=SPEEDUP_CHART,
    make_cases=cases,
    conclude=conclude,
)
