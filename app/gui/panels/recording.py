"""The Recording tab, and File > Save run… / Open run…: record a run, replay one.

The tab says what Save run… would save (the last finished run, kept as it ran) and, while the
charts show a replay, where that run was recorded: on which machine, when, with what settings,
since its start-up, speed and waiting are that machine's and not this one's. A `.mpprun` file
dropped on the window opens too. The work is done by `app.gui.replay_driver.ReplayDriver`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
)

from app.engine.recording import SUFFIX, Recorder
from app.gui.panels import Panel
from app.gui.replay_bar import ReplayBar
from app.gui.replay_driver import WINDOW_RECORDS, ReplayDriver

FILE_FILTER = f"Recorded runs (*{SUFFIX});;All files (*)"


class RecordingPanel(Panel):
    name = "recording"
    title = "Recording"

    def __init__(self) -> None:
        super().__init__()
        self.driver: ReplayDriver | None = None
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.PlainText)
        self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.about.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.open_button = QPushButton("Open run…")
        self.save_button = QPushButton("Save run…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.about, 1)

    def attach(self, window) -> None:
        self.window = window
        self.bar = ReplayBar()
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.bar)
        self.driver = ReplayDriver(window, self.bar)
        self.open_action = QAction("&Open run…", window, shortcut=QKeySequence.StandardKey.Open)
        self.save_action = QAction("&Save run…", window, shortcut=QKeySequence.StandardKey.Save)
        self.open_action.setToolTip("Replay a run recorded here or with run --record")
        self.save_action.setToolTip("Save the last finished run to a .mpprun file")
        self.open_action.triggered.connect(self.choose_file_to_open)
        self.save_action.triggered.connect(self.choose_file_to_save)
        self.open_button.clicked.connect(self.choose_file_to_open)
        self.save_button.clicked.connect(self.choose_file_to_save)
        menu = window.file_menu
        for action in (self.open_action, self.save_action):
            menu.insertAction(window.quit_action, action)
        menu.insertSeparator(window.quit_action)
        self.driver.changed.connect(self.show_state)
        window.run_started.connect(self.show_state)
        window.run_finished.connect(self.show_state)
        self.show_state()

    # -- the hooks -----------------------------------------------------------------------

    def run_started(self, config) -> None:
        self.driver.run_started(config)

    def observe(self, frame) -> None:
        self.driver.observe(frame)

    def run_finished(self, summary) -> None:
        self.driver.run_finished(summary)

    # -- the dialogs ---------------------------------------------------------------------

    def choose_file_to_open(self) -> None:
        if self.window.running:
            self.window.event_log.add("Stop the run before opening a recorded one", "user")
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a recorded run", "", FILE_FILTER)
        if path:
            self.driver.open_path(path)

    def choose_file_to_save(self) -> None:
        problem = self.driver.save_problem()
        if problem:
            self.window.event_log.add(f"Cannot save the run: {problem}", "error")
            return
        summary = self.window.last_summary
        suggested = f"{summary.workload}-{summary.workers}-{summary.executor}{SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the run", suggested, FILE_FILTER)
        if path:
            if not path.endswith(SUFFIX) and "." not in path.rsplit("/", 1)[-1]:
                path += SUFFIX
            self.driver.save_to(path)

    # -- what the tab says ---------------------------------------------------------------

    def show_state(self, *_: object) -> None:
        driver = self.driver
        running = self.window.running
        self.open_action.setEnabled(not running)
        self.open_button.setEnabled(not running)
        can_save = driver.save_problem() is None
        self.save_action.setEnabled(can_save)
        self.save_button.setEnabled(can_save)
        self.about.setText(self.describe())

    def describe(self) -> str:
        driver = self.driver
        lines = []
        if driver.replaying and driver.recording is not None:
            recording = driver.recording
            config = recording.config
            when = recording.when or "an unknown time"
            lines += [
                f"The charts show a replay of {driver.file_name}, "
                f"recorded on {recording.machine.describe()} at {when}.",
                f"It ran {config.task_count:,} {config.workload} tasks on {config.workers} "
                f"{config.executor} worker(s): its start-up, speed and waiting were measured "
                "there, not on this computer.",
                "Replay at 1×, 2×, 5×, 10× or jump to the end with the bar above the charts; "
                "drag its slider to go back or ahead.",
            ]
        else:
            lines.append(
                "Open run… (or drop a .mpprun file on the window) replays a run recorded here "
                "or on another computer with: python -m app run … --record FILE"
            )
        last = driver.last_run
        if last is None:
            lines.append("Save run… saves the last finished run: none yet.")
        elif isinstance(last, Recorder):
            problem = driver.save_problem()
            lines.append(
                f"Save run… saves the last finished run ({last.kept:,} records kept)."
                if problem is None
                else f"The last run cannot be saved: {problem}."
            )
        else:
            lines.append(f"Save run… saves the replayed run again ({driver.file_name}).")
        lines.append(f"The window keeps at most {WINDOW_RECORDS:,} records of a run.")
        return "\n".join(lines)
