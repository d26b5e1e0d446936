"""The panel contract: every panel gets a tab, and hears of each run's start, ticks and end."""

from __future__ import annotations

import pytest

import app.gui.window as window_module
from app.engine import RunConfig
from app.gui.panels import PANELS, Panel


class Recorder(Panel):
    name = "recorder"
    title = "Recorder"

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    def attach(self, window) -> None:
        self.heard.append("attach")

    def run_started(self, config) -> None:
        self.heard.append(f"started {config.workload}")

    def observe(self, frame) -> None:
        if not self.heard or self.heard[-1] != "tick":
            self.heard.append("tick")

    def run_finished(self, summary) -> None:
        self.heard.append(f"finished {summary.completed}")


def test_every_panel_has_a_name_and_a_tab_title():
    names = [panel_class.name for panel_class in PANELS]
    assert len(set(names)) == len(names)
    assert all(panel_class.title for panel_class in PANELS)


@pytest.mark.timeout(60)
def test_a_panel_hears_a_run_from_start_to_end(qtbot, qapp, settings_path, monkeypatch):
    monkeypatch.setattr(window_module, "PANELS", (*PANELS, Recorder))
    win = window_module.MainWindow(settings_path=settings_path)
    qtbot.addWidget(win)
    recorder = win.panel("recorder")
    assert win.tabs.indexOf(recorder) == win.tabs.count() - 1
    assert win.tabs.tabText(win.tabs.count() - 1) == "Recorder"
    with qtbot.waitSignal(win.run_finished, timeout=30_000):
        win.start_config(RunConfig(workload="power", tasks=50, workers=1, executor="serial"))
    assert recorder.heard == ["attach", "started power", "tick", "finished 50"]
    win.close()
