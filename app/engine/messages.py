"""The messages that cross between a worker and the parent, as small named tuples.

A spawned worker imports this module, so it stays plain: `collections.namedtuple` classes
(`__slots__ = ()`, no dataclasses, whose import would slow every worker's start) that pickle
as their class and their fields, and unpickle at C speed, as cheaply as bare tuples.

    Hello      worker -> consumer   a worker is up: its identity, its start-up's three moments
    Report     worker -> consumer   one or more TaskBlocks (results, timings),
                                    and the worker's running totals of where its time went
    TaskBlock                       tasks one worker ran back to back (wall and CPU time)
    Failure                         one task that raised: its index and traceback
    Ack        worker -> supervisor a chunk is done: how many tasks, how long they took
    ChunkError worker -> supervisor a chunk could not run at all
"""

from __future__ import annotations

from collections import namedtuple

Hello = namedtuple("Hello", "worker pid name at asked began rss_kb", defaults=(None, None, 0))
Hello.__doc__ = """A worker is ready at `at`: `worker` is its key (the pid, or "pid:thread-id").

`asked` is when the parent asked for its process to start (the parent's clock), `began` when
that process first ran our code, `at` when it was ready (imports done, hello being sent): all
on `time.perf_counter()`, one clock for every process of the machine. Threads share their
process's `asked` and `began`. `rss_kb`: the process's peak resident memory so far."""

Failure = namedtuple("Failure", "index exc_type message traceback")
Failure.__doc__ = """A task raised: its index, exception type, message and traceback text."""

TaskBlock = namedtuple(
    "TaskBlock", "indices start end results failures cpu chunk_id", defaults=(None, -1)
)
TaskBlock.__doc__ = """Tasks `indices` of chunk `chunk_id` that one worker ran back to back from
`start` to `end`, using `cpu` seconds of its own thread's CPU time (None: not measured)."""

Report = namedtuple(
    "Report",
    "worker pid name blocks send_s send_cpu_s idle_s bytes_in rss_kb",
    defaults=(0.0, 0.0, 0.0, 0, 0),
)
Report.__doc__ = """What a worker did: one or more TaskBlocks (of one chunk, or of several tiny
chunks in a row when its reports are batched, see `app.engine.worker`), and its
running totals since it was ready: `send_s` sending its earlier messages (a message cannot
carry its own sending time: the next one does) and `send_cpu_s` of that its thread's CPU
time (the rest it waited: for the GIL, for a free core), `idle_s` alive without a task until this
chunk began, `bytes_in` the pickled bytes of the task messages it received, `rss_kb` its
process's peak resident memory so far."""

Ack = namedtuple("Ack", "chunk_id count busy_s")
Ack.__doc__ = """A chunk is done: `count` tasks that took `busy_s` of compute, reporting aside."""

ChunkError = namedtuple("ChunkError", "chunk_id exc_type message")
ChunkError.__doc__ = """A chunk could not run at all (its inputs or results would not pickle)."""
