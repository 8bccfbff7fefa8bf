"""The ``bit`` (LuaBitOp 1.0.2) and ``struct`` (Roberto Ierusalimschy's struct.c) libraries
Redis loads into Lua, and its rand48 generator behind ``math.random``.

Library functions return ``(True, value...)`` or ``(False, message)``: the Lua wrappers in the
prelude raise the message as a Lua error at the script's line, as the C libraries do.
"""

from __future__ import annotations

import struct as pystruct
from collections.abc import Callable
from typing import Any

_M32 = 0xFFFFFFFF


def tobit(x: Any) -> int:
    """LuaBitOp's normalisation: round half to even (its "barrel" trick), then wrap to a
    signed 32-bit integer."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            return 0
        x = round(x)
    u = x & _M32
    return u - (1 << 32) if u & 0x80000000 else u


def _args(name: str, args: tuple, n: int | None = None) -> list[int] | str:
    if n is not None and len(args) < n:
        return f"bad argument #{len(args) + 1} to '{name}' (number expected, got no value)"
    out = []
    for i, a in enumerate(args, 1):
        if isinstance(a, bytes):
            try:
                a = float(a) if b"." in a or b"e" in a.lower() else int(a, 0)
            except ValueError:
                return f"bad argument #{i} to '{name}' (number expected, got string)"
        try:
            out.append(tobit(a))
        except TypeError:
            kind = "nil" if a is None else "boolean" if isinstance(a, bool) else "table"
            return f"bad argument #{i} to '{name}' (number expected, got {kind})"
    return out


def _signed(u: int) -> int:
    u &= _M32
    return u - (1 << 32) if u & 0x80000000 else u


def _bit_fn(name: str, n: int, fn: Any) -> Any:
    def call(*args: Any) -> tuple:
        got = _args(name, args, n)
        if isinstance(got, str):
            return (False, got)
        return (True, fn(*got))

    return call


def _variadic(name: str, op: Any) -> Any:
    def call(*args: Any) -> tuple:
        got = _args(name, args, 1)
        if isinstance(got, str):
            return (False, got)
        acc = got[0]
        for v in got[1:]:
            acc = op(acc, v)
        return (True, _signed(acc))

    return call


def _tohex(x: Any, n: Any = None) -> tuple:
    got = _args("tohex", (x,) if n is None else (x, n), 1)
    if isinstance(got, str):
        return (False, got)
    value = got[0] & _M32
    digits = 8 if n is None else got[1]
    upper = digits < 0
    digits = min(abs(digits), 8)
    text = f"{value:08X}" if upper else f"{value:08x}"
    return (True, text[8 - digits :].encode())


BIT = {
    "tobit": _bit_fn("tobit", 1, lambda x: x),
    "bnot": _bit_fn("bnot", 1, lambda x: _signed(~x)),
    "band": _variadic("band", lambda a, b: a & b),
    "bor": _variadic("bor", lambda a, b: a | b),
    "bxor": _variadic("bxor", lambda a, b: a ^ b),
    "lshift": _bit_fn("lshift", 2, lambda x, n: _signed(x << (n & 31))),
    "rshift": _bit_fn("rshift", 2, lambda x, n: _signed((x & _M32) >> (n & 31))),
    "arshift": _bit_fn("arshift", 2, lambda x, n: _signed(x >> (n & 31))),
    "rol": _bit_fn(
        "rol", 2, lambda x, n: _signed(((x & _M32) << (n & 31)) | ((x & _M32) >> (32 - (n & 31))))
    ),
    "ror": _bit_fn(
        "ror", 2, lambda x, n: _signed(((x & _M32) >> (n & 31)) | ((x & _M32) << (32 - (n & 31))))
    ),
    "bswap": _bit_fn(
        "bswap", 1, lambda x: _signed(int.from_bytes((x & _M32).to_bytes(4, "little"), "big"))
    ),
    "tohex": _tohex,
}


# -- struct ---------------------------------------------------------------------------------
_INT_SIZES = {b"b": 1, b"B": 1, b"h": 2, b"H": 2, b"l": 8, b"L": 8, b"T": 8, b"i": 4, b"I": 4}
_MAXINTSIZE = 32


class _Format:
    """struct.c's format walker: endianness, alignment and the next option."""

    def __init__(self, fmt: bytes) -> None:
        self.fmt = fmt
        self.pos = 0
        self.little = True
        self.align = 1

    def options(self):  # yields (option, size)
        fmt = self.fmt
        while self.pos < len(fmt):
            opt = fmt[self.pos : self.pos + 1]
            self.pos += 1
            if opt == b" ":
                continue
            if opt == b">":
                self.little = False
                continue
            if opt in (b"<", b"="):
                self.little = True
                continue
            if opt == b"!":
                n = self._number(8)
                if n & (n - 1):
                    raise ValueError(f"alignment {n} is not a power of 2")
                self.align = n
                continue
            if opt in _INT_SIZES:
                size = _INT_SIZES[opt]
                if opt in (b"i", b"I"):
                    size = self._number(4)
                    if size > _MAXINTSIZE:
                        raise ValueError(
                            f"integral size {size} is larger than limit of {_MAXINTSIZE}"
                        )
                yield opt, size
            elif opt == b"c":
                yield opt, self._number(1)
            elif opt in (b"f",):
                yield opt, 4
            elif opt == b"d":
                yield opt, 8
            elif opt in (b"x", b"s"):
                yield opt, 1 if opt == b"x" else 0
            else:
                raise ValueError("invalid format option '{}'".format(opt.decode("latin-1")))

    def _number(self, default: int) -> int:
        start = self.pos
        while self.pos < len(self.fmt) and self.fmt[self.pos : self.pos + 1].isdigit():
            self.pos += 1
        return int(self.fmt[start : self.pos]) if self.pos > start else default

    def gap(self, offset: int, size: int) -> int:
        """Padding before an item of ``size`` at ``offset`` (struct.c's gettoalign)."""
        align = min(size, self.align)
        if align <= 1:
            return 0
        return (align - (offset & (align - 1))) & (align - 1)


