"""Remember the teacher's last choices between launches, and never trust what was stored.

The file is INI text read by `settings_file` (never by QSettings, whose decoding of a hostile
value can abort the process). Every value may have been edited by hand, written by an older
version or truncated, so each is checked, and anything that does not fit falls back to its
default. What went wrong (a bad file, ignored values, a file that cannot be saved) is said in
words for the window's event log. Tests point the store at a temporary file (constructor
argument or the MPPLAYGROUND_SETTINGS environment variable), so they never touch the user's
real settings.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QStandardPaths

from app.engine import EXECUTORS, available_start_methods, cpu_count
from app.engine.config import DEFAULT_START_METHOD, MAX_TASKS, MAX_WORKERS
from app.gui.settings_file import SettingsFileError, read_values, why_not_writable, write_values
from app.gui.theme import DEFAULT_ZOOM, MAX_ZOOM, MIN_ZOOM
from app.workloads import WORKLOADS

SETTINGS_ENV = "MPPLAYGROUND_SETTINGS"
ORGANISATION = "MultiprocessingPlayground"
APPLICATION = "Multiprocessing Playground"
MAX_CHUNKSIZE = 100_000
MAX_LAYOUT_BYTES = 4096  # a saved window geometry or splitter state is well under 100 bytes
SPLITTERS = 4
KNOWN_KEYS = frozenset(
    [f"run/{name}" for name in ("workload", "tasks", "executor", "workers", "chunksize")]
    + ["run/start_method", "run/until_stopped", "run/scheduler", "window/geometry", "view/zoom"]
    + [f"window/splitter{i}" for i in range(SPLITTERS)]
)

T = TypeVar("T")


def max_workers() -> int:
    """As many workers as the engine allows: enough to oversubscribe any CPU, to show that
    more is not always faster (the window warns when a choice exceeds the CPU count)."""
    return MAX_WORKERS


def default_start_method() -> str:
    methods = available_start_methods()
    return DEFAULT_START_METHOD if DEFAULT_START_METHOD in methods else methods[0]


@dataclass(frozen=True, slots=True)
class PlaygroundSettings:
    workload: str
    tasks: int
    executor: str
    workers: int
    chunksize: int  # 0 means "auto"
    start_method: str
    until_stopped: bool = False  # rounds of `tasks` tasks until Stop, for live demos
    scheduler: str = ""  # the Dask scheduler's address; "" for a local cluster per run
    geometry: bytes | None = None
    splitters: tuple[bytes, ...] = ()
    zoom: int = DEFAULT_ZOOM  # presenter mode: every text and chart at this percent


def default_settings() -> PlaygroundSettings:
    workload = next(iter(WORKLOADS))
    return PlaygroundSettings(
        workload=workload,
        tasks=WORKLOADS[workload].default_tasks,
        executor="process",
        workers=min(cpu_count(), max_workers()),
        chunksize=0,
        start_method=default_start_method(),
    )


def default_location() -> Path:
    """Where QSettings kept this app's settings on Linux (~/.config/...), on every OS."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(folder) / ORGANISATION / f"{APPLICATION}.conf"


