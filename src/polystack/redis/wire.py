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
import re
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


class BigNumber(bytes):
    """A big number (RESP3 ``(``); a bulk string in RESP2."""


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


def bulk_array(items: list[bytes]) -> Raw:
    """An array of bulk strings, encoded at once (the same in RESP2 and RESP3)."""
    return Raw(
        b"*%d\r\n%b" % (len(items), b"".join([b"$%d\r\n%b\r\n" % (len(x), x) for x in items]))
    )


def bulk_map(items: list[bytes], resp3: bool) -> Raw:
    """Field/value pairs (flattened) as a RESP3 map, or a flat array in RESP2."""
    head = b"%%%d\r\n" % (len(items) // 2) if resp3 else b"*%d\r\n" % len(items)
    return Raw(head + b"".join([b"$%d\r\n%b\r\n" % (len(x), x) for x in items]))


def bulk_set(items: list[bytes], resp3: bool) -> Raw:
    """Bulk strings as a RESP3 set (in this order), or an array in RESP2."""
    head = b"~%d\r\n" % len(items) if resp3 else b"*%d\r\n" % len(items)
    return Raw(head + b"".join([b"$%d\r\n%b\r\n" % (len(x), x) for x in items]))


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
    """Bytes in, argument vectors out: :meth:`feed` returns the complete requests so far.

    hiredis's C reader parses well-formed multibulk requests (the fast path).  What it
    cannot tell apart from a valid request, or refuses with its own words, is re-read from
    the exact byte where that request starts by :meth:`_parse_exact`, a port of Redis's
    processMultibulkBuffer/processInlineBuffer: empty multibulks (``*0``, ``*-1``) are
    skipped, an inline command may follow a multibulk in the same read, and errors carry
    Redis's texts.  Byte positions come from the requests' canonical encodings: hiredis
    only accepts canonical lengths, so each parsed request used exactly that many bytes.
    """

    __slots__ = (
        "_reader",
        "_inline_buf",
        "max_query",
        "max_bulk",
        "_mid_request",
        "_chunks",
        "_done",
        "_exact",
    )

    def __init__(self, max_query: int = 1 << 30, max_bulk: int = 512 * 1024 * 1024) -> None:
        self._reader = hiredis.Reader()
        self._inline_buf = b""
        self.max_query = max_query
        self.max_bulk = max_bulk  # proto-max-bulk-len
        self._mid_request = False  # hiredis holds part of a request (has_data() can't tell)
        self._chunks: list[bytes] = []  # bytes fed to hiredis since the last request boundary
        self._done: list[list[bytes]] = []  # requests parsed out of those bytes
        self._exact: bytes | None = None  # unparsed bytes while the exact parser is in charge

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Parse ``data``.  On bytes Redis would refuse, raises :class:`ProtocolError` whose
        ``requests`` holds the complete requests that came before them."""
        requests: list[list[bytes]] = []
        if self._exact is not None:
            data, self._exact = self._exact + data, None
            return self._parse_exact(data, requests)
        reader = self._reader
        while data:
            if not self._mid_request and data[0] != 0x2A:  # not '*': inline command
                try:
                    data = self._feed_inline(data, requests)
                except ProtocolError as e:
                    e.requests = requests
                    raise
                continue
            self._chunks.append(data)
            if b"*" in data and _HUGE_COUNT.search(data) is not None:
                # hiredis allocates a multibulk's whole array up front: a count in the
                # millions goes to the exact parser, which builds it as items arrive
                return self._recover(requests)
            reader.feed(data)
            data = b""
            self._mid_request = True
            while True:
                try:
                    req = reader.gets()
                except hiredis.ProtocolError:
                    return self._recover(requests)
                if req is False:
                    self._check_partial(requests)
                    break
                if type(req) is not list or not req:
                    # an empty multibulk (skipped by Redis) or a reply type hiredis accepts
                    return self._recover(requests)
                # Items that are not bulk strings (":5", "*1" ...) are left for the session
                # to refuse (see non_bulk_error): checking every item here would cost each
                # request, and only commands that store their arguments need the check.
                requests.append(req)
                self._done.append(req)
                if not reader.has_data():
                    # Ended exactly at a request boundary: the next chunk starts afresh (an
                    # inline command is possible).  Otherwise the remaining bytes are part
                    # of a request even once hiredis has consumed them.
                    self._mid_request = False
                    self._chunks.clear()
                    self._done.clear()
                    break
            if self._mid_request and reader.len() > self.max_query:
                err = ProtocolError("too big query buffer")
                err.requests = requests
                raise err
        return requests

    def _pending_bytes(self) -> bytes:
        """What hiredis holds beyond the requests it returned (the start of the next one)."""
        offset = sum(map(encoded_length, self._done))
        return b"".join(self._chunks)[offset:]

    def _recover(self, requests: list[list[bytes]]) -> list[list[bytes]]:
        """Hand the bytes from the current request on to the exact parser."""
        rest = self._pending_bytes()
        self._reader = hiredis.Reader()
        self._chunks.clear()
        self._done.clear()
        self._mid_request = False
        return self._parse_exact(rest, requests)

    def _check_partial(self, requests: list[list[bytes]]) -> None:
        """Redis refuses a bulk longer than proto-max-bulk-len as soon as it reads the
        length; hiredis would wait for the bytes.  Check the headers of a request still
        incomplete while what is buffered is small (a header comes first, so a long request
        had its headers checked when they arrived)."""
        if sum(map(len, self._chunks)) > (1 << 20):
            return
        try:
            _scan_headers(self._pending_bytes(), self.max_bulk)
        except ProtocolError as e:
            e.requests = requests
            raise

    def _parse_exact(self, buf: bytes, requests: list[list[bytes]]) -> list[list[bytes]]:
        """processInputBuffer over ``buf``: complete requests are appended; an incomplete
        one stays for the next feed; refused bytes raise ProtocolError."""
        pos = 0
        n = len(buf)
        try:
            while pos < n:
                if buf[pos] == 0x2A:
                    got = _multibulk(buf, pos, self.max_bulk)
                else:
                    got = _inline(buf, pos)
                if got is None:
                    break
                argv, pos = got
                if argv:
                    requests.append(argv)
        except ProtocolError as e:
            e.requests = requests
            raise
        rest = buf[pos:]
        if rest:
            if len(rest) > self.max_query:
                err = ProtocolError("too big query buffer")
                err.requests = requests
                raise err
            self._exact = rest
        return requests

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


def encoded_length(req: list[bytes]) -> int:
    """The length of ``req`` as a canonical multibulk (``*N`` then ``$len`` per item)."""
    total = len(b"%d" % len(req)) + 3
    for a in req:
        la = len(a)
        total += la + 5 + (1 if la < 10 else 2 if la < 100 else len(b"%d" % la))
    return total


def _string2ll(b: bytes) -> int | None:
    """util.c's string2ll (no sign but '-', no leading zeros, 64-bit range)."""
    if not b or len(b) > 20:
        return None
    body = b[1:] if b[:1] == b"-" else b
    if not body.isdigit() or (body[:1] == b"0" and len(body) > 1) or b == b"-0":
        return None
    v = int(b)
    return v if -(1 << 63) <= v < (1 << 63) else None


_INT_MAX = (1 << 31) - 1
_HUGE_COUNT = re.compile(rb"\*-?[0-9]{7,}")


def _multibulk(buf: bytes, pos: int, max_bulk: int) -> tuple[list[bytes], int] | None:
    """processMultibulkBuffer for the request at ``pos``: (argv, next position), or None when
    the request is not complete yet.  An empty multibulk gives an empty argv."""
    nl = buf.find(b"\r", pos)
    if nl < 0:
        if len(buf) - pos > PROTO_INLINE_MAX_SIZE:
            raise ProtocolError("too big mbulk count string")
        return None
    if nl + 1 >= len(buf):
        return None
    count = _string2ll(buf[pos + 1 : nl])
    if count is None or count > _INT_MAX:
        raise ProtocolError("invalid multibulk length")
    pos = nl + 2
    if count <= 0:
        return [], pos
    argv: list[bytes] = []
    n = len(buf)
    while len(argv) < count:
        nl = buf.find(b"\r", pos)
        if nl < 0:
            if n - pos > PROTO_INLINE_MAX_SIZE:
                raise ProtocolError("too big bulk count string")
            return None
        if nl + 1 >= n:
            return None
        if buf[pos] != 0x24:
            raise ProtocolError(f"expected '$', got '{chr(buf[pos])}'")
        size = _string2ll(buf[pos + 1 : nl])
        if size is None or size < 0 or size > max_bulk:
            raise ProtocolError("invalid bulk length")
        start = nl + 2
        if n - start < size + 2:
            return None
        argv.append(buf[start : start + size])
        pos = start + size + 2  # Redis skips the two bytes after the data unchecked
    return argv, pos


def _inline(buf: bytes, pos: int) -> tuple[list[bytes], int] | None:
    """processInlineBuffer for the line at ``pos``."""
    nl = buf.find(b"\n", pos)
    if nl < 0:
        if len(buf) - pos > PROTO_INLINE_MAX_SIZE:
            raise ProtocolError("too big inline request")
        return None
    end = nl - 1 if nl > pos and buf[nl - 1] == 0x0D else nl
    return split_inline(buf[pos:end]), nl + 1


def _scan_headers(buf: bytes, max_bulk: int) -> None:
    """The header checks of processMultibulkBuffer over a request still arriving."""
    try:
        _multibulk(buf, 0, max_bulk)
    except ProtocolError as e:
        if "expected '$'" in str(e.args[0]):
            return  # a reply type inside the request: hiredis will tell when it completes
        raise


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
    if isinstance(v, hiredis.ReplyError):
        return "-"
    return "+"


def _hiredis_message(msg: str) -> str:
    low = msg.lower()
    if "multi-bulk length" in low or "multibulk" in low:
        return "invalid multibulk length"
    if "bulk" in low and "length" in low:
        return "invalid bulk length"
    return msg
