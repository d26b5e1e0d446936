"""Panels: the tabs below the charts, beside the run history. One module each.

A panel is a widget with a `title` for its tab. The window makes one of each class in `PANELS`,
calls `attach(window)` once (to connect to the controls or the menus it needs), and then tells
every panel what happens: `run_started(config)`, `observe(frame)` once per tick with the
controller's `Frame`, and `run_finished(summary)`. Every hook is optional and must return at
once: the GUI thread never waits. A new panel is a new module and one line in `PANELS`.
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QWidget


class Panel(QWidget):
    """One tab below the charts. Override the hooks it needs."""

    name: ClassVar[str]  # short key: window.panel("code")
    title: ClassVar[str]  # the tab's text: "Code"

    def attach(self, window) -> None:
        """Called once, after the window is built."""

    def run_started(self, config) -> None:
        """A run (the Start button's or a lesson's case) has started with this RunConfig."""

    def observe(self, frame) -> None:
        """One tick of the running run: an `app.control.run_controller.Frame`."""

    def run_finished(self, summary) -> None:
        """The run ended with this RunSummary."""


# Each panel's module imports `Panel` from here, so the panels are imported after it.
from app.gui.panels.code import CodePanel  # noqa: E402
from app.gui.panels.export import ExportPanel  # noqa: E402
from app.gui.panels.mandelbrot import MandelbrotPanel  # noqa: E402
from app.gui.panels.recording import RecordingPanel  # noqa: E402
from app.gui.panels.where_time_went import WhereTimeWentPanel  # noqa: E402

# Every panel, in tab order after the history: one line each.
PANELS: tuple[type[Panel], ...] = (
    WhereTimeWentPanel,
    CodePanel,
    MandelbrotPanel,
    RecordingPanel,
    ExportPanel,
)

__all__ = ["PANELS", "Panel"]