class SettingsStore:
    """Load and save `PlaygroundSettings` in one INI file.

    `load_problem` says what was wrong with the file after `load()`; `save_problem()` says why
    saving will not work. Each is meant for one line in the event log: nothing here raises.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = Path(path or os.environ.get(SETTINGS_ENV) or default_location())
        self.load_problem: str | None = None
        self._save_problem_said = False

    @property
    def location(self) -> str:
        return str(self.path)

    def load(self) -> PlaygroundSettings:
        defaults = default_settings()
        self.load_problem = None
        try:
            values = read_values(self.path)
        except SettingsFileError as error:
            self.load_problem = (
                f"Settings file {self.path} could not be read ({error}); "
                "starting with the defaults."
            )
            return defaults
        ignored: list[str] = []

        def pick(key: str, value: T | None, default: T) -> T:
            if value is None:
                if key in values:
                    ignored.append(key)
                return default
            return value

        workload = pick(
            "run/workload", _choice(values.get("run/workload"), tuple(WORKLOADS)), defaults.workload
        )
        methods = available_start_methods()
        settings = replace(
            defaults,
            workload=workload,
            tasks=pick(
                "run/tasks",
                _whole_number(values.get("run/tasks"), 1, MAX_TASKS),
                WORKLOADS[workload].default_tasks,
            ),
            executor=pick(
                "run/executor", _choice(values.get("run/executor"), EXECUTORS), defaults.executor
            ),
            workers=pick(
                "run/workers",
                _whole_number(values.get("run/workers"), 1, max_workers()),
                defaults.workers,
            ),
            chunksize=pick(
                "run/chunksize", _whole_number(values.get("run/chunksize"), 0, MAX_CHUNKSIZE), 0
            ),
            start_method=pick(
                "run/start_method",
                _choice(values.get("run/start_method"), methods),
                defaults.start_method,
            ),
            until_stopped=pick("run/until_stopped", _flag(values.get("run/until_stopped")), False),
            scheduler=pick("run/scheduler", _scheduler(values.get("run/scheduler")), ""),
            zoom=pick(
                "view/zoom",
                _whole_number(values.get("view/zoom"), MIN_ZOOM, MAX_ZOOM),
                DEFAULT_ZOOM,
            ),
            # A layout that does not decode only costs the default layout: not worth a line.
            geometry=_layout(values.get("window/geometry")),
            splitters=tuple(
                state
                for state in (_layout(values.get(f"window/splitter{i}")) for i in range(SPLITTERS))
                if state is not None
            ),
        )
        ignored += [key for key in values if key not in KNOWN_KEYS]
        if ignored:
            self.load_problem = (
                f"Settings file {self.path}: ignored {', '.join(ignored)} "
                "(not a setting or value this version knows); using the defaults instead."
            )
        return settings

    def save_problem(self) -> str | None:
        """Why this session's settings will not be saved, the first time it is asked."""
        reason = why_not_writable(self.path)
        return self._say_once(reason)

    def save(self, settings: PlaygroundSettings) -> str | None:
        """Save; returns why not (once per store) instead of raising, or None if saved."""
        reason = why_not_writable(self.path)
        if reason is None:
            try:
                write_values(self.path, _as_text(settings))
                return None
            except OSError as error:
                reason = error.strerror or str(error)
        return self._say_once(reason)

    def _say_once(self, reason: str | None) -> str | None:
        if reason is None or self._save_problem_said:
            return None
        self._save_problem_said = True
        return (
            f"Settings file {self.path} cannot be saved: {reason}; "
            "this session's choices will not be remembered."
        )


def _as_text(settings: PlaygroundSettings) -> dict[str, str]:
    values = {
        "run/workload": settings.workload,
        "run/tasks": str(settings.tasks),
        "run/executor": settings.executor,
        "run/workers": str(settings.workers),
        "run/chunksize": str(settings.chunksize),
        "run/start_method": settings.start_method,
        "run/until_stopped": "true" if settings.until_stopped else "false",
        "view/zoom": str(settings.zoom),
    }
    if settings.scheduler:
        values["run/scheduler"] = settings.scheduler
    if settings.geometry is not None:
        values["window/geometry"] = base64.b64encode(settings.geometry).decode("ascii")
    for i, state in enumerate(settings.splitters[:SPLITTERS]):
        values[f"window/splitter{i}"] = base64.b64encode(state).decode("ascii")
    return values


def _scheduler(value: str | None) -> str | None:
    """A Dask scheduler address the engine would take, else None."""
    if value is None or len(value) > 200:
        return None
    from app.engine.config import ConfigError, check_scheduler_address

    try:
        return check_scheduler_address(value)
    except ConfigError:
        return None


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """The value if it is one of `allowed`, else None."""
    if value is None:
        return None
    value = value.strip()
    return value if value in allowed else None


def _flag(value: str | None) -> bool | None:
    """True for "true", False for "false" (any case), else None."""
    if value is None:
        return None
    return {"true": True, "false": False}.get(value.strip().lower())


def _whole_number(value: str | None, low: int, high: int) -> int | None:
    """The value if it is plain decimal digits between low and high, else None."""
    if value is None:
        return None
    text = value.strip()
    # Only ASCII digits, and few: no "1e99", "+3", "٣", nor a 10,000-digit number to convert.
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    number = int(text)
    return number if low <= number <= high else None


def _layout(value: str | None) -> bytes | None:
    """A saved window geometry or splitter state (base64), or None if it does not decode."""
    if not value or len(value) > 2 * MAX_LAYOUT_BYTES:
        return None
    try:
        data = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data or None
