"""Lessons: one press runs a comparison, and the app says what it shows.

Each lesson is one module here, data and a rule that reads measurements, no Qt. To add one:
a new module with a `LESSON`, and its name in `_MODULES`.
"""

from __future__ import annotations

from importlib import import_module

from app.lessons.lesson import Case, Lesson, Point

_MODULES = (
    "tutorial",
    "gil",
    "io_bound",
    "c_code",
    "chunksize",
    "uneven",
    "start_methods",
    "scaling",
)

LESSONS: dict[str, Lesson] = {
    lesson.name: lesson
    for lesson in (import_module(f"{__name__}.{module}").LESSON for module in _MODULES)
}

__all__ = ["LESSONS", "Case", "Lesson", "Point"]
