"""How the window looks on a projector: colours, font sizes and pyqtgraph's global options.

Worker colours come from the Okabe-Ito palette, which stays distinguishable for the most common
kinds of colour blindness. A worker keeps its colour (chosen by its stable `slot`) in every chart.
"""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy

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
TEXT_COLOUR = "#111111"
MUTED_TEXT_COLOUR = "#444444"


def worker_colour(slot: int) -> QColor:
    """The colour of the worker in this slot; slots past the palette reuse it in order."""
    return QColor(WORKER_COLOURS[slot % len(WORKER_COLOURS)])


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


def caption_label(title: str, text: str, wrap: bool = True) -> QLabel:
    """The caption above a panel. `wrap=False` for panels in a box layout: a wrapping label
    makes the layout shrink its neighbours below their minimum height (a Qt quirk)."""
    label = QLabel(caption_html(title, text))
    label.setObjectName("caption")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(wrap)
    # Ignored width: a long caption wraps instead of forcing its panel wider.
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
