"""The lesson's comparison chart: one point per case, added as each of its runs finishes.

Not one of the live charts in `CHARTS` (those draw one run's frames); this one draws a
lesson's measured `Point`s: speedup, tasks/s or efficiency by workers (a line per executor,
the ideal y = x, and Amdahl's law fitted), tasks/s by chunksize, start-up time by workers (a
line per start method), or a bar of wall time per case. Each point is the median of its
repeats; its bar spans the fastest to the slowest run. A hollow symbol marks a noisy point.
Items are made once per lesson; each finished run only gives them new data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from app.gui.charts.common import ChartPanel, nice_ceiling
from app.gui.theme import MUTED_TEXT_COLOUR, TEXT_COLOUR, line_width, scaled_font
from app.lessons import Lesson, Point
from app.lessons.lesson import CHUNKSIZE_CHART, SPEEDUP_CHART, STARTUP_CHART
from app.stats import format_duration, format_rate
from app.stats.amdahl import AmdahlFit
from app.stats.repeats import NOISY_SPREAD

SPEEDUP, THROUGHPUT, EFFICIENCY = "speedup", "tasks/s", "efficiency"
MEASURES = {
    SPEEDUP: "speedup (times as fast)",
    THROUGHPUT: "tasks per second",
    EFFICIENCY: "efficiency (speedup per worker)",
}
# Okabe-Ito colours and a distinct symbol per series: told apart without colour too.
LOOKS = {
    "process": ("#0072B2", "o"),
    "thread": ("#E69F00", "s"),
    "serial": ("#000000", "d"),
    "spawn": ("#0072B2", "o"),
    "fork": ("#D55E00", "s"),
    "forkserver": ("#009E73", "t"),
    "sized": ("#0072B2", "o"),
    "auto": ("#D55E00", "star"),
}
BAR_COLOUR = "#56B4E9"
SYMBOL_SIZE = 14
NOISY_TEXT = f"hollow: noisy, its runs spread over {NOISY_SPREAD:.0%}"
BLANK = "Choose a lesson in the Lessons menu and press Run lesson: its points appear here."


@dataclass(frozen=True, slots=True)
class Shown:
    """One point as drawn: what the tests read."""

    series: str
    x: float
    y: float
    low: float
    high: float
    noisy: bool


@dataclass
class _Series:
    label: str
    line: pg.PlotDataItem
    symbols: pg.ScatterPlotItem
    errors: pg.ErrorBarItem


class ComparisonChart(ChartPanel):
    name = "comparison"

    def __init__(self) -> None:
        super().__init__("Lesson comparison", BLANK)
        self.measure_combo = QComboBox()
        for key, text in MEASURES.items():
            self.measure_combo.addItem(text, key)
        self.measure_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.measure_combo.currentIndexChanged.connect(self._redraw)
        self.measure_label = QLabel("Show")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.measure_label)
        row.addWidget(self.measure_combo)
        row.addStretch(1)
        self.layout().insertLayout(1, row)
        self.fit_left_axis("000000")
        self.legend = self.plot.addLegend(
            offset=(8, 8),
            labelTextColor=TEXT_COLOUR,
            labelTextSize=f"{scaled_font(-1).pointSize()}pt",
        )
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 220))
        self.legend.setPen(pg.mkPen(MUTED_TEXT_COLOUR))
        self.ideal_line = self.plot.plot([], [])
        self.amdahl_line = self.plot.plot([], [])
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=BAR_COLOUR, pen="#333333")
        self.bar_errors = pg.ErrorBarItem(beam=0.2)
        self._style_lines()
        self.noisy_key = pg.ScatterPlotItem(
            symbol="o", size=SYMBOL_SIZE, brush=pg.mkBrush("w"), pen=pg.mkPen(TEXT_COLOUR, width=2)
        )
        for item in (self.bars, self.bar_errors):
            self.plot.addItem(item)
        self.lesson: Lesson | None = None
        self.points: list[Point] = []
        self.fit: AmdahlFit | None = None
        self.shown: list[Shown] = []
        self._series: dict[str, _Series] = {}
        self._spare: list[_Series] = []
        self._noisy_in_legend = False
        self.reset()

    def zoom_changed(self) -> None:
        self.legend.setLabelTextSize(f"{scaled_font(-1).pointSize()}pt")
        self._style_lines()

    def _style_lines(self) -> None:
        """Pens as wide as the zoom asks: the ideal, Amdahl's law and each series."""
        ideal_pen = pg.mkPen("#777777", width=line_width(2), style=Qt.PenStyle.DashLine)
        self.ideal_line.setPen(ideal_pen)
        self.amdahl_line.setPen(pg.mkPen("#CC79A7", width=line_width(3)))
        self.bar_errors.setOpts(pen=pg.mkPen(TEXT_COLOUR, width=line_width(2)))
        for key, made in getattr(self, "_series", {}).items():
            colour, _ = LOOKS.get(key, ("#000000", "o"))
            made.line.setPen(pg.mkPen(colour, width=line_width(3)))
            made.errors.setOpts(pen=pg.mkPen(colour, width=line_width(2)))

    # -- the lesson's life ---------------------------------------------------------------

    def reset(self, lesson: Lesson | None = None, series: Sequence[str] = ()) -> None:
        """Empty the chart for `lesson`, with a line for each of `series` (executors, start
        methods or 'auto'), in that order."""
        self.lesson, self.points, self.fit, self.shown = lesson, [], None, []
        self.legend.clear()
        self._noisy_in_legend = False
        for made in self._series.values():
            self._clear(made)
            self._spare.append(made)
        self._series = {}
        for key in series:
            made = self._spare.pop() if self._spare else self._make_series()
            colour, symbol = LOOKS.get(key, ("#000000", "o"))
            made.label = key
            made.symbols.setSymbol(symbol)
            self._series[key] = made
        self._style_lines()
        for line in (self.ideal_line, self.amdahl_line):
            line.setData([], [])
        self.bars.setOpts(x=[], height=[])
        self.bar_errors.setData(x=np.zeros(0), y=np.zeros(0), top=np.zeros(0), bottom=np.zeros(0))
        chart = lesson.chart if lesson else None
        self.measure_combo.setVisible(chart == SPEEDUP_CHART)
        self.measure_label.setVisible(chart == SPEEDUP_CHART)
        self.plot.getAxis("bottom").setTicks(None)
        self.set_caption(BLANK if lesson is None else f"{lesson.title}: {_what_it_shows(chart)}")
        self._axis_labels()
        self.set_x_range(0, 1)
        self.set_y_range(0, 1)

    def draw(self, snapshot) -> None:
        """Part of the chart contract; this chart draws a lesson's points (`show_points`)."""

    def show_points(self, points: Sequence[Point], fit: AmdahlFit | None = None) -> None:
        """The lesson's points so far (and its Amdahl fit, if it fits one)."""
        self.points, self.fit = list(points), fit
        self._redraw()

    @property
    def measure(self) -> str:
        return self.measure_combo.currentData()

    def set_measure(self, measure: str) -> None:
        self.measure_combo.setCurrentIndex(self.measure_combo.findData(measure))

    # -- drawing -------------------------------------------------------------------------

    def _redraw(self) -> None:
        if self.lesson is None:
            return
        self.shown = []
        chart = self.lesson.chart
        self._axis_labels()
        if chart == SPEEDUP_CHART:
            self._draw_by_workers(self._speedup_series())
        elif chart == STARTUP_CHART:
            self._draw_by_workers(self._startup_series())
        elif chart == CHUNKSIZE_CHART:
            self._draw_chunksizes()
        else:
            self._draw_bars()
        noisy = any(shown.noisy for shown in self.shown)
        if noisy and not self._noisy_in_legend:
            self.legend.addItem(self.noisy_key, NOISY_TEXT)
        elif self._noisy_in_legend and not noisy:
            self.legend.removeItem(self.noisy_key)
        self._noisy_in_legend = noisy

    def _speedup_series(self) -> dict[str, list[tuple[float, float, float, float, Point]]]:
        """(workers, value, low, high, point) of each executor, in the chosen measure."""
        found: dict[str, list] = {}
        for point in self.points:
            wall = point.wall
            if self.measure == THROUGHPUT:
                value = point.throughput
                low, high = point.tasks / wall.high, point.tasks / wall.low
            else:
                if point.speedup is None:
                    continue
                baseline = point.speedup * wall.median  # the baseline's median wall time
                value, low, high = point.speedup, baseline / wall.high, baseline / wall.low
                if self.measure == EFFICIENCY:
                    n = point.case.workers
                    value, low, high = value / n, low / n, high / n
            found.setdefault(point.case.executor, []).append(
                (point.case.workers, value, low, high, point)
            )
        return found

    def _startup_series(self) -> dict[str, list[tuple[float, float, float, float, Point]]]:
        found: dict[str, list] = {}
        for point in self.points:
            startup = point.startup
            found.setdefault(point.case.start_method, []).append(
                (point.case.workers, startup.median, startup.low, startup.high, point)
            )
        return found

    def _draw_by_workers(self, found: dict[str, list]) -> None:
        most = max((p.case.workers for p in self.points), default=1)
        counts = sorted({p.case.workers for p in self.points}) or [1]
        top = 0.0
        for key, made in self._series.items():
            rows = sorted(found.get(key, []), key=lambda row: row[0])
            top = max([top, *(row[3] for row in rows)])
            self._fill(made, key, rows)
        self.ideal_line.setData([], [])
        self.amdahl_line.setData([], [])
        if self.lesson.chart == SPEEDUP_CHART and self.measure != THROUGHPUT and self.points:
            ideal_y = most if self.measure == SPEEDUP else 1.0
            self.ideal_line.setData([0.5, most + 0.5], [0.5, most + 0.5])
            if self.measure == EFFICIENCY:
                self.ideal_line.setData([0.5, most + 0.5], [1.0, 1.0])
            top = max(top, ideal_y)
            self._legend_once(self.ideal_line, "ideal: n workers, n× as fast")
            if self.fit is not None:
                xs = np.linspace(1, most + 0.5, 60)
                ys = np.array([self.fit.speedup(x) for x in xs])
                if self.measure == EFFICIENCY:
                    ys = ys / xs
                self.amdahl_line.setData(xs, ys)
                self._legend_once(self.amdahl_line, "Amdahl's law, fitted")
        if self.fit is not None and self.lesson.fits_amdahl:
            self.set_caption(f"{self.lesson.title}: Amdahl's law fitted: {self.fit.describe()}.")
        self.plot.getAxis("bottom").setTicks([[(n, str(n)) for n in counts], []])
        self.set_x_range(0.5, most + 0.5)
        self.set_y_range(0, nice_ceiling(top * 1.1 if top > 0 else 1.0, smallest=0.1))

    def _draw_chunksizes(self) -> None:
        sized = sorted(
            ((p.case.chunksize, p) for p in self.points if p.case.chunksize), key=lambda r: r[0]
        )
        rows = [_rate_row(math.log10(size), p) for size, p in sized]
        auto_rows = []
        for point in self.points:
            if point.case.chunksize == 0:
                chunks = max(1, point.runs[-1].chunks)
                auto_rows.append(_rate_row(math.log10(max(1.0, point.tasks / chunks)), point))
        for key, made in self._series.items():
            self._fill(made, key, auto_rows if key == "auto" else rows)
        every = rows + auto_rows
        top = max((row[3] for row in every), default=1.0)
        low_x = min((row[0] for row in every), default=0.0)
        high_x = max((row[0] for row in every), default=3.0)
        ticks = [(float(k), f"{10**k:,}") for k in range(int(low_x), int(math.ceil(high_x)) + 1)]
        self.plot.getAxis("bottom").setTicks([ticks, []])
        self.set_x_range(min(0.0, low_x) - 0.3, max(3.0, high_x) + 0.3)
        self.set_y_range(0, nice_ceiling(top * 1.1))

    def _draw_bars(self) -> None:
        cases = list(dict.fromkeys(p.case for p in self.points))
        xs = np.arange(len(cases), dtype=float)
        walls = [next(p for p in self.points if p.case == case).wall for case in cases]
        noisy = [wall.noisy for wall in walls]
        heights = np.array([wall.median for wall in walls], dtype=float)
        brushes = [pg.mkBrush("w") if n else pg.mkBrush(BAR_COLOUR) for n in noisy]
        self.bars.setOpts(x=xs, height=heights, width=0.6, brushes=brushes)
        lows = np.array([wall.low for wall in walls], dtype=float)
        highs = np.array([wall.high for wall in walls], dtype=float)
        self.bar_errors.setData(x=xs, y=heights, top=highs - heights, bottom=heights - lows)
        self.shown = [
            Shown(_bar_label(case), x, wall.median, wall.low, wall.high, wall.noisy)
            for case, x, wall in zip(cases, xs, walls, strict=True)
        ]
        ticks = [(float(x), _bar_label(case)) for x, case in zip(xs, cases, strict=True)]
        self.plot.getAxis("bottom").setTicks([ticks, []])
        self.set_x_range(-0.6, max(len(cases), 2) - 0.4)
        self.set_y_range(0, nice_ceiling(float(highs.max()) * 1.1 if len(highs) else 1.0, 0.1))

    def _fill(self, made: _Series, key: str, rows: list) -> None:
        if not rows:
            self._clear(made)
            return
        xs = np.array([row[0] for row in rows], dtype=float)
        ys = np.array([row[1] for row in rows], dtype=float)
        lows = np.array([row[2] for row in rows], dtype=float)
        highs = np.array([row[3] for row in rows], dtype=float)
        colour, _ = LOOKS.get(key, ("#000000", "o"))
        noisy = [row[4].noisy for row in rows]
        made.line.setData(xs, ys)
        made.symbols.setData(
            x=xs,
            y=ys,
            brush=[pg.mkBrush("w") if n else pg.mkBrush(colour) for n in noisy],
            pen=pg.mkPen(colour, width=2),
            data=[_point_tip(row[4]) for row in rows],
        )
        made.errors.setData(x=xs, y=ys, top=highs - ys, bottom=ys - lows)
        label = self._series_label(key, rows)
        if made.label != label or made.symbols not in self._legend_items():
            if made.symbols in self._legend_items():
                self.legend.removeItem(made.symbols)
            self.legend.addItem(made.symbols, label)
            made.label = label
        self.shown += [Shown(label, row[0], row[1], row[2], row[3], row[4].noisy) for row in rows]

    def _series_label(self, key: str, rows: list) -> str:
        if key == "auto":
            return "auto (x: its mean chunk)"
        if self.lesson.chart == CHUNKSIZE_CHART:
            return rows[0][4].case.label.split(",")[0]
        if self.lesson.chart == STARTUP_CHART:
            return key
        return {"process": "processes", "thread": "threads", "serial": "serial"}.get(key, key)

    def _legend_once(self, item, label: str) -> None:
        if item not in self._legend_items():
            self.legend.addItem(item, label)

    def _legend_items(self) -> list:
        return [sample.item for sample, _ in self.legend.items]

    def _clear(self, made: _Series) -> None:
        made.line.setData([], [])
        made.symbols.setData(x=[], y=[])
        made.errors.setData(x=np.zeros(0), y=np.zeros(0), top=np.zeros(0), bottom=np.zeros(0))

    def _make_series(self) -> _Series:
        line = self.plot.plot([], [])
        symbols = pg.ScatterPlotItem(size=SYMBOL_SIZE, hoverable=True, tip=_spot_tip)
        symbols.setZValue(5)
        errors = pg.ErrorBarItem(beam=0.12)
        self.plot.addItem(symbols)
        self.plot.addItem(errors)
        return _Series("", line, symbols, errors)

    def _axis_labels(self) -> None:
        chart = self.lesson.chart if self.lesson else None
        if chart == SPEEDUP_CHART:
            bottom, left = "workers", MEASURES[self.measure]
        elif chart == STARTUP_CHART:
            bottom, left = "workers", "seconds until every worker is ready"
        elif chart == CHUNKSIZE_CHART:
            bottom, left = "chunksize (tasks per message, log scale)", "tasks per second"
        elif chart is None:
            bottom, left = "", ""
        else:
            bottom, left = "", "wall time, seconds"
        self.set_axis_label("bottom", bottom)
        self.set_axis_label("left", left)


