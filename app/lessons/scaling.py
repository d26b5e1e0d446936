"""How far it scales: primes on 1 to 2 x CPU count processes, with Amdahl's law fitted."""

from __future__ import annotations

from app.lessons.lesson import SPEEDUP_CHART, Case, Lesson, amdahl_of, factor


def cases(cpus: int, quick: bool) -> list[Case]:
    tasks = 8 if quick else 120
    return [Case("primes", "process", n, tasks) for n in range(1, 2 * cpus + 1)]


def conclude(points) -> str:
    measured = [p for p in points if p.speedup is not None]
    if len(measured) < 2:
        return "Not enough runs finished to see how it scales."
    said = ", ".join(f"{p.case.workers}: {factor(p)}" for p in measured)
    text = f"Speedup by workers: {said}."
    # The matrix goes to twice the CPU count: Amdahl's law is fitted up to one worker a core.
    cores = max(p.case.workers for p in points) // 2 or 1
    fit = amdahl_of(points, cores)
    if fit is not None:
        text += f" Amdahl's law fitted to 1 to {cores} workers: {fit.describe()}."
    best = max(p.speedup for p in measured)
    # Where it stops gaining: the fewest workers within 10 % of the best speedup.
    enough = min(p.case.workers for p in measured if p.speedup >= 0.9 * best)
    if enough < max(p.case.workers for p in measured):
        text += (
            f" Past {enough} workers it stops gaining: there are no more cores to run on, and "
            "more workers only take turns."
        )
    return text


LESSON = Lesson(
    name="scaling",
    title="How far does it scale?",
    question="Twice the workers, twice as fast? Up to how many?",
    explanation=(
        "Counting primes on 1 up to 2 x CPU count worker processes. Amdahl's law says a "
        "serial part s of the work limits the speedup to 1/s however many cores there are."
    ),
    chart=SPEEDUP_CHART,
    make_cases=cases,
    conclude=conclude,
    fits_amdahl=True,
)
