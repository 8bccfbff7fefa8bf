"""Reading requests from a client's query buffer (sans-I/O): Redis's processInputBuffer.

Well-formed multibulk requests that arrive whole are parsed by hiredis's C ``Reader`` (the fast
path).  Everything else goes through :class:`QueryBuffer`, a port of networking.c's
processMultibulkBuffer and processInlineBuffer that keeps its state between reads the way
Redis's client struct does (the query buffer, the argv read so far, the items still to come,
the length of the bulk being read): a request split across reads is never parsed twice, and
each header is checked the moment its line is complete --

* ``*N`` above INT_MAX: ``invalid multibulk length``; a bulk longer than
  ``proto-max-bulk-len``: ``invalid bulk length`` (before a byte of its data arrived);
* before the client authenticated, as Redis >= 6.2.6 (CVE-2021-32675): more than 10 items is
  ``unauthenticated multibulk length`` and a bulk over 16 KiB ``unauthenticated bulk length``;
  and requests are then read one at a time, so a request after ``AUTH`` in the same packet is
  judged as the authenticated client's;
* nothing is allocated ahead of the data: a ``*2147483647`` header costs a few bytes, its
  argv grows as items arrive, and the whole request counts against
  ``client-query-buffer-limit``.

The fast path hands over to :class:`QueryBuffer` at the first request it cannot take whole (a
request cut by the end of the read, an empty multibulk, an inline command, a protocol error,
an item that is not a bulk string) and takes over again at the next request boundary.
"""

from __future__ import annotations

import hiredis

PROTO_INLINE_MAX_SIZE = 64 * 1024
PROTO_MBULK_BIG_ARG = 32 * 1024
# Before AUTH (authRequired): processMultibulkBuffer's limits since Redis 6.2.6.
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384
_INT_MAX = (1 << 31) - 1
# What one item of an argv costs beyond its bytes (a bytes object and its list slot).
_ITEM_OVERHEAD = 48
# hiredis allocates a multibulk's whole array when it reads the header: a count in the
# millions goes to QueryBuffer, which builds the argv as the items arrive.  (A negative count
# below -1 is hiredis's protocol error, which hands over to QueryBuffer too.)  One pass over
# the read (bytes.translate) finds both that and the type bytes _suspect looks for: digits
# read as "0", the six type bytes as "+"; a count of 7 digits or more reads as _HUGE_COUNT.
_SCAN = bytes(0x30 if 0x30 <= c <= 0x39 else 0x2B if c in b"+=(~%>" else c for c in range(256))
_HUGE_COUNT = b"*0000000"
_join = b"".join
# A read shorter than this may be one whole request of two to five bulk strings (GET key, SET
# key value, HSET key field value, EVALSHA sha 1 key arg as redis-benchmark -c 50 sends
# them): RequestParser.feed splits it at its first twelve CRLFs and takes it when every
# header is the canonical one of the item after it (_BULK_HEADER), without hiredis and the
# per-read scans.  Small: a
# pipelined read that tries it in vain pays the split (GET -P 16 of 8-byte keys, 432-byte
# reads: 7,838 -> 9,467 instructions per request with 512 and no split limit).
ONE_REQUEST_MAX = 160
_BULK_HEADER = tuple(b"$%d" % n for n in range(ONE_REQUEST_MAX))


def _suspect(data: bytes) -> bool:
    """A line starting with a type hiredis reads differently from Redis: a simple string,
    verbatim string, big number, set, map or push (or the same bytes inside a payload)."""
    return (
        data.find(b"\n+") >= 0
        or data.find(b"\n=") >= 0
        or data.find(b"\n(") >= 0
        or data.find(b"\n~") >= 0
        or data.find(b"\n%") >= 0
        or data.find(b"\n>") >= 0
    )


class ProtocolError(Exception):
    """The client sent bytes that are not RESP; Redis replies with the error and closes."""

    requests: list[list[bytes]] = []

    def reply(self) -> bytes:
        return f"-ERR Protocol error: {self.args[0]}\r\n".encode()


