"""The timeline: the blocks of work each worker did, kept within a fixed number of blocks.

When there are more than `max_blocks`, the oldest half is compacted: blocks of the same worker
that follow each other with a gap shorter than the timeline's span / max_blocks are merged into
one block (too short a gap to see on a chart anyway). Only if merging frees too little are the
oldest blocks dropped. Each compaction leaves room for max_blocks / 4 new blocks, so adding a
block costs O(1) amortised.
"""

from __future__ import annotations

from collections import deque

from app.engine.records import Segment


def merge_blocks(earlier: Segment, later: Segment) -> Segment:
    """One block covering both: counts add up; `first_index` is the earlier block's."""
    return Segment(
        worker=earlier.worker,
        pid=earlier.pid,
        name=earlier.name,
        first_index=earlier.first_index,
        count=earlier.count + later.count,
        failed=earlier.failed + later.failed,
        start=min(earlier.start, later.start),
        end=max(earlier.end, later.end),
    )


class Timeline:
    """At most `max_blocks` Segments, in the order they arrived, oldest first."""

    __slots__ = ("max_blocks", "dropped", "_blocks", "_earliest", "_latest")

    def __init__(self, max_blocks: int) -> None:
        if max_blocks < 1:
            raise ValueError(f"max_blocks must be at least 1, not {max_blocks}")
        self.max_blocks = max_blocks
        self.dropped = 0  # blocks forgotten because merging could not make room
        self._blocks: deque[Segment] = deque()
        self._earliest: float | None = None
        self._latest: float | None = None

    def __len__(self) -> int:
        return len(self._blocks)

    def add(self, segment: Segment) -> None:
        self._blocks.append(segment)
        if self._earliest is None or segment.start < self._earliest:
            self._earliest = segment.start
        if self._latest is None or segment.end > self._latest:
            self._latest = segment.end
        if len(self._blocks) > self.max_blocks:
            self._compact()

    def blocks(self) -> list[Segment]:
        return list(self._blocks)

    def _compact(self) -> None:
        # Merging gaps this short is invisible on a chart of the whole span.
        span = (self._latest or 0.0) - (self._earliest or 0.0)
        tolerance = span / self.max_blocks
        oldest = [self._blocks.popleft() for _ in range(len(self._blocks) // 2)]
        merged: list[Segment] = []
        last_of_worker: dict[str, int] = {}  # worker -> index of its latest block in `merged`
        for block in oldest:
            index = last_of_worker.get(block.worker)
            if index is not None:
                previous = merged[index]
                gap = max(block.start - previous.end, previous.start - block.end)
                if gap <= tolerance:
                    merged[index] = merge_blocks(previous, block)
                    continue
            last_of_worker[block.worker] = len(merged)
            merged.append(block)
        room_wanted = len(merged) + len(self._blocks) - self.max_blocks * 3 // 4
        if room_wanted > 0:
            self.dropped += min(room_wanted, len(merged))
            merged = merged[room_wanted:]
        self._blocks.extendleft(reversed(merged))
