"""Redis's intset blob (intset.c): ``<encoding u32 LE><length u32 LE><sorted integers>``,
each integer 2, 4 or 8 bytes little endian.  The width only ever grows (an intset is
upgraded when a value needs more bytes and never downgraded)."""

from __future__ import annotations

import struct

INT16, INT32, INT64 = 2, 4, 8
_FORMATS = {INT16: "h", INT32: "i", INT64: "q"}


class IntsetError(ValueError):
    pass


def width_for(v: int) -> int:
    """_intsetValueEncoding."""
    if v < -(1 << 31) or v > (1 << 31) - 1:
        return INT64
    if v < -(1 << 15) or v > (1 << 15) - 1:
        return INT32
    return INT16


def encode(ints: list[int], width: int) -> bytes:
    return (
        width.to_bytes(4, "little")
        + len(ints).to_bytes(4, "little")
        + struct.pack(f"<{len(ints)}{_FORMATS[width]}", *ints)
    )


def decode(blob: bytes) -> tuple[list[int], int]:
    """(sorted integers, width); :class:`IntsetError` unless it passes
    intsetValidateIntegrity's deep check (known width, exact size, not empty, strictly
    ascending)."""
    if len(blob) < 8:
        raise IntsetError("short intset")
    width = int.from_bytes(blob[:4], "little")
    if width not in _FORMATS:
        raise IntsetError("bad intset encoding")
    count = int.from_bytes(blob[4:8], "little")
    if 8 + count * width != len(blob) or count == 0:
        raise IntsetError("bad intset length")
    ints = list(struct.unpack(f"<{count}{_FORMATS[width]}", blob[8:]))
    for i in range(1, count):
        if ints[i] <= ints[i - 1]:
            raise IntsetError("intset out of order")
    return ints, width
