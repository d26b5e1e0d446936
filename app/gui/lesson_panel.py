"""The lesson panel: what a lesson asks before it runs, how far it has got, and what it showed.

Before the run: the lesson's title, the question to ask the class, what it runs, and a box for
the class's guess. While it runs: "run 5 of 21: 2 threads". At the end: the conclusion the
lesson drew from what was measured, beside the guess, and the lesson's own printout (the
tutorial's "4**4 = 256 computed by SpawnPoolWorker-2"). The panel only shows; the
`LessonDriver` decides.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.gui.theme import set_scaled_font
from app.lessons import Lesson

RUN_STYLE = (
    "QPushButton:enabled { background: #0072B2; color: white; border-color: #005A8C; "
    "font-weight: bold; }"
)
STOP_STYLE = (
    "QPushButton:enabled { background: #D55E00; color: white; border-color: #A84A00; "
    "font-weight: bold; }"
)
CONCLUSION_STYLE = (
    "QLabel { background: #EAF5EF; border: 1px solid #9CCFB5; border-radius: 4px; "
    "padding: 0.35em; }"
)


def _wrapped(text: str = "", name: str | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    if name:
        label.setObjectName(name)
    return label


class LessonPanel(QScrollArea):
    """One lesson at a time; scrolls when the window is short (a 720-line projector)."""

    run_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.title = _wrapped()
        set_scaled_font(self.title, 2, bold=True)
        self.question = _wrapped()
        set_scaled_font(self.question, 1, bold=True)
        self.explanation = _wrapped(name="explanation")

        self.expect_edit = QLineEdit()
        self.expect_edit.setPlaceholderText("the class's guess, e.g. 2× as fast")
        self.expect_edit.setClearButtonEnabled(True)
        expect_row = QHBoxLayout()
        expect_row.addWidget(QLabel("What do you expect?"))
        expect_row.addWidget(self.expect_edit, 1)

        self.quick_check = QCheckBox("Quick: small runs, once each")
        self.quick_check.setToolTip(
            "A few seconds instead of half a minute: fewer tasks and no repeats, so the "
            "numbers are rougher."
        )
        self.run_button = QPushButton("Run lesson")
        self.run_button.setStyleSheet(RUN_STYLE)
        self.run_button.setToolTip("Run every case of the lesson, one after another")
        self.stop_button = QPushButton("Stop lesson")
        self.stop_button.setStyleSheet(STOP_STYLE)
        self.stop_button.setToolTip("Stop the run going now and the lesson with it (Esc)")
        self.run_button.clicked.connect(self.run_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.stop_button, 1)

        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress = _wrapped()

        self.expected = _wrapped()
        set_scaled_font(self.expected, 0, bold=True)
        self.conclusion = _wrapped()
        self.conclusion.setStyleSheet(CONCLUSION_STYLE)
        self.printout = QPlainTextEdit()
        self.printout.setReadOnly(True)
        self.printout.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        set_scaled_font(self.printout, -1, fixed=True)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.title, self.question, self.explanation):
            layout.addWidget(widget)
        layout.addLayout(expect_row)
        layout.addWidget(self.quick_check)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress)
        layout.addWidget(self.expected)
        layout.addWidget(self.conclusion)
        layout.addWidget(self.printout)
        layout.addStretch(1)
        self.setWidget(body)
        self.lesson: Lesson | None = None
        self.set_running(False)

    @property
    def quick(self) -> bool:
        return self.quick_check.isChecked()

    @property
    def guess(self) -> str:
        return self.expect_edit.text().strip()

    def show_lesson(self, lesson: Lesson) -> None:
        """The lesson before it runs: what to ask, what it runs; no result yet."""
        self.lesson = lesson
        self.title.setText(lesson.title)
        self.question.setText(f"Ask the class: {lesson.question}")
        self.explanation.setText(lesson.explanation)
        self.expect_edit.clear()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress.setText("Not run yet.")
        self.show_result("", [], "")

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        self.progress.setText(text)

    def show_result(self, conclusion: str, lines: list[str], guess: str) -> None:
        """The measured conclusion, the class's guess above it, and the lesson's printout."""
        self.expected.setText(f"The class expected: {guess}" if guess and conclusion else "")
        self.expected.setVisible(bool(guess and conclusion))
        self.conclusion.setText(f"Measured: {conclusion}" if conclusion else "")
        self.conclusion.setVisible(bool(conclusion))
        self.printout.setPlainText("\n".join(lines))
        self.printout.setVisible(bool(lines))
        if lines:
            # Tall enough for every line (the tutorial's ten), no taller.
            rows = min(len(lines), 16) + 1
            self.printout.setFixedHeight(rows * self.printout.fontMetrics().lineSpacing() + 12)
        if conclusion:
            # On a short screen the result is below the question: bring it into view.
            self.widget().adjustSize()
            self.ensureWidgetVisible(self.printout if lines else self.conclusion, 0, 0)

    def set_running(self, running: bool, can_run: bool = True) -> None:
        self.run_button.setEnabled(not running and can_run and self.lesson is not None)
        self.stop_button.setEnabled(running)
        self.quick_check.setEnabled(not running)
