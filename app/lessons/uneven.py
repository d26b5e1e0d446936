"""Uneven tasks: one static block per worker against small chunks (Mandelbrot rows)."""

from __future__ import annotations

import math

from app.lessons.lesson import TIMELINE_CHART, Case, Lesson
from app.stats.numbers import format_duration

ROWS = 480


def cases(cpus: int, quick: bool) -> list[Case]:
    rows = 96 if quick else ROWS
    workers = min(2, 2 * cpus)
    static = math.ceil(rows / workers)
    return [
        Case("mandelbrot", "process", workers, rows, chunksize=static),
        Case("mandelbrot", "process", workers, rows, chunksize=4),
    ]


def conclude(points) -> str:
    if len(points) < 2:
        return "Not enough runs finished to compare the two ways of cutting the work."
    static, small = sorted(points, key=lambda p: -p.case.chunksize)[:2]
    busiest_gap = _idle_share(static)
    said = (
        f"One block of {static.case.chunksize} rows per worker took "
        f"{format_duration(static.wall.median)}; chunks of {small.case.chunksize} rows "
        f"{format_duration(small.wall.median)}."
    )
    if small.wall.median < 0.9 * static.wall.median:
        return said + (
            f" With one block each, a worker sat idle for {busiest_gap:.0%} of the run while "
            "the other finished the expensive rows through the middle of the set (see the "
            "timeline). Small chunks keep every worker busy to the end."
        )
    return said + " The blocks happened to be about even here; try more workers."


def _idle_share(point) -> float:
    """How much of the run the least busy worker of the static run spent without work."""
    run = point.runs[0]
    if not run.per_worker:
        return 0.0
    return 1.0 - min(w.utilisation for w in run.per_worker)


LESSON = Lesson(
    name="uneven",
    title="Uneven tasks: big blocks against small chunks",
    question="Two workers, one half of the image each: do they finish together?",
    explanation=(
        "Each task is a row of a Mandelbrot image; rows through the middle cost many times "
        "more. First each worker gets one static block of rows, then rows go in chunks of 4."
    ),
    chart=TIMELINE_CHART,
    make_cases=cases,
    conclude=conclude,
)
