"""`Run.results_in`: the results a Segment announces, read as they arrive (no Qt), so a picture
can be drawn row by row without copying every result on every tick."""

from __future__ import annotations

import time

import pytest

from app.engine import Run, RunConfig
from app.engine.records import Segment
from app.workloads.mandelbrot import mandelbrot_row

ROWS = (0, 100, 240, 300, 479, 7)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("executor", ["process", "thread", "serial"])
def test_each_segment_hands_over_exactly_its_new_results(executor):
    run = Run(RunConfig(workload="mandelbrot", inputs=ROWS, executor=executor, workers=2))
    run.start()
    seen: set[int] = set()
    deadline = time.perf_counter() + 50
    while not run.finished and time.perf_counter() < deadline:
        for event in run.poll(timeout=0.05):
            if type(event) is not Segment:
                continue
            indices = range(event.first_index, event.first_index + event.count)
            assert not seen & set(indices)  # each result is handed over once
            results = run.results_in(indices)
            assert results == [mandelbrot_row(ROWS[i]) for i in indices]
            assert run.inputs_in(indices) == [ROWS[i] for i in indices]
            seen.update(indices)
        # What no Segment has announced yet is not there to read.
        everything = run.results_in(range(len(ROWS)))
        assert {i for i, result in enumerate(everything) if result is not None} == seen
    assert run.finished
    assert seen == set(range(len(ROWS)))
    assert run.results_in(range(2, 4)) == [mandelbrot_row(240), mandelbrot_row(300)]


@pytest.mark.timeout(60)
def test_a_run_until_stop_keeps_no_results_to_read():
    run = Run(RunConfig(workload="power", tasks=50, executor="serial", until_stopped=True))
    run.start()
    deadline = time.perf_counter() + 30
    segments = []
    while not segments and time.perf_counter() < deadline:
        segments = [e for e in run.poll(timeout=0.05) if type(e) is Segment]
    run.stop()
    run.wait(timeout=30)
    assert segments
    first = segments[0]
    assert (
        run.results_in(range(first.first_index, first.first_index + first.count))
        == [None] * first.count
    )
    # Later rounds repeat the first's inputs: tasks 48 to 51 of a 50-task round.
    assert run.inputs_in(range(48, 52)) == [4, 2, 4, 2]
