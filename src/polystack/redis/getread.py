"""A read made only of GETs (redis-benchmark's ``GET -P 16``), answered without a Python
object per request field (a mixin of the session's Client, as plainbatch.py is).

The parser's hiredis path builds a list and two bytes objects per request and the batch loop
runs Python opcodes per request; a read of GETs is checked and answered here with a few C
calls per read instead:

* shape (:func:`split_gets`): the read is ``k`` copies of
  ``*2\\r\\n$3\\r\\n<name>\\r\\n$<n>\\r\\n<key>\\r\\n`` with one spelling of the command (GET
  in any case) and keys of one length
  ``n`` (written canonically: no sign, no leading zero).  The keys are sliced out at their
  fixed offsets (one ``struct`` unpack) and the read rebuilt from them (one join) must equal
  the bytes received: whatever does not match exactly (a key of another length, another
  command, a request cut by the end of the read, a malformed header) goes to the parser and
  the batch as before, with nothing done;
* the client and server are those of the plain batch (plainbatch.py) with nothing more to
  check per key: no state bit in ``Client.slow``, no keyspace notifications, no key
  listeners (WATCH, tracking, memory accounting), no LFU policy, a slowlog/latency
  threshold above zero, not a Redis Cluster node, the parser holding no partial request and
  no held-back requests;
* the keys are looked up in one ``map``; none may hold a deadline (lazy expiry: the general
  path), every value must be a string (``bytes``: another type is -WRONGTYPE, the general
  path) under 4 KiB (larger replies take the handler's path and its flow control) or absent
  (a nil reply and a keyspace miss);
* what the batch does for GET is done per read: the calls and keyspace hits/misses counted,
  the LRU clock stored for each key found (lookupKey's touch), the read's time shared out
  evenly among its GETs (commandstats, the latency histogram, SLOWLOG and the latency
  monitor see each GET's share), ``last_cmd`` set;
* the replies are returned to ``Client.receive``, which returns them to the runtime at once
  (nothing else was produced, logged or queued: the batch's bookkeeping has nothing to do).
"""

from __future__ import annotations

import struct
import time
from itertools import product
from typing import Any

_perf = time.perf_counter
# "$<n>" as a bulk length may be written (string2ll: no sign, no leading zero), by the bytes
# between the "$" and the line's end; keys up to 1 KiB
_KEY_SIZES = {b"%d" % n: n for n in range(1024)}
# b"$<n>\r\n" (the first value's header) and b"\r\n$<n>\r\n" (between values of length n)
_BULK_PREFIX = [b"$%d\r\n" % n for n in range(4096)]
_BULK_SEP = [b"\r\n$%d\r\n" % n for n in range(4096)]
_WITH_MISSES = {bytes, type(None)}
GET_HEAD = b"*2\r\n$3\r\n"  # how every request of such a read starts
TWO_GETS = 38  # the fewest bytes two GETs take (empty keys)
_NAMES = frozenset(bytes(c) for c in product(*((g, g - 32) for g in b"get")))  # any case
# the heads of requests (``*2 $3 <name> $<n>``) met, by their bytes: (n, CRLF + head) for a
# GET's, _NOT_GET for another's (a few dozen at most; cleared if a client sends many)
_HEADS: dict[bytes, tuple[int, bytes]] = {}
_NOT_GET = (-1, b"")
# the struct unpacking the keys of a read, by (read size << 10 | key length): redis-
# benchmark's reads have one shape; other clients' at most _MOST_SHAPES are kept
_UNPACK: dict[int, Any] = {}
_MOST_SHAPES = 256
_MOST_REQUESTS = 4096


def _head(head: bytes) -> tuple[int, bytes]:
    """A request head's entry in _HEADS (made now)."""
    if len(_HEADS) >= _MOST_SHAPES:
        _HEADS.clear()
    n = _KEY_SIZES.get(head[14:-2])
    if head[:8] != GET_HEAD or head[8:11] not in _NAMES or head[11:14] != b"\r\n$" or n is None:
        entry = _NOT_GET
    else:
        entry = (n, b"\r\n" + head)
    _HEADS[head] = entry
    return entry


