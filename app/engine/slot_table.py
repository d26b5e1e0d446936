"""The "who took it" table: one shared 64-bit integer per chunk slot, written by the worker
that takes the chunk (its pid) and read by the supervisor.

What `multiprocessing.RawArray("q", n)` offers, on the same shared memory (`multiprocessing`'s
own `heap.Arena`: a file in /dev/shm on Linux, a named mapping on Windows; it travels to a
spawned worker as a file descriptor or a name), read through a `memoryview` instead of ctypes.
`ctypes` and `multiprocessing.sharedctypes` cost a fresh process about 2 ms to import, paid by
every cold run before it could ask for its workers, and again by every worker.

Each slot is 8 bytes on an 8-byte boundary of a page-aligned mapping, so a read never sees
half of a write, as with a ctypes array.
"""

from __future__ import annotations

import mmap
from multiprocessing import heap


class SlotTable:
    __slots__ = ("_arena", "_view")

    def __init__(self, size: int, arena: heap.Arena | None = None) -> None:
        if arena is None:
            arena = heap.Arena(max(8 * size, mmap.PAGESIZE))
        self._arena = arena
        self._view = memoryview(arena.buffer).cast("q")[:size]

    def __getitem__(self, slot: int) -> int:
        return self._view[slot]

    def __setitem__(self, slot: int, value: int) -> None:
        self._view[slot] = value

    def __len__(self) -> int:
        return len(self._view)

    def __reduce__(self):
        # The arena pickles itself for a process being started (its fd, or its name).
        return SlotTable, (len(self._view), self._arena)
