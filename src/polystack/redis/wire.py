"""RESP2/RESP3 codec (sans-I/O).

Requests are read by :mod:`polystack.redis.querybuf` (re-exported here).  Replies are Python
values encoded by :func:`encode`:

========================  ==========================  =========================
value                     RESP2                       RESP3
========================  ==========================  =========================
``bytes``                 bulk string ``$``           bulk string ``$``
``Simple`` (OK, PONG)     simple string ``+``         simple string ``+``
``int``                   integer ``:``               integer ``:``
``bool``                  integer ``:`` 1/0           boolean ``#t``/``#f``
``float``                 bulk string (``%.17g``)     double ``,``
``None``                  null bulk ``$-1``           null ``_``
``NULL_ARRAY``            null array ``*-1``          null ``_``
``list``/``tuple``        array ``*``                 array ``*``
``dict``                  flat array ``*``            map ``%``
``set``/``frozenset``     array ``*``                 set ``~``
``Verbatim``              bulk string                 verbatim ``=txt:``
``Push``                  array ``*``                 push ``>``
``RedisError``            error ``-``                 error ``-``
``Raw``                   bytes as they are           bytes as they are
========================  ==========================  =========================
"""

from __future__ import annotations

import math
from typing import Any

from polystack.redis.errors import RedisError
from polystack.redis.querybuf import (  # noqa: F401  (the request side, re-exported)
    PROTO_INLINE_MAX_SIZE,
    PROTO_MBULK_BIG_ARG,
    ProtocolError,
    RequestParser,
    encoded_length,
    non_bulk_error,
    split_inline,
)


class Simple(bytes):
    """A simple string reply (``+OK``)."""


class Verbatim(bytes):
    """A verbatim string (RESP3 ``=``); a bulk string in RESP2."""


class Raw(bytes):
    """Already-encoded RESP, written as it is."""


class Push(list):
    """An out-of-band push (RESP3 ``>``); an array in RESP2."""


class BigNumber(bytes):
    """A big number (RESP3 ``(``); a bulk string in RESP2."""


class _NullArray:
    __slots__ = ()


NULL_ARRAY = _NullArray()
OK = Simple(b"OK")
PONG = Simple(b"PONG")
QUEUED = Simple(b"QUEUED")


def format_double(value: float) -> bytes:
    """addReplyDouble's text: C's %.17g ("-0" for negative zero), "inf"/"-inf"."""
    if value != value:
        return b"nan"
    if value in (_INF, -_INF):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value


_INF = float("inf")


