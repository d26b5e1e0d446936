"""Tasks per second over a sliding time window, from the blocks a worker reports.

A block says "count tasks finished between start and end". When the window's edge cuts a
block, only the share of the block inside the window counts: a 1-second block of 10 tasks
with half a second inside the window adds 5 tasks. That spreads a chunk's tasks evenly over
its time, which is the best guess we have without per-task times.

One worker runs its blocks one after another, so they arrive in time order. That lets us keep
a running sum of the blocks in the window and correct only the blocks cut by its two edges:
asking for the rate costs O(1) amortised, however many blocks the window holds.
"""

from __future__ import annotations

from collections import deque

# A safety cap on blocks kept per worker. The engine reports tiny tasks in chunks, so a real
# window holds far fewer; if it ever held more, the oldest would be forgotten early.
MAX_BLOCKS_IN_WINDOW = 100_000


def effective_window(now: float, window_s: float) -> float:
    """The window's length at time `now`: never reaching back before the run began (time 0)."""
    return max(0.0, min(window_s, now))


class SlidingRate:
    """The recent blocks of one worker, and its task rate over the last `window_s` seconds.

    Blocks that ended a whole window before the newest time seen (in a block or in a question)
    are forgotten, so ask with a `now` that does not go backwards.
    """

    __slots__ = ("window_s", "_blocks", "_tasks_kept")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._blocks: deque[tuple[float, float, int]] = deque()
        self._tasks_kept = 0  # sum of the counts of the blocks in _blocks

    def add(self, start: float, end: float, count: int, newest_time: float) -> None:
        """Remember a block; `newest_time` is the latest time seen in any event so far."""
        if len(self._blocks) >= MAX_BLOCKS_IN_WINDOW:
            self._tasks_kept -= self._blocks.popleft()[2]
        self._blocks.append((start, end, count))
        self._tasks_kept += count
        self._forget_before(newest_time - self.window_s)

    def _forget_before(self, horizon: float) -> None:
        blocks = self._blocks
        while blocks and blocks[0][1] <= horizon:
            self._tasks_kept -= blocks.popleft()[2]

    def tasks_in_window(self, now: float) -> float:
        """Tasks finished in the window (now - window, now], counting cut blocks in proportion."""
        self._forget_before(now - self.window_s)
        window_start = now - effective_window(now, self.window_s)
        tasks = float(self._tasks_kept)
        # Take away what lies before the window: only the oldest blocks can.
        for start, end, count in self._blocks:
            if start >= window_start:
                break
            if end <= window_start:
                tasks -= count
            else:
                tasks -= count * (window_start - start) / (end - start)
        # Take away what lies after `now`: only the newest blocks can.
        for start, end, count in reversed(self._blocks):
            if end <= now:
                break
            if start >= now:
                tasks -= count
            else:
                tasks -= count * (end - now) / (end - start)
        return tasks

    def rate(self, now: float) -> float:
        """Tasks per second over the window ending at `now` (0.0 before the run has begun)."""
        length = effective_window(now, self.window_s)
        if length <= 0:
            return 0.0
        return self.tasks_in_window(now) / length
