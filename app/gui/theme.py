"""How the window looks on a projector: colours, font sizes and pyqtgraph's global options.

Worker colours come from the Okabe-Ito palette, which stays distinguishable for the most common
kinds of colour blindness. A worker keeps its look (chosen by its stable `slot`) in every chart.
Past the palette's 7 colours a worker gets a pattern too (stripes, dots, cross-hatch on bars and
blocks; dashes, dots on lines), and past those a darker shade: 56 workers look different before
the first look comes round again (their labels still tell them apart).
"""

from __future__ import annotations

import html
from functools import lru_cache

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QApplication, QLabel, QWidget

# Okabe-Ito without black (black is the "total" line) and with yellow last: yellow is the
# hardest to read as a thin line on white, so it only appears once there are 7 workers.
WORKER_COLOURS = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
)
TOTAL_COLOUR = "#000000"
IDLE_COLOUR = "#E4E4E4"  # the lane behind the timeline blocks: grey shows a worker waiting
FAILED_COLOUR = "#000000"
# A worker starting up, before it can take work: a darker grey than a lane waiting for work.
# Flat, as the pale waiting part: a hatch is stretched with the chart's axes into blotches.
STARTUP_COLOUR = "#A2A2A2"
DEATH_COLOUR = "#D00000"  # the cross that ends a dead worker's lane
TEXT_COLOUR = "#111111"
MUTED_TEXT_COLOUR = "#444444"


# The second, third and fourth round of colours: a pattern on bars and blocks, a dash on lines.
PATTERNS = ("solid", "stripes", "dots", "crosshatch")
LINE_STYLES = (
    Qt.PenStyle.SolidLine,
    Qt.PenStyle.DashLine,
    Qt.PenStyle.DotLine,
    Qt.PenStyle.DashDotLine,
)
DISTINCT_WORKER_LOOKS = len(WORKER_COLOURS) * len(PATTERNS) * 2  # x2: normal and darker shade
PATTERN_TILE = 8  # pixels; a pattern repeats this often


def worker_look(slot: int) -> int:
    """Which of the DISTINCT_WORKER_LOOKS this slot has: equal looks are drawn alike."""
    return slot % DISTINCT_WORKER_LOOKS


