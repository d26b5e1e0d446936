"""The window's side of record and replay: keep the last run, save it, open a file, replay it.

The keeper is a `Recorder` fed from each tick's frame (the records the controller's poll
returned, with the run's clock), so nothing changes in how a live run is run. It keeps at most
`WINDOW_RECORDS` records (about 55 MB): a longer run is not kept, and Save run… says so.

Reading and writing files happen on a thread of their own; a 50 ms timer on the GUI thread
looks whether they are done, and never waits for them. A replay is a `ReplayRun` handed to
`MainWindow.start_config`, so the charts, the event log, the status line and the history
show it as they show a live run. Scrubbing back starts the replay again from the slider's
point (the charts' statistics only go forwards); scrubbing ahead jumps there.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from app.engine.recording import Recorder, Recording, RecordingError, load, save
from app.engine.records import WorkerStarted
from app.engine.replay import END, ReplayRun
from app.gui.replay_bar import ReplayBar

WINDOW_RECORDS = 250_000  # records kept of a run: 219 bytes each in memory, measured
CHECK_MS = 50


class _Job:
    """One file read or written on a thread of its own; `done` and `outcome` when it ends."""

    def __init__(self, work, path: str) -> None:
        self.path = path
        self.outcome: object = None
        self.error: str | None = None
        name = f"recording file {Path(path).name}"
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True, name=name)
        self._thread.start()

    def _run(self, work) -> None:
        try:
            self.outcome = work()
        except RecordingError as error:
            self.error = str(error)
        except Exception as error:  # a bug must still end in one line, not a dead thread
            self.error = f"{type(error).__name__}: {error}"

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


def ordered_records(frame) -> list:
    """A tick's records in the order `Run.poll()` gives them: hellos, blocks, then the rest
    (failures, deaths, the end). The frame hands blocks apart from the other records."""
    hellos = [event for event in frame.events if type(event) is WorkerStarted]
    others = [event for event in frame.events if type(event) is not WorkerStarted]
    return [*hellos, *frame.segments, *others]


def local_file(event) -> str | None:
    """The one local file a drag carries, or None."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return files[0] if len(files) == 1 else None


