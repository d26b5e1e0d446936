"""Control: the life of runs, one after another, outside Qt.

The window (or a lesson, or a test) asks a `RunController` to start a run, calls `tick()` from
its timer and shows the `Frame` each tick returns. Imports the engine and the stats, no Qt.
"""

from app.control.run_controller import SAMPLE_EVERY_S, Books, Frame, RunController

__all__ = ["SAMPLE_EVERY_S", "Books", "Frame", "RunController"]
