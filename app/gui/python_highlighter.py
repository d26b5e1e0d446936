"""Simple Python colours for a read-only editor: keywords, built-ins, strings, comments, numbers.

A few regular expressions per line and one block state for triple-quoted strings: enough for
the short scripts of the Code tab, and cheap. The colours keep a projector's contrast.
"""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

IN_DOCSTRING = 1  # block state: the line ends inside a triple-quoted string
TRIPLE_QUOTE = re.compile(r'"""|' + r"'''")


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    text_format = QTextCharFormat()
    text_format.setForeground(QColor(colour))
    if bold:
        text_format.setFontWeight(QFont.Weight.Bold)
    text_format.setFontItalic(italic)
    return text_format


KEYWORD = _format("#0050A0", bold=True)
BUILTIN = _format("#7A3E9D")
NUMBER = _format("#A84A00")
STRING = _format("#00704A")
COMMENT = _format("#5E5E5E", italic=True)
DEFINED = _format("#111111", bold=True)

_BUILTIN_NAMES = sorted(name for name in dir(builtins) if not name.startswith("_"))
RULES: tuple[tuple[re.Pattern, QTextCharFormat], ...] = (
    (re.compile(r"\b(?:" + "|".join(keyword.kwlist) + r")\b"), KEYWORD),
    (re.compile(r"\b(?:" + "|".join(_BUILTIN_NAMES) + r")\b(?=\()"), BUILTIN),
    (re.compile(r"\b(?:def|class)\s+(\w+)"), DEFINED),
    (re.compile(r"\b\d[\d_]*(?:\.\d+)?\b"), NUMBER),
)
# Strings and comments last, and left to right, so "#" in a string is no comment.
STRING_OR_COMMENT = re.compile(
    r"""[rbfRBF]?("[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')|#.*"""
)


class PythonHighlighter(QSyntaxHighlighter):
    """Colours Python source in a QTextDocument."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        start = 0
        if self.previousBlockState() == IN_DOCSTRING:
            end = TRIPLE_QUOTE.search(text)
            if end is None:
                self.setFormat(0, len(text), STRING)
                self.setCurrentBlockState(IN_DOCSTRING)
                return
            start = end.end()
            self.setFormat(0, start, STRING)
        self.setCurrentBlockState(0)
        for pattern, text_format in RULES:
            for match in pattern.finditer(text, start):
                group = 1 if pattern.groups else 0
                self.setFormat(match.start(group), len(match.group(group)), text_format)
        position = start
        while position < len(text):
            triple = TRIPLE_QUOTE.search(text, position)
            other = STRING_OR_COMMENT.search(text, position)
            if triple is not None and (other is None or triple.start() <= other.start()):
                end = TRIPLE_QUOTE.search(text, triple.end())
                if end is None:  # a docstring that goes on below
                    self.setFormat(triple.start(), len(text) - triple.start(), STRING)
                    self.setCurrentBlockState(IN_DOCSTRING)
                    return
                self.setFormat(triple.start(), end.end() - triple.start(), STRING)
                position = end.end()
            elif other is not None:
                is_comment = other.group(0).startswith("#")
                self.setFormat(
                    other.start(), len(other.group(0)), COMMENT if is_comment else STRING
                )
                position = other.end()
            else:
                break
