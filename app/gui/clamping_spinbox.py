"""A spinbox that turns a typed number above its maximum into the maximum, and says so.

A plain QSpinBox refuses the keystroke that makes a number too big: typing 16 into a box that
stops at 8 leaves 1, and nobody is told why. Here the number may be typed, and when editing
ends it becomes the maximum, the box shows that, and `clamped` says what happened.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QSpinBox, QWidget


class ClampingSpinBox(QSpinBox):
    """A QSpinBox whose too-big typed numbers become its maximum, visibly."""

    clamped = Signal(int, int)  # (what was typed, what the box now shows)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)

    def validate(self, text: str, pos: int) -> object:
        # "Intermediate", not "Invalid": the digits stay in the box until editing ends.
        if self._too_big(text) is not None:
            return QValidator.State.Intermediate, text, pos
        return super().validate(text, pos)

    def fixup(self, text: str) -> str:
        typed = self._too_big(text)
        if typed is None:
            return super().fixup(text)
        shown = self.maximum()
        self.setToolTip(f"You typed {typed:,}; {shown:,} is the most this box allows.")
        self.clamped.emit(typed, shown)
        return self.textFromValue(shown)

    def _too_big(self, text: str) -> int | None:
        """The typed number if it is plain digits above the maximum, else None."""
        digits = text.removeprefix(self.prefix()).removesuffix(self.suffix())
        digits = digits.replace(self.locale().groupSeparator(), "").strip()
        # Few digits only: a pasted 10,000-digit number is not worth converting.
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
            return None
        number = int(digits)
        return number if number > self.maximum() else None
