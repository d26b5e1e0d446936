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
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QLabel

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


def base_point_size() -> int:
    """A font size readable from the back of a classroom that still fits a 1280x800 projector."""
    screen = QGuiApplication.primaryScreen()
    height = screen.availableGeometry().height() if screen is not None else 800
    if height >= 1000:
        return 14
    if height >= 760:
        return 11
    return 10


def scaled_font(points_delta: int = 0, bold: bool = False) -> QFont:
    font = QFont(QApplication.font())
    font.setPointSize(max(6, base_point_size() + points_delta))
    font.setBold(bold)
    return font


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
    font.setPointSize(base_point_size())
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
    # Antialiasing off: thousands of timeline blocks draw much faster, and on a projector
    # the crisp edges read better anyway.
    pg.setConfigOptions(background="w", foreground="k", antialias=False)
