"""The Code tab: the Python script behind the current settings, to read, copy or save.

It follows the controls as they change (and shows the script of each run as it starts, a
lesson's cases included). The script comes from `app.control.codegen`, the same text
`python -m app code` prints: standard library only, runnable as it is. Settings the engine
would refuse show the reason instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from app.control.codegen import ScriptUnavailable, script_file_name, script_for
from app.engine import ConfigError, RunConfig
from app.gui.panels import Panel
from app.gui.python_highlighter import PythonHighlighter
from app.gui.theme import set_scaled_font


class CodePanel(Panel):
    name = "code"
    title = "Code"

    def __init__(self) -> None:
        super().__init__()
        self.script = ""  # the script shown, "" when the settings have none
        self._config: RunConfig | None = None
        self._controls = None
        self.note = QLabel()
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        set_scaled_font(self.editor, -1, fixed=True)  # follows the presenter zoom
        self.highlighter = PythonHighlighter(self.editor.document())
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the whole script to the clipboard")
        self.save_button = QPushButton("Save as .py…")
        self.save_button.setToolTip("Save the script as a Python file that runs on its own")
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self.ask_where_to_save)

        buttons = QVBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.note, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.note.setMaximumWidth(220)

    def attach(self, window) -> None:
        controls = self._controls = window.controls
        for signal in (
            controls.workload_combo.currentIndexChanged,
            controls.executor_combo.currentIndexChanged,
            controls.start_method_combo.currentIndexChanged,
            controls.tasks_spin.valueChanged,
            controls.workers_spin.valueChanged,
            controls.chunksize_spin.valueChanged,
            controls.until_stopped_check.toggled,
        ):
            signal.connect(self.follow_controls)
        self.follow_controls()

    def follow_controls(self, *_changed) -> None:
        """Show the script for what the controls say now, or why there is none."""
        try:
            config = self._controls.run_config()
        except ConfigError as error:
            self.show_config(None, f"No script for these settings: {error}")
            return
        self.show_config(config)

    def run_started(self, config: RunConfig) -> None:
        self.show_config(config)

    def show_config(self, config: RunConfig | None, problem: str = "") -> None:
        script = ""
        if config is not None:
            try:
                script = script_for(config)
            except ScriptUnavailable as error:
                problem = f"No script for these settings: {error}"
        self._config = config if script else None
        if script != self.script:
            self.script = script
            scroll = self.editor.verticalScrollBar().value()
            self.editor.setPlainText(script or f"# {problem}")
            self.editor.verticalScrollBar().setValue(scroll)
        self.editor.setEnabled(bool(script))
        self.copy_button.setEnabled(bool(script))
        self.save_button.setEnabled(bool(script))
        self.note.setText(problem or "Standard library only: it runs as it is.")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.script)
        self.note.setText("Copied: paste it into a file or a notebook.")

    def ask_where_to_save(self) -> None:
        if not self.script:
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the script",
            str(Path.home() / script_file_name(self._config)),
            "Python files (*.py)",
        )
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Write the script to `path` (".py" added if it has no suffix); one line says how it
        went. True if it was saved."""
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(".py")
        try:
            target.write_text(self.script, encoding="utf-8")
        except OSError as error:
            self.note.setText(f"Could not save {target.name}: {error.strerror or error}")
            return False
        self.note.setText(f"Saved {target}. Run it with: python {target.name}")
        return True
