"""Generic keyspace commands (db.c, object.c, cluster.c's DUMP/RESTORE; expiry is in expire.py).

SCAN's cursor is a position in a fixed order of keys (a 63-bit hash of each key, then the
key itself): each call returns keys at or after the cursor in that order and the position
after the last one returned, 0 when none are left.  The order does not depend on what else
is in the database, so every key present from the first call to the last is returned
exactly once, whatever is added or removed between calls (Redis promises at least once).
"""

from __future__ import annotations

import bisect
import copy
import random
from collections.abc import Sequence
from typing import Any

from polystack.redis import rdb, slices
from polystack.redis.args import parse_int, parse_int32
from polystack.redis.commands import COMMANDS, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.glob import compile_pattern
from polystack.redis.lookup import lookup_read, lookup_write
from polystack.redis.notify import NOTIFY_GENERIC, NOTIFY_NEW, key_changed, notify
from polystack.redis.objects import (
    LFU_INIT_VAL,
    duplicate,
    encoding_of,
    lfu_counter,
    lfu_policy,
    new_stamp,
    refcount_of,
)
from polystack.redis.scan import parse_cursor
from polystack.redis.store import type_name
from polystack.redis.wire import OK, Simple

_GENERIC = "generic"
_SAME_OBJECT = err("source and destination objects are the same")
_NO_SUCH_KEY = err("no such key")
_LRU_MASK = (1 << 24) - 1
_LRU_CLOCK_MAX = _LRU_MASK


# -- deleting and testing -------------------------------------------------------------
def _delete_keys(client: Any, keys: list[bytes]) -> int:
    n = 0
    db = client.db
    now = client.now_ms()
    for key in keys:
        if db.get(key, now) is not None and db.delete(key):
            key_changed(client, db, key, NOTIFY_GENERIC, b"del")
            n += 1
    client.ks.dirty += n
    return n


@command(
    "del",
    -2,
    "write",
    (1, -1, 1),
    _GENERIC,
    "1.0.0",
    "Delete a key",
    complexity="O(N) where N is the number of keys that will be removed. When a key to "
    "remove holds a value other than a string, the individual complexity for this key is "
    "O(M) where M is the number of elements in the list, set, sorted set or hash. Removing "
    "a single key that holds a string value is O(1).",
    tips=("request_policy:multi_shard", "response_policy:agg_sum"),
)
def del_(client: Any, argv: list[bytes]) -> Any:
    return _delete_keys(client, argv[1:])


@command(
    "unlink",
    -2,
    "write fast",
    (1, -1, 1),
    _GENERIC,
    "4.0.0",
    "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
    complexity="O(1) for each key removed regardless of its size. Then the command does "
    "O(N) work in a different thread in order to reclaim memory, where N is the number of "
    "allocations the deleted objects where composed of.",
    tips=("request_policy:multi_shard", "response_policy:agg_sum"),
)
def unlink(client: Any, argv: list[bytes]) -> Any:
    return _delete_keys(client, argv[1:])


@command(
    "exists",
    -2,
    "readonly fast",
    (1, -1, 1),
    _GENERIC,
    "1.0.0",
    "Determine if a key exists",
    complexity="O(N) where N is the number of keys to check.",
    tips=("request_policy:multi_shard", "response_policy:agg_sum"),
)
def exists(client: Any, argv: list[bytes]) -> Any:
    return sum(1 for key in argv[1:] if lookup_read(client, key, notouch=True) is not None)


@command(
    "touch",
    -2,
    "readonly fast",
    (1, -1, 1),
    _GENERIC,
    "3.2.1",
    "Alters the last access time of a key(s). Returns the number of existing keys specified.",
    complexity="O(N) where N is the number of keys that will be touched.",
    tips=("request_policy:multi_shard", "response_policy:agg_sum"),
)
def touch_(client: Any, argv: list[bytes]) -> Any:
    n = 0
    for key in argv[1:]:
        if lookup_read(client, key) is not None:
            n += 1
    return n


@command(
    "type",
    2,
    "readonly fast",
    (1, 1, 1),
    _GENERIC,
    "1.0.0",
    "Determine the type stored at key",
    complexity="O(1)",
)
def type_(client: Any, argv: list[bytes]) -> Any:
    value = lookup_read(client, argv[1], notouch=True)
    return Simple(b"none" if value is None else type_name(value).encode())


