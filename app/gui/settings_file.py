"""Read and write the settings file as plain INI text, without Qt.

QSettings decodes `@Variant(...)` values into Qt objects while it loads a file, before any
value can be checked: one hand-edited line claiming a 2 GiB object aborted the app at every
launch. Here every value stays a string until `settings.py` checks it. Files written by the
older QSettings code read the same (`[run]` / `[window]` sections, `key=value` lines).
"""

from __future__ import annotations

import configparser
import os
import stat
import tempfile
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024  # ours is under 2 kB; anything far bigger is not a settings file
WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


class SettingsFileError(Exception):
    """The file exists but is not a settings file this app can read; says why in words."""


def read_values(path: Path) -> dict[str, str]:
    """Every `section/key` in the file with its text; empty if there is no file."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return {}  # nothing saved yet (and maybe nothing can be: `why_not_writable` says)
    except OSError as error:
        raise SettingsFileError(error.strerror or str(error)) from None
    if len(data) > MAX_FILE_BYTES:
        raise SettingsFileError(f"larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsFileError("not UTF-8 text") from None
    parser = _parser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError:
        # QSettings writes keys outside any section under [General]; accept that form too.
        parser = _parser()
        try:
            parser.read_string("[General]\n" + text, source=str(path))
        except configparser.Error as error:
            raise SettingsFileError(_first_line(error)) from None
    except configparser.Error as error:
        raise SettingsFileError(_first_line(error)) from None
    return {
        f"{section}/{key}": value
        for section in parser.sections()
        for key, value in parser.items(section)
    }


def write_values(path: Path, values: dict[str, str]) -> None:
    """Replace the file with `values` (`section/key` → text) in one step; raises OSError."""
    parser = _parser()
    for name, value in values.items():
        section, key = name.split("/", 1)
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, key, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside it, then rename: a crash mid-write cannot leave half a file behind.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            parser.write(file, space_around_delimiters=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def why_not_writable(path: Path) -> str | None:
    """Why saving to `path` would fail, or None if it should work.

    A file or folder without write permission counts as read-only even for root (who could
    write it anyway): a teacher who locks the settings file means it.
    """
    if path.exists():
        if path.is_dir():
            return "it is a folder"
        if not path.stat().st_mode & WRITE_BITS or not os.access(path, os.W_OK):
            return "it is read-only"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the nearest folder that exists is where one would be made
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not folder.stat().st_mode & WRITE_BITS or not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is read-only"
    return None


def _parser() -> configparser.RawConfigParser:
    # Raw: a "%" in a value is text, not interpolation. Not strict: a repeated key or section
    # is not an error (the last one wins, as in QSettings). Keys keep their case.
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    return parser


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200]
