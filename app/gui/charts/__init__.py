"""The three live charts: throughput per worker, throughput over time, and the timeline.

Each chart creates its plot items once and then only feeds them new numpy arrays, so drawing
costs the same on the hundredth frame as on the first.
"""

from app.gui.charts.throughput_bars import ThroughputBarsChart
from app.gui.charts.throughput_lines import ThroughputLinesChart
from app.gui.charts.timeline import TimelineChart

__all__ = ["ThroughputBarsChart", "ThroughputLinesChart", "TimelineChart"]