class RequestParser:
    """Bytes in, argument vectors out: :meth:`feed` returns the complete requests so far.

    ``unauthenticated`` (set by the session while the client has not authenticated) applies
    Redis's pre-authentication limits and returns at most one request per call; the session
    runs it and calls ``feed(b"")`` for the next while :attr:`buffered` is true.
    """

    __slots__ = ("_reader", "_query", "max_query", "max_bulk", "unauthenticated")

    def __init__(self, max_query: int = 1 << 30, max_bulk: int = 512 * 1024 * 1024) -> None:
        self._reader = hiredis.Reader()
        self._query = QueryBuffer()
        self.max_query = max_query  # client-query-buffer-limit
        self.max_bulk = max_bulk  # proto-max-bulk-len
        self.unauthenticated = False

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as requests."""
        return self._query.size()

    @property
    def idle(self) -> bool:
        """Nothing held: no bytes of a request received and not yet returned."""
        q = self._query
        return not q.buf and q.argv is None

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Parse ``data``.  On bytes Redis would refuse, raises :class:`ProtocolError` whose
        ``requests`` holds the complete requests that came before them.

        Well-formed multibulk requests that arrive whole go through hiredis (inline here: this
        runs once per read); hiredis hands over to :class:`QueryBuffer` at the first request it
        cannot take whole -- an inline command, a count hiredis would allocate up front, a
        simple string, verbatim string or big number item (hiredis returns them as if they were
        bulk strings), a request cut by
        the end of the read, an empty multibulk, an item that is not a bulk string."""
        requests: list[list[bytes]] = []
        q = self._query
        try:
            if q.buf or q.argv is not None or self.unauthenticated:
                q.buf += data
                data = self._drain(requests, True)
                if not data:
                    return requests
            elif not data:
                return requests
            elif len(data) < ONE_REQUEST_MAX:
                # One whole request of 2 to 5 items (-c 50's read): the read split at its
                # CRLFs is "*N", then "$len" and the item per item, then b"" -- and when
                # every header is the canonical one of the item after it, the read is
                # exactly that request's canonical encoding (no item holds a CRLF, no header
                # is cut or padded), which Redis reads as these items.  Anything else
                # (a CRLF inside an item, a partial or pipelined read, an inline command,
                # "$03" ...) goes on below.
                parts = data.split(b"\r\n", 12)  # (13 parts: not one request)
                n = len(parts)
                h = _BULK_HEADER
                if n == 8:
                    m, h1, a1, h2, a2, h3, a3, end = parts
                    if (
                        m == b"*3"
                        and not end
                        and h1 == h[len(a1)]
                        and h2 == h[len(a2)]
                        and h3 == h[len(a3)]
                    ):
                        return [[a1, a2, a3]]
                elif n == 6:
                    m, h1, a1, h2, a2, end = parts
                    if m == b"*2" and not end and h1 == h[len(a1)] and h2 == h[len(a2)]:
                        return [[a1, a2]]
                elif n == 10:
                    m, h1, a1, h2, a2, h3, a3, h4, a4, end = parts
                    if (
                        m == b"*4"
                        and not end
                        and h1 == h[len(a1)]
                        and h2 == h[len(a2)]
                        and h3 == h[len(a3)]
                        and h4 == h[len(a4)]
                    ):
                        return [[a1, a2, a3, a4]]
                elif n == 12:  # (EVALSHA sha 1 key arg: a script called with one key)
                    m, h1, a1, h2, a2, h3, a3, h4, a4, h5, a5, end = parts
                    if (
                        m == b"*5"
                        and not end
                        and h1 == h[len(a1)]
                        and h2 == h[len(a2)]
                        and h3 == h[len(a3)]
                        and h4 == h[len(a4)]
                        and h5 == h[len(a5)]
                    ):
                        return [[a1, a2, a3, a4, a5]]
            # Items hiredis would hand over as bulk strings although Redis refuses them: a
            # simple string (+), a RESP3 verbatim string (=) or big number ((); and a set (~),
            # map (%) or push (>) hiredis returns as a list or dict.  Their bytes are searched
            # for (in _SCAN's copy of the read, with the huge counts) and only when one is
            # there, the line starts are (find, not ``in`` with bytes: bytes.__contains__
            # tries the argument as an int first, and raising and clearing that TypeError costs
            # more than the search).
            # (rfind: searched from the end, the candidate test is the needle's rare "*",
            # where find's is its last "0", which every digit of the read matches)
            scan = data.translate(_SCAN)
            if data[0] != 0x2A or scan.rfind(_HUGE_COUNT) >= 0 or (43 in scan and _suspect(data)):
                rest = data
            else:
                rest = self._hiredis(data, requests)
                if not rest:
                    return requests
            # QueryBuffer reads the rest of this read (never handing back again: a read full
            # of empty multibulks must not bounce between the two)
            q.buf += rest
            self._drain(requests, False)
        except ProtocolError as e:
            e.requests = requests
            raise
        return requests

    def _hiredis(self, data: bytes, requests: list[list[bytes]]) -> bytes:
        """The requests hiredis reads whole from ``data`` (appended to ``requests``); returns
        the bytes from the first request it cannot take (for QueryBuffer), or b"".

        The common read (whole requests of bulk strings, ending at a request boundary) is
        checked per read, not per request: hiredis reads every request in one C loop
        (``iter(gets, False)``); a read that held more than one request ends at a boundary
        when hiredis then reads ``*0`` (an empty request) from a bare ``*0\\r\\n`` fed after it
        (inside a request it would be an item, or a line's end); and each request is joined
        (``b"".join``), which refuses anything but bulk strings (an integer, a nil, a nested
        array or error) and is empty for an empty multibulk.  Any read that fails a check is
        read again request by request (``_hiredis_each``, on a new reader)."""
        reader = self._reader
        reader.feed(data)
        gets = reader.gets
        try:
            req = gets()
            if not reader.has_data():  # one request (redis-benchmark's -c 50), or part of one
                if type(req) is list and _join(req):
                    requests.append(req)
                    return b""
                if req is False:  # hiredis holds the start of a request: QueryBuffer reads it
                    self._reader = hiredis.Reader()
                    return data
            else:
                found = [req, *iter(gets, False)]
                reader.feed(b"*0\r\n")
                if gets() == [] and all(map(_join, found)):
                    requests += found
                    return b""
        except (hiredis.ProtocolError, TypeError):
            pass
        self._reader = hiredis.Reader()
        return self._hiredis_each(data, requests)

    def _hiredis_each(self, data: bytes, requests: list[list[bytes]]) -> bytes:
        """``_hiredis`` for a read that is not all whole requests of bulk strings: hiredis
        reads request by request, each checked, and hands over at the first it cannot take."""
        reader = self._reader
        join = _join
        known = len(requests)
        reader.feed(data)
        while True:
            try:
                req = reader.gets()
            except hiredis.ProtocolError:
                break
            if req is False or type(req) is not list or not req:
                break  # cut short, an empty multibulk, a reply type: QueryBuffer decides
            try:
                join(req)
            except TypeError:
                break  # ":5", "*1" ... inside a request: refused with Redis's words
            requests.append(req)
            if not reader.has_data():
                return b""  # ended exactly at a request boundary
        # hiredis holds part of a request: QueryBuffer reads on from its first byte, which
        # follows the requests hiredis returned (measured by their encoding)
        self._reader = hiredis.Reader()
        return data[sum(map(encoded_length, requests[known:])) :]

    def _drain(self, requests: list[list[bytes]], may_return: bool) -> bytes:
        """Requests out of the query buffer.  With ``may_return``, once the request left over
        from the previous read is complete, the rest is handed back to the fast path (when it
        starts with a multibulk); returns those bytes."""
        q = self._query
        unauth = self.unauthenticated
        got = len(requests)
        progressed = False
        while q.buf or q.argv is not None:
            if unauth:
                if len(requests) > got:
                    break  # one request at a time before AUTH
            elif may_return and progressed and q.argv is None and q.buf[0] == 0x2A:
                rest = bytes(q.buf)
                q.buf.clear()
                return rest
            argv = q.next_request(self.max_bulk, unauth)
            if argv is None:
                if q.size() > self.max_query:
                    raise ProtocolError("too big query buffer")
                break
            progressed = True
            if argv:
                requests.append(argv)
        return b""


