"""A read made of requests of one shape (redis-benchmark's ``-P 16``: ``LPUSH mylist xxx``,
``LPOP mylist``, ``SADD myset element:__rand_int__``, ``HSET myhash element:__rand_int__ xxx``,
``ZADD myzset 0 element:__rand_int__``, each 16 times, the same bytes each time, or with
``-r`` members, fields and scores that differ but keep their lengths), answered per read (a
mixin of the session's Client, as getread.py and plainbatch.py are).

The parser's hiredis path builds a list and its bytes objects per request and the batch loop
runs its opcodes per request; a read of ``k`` requests of one shape is checked with a few C
calls and its ``k`` commands applied at once:

* shape (:func:`split_same`): the read's bytes are exactly ``k`` (2 to 4096) requests of at
  most 1 KiB each, written as Redis writes a request (``*<n>`` then ``$<len>`` and the bytes
  of each argument, canonical lengths), with one name (one spelling) and one key, the other
  arguments of one length each.  The arguments after the key are cut out with one ``struct``
  unpack per shape (the shape last met with the read's request size, or the one the first
  request, parsed, shows) and the read rebuilt from them (one ``%`` format) must be the
  bytes received; one request repeated is no special case.  Anything else (a request cut by the end of the read,
  two kinds of request, two keys, an inline command) goes to the parser and the batch as
  before;
* the client and server are those of the plain batch (plainbatch.py) with nothing more to
  check per request: no state bit in ``Client.slow``, no keyspace notifications, no key
  listeners (WATCH, tracking, memory accounting), no LFU policy, no write refusal, a
  slowlog/latency threshold above zero, not a Redis Cluster node, nothing to propagate in
  another form, the parser holding no partial request and no held-back requests;
* the command is one of those below, in the case its handler's common path takes, checked
  before anything changes (otherwise nothing is done and the general path runs the read):

  - SADD key member on an existing hashtable-encoded set: each member the set lacks is added
    (``:1``, one write to the log, dirty), a held one answers ``:0``;
  - ZADD key score member where the sorted set holds each member at that (integral) score:
    ``:0`` each (zsetAdd's no-op; a new member or score: the general way);
  - LPUSH/RPUSH key element of short strings that do not read as integers onto an existing
    list: the elements that fit join the end node at once (one memmove), the rest go
    through the quicklist's own push (new nodes), each push logged, replies ``:<length>``;
  - LPOP/RPOP key (no count) while the end node keeps at least one element: the ``k``
    elements taken off at once, each pop logged, bulk replies (under 4 KiB each);
  - HSET key field value on an existing hash: each sets its field (``:1`` if new, ``:0``
    otherwise), each logged (hsetCommand counts every call dirty), the listpack ->
    hashtable conversion checked as the handler does (the lengths are the first request's;
    the entry count after the read: conversions are one-way);

* what the batch does per request is done per read: the LRU clock stored (lookupKeyWrite's
  touch), dirty counted, the writes appended to the log in order (one entry per write, as
  Redis propagates each), the read's time shared out evenly among its ``k`` calls
  (commandstats, the latency histogram, SLOWLOG and the latency monitor see each call's
  share), ``last_cmd`` set.
"""

from __future__ import annotations

import struct
import time
from typing import Any

from polystack.redis.args import small_float
from polystack.redis.hash_type import FIELD_NAMES, RedisHash, shared_name
from polystack.redis.listpack import element_size
from polystack.redis.quicklist import OPTIMIZATION_LEVEL, Quicklist
from polystack.redis.set_type import RedisSet
from polystack.redis.zset_type import ZSet

_perf = time.perf_counter
_BULK_PREFIX = [b"$%d\r\n" % n for n in range(4096)]
# b"\r\n$<n>\r\n" (between bulk replies of length n)
_BULK_SEP = [b"\r\n$%d\r\n" % n for n in range(4096)]
HEAD_SIZE = 12  # the bytes of the first request that find the second ("*3\r\n$4\r\nSADD" ...)
_MOST_REQUESTS = 4096
_LONGEST_REQUEST = 1024
_MOST_ARGS = 8
_MOST_SHAPES = 256
# How a read this module may take starts, its first 13 bytes (``*<n>\r\n$<len>\r\n`` and
# the name, upper or lower case, and the "\r" after a name of 4 letters)
SHAPE_HEADS = frozenset(
    (b"*%d\r\n$%d\r\n%b\r\n" % (n, len(name), spelt))[:13]
    for name, n in (
        (b"sadd", 3), (b"zadd", 4), (b"lpush", 3), (b"rpush", 3), (b"lpop", 2), (b"rpop", 2),
        (b"hset", 4),
    )
    for spelt in (name.upper(), name)
)  # fmt: skip
# What the session tests before calling _read_same, so that other reads pay no Python call (a
# slice or a method call costs more than 1,000 instructions): the read's size (SHAPE_LEAST
# bytes at least: a read of one request of redis-benchmark's -c 50, and of a few short ones,
# is shorter) and the name's second letter (data[9]: GET, SET, INCR, LRANGE ... differ).
SHAPE_LEAST = 100
SHAPE_LETTERS = frozenset(head[9] for head in SHAPE_HEADS)


