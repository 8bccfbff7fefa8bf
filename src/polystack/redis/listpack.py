"""Redis's listpack (listpack.c) and, for reading old DUMP payloads, ziplist (ziplist.c)
and zipmap (zipmap.c) byte formats.

A listpack is ``<total bytes u32 LE><element count u16 LE><entry>...<0xFF>``; each entry is
an encoding byte (and length or integer bytes), the data, and a "backlen" (the entry's size
so far, written 7 bits per byte from the end).  An element that reads as a canonical 64-bit
integer is stored as an integer.  The element count saturates at 65535 ("unknown").

The value types keep their elements as Python objects; this module computes the sizes Redis
would use (quicklist and stream nodes are split by listpack size) and builds/parses the
blobs DUMP and RESTORE exchange.
"""

from __future__ import annotations

from collections.abc import Iterable

HDR_SIZE = 6
NUMELE_UNKNOWN = 0xFFFF
EOF = 0xFF
EMPTY_SIZE = HDR_SIZE + 1
MAX_SAFETY_SIZE = 1 << 30
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


class ListpackError(ValueError):
    """A malformed listpack, ziplist or zipmap."""


def string_to_int64(s: bytes) -> int | None:
    """lpStringToInt64 / string2ll: the integer a canonical decimal string spells, else None."""
    n = len(s)
    if n == 0 or n >= 21:
        return None
    c = s[0]
    if c == 0x2D:  # '-'
        if n == 1 or not 0x31 <= s[1] <= 0x39:
            return None
    elif not 0x31 <= c <= 0x39:
        return None if s != b"0" else 0
    if not s[1:].isdigit() and n > 1:
        return None
    v = int(s)
    if _INT64_MIN <= v <= _INT64_MAX:
        return v
    return None


def _int_encoding(v: int) -> bytes:
    """lpEncodeIntegerGetType."""
    if 0 <= v <= 127:
        return bytes((v,))
    if -4096 <= v <= 4095:
        if v < 0:
            v += 1 << 13
        return bytes(((v >> 8) | 0xC0, v & 0xFF))
    if -32768 <= v <= 32767:
        return b"\xf1" + (v & 0xFFFF).to_bytes(2, "little")
    if -8388608 <= v <= 8388607:
        return b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little")
    if -2147483648 <= v <= 2147483647:
        return b"\xf3" + (v & 0xFFFFFFFF).to_bytes(4, "little")
    return b"\xf4" + (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def _int_encoded_len(v: int) -> int:
    if 0 <= v <= 127:
        return 1
    if -4096 <= v <= 4095:
        return 2
    if -32768 <= v <= 32767:
        return 3
    if -8388608 <= v <= 8388607:
        return 4
    if -2147483648 <= v <= 2147483647:
        return 5
    return 9


def backlen_size(n: int) -> int:
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


def _backlen(n: int) -> bytes:
    """lpEncodeBacklen: most significant 7-bit group first; every byte but the first has the
    high bit set (the entry is read backwards from its last byte)."""
    size = backlen_size(n)
    out = bytearray(size)
    for i in range(size - 1, -1, -1):
        out[i] = (n & 127) | (128 if i else 0)
        n >>= 7
    return bytes(out)


def encode_element(ele: bytes | int) -> bytes:
    """One entry: encoding, data and backlen."""
    if type(ele) is int:
        body = _int_encoding(ele)
    else:
        v = string_to_int64(ele)  # type: ignore[arg-type]
        if v is not None:
            body = _int_encoding(v)
        else:
            n = len(ele)  # type: ignore[arg-type]
            if n < 64:
                body = bytes((0x80 | n,)) + ele  # type: ignore[operator]
            elif n < 4096:
                body = bytes((0xE0 | (n >> 8), n & 0xFF)) + ele  # type: ignore[operator]
            else:
                body = b"\xf0" + n.to_bytes(4, "little") + ele  # type: ignore[operator]
    return body + _backlen(len(body))


def element_size(ele: bytes | int) -> int:
    """The bytes ``ele`` takes as a listpack entry (encoding + data + backlen)."""
    if type(ele) is bytes and len(ele) < 63 and (not ele or ele[0] > 0x39):
        return len(ele) + 2  # a short string no integer: 1 byte of encoding, 1 of backlen
    if type(ele) is int:
        n = _int_encoded_len(ele)
    else:
        v = string_to_int64(ele)  # type: ignore[arg-type]
        if v is not None:
            n = _int_encoded_len(v)
        else:
            size = len(ele)  # type: ignore[arg-type]
            n = size + (1 if size < 64 else 2 if size < 4096 else 5)
    return n + backlen_size(n)


def encode(elements: Iterable[bytes | int]) -> bytes:
    """A listpack holding ``elements`` in order (what lpAppend of each produces)."""
    body = b"".join(map(encode_element, elements))
    return header(HDR_SIZE + len(body) + 1, _count(elements, body)) + body + b"\xff"


def _count(elements: Iterable[bytes | int], body: bytes) -> int:
    try:
        n = len(elements)  # type: ignore[arg-type]
    except TypeError:
        n = sum(1 for _ in iter_entries(body, 0, len(body)))
    return n


def header(total: int, count: int) -> bytes:
    return total.to_bytes(4, "little") + min(count, NUMELE_UNKNOWN).to_bytes(2, "little")


def size_of(elements: Iterable[bytes | int]) -> int:
    """lpBytes of the listpack ``encode(elements)`` would build."""
    return EMPTY_SIZE + sum(map(element_size, elements))


# -- reading -------------------------------------------------------------------------------
def _decode_entry(lp: bytes, p: int, end: int) -> tuple[bytes | int, int, int]:
    """(value, position of the data's end, encoded length) of the entry at ``p``."""
    c = lp[p]
    if c < 0x80:
        return c, p + 1, 1
    if c & 0xC0 == 0x80:
        n = c & 0x3F
        return lp[p + 1 : p + 1 + n], p + 1 + n, 1 + n
    if c & 0xE0 == 0xC0:
        if p + 2 > end:
            raise ListpackError("entry out of range")
        v = ((c & 0x1F) << 8) | lp[p + 1]
        return (v - (1 << 13) if v >= 1 << 12 else v), p + 2, 2
    if c & 0xF0 == 0xE0:
        if p + 2 > end:
            raise ListpackError("entry out of range")
        n = ((c & 0x0F) << 8) | lp[p + 1]
        return lp[p + 2 : p + 2 + n], p + 2 + n, 2 + n
    if c == 0xF0:
        if p + 5 > end:
            raise ListpackError("entry out of range")
        n = int.from_bytes(lp[p + 1 : p + 5], "little")
        return lp[p + 5 : p + 5 + n], p + 5 + n, 5 + n
    width = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}.get(c)
    if width is None:
        raise ListpackError("bad entry encoding")
    if p + 1 + width > end:
        raise ListpackError("entry out of range")
    v = int.from_bytes(lp[p + 1 : p + 1 + width], "little", signed=True)
    return v, p + 1 + width, 1 + width


