"""What a class sees: with 2 or 64 workers every chart stays readable. Checked by geometry
(where labels, bars and marks land on screen) and by the pixels of a drawn timeline."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFontMetrics

from app.engine.records import Segment, WorkerDied, WorkerStarted
from app.gui.charts import ThroughputBarsChart, ThroughputLinesChart, TimelineChart
from app.gui.theme import DISTINCT_WORKER_LOOKS, worker_colour, worker_pattern
from app.stats import RunStats


def busy_run(workers: int, tasks_each: int = 20, task_s: float = 0.1, per_block: int = 1):
    """`workers` workers running back-to-back tasks; the first one dies half way."""
    stats = RunStats(workers * tasks_each * per_block)
    for w in range(workers):
        stats.add(WorkerStarted(str(100 + w), 100 + w, f"SpawnPoolWorker-{w + 1}", 0.0))
    for step in range(tasks_each):
        for w in range(workers):
            if w == 0 and step >= tasks_each // 2 and workers > 1:
                continue
            start = step * task_s
            name = f"SpawnPoolWorker-{w + 1}"
            stats.add(
                Segment(str(100 + w), 100 + w, name, step, per_block, 0, start, start + task_s)
            )
        stats.sample((step + 1) * task_s)
    if workers > 1:
        died_at = tasks_each // 2 * task_s
        stats.add(WorkerDied("100", 100, "SpawnPoolWorker-1", -9, died_at, running=()))
    return stats.snapshot(tasks_each * task_s)


def shown(qtbot, chart_class, width=520, height=300):
    chart = chart_class()
    qtbot.addWidget(chart)
    chart.resize(width, height)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def scene_rect_of(chart, rect: QRectF) -> QRectF:
    return chart.plot.getViewBox().mapViewToScene(rect).boundingRect()


def test_worker_9_never_looks_like_worker_1():
    looks = {
        (worker_colour(slot).name(), worker_pattern(slot)) for slot in range(DISTINCT_WORKER_LOOKS)
    }
    assert len(looks) == DISTINCT_WORKER_LOOKS >= 56
    assert (worker_colour(8).name(), worker_pattern(8)) != (worker_colour(1).name(), "solid")
    assert (worker_colour(7).name(), worker_pattern(7)) != (worker_colour(0).name(), "solid")


@pytest.mark.parametrize("workers", [8, 16, 32, 64])
@pytest.mark.parametrize("size", [(520, 300), (420, 160)], ids=["roomy", "projector"])
def test_bar_labels_are_inside_the_plot_and_never_on_a_bar_or_each_other(qtbot, workers, size):
    chart = shown(qtbot, ThroughputBarsChart, *size)
    snapshot = busy_run(workers)
    chart.draw(snapshot)
    chart.draw(snapshot)
    plot_area = chart.plot.getViewBox().sceneBoundingRect()
    labels = [label for label in chart._labels if label.toPlainText()]
    assert labels, "at least some bars are labelled"
    chart.grab()  # a TextItem places itself when it is painted
    rects = [label.textItem.mapRectToScene(label.textItem.boundingRect()) for label in labels]
    for rect in rects:
        assert plot_area.adjusted(-1, -1, 1, 1).contains(rect), "a label is cut off"
    for first, second in itertools.combinations(rects, 2):
        assert not first.adjusted(1, 1, -1, -1).intersects(second), "labels overlap"
    opts = chart.bars.opts
    for x0, y0, width in zip(opts["x0"], opts["y0"], opts["width"], strict=True):
        bar = scene_rect_of(chart, QRectF(x0, y0, width, opts["height"]))
        for rect in rects:
            assert not rect.adjusted(2, 2, -2, -2).intersects(bar), "a label sits on a bar"


@pytest.mark.parametrize("workers", [2, 8, 16, 32, 64])
def test_timeline_lane_labels_never_overlap_and_none_is_cut_off(qtbot, workers):
    chart = shown(qtbot, TimelineChart, 520, 220)
    chart.draw(busy_run(workers))
    axis = chart.plot.getAxis("left")
    ticks = axis._tickLevels[0]
    assert ticks and ticks[0][0] == 0  # the first lane is always named
    metrics = QFontMetrics(chart.tick_font)
    view = chart.plot.getViewBox()
    centres = [view.mapViewToScene(QPointF(0, lane)).y() for lane, _ in ticks]
    heights = [metrics.height() * (text.count("\n") + 1) for _, text in ticks]
    for (y1, h1), (y2, h2) in itertools.pairwise(zip(centres, heights, strict=True)):
        assert y2 - y1 >= (h1 + h2) / 2, "lane labels overlap"
    area = view.sceneBoundingRect()
    assert centres[0] - heights[0] / 2 >= area.top() - 1
    assert centres[-1] + heights[-1] / 2 <= area.bottom() + 1


def test_a_dead_worker_ends_its_lane_with_a_red_cross(qtbot):
    chart = shown(qtbot, TimelineChart)
    chart.draw(busy_run(2))
    xs, ys = chart.death_marks.getData()
    assert list(xs) == [pytest.approx(1.0)] and list(ys) == [0]
    assert chart.death_marks.isVisible()


def test_back_to_back_tasks_stay_separate_blocks_with_a_visible_edge(qtbot):
    chart = shown(qtbot, TimelineChart, 900, 260)
    chart.draw(busy_run(2, tasks_each=40, task_s=0.05))
    image = chart.grab().toImage()
    view = chart.plot.getViewBox()
    centre = chart.plot_widget.mapFromScene(view.mapViewToScene(QPointF(0, 1))).y()
    left = chart.plot_widget.mapFromScene(view.mapViewToScene(QPointF(0.0, 1))).x()
    right = chart.plot_widget.mapFromScene(view.mapViewToScene(QPointF(2.0, 1))).x()
    offset = chart.plot_widget.pos()
    fill = worker_colour(1).name()
    row = [
        QColor(image.pixel(x + offset.x(), centre + offset.y())).name()
        for x in range(left + 2, right - 2)
    ]
    edges = sum(1 for a, b in itertools.pairwise(row) if a == fill and b != fill)
    assert edges >= 35  # 40 tasks in a row: (nearly) every boundary shows


def test_axis_ticks_read_millions_and_never_run_into_each_other(qtbot):
    chart = shown(qtbot, ThroughputLinesChart, 360, 240)
    stats = RunStats(10**9)
    for step in range(40):  # 2.4 million tasks a second
        stats.add(Segment("1", 1, "W-1", 0, 240_000, 0, step * 0.1, (step + 1) * 0.1))
        stats.sample((step + 1) * 0.1)
    chart.draw(stats.snapshot(4.0))
    metrics = QFontMetrics(chart.tick_font)
    for side in ("left", "bottom"):
        axis = chart.plot.getAxis(side)
        low, high = axis.range
        length = axis.height() if side == "left" else axis.width()
        spacing, values = axis.tickValues(low, high, length)[0]
        texts = axis.tickStrings(values, 1.0, spacing)
        assert not any("e+" in text or "e-" in text for text in texts), texts
        room = spacing * length / (high - low)
        widest = max(
            metrics.height() if side == "left" else metrics.horizontalAdvance(text)
            for text in texts
        )
        assert room > widest, f"{side} tick labels overlap: {texts}"
    left_texts = chart.plot.getAxis("left").tickStrings([2e6], 1.0, 1e6)
    assert left_texts == ["2.0 M"]


def test_timeline_converts_only_new_blocks_and_stays_right_across_a_compaction(qtbot):
    chart = shown(qtbot, TimelineChart)
    stats = RunStats(10_000, max_segments=64)
    stats.add_all(WorkerStarted(str(w), w, f"W-{w}", 0.0) for w in (1, 2))
    for step in range(200):
        for w in (1, 2):
            stats.add(Segment(str(w), w, f"W-{w}", step, 1, step % 7 == 0, step, step + 1))
        snapshot = stats.snapshot(step + 1.0)
        chart.draw(snapshot)
        whole = chart._convert(snapshot.timeline, snapshot)
        for drawn, expected in zip(chart._arrays, whole, strict=True):
            assert list(drawn) == list(expected)
