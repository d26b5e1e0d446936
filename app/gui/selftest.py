"""The self-test: open the real window, run a workload through it, and measure the window.

`python -m app selftest` calls `run_selftest()`. It drives a run through the Start button (the
same slot a click uses), and while the run streams in it measures how late a 10 ms heartbeat
timer fires: a late heartbeat means the GUI thread was busy and the window felt frozen. At the
end it checks the books: every task accounted for exactly once.

One run of tiny tasks can be over in a fraction of a second, too few heartbeats for a 99th
percentile. With `min_measure_s` it presses Start again, as a teacher would, until the
heartbeat has watched runs for that long; every run's books are checked, and the report adds
them up (`runs`, `tasks_per_run`; `startup_s` is the slowest run's).

Thresholds (`THRESHOLDS`), chosen so the test says something about how the window feels:
    max_stall_ms  < 50   the worst heartbeat lateness: 50 ms is where a stutter becomes visible
    p99_stall_ms  < 34   99% of heartbeats less than one 30 fps frame late; only checked with
                         at least 100 heartbeats (1 s of run): with fewer, the 99th percentile
                         is simply the maximum, which the first rule already bounds
                         (`p99_checked` says whether it was)
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
from PySide6.QtGui import QImageWriter
from PySide6.QtWidgets import QApplication

from app.engine import cpu_count
from app.gui import broken_qt_binding, missing_display, replace_missing_streams
from app.gui.theme import apply_theme, assume_screen_height
from app.gui.window import MainWindow
from app.workloads import WORKLOADS

THRESHOLDS = {"max_stall_ms": 50.0, "p99_stall_ms": 34.0, "first_paint_s": 10.0}
HEARTBEAT_MS = 10
MIN_BEATS_FOR_P99 = 100
SCREENSHOT_AT = 0.4  # share of tasks done when the mid-run screenshot is taken


def screenshot_problem(path: str) -> str | None:
    """Why a screenshot cannot be saved at `path`, or None. Checked before the window opens,
    by writing there, so that a bad path costs a second rather than a whole self-test. It
    makes the folder, as saving the screenshot would."""
    if not path.strip():
        return "--screenshot needs a file name such as window.png"
    if os.path.isdir(path):
        return f"cannot save the screenshot to {path}: it is a folder; add a file name"
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    formats = {bytes(name).decode() for name in QImageWriter.supportedImageFormats()}
    if suffix not in formats:
        kind = f".{suffix} images" if suffix else "images without a suffix"
        return f"cannot save the screenshot to {path}: Qt cannot write {kind}; end it in .png"
    existed = os.path.exists(path)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "ab"):  # appending zero bytes leaves a file already there unchanged
            pass
        if not existed:
            os.remove(path)
    except OSError as exc:
        return f"cannot save the screenshot to {path}: {exc.strerror or exc}"
    return None


def run_selftest(
    tasks: int = 200_000,
    workload: str = "power",
    screenshot: str | None = None,
    timeout_s: float = 60.0,
    *,
    min_measure_s: float = 0.0,
    executor: str = "process",
    workers: int | None = None,
    size: tuple[int, int] | None = None,
    zoom: int | None = None,
) -> dict:
    """Run `tasks` tasks of `workload` through the window, again and again until the heartbeat
    has watched runs for `min_measure_s` (0: once); return measurements and `ok`."""
    replace_missing_streams()
    problem = broken_qt_binding() or (screenshot and screenshot_problem(screenshot))
    if problem:
        return {
            "ok": False,
            "error": problem,
            "problems": [problem],
            "tasks": tasks,
            "completed": 0,
        }
    if missing_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display: still test the real window

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "selftest"])
    # Type sized as for a screen of the window's size: what a projector that size would show.
    assume_screen_height(size[1] if size else None)
    apply_theme(app)
    with tempfile.TemporaryDirectory(prefix="mpplayground-selftest-") as folder:
        return _SelfTest(
            app,
            os.path.join(folder, "settings.ini"),
            tasks,
            workload,
            screenshot,
            timeout_s,
            min_measure_s,
            executor,
            workers,
            size,
            zoom,
        ).run()


class _SelfTest:
    def __init__(
        self,
        app,
        settings_path,
        tasks,
        workload,
        screenshot,
        timeout_s,
        min_measure_s,
        executor,
        workers,
        size,
        zoom,
    ) -> None:
        self.app = app
        self.settings_path = settings_path
        self.tasks = tasks
        self.workload = workload
        self.screenshot = screenshot
        self.timeout_s = timeout_s
        self.min_measure_s = min_measure_s
        self.executor = executor
        self.workers = workers
        self.size = size
        self.zoom = zoom
        self.beats: list[float] = []
        self.excluded: list[tuple[float, float]] = []  # (start, end) of screenshot grabs
        self.started_at: float | None = None
        self.first_data_at: float | None = None
        self.first_paint_at: float | None = None
        self.run_started_at: float | None = None
        self.measured_s = 0.0  # time from each Start to its run's end, added up
        self.summaries: list = []  # one per finished run
        self.timed_out = False
        self.screenshot_ms: float | None = None
        self.screenshot_tried = False
        self.screenshot_saved = False
        self.problems: list[str] = []

    def run(self) -> dict:
        result = {"tasks": self.tasks, "workload": self.workload, "executor": self.executor}
        result["zoom"] = self.zoom or 100
        result["size"] = "{}x{}".format(*(self.size or (1280, 800)))
        if self.workload not in WORKLOADS:
            return self._fail(result, f"unknown workload {self.workload!r}")
        window = MainWindow(settings_path=self.settings_path, remember_settings=False)
        self.window = window
        controls = window.controls
        if not 1 <= self.tasks <= controls.tasks_spin.maximum():
            window.close()
            return self._fail(result, f"tasks must be 1 to {controls.tasks_spin.maximum():,}")
        if self.zoom is not None:
            window.presenter.set_zoom(self.zoom)  # as the View menu does
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
        self.loop = loop

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
            if not self._press_start():
                return
            if self.screenshot:
                screenshot_check.start()
            deadline.start(int(self.timeout_s * 1000))

        QTimer.singleShot(200, start)  # let the window appear and paint once first
        loop.exec()
        heartbeat.stop()
        screenshot_check.stop()
        deadline.stop()
        if self.screenshot and not self.screenshot_tried and self.summaries:
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

    def _press_start(self) -> bool:
        self.run_started_at = time.perf_counter()
        self.window.controls.start_button.click()  # the same slot a teacher's click reaches
        if not self.window.running:
            self.problems.append("the Start button did not start a run")
            self.loop.quit()
        return self.window.running

    def _on_finished(self, summary, loop) -> None:
        self.summaries.append(summary)
        self.measured_s += time.perf_counter() - self.run_started_at
        if (
            self.timed_out
            or summary.error
            or summary.stopped
            or self.measured_s >= self.min_measure_s
        ):
            loop.quit()
        else:  # once the window has finished with this run, as a second click would
            QTimer.singleShot(0, self._press_start)

    def _on_timeout(self, loop) -> None:
        self.timed_out = True
        self.problems.append(f"the run did not finish within {self.timeout_s:g} s")
        self.window.stop_run()
        QTimer.singleShot(3000, loop.quit)  # give the stop a moment to report, then go

    def _maybe_screenshot(self) -> None:
        run = self.window.run
        if self.screenshot_tried or run is None or self.first_paint_at is None:
            return
        if run.progress.done >= SCREENSHOT_AT * self.tasks:
            self._take_screenshot()

    def _take_screenshot(self) -> None:
        self.screenshot_tried = True
        began = time.perf_counter()
        try:  # checked before the start, but a disk can fill up or a folder go meanwhile
            os.makedirs(os.path.dirname(os.path.abspath(self.screenshot)), exist_ok=True)
            self.window.refresh_charts()  # charts are drawn in turns; show them all up to date
            self.screenshot_saved = self.window.grab().save(self.screenshot)
            reason = "" if self.screenshot_saved else " (Qt could not write the image)"
        except OSError as exc:
            reason = f": {exc.strerror or exc}"
        if not self.screenshot_saved:
            self.problems.append(f"could not save the screenshot to {self.screenshot}{reason}")
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
        p99_checked = len(stalls) >= MIN_BEATS_FOR_P99
        first_paint = (
            self.first_paint_at - self.started_at
            if self.first_paint_at is not None and self.started_at is not None
            else None
        )
        runs = self.summaries
        wall_s = sum(summary.wall_s for summary in runs)
        completed = sum(summary.completed for summary in runs)

        def total(name: str) -> int | None:
            return sum(getattr(summary, name) for summary in runs) if runs else None

        result.update(
            tasks=self.tasks * max(len(runs), 1),
            tasks_per_run=self.tasks,
            runs=len(runs),
            workers=workers,
            completed=total("completed"),
            failed=total("failed"),
            cancelled=total("cancelled"),
            retried=total("retried"),
            wall_s=round(wall_s, 4) if runs else None,
            throughput=round(completed / wall_s, 1) if runs and wall_s > 0 else None,
            startup_s=round(max(summary.startup_s for summary in runs), 4) if runs else None,
            chunks=total("chunks"),
            start_method=runs[0].start_method if runs else None,
            measured_s=round(self.measured_s, 3),
            max_stall_ms=None if max_stall is None else round(max_stall, 2),
            p99_stall_ms=None if p99_stall is None else round(p99_stall, 2),
            p99_checked=p99_checked,
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
        if not runs and not self.timed_out:
            problems.append("the run never reported that it finished")
        for number, summary in enumerate(runs, start=1):
            problems.extend(
                self._book_problems(summary, f"run {number}: " if len(runs) > 1 else "")
            )
        if max_stall is None:
            problems.append("the heartbeat never ticked")
        else:
            if max_stall >= THRESHOLDS["max_stall_ms"]:
                problems.append(f"the window froze for {max_stall:.0f} ms at worst")
            if p99_checked and p99_stall >= THRESHOLDS["p99_stall_ms"]:
                problems.append(f"1% of heartbeats were {p99_stall:.0f} ms late or more")
        if first_paint is None:
            problems.append("the charts never painted any data")
        elif first_paint >= THRESHOLDS["first_paint_s"]:
            problems.append(f"the first data took {first_paint:.1f} s to appear")
        result["problems"] = problems
        result["ok"] = not problems
        return result

    def _book_problems(self, summary, which: str) -> list[str]:
        """What is wrong with one run's books: every task must be completed or failed, once."""
        problems = []
        if summary.error:
            problems.append(f"{which}the run gave up: {summary.error}")
        if summary.completed + summary.failed != self.tasks or summary.cancelled:
            problems.append(
                f"{which}books do not add up: {summary.completed} completed + {summary.failed} "
                f"failed + {summary.cancelled} cancelled for {self.tasks} tasks"
            )
        if self.workload == "power" and summary.completed != self.tasks:
            problems.append(f"{which}power tasks cannot fail, yet {summary.failed} did")
        return problems

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
