"""Running a lesson: its cases one after another through the engine, then its conclusion.

Each case runs `repeats` times, the cases alternating (all once, then all again), so drift
on a busy machine hits every case alike; each point is the median of its runs. The runner
only decides what runs next and keeps what came back: the window drives each run through its
`RunController`, the command line through `run_headless`. A stopped or failed run stops the
lesson.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.engine import Run
from app.engine.records import RunSummary, Segment
from app.lessons.lesson import Case, Lesson, Point, amdahl_of, measure
from app.stats.amdahl import AmdahlFit


class LessonRunner:
    def __init__(
        self, lesson: Lesson, cpus: int, quick: bool = False, repeats: int | None = None
    ) -> None:
        self.lesson = lesson
        self.cpus = cpus
        self.cases = lesson.cases(cpus, quick)
        count = 1 if quick else (repeats or lesson.repeats)
        self.plan: tuple[Case, ...] = tuple(case for _ in range(count) for case in self.cases)
        self.finished: list[tuple[Case, RunSummary]] = []
        self.computed_by: dict[int, tuple[str, int]] = {}  # the latest run: task -> worker
        self.ended_early: str | None = None  # why the lesson stopped before its last run
        self.demo_lines: list[str] = []  # what the lesson's own demonstration printed

    @property
    def done(self) -> bool:
        return self.ended_early is not None or len(self.finished) == len(self.plan)

    def next_case(self) -> Case | None:
        """The case to run now, or None when the lesson is over."""
        return None if self.done else self.plan[len(self.finished)]

    def observe(self, events: Iterable) -> None:
        """Records of the current run: who computed which task (the tutorial prints it)."""
        for event in events:
            if isinstance(event, Segment):
                for index in range(event.first_index, event.first_index + event.count):
                    self.computed_by[index] = (event.name, event.pid)

    def record(self, summary: RunSummary) -> None:
        """The current case's run has finished."""
        case = self.plan[len(self.finished)]
        self.finished.append((case, summary))
        if summary.stopped:
            self.ended_early = "stopped"
        elif summary.error:
            self.ended_early = summary.error

    def start_next(self) -> None:
        """Forget the previous run's details before the next one starts."""
        self.computed_by = {}

    def points(self) -> list[Point]:
        return measure(self.cases, self.finished)

    def conclusion(self) -> str:
        if not self.finished:
            return "No run finished."
        text = self.lesson.conclude(self.points())
        if self.ended_early == "stopped":
            text = "Stopped before the end; from the runs that finished: " + text
        elif self.ended_early:
            text = f"A run failed ({self.ended_early}); from the runs that finished: " + text
        return text

    def run_demo(self) -> list[str]:
        """The lesson's plain-multiprocessing demonstration, if it has one (blocks)."""
        if self.lesson.demo is not None and self.ended_early is None:
            self.demo_lines = self.lesson.demo()
        return self.demo_lines

    def printout(self) -> list[str]:
        """The lesson's own lines to show (the tutorial's input -> result -> worker)."""
        show = self.lesson.printout
        return show(self.points(), self.computed_by) if show and self.finished else []

    def amdahl(self) -> AmdahlFit | None:
        return amdahl_of(self.points(), self.cpus) if self.lesson.fits_amdahl else None

    def run_headless(
        self,
        make_run: Callable[..., Run] = Run,
        on_finished: Callable[[Case, RunSummary], None] | None = None,
        poll: Callable[[Run], list] | None = None,
    ) -> None:
        """Run every case here and now (the command line): blocks until the lesson is over."""
        while (case := self.next_case()) is not None:
            self.start_next()
            run = make_run(case.config())
            run.start()
            try:
                while not run.finished:
                    self.observe(poll(run) if poll else run.poll(timeout=0.05, budget_s=0.1))
            finally:
                if not run.finished:
                    run.stop()
                    run.wait(10)
            self.record(run.summary)
            if on_finished is not None:
                on_finished(case, run.summary)
        self.run_demo()