def parse_request(req: bytes) -> tuple[bytes, ...]:
    """The arguments of ``req`` when it is exactly one request written as Redis writes one
    (``*<n>\\r\\n`` then ``$<len>\\r\\n<bytes>\\r\\n`` per argument, lengths canonical, 1 to
    :data:`_MOST_ARGS` arguments); ``()`` otherwise."""
    if req[:1] != b"*":
        return ()
    end = req.find(b"\r\n")
    if end < 0 or not req[1:end].isdigit():
        return ()
    n = int(req[1:end])
    if not 0 < n <= _MOST_ARGS:
        return ()
    args = []
    at = end + 2
    for _ in range(n):
        if req[at : at + 1] != b"$":
            return ()
        end = req.find(b"\r\n", at)
        if end < 0 or not req[at + 1 : end].isdigit():
            return ()
        size = int(req[at + 1 : end])
        at = end + 2
        args.append(req[at : at + size])
        at += size
        if req[at : at + 2] != b"\r\n":
            return ()
        at += 2
    if at != len(req):
        return ()
    canonical = b"*%d\r\n" % n + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)
    return tuple(args) if canonical == req else ()


# the shapes met (name, key, the other arguments' lengths, k): (the bytes every request starts
# with, the template the read must equal once formatted with the other arguments, the struct
# unpacking them, (name, key)); also by the read's request size and k (the last shape met
# with those: a read of another shape is told by its start or by the template); both cleared
# when many
_SHAPES: dict[tuple[bytes, bytes, tuple[int, ...], int], tuple[bytes, bytes, Any, tuple]] = {}
_BY_SIZE: dict[int, tuple[bytes, bytes, Any, tuple]] = {}


def _shape(
    name: bytes, key: bytes, sizes: tuple[int, ...], k: int
) -> tuple[bytes, bytes, Any, tuple]:
    """The shape of ``k`` requests ``name key <arguments of sizes>`` (see _SHAPES)."""
    if len(_SHAPES) >= _MOST_SHAPES:
        _SHAPES.clear()
    n = 2 + len(sizes)
    fixed = b"*%d\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (n, len(name), name, len(key), key)
    template = fixed.replace(b"%", b"%%") + b"".join(b"$%d\r\n%%b\r\n" % m for m in sizes)
    layout = f"{len(fixed)}x" + "".join(f"{len(b'$%d' % m) + 2}x{m}s2x" for m in sizes)
    entry = (fixed, template * k, struct.Struct(layout * k).unpack, (name, key))
    _SHAPES[(name, key, sizes, k)] = entry
    return entry


