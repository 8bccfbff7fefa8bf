"""Hash commands (t_hash.c): HSET, HGET and the rest of the H* family."""

from __future__ import annotations

import random
from typing import Any

from polystack.redis import scan
from polystack.redis.args import LLONG_MAX, LLONG_MIN, parse_int
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.hash_type import (
    FIELD_NAMES,
    RedisHash,
    set_field,
    shared_name,
    try_conversion,
)
from polystack.redis.longdouble import format_long_double, ld_add, parse_long_double
from polystack.redis.lookup import db_add, db_delete, read_typed, write_typed
from polystack.redis.notify import NOTIFY_HASH, key_changed
from polystack.redis.objects import touch
from polystack.redis.scan import filter_pairs
from polystack.redis.wire import OK, bulk_array, bulk_map

_HASH = "hash"
_ONE_KEY = (1, 1, 1)
_LONG_MAX = LLONG_MAX
_field_names_get = FIELD_NAMES.get
_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
_NOT_INTEGER_VALUE = err("hash value is not an integer")
_NOT_FLOAT_VALUE = err("hash value is not a float")
_OVERFLOW = err("increment or decrement would overflow")


def _write_or_create(client: Any, key: bytes) -> RedisHash:
    """hashTypeLookupWriteOrCreate."""
    h = write_typed(client, key, RedisHash)
    if h is None:
        h = RedisHash()
        db_add(client, key, h)
    return h


def _changed(client: Any, key: bytes, event: bytes, dirty: int) -> None:
    """signalModifiedKey, the keyspace event and dirty (skipped at once when nothing
    listens: the hot path)."""
    ks = client.ks
    if ks.key_listeners or ks.notify_classes or ks.new_candidates:
        key_changed(client, client.db, key, NOTIFY_HASH, event)
    ks.dirty += dirty