# -- renaming and moving ------------------------------------------------------------------
def _signal_ready(client: Any, db: Any, key: bytes) -> None:
    """dbAdd's signalKeyAsReady: clients blocked on ``key`` may be served."""
    if db.blocking_keys:
        client.ks.signal_key_as_ready(db, key)


def _move_entry(client: Any, src: Any, dst: Any, key: bytes, newkey: bytes, value: Any) -> None:
    """Put ``value`` at ``newkey`` in ``dst`` with ``key``'s deadline and access time."""
    when = src.expires.get(key)
    lru = src.lru.get(key)
    dst.set(newkey, value)
    _signal_ready(client, dst, newkey)
    if when is not None:
        dst.set_expire(newkey, when)
    if lru is not None:
        dst.lru[newkey] = lru


def _rename(client: Any, argv: list[bytes], nx: bool) -> Any:
    key, newkey = argv[1], argv[2]
    value = lookup_write(client, key)
    if value is None:
        raise _NO_SUCH_KEY
    if key == newkey:
        return 0 if nx else OK
    db = client.db
    if lookup_write(client, newkey) is not None:
        if nx:
            return 0
        db.delete(newkey)
    _move_entry(client, db, db, key, newkey, value)
    notify(client, NOTIFY_NEW, b"new", newkey)  # dbAdd, even over a deleted target
    db.delete(key)
    client.ks.dirty += 1
    key_changed(client, db, key, NOTIFY_GENERIC, b"rename_from")
    key_changed(client, db, newkey, NOTIFY_GENERIC, b"rename_to")
    return 1 if nx else OK


@command("rename", 3, "write", (1, 2, 1), _GENERIC, "1.0.0", "Rename a key", complexity="O(1)")
def rename(client: Any, argv: list[bytes]) -> Any:
    return _rename(client, argv, False)


@command(
    "renamenx",
    3,
    "write fast",
    (1, 2, 1),
    _GENERIC,
    "1.0.0",
    "Rename a key, only if the new key does not exist",
    complexity="O(1)",
)
def renamenx(client: Any, argv: list[bytes]) -> Any:
    return _rename(client, argv, True)


def _target_db(client: Any, arg: bytes) -> Any:
    dbid = parse_int32(arg)
    dbs = client.ks.dbs
    if not 0 <= dbid < len(dbs):
        raise err("DB index is out of range")
    return dbs[dbid]


@command(
    "move",
    3,
    "write fast",
    (1, 1, 1),
    _GENERIC,
    "1.0.0",
    "Move a key to another database",
    complexity="O(1)",
)
def move(client: Any, argv: list[bytes]) -> Any:
    src = client.db
    dst = _target_db(client, argv[2])
    if src is dst:
        raise _SAME_OBJECT
    key = argv[1]
    value = lookup_write(client, key)
    if value is None:
        return 0
    if dst.get(key, client.now_ms()) is not None:
        return 0
    _move_entry(client, src, dst, key, key, value)
    notify(client, NOTIFY_NEW, b"new", key, db=dst)
    src.delete(key)
    client.ks.dirty += 1
    key_changed(client, src, key, NOTIFY_GENERIC, b"move_from")
    key_changed(client, dst, key, NOTIFY_GENERIC, b"move_to")
    return 1


def copy_value(client: Any, value: Any) -> Any:
    """A value for COPY: strings are immutable (a copy is only unshared); other types may
    define ``copy_value``."""
    if type(value) is bytes:
        return duplicate(client, value)
    fn = getattr(value, "copy_value", None)
    return fn() if callable(fn) else copy.deepcopy(value)


@command(
    "copy",
    -3,
    "write denyoom",
    (1, 2, 1),
    _GENERIC,
    "6.2.0",
    "Copy a key",
    complexity="O(N) worst case for collections, where N is the number of nested items. "
    "O(1) for string values.",
)
def copy_(client: Any, argv: list[bytes]) -> Any:
    src = dst = client.db
    replace = False
    j = 3
    while j < len(argv):
        opt = argv[j].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and j + 1 < len(argv):
            dst = _target_db(client, argv[j + 1])
            j += 1
        else:
            raise SYNTAX
        j += 1
    key, newkey = argv[1], argv[2]
    if src is dst and key == newkey:
        raise _SAME_OBJECT
    value = lookup_read(client, key)
    if value is None:
        return 0
    now = client.now_ms()
    if dst.get(newkey, now) is not None:
        if not replace:
            return 0
        dst.delete(newkey)
    when = src.expires.get(key)
    dst.set(newkey, copy_value(client, value))
    _signal_ready(client, dst, newkey)
    if when is not None:
        dst.set_expire(newkey, when)
    dst.lru[newkey] = new_stamp(client)
    notify(client, NOTIFY_NEW, b"new", newkey, db=dst)  # dbAdd, even after REPLACE deleted it
    client.ks.dirty += 1
    key_changed(client, dst, newkey, NOTIFY_GENERIC, b"copy_to")
    return 1