def iter_entries(lp: bytes, start: int, end: int) -> Iterable[bytes | int]:
    """The values of the entries between ``start`` and ``end`` (no header, no EOF); every
    entry's extent and backlen is checked (lpValidateNext)."""
    p = start
    while p < end:
        value, data_end, enc_len = _decode_entry(lp, p, end)
        blen = backlen_size(enc_len)
        nxt = data_end + blen
        if nxt > end:
            raise ListpackError("entry out of range")
        if lp[data_end:nxt] != _backlen(enc_len):
            raise ListpackError("bad backlen")
        yield value
        p = nxt


def decode(lp: bytes, as_bytes: bool = True) -> list:
    """The elements of a listpack (integers as decimal ``bytes`` unless ``as_bytes`` is
    false); :class:`ListpackError` unless it passes lpValidateIntegrity's deep check."""
    size = len(lp)
    if size < EMPTY_SIZE or int.from_bytes(lp[:4], "little") != size or lp[-1] != EOF:
        raise ListpackError("bad listpack header")
    out = list(iter_entries(lp, HDR_SIZE, size - 1))
    numele = int.from_bytes(lp[4:6], "little")
    if numele != NUMELE_UNKNOWN and numele != len(out):
        raise ListpackError("listpack count mismatch")
    if as_bytes:
        out = [b"%d" % v if type(v) is int else v for v in out]
    return out


# -- ziplist (RDB types written by Redis < 7) ------------------------------------------------
def decode_ziplist(zl: bytes) -> list[bytes]:
    """The elements of a ziplist (``<zlbytes><zltail><zllen><entries><0xFF>``)."""
    size = len(zl)
    if size < 11 or int.from_bytes(zl[:4], "little") != size or zl[-1] != 0xFF:
        raise ListpackError("bad ziplist header")
    count = int.from_bytes(zl[8:10], "little")
    out: list[bytes] = []
    p = 10
    end = size - 1
    prev_len = 0
    while p < end:
        start = p
        if zl[p] < 0xFE:
            prev = zl[p]
            p += 1
        else:
            if zl[p] == 0xFF or p + 5 > end:
                raise ListpackError("bad ziplist prevlen")
            prev = int.from_bytes(zl[p + 1 : p + 5], "little")
            p += 5
        if prev != prev_len:
            raise ListpackError("bad ziplist prevlen")
        if p >= end:
            raise ListpackError("entry out of range")
        c = zl[p]
        kind = c >> 6
        if kind == 0:
            n = c & 0x3F
            p += 1
            value = zl[p : p + n]
        elif kind == 1:
            n = ((c & 0x3F) << 8) | zl[p + 1]
            p += 2
            value = zl[p : p + n]
        elif kind == 2:
            n = int.from_bytes(zl[p + 1 : p + 5], "big")
            p += 5
            value = zl[p : p + n]
        else:
            p += 1
            width = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}.get(c)
            if width is not None:
                n = width
                value = b"%d" % int.from_bytes(zl[p : p + width], "little", signed=True)
            elif 0xF1 <= c <= 0xFD:
                n = 0
                value = b"%d" % ((c & 0x0F) - 1)
            else:
                raise ListpackError("bad ziplist encoding")
        p += n
        if p > end:
            raise ListpackError("entry out of range")
        prev_len = p - start
        out.append(value)
    if count != 0xFFFF and count != len(out):
        raise ListpackError("ziplist count mismatch")
    return out


def decode_zipmap(zm: bytes) -> list[bytes]:
    """The field/value pairs of a zipmap (Redis 2.x hashes), flattened."""
    out: list[bytes] = []
    p = 1
    n = len(zm)

    def length() -> int:
        nonlocal p
        if p >= n:
            raise ListpackError("zipmap out of range")
        c = zm[p]
        if c < 254:
            p += 1
            return c
        if c == 254:
            v = int.from_bytes(zm[p + 1 : p + 5], "little")
            p += 5
            return v
        raise ListpackError("bad zipmap length")

    while p < n and zm[p] != 0xFF:
        klen = length()
        key = zm[p : p + klen]
        p += klen
        vlen = length()
        if p >= n:
            raise ListpackError("zipmap out of range")
        free = zm[p]
        p += 1
        value = zm[p : p + vlen]
        p += vlen + free
        if p > n:
            raise ListpackError("zipmap out of range")
        out += [key, value]
    if p >= n:
        raise ListpackError("zipmap without end")
    return out
