"""The control panel: what to run, how many workers, and the Start / Stop / Kill buttons.

Every input is a spinbox, a check box or a combo box with a fixed range, so the panel cannot hold
a value the engine would refuse; a number typed above a spinbox's range becomes its maximum, and
`note` says so for the event log. While a run is going, the inputs that would change it are
locked. The panel keeps its size whatever the workload: its explanation box is as tall as the
longest explanation needs, up to a few lines (a longer one scrolls, so the window fits a
1280x720 projector), and each combo box is wide enough for its longest item.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.engine import (
    BACKENDS,
    RunConfig,
    available_start_methods,
    cpu_count,
    current_platform,
)
from app.engine.platform_facts import PlatformFacts
from app.gui.clamping_spinbox import ClampingSpinBox
from app.gui.settings import MAX_CHUNKSIZE, PlaygroundSettings, max_workers
from app.gui.theme import zoom_percent
from app.workloads import IO_BOUND, WORKLOADS

# The engine accepts 10 million; a million already takes a minute and plenty of memory.
MAX_GUI_TASKS = 1_000_000

COMPACT_FROM = 150  # presenter mode's zoom from which each label sits above its box

MAX_EXPLANATION_LINES = 5  # the explanation box's height; a longer one scrolls

# Workers lower their own priority this much, so the window stays smooth when every core is
# busy (see RunConfig.worker_nice); on an otherwise idle computer they lose nothing.
WORKER_NICENESS = 10

# The engine learns to run until Stop in a later version; until then the check box is greyed out.
ENGINE_RUNS_UNTIL_STOPPED = "until_stopped" in RunConfig.__dataclass_fields__


def cpus_text(cpus: int) -> str:
    """The line that puts the tutorial's cpu_count() on the screen."""
    return f"This computer: {cpus} CPU{'s' if cpus != 1 else ''} (os.cpu_count())"


def python_text(facts: PlatformFacts) -> str:
    """The line under it: which Python runs the workers, and whether its threads share one GIL
    (which is why two threads take turns on primes)."""
    return f"and {facts.python_text}"


def oversubscription_warning(workers: int, cpus: int, workload_kind: str) -> str:
    """What to expect from more workers than CPUs: a fact to learn, not an error."""
    if workload_kind == IO_BOUND:
        return (
            f"{workers} workers on {cpus} CPUs: waiting needs no CPU, so for I/O-bound tasks "
            "more workers than cores can still help."
        )
    return (
        f"{workers} workers on {cpus} CPUs: they take turns on the cores, "
        f"so expect at most {cpus}x."
    )


