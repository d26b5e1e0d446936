"""The control panel: every worker count the engine allows, typed numbers clamped where the
user sees it, a warning (once) for more workers than CPUs, the CPU count on screen, and a run
until Stop remembered like the other choices."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from app.engine import RunConfig, cpu_count, current_platform
from app.engine.config import MAX_WORKERS
from app.gui.controls import ControlPanel
from app.gui.settings import SettingsStore, default_settings
from app.gui.window import MainWindow

ENGINE_RUNS_UNTIL_STOPPED = "until_stopped" in RunConfig.__dataclass_fields__


@pytest.fixture
def controls(qtbot):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)


def test_the_worker_box_reaches_the_engines_maximum(controls):
    assert controls.workers_spin.minimum() == 1
    assert controls.workers_spin.maximum() == MAX_WORKERS


@pytest.mark.parametrize("typed", ["16", "64", "256"])
def test_typing_a_worker_count_gives_that_count(qtbot, controls, typed):
    type_into(qtbot, controls.workers_spin, typed)
    assert controls.workers_spin.value() == int(typed)
    assert controls.run_config().workers == int(typed)


def test_a_typed_worker_count_above_the_maximum_becomes_the_maximum_and_says_so(qtbot, controls):
    notes: list[str] = []
    controls.note.connect(notes.append)
    type_into(qtbot, controls.workers_spin, "999")
    assert controls.workers_spin.value() == MAX_WORKERS
    assert controls.workers_spin.text() == str(MAX_WORKERS)
    assert "999" in controls.workers_spin.toolTip()
    assert len(notes) == 1, notes
    assert "999" in notes[0] and str(MAX_WORKERS) in notes[0]


def test_a_typed_task_count_above_the_maximum_becomes_the_maximum(qtbot, controls):
    notes: list[str] = []
    controls.note.connect(notes.append)
    type_into(qtbot, controls.tasks_spin, "99999999")
    assert controls.tasks_spin.value() == controls.tasks_spin.maximum()
    assert len(notes) == 1 and "99,999,999" in notes[0]


def test_more_workers_than_cpus_warns_once_per_choice(controls):
    many = cpu_count() * 4
    controls.workers_spin.setValue(many)
    first = controls.oversubscription_note(controls.run_config())
    assert first == (
        f"{many} workers on {cpu_count()} CPUs: they take turns on the cores, "
        f"so expect at most {cpu_count()}x."
    )
    assert controls.oversubscription_note(controls.run_config()) is None
    controls.workers_spin.setValue(many + 1)
    assert controls.oversubscription_note(controls.run_config()) is not None
    controls.workers_spin.setValue(cpu_count())
    assert controls.oversubscription_note(controls.run_config()) is None


def test_more_workers_than_cpus_on_waiting_tasks_says_they_can_still_help(controls):
    controls.workload_combo.setCurrentIndex(controls.workload_combo.findData("sleep"))
    controls.workers_spin.setValue(cpu_count() * 4)
    note = controls.oversubscription_note(controls.run_config())
    assert note is not None and "can still help" in note


@pytest.mark.timeout(60)
def test_the_window_logs_the_oversubscription_warning_once_over_two_runs(qtbot, window):
    controls = window.controls
    controls.workload_combo.setCurrentIndex(controls.workload_combo.findData("power"))
    controls.executor_combo.setCurrentIndex(controls.executor_combo.findData("thread"))
    controls.tasks_spin.setValue(4)
    controls.workers_spin.setValue(cpu_count() + 1)
    for _ in range(2):
        with qtbot.waitSignal(window.run_finished, timeout=30_000):
            qtbot.mouseClick(controls.start_button, Qt.MouseButton.LeftButton)
    warnings = [text for _, text in window.event_log.items() if "take turns" in text]
    assert warnings == [
        f"{cpu_count() + 1} workers on {cpu_count()} CPUs: they take turns on the cores, "
        f"so expect at most {cpu_count()}x."
    ]


def test_a_clamped_number_is_said_in_the_event_log(qtbot, window):
    type_into(qtbot, window.controls.workers_spin, "1000")
    assert any("1,000" in text and "256" in text for _, text in window.event_log.items())


def test_the_cpu_count_is_on_the_main_screen(controls):
    noun = "CPU" if cpu_count() == 1 else "CPUs"
    assert controls.cpus_label.text() == f"This computer: {cpu_count()} {noun} (os.cpu_count())"
    python = current_platform().python_text
    assert controls.python_label.text() == f"and {python}"
    assert python.startswith("Python 3.") and "(GIL " in python
    assert controls.python_label.isVisible()
    assert controls.cpus_label.isVisible()


def test_a_stored_worker_count_above_the_cpu_count_is_kept(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_text(f"[run]\nworkers={MAX_WORKERS}\n")
    store = SettingsStore(str(path))
    assert store.load().workers == MAX_WORKERS
    assert store.load_problem is None


def test_until_stopped_is_remembered_between_launches(tmp_path):
    path = str(tmp_path / "settings.ini")
    store = SettingsStore(path)
    assert store.save(default_settings()) is None
    assert store.load().until_stopped is False
    assert store.save(replace(default_settings(), until_stopped=True)) is None
    assert SettingsStore(path).load().until_stopped is True


def test_a_bad_until_stopped_value_falls_back_to_off_and_is_said(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_text("[run]\nuntil_stopped=maybe\n")
    store = SettingsStore(str(path))
    assert store.load().until_stopped is False
    assert "run/until_stopped" in store.load_problem


@pytest.mark.skipif(not ENGINE_RUNS_UNTIL_STOPPED, reason="the engine cannot run until Stop yet")
def test_the_until_stop_box_asks_the_engine_for_rounds_until_stop(controls):
    controls.tasks_spin.setValue(500)
    assert controls.run_config().until_stopped is False
    controls.until_stopped_check.setChecked(True)
    config = controls.run_config()
    assert config.until_stopped is True
    assert config.tasks == 500  # the size of one round


@pytest.mark.skipif(not ENGINE_RUNS_UNTIL_STOPPED, reason="the engine cannot run until Stop yet")
def test_the_until_stop_box_is_remembered_by_the_window(qtbot, settings_path):
    first = MainWindow(settings_path=settings_path)
    qtbot.addWidget(first)
    first.controls.until_stopped_check.setChecked(True)
    first.close()
    second = MainWindow(settings_path=settings_path)
    qtbot.addWidget(second)
    assert second.controls.until_stopped_check.isChecked()
    assert second.controls.run_config().until_stopped is True


def test_without_engine_support_the_until_stop_box_is_greyed_out(controls):
    if ENGINE_RUNS_UNTIL_STOPPED:
        assert controls.until_stopped_check.isEnabled()
    else:
        assert not controls.until_stopped_check.isEnabled()
        controls.until_stopped_check.setChecked(True)
        assert "until_stopped" not in RunConfig.__dataclass_fields__
        controls.run_config()  # still a valid config


def test_the_until_stop_box_is_locked_while_running(controls):
    controls.set_running(True, can_kill=True)
    assert not controls.until_stopped_check.isEnabled()
