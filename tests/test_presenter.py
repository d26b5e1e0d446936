"""Presenter mode: the View menu zooms every text and chart from 100 to 250 % and shows the
window full screen; the zoom is remembered, a bad stored zoom falls back to 100 %, and
`selftest --zoom --size` checks and photographs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication

from app import cli
from app.cli_presenter import MAX_ZOOM as CLI_MAX_ZOOM
from app.cli_presenter import MIN_ZOOM as CLI_MIN_ZOOM
from app.gui import theme
from app.gui.settings import SettingsStore
from app.gui.window import MainWindow
from app.gui.zoom import ZOOM_STEPS, step_down, step_up
from tests.conftest import assert_selftest_ok_but_for_load, worker_children


def test_zoom_steps_go_from_100_to_250_and_stop_at_the_ends():
    assert ZOOM_STEPS[0] == 100 and ZOOM_STEPS[-1] == 250 and 175 in ZOOM_STEPS
    assert step_up(100) == 125 and step_up(175) == 200 and step_up(250) == 250
    assert step_down(250) == 200 and step_down(125) == 100 and step_down(100) == 100
    assert step_up(130) == 150 and step_down(130) == 125  # a zoom between steps
    assert (CLI_MIN_ZOOM, CLI_MAX_ZOOM) == (theme.MIN_ZOOM, theme.MAX_ZOOM)


def test_the_view_menu_has_zoom_and_full_screen_with_their_keys(window):
    presenter = window.presenter
    keys = {
        action.text(): [key.toString() for key in action.shortcuts()]
        for action in window.view_menu.actions()
    }
    assert "Ctrl+=" in keys["Zoom &in"]
    assert keys["Zoom &out"] == ["Ctrl+-"]
    assert keys["&Actual size (100 %)"] == ["Ctrl+0"]
    assert keys["&Full screen"] == ["F11"]
    assert sorted(presenter.step_actions) == list(ZOOM_STEPS)
    assert presenter.step_actions[100].isChecked()


def test_zooming_in_makes_every_text_and_chart_line_bigger_and_actual_size_undoes_it(qtbot, window):
    status_number = window.status.values["done"]
    lines = window.lines_chart
    before = {
        "application": QApplication.font().pointSize(),
        "status number": status_number.font().pointSize(),
        "status line": window.status.state_label.font().pointSize(),
        "event log detail": window.event_log.detail.font().pointSize(),
        "tick labels": lines.tick_font.pointSize(),
        "bar labels": window.bars_chart._label_font.pointSize(),
        "combo box": window.controls.workload_combo.font().pointSize(),
    }
    total_pen = lines.total_line.opts["pen"].widthF()
    axis_room = lines.plot.getAxis("bottom").height()
    for _ in range(3):
        window.presenter.zoom_in_action.trigger()
    assert window.presenter.percent == 175 and theme.zoom_percent() == 175
    after = {
        "application": QApplication.font().pointSize(),
        "status number": status_number.font().pointSize(),
        "status line": window.status.state_label.font().pointSize(),
        "event log detail": window.event_log.detail.font().pointSize(),
        "tick labels": lines.tick_font.pointSize(),
        "bar labels": window.bars_chart._label_font.pointSize(),
        "combo box": window.controls.workload_combo.font().pointSize(),
    }
    for name, size in before.items():
        assert after[name] >= size * 1.5, (name, size, after[name])
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    assert window.event_log.detail.font().family() == fixed  # still the fixed-width font
    assert lines.total_line.opts["pen"].widthF() == pytest.approx(total_pen * 1.75)
    axis = lines.plot.getAxis("bottom")
    qtbot.waitUntil(lambda: axis.height() > axis_room)
    # The axis keeps room for its bigger tick labels.
    assert axis.style["tickTextHeight"] >= QFontMetrics(lines.tick_font).height()
    assert window.presenter.step_actions[175].isChecked()

    window.presenter.actual_size_action.trigger()
    assert window.presenter.percent == 100
    assert status_number.font().pointSize() == before["status number"]
    assert lines.tick_font.pointSize() == before["tick labels"]
    assert lines.total_line.opts["pen"].widthF() == pytest.approx(total_pen)


def test_the_zoom_stops_at_250_and_at_100(window):
    presenter = window.presenter
    for _ in range(10):
        presenter.zoom_in_action.trigger()
    assert presenter.percent == 250 and not presenter.zoom_in_action.isEnabled()
    for _ in range(10):
        presenter.zoom_out_action.trigger()
    assert presenter.percent == 100 and not presenter.zoom_out_action.isEnabled()


def test_full_screen_turns_on_and_off(qtbot, window):
    window.presenter.full_screen_action.trigger()
    assert window.presenter.is_full_screen()
    assert window.presenter.full_screen_action.isChecked()
    window.presenter.full_screen_action.trigger()
    assert not window.presenter.is_full_screen()
    assert not window.presenter.full_screen_action.isChecked()


def test_the_zoom_is_remembered_between_launches(qtbot, qapp, settings_path):
    first = MainWindow(settings_path=settings_path)
    qtbot.addWidget(first)
    first.presenter.set_zoom(175)
    first.close()
    assert "zoom=175" in Path(settings_path).read_text()
    second = MainWindow(settings_path=settings_path)
    qtbot.addWidget(second)
    assert second.presenter.percent == 175
    assert theme.zoom_percent() == 175
    assert second.status.state_label._lines == 3  # restyled, not only made with big fonts
    assert QApplication.font().pointSize() == theme.point_size(0)
    second.presenter.set_zoom(100)
    second.close()


@pytest.mark.parametrize("stored", ["abc", "999", "99", "-150", "1" * 40, ""])
def test_a_bad_stored_zoom_falls_back_to_100(tmp_path, stored):
    path = tmp_path / "settings.ini"
    path.write_text(f"[view]\nzoom={stored}\n[run]\nworkers=2\n")
    store = SettingsStore(str(path))
    settings = store.load()
    assert settings.zoom == 100
    assert settings.workers == 2  # the rest of the file still counts
    if stored:
        assert "view/zoom" in store.load_problem


def test_a_stored_zoom_between_steps_is_kept(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_text("[view]\nzoom=130\n")
    store = SettingsStore(str(path))
    assert store.load().zoom == 130 and store.load_problem is None


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["selftest", "--zoom", "300"], "--zoom must be a percentage from 100 to 250"),
        (["selftest", "--zoom", "99"], "--zoom must be a percentage from 100 to 250"),
        (["selftest", "--zoom", "big"], "--zoom must be a percentage"),
        (["selftest", "--zoom", "9" * 5000], "--zoom must be a percentage"),
        (["selftest", "--size", "1280"], "--size must be WIDTHxHEIGHT"),
        (["selftest", "--size", "10x10"], "--size must be WIDTHxHEIGHT from 640x480"),
        (["selftest", "--size", "99999x720"], "--size must be WIDTHxHEIGHT"),
        (["selftest", "--size", "1280x-720"], "--size must be WIDTHxHEIGHT"),
    ],
)
def test_bad_zoom_or_size_gets_one_line_and_exit_code_2(args, says, capsys):
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], captured.err
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.parametrize(("text", "zoom"), [("175", 175), ("150%", 150), (" 250 % ", 250)])
def test_zoom_is_read_with_or_without_a_percent_sign(text, zoom):
    from app.cli_presenter import selftest_view

    args = cli.build_parser().parse_args(["selftest", "--zoom", text, "--size", "1280x720"])
    assert selftest_view(args, cli.UsageError) == {"zoom": zoom, "size": (1280, 720)}


@pytest.mark.timeout(90)
def test_selftest_runs_zoomed_at_a_projectors_size_and_photographs_it(qapp, tmp_path):
    from PySide6.QtGui import QImage

    from app.gui.selftest import run_selftest

    shot = tmp_path / "zoomed.png"
    report = run_selftest(
        tasks=20_000, screenshot=str(shot), timeout_s=60, zoom=175, size=(1280, 720)
    )
    assert_selftest_ok_but_for_load(report)
    assert report["zoom"] == 175 and report["size"] == "1280x720"
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 720)
    assert not worker_children()
    assert theme.zoom_percent() == 175  # until the next window or menu says otherwise


@pytest.fixture(autouse=True)
def back_to_100(qapp):
    yield
    theme.assume_screen_height(None)
    from app.gui.zoom import apply_zoom

    apply_zoom(100)


@pytest.mark.timeout(60)
def test_zooming_during_a_run_restyles_the_charts_and_the_run_ends_with_exact_books(qtbot, window):
    from tests.test_gui import configure

    configure(window, "sleep", 40, workers=2)
    with qtbot.waitSignal(window.run_finished, timeout=30_000) as finished:
        window.controls.start_button.click()
        qtbot.waitUntil(lambda: bool(window.lines_chart._worker_lines), timeout=20_000)
        window.presenter.set_zoom(200)
        for line in window.lines_chart._worker_lines.values():  # drawn before the zoom
            assert line.opts["pen"].widthF() == pytest.approx(2 * 2.0)
        window.presenter.set_zoom(125)
    summary = finished.args[0]
    assert summary.completed + summary.failed == summary.tasks == 40
    assert window.lines_chart.total_line.opts["pen"].widthF() == pytest.approx(3 * 1.25)
    assert (
        window.timeline_chart._label_metrics.height()
        == QFontMetrics(window.timeline_chart.tick_font).height()
    )
