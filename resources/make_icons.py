"""Render resources/icon.svg into the icon files each OS's build needs.

Run it after changing icon.svg, then commit what it writes (the builds use the files, not the SVG):
    python resources/make_icons.py
- icon.png (256 px) and icon-512.png: the window icon and the Linux .desktop icon.
- icon.ico: Windows; one PNG entry per size (Windows Vista and later read PNG entries).
- icon.icns: macOS; PNG entries ic07..ic10 (128 to 1024 px).
Qt draws the SVG (QSvgRenderer, offscreen), so no extra tool is needed; the two containers are
simple enough to write here by hand.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
SOURCE = RESOURCES / "icon.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Each ICNS type code stands for one pixel size: these four serve the Dock, Finder and Retina.
ICNS_TYPES = {"ic07": 128, "ic08": 256, "ic09": 512, "ic10": 1024}


def render_png(svg_path: Path, size: int) -> bytes:
    """The SVG drawn on a transparent square of `size` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise ValueError(f"{svg_path} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG entry per size (a width or height of 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))  # reserved, type 1 = icon, image count
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        edge = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", edge, edge, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def icns_bytes(pngs_by_type: dict[str, bytes]) -> bytes:
    """An ICNS file: the magic 'icns' and total length, then (type, length, PNG) per entry."""
    body = b"".join(
        kind.encode("ascii") + struct.pack(">I", 8 + len(png)) + png
        for kind, png in pngs_by_type.items()
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # runs on CI machines with no display
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (Qt needs one)
    sizes = sorted(set(ICO_SIZES) | set(ICNS_TYPES.values()) | {512})
    pngs = {size: render_png(SOURCE, size) for size in sizes}
    outputs = {
        "icon.png": pngs[256],
        "icon-512.png": pngs[512],
        "icon.ico": ico_bytes({size: pngs[size] for size in ICO_SIZES}),
        "icon.icns": icns_bytes({kind: pngs[size] for kind, size in ICNS_TYPES.items()}),
    }
    for name, data in outputs.items():
        (RESOURCES / name).write_bytes(data)
        print(f"wrote resources/{name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
