"""The messages that cross between a worker and the parent, as small named classes.

A spawned worker imports this module, so it stays plain: `__slots__` classes (no
dataclasses, whose import would slow every worker's start) that pickle as their class and a
tuple of fields, about as small as a bare tuple.

    Hello      worker -> consumer   a worker is up, with its identity and clock
    Report     worker -> consumer   one or more TaskBlocks of one chunk (results, timings)
    TaskBlock                       tasks one worker ran back to back
    Failure                         one task that raised: its index and traceback
    Ack        worker -> supervisor a chunk is done: how many tasks, how long they took
    ChunkError worker -> supervisor a chunk could not run at all
"""

from __future__ import annotations


class _Message:
    __slots__ = ()

    def __init__(self, *values) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    def __reduce__(self):
        return type(self), tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__reduce__() == other.__reduce__()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Hello(_Message):
    """A worker is ready: `worker` is its key (the pid, or "pid:thread-id" for a thread)."""

    __slots__ = ("worker", "pid", "name", "at")


class Failure(_Message):
    """A task raised: its index, exception type, message and traceback text."""

    __slots__ = ("index", "exc_type", "message", "traceback")


class TaskBlock(_Message):
    """Tasks `indices` that one worker ran back to back from `start` to `end`."""

    __slots__ = ("indices", "start", "end", "results", "failures")


class Report(_Message):
    """What a worker did of chunk `chunk_id`: one or more TaskBlocks."""

    __slots__ = ("worker", "pid", "name", "chunk_id", "blocks")


class Ack(_Message):
    """A chunk is done: `count` tasks that took `busy_s` of compute (reporting left out)."""

    __slots__ = ("chunk_id", "count", "busy_s")


class ChunkError(_Message):
    """A chunk could not run at all (its inputs or results would not pickle, say)."""

    __slots__ = ("chunk_id", "exc_type", "message")