def _num(v: Any) -> float | int:
    if isinstance(v, bytes):
        return float(v)
    if isinstance(v, bool) or v is None or not isinstance(v, (int, float)):
        raise TypeError
    return v


def struct_pack(fmt: Any, *args: Any) -> tuple:
    if not isinstance(fmt, bytes):
        return (False, "bad argument #1 to 'pack' (string expected)")
    out = bytearray()
    f = _Format(fmt)
    argi = 0
    try:
        for opt, size in f.options():
            out += bytes(f.gap(len(out), size if opt not in (b"c", b"s") else 1))
            if opt == b"x":
                out += b"\x00"
                continue
            if argi >= len(args):
                return (
                    False,
                    f"bad argument #{argi + 2} to 'pack' (number expected, got no value)",
                )
            v = args[argi]
            argi += 1
            if opt in _INT_SIZES:
                n = int(_num(v))
                out += (n & ((1 << (8 * size)) - 1)).to_bytes(size, "little" if f.little else "big")
            elif opt in (b"f", b"d"):
                out += pystruct.pack(
                    ("<" if f.little else ">") + ("f" if opt == b"f" else "d"), float(_num(v))
                )
            elif opt == b"c":
                s = v if isinstance(v, bytes) else str(v).encode()
                if size == 0:
                    size = len(s)
                if len(s) < size:
                    return (False, f"bad argument #{argi + 1} to 'pack' (string too short)")
                out += s[:size]
            elif opt == b"s":
                s = v if isinstance(v, bytes) else str(v).encode()
                if b"\x00" in s:
                    return (False, f"bad argument #{argi + 1} to 'pack' (string contains zeros)")
                out += s + b"\x00"
    except (TypeError, ValueError) as e:
        msg = str(e) or f"bad argument #{argi + 1} to 'pack' (number expected)"
        return (False, msg)
    return (True, bytes(out))


def struct_unpack(fmt: Any, data: Any, init: Any = None) -> tuple:
    if not isinstance(fmt, bytes) or not isinstance(data, bytes):
        return (False, "bad argument #2 to 'unpack' (string expected)")
    pos = (int(init) - 1) if init is not None else 0
    if pos < 0 or pos > len(data):
        return (False, "bad argument #3 to 'unpack' (offset must be 1 or greater)")
    f = _Format(fmt)
    values: list[Any] = []
    try:
        for opt, size in f.options():
            pos += f.gap(pos, size if opt not in (b"c", b"s") else 1)
            if opt == b"x":
                pos += 1
                continue
            if opt == b"s":
                end = data.find(b"\x00", pos)
                if end < 0:
                    return (False, "unfinished string in data")
                values.append(data[pos:end])
                pos = end + 1
                continue
            if opt == b"c" and size == 0:
                if not values or not isinstance(values[-1], (int, float)):
                    return (False, "format 'c0' needs a previous size")
                size = int(values.pop())
            if pos + size > len(data):
                return (False, "bad argument #2 to 'unpack' (data string too short)")
            chunk = data[pos : pos + size]
            pos += size
            if opt in _INT_SIZES:
                signed = opt in (b"b", b"h", b"l", b"i")
                values.append(int.from_bytes(chunk, "little" if f.little else "big", signed=signed))
            elif opt in (b"f", b"d"):
                values.append(
                    pystruct.unpack(
                        ("<" if f.little else ">") + ("f" if opt == b"f" else "d"), chunk
                    )[0]
                )
            else:
                values.append(chunk)
    except ValueError as e:
        return (False, str(e))
    return (True, *values, pos + 1)


def struct_size(fmt: Any) -> tuple:
    if not isinstance(fmt, bytes):
        return (False, "bad argument #1 to 'size' (string expected)")
    f = _Format(fmt)
    total = 0
    try:
        for opt, size in f.options():
            if opt == b"s" or (opt == b"c" and size == 0):
                return (False, "options 'c0' - 's' have undefined sizes")
            total += f.gap(total, size if opt != b"c" else 1) + (1 if opt == b"x" else size)
    except ValueError as e:
        return (False, str(e))
    return (True, total)


STRUCT: dict[str, Callable[..., tuple]] = {
    "pack": struct_pack,
    "unpack": struct_unpack,
    "size": struct_size,
}


# -- rand48 (rand.c), behind math.random ----------------------------------------------------
class Rand48:
    """redisLrand48: the 48-bit linear congruential generator drand48 uses.  Redis keeps one
    for the whole process, never reseeded unless a script calls math.randomseed, so the
    sequence goes on from one script to the next."""

    __slots__ = ("x",)
    A = 0x5DEECE66D
    C = 0xB
    MASK = (1 << 48) - 1
    MAX = (1 << 31) - 1  # REDIS_LRAND48_MAX

    def __init__(self) -> None:
        self.x = 0x1234ABCD330E  # rand.c's X2:X1:X0 before any seeding

    def seed(self, seed: int) -> None:
        self.x = (((seed & 0xFFFFFFFF) << 16) | 0x330E) & self.MASK

    def next(self) -> int:
        self.x = (self.A * self.x + self.C) & self.MASK
        return self.x >> 17

    def random(self) -> float:
        return (self.next() % self.MAX) / self.MAX
