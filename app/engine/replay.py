"""ReplayRun: a recorded run played back, looking to its caller like a live `Run`.

It has what `RunController` and the command line use of a `Run` (`start`, `poll`, `stop`,
`elapsed`, `progress`, `finished`, `summary`, `wait`), so every chart, the event log, the
status line and the history show a replay as they show a run. `poll()` returns the records the
live run's `poll()` returned, in the same order, once the replay's clock has reached the time
they were returned at. The clock runs at 1x, 2x, 5x or 10x the recorded one, or straight to
the end (`END`); `seek()` jumps ahead. No process is started: nothing can be killed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.engine.recording import Recording
from app.engine.records import RunFinished, RunSummary, Segment, TaskFailed
from app.engine.run import Progress

END = math.inf  # the speed that goes straight to the end
SPEEDS = (1.0, 2.0, 5.0, 10.0, END)
# At most this many records per poll, so that a frame never has more to draw than a live run
# gives it: straight to the end, a file of a million blocks takes a few seconds to show.
RECORDS_PER_POLL = 1000


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a replayed run was measured, for the history: its row says so, and it is compared
    only with runs recorded on the same kind of machine."""

    file_name: str
    machine: str  # Machine.describe(): "Linux, 64 CPUs, Python 3.12 (GIL on)"

    @property
    def note(self) -> str:
        return f"replayed from {self.file_name}, recorded on {self.machine}"


class ReplayRun:
    """One replay: make one per press of Open (or per backward scrub)."""

    can_kill_workers = False  # no process of a replay is running

    def __init__(
        self,
        recording: Recording,
        speed: float = 1.0,
        start_at: float = 0.0,
        clock: Callable[[], float] = time.perf_counter,
        records_per_poll: int = RECORDS_PER_POLL,
        file_name: str = "a recording",
    ) -> None:
        self.recording = recording
        self.config = recording.config
        self.provenance = Provenance(file_name, recording.machine.describe())
        self.t0: float | None = None
        self._clock = clock
        self._records_per_poll = records_per_poll
        self._speed = _checked_speed(speed)
        self._position = max(0.0, float(start_at))  # the recorded clock at `_resumed_at`
        self._resumed_at: float | None = None
        self._poll_index = 0  # the next poll to play
        self._record_index = 0  # the next record within it
        self._shown_at = 0.0  # the recorded time of the last poll played
        self._done = self._failed = self._retried = 0
        self._summary: RunSummary | None = None
        self._abandoned = False

    # -- the clock -----------------------------------------------------------------------

    @property
    def duration(self) -> float:
        return self.recording.duration

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Play on at this speed (one of `SPEEDS`; `END`: straight to the end)."""
        self._position = self._clock_position()
        self._resumed_at = None if self.t0 is None else self._clock()
        self._speed = _checked_speed(speed)

    def seek(self, at: float) -> bool:
        """Jump ahead to the recorded time `at`; False (and nothing changes) if `at` is before
        what has been played already: going back needs a new ReplayRun from the start."""
        if at < self._shown_at:
            return False
        self._position = min(max(at, self._clock_position()), self.duration)
        self._resumed_at = None if self.t0 is None else self._clock()
        return True

    def _clock_position(self) -> float:
        if self._speed == END:
            return self.duration
        if self._resumed_at is None:
            return self._position
        played = (self._clock() - self._resumed_at) * self._speed
        return min(self._position + played, self.duration)

    # -- what a Run has ------------------------------------------------------------------

    def start(self) -> None:
        if self.t0 is not None:
            raise RuntimeError("a ReplayRun starts once; make a new one to replay again")
        self.t0 = self._resumed_at = self._clock()

    def stop(self) -> None:
        """Stop means: show the end now (the recorded run has finished already)."""
        self.set_speed(END)

    @property
    def elapsed(self) -> float:
        """The recorded clock as far as the replay has shown it: where the charts are."""
        if self.t0 is None:
            return 0.0
        position = self._clock_position()
        if self._poll_index < len(self.recording.polls):
            position = min(position, self.recording.polls[self._poll_index][0])
        return max(position, self._shown_at)

    @property
    def progress(self) -> Progress:
        total = self.config.task_count
        if self._summary is not None:
            s = self._summary
            return Progress(s.completed + s.failed, s.completed, s.failed, s.retried, total)
        return Progress(self._done, self._done - self._failed, self._failed, self._retried, total)

    @property
    def finished(self) -> bool:
        return self._summary is not None or self._abandoned

    def abandon(self) -> None:
        """Give up this replay without an end (to scrub back: a new ReplayRun starts over)."""
        self._abandoned = True

    @property
    def summary(self) -> RunSummary | None:
        return self._summary

    def worker_pids(self) -> list[int]:
        return []

    def kill_worker(self, pid: int | None = None) -> int | None:
        return None

    def wait(self, timeout: float | None = None) -> RunSummary:
        """Play to the end at once and return the summary (for scripts and tests)."""
        if self.t0 is None:
            self.start()
        self.set_speed(END)
        while not self.finished:
            self.poll()
        return self._summary

    def poll(self, timeout: float = 0.0, budget_s: float = 0.0) -> list:
        """The recorded records whose time has come, in order, at most `records_per_poll`."""
        if self.t0 is None or self.finished:
            return []
        now = self._clock_position()
        polls = self.recording.polls
        records: list = []
        room = self._records_per_poll
        while self._poll_index < len(polls) and room > 0:
            at, batch = polls[self._poll_index]
            if at > now:
                break
            taken = batch[self._record_index : self._record_index + room]
            records.extend(taken)
            room -= len(taken)
            self._record_index += len(taken)
            self._shown_at = at
            if self._record_index >= len(batch):
                self._poll_index += 1
                self._record_index = 0
        for record in records:
            self._count(record)
        return records

    def _count(self, record: object) -> None:
        kind = type(record)
        if kind is Segment:
            self._done += record.count
            self._failed += record.failed
        elif kind is TaskFailed and record.worker == "pool":  # a chunk that could not run
            self._done += 1
            self._failed += 1
        elif kind is RunFinished:
            self._summary = record.summary
        elif hasattr(record, "retried"):
            self._retried += record.retried


def _checked_speed(speed: float) -> float:
    if speed != END and not (isinstance(speed, int | float) and 0 < speed <= 1000):
        raise ValueError(f"speed must be a positive factor or END, not {speed!r}")
    return float(speed)
