"""Draws the app icons Teams needs, with the standard library only (a tiny PNG writer):
`color.png` (192×192, full colour) and `outline.png` (32×32, white on transparent, real alpha channel).

The mark: an open ring above a flat bar — "open & flat". Run `python manifest/make_icons.py` after changing it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLUE = (0x1F, 0x6F, 0xB2)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # supersampling per axis, for smooth edges

Shape = Callable[[float, float], bool]


def mark(x: float, y: float) -> bool:
    """The mark on a unit square (0..1 both ways): a ring in the upper part, a bar below it."""
    dx, dy = x - 0.5, y - 0.4
    ring = 0.17**2 <= dx * dx + dy * dy <= 0.27**2
    bar = 0.22 <= x <= 0.78 and 0.76 <= y <= 0.84
    return ring or bar


def coverage(shape: Shape, size: int, px: int, py: int) -> float:
    """How much of pixel (px, py) the shape covers, 0..1."""
    step = 1 / (size * SAMPLES)
    hits = sum(
        shape((px * SAMPLES + i + 0.5) * step, (py * SAMPLES + j + 0.5) * step)
        for i in range(SAMPLES)
        for j in range(SAMPLES)
    )
    return hits / SAMPLES**2


def png(width: int, height: int, rows: list[bytes], color_type: int) -> bytes:
    """A PNG file: 8 bits per channel, RGB (color_type 2) or RGBA (6), no filtering."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def color_icon(size: int = 192) -> bytes:
    """White mark on a solid blue square (Teams adds its own rounding)."""
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            a = coverage(mark, size, px, py)
            row += bytes(round(b * (1 - a) + w * a) for b, w in zip(BLUE, WHITE, strict=True))
        rows.append(bytes(row))
    return png(size, size, rows, color_type=2)


def outline_icon(size: int = 32) -> bytes:
    """The mark in white on a transparent background: only the alpha channel varies."""
    rows = [
        b"".join(bytes((*WHITE, round(255 * coverage(mark, size, px, py)))) for px in range(size)) for py in range(size)
    ]
    return png(size, size, rows, color_type=6)


if __name__ == "__main__":
    (HERE / "color.png").write_bytes(color_icon())
    (HERE / "outline.png").write_bytes(outline_icon())
