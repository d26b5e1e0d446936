"""Remember the teacher's last choices between launches, and never trust what was stored.

Values come back from QSettings as whatever a file said (strings from an INI file, possibly
edited by hand, from an older version, or truncated), so every value is checked and anything
that does not fit falls back to its default. Tests point the store at a temporary INI file
(constructor argument or the MPPLAYGROUND_SETTINGS environment variable), so they never touch
the user's real settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from PySide6.QtCore import QByteArray, QSettings

from app.engine import EXECUTORS, available_start_methods, cpu_count
from app.engine.config import DEFAULT_START_METHOD, MAX_TASKS
from app.workloads import WORKLOADS

SETTINGS_ENV = "MPPLAYGROUND_SETTINGS"
ORGANISATION = "MultiprocessingPlayground"
APPLICATION = "Multiprocessing Playground"
MAX_CHUNKSIZE = 100_000


def max_workers() -> int:
    """Enough workers to oversubscribe the CPU (to show that more is not always faster)."""
    return max(2 * cpu_count(), 8)


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
    geometry: bytes | None = None
    splitters: tuple[bytes, ...] = ()


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


class SettingsStore:
    """Load and save `PlaygroundSettings` through QSettings."""

    def __init__(self, path: str | None = None) -> None:
        path = path or os.environ.get(SETTINGS_ENV) or None
        if path:
            self._qsettings = QSettings(path, QSettings.Format.IniFormat)
        else:
            self._qsettings = QSettings(ORGANISATION, APPLICATION)

    @property
    def location(self) -> str:
        return self._qsettings.fileName()

    def load(self) -> PlaygroundSettings:
        defaults = default_settings()
        store = self._qsettings
        if store.status() != QSettings.Status.NoError:
            return defaults  # unreadable or unparsable: start fresh rather than half-trust it
        workload = _choice(store.value("run/workload"), tuple(WORKLOADS), defaults.workload)
        default_tasks = WORKLOADS[workload].default_tasks
        return replace(
            defaults,
            workload=workload,
            tasks=_whole_number(store.value("run/tasks"), 1, MAX_TASKS, default_tasks),
            executor=_choice(store.value("run/executor"), EXECUTORS, defaults.executor),
            workers=_whole_number(store.value("run/workers"), 1, max_workers(), defaults.workers),
            chunksize=_whole_number(store.value("run/chunksize"), 0, MAX_CHUNKSIZE, 0),
            start_method=_choice(
                store.value("run/start_method"), available_start_methods(), defaults.start_method
            ),
            geometry=_bytes(store.value("window/geometry")),
            splitters=tuple(
                value
                for value in (_bytes(store.value(f"window/splitter{i}")) for i in range(4))
                if value is not None
            ),
        )

    def save(self, settings: PlaygroundSettings) -> None:
        store = self._qsettings
        store.setValue("run/workload", settings.workload)
        store.setValue("run/tasks", settings.tasks)
        store.setValue("run/executor", settings.executor)
        store.setValue("run/workers", settings.workers)
        store.setValue("run/chunksize", settings.chunksize)
        store.setValue("run/start_method", settings.start_method)
        if settings.geometry is not None:
            store.setValue("window/geometry", QByteArray(settings.geometry))
        for i, state in enumerate(settings.splitters):
            store.setValue(f"window/splitter{i}", QByteArray(state))
        store.sync()


def _choice(value: object, allowed: tuple[str, ...], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


def _whole_number(value: object, low: int, high: int, default: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        number = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if isinstance(value, float) and value != number:
        return default
    return number if low <= number <= high else default


def _bytes(value: object) -> bytes | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return bytes(value.data())
    if isinstance(value, bytes) and value:
        return value
    return None