def split_same(
    data: bytes, size: int = -1
) -> tuple[tuple[bytes, ...], tuple[bytes, ...], int] | None:
    """(the first request's arguments, the arguments after the key of all ``k`` requests in
    order, k) when ``data`` is ``k`` >= 2 requests (see :func:`parse_request`) of one name
    and key whose other arguments have the same lengths in each (their bytes may differ:
    redis-benchmark's ``-r``); None otherwise.  (``size``: where the second request starts,
    found already by the caller.)"""
    if size < 0:
        size = data.find(data[:HEAD_SIZE], HEAD_SIZE)
    if size < HEAD_SIZE or size > _LONGEST_REQUEST:
        return None
    k, rest = divmod(len(data), size)
    if rest or k > _MOST_REQUESTS:
        return None
    # a shape met before with this request size (redis-benchmark's reads: one shape)
    entry = _BY_SIZE.get(size << 13 | k)
    if entry is not None and data.startswith(entry[0]):
        others = entry[2](data)
        if entry[1] % others == data:
            return entry[3] + others[: len(others) // k], others, k
    args = parse_request(data[:size])
    if len(args) < 2:
        return None
    sizes = tuple(map(len, args[2:]))
    entry = _SHAPES.get((args[0], args[1], sizes, k)) or _shape(args[0], args[1], sizes, k)
    others = entry[2](data)
    if entry[1] % others != data:
        return None
    if len(_BY_SIZE) >= _MOST_SHAPES:
        _BY_SIZE.clear()
    _BY_SIZE[size << 13 | k] = entry
    return args, others, k


# -- the commands, k at a time ---------------------------------------------------------------
# Each takes (client, the first request's arguments, the arguments after the key of all k
# requests, k) and returns False, having changed nothing, when the read is not its common case
# (the general path runs it); else it appends the k replies, logs the writes (one record per
# write, each request's own arguments) and counts dirty.


def _sadd(c: Any, args: tuple[bytes, ...], members: tuple[bytes, ...], k: int) -> bool:
    if len(args) != 3:
        return False
    key = args[1]
    db = c.db
    s = db.data.get(key)
    if type(s) is not RedisSet or s.ints is not None or (db.expires and key in db.expires):
        return False  # a new key, an intset (conversions), another type, a deadline
    db.lru[key] = c.server.lruclock  # lookupKeyWrite's access
    index = s.index
    items = s.items
    out = []
    log = c._log
    db_id = c.db_id
    name = args[0]
    added = 0
    for member in members:
        if member in index:
            out.append(b":0\r\n")
        else:
            index[member] = len(items)
            items.append(member)
            added += 1
            log.append((db_id, [name, key, member]))
            out.append(b":1\r\n")
    c.ks.dirty += added
    c._out += out
    return True


def _zadd(c: Any, args: tuple[bytes, ...], rest: tuple[bytes, ...], k: int) -> bool:
    if len(args) != 4:
        return False
    key = args[1]
    db = c.db
    z = db.data.get(key)
    if type(z) is not ZSet or (db.expires and key in db.expires):
        return False
    for score_arg, member in zip(rest[::2], rest[1::2], strict=True):
        score = small_float(score_arg)
        if score is None:
            return False  # another score's form, or an option (ZADD key NX member ...)
        if z.listpack:
            if (score, member) not in z.sl:
                return False
        elif z.dict.get(member) != score:  # (a dict once skiplist encoded)
            return False
    db.lru[key] = c.server.lruclock  # lookupKeyWrite's access
    c._out.append(b":0\r\n" * k)  # zsetAdd's no-op: nothing changed, nothing logged
    return True


def _push(c: Any, args: tuple[bytes, ...], values: tuple[bytes, ...], k: int, tail: int) -> bool:
    if len(args) != 3:
        return False
    key = args[1]
    db = c.db
    q = db.data.get(key)
    if type(q) is not Quicklist or q.fill >= 0 or (db.expires and key in db.expires):
        return False
    size = len(args[2])  # (every value has this length)
    threshold = c.ks.limits.packed_threshold
    if size >= 63 or min(values)[:1] <= b"9" or size >= threshold:
        return False  # an integer, a longer string (another listpack entry size), plain
    node = q.nodes[-tail]  # LPUSH: the first node, RPUSH: the last
    grow = size + 2  # a short string's listpack entry
    # the pushes that join the node (_quicklistNodeAllowInsert's size test for fill < 0:
    # each push checks sz + size + 8 against the level before adding its entry)
    room = OPTIMIZATION_LEVEL[-q.fill - 1] - node.sz - size - 8
    fit = 0 if node.plain or room < 0 else min(k, room // grow + 1)
    if fit:
        if tail:
            node.items += values[:fit]
        else:
            node.items[:0] = values[fit - 1 :: -1]  # (one memmove, as lpInsert's for each)
        node.sz += grow * fit
        q.count += fit
    if fit < k:  # the node is full: the quicklist's own push (a new node, as the handler's)
        push = q.push_tail if tail else q.push_head
        for value in values[fit:]:
            push(value, threshold)  # (it counts the element)
    count = q.count
    db.lru[key] = c.server.lruclock  # lookupKeyWrite's access
    c.ks.dirty += k
    db_id = c.db_id
    name = args[0]
    c._log += [(db_id, [name, key, value]) for value in values]
    c._out.append((b":%d\r\n" * k) % tuple(range(count - k + 1, count + 1)))
    return True


def _lpush(c: Any, args: tuple[bytes, ...], rest: tuple[bytes, ...], k: int) -> bool:
    return _push(c, args, rest, k, 0)


def _rpush(c: Any, args: tuple[bytes, ...], rest: tuple[bytes, ...], k: int) -> bool:
    return _push(c, args, rest, k, 1)


def _pop(c: Any, args: tuple[bytes, ...], k: int, tail: int) -> bool:
    if len(args) != 2:
        return False
    key = args[1]
    db = c.db
    q = db.data.get(key)
    if type(q) is not Quicklist or (db.expires and key in db.expires):
        return False
    node = q.nodes[-tail]  # LPOP: the first node, RPOP: the last
    items = node.items
    if node.plain or len(items) <= k:
        return False  # the node (maybe the key) goes: the handler's path
    if tail:
        popped = items[-k:]
        popped.reverse()  # (the last first)
    else:
        popped = items[:k]
    sizes = list(map(len, popped))
    longest = max(sizes)
    if longest >= 4096:
        return False  # larger replies take the handler's path (flow control)
    if longest < 63 and min(popped) >= b":":  # short strings that do not read as integers
        node.sz -= sum(sizes) + 2 * k
    else:
        node.sz -= sum(map(element_size, popped))
    if tail:
        del items[-k:]
    else:
        del items[:k]
    q.count -= k
    db.lru[key] = c.server.lruclock  # lookupKeyWrite's access
    c.ks.dirty += k
    c._log += [(c.db_id, list(args))] * k
    m = sizes[0]
    if sizes.count(m) == k:  # elements of one length (redis-benchmark's)
        c._out += (_BULK_PREFIX[m], _BULK_SEP[m].join(popped), b"\r\n")
    else:
        c._out += [b"$%d\r\n%b\r\n" % (len(v), v) for v in popped]
    return True


def _lpop(c: Any, args: tuple[bytes, ...], rest: tuple[bytes, ...], k: int) -> bool:
    return _pop(c, args, k, 0)


def _rpop(c: Any, args: tuple[bytes, ...], rest: tuple[bytes, ...], k: int) -> bool:
    return _pop(c, args, k, 1)


_field_names_get = FIELD_NAMES.get


def _hset(c: Any, args: tuple[bytes, ...], rest: tuple[bytes, ...], k: int) -> bool:
    if len(args) != 4 or args[0][1] not in b"sS":
        return False  # (the handler answers +OK to a name not spelt HSET)
    key = args[1]
    db = c.db
    h = db.data.get(key)
    if type(h) is not RedisHash or (db.expires and key in db.expires):
        return False
    out = []
    for i in range(0, 2 * k, 2):
        field = rest[i]
        out.append(b":0\r\n" if field in h else b":1\r\n")
        shared = _field_names_get(field)  # shared_name(field) of a known name, inline
        h[shared_name(field) if shared is None else shared] = rest[i + 1]
    if h.listpack:  # (every field and every value has the first's length; the hash grew)
        limits = c.ks.limits
        longest = limits.hash_max_listpack_value
        if (
            len(args[2]) > longest
            or len(args[3]) > longest
            or len(h) > limits.hash_max_listpack_entries
        ):
            h.listpack = False
    db.lru[key] = c.server.lruclock  # lookupKeyWrite's access
    c.ks.dirty += k  # (every HSET counts its fields dirty, changed or not)
    db_id = c.db_id
    name = args[0]
    c._log += [(db_id, [name, key, rest[i], rest[i + 1]]) for i in range(0, 2 * k, 2)]
    c._out += out
    return True


FOLDS = {
    "sadd": _sadd,
    "zadd": _zadd,
    "lpush": _lpush,
    "rpush": _rpush,
    "lpop": _lpop,
    "rpop": _rpop,
    "hset": _hset,
}


class ShapeRead:
    """Client's _read_same."""

    # (the Client's, declared for the type checker)
    server: Any
    ks: Any
    last_cmd: Any
    propagate: Any
    _pending: Any
    _parser: Any
    _lean: dict[bytes, Any]
    _served: Any
    _slow_command: Any

    def _read_same(self, data: bytes) -> bool:
        """Answer ``data`` if it is requests of one shape that need nothing but their common
        case (see the module's docstring); False (nothing done) otherwise.  The caller
        checked that the client is plain (``slow`` clear)."""
        if data[:13] not in SHAPE_HEADS:
            return False
        size = data.find(data[:HEAD_SIZE], HEAD_SIZE)
        if size < 0 or self._pending is not None or not self._parser.idle:
            return False
        same = split_same(data, size)
        if same is None:
            return False
        args, rest, k = same
        cmd = self._lean.get(args[0])
        if cmd is None:
            return False
        fold = FOLDS.get(cmd.name)
        if fold is None:
            return False
        server = self.server
        ks = self.ks
        if (
            ks.notify_classes
            or ks.key_listeners
            or server.lfu
            or server.writes_paused
            or server.write_denied is not None
            or server.timing_threshold <= 0
            or self._served is not None
            or self.propagate is not None
        ):
            return False
        t0 = _perf()
        if not fold(self, args, rest, k):
            return False
        share = (_perf() - t0) / k
        cmd.calls += k
        cmd.durations += [share] * k
        self.last_cmd = cmd
        if share >= server.timing_threshold:
            w = len(args) - 2
            for i in range(0, w * k, w) if w else range(k):
                self._slow_command(cmd, [*args[:2], *rest[i : i + w]], share)
        return True
