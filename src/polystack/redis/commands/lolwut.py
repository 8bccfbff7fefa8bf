"""LOLWUT (lolwut.c, lolwut5.c, lolwut6.c): computer art and the Redis version.

Redis 7.0 answers a plain LOLWUT with just its version; ``LOLWUT VERSION 5`` draws Georg
Nees's "Schotter" in Braille characters and ``VERSION 6`` an 8-bit skyline in terminal
colours.  The random displacements come from Python's generator, not glibc's ``rand()``,
so the drawings differ from Redis's as two Redis runs differ; the geometry (C's float
arithmetic included) is Redis's, and the first two rows of Schotter, which are not
randomised, are the same to the dot.  A Schotter canvas is limited to
:data:`MAX_BRAILLE_CELLS` characters (Redis allows 1000 columns by up to ~100,000 lines)."""

from __future__ import annotations

import math
import random
import struct
from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.commands import command
from polystack.redis.version import REDIS_VERSION
from polystack.redis.wire import Verbatim

RAND_MAX = (1 << 31) - 1
MAX_BRAILLE_CELLS = 1 << 21
_F32 = struct.Struct("f")


def _f(x: float) -> float:
    """The value as a C float holds it."""
    return _F32.unpack(_F32.pack(x))[0]


def _rand() -> int:
    return random.getrandbits(31)


def _c_round(x: float) -> int:
    """C's round(): halves away from zero."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


class Canvas:
    """lwCanvas: pixels with a colour each (a dict: drawings are mostly empty)."""

    def __init__(self, width: int, height: int, bgcolor: int = 0) -> None:
        self.width = width
        self.height = height
        self.bg = bgcolor
        self.pixels: dict[tuple[int, int], int] = {}

    def draw(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[(x, y)] = color

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels.get((x, y), self.bg)
        return 0

    def line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        """lwDrawLine: Bresenham (pixels outside the canvas are skipped)."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        error = dx - dy
        pixels, width, height = self.pixels, self.width, self.height
        while True:
            if 0 <= x1 < width and 0 <= y1 < height:
                pixels[(x1, y1)] = color
            if x1 == x2 and y1 == y2:
                break
            e2 = error * 2
            if e2 > -dy:
                error -= dy
                x1 += sx
            if e2 < dx:
                error += dx
                y1 += sy

    def square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        """lwDrawSquare: a square centred on x,y, rotated by ``angle``."""
        size = _f(_c_round(_f(size / 1.4142135623)))
        k = _f(math.pi / 4 + angle)
        px, py = [], []
        for _ in range(4):
            px.append(_c_round(math.sin(k) * size + x))
            py.append(_c_round(math.cos(k) * size + y))
            k = _f(k + math.pi / 2)
        for j in range(4):
            self.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color)


# -- LOLWUT VERSION 5: Schotter ------------------------------------------------------------------
def schotter(cols: int, per_row: int, per_col: int) -> Canvas:
    """lwDrawSchotter."""
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f((width - padding * 2) / per_row)
    height = int(_f(_f(side * per_col) + padding * 2))
    canvas = Canvas(width, height)
    half = _f(side / 2)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(_f(_f(_f(x * side) + half) + padding))
            sy = int(_f(_f(_f(y * side) + half) + padding))
            angle = 0.0
            if y > 1:
                r1 = _f(_f(_f(_rand() / RAND_MAX) / per_col) * y)
                r2 = _f(_f(_f(_rand() / RAND_MAX) / per_col) * y)
                r3 = _f(_f(_f(_rand() / RAND_MAX) / per_col) * y)
                if _rand() % 2:
                    r1 = -r1
                if _rand() % 2:
                    r2 = -r2
                if _rand() % 2:
                    r3 = -r3
                angle = r1
                sx = int(_f(sx + _f(_f(r2 * side) / 3)))
                sy = int(_f(sy + _f(_f(r3 * side) / 3)))
            canvas.square(sx, sy, side, angle, 1)
    return canvas


# the Braille dot of pixel (x % 2, y % 4) in its 2x4 cell
_BRAILLE_BIT = {(0, 0): 1, (0, 1): 2, (0, 2): 4, (1, 0): 8, (1, 1): 16, (1, 2): 32, (0, 3): 64,
                (1, 3): 128}  # fmt: skip