# -- writing -----------------------------------------------------------------------------------
@command(
    "hset",
    -4,
    "write denyoom fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Set the string value of a hash field",
    complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs "
    "when the command is called with multiple field/value pairs.",
    arguments="key:key field_value:block+{field:string value:string}",
    history=(("4.0.0", "Accepts multiple `field` and `value` arguments."),),
    specs=(single("RW UPDATE"),),
)
def hset(client: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n & 1:
        raise err(f"wrong number of arguments for '{argv[0].decode('latin-1').lower()}' command")
    key = argv[1]
    db = client.db
    h = db.data.get(key)
    if h is None or (db.expires and key in db.expires):
        h = _write_or_create(client, key)
    elif type(h) is not RedisHash:
        raise _WRONGTYPE
    else:
        server = client.server
        if server.lfu:
            touch(client, key)
        else:  # (touch's common case, inline)
            db.lru[key] = server.lruclock
    ks = client.ks
    limits = ks.limits
    before = len(h)
    if n == 4:  # one field (the common case, inline)
        field, value = argv[2], argv[3]
        shared = _field_names_get(field)  # shared_name(field) of a known name, inline
        h[shared_name(field) if shared is None else shared] = value
        if h.listpack:
            longest = limits.hash_max_listpack_value
            if (
                len(field) > longest
                or len(value) > longest
                or len(h) > limits.hash_max_listpack_entries
            ):
                h.listpack = False
        if ks.key_listeners or ks.notify_classes or ks.new_candidates:
            key_changed(client, client.db, key, NOTIFY_HASH, b"hset")
        ks.dirty += 1
    else:
        if h.listpack:
            try_conversion(h, argv, 2, limits)
        for i in range(2, n, 2):
            h[shared_name(argv[i])] = argv[i + 1]
        if h.listpack and len(h) > limits.hash_max_listpack_entries:
            h.listpack = False
        _changed(client, key, b"hset", (n - 2) // 2)
    if argv[0][1] in b"sS":
        return len(h) - before
    return OK


@command(
    "hmset",
    -4,
    "write denyoom fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Set multiple hash fields to multiple values",
    complexity="O(N) where N is the number of fields being set.",
    arguments="key:key field_value:block+{field:string value:string}",
    deprecated=("4.0.0", "`HSET` with multiple field-value pairs"),
    specs=(single("RW UPDATE"),),
)
def hmset(client: Any, argv: list[bytes]) -> Any:
    return hset(client, argv)


@command(
    "hsetnx",
    4,
    "write denyoom fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Set the value of a hash field, only if the field does not exist",
    complexity="O(1)",
    arguments="key:key field:string value:string",
    specs=(single("RW INSERT"),),
)
def hsetnx(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    h = _write_or_create(client, key)
    if argv[2] in h:
        return 0
    limits = client.ks.limits
    try_conversion(h, argv, 2, limits)
    set_field(h, argv[2], argv[3], limits)
    _changed(client, key, b"hset", 1)
    return 1


@command(
    "hincrby",
    4,
    "write denyoom fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Increment the integer value of a hash field by the given number",
    complexity="O(1)",
    arguments="key:key field:string increment:integer",
    specs=(single("RW ACCESS UPDATE"),),
)
def hincrby(client: Any, argv: list[bytes]) -> Any:
    incr = parse_int(argv[3])
    key = argv[1]
    h = _write_or_create(client, key)
    old = h.get(argv[2])
    if old is None:
        value = 0
    else:
        try:
            value = parse_int(old)
        except RedisError:
            raise _NOT_INTEGER_VALUE from None
    if (incr < 0 and value < 0 and incr < LLONG_MIN - value) or (
        incr > 0 and value > 0 and incr > LLONG_MAX - value
    ):
        raise _OVERFLOW
    value += incr
    set_field(h, argv[2], b"%d" % value, client.ks.limits)
    _changed(client, key, b"hincrby", 1)
    return value


@command(
    "hincrbyfloat",
    4,
    "write denyoom fast",
    _ONE_KEY,
    _HASH,
    "2.6.0",
    "Increment the float value of a hash field by the given amount",
    complexity="O(1)",
    arguments="key:key field:string increment:double",
    specs=(single("RW ACCESS UPDATE"),),
)
def hincrbyfloat(client: Any, argv: list[bytes]) -> Any:
    incr = parse_long_double(argv[3])
    if isinstance(incr, float):  # inf or nan
        raise err("value is NaN or Infinity")
    key = argv[1]
    h = _write_or_create(client, key)
    old = h.get(argv[2])
    if old is None:
        total = incr
    else:
        try:
            value = parse_long_double(old)
        except RedisError:
            raise _NOT_FLOAT_VALUE from None
        added = ld_add(value, incr)
        if added is None:
            raise err("increment would produce NaN or Infinity")
        total = added
    new = format_long_double(total)
    set_field(h, argv[2], new, client.ks.limits)
    _changed(client, key, b"hincrbyfloat", 1)
    client.propagate = [[b"HSET", key, argv[2], new]]
    return new


@command(
    "hdel",
    -3,
    "write fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Delete one or more hash fields",
    complexity="O(N) where N is the number of fields to be removed.",
    arguments="key:key field:string+",
    history=(("2.4.0", "Accepts multiple `field` arguments."),),
    specs=(single("RW DELETE"),),
)
def hdel(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    h = write_typed(client, key, RedisHash)
    if h is None:
        return 0
    deleted = 0
    removed = False
    for field in argv[2:]:
        if h.pop(field, None) is not None:
            deleted += 1
            if not h:
                client.db.delete(key)
                removed = True
                break
    if deleted:
        _changed(client, key, b"hdel", deleted)
        if removed:
            db_delete(client, key)
    return deleted


# -- reading -----------------------------------------------------------------------------------
@command(
    "hget",
    3,
    "readonly fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Get the value of a hash field",
    complexity="O(1)",
    arguments="key:key field:string",
    specs=(single("RO ACCESS"),),
)
def hget(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    key = argv[1]
    h = db.data.get(key)
    if h is None or (db.expires and key in db.expires):
        h = read_typed(client, key, RedisHash)
        if h is None:
            return None
    else:
        client.ks.keyspace_hits += 1
        touch(client, argv[1])
        if type(h) is not RedisHash:
            raise _WRONGTYPE
    return h.get(argv[2])


@command(
    "hmget",
    -3,
    "readonly fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Get the values of all the given hash fields",
    complexity="O(N) where N is the number of fields being requested.",
    arguments="key:key field:string+",
    specs=(single("RO ACCESS"),),
)
def hmget(client: Any, argv: list[bytes]) -> Any:
    h = read_typed(client, argv[1], RedisHash)
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command(
    "hlen",
    2,
    "readonly fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Get the number of fields in a hash",
    complexity="O(1)",
    arguments="key:key",
    specs=(single("RO"),),
)
def hlen(client: Any, argv: list[bytes]) -> Any:
    h = read_typed(client, argv[1], RedisHash)
    return 0 if h is None else len(h)


@command(
    "hstrlen",
    3,
    "readonly fast",
    _ONE_KEY,
    _HASH,
    "3.2.0",
    "Get the length of the value of a hash field",
    complexity="O(1)",
    arguments="key:key field:string",
    specs=(single("RO"),),
)
def hstrlen(client: Any, argv: list[bytes]) -> Any:
    h = read_typed(client, argv[1], RedisHash)
    if h is None:
        return 0
    v = h.get(argv[2])
    return 0 if v is None else len(v)


@command(
    "hexists",
    3,
    "readonly fast",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Determine if a hash field exists",
    complexity="O(1)",
    arguments="key:key field:string",
    specs=(single("RO"),),
)
def hexists(client: Any, argv: list[bytes]) -> Any:
    h = read_typed(client, argv[1], RedisHash)
    return 1 if h is not None and argv[2] in h else 0


_ORDER_TIP = ("nondeterministic_output_order",)


@command(
    "hgetall",
    2,
    "readonly",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Get all the fields and values in a hash",
    complexity="O(N) where N is the size of the hash.",
    tips=_ORDER_TIP,
    arguments="key:key",
    specs=(single("RO ACCESS"),),
)
def hgetall(client: Any, argv: list[bytes]) -> Any:
    h = read_typed(client, argv[1], RedisHash)
    if h is None:
        return {}
    return bulk_map([x for kv in h.items() for x in kv], client.resp3)


@command(
    "hkeys",
    2,
    "readonly",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Get all the fields in a hash",
    complexity="O(N) where N is the size of the hash.",
    tips=_ORDER_TIP,
    arguments="key:key",
    specs=(single("RO ACCESS"),),
)
def hkeys(client: Any, argv: list[bytes]) -> Any:
    h = read_typed(client, argv[1], RedisHash)
    return [] if h is None else bulk_array(list(h))


@command(
    "hvals",
    2,
    "readonly",
    _ONE_KEY,
    _HASH,
    "2.0.0",
    "Get all the values in a hash",
    complexity="O(N) where N is the size of the hash.",
    tips=_ORDER_TIP,
    arguments="key:key",
    specs=(single("RO ACCESS"),),
)
def hvals(client: Any, argv: list[bytes]) -> Any:
    h = read_typed(client, argv[1], RedisHash)
    return [] if h is None else bulk_array(list(h.values()))


# -- HRANDFIELD ---------------------------------------------------------------------------------
_SUB_STRATEGY_MUL = 3
# Redis would stream out any number of repeated picks; polystack builds a reply in memory, so
# a negative count beyond this many elements is refused rather than exhausting memory.
MAX_RANDOM_REPLY = 1 << 24


def _pairs_reply(client: Any, pairs: list[tuple[bytes, bytes]], withvalues: bool) -> list:
    if not withvalues:
        return [f for f, _ in pairs]
    if client.resp3:
        return [[f, v] for f, v in pairs]
    return [x for kv in pairs for x in kv]


def random_pairs(h: RedisHash, count: int, unique: bool) -> list[tuple[bytes, bytes]]:
    """hrandfieldWithCountCommand's selection: with repetitions and in random order when not
    ``unique``; else min(count, size) distinct fields (in the hash's order when the whole
    hash or a listpack's sample is returned)."""
    items = list(h.items())
    size = len(items)
    if not unique or count == 1:
        return [items[random.randrange(size)] for _ in range(count)]
    if count >= size:
        return items
    if count * _SUB_STRATEGY_MUL > size:
        keep = set(random.sample(range(size), count))
        picked = [items[i] for i in sorted(keep)]
        random.shuffle(picked)
        return picked
    if h.listpack:
        return [items[i] for i in sorted(random.sample(range(size), count))]
    return [items[i] for i in random.sample(range(size), count)]


@command(
    "hrandfield",
    -2,
    "readonly",
    _ONE_KEY,
    _HASH,
    "6.2.0",
    "Get one or multiple random fields from a hash",
    complexity="O(N) where N is the number of fields returned",
    tips=("nondeterministic_output",),
    arguments="key:key options:block?{count:integer withvalues:pure-token'WITHVALUES'?}",
    specs=(single("RO ACCESS"),),
)
def hrandfield(client: Any, argv: list[bytes]) -> Any:
    if len(argv) >= 3:
        count = parse_int(argv[2])
        if count < -_LONG_MAX:
            raise err(f"value is out of range, value must between {-_LONG_MAX} and {_LONG_MAX}")
        withvalues = False
        if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
            raise SYNTAX
        if len(argv) == 4:
            withvalues = True
            if count < -(_LONG_MAX // 2) or count > _LONG_MAX // 2:
                raise err("value is out of range")
        h = read_typed(client, argv[1], RedisHash)
        if h is None or count == 0:
            return []
        if count < -MAX_RANDOM_REPLY:
            raise err(f"count larger than polystack's reply limit of {MAX_RANDOM_REPLY}")
        pairs = random_pairs(h, abs(count), count > 0)
        return _pairs_reply(client, pairs, withvalues)
    h = read_typed(client, argv[1], RedisHash)
    if h is None:
        return None
    return random_pairs(h, 1, False)[0][0]


# -- HSCAN -------------------------------------------------------------------------------------
@command(
    "hscan",
    -3,
    "readonly",
    _ONE_KEY,
    _HASH,
    "2.8.0",
    "Incrementally iterate hash fields and associated values",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command "
    "calls for the cursor to return back to 0. N is the number of elements inside the "
    "collection..",
    tips=("nondeterministic_output",),
    arguments="key:key cursor:integer pattern:pattern'MATCH'? count:integer'COUNT'?",
    specs=(single("RO ACCESS"),),
)
def hscan(client: Any, argv: list[bytes]) -> Any:
    from_cursor = scan.parse_cursor(argv[2])
    h = read_typed(client, argv[1], RedisHash)
    if h is None:
        return [b"0", []]
    count, match = scan.parse_options(argv, 3)
    if h.listpack:
        items = [x for kv in h.items() for x in kv]
        return scan.reply(0, filter_pairs(items, match))
    cursor, fields = scan.scan_hashtable(h, from_cursor, count, lambda: list(h), h.__contains__)
    items = []
    for f in fields:
        items += [f, h[f]]
    return scan.reply(cursor, filter_pairs(items, match))