def format_human_double(value: float) -> bytes:
    """Redis's "human friendly" long double format (INCRBYFLOAT, HINCRBYFLOAT): %.17Lf, trailing zeros cut."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    text = b"%.17f" % value
    if b"." in text:
        text = text.rstrip(b"0").rstrip(b".")
    if text == b"-0":
        text = b"0"
    return text


def _resp3_double(value: float) -> bytes:
    if math.isinf(value):
        return b",inf\r\n" if value > 0 else b",-inf\r\n"
    if math.isnan(value):
        return b",nan\r\n"
    return b"," + format_double(value) + b"\r\n"


def encode(value: Any, resp3: bool, out: list[bytes]) -> None:
    """Append the RESP encoding of ``value`` to ``out``."""
    t = type(value)
    if t is bytes:
        out.append(b"$%d\r\n%b\r\n" % (len(value), value))
    elif t is Simple:
        out.append(b"+%b\r\n" % value)
    elif t is int:
        out.append(b":%d\r\n" % value)
    elif value is None:
        out.append(b"_\r\n" if resp3 else b"$-1\r\n")
    elif t is list or t is tuple:
        out.append(b"*%d\r\n" % len(value))
        for item in value:
            encode(item, resp3, out)
    elif t is Raw:
        out.append(value)
    elif isinstance(value, RedisError):
        out.append(value.encode())
    elif t is bool:
        if resp3:
            out.append(b"#t\r\n" if value else b"#f\r\n")
        else:
            out.append(b":1\r\n" if value else b":0\r\n")
    elif t is float:
        if resp3:
            out.append(_resp3_double(value))
        else:
            s = format_double(value)
            out.append(b"$%d\r\n%b\r\n" % (len(s), s))
    elif t is dict:
        if resp3:
            out.append(b"%%%d\r\n" % len(value))
        else:
            out.append(b"*%d\r\n" % (2 * len(value)))
        for k, v in value.items():
            encode(k, resp3, out)
            encode(v, resp3, out)
    elif t is set or t is frozenset:
        out.append((b"~%d\r\n" if resp3 else b"*%d\r\n") % len(value))
        for item in value:
            encode(item, resp3, out)
    elif t is Verbatim:
        if resp3:
            out.append(b"=%d\r\ntxt:%b\r\n" % (len(value) + 4, value))
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(value), value))
    elif t is Push:
        out.append((b">%d\r\n" if resp3 else b"*%d\r\n") % len(value))
        for item in value:
            encode(item, resp3, out)
    elif value is NULL_ARRAY:
        out.append(b"_\r\n" if resp3 else b"*-1\r\n")
    elif t is BigNumber:
        if resp3:
            out.append(b"(%b\r\n" % value)
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(value), value))
    elif t is str:
        b = value.encode()
        out.append(b"$%d\r\n%b\r\n" % (len(b), b))
    elif isinstance(value, bytes):
        out.append(b"$%d\r\n%b\r\n" % (len(value), bytes(value)))
    elif isinstance(value, int):
        out.append(b":%d\r\n" % value)
    else:
        raise TypeError(f"cannot encode {t.__name__} as RESP")


_LENGTH = [b"$%d" % n for n in range(4096)]
_length = _LENGTH.__getitem__


def _bulks(items: list[bytes]) -> bytes:
    """Bulk strings back to back: ``$<len>``, item, ``$<len>``, item ... joined by CRLF, the
    lengths from a table for the usual short ones (no Python-level loop per item)."""
    if not items:
        return b""
    parts: list[bytes] = [b""] * (2 * len(items) + 1)
    try:
        parts[:-1:2] = map(_length, map(len, items))
    except IndexError:  # a long one
        return b"".join([b"$%d\r\n%b\r\n" % (len(x), x) for x in items])
    parts[1::2] = items
    return b"\r\n".join(parts)


def bulk_array(items: list[bytes]) -> Raw:
    """An array of bulk strings, encoded at once (the same in RESP2 and RESP3)."""
    return Raw(b"*%d\r\n" % len(items) + _bulks(items))


def bulk_map(items: list[bytes], resp3: bool) -> Raw:
    """Field/value pairs (flattened) as a RESP3 map, or a flat array in RESP2."""
    head = b"%%%d\r\n" % (len(items) // 2) if resp3 else b"*%d\r\n" % len(items)
    return Raw(head + _bulks(items))


def bulk_set(items: list[bytes], resp3: bool) -> Raw:
    """Bulk strings as a RESP3 set (in this order), or an array in RESP2."""
    head = b"~%d\r\n" % len(items) if resp3 else b"*%d\r\n" % len(items)
    return Raw(head + _bulks(items))


def encode_one(value: Any, resp3: bool = False) -> bytes:
    out: list[bytes] = []
    encode(value, resp3, out)
    return b"".join(out)


def decode_reply(data: bytes) -> Any:
    """The typed value of one RESP2/RESP3 reply (the inverse of :func:`encode`): Simple,
    bytes, int, None, NULL_ARRAY, list, dict, set, bool, float, BigNumber, Verbatim, Push,
    RedisError.  Attributes are skipped."""
    value, _ = _decode_at(data, 0)
    return value


def _decode_at(data: bytes, pos: int) -> tuple[Any, int]:
    kind = data[pos : pos + 1]
    nl = data.index(b"\r\n", pos)
    line = data[pos + 1 : nl]
    pos = nl + 2
    if kind == b"+":
        return Simple(line), pos
    if kind == b"-":
        code, _, message = line.decode("utf-8", "surrogateescape").partition(" ")
        return RedisError(code, message), pos
    if kind == b":":
        return int(line), pos
    if kind in (b"$", b"="):
        n = int(line)
        if n < 0:
            return None, pos
        body = data[pos : pos + n]
        return (Verbatim(body[4:]) if kind == b"=" else body), pos + n + 2
    if kind in (b"*", b">", b"~"):
        n = int(line)
        if n < 0:
            return NULL_ARRAY, pos
        items = []
        for _ in range(n):
            item, pos = _decode_at(data, pos)
            items.append(item)
        if kind == b">":
            return Push(items), pos
        if kind == b"~":
            try:
                return set(items), pos
            except TypeError:
                return items, pos
        return items, pos
    if kind in (b"%", b"|"):
        out: dict = {}
        for _ in range(int(line)):
            k, pos = _decode_at(data, pos)
            v, pos = _decode_at(data, pos)
            try:
                out[k] = v
            except TypeError:
                out[repr(k)] = v
        if kind == b"|":
            return _decode_at(data, pos)
        return out, pos
    if kind == b"_":
        return None, pos
    if kind == b"#":
        return line == b"t", pos
    if kind == b",":
        return float(line), pos
    if kind == b"(":
        return BigNumber(line), pos
    raise ValueError(f"not a RESP reply type: {kind!r}")


def encode_command(*args: bytes | str | int) -> bytes:
    """A request as clients send it (used by the log, benchmarks and tests)."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        parts.append(b"$%d\r\n%b\r\n" % (len(a), a))
    return b"".join(parts)
