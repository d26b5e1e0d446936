"""The Mandelbrot picture: rows fill in as results arrive, each in the colour of the worker that
computed it (the charts' colours), or plain; only new rows are painted; other workloads say
the picture is theirs only."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from app.engine import RunConfig
from app.engine.records import Segment
from app.gui.panels.mandelbrot import (
    LIGHTNESS_TABLE,
    NOT_YET,
    PLAIN_TABLE,
    MandelbrotPanel,
    MandelbrotPicture,
    worker_rgb,
)
from app.gui.theme import worker_colour
from app.workloads.mandelbrot import HEIGHT, LEFT, MAX_ITER, RIGHT, WIDTH, mandelbrot_row

ROWS = (0, 240, 100, 479, 300)
INSIDE_COLUMN = round((-0.2 - LEFT) / (RIGHT - LEFT) * (WIDTH - 1))  # x = -0.2: in the set


def colour_of(slot: int) -> tuple[int, int, int]:
    colour = worker_colour(slot)
    return colour.red(), colour.green(), colour.blue()


def test_a_row_takes_its_workers_colour_where_points_escape_at_once_and_stays_black_inside():
    picture = MandelbrotPicture()
    counts = mandelbrot_row(240)
    assert counts[0] == 1 and counts[INSIDE_COLUMN] == MAX_ITER
    picture.add_row(240, counts, slot=1)
    assert tuple(picture.rgb[240, 0]) == colour_of(1)  # lightness 1: the chart colour itself
    assert tuple(picture.rgb[240, INSIDE_COLUMN]) == (0, 0, 0)
    assert tuple(picture.rgb[239, 0]) == NOT_YET and tuple(picture.rgb[241, 0]) == NOT_YET
    some = next(x for x, count in enumerate(counts) if 5 < count < 50)
    expected = np.round(LIGHTNESS_TABLE[counts[some]] * worker_rgb(1)).astype(np.uint8)
    assert tuple(picture.rgb[240, some]) == tuple(expected)

    picture.set_tinted(False)
    assert tuple(picture.rgb[240, 0]) == (255, 255, 255)
    assert tuple(picture.rgb[240, INSIDE_COLUMN]) == (0, 0, 0)
    assert tuple(picture.rgb[240, some]) == tuple(PLAIN_TABLE[counts[some]])
    assert tuple(picture.rgb[239, 0]) == NOT_YET  # still no result there
    picture.set_tinted(True)
    assert tuple(picture.rgb[240, 0]) == colour_of(1)
    assert picture.rows_by_slot() == {1: 1}


def test_workers_past_the_palette_get_a_pattern_as_in_the_charts():
    picture = MandelbrotPicture()
    counts = [1] * WIDTH
    picture.add_row(0, counts, slot=0)
    picture.add_row(1, counts, slot=7)  # the same colour as slot 0 comes round again...
    assert colour_of(7) == colour_of(0)
    assert not np.array_equal(picture.rgb[0], picture.rgb[1])  # ...with stripes
    assert {tuple(pixel) for pixel in picture.rgb[0]} == {colour_of(0)}


class FakeRun:
    """Hands out results by index, as Run.results_in does, and counts what it was asked."""

    def __init__(self, rows) -> None:
        self.rows = list(rows)
        self.results = [mandelbrot_row(row) for row in rows]
        self.asked: list[range] = []

    def inputs_in(self, indices: range) -> list:
        return self.rows[indices.start : indices.stop]

    def results_in(self, indices: range) -> list:
        self.asked.append(indices)
        return self.results[indices.start : indices.stop]


def frame_with(*segments: Segment, workers=()) -> SimpleNamespace:
    return SimpleNamespace(segments=segments, snapshot=SimpleNamespace(workers=workers))


def segment(worker: str, first: int, count: int) -> Segment:
    return Segment(worker, 1, worker, first, count, 0, 0.0, 0.1)


def test_each_tick_paints_only_the_rows_that_just_arrived(qapp, monkeypatch):
    panel = MandelbrotPanel()
    run = FakeRun(ROWS)
    window = SimpleNamespace(controller=SimpleNamespace(run=run))
    panel.attach(window)
    panel.run_started(RunConfig(workload="mandelbrot", inputs=ROWS))
    painted: list[int] = []
    add_row = panel.picture.add_row
    monkeypatch.setattr(
        panel.picture,
        "add_row",
        lambda row, counts, slot: (painted.append(row), add_row(row, counts, slot)),
    )
    workers = (
        SimpleNamespace(worker="a", slot=0, pid=1, name="A"),
        SimpleNamespace(worker="b", slot=1, pid=2, name="B"),
    )
    panel.observe(frame_with(segment("a", 0, 2), workers=workers))
    assert painted == [0, 240] and run.asked == [range(0, 2)]
    panel.observe(frame_with(workers=workers))  # a tick with nothing new paints nothing
    assert painted == [0, 240]
    panel.observe(frame_with(segment("b", 2, 3), workers=workers))
    assert painted == [0, 240, 100, 479, 300] and run.asked[-1] == range(2, 5)
    assert tuple(panel.picture.rgb[100, 0]) == colour_of(1)
    assert tuple(panel.picture.rgb[0, 0]) == colour_of(0)


def drawn(panel, row: int, column: int) -> tuple[int, int, int]:
    """The pixel as pyqtgraph draws it: row 0 at the top, as the workload numbers rows."""
    panel.image_item.render()
    return panel.image_item.qimage.pixelColor(column, row).getRgb()[:3]


def worker_of_each_row(window, rows) -> dict[int, int]:
    """Row -> the colour slot of the worker that computed it, from the run's timeline (what
    the charts draw), not from the panel."""
    snapshot = window.controller.snapshot()
    slot_of = {worker.worker: worker.slot for worker in snapshot.workers}
    found = {}
    for block in snapshot.timeline:
        for index in range(block.first_index, block.first_index + block.count):
            found[rows[index] % HEIGHT] = slot_of[block.worker]
    return found


@pytest.mark.timeout(90)
@pytest.mark.parametrize("executor", ["process", "thread", "serial"])
def test_the_picture_fills_in_with_each_rows_worker_colour(window, qtbot, executor):
    panel = window.panel("mandelbrot")
    window.tabs.setCurrentWidget(panel)
    config = RunConfig(
        workload="mandelbrot", inputs=ROWS, executor=executor, workers=2, chunksize=1
    )
    with qtbot.waitSignal(window.run_finished, timeout=60_000):
        window.start_config(config)
    assert panel.view_widget.isVisible() and not panel.message.isVisible()
    workers = worker_of_each_row(window, ROWS)
    assert sorted(workers) == sorted(ROWS)
    for row, slot in workers.items():
        assert drawn(panel, row, 0) == colour_of(slot), (row, slot)
    assert drawn(panel, 240, INSIDE_COLUMN) == (0, 0, 0)
    assert drawn(panel, 1, 0) == NOT_YET  # no task computed row 1
    panel.tint_check.setChecked(False)
    assert all(drawn(panel, row, 0) == (255, 255, 255) for row in ROWS)
    assert drawn(panel, 240, INSIDE_COLUMN) == (0, 0, 0)
    assert "rows" in panel.legend.text()


@pytest.mark.timeout(60)
def test_a_hidden_tab_draws_nothing_until_it_is_shown(window, qtbot, monkeypatch):
    panel = window.panel("mandelbrot")
    window.tabs.setCurrentWidget(window.panel("code"))
    set_image = panel.image_item.setImage
    drawn_images = []
    monkeypatch.setattr(
        panel.image_item, "setImage", lambda *a, **k: (drawn_images.append(1), set_image(*a, **k))
    )
    config = RunConfig(workload="mandelbrot", inputs=(0, 479), executor="serial")
    with qtbot.waitSignal(window.run_finished, timeout=30_000):
        window.start_config(config)
    assert tuple(panel.picture.rgb[479, 0]) != NOT_YET  # the rows are in...
    assert drawn_images == []  # ...but a hidden tab spends no time drawing them
    window.tabs.setCurrentWidget(panel)
    assert drawn_images == [1]
    assert drawn(panel, 479, 0) == tuple(panel.picture.rgb[479, 0])


@pytest.mark.timeout(60)
def test_other_workloads_say_the_picture_is_for_mandelbrot(window, qtbot):
    panel = window.panel("mandelbrot")
    window.tabs.setCurrentWidget(panel)
    with qtbot.waitSignal(window.run_finished, timeout=30_000):
        window.start_config(RunConfig(workload="power", tasks=40, executor="serial"))
    assert panel.message.isVisible() and "Mandelbrot workload" in panel.message.text()
    assert not panel.view_widget.isVisible()
