"""Presenter mode: every text and chart zoomed 100 to 250 %, and the window full screen.

One zoom factor (`theme.zoom_percent`) sizes everything: the application's font (so every
widget without a font of its own), each font a widget chose with `theme.set_scaled_font`, and
whatever a widget's own `apply_zoom()` does: the charts' type, axis room and line widths
(`ChartPanel.apply_zoom`, which each chart's `zoom_changed` extends), the controls' compact
form, the status line's extra lines. `PresenterMode` puts the View menu's actions in the
window: zoom in and out through `ZOOM_STEPS` (Ctrl+= and Ctrl+-), back to 100 % (Ctrl+0), one
item per step, and full screen (F11). The window saves the zoom with its settings; changing it
is a menu action, never part of a tick, so restyling every widget once then is fine.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import QApplication, QFrame, QMainWindow, QScrollArea, QWidget

from app.gui import theme
from app.gui.theme import DEFAULT_ZOOM, MAX_ZOOM, MIN_ZOOM, ZOOM_STEPS


def clamp_zoom(percent: int) -> int:
    return max(MIN_ZOOM, min(MAX_ZOOM, int(percent)))


def step_up(percent: int) -> int:
    """The next zoom step above `percent` (the largest stays the largest)."""
    return next((step for step in ZOOM_STEPS if step > percent), MAX_ZOOM)


def step_down(percent: int) -> int:
    """The next zoom step below `percent` (the smallest stays the smallest)."""
    return next((step for step in reversed(ZOOM_STEPS) if step < percent), MIN_ZOOM)


def apply_zoom(percent: int, window: QWidget | None = None) -> None:
    """Zoom the application to `percent` (100 to 250), now: `window` and every window on show
    are restyled (a closed window waiting to be deleted is left alone)."""
    app = QApplication.instance()
    theme.set_zoom_percent(clamp_zoom(percent))
    if not isinstance(app, QApplication):
        return
    font = QFont(app.font())
    font.setPointSize(theme.point_size(0))
    app.setFont(font)
    # Set again so that the style sheet's bold fonts and em-sized paddings follow the new size.
    app.setStyleSheet(app.styleSheet())
    tops = [top for top in app.topLevelWidgets() if top.isVisible() or top is window]
    if window is not None and window not in tops:
        tops.append(window)
    widgets = [widget for top in tops for widget in (top, *top.findChildren(QWidget))]
    for widget in widgets:
        theme.refresh_scaled_font(widget)
    for widget in widgets:
        restyle = getattr(widget, "apply_zoom", None)
        if callable(restyle):
            restyle()


class ColumnScroll(QScrollArea):
    """A column that scrolls up and down when it is taller than the window, and is never made
    narrower than what it holds needs (a plain scroll area would let a splitter cut it)."""

    def __init__(self, column: QWidget) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(column)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        column = self.widget()
        width = column.minimumSizeHint().width() if column is not None else 0
        return QSize(width + self.verticalScrollBar().sizeHint().width(), 120)


def scroll_when_cramped(contents: QWidget) -> QScrollArea:
    """The window's contents in a scroll area: when big type makes them need more room than
    the screen has, they scroll instead of being squeezed until text is cut or overlaps. With
    room enough, nothing about them changes."""
    area = QScrollArea()
    area.setObjectName("presenterScroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(contents)
    return area


class PresenterMode(QObject):
    """The View menu's zoom and full-screen actions for one window."""

    zoom_changed = Signal(int)

    def __init__(self, window: QMainWindow, menu, percent: int = DEFAULT_ZOOM) -> None:
        super().__init__(window)
        self._window = window
        self._percent = clamp_zoom(percent)
        self.zoom_in_action = QAction("Zoom &in", window)
        self.zoom_in_action.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        self.zoom_out_action = QAction("Zoom &out", window, shortcut=QKeySequence("Ctrl+-"))
        self.actual_size_action = QAction("&Actual size (100 %)", window)
        self.actual_size_action.setShortcut(QKeySequence("Ctrl+0"))
        self.full_screen_action = QAction("&Full screen", window, shortcut=QKeySequence("F11"))
        self.full_screen_action.setCheckable(True)
        self.zoom_in_action.triggered.connect(lambda: self.set_zoom(step_up(self._percent)))
        self.zoom_out_action.triggered.connect(lambda: self.set_zoom(step_down(self._percent)))
        self.actual_size_action.triggered.connect(lambda: self.set_zoom(DEFAULT_ZOOM))
        self.full_screen_action.triggered.connect(self.set_full_screen)
        for action in (self.zoom_in_action, self.zoom_out_action, self.actual_size_action):
            menu.addAction(action)
        zoom_menu = menu.addMenu("&Zoom")
        self._step_group = QActionGroup(self)
        # Optional: a zoom between steps (from the settings file or selftest) checks none.
        self._step_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.step_actions: dict[int, QAction] = {}
        for step in ZOOM_STEPS:
            action = QAction(f"{step} %", window, checkable=True)
            action.triggered.connect(lambda _checked=False, step=step: self.set_zoom(step))
            self._step_group.addAction(action)
            zoom_menu.addAction(action)
            self.step_actions[step] = action
        menu.addSeparator()
        menu.addAction(self.full_screen_action)
        # Restyle (compact controls, longer status line...) unless all is at 100 % already.
        if self._percent != DEFAULT_ZOOM or theme.zoom_percent() != DEFAULT_ZOOM:
            apply_zoom(self._percent, self._window)
        self._sync_actions()

    @property
    def percent(self) -> int:
        return self._percent

    def set_zoom(self, percent: int) -> None:
        """Zoom the whole window to `percent` (clamped to 100 to 250)."""
        percent = clamp_zoom(percent)
        if percent != self._percent or percent != theme.zoom_percent():
            self._percent = percent
            apply_zoom(percent, self._window)
            self.zoom_changed.emit(percent)
        self._sync_actions()

    def set_full_screen(self, on: bool) -> None:
        """Full screen on or off, keeping whether the window was maximized."""
        state = self._window.windowState()
        if on:
            state |= Qt.WindowState.WindowFullScreen
        else:
            state &= ~Qt.WindowState.WindowFullScreen
        self._window.setWindowState(state)
        self._sync_actions()

    def is_full_screen(self) -> bool:
        return bool(self._window.windowState() & Qt.WindowState.WindowFullScreen)

    def _sync_actions(self) -> None:
        self.zoom_in_action.setEnabled(self._percent < MAX_ZOOM)
        self.zoom_out_action.setEnabled(self._percent > MIN_ZOOM)
        for step, action in self.step_actions.items():
            action.setChecked(step == self._percent)
        self.full_screen_action.setChecked(self.is_full_screen())