class ReplayDriver(QObject):
    """Keeps, saves, opens and replays runs for one window."""

    replay_finished = Signal(object)  # the RunSummary of a replay that reached its end
    saved = Signal(str)  # the path a run was saved to
    changed = Signal()  # what there is to save or what is being replayed changed

    def __init__(self, window, bar: ReplayBar) -> None:
        super().__init__(window)
        self.window = window
        self.bar = bar
        self.keeper: Recorder | None = None  # the current live run's records
        self.last_run: Recording | Recorder | None = None  # the last finished run, to save
        self.recording: Recording | None = None  # the file being replayed
        self.file_name = ""
        self.replay: ReplayRun | None = None
        self.speed = 1.0
        self._starting_replay = False
        self._opening: _Job | None = None
        self._saving: _Job | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self._check_jobs)
        bar.speed_chosen.connect(self.set_speed)
        bar.seek_requested.connect(self.seek)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    # -- what the window tells -------------------------------------------------------------

    @property
    def replaying(self) -> bool:
        """The charts show a replay (running or at its end)."""
        return self.replay is not None

    def run_started(self, config) -> None:
        if self._starting_replay:
            return
        self.replay = None
        self.bar.setVisible(False)
        self.keeper = Recorder(config=config, limit=WINDOW_RECORDS)
        self.changed.emit()

    def observe(self, frame) -> None:
        if self.replay is not None:
            self.bar.show_position(frame.books.elapsed_s)
        elif self.keeper is not None:
            self.keeper.add(frame.books.elapsed_s, ordered_records(frame))

    def run_finished(self, summary) -> None:
        if self.replay is not None:  # the history has marked its row (ReplayRun.provenance)
            self.last_run = self.recording
            self.replay_finished.emit(summary)
        elif self.keeper is not None:
            self.last_run, self.keeper = self.keeper, None
        self.changed.emit()

    # -- saving --------------------------------------------------------------------------

    def save_problem(self) -> str | None:
        """Why Save run… cannot save now, or None."""
        if self._saving is not None:
            return "a run is being saved already"
        if self.last_run is None:
            return "there is no finished run to save yet"
        if isinstance(self.last_run, Recorder):
            try:
                self.last_run.recording()
            except RecordingError as error:
                return str(error)
        return None

    def save_to(self, path: str) -> bool:
        """Write the last finished run to `path` on a thread; the event log says how it went."""
        problem = self.save_problem()
        if problem:
            self.window.event_log.add(f"Cannot save the run: {problem}", "error")
            return False
        last = self.last_run
        recording = last.recording() if isinstance(last, Recorder) else last
        self._saving = _Job(lambda: save(recording, path), path)
        self._timer.start()
        return True

    # -- opening and replaying -----------------------------------------------------------

    def open_path(self, path: str) -> bool:
        """Read a recorded run on a thread, then replay it; False if one cannot start now."""
        name = Path(path).name
        if self.window.running:
            self.window.event_log.add(
                f"Cannot open {name} while a run is going: stop it first", "error"
            )
            return False
        if self._opening is not None:
            return False
        self.window.status.show_state(f"Opening {name} …")
        self._opening = _Job(lambda: load(path), path)
        self._timer.start()
        return True

    def _check_jobs(self) -> None:
        for job in (self._opening, self._saving):
            if job is None or not job.done:
                continue
            if job is self._opening:
                self._opening = None
                self._opened(job)
            else:
                self._saving = None
                self._saved(job)
        if self._opening is None and self._saving is None:
            self._timer.stop()

    def _opened(self, job: _Job) -> None:
        name = Path(job.path).name
        if job.error is not None:
            self.window.event_log.add(f"Cannot open the run: {job.error}", "error")
            self.window.status.show_state(f"Cannot open {name}")
            return
        if self.window.running:  # a run was started while the file was read
            self.window.event_log.add(f"Not replaying {name}: a run is going", "user")
            return
        self.recording, self.file_name = job.outcome, name
        self.start_replay(0.0)

    def _saved(self, job: _Job) -> None:
        if job.error is not None:
            self.window.event_log.add(f"Cannot save the run: {job.error}", "error")
            return
        self.window.event_log.add(f"Saved the run to {job.path} ({job.outcome:,} bytes)", "info")
        self.saved.emit(job.path)

    def start_replay(self, at: float) -> None:
        """Replay the open recording from `at` seconds of its clock, in the live charts."""
        recording = self.recording
        replay = ReplayRun(recording, speed=self.speed, start_at=at, file_name=self.file_name)
        self._starting_replay = True
        try:
            self.replay = replay
            self.window.start_config(recording.config, run=replay)
        finally:
            self._starting_replay = False
        if self.window.run is not replay:  # the window would not start it (closing)
            self.replay = None
            return
        where = f" from {at:.1f} s" if at > 0 else ""
        when = f" on {recording.when}" if recording.when else ""
        self.window.event_log.add(
            f"Replaying {self.file_name}{where}: recorded on {recording.machine.describe()}{when}",
            "info",
        )
        # The controls say what the charts show: the recorded run's settings, ready to be run
        # live here with Start.
        missing = self.window.controls.show_config(recording.config)
        if at == 0:
            note = "The controls show the recorded run's settings: Start runs them live here."
            if missing:
                note += f" This computer lacks {' and '.join(missing)}: the controls keep yours."
            self.window.event_log.add(note, "info")
        self.window.status.show_state(f"Replaying {self.file_name}")
        self.bar.show_replay(self.file_name, recording.duration, self.speed)
        self.bar.show_position(at)
        self.changed.emit()

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        replay = self.replay
        if replay is not None and not replay.finished:
            replay.set_speed(speed)
        self.bar.set_speed(speed)

    def seek(self, at: float) -> None:
        """Jump to `at` seconds of the recorded run: ahead in this replay, or back by
        replaying again from there."""
        replay = self.replay
        if replay is None or self.recording is None:
            return
        if not replay.finished and replay.seek(at):
            return
        if self.window.running:
            if self.window.run is not replay:
                return
            replay.abandon()
        if self.speed == END:
            self.set_speed(1.0)  # a jump means: watch from there
        self.start_replay(at)

    # -- drag and drop -------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, (QDragEnterEvent, QDropEvent)
        ):
            if local_file(event) is not None:
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            path = local_file(event)
            if path is not None:
                event.acceptProposedAction()
                self.open_path(path)
                return True
        return False
