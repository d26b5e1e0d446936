"""`selftest --zoom PERCENT --size WxH`: the self-test at presenter mode's zoom, in a window of a
projector's size, so that it can be checked and photographed (`--screenshot`).

The options are checked here, without Qt: a bad value is one line and exit code 2.
"""

from __future__ import annotations

import argparse
import re

# The same range as the View menu's zoom (app.gui.zoom), kept here so the check needs no Qt.
MIN_ZOOM, MAX_ZOOM = 100, 250
MIN_SIZE, MAX_SIZE = (640, 480), (7680, 4320)
_SIZE = re.compile(r"\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*")
_PERCENT = re.compile(r"\s*(\d{1,4})\s*%?\s*")


def add_selftest_options(selftest: argparse.ArgumentParser) -> None:
    selftest.add_argument(
        "--zoom",
        metavar="PERCENT",
        help=f"presenter mode's zoom for every text and chart, {MIN_ZOOM} to {MAX_ZOOM} "
        "(default 100)",
    )
    selftest.add_argument(
        "--size",
        metavar="WxH",
        help="the window's size, with type sized as for a screen that high, e.g. 1280x720 "
        "(default 1280x800)",
    )


def selftest_view(args: argparse.Namespace, usage_error: type[Exception]) -> dict:
    """The keyword arguments for `run_selftest` that `--zoom` and `--size` ask for."""
    view: dict = {}
    if args.zoom is not None:
        match = _PERCENT.fullmatch(args.zoom)
        percent = int(match.group(1)) if match else None
        if percent is None or not MIN_ZOOM <= percent <= MAX_ZOOM:
            raise usage_error(
                f"--zoom must be a percentage from {MIN_ZOOM} to {MAX_ZOOM}, got {args.zoom!r}"
            )
        view["zoom"] = percent
    if args.size is not None:
        match = _SIZE.fullmatch(args.size)
        size = (int(match.group(1)), int(match.group(2))) if match else None
        if size is None or not all(
            low <= value <= high for low, value, high in zip(MIN_SIZE, size, MAX_SIZE, strict=True)
        ):
            raise usage_error(
                f"--size must be WIDTHxHEIGHT from {MIN_SIZE[0]}x{MIN_SIZE[1]} to "
                f"{MAX_SIZE[0]}x{MAX_SIZE[1]}, e.g. 1280x720; got {args.size!r}"
            )
        view["size"] = size
    return view
