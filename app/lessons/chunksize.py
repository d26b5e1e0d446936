"""The cost of sending work: tiny tasks at chunksize 1, 10, 100, 1000 and auto."""

from __future__ import annotations

from app.lessons.lesson import CHUNKSIZE_CHART, Case, Lesson
from app.stats.numbers import format_rate

CHUNKSIZES = (1, 10, 100, 1000, 0)  # 0: the engine sizes chunks from measured task times


def cases(cpus: int, quick: bool) -> list[Case]:
    tasks = 2_000 if quick else 20_000
    workers = min(2, 2 * cpus)
    return [Case("power", "process", workers, tasks, chunksize=size) for size in CHUNKSIZES]


def conclude(points) -> str:
    by_size = {p.case.chunksize: p for p in points}
    one, big = by_size.get(1), by_size.get(1000)
    if one is None or big is None:
        return "Not enough runs finished to compare chunksizes."
    times = big.throughput / one.throughput if one.throughput else 0.0
    said = (
        f"Chunksize 1: {format_rate(one.throughput)}; chunksize 1000: "
        f"{format_rate(big.throughput)}, {times:.0f}× as many."
    )
    auto = by_size.get(0)
    if auto is not None:
        said += f" Auto chunks: {format_rate(auto.throughput)}."
    if times < 2:
        return said + " Bigger chunks barely helped here: these tasks may not be tiny enough."
    return said + (
        " Each chunk is one message: pickled, sent, unpickled, and its results sent back. "
        "When a task takes microseconds, the messages cost more than the work, so tiny tasks "
        "need big chunks."
    )


LESSON = Lesson(
    name="chunksize",
    title="Chunksize: the cost of sending work",
    question="20,000 tasks of a microsecond each: chunksize 1 or 1000, how much difference?",
    explanation=(
        "The tutorial's x**x on 2 processes, sending 1, 10, 100 or 1000 tasks per message, "
        "and letting the engine choose (auto)."
    ),
    chart=CHUNKSIZE_CHART,
    make_cases=cases,
    conclude=conclude,
)
