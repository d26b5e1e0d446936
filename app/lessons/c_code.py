"""C code that releases the GIL: threads scale too."""

from __future__ import annotations

from app.lessons.lesson import (
    NOT_ENOUGH_TO_COMPARE,
    SPEEDUP_CHART,
    Case,
    Lesson,
    factor,
    serial_threads_and_processes,
    threads_and_processes,
)


def cases(cpus: int, quick: bool) -> list[Case]:
    return serial_threads_and_processes("hash", 6 if quick else 64, cpus)


def conclude(points) -> str:
    pair = threads_and_processes(points)
    if pair is None:
        return NOT_ENOUGH_TO_COMPARE
    threads, processes = pair
    said = (
        f"{threads.case.label} ran {factor(threads)} as fast as serial; "
        f"{processes.case.label} {factor(processes)}."
    )
    if threads.speedup >= 1.4:
        return said + (
            " hashlib releases the GIL while it hashes, so threads run in parallel like "
            "processes, without starting processes or copying data to them."
        )
    return said + (
        " Threads did not scale here: this build's hashlib may hold the GIL for small "
        "buffers, or the machine is busy."
    )


LESSON = Lesson(
    name="c-code",
    title="C code that releases the GIL",
    question="hashlib hashing on two threads: faster than one?",
    explanation=(
        "Each task computes SHA-256 of a large buffer. The hashing happens in C, which can let "
        "go of the GIL while it works."
    ),
    chart=SPEEDUP_CHART,
    make_cases=cases,
    conclude=conclude,
)