def split_gets(data: bytes) -> tuple[bytes, ...] | None:
    """The keys when ``data`` is whole requests ``[GET, key]`` (GET spelt alike in each, in
    any case) with keys of one length under 1 KiB, written as Redis writes them (the parser
    would read exactly those requests from it); None otherwise."""
    end = data.find(b"\r\n", 14, 20)  # the end of the first key's length
    if end < 0:
        return None
    h = end + 2
    head = data[:h]
    n, sep = _HEADS.get(head) or _head(head)
    if n < 0:
        return None
    size = len(data)
    unpack = _UNPACK.get(size << 10 | n)
    if unpack is None:
        k, rest = divmod(size, h + n + 2)
        if rest or k > _MOST_REQUESTS or k < 2:
            return None  # (one request: the session's _run_one costs less)
        if len(_UNPACK) >= _MOST_SHAPES:
            _UNPACK.clear()
        unpack = _UNPACK[size << 10 | n] = struct.Struct(f"{h}x{n}s2x" * k).unpack
    keys = unpack(data)
    # (rebuilt from its keys, the read must be the bytes received)
    if sep.join(keys) != data[h:-2] or data[-2:] != b"\r\n":
        return None
    return keys


class GetRead:
    """Client's _read_gets."""

    # (the Client's, declared for the type checker)
    server: Any
    ks: Any
    db: Any
    resp3: bool
    last_cmd: Any
    _get_cmd: Any
    _served: Any
    _slow_command: Any

    def _read_gets(self, data: bytes) -> bytes | None:
        """The replies to ``data`` if it is a read of whole GETs of one key length that needs
        nothing but the lookups (see the module's docstring); None (nothing done) otherwise.
        The caller checked that the client is plain (``slow`` clear), nothing is pending or
        held in the parser, nothing is queued in ``_out``, and ``data`` starts with
        :data:`GET_HEAD`."""
        server = self.server
        ks = self.ks
        if (
            ks.notify_classes
            or ks.key_listeners
            or server.lfu
            or server.timing_threshold <= 0
            or self._served is not None
        ):
            return None
        t0 = _perf()
        keys = split_gets(data)
        if keys is None:
            return None
        get_cmd = self._get_cmd
        k = len(keys)
        db = self.db
        expires = db.expires
        reply: bytes
        if expires and not expires.keys().isdisjoint(keys):
            return None  # a key with a deadline: lazy expiry on the general path
        values = list(map(db.data.get, keys))
        sizes: list[int] | None
        try:
            sizes = list(map(len, values))
        except TypeError:  # a miss (None), or a value without a length (not a string)
            sizes = None
        if sizes is not None and sizes.count(m := sizes[0]) == k and m < 4096:
            # hits of one length (redis-benchmark's -r)
            try:
                # (only bytes among db.data's values have the buffer protocol: a list,
                # set, hash ... is refused here, TypeError, and answered -WRONGTYPE later)
                reply = b"".join((_BULK_PREFIX[m], _BULK_SEP[m].join(values), b"\r\n"))
            except TypeError:
                return None
            clock = server.lruclock
            lru = db.lru
            for key in keys:
                lru[key] = clock
            misses = 0
        else:
            if not set(map(type, values)) <= _WITH_MISSES:
                return None  # another type: -WRONGTYPE from the general path
            found = [v for v in values if v is not None]
            if found and max(map(len, found)) >= 4096:
                return None  # the handler's path (flow control)
            nil = b"_\r\n" if self.resp3 else b"$-1\r\n"
            reply = b"".join([nil if v is None else b"$%d\r\n%b\r\n" % (len(v), v) for v in values])
            clock = server.lruclock
            lru = db.lru
            for key, v in zip(keys, values, strict=True):
                if v is not None:
                    lru[key] = clock
            misses = k - len(found)
        share = (_perf() - t0) / k
        if misses:
            ks.keyspace_misses += misses
        if k > misses:
            ks.keyspace_hits += k - misses
        get_cmd.calls += k
        get_cmd.durations += [share] * k
        self.last_cmd = get_cmd
        if share >= server.timing_threshold:
            name = data[8:11]
            for key in keys:
                self._slow_command(get_cmd, [name, key], share)
        return reply
