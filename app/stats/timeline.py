"""The timeline: the blocks of work each worker did, kept within a fixed number of blocks.

Every block stays as it came (one per task, or one per chunk for tiny tasks) until there are
more than `max_blocks`; the bound is large (RunStats keeps 32,000), so a class sees each task
of a run of hundreds or thousands. Past the bound the oldest half is compacted: each worker's
oldest blocks are merged in neighbouring pairs, halving the detail of the past while the recent
half keeps it all. Two neighbours merge only when the gap between them is under 1/2000 of the
timeline's span, less than a pixel on any screen, so merging never hides a wait. Only if merging
frees too little (under max_blocks / 8) are the oldest blocks dropped, down to 3/4 full. Each
compaction leaves room for at least max_blocks / 8 new blocks: adding one costs O(1) amortised.
A merged block keeps the CPU time of both, so its computing share is the pair's.
"""

from __future__ import annotations

from collections import deque

from app.engine.records import Segment

# Gaps shorter than the span / this are merged over: under a pixel even on a 4K screen's chart.
INVISIBLE_GAP_FRACTION = 2000


def merge_blocks(earlier: Segment, later: Segment) -> Segment:
    """One block covering both: counts and CPU time add up; `first_index` is the earlier
    block's. A block whose CPU time was not measured counts as computing throughout."""
    if earlier.cpu is None and later.cpu is None:
        cpu = None
    else:
        cpu = _cpu_or_wall(earlier) + _cpu_or_wall(later)
    return Segment(
        worker=earlier.worker,
        pid=earlier.pid,
        name=earlier.name,
        first_index=earlier.first_index,
        count=earlier.count + later.count,
        failed=earlier.failed + later.failed,
        start=min(earlier.start, later.start),
        end=max(earlier.end, later.end),
        cpu=cpu,
        chunk_start=earlier.chunk_start,
    )


def _cpu_or_wall(block: Segment) -> float:
    return block.end - block.start if block.cpu is None else block.cpu


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
        span = (self._latest or 0.0) - (self._earliest or 0.0)
        tolerance = span / INVISIBLE_GAP_FRACTION
        oldest = [self._blocks.popleft() for _ in range(len(self._blocks) // 2)]
        merged: list[Segment] = []
        # worker -> index in `merged` of its block still waiting for a partner; a merged pair
        # takes no third block, so the past loses half its detail, not all of it.
        unpaired: dict[str, int] = {}
        for block in oldest:
            index = unpaired.pop(block.worker, None)
            if index is not None:
                previous = merged[index]
                gap = max(block.start - previous.end, previous.start - block.end)
                if gap <= tolerance:
                    merged[index] = merge_blocks(previous, block)
                    continue
            unpaired[block.worker] = len(merged)
            merged.append(block)
        freed = len(oldest) - len(merged)
        # Too little merged (waits between blocks, or many workers' lone blocks): drop the
        # oldest down to 3/4 full, so the next compaction is a while away.
        target = (
            self.max_blocks if freed >= max(1, self.max_blocks // 8) else self.max_blocks * 3 // 4
        )
        room_wanted = len(merged) + len(self._blocks) - target
        if room_wanted > 0:
            self.dropped += min(room_wanted, len(merged))
            merged = merged[room_wanted:]
        self._blocks.extendleft(reversed(merged))