def worker_pattern(slot: int) -> str:
    return PATTERNS[(slot // len(WORKER_COLOURS)) % len(PATTERNS)]


def worker_colour(slot: int) -> QColor:
    """The colour of the worker in this slot; past 28 workers the palette comes back darker."""
    colour = QColor(WORKER_COLOURS[slot % len(WORKER_COLOURS)])
    if (slot // (len(WORKER_COLOURS) * len(PATTERNS))) % 2:
        colour = colour.darker(160)
    return colour


def worker_line_style(slot: int) -> Qt.PenStyle:
    return LINE_STYLES[(slot // len(WORKER_COLOURS)) % len(LINE_STYLES)]


def worker_pen(slot: int, width: float = 2) -> QPen:
    """A line in the worker's colour, dashed or dotted past the palette's first round."""
    pen = QPen(worker_colour(slot))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setStyle(worker_line_style(slot))
    return pen


@lru_cache(maxsize=4 * DISTINCT_WORKER_LOOKS)
def worker_brush(slot: int, alpha: int = 255) -> QBrush:
    """A fill in the worker's colour, with white stripes, dots or cross-hatch past the first
    round of colours. The pattern is a small tiled picture, so it scales with nothing."""
    colour = worker_colour(slot)
    colour.setAlpha(alpha)
    pattern = worker_pattern(slot)
    if pattern == "solid":
        return QBrush(colour)
    tile = QPixmap(PATTERN_TILE, PATTERN_TILE)
    tile.fill(colour)
    painter = QPainter(tile)
    mark = QPen(QColor(255, 255, 255, min(alpha, 230)))
    mark.setWidth(2)
    painter.setPen(mark)
    size = PATTERN_TILE
    if pattern == "stripes":
        painter.drawLine(0, size, size, 0)
        painter.drawLine(-size // 2, size // 2, size // 2, -size // 2)
        painter.drawLine(size // 2, size + size // 2, size + size // 2, size // 2)
    elif pattern == "dots":
        painter.setBrush(mark.color())
        painter.drawRect(2, 2, 2, 2)
    else:  # crosshatch
        painter.drawLine(0, size // 2, size, size // 2)
        painter.drawLine(size // 2, 0, size // 2, size)
    painter.end()
    return QBrush(tile)


def waiting_brush(slot: int) -> QBrush:
    """A pale tint of the worker's colour: inside a task but waiting (for the GIL, for I/O).
    Paler than the worker's blocks, and tinted, so it reads neither as computing nor as the grey
    of a lane with no work. Flat, not hatched: a textured brush would be stretched with the
    chart's axes (a bar is drawn in data coordinates), which turns a fine hatch into blotches."""
    colour = worker_colour(slot)
    tint = 0.35  # this much of the colour, the rest white
    return QBrush(
        QColor(
            round(255 + (colour.red() - 255) * tint),
            round(255 + (colour.green() - 255) * tint),
            round(255 + (colour.blue() - 255) * tint),
        )
    )


# The height of the screen to size type for, when it is not the one the window is on
# (`selftest --size 1280x720` offscreen, to show what a projector of that size would).
_assumed_screen_height: int | None = None


def assume_screen_height(height: int | None) -> None:
    """Size type as for a screen this many pixels high (None: the primary screen's)."""
    global _assumed_screen_height
    _assumed_screen_height = height


def base_point_size() -> int:
    """A font size readable from the back of a classroom that still fits a 1280x800 projector."""
    height = _assumed_screen_height
    if height is None:
        screen = QGuiApplication.primaryScreen()
        height = screen.availableGeometry().height() if screen is not None else 800
    if height >= 1000:
        return 14
    if height >= 760:
        return 11
    return 10


# Presenter mode's zoom, in percent: every font size and chart line width is multiplied by it.
# Set by app.gui.zoom, which also restyles the widgets already made.
ZOOM_STEPS = (100, 125, 150, 175, 200, 250)
MIN_ZOOM, MAX_ZOOM = ZOOM_STEPS[0], ZOOM_STEPS[-1]
DEFAULT_ZOOM = 100
_zoom_percent = DEFAULT_ZOOM


def zoom_percent() -> int:
    return _zoom_percent


def set_zoom_percent(percent: int) -> None:
    """The zoom for fonts and lines made from now on (app.gui.zoom restyles what exists)."""
    global _zoom_percent
    _zoom_percent = int(percent)


def point_size(points_delta: int = 0) -> int:
    """The size of a font `points_delta` points above the zoomed base size (the steps between
    sizes stay as they are: big numbers zoomed as much would crowd a 1280x720 status line)."""
    return max(6, round(base_point_size() * _zoom_percent / 100) + points_delta)


def line_width(width: float) -> float:
    """A chart line `width` pixels wide at 100 %, thicker as the zoom grows."""
    return width * _zoom_percent / 100


def scaled_font(points_delta: int = 0, bold: bool = False, fixed: bool = False) -> QFont:
    """The application's font (or the system's fixed-width one) `points_delta` points above
    the base size, zoomed."""
    if fixed:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    else:
        font = QFont(QApplication.font())
    font.setPointSize(point_size(points_delta))
    font.setBold(bold)
    return font


def set_scaled_font(
    widget: QWidget, points_delta: int = 0, bold: bool = False, fixed: bool = False
) -> None:
    """Give `widget` a font of its own, and remember how it was chosen so that a new zoom
    (`refresh_scaled_font`) gives it the same font at the new size."""
    widget.setProperty("scaledFontDelta", points_delta)
    widget.setProperty("scaledFontStyle", ("fixed" if fixed else "") + (" bold" if bold else ""))
    widget.setFont(scaled_font(points_delta, bold, fixed))


def refresh_scaled_font(widget: QWidget) -> None:
    """Set a font chosen by `set_scaled_font` again, at the current zoom."""
    delta = widget.property("scaledFontDelta")
    if delta is None:
        return
    style = str(widget.property("scaledFontStyle") or "")
    widget.setFont(scaled_font(int(delta), "bold" in style, "fixed" in style))


def caption_html(title: str, text: str) -> str:
    """A panel's title in bold followed by one sentence telling a student what they see."""
    return f"<b>{html.escape(title)}</b> &nbsp;{html.escape(text)}"


def caption_label(title: str, text: str, lines: int = 2) -> QLabel:
    """The caption above a panel: its bold title and what a student sees, on at most `lines`
    lines of a height reserved whatever it says (the whole text is the tooltip if cut), so
    at 1280x720 the captions leave the charts room to draw."""
    from app.gui.fitted_label import FittedLabel

    label = FittedLabel(text, lines=lines, title=title)
    label.setObjectName("caption")
    return label


STYLE_SHEET = """
QMainWindow, QWidget { background: #FFFFFF; color: #111111; }
QGroupBox { font-weight: bold; border: 1px solid #BBBBBB; border-radius: 6px;
            margin-top: 0.9em; padding: 0.4em 0.4em 0.3em 0.4em; }
QGroupBox::title { subcontrol-origin: margin; left: 0.6em; padding: 0 0.3em; }
QLabel#caption { color: #333333; }
QLabel#chartTitle { font-weight: bold; }
QLabel#explanation { color: #333333; background: #F3F6FA; border: 1px solid #D5DDE8;
                     border-radius: 4px; padding: 0.35em; }
QLabel#bigNumber { font-weight: bold; }
QLabel#tileName { color: #444444; }
QLabel#hint { color: #444444; }
QCheckBox::indicator { width: 0.9em; height: 0.9em; }
QPushButton { padding: 0.35em 0.8em; border: 1px solid #888888; border-radius: 5px;
              background: #F2F2F2; }
QPushButton:hover { background: #E6E6E6; }
QPushButton:disabled { color: #9A9A9A; border-color: #CCCCCC; background: #F8F8F8; }
QPushButton#startButton:enabled { background: #0072B2; color: white; border-color: #005A8C;
                                  font-weight: bold; }
QPushButton#stopButton:enabled { background: #D55E00; color: white; border-color: #A84A00;
                                 font-weight: bold; }
QPushButton#killButton:enabled { background: #FFFFFF; color: #A84A00; border: 2px solid #D55E00;
                                 font-weight: bold; }
QProgressBar { border: 1px solid #888888; border-radius: 5px; text-align: center;
               background: #EEEEEE; color: #111111; }
QProgressBar::chunk { background: #009E73; border-radius: 4px; }
QListWidget, QTableWidget, QPlainTextEdit { border: 1px solid #BBBBBB; }
QListWidget::item:selected, QTableWidget::item:selected { background: #CCE3F2; color: #111111; }
QHeaderView::section { background: #F0F0F0; padding: 0.2em; border: 0;
                       border-bottom: 1px solid #BBBBBB; font-weight: bold; }
QSplitter::handle { background: #E8E8E8; }
"""


def apply_theme(app: QApplication) -> None:
    """A light, high-contrast theme: white chart backgrounds and large type."""
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSize(point_size(0))
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
    # Antialiasing off: thousands of timeline blocks draw much faster, and on a projector
    # the crisp edges read better anyway.
    pg.setConfigOptions(background="w", foreground="k", antialias=False)