class ControlPanel(QWidget):
    """Inputs for one run plus the buttons that drive it."""

    start_requested = Signal()
    stop_requested = Signal()
    kill_requested = Signal()
    note = Signal(str)  # a line for the event log: a typed number that was too big

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workload_combo = QComboBox()
        for name, workload in WORKLOADS.items():
            self.workload_combo.addItem(workload.title, name)
        self.explanation = QLabel()
        self.explanation.setObjectName("explanation")
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.explanation.installEventFilter(self)
        self.explanation.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # At most a few lines tall, so the window fits a 1280x720 projector; a longer
        # explanation scrolls rather than being cut.
        self.explanation_area = QScrollArea()
        self.explanation_area.setObjectName("explanationArea")
        self.explanation_area.setWidget(self.explanation)
        self.explanation_area.setWidgetResizable(True)
        self.explanation_area.setFrameShape(QFrame.Shape.NoFrame)
        self.explanation_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.tasks_spin = ClampingSpinBox()
        self.tasks_spin.setRange(1, MAX_GUI_TASKS)
        self.tasks_spin.setGroupSeparatorShown(True)
        self.tasks_spin.setAccelerated(True)
        self.until_stopped_check = QCheckBox("Until Stop")
        if ENGINE_RUNS_UNTIL_STOPPED:
            self.until_stopped_check.setToolTip(
                "Keep sending rounds of this many tasks until you press Stop: for live demos."
            )
        else:
            self.until_stopped_check.setToolTip("This version of the engine cannot run until Stop.")

        self.executor_combo = QComboBox()
        for name, backend in BACKENDS.items():
            missing = backend.missing()
            self.executor_combo.addItem(
                f"{backend.label} (not installed)" if missing else backend.label, name
            )
            index = self.executor_combo.count() - 1
            self.executor_combo.setItemData(
                index, missing or backend.tip, Qt.ItemDataRole.ToolTipRole
            )
            if missing:  # shown, so the class knows it exists, but it cannot be chosen
                self.executor_combo.model().item(index).setEnabled(False)
        self.scheduler_edit = scheduler_edit()

        self.workers_spin = ClampingSpinBox()
        self.workers_spin.setRange(1, max_workers())
        self.workers_spin.setToolTip(f"1 to {max_workers()} workers")
        self.cpus_label = QLabel(cpus_text(cpu_count()))
        self.cpus_label.setObjectName("hint")
        self.python_label = QLabel(python_text(current_platform()))
        self.python_label.setObjectName("hint")

        self.chunksize_spin = ClampingSpinBox()
        self.chunksize_spin.setRange(0, MAX_CHUNKSIZE)
        self.chunksize_spin.setSpecialValueText("auto")
        self.chunksize_spin.setGroupSeparatorShown(True)

        self.start_method_combo = QComboBox()
        for method in available_start_methods():
            self.start_method_combo.addItem(method, method)

        for combo in (self.workload_combo, self.executor_combo, self.start_method_combo):
            # As wide as the longest item: a workload's name cut short is a name misread.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        form = QFormLayout()
        self._form = form
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Workload", self.workload_combo)
        tasks_row = QHBoxLayout()
        tasks_row.addWidget(self.tasks_spin, 1)
        tasks_row.addWidget(self.until_stopped_check)
        form.addRow("Tasks", tasks_row)
        executor_row = QHBoxLayout()
        executor_row.addWidget(self.executor_combo)
        executor_row.addWidget(self.scheduler_edit, 1)  # shown for Dask only: no row appears
        form.addRow("Executor", executor_row)
        form.addRow("Workers", self.workers_spin)
        form.addRow("", self.cpus_label)
        form.addRow("", self.python_label)
        form.addRow("Chunk size", self.chunksize_spin)
        form.addRow("Start method", self.start_method_combo)
        inputs = QGroupBox("What to run")
        # The explanation sits outside the form: a form row gets a wrapped label's height wrong.
        inputs_layout = QVBoxLayout(inputs)
        inputs_layout.addWidget(self.explanation_area)
        inputs_layout.addLayout(form)

        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setToolTip("Start the run (Ctrl+R)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop the run: workers are ended within a second (Esc)")
        self.kill_button = QPushButton("Kill a worker")
        self.kill_button.setObjectName("killButton")
        self.kill_button.setToolTip(
            "Send SIGKILL to one worker process, as if it crashed. Watch the pool notice,\n"
            "start a new worker, and run the lost tasks again."
        )
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.kill_button.clicked.connect(self.kill_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button, 2)
        buttons.addWidget(self.stop_button, 2)
        buttons.addWidget(self.kill_button, 3)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(inputs)
        layout.addLayout(buttons)

        self.workload_combo.currentIndexChanged.connect(self._workload_changed)
        self.executor_combo.currentIndexChanged.connect(self._executor_changed)
        for spin, name in (
            (self.tasks_spin, "Tasks"),
            (self.workers_spin, "Workers"),
            (self.chunksize_spin, "Chunk size"),
        ):
            spin.clamped.connect(
                lambda typed, shown, name=name: self.note.emit(
                    f"{name}: you typed {typed:,}, more than the {shown:,} allowed; "
                    f"set to {shown:,}."
                )
            )
        self._oversubscriptions_told: set[tuple[int, bool]] = set()
        self._running = False
        self._workload_changed()
        self.set_running(False, can_kill=False)

    @property
    def workload(self) -> str:
        return self.workload_combo.currentData()

    @property
    def executor(self) -> str:
        return self.executor_combo.currentData()

    @property
    def backend(self):
        """The engine backend chosen, with its facts (label, tip, one_worker...)."""
        return BACKENDS[self.executor]

    @property
    def scheduler(self) -> str:
        """The Dask scheduler address typed, "" for a local cluster."""
        return self.scheduler_edit.text().strip()

    def apply(self, settings: PlaygroundSettings) -> None:
        """Show stored settings (already validated by the settings store)."""
        _select(self.workload_combo, settings.workload)
        self.tasks_spin.setValue(settings.tasks)
        if not BACKENDS[settings.executor].missing():
            _select(self.executor_combo, settings.executor)
        self.workers_spin.setValue(settings.workers)
        self.chunksize_spin.setValue(settings.chunksize)
        _select(self.start_method_combo, settings.start_method)
        self.until_stopped_check.setChecked(settings.until_stopped and ENGINE_RUNS_UNTIL_STOPPED)
        self.scheduler_edit.setText(settings.scheduler)

    def show_config(self, config: RunConfig) -> list[str]:
        """Show a run's settings (a replayed recording's), so the controls say what the charts
        show; returns what this computer cannot show of it (an executor not installed here, a
        start method this OS lacks), each in a few words: those controls keep their value."""
        missing = []
        if BACKENDS[config.executor].missing() or self.executor_combo.findData(config.executor) < 0:
            missing.append(f"the {config.executor} executor")
        if self.start_method_combo.findData(config.start_method) < 0:
            missing.append(f"the {config.start_method} start method")
        self.apply(
            PlaygroundSettings(
                workload=config.workload,
                tasks=min(config.task_count, self.tasks_spin.maximum()),
                executor=config.executor,
                workers=config.workers,
                chunksize=config.chunksize,
                start_method=config.start_method,
                until_stopped=config.until_stopped,
                scheduler=config.scheduler,
            )
        )
        return missing

    def current(self, base: PlaygroundSettings) -> PlaygroundSettings:
        return replace(
            base,
            workload=self.workload,
            tasks=self.tasks_spin.value(),
            executor=self.executor,
            workers=self.workers_spin.value(),
            chunksize=self.chunksize_spin.value(),
            start_method=self.start_method_combo.currentData(),
            until_stopped=self.until_stopped_check.isChecked(),
            scheduler=self.scheduler,
        )

    def run_config(self) -> RunConfig:
        """The run these controls describe (raises ConfigError if the engine disagrees)."""
        extra = {}
        if ENGINE_RUNS_UNTIL_STOPPED and self.until_stopped_check.isChecked():
            extra["until_stopped"] = True
        return RunConfig(
            workload=self.workload,
            tasks=self.tasks_spin.value(),
            executor=self.executor,
            # A serial run is one worker, whatever the spinbox says: the history compares it so.
            workers=1 if self.backend.one_worker else self.workers_spin.value(),
            chunksize=self.chunksize_spin.value(),
            start_method=self.start_method_combo.currentData(),
            worker_nice=WORKER_NICENESS,
            scheduler=self.scheduler if self.backend.uses_scheduler else "",
            **extra,
        )

    def oversubscription_note(self, config: RunConfig) -> str | None:
        """A line for the event log the first time a run asks for more workers than CPUs (once
        per worker count and kind of workload: a warning repeated every run is not read)."""
        cpus = cpu_count()
        if config.workers <= cpus:
            return None
        kind = WORKLOADS[config.workload].kind
        key = (config.workers, kind == IO_BOUND)
        if key in self._oversubscriptions_told:
            return None
        self._oversubscriptions_told.add(key)
        return oversubscription_warning(config.workers, cpus, kind)

    def set_running(self, running: bool, can_kill: bool, stopping: bool = False) -> None:
        """Lock what would change a running run; enable only the buttons that make sense now."""
        self._running = running
        for widget in (
            self.workload_combo,
            self.tasks_spin,
            self.executor_combo,
            self.chunksize_spin,
            self.scheduler_edit,
        ):
            widget.setEnabled(not running)
        self.until_stopped_check.setEnabled(not running and ENGINE_RUNS_UNTIL_STOPPED)
        self._executor_changed()
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running and not stopping)
        self.kill_button.setEnabled(running and can_kill and not stopping)

    def apply_zoom(self) -> None:
        """Presenter mode's zoom changed: compact from `COMPACT_FROM` %."""
        self.set_compact(zoom_percent() >= COMPACT_FROM)

    def set_compact(self, compact: bool) -> None:
        """Compact (presenter mode's big type): each label above its box and the CPU lines
        wrapped, so the column stays narrow enough to leave the charts most of a 1280x720
        screen; it grows taller instead, and the window scrolls it."""
        self._form.setRowWrapPolicy(
            QFormLayout.RowWrapPolicy.WrapAllRows
            if compact
            else QFormLayout.RowWrapPolicy.DontWrapRows
        )
        for label in (self.cpus_label, self.python_label):
            label.setWordWrap(compact)
            blank = self._form.labelForField(label)  # above the line it would be a blank line
            if blank is not None:
                blank.setVisible(not compact)
        self._fit_explanation()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presenter mode's zoom
            self._fit_explanation()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # A wrapped label's height depends on its width, which layouts do not always honour:
        # refit whenever the explanation itself gets a new width.
        if watched is self.explanation and event.type() == QEvent.Type.Resize:
            self._fit_explanation()
        return super().eventFilter(watched, event)

    def _fit_explanation(self) -> None:
        """Make the box as tall as the longest explanation needs at the width it now has, so
        that choosing another workload never moves the controls below it."""
        width = self.explanation.width()
        if width <= 0:
            return
        shown = self.explanation.text()
        tallest = 0
        for workload in WORKLOADS.values():
            self.explanation.setText(explanation_text(workload))
            tallest = max(tallest, self.explanation.heightForWidth(width))
        self.explanation.setText(shown)
        self.explanation.setFixedHeight(self.explanation.heightForWidth(width))
        most = MAX_EXPLANATION_LINES * self.explanation.fontMetrics().lineSpacing()
        margins = self.explanation.contentsMargins()
        self.explanation_area.setFixedHeight(min(tallest, most + margins.top() + margins.bottom()))

    def _workload_changed(self) -> None:
        workload = WORKLOADS[self.workload]
        self.explanation.setText(explanation_text(workload))
        self._fit_explanation()
        self.tasks_spin.setValue(workload.default_tasks)

    def _executor_changed(self) -> None:
        # Workers and start method mean nothing to a serial run; the start method only
        # matters for processes. Greyed out rather than hidden so the layout never jumps.
        backend = self.backend
        self.workers_spin.setEnabled(not self._running and not backend.one_worker)
        self.start_method_combo.setEnabled(not self._running and backend.uses_start_method)
        self.scheduler_edit.setVisible(backend.uses_scheduler)


SCHEDULER_PATTERN = r"((tcp|tls)://)?[A-Za-z0-9._\-\[\]:]*"  # what can become tcp://HOST:PORT


def scheduler_edit() -> QLineEdit:
    """The Dask scheduler's address: empty (a local cluster per run) or tcp://HOST:PORT.

    A validator keeps out what could never be an address; the engine checks the rest at
    Start, and the event log says what it wants."""
    edit = QLineEdit()
    edit.setObjectName("schedulerAddress")
    edit.setPlaceholderText("local cluster")
    edit.setClearButtonEnabled(True)
    edit.setMaxLength(200)
    edit.setValidator(QRegularExpressionValidator(QRegularExpression(SCHEDULER_PATTERN), edit))
    edit.setToolTip(
        "Empty: each run starts a Dask cluster on this computer and closes it.\n"
        "tcp://HOST:PORT: run on the cluster whose scheduler is there (see README,\n"
        "'Beyond one machine'); the run never closes it."
    )
    return edit


def explanation_text(workload) -> str:
    return f"{workload.kind}. {workload.explanation}"


def _select(combo: QComboBox, data: str) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)
