"""This computer and this Python: the facts that decide what a run can show.

How many CPUs there are (and, on Python 3.13+, how many this process may use), which Python runs
the workers, and whether its threads share one GIL. On a free-threaded build (3.13t and later,
with the GIL off) threads can compute side by side, and the GIL lesson shows something else.
Standard library only: the CLI's JSON, the window's About box and its CPU line all read it.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    cpu_count: int  # os.cpu_count(): the CPUs the computer has
    process_cpu_count: int | None  # os.process_cpu_count() (3.13+): those this process may use
    python_version: str  # "3.11.7"
    implementation: str  # "CPython", "PyPy"
    gil_enabled: bool  # False only on a free-threaded build running with the GIL off

    @property
    def python_text(self) -> str:
        """'Python 3.11 (GIL on)': the short line for the screen."""
        major_minor = ".".join(self.python_version.split(".")[:2])
        name = "Python" if self.implementation == "CPython" else self.implementation
        return f"{name} {major_minor} (GIL {'on' if self.gil_enabled else 'off'})"

    def to_dict(self) -> dict:
        """What `run --json` prints under "python"."""
        return {
            "version": self.python_version,
            "implementation": self.implementation,
            "gil_enabled": self.gil_enabled,
            "cpu_count": self.cpu_count,
            "process_cpu_count": self.process_cpu_count,
        }


def gil_enabled() -> bool:
    """Whether threads of this interpreter share one GIL (always, before Python 3.13)."""
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_gil_enabled is None else bool(is_gil_enabled())


def current_platform() -> PlatformFacts:
    """The facts of the computer and the Python this runs on."""
    process_cpu_count = getattr(os, "process_cpu_count", None)
    return PlatformFacts(
        cpu_count=os.cpu_count() or 1,
        process_cpu_count=process_cpu_count() if process_cpu_count is not None else None,
        python_version=platform.python_version(),
        implementation=platform.python_implementation(),
        gil_enabled=gil_enabled(),
    )
