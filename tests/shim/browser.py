"""A real browser for the page's tests: Debian's Chromium driven by Playwright, and a PNG reader.

Chromium is the system's (``./scripts/test`` installs Debian's ``chromium`` when it
is missing); Playwright only drives it (``executable_path``) and never downloads a
browser. A missing Chromium fails the tests with the install command: they never
skip. Screenshots are kept in ``artifacts/page/`` (ignored by git).
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections import Counter
from pathlib import Path

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "ARTIFACTS", "chromium_path", "read_png", "colours_near"]

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "page"


def chromium_path() -> str:
    """The system Chromium (AssertionError with the install command when it is missing)."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    assert path, (
        "chromium is missing: the browser tests need Debian's chromium package "
        "(./scripts/test installs it as root; otherwise: sudo apt-get install chromium)"
    )
    return path


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """``(width, height, pixels)`` of an 8-bit RGB or RGBA PNG (pixels as RGB, row by row)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, "only 8-bit RGB(A), not interlaced"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((x + u) & 0xFF for x, u in zip(line, prev, strict=True))
        elif kind in (3, 4):
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                c = prev[i - bpp] if i >= bpp else 0
                add = (a + prev[i]) // 2 if kind == 3 else _paeth(a, prev[i], c)
                line[i] = (line[i] + add) & 0xFF
        rows.append(line)
        prev = line
    pixels = [
        (row[x * bpp], row[x * bpp + 1], row[x * bpp + 2]) for row in rows for x in range(width)
    ]
    return width, height, pixels


def colours_near(pixels: list[tuple[int, int, int]], colour: str, tolerance: int = 24) -> int:
    """How many pixels are within ``tolerance`` (per channel) of ``#rrggbb``."""
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    counts = Counter(pixels)
    return sum(
        n
        for rgb, n in counts.items()
        if all(abs(rgb[i] - target[i]) <= tolerance for i in range(3))
    )
