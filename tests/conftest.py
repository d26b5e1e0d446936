"""Shared test setup. Qt runs offscreen unless a test asks for a real display, and the window's
settings go to a temporary file so tests never touch the user's own."""

from __future__ import annotations

import os

# Before anything imports Qt: no display is needed, and none is touched.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil  # noqa: E402
import pytest  # noqa: E402


def worker_children() -> list[psutil.Process]:
    """Child processes that are workers: multiprocessing's helpers that live as long as this
    process (the resource tracker, the forkserver) are not workers and are left out."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
        if "resource_tracker" not in command and "forkserver" not in command:
            found.append(child)
    return found


# A freeze a class would notice, yet far above what a busy machine adds to a smooth window (a
# loaded CI runner measured 199 ms). selftest's own 50 ms bound is for benchmarks, not tests.
FREEZE_MS = 400
STALL_PROBLEMS = ("the window froze for", "of heartbeats were")


def assert_selftest_ok_but_for_load(report: dict) -> None:
    """selftest's verdict, with its stall bounds replaced by `FREEZE_MS`."""
    problems = [p for p in report["problems"] if not any(s in p for s in STALL_PROBLEMS)]
    assert not problems, problems
    assert report["max_stall_ms"] is not None and report["max_stall_ms"] < FREEZE_MS, report


@pytest.fixture
def settings_path(tmp_path, monkeypatch) -> str:
    """A fresh INI file for the window's settings (also what MPPLAYGROUND_SETTINGS points at)."""
    path = str(tmp_path / "settings.ini")
    monkeypatch.setenv("MPPLAYGROUND_SETTINGS", path)
    return path


@pytest.fixture
def window(qtbot, qapp, settings_path):
    """The real main window, shown offscreen; closed after the test, its workers gone."""
    from app.gui.theme import apply_theme
    from app.gui.window import MainWindow

    apply_theme(qapp)
    win = MainWindow(settings_path=settings_path)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    qtbot.waitUntil(lambda: not worker_children(), timeout=5000)
