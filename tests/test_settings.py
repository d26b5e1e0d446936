"""The settings file can never stop the window from opening, and a file or folder that cannot
be written is said once in the event log, never a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.gui.settings import SettingsStore, default_settings
from app.gui.window import MainWindow

REPO = Path(__file__).resolve().parent.parent

# A value Qt's QSettings decodes as a serialised QVariant claiming 2 GiB: std::bad_alloc, exit 134.
QT_VARIANT_BOMB = r"workload=@Variant(\0\0\0\t\x7f\xff\xff\xff)"

OPEN_WINDOW_SCRIPT = """
import json, sys
from PySide6.QtWidgets import QApplication
from app.gui.window import MainWindow

app = QApplication([])
win = MainWindow(settings_path=sys.argv[1])
win.show()
app.processEvents()
controls = win.controls
print(json.dumps({
    "workload": controls.workload,
    "tasks": controls.tasks_spin.value(),
    "executor": controls.executor,
    "workers": controls.workers_spin.value(),
    "chunksize": controls.chunksize_spin.value(),
    "start_method": controls.start_method_combo.currentData(),
    "log": win.event_log.items(),
}), flush=True)
"""


def open_window_in_a_subprocess(settings_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", OPEN_WINDOW_SCRIPT, str(settings_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
    )


def settings_lines(win: MainWindow) -> list[str]:
    return [text for _, text in win.event_log.items() if "ettings" in text]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("section", ["[run]\n", "[General]\n", ""])
def test_a_qt_variant_in_the_settings_file_cannot_abort_the_window(tmp_path, section):
    path = tmp_path / "settings.ini"
    path.write_text(f"{section}{QT_VARIANT_BOMB}\n")
    opened = open_window_in_a_subprocess(path)
    assert opened.returncode == 0, f"exit {opened.returncode}: {opened.stderr[-2000:]}"
    shown = json.loads(opened.stdout.strip().splitlines()[-1])
    defaults = default_settings()
    assert shown["workload"] == defaults.workload
    assert shown["tasks"] == defaults.tasks
    assert shown["executor"] == defaults.executor
    assert shown["workers"] == defaults.workers
    assert shown["chunksize"] == defaults.chunksize
    assert shown["start_method"] == defaults.start_method
    assert len(shown["log"]) == 1, shown["log"]
    assert str(path) in shown["log"][0][1]


READABLE_SETTINGS = "[run]\nworkload=mandelbrot\ntasks=123\nexecutor=thread\n"


@pytest.fixture
def read_only_file(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_text(READABLE_SETTINGS)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return path


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "settings.ini").write_text(READABLE_SETTINGS)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield folder
    folder.chmod(stat.S_IRWXU)  # so that pytest can clean up


@pytest.mark.parametrize("where", ["read_only_file", "read_only_folder"])
def test_a_read_only_settings_file_is_read_and_said_once_and_left_alone(qtbot, request, where):
    locked = request.getfixturevalue(where)
    path = locked / "settings.ini" if locked.is_dir() else locked
    win = MainWindow(settings_path=str(path))
    qtbot.addWidget(win)
    assert (win.controls.workload, win.controls.tasks_spin.value()) == ("mandelbrot", 123)
    lines = settings_lines(win)
    assert len(lines) == 1 and "read-only" in lines[0] and str(path) in lines[0], lines
    win.controls.tasks_spin.setValue(77)
    win.close()  # no exception, and no second line
    assert settings_lines(win) == lines
    assert path.read_text() == READABLE_SETTINGS


def test_a_settings_file_that_cannot_be_created_is_said_once_never_a_traceback(qtbot, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the settings folder should be")
    path = blocker / "settings.ini"
    win = MainWindow(settings_path=str(path))
    qtbot.addWidget(win)
    assert win.controls.workload == default_settings().workload
    win.close()
    lines = settings_lines(win)
    assert len(lines) == 1 and str(path) in lines[0], lines
    assert SettingsStore(str(path)).load() == default_settings()
