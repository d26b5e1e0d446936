"""A label that breaks its text between words onto a fixed number of lines, and never cuts it off
unseen.

Status lines and captions sit in box layouts, where a word-wrapping QLabel gets its height wrong
and a plain one is cut off at the edge of the window ("killed by SIG"). This label reserves the
height of `lines` lines whatever it says, so nothing below it moves when the text changes; it
breaks the text between words to fit its width, and if the text still does not fit, the last
line ends in "…" and the whole text becomes its tooltip.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

_HEIGHTS: dict[tuple[str, int], int] = {}


class FittedLabel(QLabel):
    """Text (after an optional bold `title`) on at most `lines` lines of a reserved height."""

    def __init__(
        self, text: str = "", lines: int = 2, title: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._text = text
        self._title = title
        self._lines = max(1, lines)
        self._shown: list[str] = []
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(False)
        # Ignored width: a long text breaks into lines instead of forcing its panel wider.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._refit()

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name)
        self._text = text
        self._refit()

    def set_lines(self, lines: int) -> None:
        """Reserve the height of this many lines from now on."""
        self._lines = max(1, lines)
        self._refit()

    def full_text(self) -> str:
        """Everything this label says, whether or not it all fits."""
        return f"{self._title}  {self._text}" if self._title else self._text

    def shown_lines(self) -> list[str]:
        """The lines on screen, as plain text (the last may end in an ellipsis)."""
        return list(self._shown)

    def is_elided(self) -> bool:
        return " ".join(" ".join(self._shown).split()) != " ".join(self.full_text().split())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._refit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._refit()

    def _refit(self) -> None:
        bold = QFont(self.font())
        bold.setBold(True)
        # Breaking measures every word in bold: never narrower than it is drawn.
        metrics = QFontMetrics(bold)
        width = self.contentsRect().width() - 2
        self._shown = break_lines(self.full_text(), metrics, width, self._lines)
        rows = [html.escape(line) for line in self._shown]
        if self._title and rows and self._shown[0].startswith(self._title):
            # The spaces after the title as &nbsp;: rich text would fold two spaces into one.
            rest = html.escape(self._shown[0][len(self._title) :]).replace(" ", "&nbsp;", 2)
            rows[0] = f"<b>{html.escape(self._title)}</b>{rest}"
        self.setToolTip(self.full_text() if self.is_elided() else "")
        self.setFixedHeight(self._reserved_height())
        super().setText("<br>".join(rows))

    def _reserved_height(self) -> int:
        """The height of `lines` lines of this font, measured the way QLabel draws them (by a
        stand-in: asking this label itself would polish it before it has its parent, and a
        style sheet then forgets its font when it gets one)."""
        key = (self.font().key(), self._lines)
        if key not in _HEIGHTS:
            probe = QLabel()
            probe.setFont(self.font())
            probe.setTextFormat(Qt.TextFormat.RichText)
            probe.setText("<br>".join(["<b>Xg</b>"] * self._lines))
            _HEIGHTS[key] = probe.sizeHint().height()
        return _HEIGHTS[key]


def break_lines(text: str, metrics: QFontMetrics, width: int, lines: int) -> list[str]:
    """`text` broken between words into at most `lines` lines no wider than `width`; a last
    line that would not fit (or one word wider than a line) ends in an ellipsis."""
    words = text.split(" ")
    result: list[str] = []
    current = ""
    for index, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if not current or metrics.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        if len(result) == lines - 1:
            # The last line: whatever is left, cut short with an ellipsis.
            current = " ".join([current, *words[index:]])
            break
        result.append(current.strip())
        current = word
    result.append(current.strip())
    if width > 0:
        result = [
            metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
            if metrics.horizontalAdvance(line) > width
            else line
            for line in result
        ]
    return result