def _what_it_shows(chart: str | None) -> str:
    return {
        SPEEDUP_CHART: "each point is the median of its runs, its bar fastest to slowest run; "
        "dashed: the ideal.",
        CHUNKSIZE_CHART: "tasks per second at each chunksize; bars: fastest to slowest run.",
        STARTUP_CHART: "time from Start until every worker was ready, by start method.",
    }.get(chart, "wall time of each case (median; bars: fastest to slowest run).")


def _rate_row(x: float, point: Point) -> tuple[float, float, float, float, Point]:
    wall = point.wall
    return (x, point.throughput, point.tasks / wall.high, point.tasks / wall.low, point)


def _bar_label(case) -> str:
    return f"chunksize {case.chunksize}" if case.chunksize else case.label


def _point_tip(point: Point) -> str:
    wall = point.wall
    parts = [
        point.case.label,
        f"wall {format_duration(wall.median)} (median of {wall.count}; "
        f"{format_duration(wall.low)} to {format_duration(wall.high)})",
        f"{format_rate(point.throughput)}",
    ]
    if point.speedup is not None:
        parts.append(f"speedup {point.speedup:.2f}× against {point.baseline}")
    parts.append(f"start-up {format_duration(point.startup.median)}")
    if point.noisy:
        parts.append(f"noisy: its runs spread {wall.spread:.0%}, more than {NOISY_SPREAD:.0%}")
    return "\n".join(parts)


def _spot_tip(x, y, data) -> str:
    return str(data)
