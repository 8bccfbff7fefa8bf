"""RESP2/RESP3 codec (sans-I/O).

Requests are parsed with hiredis's C ``Reader`` (multibulk) or as inline commands
(a line of space-separated words, as typed into telnet or old redis-cli).  Replies
are Python values encoded by :func:`encode`:

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

import hiredis

from polystack.redis.errors import RedisError

PROTO_INLINE_MAX_SIZE = 64 * 1024
PROTO_MBULK_BIG_ARG = 32 * 1024


class Simple(bytes):
    """A simple string reply (``+OK``)."""


class Verbatim(bytes):
    """A verbatim string (RESP3 ``=``); a bulk string in RESP2."""


class Raw(bytes):
    """Already-encoded RESP, written as it is."""


class Push(list):
    """An out-of-band push (RESP3 ``>``); an array in RESP2."""


class _NullArray:
    __slots__ = ()


NULL_ARRAY = _NullArray()
OK = Simple(b"OK")
PONG = Simple(b"PONG")
QUEUED = Simple(b"QUEUED")


class ProtocolError(Exception):
    """The client sent bytes that are not RESP; Redis replies with the error and closes."""

    requests: list[list[bytes]] = []

    def reply(self) -> bytes:
        return f"-ERR Protocol error: {self.args[0]}\r\n".encode()


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
    elif t is str:
        b = value.encode()
        out.append(b"$%d\r\n%b\r\n" % (len(b), b))
    elif isinstance(value, bytes):
        out.append(b"$%d\r\n%b\r\n" % (len(value), bytes(value)))
    elif isinstance(value, int):
        out.append(b":%d\r\n" % value)
    else:
        raise TypeError(f"cannot encode {t.__name__} as RESP")


_PREFIX = [b"$%d\r\n" % n for n in range(4096)]


def _bulks(items: list[bytes]) -> bytes:
    """Bulk strings back to back (a prefix table for the usual short lengths)."""
    if not items:
        return b""
    p = _PREFIX
    try:
        return b"\r\n".join([p[len(x)] + x for x in items]) + b"\r\n"
    except IndexError:  # a long one
        return b"".join([b"$%d\r\n%b\r\n" % (len(x), x) for x in items])


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


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline command as Redis's sdssplitargs does (quotes, escapes)."""
    args: list[bytes] = []
    line = line.split(b"\x00", 1)[0]  # Redis splits a C string: a NUL ends the line
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\x0b\x0c":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if (
                    c == 0x5C
                    and i + 3 < n
                    and line[i + 1] == 0x78
                    and _ishex(line[i + 2])
                    and _ishex(line[i + 3])
                ):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    cur.append(
                        {0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(line[i], line[i])
                    )
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\x0b\x0c":
                        raise ProtocolError("unbalanced quotes in request")
                    inq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\x0b\x0c":
                        raise ProtocolError("unbalanced quotes in request")
                    insq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \n\r\t\x00":
                    break
                if c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


def _ishex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


class RequestParser:
    """Bytes in, argument vectors out: :meth:`feed` returns the complete requests so far."""

    __slots__ = ("_reader", "_inline_buf", "max_query", "_mid_request", "_seg", "_seg_reqs")

    def __init__(self, max_query: int = 1 << 30) -> None:
        self._reader = hiredis.Reader()
        self._inline_buf = b""
        self.max_query = max_query
        self._mid_request = False  # hiredis holds part of a request (has_data() can't tell)
        # The bytes fed to hiredis since it last ended at a request boundary, and how many
        # requests it completed in them: enough to find where an inline command starts when
        # one follows multibulk requests in the same read (redis-cli --pipe ends with "\r\n").
        self._seg: list[bytes] = []
        self._seg_reqs = 0

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Parse ``data``.  On bytes Redis would refuse, raises :class:`ProtocolError` whose
        ``requests`` holds the complete requests that came before them."""
        reader = self._reader
        requests: list[list[bytes]] = []
        while data:
            if not self._mid_request and data[0] != 0x2A:  # not '*': inline command
                try:
                    data = self._feed_inline(data, requests)
                except ProtocolError as e:
                    e.requests = requests
                    raise
                continue
            reader.feed(data)
            if self._mid_request:
                self._seg.append(data)
            else:
                self._seg = [data]
                self._seg_reqs = 0
            data = b""
            self._mid_request = True
            try:
                while True:
                    req = reader.gets()
                    if req is False:
                        break
                    if type(req) is not list:  # "+x", ":1" ... where a request starts
                        raise hiredis.ProtocolError(f"expected '*', got '{_first_char(req)}'")
                    self._seg_reqs += 1
                    # Items that are not bulk strings (":5", "*1" ...) are left for the session
                    # to refuse (see non_bulk_error): checking every item here would cost each
                    # request, and only commands that store their arguments need the check.
                    if req:
                        requests.append(req)
                    if not reader.has_data():
                        # Ended exactly at a request boundary: the next chunk starts afresh
                        # (an inline command is possible).  Otherwise the remaining bytes are
                        # part of a request even once hiredis has consumed them.
                        self._mid_request = False
                        break
            except hiredis.ProtocolError as e:
                rest = self._inline_after_requests()
                if rest is not None:  # not an error: an inline command follows
                    self._reader = reader = hiredis.Reader()
                    self._mid_request = False
                    data = rest
                    continue
                err = ProtocolError(_hiredis_message(str(e)))
                err.requests = requests
                raise err from None
            except ProtocolError as e:
                e.requests = requests
                raise
            if reader.has_data() and reader.len() > self.max_query:
                err = ProtocolError("too big query buffer")
                err.requests = requests
                raise err
        return requests

    def _inline_after_requests(self) -> bytes | None:
        """hiredis refused bytes: if they start right after a complete request with something
        other than '*', they are an inline command (Redis decides request by request); return
        them from there.  Else None: a real protocol error."""
        n = self._seg_reqs
        if n == 0:  # the segment's first request is the bad one: it started with '*'
            return None
        seg = b"".join(self._seg)
        end = _end_of_requests(seg, n)
        rest = seg[end:]
        return rest if rest and rest[0] != 0x2A else None

    def _feed_inline(self, data: bytes, requests: list[list[bytes]]) -> bytes:
        buf = self._inline_buf + data
        nl = buf.find(b"\n")
        if nl < 0:
            if len(buf) > PROTO_INLINE_MAX_SIZE:
                self._inline_buf = b""
                raise ProtocolError("too big inline request")
            self._inline_buf = buf
            return b""
        line = buf[:nl]
        rest = buf[nl + 1 :]
        self._inline_buf = b""
        if line.endswith(b"\r"):
            line = line[:-1]
        argv = split_inline(line)
        if argv:
            requests.append(argv)
        return rest


def _count_requests(reader: hiredis.Reader, limit: int) -> tuple[int, bool]:
    """Complete requests the reader gives (up to ``limit``), and whether it consumed all it
    was fed right after the last of them (so the bytes fed end at a request boundary)."""
    done = 0
    clean = False
    try:
        while done < limit and reader.gets() is not False:
            done += 1
            clean = not reader.has_data()
    except hiredis.ProtocolError:
        clean = False
    return done, clean


def _end_of_requests(data: bytes, n: int) -> int:
    """The offset just past the ``n``-th request in ``data`` (which holds at least n).

    One pass in 256-byte steps finds the step where the n-th request completes and the last
    step before it that ended exactly at a request boundary; from that boundary the step is
    parsed again in 64-byte and then 1-byte steps."""
    reader = hiredis.Reader()
    done = base = base_done = pos = 0
    while pos < len(data):
        nxt = min(len(data), pos + 256)
        reader.feed(data[pos:nxt])
        got, clean = _count_requests(reader, n - done)
        done += got
        if done >= n:
            break
        pos = nxt
        if got and clean:
            base, base_done = pos, done
    lo, hi = pos, min(len(data), pos + 256)  # the n-th request ends in (lo, hi]
    for step in (64, 1):
        reader = hiredis.Reader()
        reader.feed(data[base:lo])
        done = base_done + _count_requests(reader, n - base_done)[0]
        p = lo
        while p < hi:
            q = min(hi, p + step)
            reader.feed(data[p:q])
            done += _count_requests(reader, n - done)[0]
            if done >= n:
                break
            p = q
        lo, hi = p, min(hi, p + step)
    return hi


def non_bulk_error(argv: list) -> ProtocolError | None:
    """The protocol error for a request holding an item that is not a bulk string, or None."""
    for a in argv:
        if type(a) is not bytes:
            return ProtocolError(f"expected '$', got '{_first_char(a)}'")
    return None


def _first_char(v: object) -> str:
    if isinstance(v, int):
        return ":"
    if isinstance(v, list):
        return "*"
    return "+"


def _hiredis_message(msg: str) -> str:
    low = msg.lower()
    if "multi-bulk length" in low or "multibulk" in low:
        return "invalid multibulk length"
    if "bulk" in low and "length" in low:
        return "invalid bulk length"
    return msg
