"""The self-test: open the real window, run a workload through it, and measure the window.

`python -m app selftest` calls `run_selftest()`. It drives a run through the Start button (the
same slot a click uses), and while the run streams in it measures how late a 10 ms heartbeat
timer fires: a late heartbeat means the GUI thread was busy and the window felt frozen. At the
end it checks the books: every task accounted for exactly once.

Thresholds (`THRESHOLDS`), chosen so the test says something about how the window feels:
    max_stall_ms  < 50   the worst heartbeat lateness: 50 ms is where a stutter becomes visible
    p99_stall_ms  < 34   99% of heartbeats less than one 30 fps frame late; only checked with
                         at least 100 heartbeats (1 s of run): with fewer, the 99th percentile
                         is simply the maximum, which the first rule already bounds
    first_paint_s < 10   from Start to the first frame showing measured data; includes
                         starting the worker processes, which is slow in a frozen app or
                         under a virus scanner, so the bound is generous
The time spent saving the optional screenshot (window.grab() blocks the GUI thread by design)
is left out of the heartbeat figures and reported as `screenshot_ms`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.engine import cpu_count
from app.gui import broken_qt_binding, missing_display, replace_missing_streams
from app.gui.theme import apply_theme
from app.gui.window import MainWindow
from app.workloads import WORKLOADS

THRESHOLDS = {"max_stall_ms": 50.0, "p99_stall_ms": 34.0, "first_paint_s": 10.0}
HEARTBEAT_MS = 10
MIN_BEATS_FOR_P99 = 100
SCREENSHOT_AT = 0.4  # share of tasks done when the mid-run screenshot is taken


def run_selftest(
    tasks: int = 200_000,
    workload: str = "power",
    screenshot: str | None = None,
    timeout_s: float = 60.0,
    *,
    executor: str = "process",
    workers: int | None = None,
    size: tuple[int, int] | None = None,
) -> dict:
    """Run `tasks` tasks of `workload` through the window; return measurements and `ok`."""
    replace_missing_streams()
    problem = broken_qt_binding()
    if problem:
        return {"ok": False, "error": problem, "tasks": tasks, "completed": 0}
    if missing_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display: still test the real window

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "selftest"])
    apply_theme(app)
    with tempfile.TemporaryDirectory(prefix="mpplayground-selftest-") as folder:
        return _SelfTest(
            app,
            os.path.join(folder, "settings.ini"),
            tasks,
            workload,
            screenshot,
            timeout_s,
            executor,
            workers,
            size,
        ).run()


class _SelfTest:
    def __init__(
        self, app, settings_path, tasks, workload, screenshot, timeout_s, executor, workers, size
    ) -> None:
        self.app = app
        self.settings_path = settings_path
        self.tasks = tasks
        self.workload = workload
        self.screenshot = screenshot
        self.timeout_s = timeout_s
        self.executor = executor
        self.workers = workers
        self.size = size
        self.beats: list[float] = []
        self.excluded: list[tuple[float, float]] = []  # (start, end) of screenshot grabs
        self.started_at: float | None = None
        self.first_data_at: float | None = None
        self.first_paint_at: float | None = None
        self.summary = None
        self.timed_out = False
        self.screenshot_ms: float | None = None
        self.screenshot_saved = False
        self.problems: list[str] = []

    def run(self) -> dict:
        result = {"tasks": self.tasks, "workload": self.workload, "executor": self.executor}
        if self.workload not in WORKLOADS:
            return self._fail(result, f"unknown workload {self.workload!r}")
        window = MainWindow(settings_path=self.settings_path, remember_settings=False)
        self.window = window
        controls = window.controls
        if not 1 <= self.tasks <= controls.tasks_spin.maximum():
            window.close()
            return self._fail(result, f"tasks must be 1 to {controls.tasks_spin.maximum():,}")
        width, height = self.size or (1280, 800)
        window.resize(width, height)
        window.show()
        controls.workload_combo.setCurrentIndex(controls.workload_combo.findData(self.workload))
        controls.tasks_spin.setValue(self.tasks)
        controls.executor_combo.setCurrentIndex(controls.executor_combo.findData(self.executor))
        workers = self.workers or min(cpu_count(), controls.workers_spin.maximum())
        controls.workers_spin.setValue(workers)
        controls.chunksize_spin.setValue(0)

        loop = QEventLoop()
        paint_watcher = _PaintWatcher(self)
        for chart in (window.bars_chart, window.timeline_chart):
            chart.plot_widget.viewport().installEventFilter(paint_watcher)
        window.chart_data_shown.connect(self._on_data_shown)
        window.run_finished.connect(lambda summary: self._on_finished(summary, loop))

        heartbeat = QTimer()
        heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(lambda: self.beats.append(time.perf_counter()))
        screenshot_check = QTimer()
        screenshot_check.setInterval(50)
        screenshot_check.timeout.connect(self._maybe_screenshot)
        deadline = QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(lambda: self._on_timeout(loop))

        def start() -> None:
            heartbeat.start()
            self.started_at = time.perf_counter()
            controls.start_button.click()  # the same slot a teacher's click reaches
            if not window.running:
                self.problems.append("the Start button did not start a run")
                loop.quit()
                return
            if self.screenshot:
                screenshot_check.start()
            deadline.start(int(self.timeout_s * 1000))

        QTimer.singleShot(200, start)  # let the window appear and paint once first
        loop.exec()
        heartbeat.stop()
        screenshot_check.stop()
        deadline.stop()
        if self.screenshot and not self.screenshot_saved and self.summary is not None:
            self._take_screenshot()  # a run too short to catch mid-way: show where it ended
        tick_ms = list(window.tick_ms)
        window.close()
        window.deleteLater()
        return self._report(result, tick_ms, workers)

    def _on_data_shown(self) -> None:
        self.first_data_at = time.perf_counter()

    def _on_paint(self) -> None:
        if self.first_data_at is not None and self.first_paint_at is None:
            self.first_paint_at = time.perf_counter()

    def _on_finished(self, summary, loop) -> None:
        self.summary = summary
        loop.quit()

    def _on_timeout(self, loop) -> None:
        self.timed_out = True
        self.problems.append(f"the run did not finish within {self.timeout_s:g} s")
        self.window.stop_run()
        QTimer.singleShot(3000, loop.quit)  # give the stop a moment to report, then go

    def _maybe_screenshot(self) -> None:
        run = self.window.run
        if self.screenshot_saved or run is None or self.first_paint_at is None:
            return
        if run.progress.done >= SCREENSHOT_AT * self.tasks:
            self._take_screenshot()

    def _take_screenshot(self) -> None:
        self.screenshot_saved = True
        began = time.perf_counter()
        folder = os.path.dirname(os.path.abspath(self.screenshot))
        os.makedirs(folder, exist_ok=True)
        self.window.refresh_charts()  # charts are drawn in turns; show them all up to date
        if not self.window.grab().save(self.screenshot):
            self.problems.append(f"could not save the screenshot to {self.screenshot}")
        ended = time.perf_counter()
        self.excluded.append((began, ended))
        self.screenshot_ms = (ended - began) * 1000

    def _stalls_ms(self) -> list[float]:
        stalls = []
        for before, after in zip(self.beats, self.beats[1:], strict=False):
            if any(before < end and after > start for start, end in self.excluded):
                continue
            stalls.append(max(0.0, (after - before) * 1000 - HEARTBEAT_MS))
        return stalls

    def _report(self, result: dict, tick_ms: list[float], workers: int) -> dict:
        stalls = sorted(self._stalls_ms())
        max_stall = stalls[-1] if stalls else None
        p99_stall = stalls[min(len(stalls) - 1, int(len(stalls) * 0.99))] if stalls else None
        first_paint = (
            self.first_paint_at - self.started_at
            if self.first_paint_at is not None and self.started_at is not None
            else None
        )
        summary = self.summary
        result.update(
            workers=workers,
            completed=summary.completed if summary else None,
            failed=summary.failed if summary else None,
            cancelled=summary.cancelled if summary else None,
            retried=summary.retried if summary else None,
            wall_s=round(summary.wall_s, 4) if summary else None,
            throughput=round(summary.throughput, 1) if summary else None,
            startup_s=round(summary.startup_s, 4) if summary else None,
            chunks=summary.chunks if summary else None,
            start_method=summary.start_method if summary else None,
            max_stall_ms=None if max_stall is None else round(max_stall, 2),
            p99_stall_ms=None if p99_stall is None else round(p99_stall, 2),
            heartbeats=len(self.beats),
            first_paint_s=None if first_paint is None else round(first_paint, 4),
            max_tick_ms=round(max(tick_ms), 2) if tick_ms else None,
            screenshot=self.screenshot if self.screenshot_saved else None,
            screenshot_ms=None if self.screenshot_ms is None else round(self.screenshot_ms, 1),
            platform=QApplication.platformName(),
            frozen=bool(getattr(sys, "frozen", False)),
            thresholds=dict(THRESHOLDS),
        )
        problems = list(self.problems)
        if summary is None:
            if not self.timed_out:
                problems.append("the run never reported that it finished")
        else:
            if summary.error:
                problems.append(f"the run gave up: {summary.error}")
            if summary.completed + summary.failed != self.tasks or summary.cancelled:
                problems.append(
                    f"books do not add up: {summary.completed} completed + {summary.failed} "
                    f"failed + {summary.cancelled} cancelled for {self.tasks} tasks"
                )
            if self.workload == "power" and summary.completed != self.tasks:
                problems.append(f"power tasks cannot fail, yet {summary.failed} did")
        if max_stall is None:
            problems.append("the heartbeat never ticked")
        else:
            if max_stall >= THRESHOLDS["max_stall_ms"]:
                problems.append(f"the window froze for {max_stall:.0f} ms at worst")
            if len(stalls) >= MIN_BEATS_FOR_P99 and p99_stall >= THRESHOLDS["p99_stall_ms"]:
                problems.append(f"1% of heartbeats were {p99_stall:.0f} ms late or more")
        if first_paint is None:
            problems.append("the charts never painted any data")
        elif first_paint >= THRESHOLDS["first_paint_s"]:
            problems.append(f"the first data took {first_paint:.1f} s to appear")
        result["problems"] = problems
        result["ok"] = not problems
        return result

    def _fail(self, result: dict, problem: str) -> dict:
        result.update(ok=False, problems=[problem])
        return result


class _PaintWatcher(QObject):
    """Notes the first paint of a chart after the window says it has data to show."""

    def __init__(self, selftest: _SelfTest) -> None:
        super().__init__()
        self._selftest = selftest

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self._selftest._on_paint()
        return False
