"""What a class sees: at a projector's 1280x720 and at 1920x1080, at 100 % and zoomed for the back
row (presenter mode), no name, caption or status line is cut off, and choosing another workload
does not move the controls."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QComboBox, QLabel, QStyle, QStyleOptionComboBox

from app.gui import theme
from app.gui.controls import ControlPanel
from app.gui.fitted_label import FittedLabel
from app.gui.window import MainWindow
from app.workloads import WORKLOADS
from tests.conftest import worker_children

# (window size, the font size base_point_size() picks for a screen of that height, zoom %)
SCREENS = {
    "1280x720": (1280, 720, 10, 100),
    "1920x1080": (1920, 1080, 14, 100),
    "1280x720 at 175%": (1280, 720, 10, 175),
    "1920x1080 at 150%": (1920, 1080, 14, 150),
    "1280x720 at 250%": (1280, 720, 10, 250),
}

GAVE_UP = (
    "Gave up: workers keep dying: 3 died in this run: pid 123456 (killed by SIGKILL), "
    "pid 123457 (killed by SIGKILL), pid 123458 (killed by SIGKILL). Stopped."
)
SELFTEST_FINISHED = "Finished: 200,000 power tasks in 0.53 s (378.8k tasks/s)"


@pytest.fixture(params=list(SCREENS))
def screen_window(request, qtbot, qapp, settings_path, monkeypatch):
    width, height, points, zoom = SCREENS[request.param]
    monkeypatch.setattr(theme, "base_point_size", lambda: points)
    theme.apply_theme(qapp)
    win = MainWindow(settings_path=settings_path, remember_settings=False)
    qtbot.addWidget(win)
    win.presenter.set_zoom(zoom)  # as the View menu does
    win.resize(width, height)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.controls.width() > 0)
    yield win
    win.close()
    qtbot.waitUntil(lambda: not worker_children(), timeout=5000)
    win.presenter.set_zoom(100)
    monkeypatch.undo()
    theme.apply_theme(qapp)


def combo_text_width(combo: QComboBox) -> int:
    """How wide the text of the current item may be drawn in this combo box."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return field.width()


def assert_combos_show_every_item_whole(controls) -> None:
    for combo in (controls.workload_combo, controls.executor_combo, controls.start_method_combo):
        room = combo_text_width(combo)
        for index in range(combo.count()):
            text = combo.itemText(index)
            needed = combo.fontMetrics().horizontalAdvance(text)
            assert needed <= room, f"{text!r} needs {needed} px, the combo box has {room}"


def assert_label_whole(label: QLabel) -> None:
    if label.wordWrap():  # zoomed, the CPU lines wrap: every line must fit its height
        needed = label.heightForWidth(label.contentsRect().width())
        assert needed <= label.contentsRect().height(), f"{label.text()!r} is cut off"
        return
    needed = label.fontMetrics().horizontalAdvance(label.text())
    assert needed <= label.contentsRect().width(), f"{label.text()!r} is cut off"


def assert_fitted_whole(label: FittedLabel) -> None:
    assert not label.is_elided(), label.shown_lines()
    room = label.contentsRect().width()
    bold = label.font()
    bold.setBold(True)
    for line in label.shown_lines():
        assert QFontMetrics(bold).horizontalAdvance(line) <= room, line
    assert label.sizeHint().height() <= label.height(), "its lines do not fit its height"


def test_combo_boxes_show_their_longest_item_whole(screen_window):
    assert_combos_show_every_item_whole(screen_window.controls)


def test_combo_boxes_stay_whole_when_the_controls_column_is_dragged_narrow(qtbot, screen_window):
    splitter = screen_window._main_splitter
    splitter.setSizes([1, splitter.width()])
    # As narrow as it goes: under 600 px, or its least width if big type needs more.
    least = splitter.widget(0).minimumSizeHint().width()
    qtbot.waitUntil(lambda: splitter.sizes()[0] <= max(599, least))
    assert_combos_show_every_item_whole(screen_window.controls)


