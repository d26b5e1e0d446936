"""The live charts: throughput per worker, throughput over time, and the timeline.

Each chart is one module with one `ChartPanel` subclass: `reset()` empties it for a new run,
`draw(snapshot)` shows a frame (an `app.stats.Snapshot`). Each creates its plot items once and
then only feeds them new numpy arrays, so drawing costs the same on the hundredth frame as on
the first. A new chart is a new module and one line in `CHARTS`.
"""

from app.gui.charts.common import ChartPanel, chart_rows
from app.gui.charts.throughput_bars import ThroughputBarsChart
from app.gui.charts.throughput_lines import ThroughputLinesChart
from app.gui.charts.timeline import TimelineChart

# Every chart the window shows. The window redraws one chart per tick, in this order.
CHARTS: tuple[type[ChartPanel], ...] = (
    ThroughputBarsChart,
    TimelineChart,
    ThroughputLinesChart,
)

__all__ = [
    "CHARTS",
    "ChartPanel",
    "ThroughputBarsChart",
    "ThroughputLinesChart",
    "TimelineChart",
    "chart_rows",
]
