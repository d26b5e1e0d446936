"""How long workers take to start, under each start method this OS has."""

from __future__ import annotations

from app.engine.config import available_start_methods
from app.lessons.lesson import STARTUP_CHART, Case, Lesson, worker_counts
from app.stats.numbers import format_duration


def cases(cpus: int, quick: bool) -> list[Case]:
    return [
        Case("power", "process", n, 2 * n, start_method=method)
        for method in available_start_methods()
        for n in worker_counts(cpus)
    ]


def conclude(points) -> str:
    if not points:
        return "No run finished."
    most = max(p.case.workers for p in points)
    at_most = sorted((p for p in points if p.case.workers == most), key=lambda p: p.startup.median)
    said = "; ".join(f"{p.case.start_method}: {format_duration(p.startup.median)}" for p in at_most)
    text = f"Time until all {most} workers were ready: {said}."
    methods = {p.case.start_method for p in at_most}
    if "fork" in methods and "spawn" in methods:
        text += (
            " fork copies the running parent, so a worker is ready almost at once; spawn "
            "starts a fresh interpreter that imports everything again (the default on "
            "Windows and macOS, and the safe one with threads); forkserver forks from a "
            "small server started once."
        )
    return text


LESSON = Lesson(
    name="start-methods",
    title="Start methods: spawn, fork, forkserver",
    question="How long does a new worker process take to be ready?",
    explanation=(
        "The same tiny job with 1, 2 and 4 workers, started with each start method this "
        "operating system offers. The chart shows the time from Start to the last worker ready."
    ),
    chart=STARTUP_CHART,
    make_cases=cases,
    conclude=conclude,
)