def test_control_labels_buttons_and_the_cpu_line_are_whole(screen_window):
    controls = screen_window.controls
    for label in controls.findChildren(QLabel):
        if label is not controls.explanation and label.isVisible() and label.text():
            assert_label_whole(label)
    for button in (controls.start_button, controls.stop_button, controls.kill_button):
        text = button.fontMetrics().horizontalAdvance(button.text())
        assert text < button.width(), button.text()
    check = controls.until_stopped_check
    assert check.width() >= check.sizeHint().width()


def test_the_event_log_caption_is_whole(screen_window):
    captions = [
        label
        for label in screen_window.event_log.findChildren(FittedLabel)
        if "traceback" in label.full_text()
    ]
    assert len(captions) == 1
    assert_fitted_whole(captions[0])


@pytest.mark.parametrize("text", [GAVE_UP, SELFTEST_FINISHED], ids=["gave up", "self-test"])
def test_a_long_status_line_is_shown_whole(qtbot, screen_window, text):
    label = screen_window.status.state_label
    height = label.height()
    screen_window.status.show_state(text)
    qtbot.wait(10)
    assert label.full_text() == text
    assert_fitted_whole(label)
    assert label.height() == height, "the status line changed height and moved the charts"


def test_choosing_another_workload_does_not_move_the_controls(qtbot, screen_window):
    controls = screen_window.controls
    combo = controls.workload_combo
    geometries = set()
    for index in range(combo.count()):
        combo.setCurrentIndex(index)
        qtbot.wait(20)  # let the layouts settle, as they would between two clicks
        explanation = controls.explanation
        needed = explanation.heightForWidth(explanation.width())
        assert needed <= explanation.height(), f"{combo.currentData()}'s explanation is cut"
        geometries.add(
            (
                controls.geometry().getRect(),
                controls.start_button.geometry().getRect(),
                combo.geometry().getRect(),
                screen_window.event_log.geometry().getRect(),
            )
        )
    assert len(geometries) == 1, geometries
    assert combo.count() == len(WORKLOADS)


def test_a_fitted_label_too_short_for_its_text_ends_in_an_ellipsis_and_tells_all_in_a_tooltip(
    qtbot,
):
    label = FittedLabel("short", lines=2, title="Caption")
    qtbot.addWidget(label)
    label.resize(200, 10)
    label.show()
    height = label.height()
    assert label.shown_lines() == ["Caption  short"] and label.toolTip() == ""
    label.setText("a long text " * 40)
    assert label.is_elided()
    assert len(label.shown_lines()) == 2
    assert label.shown_lines()[-1].endswith("…")
    assert label.toolTip() == label.full_text()
    assert label.height() == height


@pytest.mark.parametrize("width", [400, 546, 700])
def test_the_explanation_fits_after_a_single_resize(qtbot, width):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.resize(width, 600)
    panel.show()
    qtbot.waitExposed(panel)
    explanation = panel.explanation
    qtbot.waitUntil(lambda: explanation.heightForWidth(explanation.width()) <= explanation.height())


def test_the_whole_window_fits_a_1280x720_projector(window):
    """Nothing may demand more room than a 1280x720 screen has, lessons tabs included: at 100 %
    the window's contents fit it without scrolling."""
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    contents = window.centralWidget().widget().minimumSizeHint()  # inside presenter's scrolling
    menu_bar = window.menuBar().sizeHint().height()
    assert contents.width() <= 1280 and contents.height() <= 720 - menu_bar, contents


def test_zoomed_the_window_scrolls_at_most_up_and_down(qtbot, screen_window):
    """Big type may make the window taller than the screen (it scrolls), never wider: a class
    would not see the charts' right-hand side."""
    area = screen_window.centralWidget()
    qtbot.waitUntil(lambda: area.widget().width() <= area.viewport().width())
    assert not area.horizontalScrollBar().isVisible()
    contents = area.widget().minimumSizeHint()
    assert contents.width() <= screen_window.width(), contents