class QueryBuffer:
    """processMultibulkBuffer/processInlineBuffer with the client's parsing state."""

    __slots__ = ("buf", "argv", "left", "bulklen", "argv_size")

    def __init__(self) -> None:
        self.buf = bytearray()  # unparsed bytes (Redis's querybuf from qb_pos)
        self.argv: list[bytes] | None = None  # the multibulk being read
        self.left = 0  # its items still to come (multibulklen)
        self.bulklen = -1  # the length of the bulk being read, -1 before its header
        self.argv_size = 0  # memory held by argv

    def size(self) -> int:
        return len(self.buf) + self.argv_size

    def next_request(self, max_bulk: int, unauth: bool = False) -> list[bytes] | None:
        """The next request (``[]`` for an empty multibulk or a blank line), or None while it
        is incomplete.  Raises ProtocolError with Redis's text for bytes Redis refuses."""
        buf = self.buf
        if self.argv is None:
            if not buf:
                return None
            if buf[0] != 0x2A:
                return self._inline()
            nl = buf.find(b"\r")
            if nl < 0:
                if len(buf) > PROTO_INLINE_MAX_SIZE:
                    raise ProtocolError("too big mbulk count string")
                return None
            if nl + 1 >= len(buf):
                return None  # Redis waits for the byte after '\r' too
            count = _string2ll(bytes(buf[1:nl]))
            if count is None or count > _INT_MAX:
                raise ProtocolError("invalid multibulk length")
            if count > UNAUTH_MAX_MULTIBULK and unauth:
                raise ProtocolError("unauthenticated multibulk length")
            del buf[: nl + 2]
            if count <= 0:
                return []  # Redis skips empty multibulks
            self.argv = []
            self.left = count
            self.bulklen = -1
            self.argv_size = 0
        argv = self.argv
        while self.left:
            if self.bulklen < 0:
                nl = buf.find(b"\r")
                if nl < 0:
                    if len(buf) > PROTO_INLINE_MAX_SIZE:
                        raise ProtocolError("too big bulk count string")
                    return None
                if nl + 1 >= len(buf):
                    return None
                if buf[0] != 0x24:
                    raise ProtocolError(f"expected '$', got '{chr(buf[0])}'")
                size = _string2ll(bytes(buf[1:nl]))
                if size is None or size < 0 or size > max_bulk:
                    raise ProtocolError("invalid bulk length")
                if size > UNAUTH_MAX_BULK and unauth:
                    raise ProtocolError("unauthenticated bulk length")
                del buf[: nl + 2]
                self.bulklen = size
            size = self.bulklen
            if len(buf) < size + 2:
                return None
            if size < PROTO_MBULK_BIG_ARG:
                item = bytes(buf[:size])
            else:
                with memoryview(buf) as view:
                    item = view[:size].tobytes()
            del buf[: size + 2]  # Redis skips the two bytes after the data unchecked
            argv.append(item)
            self.argv_size += size + _ITEM_OVERHEAD
            self.bulklen = -1
            self.left -= 1
        self.argv = None
        self.argv_size = 0
        return argv

    def _inline(self) -> list[bytes] | None:
        buf = self.buf
        nl = buf.find(b"\n")
        if nl < 0:
            if len(buf) > PROTO_INLINE_MAX_SIZE:
                raise ProtocolError("too big inline request")
            return None
        end = nl - 1 if nl > 0 and buf[nl - 1] == 0x0D else nl
        line = bytes(buf[:end])
        del buf[: nl + 1]
        return split_inline(line)


def parse_all(data: bytes, max_bulk: int = 512 * 1024 * 1024) -> list[list[bytes]]:
    """Every complete request in ``data`` by :class:`QueryBuffer` alone (tests compare it
    with the fast path)."""
    q = QueryBuffer()
    q.buf += data
    out: list[list[bytes]] = []
    while (argv := q.next_request(max_bulk)) is not None:
        if argv:
            out.append(argv)
    return out


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


_BULK_ONLY = frozenset((bytes,))


def non_bulk_error(argv: list) -> ProtocolError | None:
    """The protocol error for a request holding an item that is not a bulk string, or None
    (requests built by other means than the parser: scripts, the replication stream)."""
    if _BULK_ONLY.issuperset(map(type, argv)):  # the common case, without a Python loop
        return None
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