def render_braille(canvas: Canvas) -> bytes:
    """Each 2x4 block of pixels as one Braille character (U+2800 + the dots' bits)."""
    rows: dict[int, dict[int, int]] = {}
    bit_of = _BRAILLE_BIT
    for (x, y), color in canvas.pixels.items():
        if color:
            cells = rows.get(y >> 2)
            if cells is None:
                cells = rows[y >> 2] = {}
            cx = x >> 1
            cells[cx] = cells.get(cx, 0) | bit_of[(x & 1, y & 3)]
    ncols = (canvas.width + 1) // 2
    blank = "\u2800" * ncols
    lines = []
    for row in range((canvas.height + 3) // 4):
        cells = rows.get(row)
        if not cells:
            lines.append(blank)
            continue
        chars = ["\u2800"] * ncols
        for cx, bits in cells.items():
            chars[cx] = chr(0x2800 + bits)
        lines.append("".join(chars))
    text = "\n".join(lines)
    if canvas.height % 4 != 1:
        text += "\n"  # Redis ends every line but one starting at y == height-1
    return text.encode()


def lolwut5(argv: list[bytes]) -> Verbatim:
    cols, per_row, per_col = 66, 8, 12
    if len(argv) > 1:
        cols = parse_int(argv[1])
    if len(argv) > 2:
        per_row = parse_int(argv[2])
    if len(argv) > 3:
        per_col = parse_int(argv[3])
    cols = min(max(cols, 1), 1000)
    per_row = min(max(per_row, 1), 200)
    per_col = min(max(per_col, 1), 200)
    side = (cols * 2 - (4 if cols * 2 > 4 else 0)) / per_row
    while per_col > 1 and cols * (side * per_col + 4) / 4 > MAX_BRAILLE_CELLS:
        per_col -= 1
    rendered = render_braille(schotter(cols, per_row, per_col))
    rendered += b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. "
    return Verbatim(rendered + REDIS_VERSION.encode() + b"\n")


# -- LOLWUT VERSION 6: a skyline -----------------------------------------------------------------
_COLOURS = {0: b"0;30;40m", 1: b"0;90;100m", 2: b"0;37;47m", 3: b"0;97;107m"}


def _skyscraper(
    canvas: Canvas, xoff: int, width: int, height: int, windows: bool, color: int
) -> None:
    starty = canvas.height - 1
    endy = starty - height + 1
    for y in range(starty, endy - 1, -1):
        for x in range(xoff, xoff + width):
            if y == endy and (x <= xoff + 1 or x >= xoff + width - 2):
                continue  # the roof is four pixels narrower
            c = color
            if windows and xoff + 1 < x < xoff + width - 2 and endy + 1 < y < starty - 1:
                relx = x - (xoff + 1)
                rely = y - (endy + 1)
                if _c_div(relx, 2) % 2 and rely % 2:
                    while True:
                        c = 1 + _rand() % 2
                        if c != color:
                            break
                    if relx % 2:
                        c = canvas.get(x - 1, y)
            canvas.draw(x, y, c)


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def skyline(canvas: Canvas) -> None:
    """generateSkyline: two rows of grey buildings, then black ones with windows."""
    h = canvas.height
    for color in (2, 1):
        offset = -10
        while offset < canvas.width:
            offset += _rand() % 8
            width = 10 + _rand() % 9
            if color == 2:
                height = h // 2 + _rand() % h // 2
            else:
                height = h // 2 + _rand() % h // 3
            _skyscraper(canvas, offset, width, height, False, color)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < canvas.width:
        offset += _rand() % 8
        width = 5 + _rand() % 14
        if width % 4:
            width += width % 3
        height = h // 3 + _rand() % h // 2
        _skyscraper(canvas, offset, width, height, True, 0)
        offset += width + 5


def lolwut6(argv: list[bytes]) -> Verbatim:
    cols, rows = 80, 20
    if len(argv) > 1:
        cols = parse_int(argv[1])
    if len(argv) > 2:
        rows = parse_int(argv[2])
    cols = min(max(cols, 1), 1000)
    rows = min(max(rows, 1), 1000)
    canvas = Canvas(cols, rows, 3)
    skyline(canvas)
    cells = {c: b"\x1b[" + esc + b" \x1b[0m" for c, esc in _COLOURS.items()}
    lines = [
        b"".join(cells.get(canvas.get(x, y), cells[0]) for x in range(cols)) for y in range(rows)
    ]
    rendered = b"\n".join(lines)
    rendered += (
        b"\nDedicated to the 8 bit game developers of past and present.\n"
        b"Original 8 bit image from Plaguemon by hikikomori. Redis ver. "
    )
    return Verbatim(rendered + REDIS_VERSION.encode() + b"\n")


@command(
    "lolwut",
    -1,
    "readonly fast",
    group="server",
    since="5.0.0",
    summary="Display some computer art and the Redis version",
    arguments="version:integer'VERSION'?",
    categories=("@read", "@fast"),
)
def lolwut(client: Any, argv: list[bytes]) -> Any:
    version = REDIS_VERSION
    if len(argv) >= 3 and argv[1].lower() == b"version":
        version = f"{parse_int(argv[2]) & 0xFFFFFFFF}.0.0"  # (unsigned int) as Redis casts
        argv = argv[2:]
    if (version[:2] == "5." and version[2] != "9") or version[:3] == "4.9":
        return lolwut5(argv)
    if (version[:2] == "6." and version[2] != "9") or version[:3] == "5.9":
        return lolwut6(argv)
    return Verbatim(b"Redis ver. " + REDIS_VERSION.encode() + b"\n")
