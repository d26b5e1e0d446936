"""The run's life outside Qt: RunController against a fake run (no processes, no display)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.control import SAMPLE_EVERY_S, RunController
from app.engine import Progress, RunConfig
from app.engine.records import (
    PoolRestarted,
    RunFinished,
    RunSummary,
    Segment,
    WorkerDied,
    WorkerStarted,
    WorkerSummary,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class FakeChart:
    name: str
    shows_first_data: bool = True


BARS, TIMELINE, LINES = FakeChart("bars"), FakeChart("timeline"), FakeChart("lines", False)
CHARTS = (BARS, TIMELINE, LINES)


class FakeRun:
    """Plays a run from a script: what each poll() returns, and the clock, set by the test."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.elapsed = 0.0
        self.started = False
        self.stopped = False
        self.killed: list[int] = []
        self.summary: RunSummary | None = None
        self._waiting: list[object] = []
        self._done = self._failed = self._retried = 0

    @property
    def finished(self) -> bool:
        return self.summary is not None

    @property
    def progress(self) -> Progress:
        total = self.config.task_count
        done = self._done + self._failed
        return Progress(done, self._done, self._failed, self._retried, total)

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def kill_worker(self) -> int | None:
        self.killed.append(101)
        return 101

    def send(self, *records: object) -> None:
        self._waiting.extend(records)

    def poll(self) -> list:
        records, self._waiting = self._waiting, []
        for record in records:
            if isinstance(record, Segment):
                self._done += record.count
            elif isinstance(record, RunFinished):
                self.summary = record.summary
        return records


def config(tasks: int = 10, executor: str = "process") -> RunConfig:
    return RunConfig(workload="sleep", tasks=tasks, executor=executor)


def started(pid: int, at: float) -> WorkerStarted:
    return WorkerStarted(str(pid), pid, f"Worker-{pid}", at)


def block(pid: int, start: float, end: float, count: int = 1) -> Segment:
    return Segment(str(pid), pid, f"Worker-{pid}", 0, count, 0, start, end)


def finished(tasks: int = 10, completed: int = 10, wall_s: float = 2.0, **changes) -> RunFinished:
    values = dict(
        workload="sleep",
        executor="process",
        workers=2,
        start_method="spawn",
        chunksize=0,
        tasks=tasks,
        completed=completed,
        failed=0,
        cancelled=tasks - completed,
        retried=0,
        chunks=tasks,
        wall_s=wall_s,
        startup_s=0.1,
        throughput=completed / wall_s,
        per_worker=(WorkerSummary("101", 101, "Worker-101", completed, 0, 1.0, 5.0, 0.5),),
    )
    values.update(changes)
    return RunFinished(RunSummary(**values))


@pytest.fixture
def controller() -> RunController[FakeChart]:
    return RunController(CHARTS, make_run=FakeRun)


def test_nothing_to_do_before_the_first_run(controller):
    assert controller.tick() is None
    assert controller.run is None and controller.stats is None and controller.snapshot() is None
    assert not controller.running and not controller.can_kill
    assert not controller.stop()


def test_start_makes_the_run_from_its_config_and_starts_it(controller):
    run = controller.start(config(tasks=7))
    assert isinstance(run, FakeRun) and run.started and run.config.task_count == 7
    assert controller.run is run and controller.stats.total == 7
    assert controller.running and controller.can_kill


def test_no_chart_is_drawn_until_a_worker_appears(controller):
    controller.start(config())
    frame = controller.tick()
    assert frame.charts == () and frame.events == () and not frame.first_data
    assert frame.books.rate is None and frame.books.eta_s is None


def test_one_chart_per_tick_in_turn_and_events_go_to_the_log(controller):
    run = controller.start(config())
    hello = started(101, 0.1)
    run.send(hello, block(101, 0.1, 0.2))
    run.elapsed = 0.3
    frames = [controller.tick() for _ in range(4)]
    assert frames[0].events == (hello,)  # Segments are for the charts only
    assert [frame.charts for frame in frames] == [(BARS,), (TIMELINE,), (LINES,), (BARS,)]
    assert [w.worker for w in frames[0].snapshot.workers] == ["101"]


def test_first_data_is_said_once_and_not_by_a_chart_that_shows_it_later(controller):
    lines_first = RunController((LINES, BARS), make_run=FakeRun)
    run = lines_first.start(config())
    run.send(started(101, 0.0), block(101, 0.0, 0.1))
    run.elapsed = 0.2
    assert [lines_first.tick().first_data for _ in range(4)] == [False, True, False, False]


def test_rates_are_sampled_every_fifth_of_a_second(controller):
    run = controller.start(config(tasks=100))
    run.send(started(101, 0.0))
    for elapsed in (0.0, 0.1, 0.2, 0.25, 0.41):
        run.elapsed = elapsed
        controller.tick()
    times, _ = controller.stats.series()["total"]
    assert times == [0.0, 0.2, 0.41]
    assert SAMPLE_EVERY_S == 0.2