# -- iteration -----------------------------------------------------------------------------
@command(
    "keys",
    2,
    "readonly",
    (0, 0, 0),
    _GENERIC,
    "1.0.0",
    "Find all keys matching the given pattern",
    complexity="O(N) with N being the number of keys in the database, under the "
    "assumption that the key names in the database and the given pattern have limited "
    "length.",
    acl=("@dangerous",),
    tips=("request_policy:all_shards", "nondeterministic_output_order"),
)
def keys(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    match = compile_pattern(argv[1])
    expires = db.expires
    now = client.now_ms() if expires else 0
    if len(db.data) > slices.SLICE and slices.can_yield(client):
        return _keys_in_slices(client, list(db.data), match, dict(expires) if expires else {}, now)
    out = []
    for key in db.data:
        if match(key):
            when = expires.get(key) if expires else None
            if when is None or when > now:
                out.append(key)
    return out


def _keys_in_slices(client: Any, names: list[bytes], match: Any, expires: dict, now: int) -> Any:
    """KEYS over a large database without holding the loop: the names and deadlines are
    copied now (the reply is the keyspace as it is now), matched a slice per loop turn."""
    parts: list[bytes] = []

    def visit(batch: Sequence[bytes]) -> None:
        for key in batch:
            if match(key):
                when = expires.get(key) if expires else None
                if when is None or when > now:
                    parts.append(b"$%d\r\n%b\r\n" % (len(key), key))

    return slices.walk(client, names, visit, lambda: b"*%d\r\n%b" % (len(parts), b"".join(parts)))


_CURSOR_HASH_MASK = (1 << 63) - 1
# id(Database) -> (id of the data dict, keyspace dirty counter, sorted hashes, keys in that order)
_SCAN_ORDER: dict[int, tuple[int, int, list[int], list[bytes]]] = {}


def scan_position(key: bytes) -> int:
    return (hash(key) & _CURSOR_HASH_MASK) or 1


def _scan_order(client: Any, cursor: int) -> tuple[list[int], list[bytes]]:
    """The database's keys in cursor order.  The cached order is rebuilt when an iteration
    starts after the data changed, so it always holds every key that has been present since
    any iteration still running began (keys added later may or may not be seen)."""
    db = client.db
    cached = _SCAN_ORDER.get(id(db))
    if cached is None or cached[0] != id(db.data) or (cursor == 0 and cached[1] != client.ks.dirty):
        entries = sorted((scan_position(k), k) for k in db.data)
        cached = (id(db.data), client.ks.dirty, [h for h, _ in entries], [k for _, k in entries])
        _SCAN_ORDER[id(db)] = cached
    return cached[2], cached[3]


@command(
    "scan",
    -2,
    "readonly",
    (0, 0, 0),
    _GENERIC,
    "2.8.0",
    "Incrementally iterate the keys space",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough "
    "command calls for the cursor to return back to 0. N is the number of elements inside "
    "the collection.",
    tips=("nondeterministic_output", "request_policy:special"),
)
def scan(client: Any, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[1])
    count = 10
    pattern: bytes | None = None
    typename: bytes | None = None
    i = 2
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        more = n - i
        if opt == b"count" and more >= 2:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise SYNTAX
            i += 2
        elif opt == b"match" and more >= 2:
            pattern = argv[i + 1]
            i += 2
        elif opt == b"type" and more >= 2:
            typename = argv[i + 1].lower()
            i += 2
        else:
            raise SYNTAX
    hashes, ordered = _scan_order(client, cursor)
    pos = bisect.bisect_left(hashes, cursor)
    db = client.db
    batch: list[bytes] = []
    total = len(ordered)
    while pos < total and len(batch) < count:
        batch.append(ordered[pos])
        pos += 1
    while pos < total and batch and hashes[pos] == hashes[pos - 1]:
        batch.append(ordered[pos])  # never split keys sharing one position
        pos += 1
    next_cursor = hashes[pos] if pos < total else 0
    match = compile_pattern(pattern) if pattern is not None and pattern != b"*" else None
    now = client.now_ms()
    out: list[bytes] = []
    data = db.data
    for key in batch:
        if key not in data:
            continue
        if match is not None and not match(key):
            continue
        if typename is not None:
            value = lookup_read(client, key, notouch=True, nonotify=True)
            name = b"none" if value is None else type_name(value).encode()
            if name != typename:
                continue
        if db.get(key, now) is None:
            continue
        out.append(key)
    return [b"%d" % next_cursor, out]


@command(
    "randomkey",
    1,
    "readonly",
    (0, 0, 0),
    _GENERIC,
    "1.0.0",
    "Return a random key from the keyspace",
    complexity="O(1)",
    tips=("request_policy:all_shards", "nondeterministic_output"),
)
def randomkey(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    now = client.now_ms()
    while db.data:
        key = next(iter(_random_keys(db.data, 1)))
        if db.get(key, now) is not None:
            return key
    return None


def _random_keys(data: dict[bytes, Any], n: int) -> list[bytes]:
    size = len(data)
    picks = sorted(random.randrange(size) for _ in range(n))
    out = []
    it = iter(data)
    pos = -1
    for p in picks:
        while pos < p:
            key = next(it)
            pos += 1
        out.append(key)
    return out


# -- OBJECT --------------------------------------------------------------------------------
container("object", _GENERIC, "2.2.3", "A container for object introspection commands")
COMMANDS[b"object"].acl_categories = ("@slow",)
COMMANDS[b"object"].complexity = "Depends on subcommand."

_LFU_NOT_SELECTED = (
    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust."
)
_LFU_SELECTED = (
    "An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)


def _object_value(client: Any, key: bytes) -> Any:
    return lookup_read(client, key, notouch=True, nonotify=True)


def idle_seconds(client: Any, key: bytes) -> int:
    """estimateObjectIdleTime in seconds, from the 24-bit LRU clock."""
    clock = (client.now_ms() // 1000) & _LRU_MASK
    lru = client.db.lru.get(key, clock) & _LRU_MASK
    if clock >= lru:
        return clock - lru
    return clock + (_LRU_CLOCK_MAX - lru)


_OBJECT_HELP = [
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
]


@command(
    "freq",
    3,
    "readonly",
    (2, 2, 1),
    _GENERIC,
    "4.0.0",
    "Get the logarithmic access frequency counter of a Redis object",
    complexity="O(1)",
    parent="object",
    tips=("nondeterministic_output",),
)
def object_freq(client: Any, argv: list[bytes]) -> Any:
    value = _object_value(client, argv[2])
    if value is None:
        return None
    if not lfu_policy(client):
        raise err(_LFU_NOT_SELECTED)
    return lfu_counter(client, client.db.lru.get(argv[2]))


@command(
    "help",
    2,
    "loading stale",
    (0, 0, 0),
    _GENERIC,
    "6.2.0",
    "Show helpful text about the different subcommands",
    complexity="O(1)",
    parent="object",
)
def object_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("OBJECT", _OBJECT_HELP)


@command(
    "idletime",
    3,
    "readonly",
    (2, 2, 1),
    _GENERIC,
    "2.2.3",
    "Get the time since a Redis object was last accessed",
    complexity="O(1)",
    parent="object",
    tips=("nondeterministic_output",),
)
def object_idletime(client: Any, argv: list[bytes]) -> Any:
    value = _object_value(client, argv[2])
    if value is None:
        return None
    if lfu_policy(client):
        raise err(_LFU_SELECTED)
    return idle_seconds(client, argv[2])


@command(
    "encoding",
    3,
    "readonly",
    (2, 2, 1),
    _GENERIC,
    "2.2.3",
    "Inspect the internal encoding of a Redis object",
    complexity="O(1)",
    parent="object",
    tips=("nondeterministic_output",),
)
def object_encoding(client: Any, argv: list[bytes]) -> Any:
    value = _object_value(client, argv[2])
    if value is None:
        return None
    if type(value) is bytes:
        return encoding_of(value).encode()
    fn = getattr(value, "encoding", None)
    enc = fn() if callable(fn) else fn
    return (enc or type_name(value)).encode()


@command(
    "refcount",
    3,
    "readonly",
    (2, 2, 1),
    _GENERIC,
    "2.2.3",
    "Get the number of references to the value of the key",
    complexity="O(1)",
    parent="object",
    tips=("nondeterministic_output",),
)
def object_refcount(client: Any, argv: list[bytes]) -> Any:
    value = _object_value(client, argv[2])
    if value is None:
        return None
    return refcount_of(client, value) if type(value) is bytes else 1


# -- DUMP / RESTORE -----------------------------------------------------------------------
@command(
    "dump",
    2,
    "readonly",
    (1, 1, 1),
    _GENERIC,
    "2.6.0",
    "Return a serialized version of the value stored at the specified key.",
    complexity="O(1) to access the key and additional O(N*M) to serialize it, where N is "
    "the number of Redis objects composing the value and M their average size. For small "
    "string values the time complexity is thus O(1)+O(1*M) where M is small, so simply "
    "O(1).",
    tips=("nondeterministic_output",),
)
def dump(client: Any, argv: list[bytes]) -> Any:
    value = lookup_read(client, argv[1])
    if value is None:
        return None
    try:
        return rdb.dump_payload(value)
    except TypeError:
        raise err(f"DUMP is not supported for {type_name(value)} values here") from None


@command(
    "restore",
    -4,
    "write denyoom",
    (1, 1, 1),
    _GENERIC,
    "2.6.0",
    "Create a key using the provided serialized value, previously obtained using DUMP.",
    complexity="O(1) to create the new key and additional O(N*M) to reconstruct the "
    "serialized value, where N is the number of Redis objects composing the value and M "
    "their average size. For small string values the time complexity is thus "
    "O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the "
    "complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
    acl=("@dangerous",),
)
def restore(client: Any, argv: list[bytes]) -> Any:
    replace = absttl = False
    idle = freq = -1
    j = 4
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        more = n - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and more >= 1 and freq == -1:
            idle = parse_int(argv[j + 1])
            if idle < 0:
                raise err("Invalid IDLETIME value, must be >= 0")
            j += 1
        elif opt == b"freq" and more >= 1 and idle == -1:
            freq = parse_int(argv[j + 1])
            if freq < 0 or freq > 255:
                raise err("Invalid FREQ value, must be >= 0 and <= 255")
            j += 1
        else:
            raise SYNTAX
        j += 1
    key = argv[1]
    db = client.db
    if not replace and lookup_write(client, key) is not None:
        raise RedisError("BUSYKEY", "Target key name already exists.")
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise err("Invalid TTL value, must be >= 0")
    payload = argv[3]
    if not rdb.verify_payload(payload):
        raise err("DUMP payload version or checksum are wrong")
    try:
        value = rdb.load_payload(payload, client.ks.limits)
    except (rdb.RDBError, ValueError, IndexError):
        raise err("Bad data format") from None
    deleted = replace and db.get(key, client.now_ms()) is not None and db.delete(key)
    now = client.now_ms()
    if ttl and not absttl:
        ttl += now
    if ttl and ttl <= now and not client.server.loading:
        if deleted:
            client.propagate = [[b"DEL", key]]
            client.ks.dirty += 1
            key_changed(client, db, key, NOTIFY_GENERIC, b"del")
        return OK
    db.set(key, value)
    _signal_ready(client, db, key)
    notify(client, NOTIFY_NEW, b"new", key)  # dbAdd (REPLACE deleted the old key first)
    if ttl:
        db.set_expire(key, ttl)
    _set_lru_or_lfu(client, key, idle, freq)
    propagate = [b"RESTORE", key, b"%d" % ttl, payload, b"ABSTTL"]
    if replace:
        propagate.append(b"REPLACE")
    if idle >= 0:
        propagate += [b"IDLETIME", b"%d" % idle]
    if freq >= 0:
        propagate += [b"FREQ", b"%d" % freq]
    client.propagate = [propagate]
    client.ks.dirty += 1
    key_changed(client, db, key, NOTIFY_GENERIC, b"restore")
    return OK


def _set_lru_or_lfu(client: Any, key: bytes, idle: int, freq: int) -> None:
    """objectSetLRUOrLFU: the restored object's access time or frequency."""
    db = client.db
    if lfu_policy(client):
        counter = freq if freq >= 0 else LFU_INIT_VAL
        db.lru[key] = (((client.now_ms() // 60000) & 0xFFFF) << 8) | counter
        return
    clock = (client.now_ms() // 1000) & _LRU_MASK
    if idle >= 0:
        lru_abs = clock - idle
        if lru_abs < 0:
            lru_abs = (clock + _LRU_CLOCK_MAX // 2) % _LRU_CLOCK_MAX
        db.lru[key] = lru_abs
    else:
        db.lru[key] = clock
