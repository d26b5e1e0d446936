"""A Pool worker batches its tiny chunks' reports, and never waits for work while holding one."""

from __future__ import annotations

import time
import types

import pytest

from app.engine import Run, RunConfig
from app.engine.records import Segment
from app.engine.worker import REPORT_EVERY_S, WorkerContext, execute_chunk, flush_reports
from tests import sample_tasks
from tests.test_engine import books_are_exact, collect
from tests.test_where_time_goes import _Channel


def _fresh_thread_books(monkeypatch) -> None:
    """Each test starts with books of its own, as a new worker thread would."""
    import app.engine.worker as worker

    monkeypatch.setattr(worker, "_local", type(worker._local)())


def test_tiny_chunks_are_kept_and_sent_together_with_each_blocks_chunk(monkeypatch):
    _fresh_thread_books(monkeypatch)
    context = WorkerContext(func=abs, channel=_Channel(), batch=True)
    # The first report goes at once: its size per block says how many may wait together.
    execute_chunk(context, 0, range(0, 1), [-1])
    assert len(context.channel.messages()) == 1
    for chunk_id in range(1, 6):
        execute_chunk(context, chunk_id, range(chunk_id, chunk_id + 1), [-chunk_id])
    assert len(context.channel.messages()) == 1  # kept: well under REPORT_EVERY_S of work
    flush_reports(context)
    first, batched = context.channel.messages()
    assert [block.chunk_id for block in batched.blocks] == [1, 2, 3, 4, 5]
    assert [block.results for block in batched.blocks] == [[1], [2], [3], [4], [5]]
    flush_reports(context)
    assert len(context.channel.messages()) == 2  # nothing left to send: no empty report


def test_a_worker_that_does_not_batch_reports_every_chunk(monkeypatch):
    _fresh_thread_books(monkeypatch)
    context = WorkerContext(func=abs, channel=_Channel())
    for chunk_id in range(4):
        execute_chunk(context, chunk_id, range(chunk_id, chunk_id + 1), [-chunk_id])
    assert len(context.channel.messages()) == 4


def test_kept_blocks_go_at_least_every_report_interval(monkeypatch):
    _fresh_thread_books(monkeypatch)
    clock = iter(range(10**6))
    import app.engine.worker as worker

    # Each reading of the worker's clock moves it on by a tenth of the interval.
    fake_time = types.SimpleNamespace(
        perf_counter=lambda: next(clock) * REPORT_EVERY_S / 10, thread_time=time.thread_time
    )
    monkeypatch.setattr(worker, "time", fake_time)
    context = WorkerContext(func=abs, channel=_Channel(), batch=True)
    for chunk_id in range(40):
        execute_chunk(context, chunk_id, range(chunk_id, chunk_id + 1), [-chunk_id])
    reports = context.channel.messages()
    assert 3 <= len(reports) < 40
    for report in reports:
        assert report.blocks[-1].start - report.blocks[0].start < 2 * REPORT_EVERY_S


def test_a_kept_result_that_will_not_pickle_fails_alone(monkeypatch):
    _fresh_thread_books(monkeypatch)
    context = WorkerContext(func=abs, channel=_Channel(), batch=True)
    execute_chunk(context, 0, range(0, 1), [-1])
    execute_chunk(context, 1, range(1, 2), [-2])
    context.func = sample_tasks.unpicklable
    execute_chunk(context, 2, range(2, 3), [3])
    context.func = abs
    execute_chunk(context, 3, range(3, 4), [-4])
    flush_reports(context)
    blocks = [block for report in context.channel.messages() for block in report.blocks]
    assert [block.chunk_id for block in blocks] == [0, 1, 2, 3]
    assert [block.results for block in blocks] == [[1], [2], [None], [4]]
    (failure,) = blocks[2].failures
    assert failure.index == 2 and "could not be sent" in failure.message


@pytest.mark.timeout(60)
def test_chunksize_one_sends_far_fewer_reports_than_chunks_and_loses_nothing():
    run = Run(RunConfig(workload="power", tasks=4_000, workers=2, chunksize=1))
    run.start()
    events = collect(run)
    summary = events[-1].summary
    books_are_exact(summary)
    assert summary.completed == 4_000 and summary.chunks == 4_000
    assert summary.results == [x**x for x in run.config.make_inputs()]
    assert summary.messages < 4_000 / 4  # hellos and batched reports, not one per chunk
    segments = [event for event in events if isinstance(event, Segment)]
    assert sum(segment.count for segment in segments) == 4_000
    # Every block is a chunk of its own: each still starts a chunk on the timeline.
    assert all(segment.chunk_start for segment in segments)


@pytest.mark.timeout(60)
def test_a_batching_worker_sends_what_it_has_before_it_waits_for_more():
    """The last chunk's report is kept (its task is tiny, far under REPORT_EVERY_S); only the
    flush before the worker waits for its next task sends it. Without it, no end."""
    run = Run(RunConfig(workload="power", inputs=(3, 4), workers=1, chunksize=1))
    run.start()
    summary = run.wait(30)
    assert summary.results == [27, 256]
    books_are_exact(summary)


@pytest.mark.timeout(60)
def test_a_chunk_whose_inputs_will_not_pickle_fails_alone_among_chunks_sent_together():
    """The Pool's task thread fails such a chunk itself, in the same batch whose other
    chunks the result thread settles: neither may lose or double a chunk."""
    inputs = (1, 2, lambda: 3, 4, 5, 6)
    run = Run(RunConfig(workload="power", inputs=inputs, workers=2, chunksize=1))
    run.start()
    summary = run.wait(30)
    books_are_exact(summary)
    assert (summary.completed, summary.failed) == (5, 1)
    assert summary.results[:2] == [1, 4] and summary.results[3:] == [256, 3125, 46656]