def test_books_give_the_rate_and_time_left(controller):
    run = controller.start(config(tasks=10))
    run.send(started(101, 0.0), block(101, 0.0, 1.0, count=4))
    run.elapsed = 1.0
    books = controller.tick().books
    assert (books.done, books.total, books.elapsed_s) == (4, 10, 1.0)
    assert books.rate == pytest.approx(4.0)
    assert books.eta_s == pytest.approx(1.5)


def test_the_end_draws_each_chart_once_more_then_says_how_the_run_ended(controller):
    run = controller.start(config(tasks=2))
    run.send(started(101, 0.0), block(101, 0.0, 1.0, count=2))
    run.elapsed = 1.0
    controller.tick()  # bars
    run.send(finished(tasks=2, completed=2, wall_s=1.5))
    run.elapsed = 9.0  # the clock goes on; the last frames show the run's own wall time
    last = [controller.tick() for _ in range(3)]
    assert [frame.charts for frame in last] == [(BARS,), (TIMELINE,), (LINES,)]
    assert [frame.finished is not None for frame in last] == [False, False, True]
    assert all(frame.snapshot.final and frame.snapshot.now == 1.5 for frame in last)
    assert last[0].snapshot.rates == {"101": 5.0}  # the summary's average, not the live rate
    assert last[-1].books.eta_s == 0.0 and last[-1].books.rate == pytest.approx(2 / 1.5)
    assert last[-1].finished is run.summary
    assert controller.tick() is None  # the end is said once: the timer may stop
    assert not controller.running and controller.run is run  # the last run stays readable


def test_a_run_with_no_worker_ends_on_its_first_frame(controller):
    run = controller.start(config())
    run.send(finished(completed=0, wall_s=0.1, stopped=True, per_worker=()))
    frame = controller.tick()
    assert frame.charts == () and frame.finished.stopped
    assert frame.books.eta_s is None


def test_stop_asks_once_and_ends_with_the_run(controller):
    run = controller.start(config())
    assert controller.stop() and run.stopped
    assert controller.stopping and not controller.can_kill
    assert not controller.stop()  # already stopping
    assert controller.kill_worker() is None and run.killed == []
    run.send(finished(completed=3, stopped=True))
    assert controller.tick().finished.stopped
    assert not controller.stopping and not controller.running


def test_kill_worker_follows_the_backends_own_facts(controller, monkeypatch):
    from app.engine import BACKENDS

    run = controller.start(config())
    assert controller.kill_worker() == 101 and run.killed == [101]
    run.send(finished())
    controller.tick()
    # Threads are killed with the process they run in: the thread backend says it can.
    thread_run = controller.start(config(executor="thread"))
    assert controller.can_kill and controller.kill_worker() == 101
    thread_run.send(finished())
    controller.tick()
    monkeypatch.setattr(BACKENDS["thread"], "can_kill_workers", False)
    thread_run = controller.start(config(executor="thread"))
    assert not controller.can_kill and controller.kill_worker() is None
    assert thread_run.killed == []


def test_the_next_run_starts_fresh(controller):
    first = controller.start(config())
    first.send(started(101, 0.0), block(101, 0.0, 0.5, count=3))
    first.elapsed = 0.5
    controller.tick()
    controller.stop()
    with pytest.raises(RuntimeError):
        controller.start(config())  # one run at a time
    first.send(finished(completed=3, stopped=True))
    while controller.tick().finished is None:
        pass
    second = controller.start(config(tasks=4))
    assert second is not first and controller.run is second
    assert controller.stats.total == 4 and controller.stats.done == 0
    assert not controller.stopping
    second.send(started(202, 0.0), block(202, 0.0, 0.1))
    second.elapsed = 0.1
    frame = controller.tick()
    assert frame.charts == (BARS,) and frame.first_data  # the turn and first data start over
    assert [w.worker for w in frame.snapshot.workers] == ["202"]


def test_dead_and_replaced_workers_reach_the_snapshot(controller):
    run = controller.start(config())
    run.send(
        started(101, 0.0),
        started(102, 0.0),
        WorkerDied("101", 101, "Worker-101", -9, 1.0, running=(3,)),
        PoolRestarted(at=1.0, retried=1, requeued=0),
        started(103, 1.2),
    )
    run.elapsed = 1.5
    frame = controller.tick()
    lives = [(w.worker, w.gone_at, w.died) for w in frame.snapshot.workers]
    assert lives == [("101", 1.0, True), ("102", 1.0, False), ("103", None, False)]
    assert frame.snapshot.now == 1.5


def test_the_controller_imports_no_qt_pyqtgraph_or_numpy():
    code = (
        "import sys, app.control;"
        "print([m for m in ('PySide6', 'pyqtgraph', 'numpy') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
