"""Set commands (t_set.c): SADD ... SSCAN, the algebra (SINTER/SUNION/SDIFF and their STORE
forms, SINTERCARD) and the random picks (SPOP, SRANDMEMBER) with Redis 7.0's strategies."""

from __future__ import annotations

import random
from typing import Any

from polystack.redis import scan
from polystack.redis.args import LLONG_MAX, parse_positive, parse_range
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single, spec
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.lookup import db_add, db_delete, lookup_read, read_typed, write_typed
from polystack.redis.notify import NOTIFY_GENERIC, NOTIFY_SET, key_changed, modified, notify
from polystack.redis.objects import new_stamp, touch
from polystack.redis.set_type import RedisSet, from_members
from polystack.redis.wire import bulk_array, bulk_set

_SET = "set"
_ONE_KEY = (1, 1, 1)
_WRONGTYPE = RedisError("WRONGTYPE", "Operation against a key holding the wrong kind of value")
_ORDER_TIP = ("nondeterministic_output_order",)
_RANDOM_TIP = ("nondeterministic_output",)
# A negative SRANDMEMBER count beyond this is refused (polystack builds replies in memory).
MAX_RANDOM_REPLY = 1 << 24


def _changed(client: Any, key: bytes, event: bytes, dirty: int) -> None:
    """signalModifiedKey, the keyspace event and dirty (skipped at once when nothing
    listens: the hot path)."""
    ks = client.ks
    if ks.key_listeners or ks.notify_classes or ks.new_candidates:
        key_changed(client, client.db, key, NOTIFY_SET, event)
    ks.dirty += dirty


@command(
    "sadd",
    -3,
    "write denyoom fast",
    _ONE_KEY,
    _SET,
    "1.0.0",
    "Add one or more members to a set",
    complexity="O(1) for each element added, so O(N) to add N elements when the command is "
    "called with multiple arguments.",
    arguments="key:key member:string+",
    history=(("2.4.0", "Accepts multiple `member` arguments."),),
    specs=(single("RW INSERT"),),
)
def sadd(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    db = client.db
    s = db.data.get(key)
    if s is None or (db.expires and key in db.expires):
        s = write_typed(client, key, RedisSet)
        if s is None:
            s = RedisSet.for_member(argv[2])
            db_add(client, key, s)
    elif type(s) is not RedisSet:
        raise _WRONGTYPE
    else:
        server = client.server
        if server.lfu:
            touch(client, key)
        else:  # (touch's common case, inline)
            db.lru[key] = server.lruclock
        if len(argv) == 3 and s.ints is None:  # one member into a hashtable: inline
            m = argv[2]
            index = s.index
            if m in index:
                return 0
            items = s.items
            index[m] = len(items)
            items.append(m)
            _changed(client, key, b"sadd", 1)
            return 1
    limits = client.ks.limits
    added = 0
    if s.ints is None:
        index = s.index
        items = s.items
        for m in argv[2:]:
            if m not in index:
                index[m] = len(items)
                items.append(m)
                added += 1
    else:
        for m in argv[2:]:
            if s.add(m, limits):
                added += 1
    if added:
        _changed(client, key, b"sadd", added)
    return added


@command(
    "srem",
    -3,
    "write fast",
    _ONE_KEY,
    _SET,
    "1.0.0",
    "Remove one or more members from a set",
    complexity="O(N) where N is the number of members to be removed.",
    arguments="key:key member:string+",
    history=(("2.4.0", "Accepts multiple `member` arguments."),),
    specs=(single("RW DELETE"),),
)
def srem(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    s = write_typed(client, key, RedisSet)
    if s is None:
        return 0
    deleted = 0
    removed = False
    for m in argv[2:]:
        if s.remove(m):
            deleted += 1
            if not len(s):
                client.db.delete(key)
                removed = True
                break
    if deleted:
        _changed(client, key, b"srem", deleted)
        if removed:
            notify(client, NOTIFY_GENERIC, b"del", key)
    return deleted


@command(
    "smove",
    4,
    "write fast",
    (1, 2, 1),
    _SET,
    "1.0.0",
    "Move a member from one set to another",
    complexity="O(1)",
    arguments="source:key destination:key member:string",
    specs=(single("RW ACCESS DELETE"), single("RW INSERT", 2)),
)
def smove(client: Any, argv: list[bytes]) -> Any:
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    db = client.db
    now = client.now_ms()
    src = db.get(src_key, now)
    dst = db.get(dst_key, now)
    if src is None:
        return 0
    if type(src) is not RedisSet or (dst is not None and type(dst) is not RedisSet):
        raise _WRONGTYPE
    touch(client, src_key)
    if dst is not None:
        touch(client, dst_key)
    if src is dst:
        return 1 if member in src else 0
    if not src.remove(member):
        return 0
    notify(client, NOTIFY_SET, b"srem", src_key)
    if not len(src):
        db_delete(client, src_key)
    if dst is None:
        dst = RedisSet.for_member(member)
        db_add(client, dst_key, dst)
    modified(client, src_key)
    client.ks.dirty += 1
    if dst.add(member, client.ks.limits):
        client.ks.dirty += 1
        modified(client, dst_key)
        notify(client, NOTIFY_SET, b"sadd", dst_key)
    return 1


@command(
    "sismember",
    3,
    "readonly fast",
    _ONE_KEY,
    _SET,
    "1.0.0",
    "Determine if a given value is a member of a set",
    complexity="O(1)",
    arguments="key:key member:string",
    specs=(single("RO"),),
)
def sismember(client: Any, argv: list[bytes]) -> Any:
    s = read_typed(client, argv[1], RedisSet)
    return 1 if s is not None and argv[2] in s else 0


@command(
    "smismember",
    -3,
    "readonly fast",
    _ONE_KEY,
    _SET,
    "6.2.0",
    "Returns the membership associated with the given elements for a set",
    complexity="O(N) where N is the number of elements being checked for membership",
    arguments="key:key member:string+",
    specs=(single("RO ACCESS"),),
)
def smismember(client: Any, argv: list[bytes]) -> Any:
    s = read_typed(client, argv[1], RedisSet)
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@command(
    "scard",
    2,
    "readonly fast",
    _ONE_KEY,
    _SET,
    "1.0.0",
    "Get the number of members in a set",
    complexity="O(1)",
    arguments="key:key",
    specs=(single("RO"),),
)
def scard(client: Any, argv: list[bytes]) -> Any:
    s = read_typed(client, argv[1], RedisSet)
    return 0 if s is None else len(s)


@command(
    "smembers",
    2,
    "readonly",
    _ONE_KEY,
    _SET,
    "1.0.0",
    "Get all the members in a set",
    complexity="O(N) where N is the set cardinality.",
    tips=_ORDER_TIP,
    arguments="key:key",
    specs=(single("RO ACCESS"),),
)
def smembers(client: Any, argv: list[bytes]) -> Any:
    s = read_typed(client, argv[1], RedisSet)
    if s is None:
        return bulk_set([], client.resp3)
    return bulk_set(s.members(), client.resp3)


# -- random picks ---------------------------------------------------------------------------------
_SPOP_MOVE_STRATEGY_MUL = 5
_SRANDMEMBER_SUB_STRATEGY_MUL = 3


def _pop_random(s: RedisSet) -> bytes:
    m = s.random_member()
    s.remove(m)
    return m


@command(
    "spop",
    -2,
    "write fast",
    _ONE_KEY,
    _SET,
    "1.0.0",
    "Remove and return one or multiple random members from a set",
    complexity="Without the count argument O(1), otherwise O(N) where N is the value of the "
    "passed count.",
    tips=_RANDOM_TIP,
    arguments="key:key count:integer?@3.2.0",
    history=(("3.2.0", "Added the `count` argument."),),
    specs=(single("RW ACCESS DELETE"),),
)
def spop(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise SYNTAX
    key = argv[1]
    if len(argv) == 3:
        return _spop_count(client, key, parse_positive(argv[2]))
    s = write_typed(client, key, RedisSet)
    if s is None:
        return None
    m = _pop_random(s)
    notify(client, NOTIFY_SET, b"spop", key)
    client.propagate = [[b"SREM", key, m]]
    if not len(s):
        db_delete(client, key)
    modified(client, key)
    client.ks.dirty += 1
    return m


def _spop_count(client: Any, key: bytes, count: int) -> Any:
    s = write_typed(client, key, RedisSet)
    if s is None or count == 0:
        return bulk_set([], client.resp3)
    size = len(s)
    notify(client, NOTIFY_SET, b"spop", key)
    limits = client.ks.limits
    client.ks.dirty += min(count, size)
    if count >= size:
        popped = from_members(s.members(), limits).members()
        db_delete(client, key)
        client.propagate = [[b"DEL", key]]
        modified(client, key)
        return bulk_set(popped, client.resp3)
    remaining = size - count
    if remaining * _SPOP_MOVE_STRATEGY_MUL > count:
        popped = [_pop_random(s) for _ in range(count)]
    else:
        kept = [_pop_random(s) for _ in range(remaining)]
        popped = s.members()
        new = RedisSet.for_member(kept[0])
        for m in kept:
            new.add(m, limits)
        client.db.data[key] = new
    client.propagate = [[b"SREM", key, *popped]]
    modified(client, key)
    return bulk_set(popped, client.resp3)


@command(
    "srandmember",
    -2,
    "readonly",
    _ONE_KEY,
    _SET,
    "1.0.0",
    "Get one or multiple random members from a set",
    complexity="Without the count argument O(1), otherwise O(N) where N is the absolute value "
    "of the passed count.",
    tips=_RANDOM_TIP,
    arguments="key:key count:integer?@2.6.0",
    history=(("2.6.0", "Added the optional `count` argument."),),
    specs=(single("RO ACCESS"),),
)
def srandmember(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise SYNTAX
    if len(argv) == 2:
        s = read_typed(client, argv[1], RedisSet)
        return None if s is None else s.random_member()
    count = parse_range(argv[2], -LLONG_MAX, LLONG_MAX)
    s = read_typed(client, argv[1], RedisSet)
    if s is None or count == 0:
        return []
    if count < 0 or count == 1:
        n = -count if count < 0 else 1
        if n > MAX_RANDOM_REPLY:
            raise err(f"count larger than polystack's reply limit of {MAX_RANDOM_REPLY}")
        return bulk_array([s.random_member() for _ in range(n)])
    members = s.members()
    size = len(members)
    if count >= size:
        return bulk_array(members)
    if count * _SRANDMEMBER_SUB_STRATEGY_MUL > size:
        keep = random.sample(range(size), count)
        return bulk_array([members[i] for i in sorted(keep)])
    return bulk_array([members[i] for i in random.sample(range(size), count)])


# -- algebra -------------------------------------------------------------------------------------
def _sets(client: Any, keys: list[bytes]) -> list[RedisSet | None]:
    """lookupKeyRead of every key (None for a missing one), WRONGTYPE on any other type."""
    out: list[RedisSet | None] = []
    for key in keys:
        v = lookup_read(client, key)
        if v is not None and type(v) is not RedisSet:
            raise _WRONGTYPE
        out.append(v)
    return out


def intersection(sets: list[RedisSet], limit: int = 0) -> list[bytes]:
    """Members of the smallest set (in its order) that every other set holds."""
    ordered = sorted(sets, key=len)
    first = ordered[0]
    others = [s for s in ordered[1:] if s is not first]
    out = []
    for m in first.members():
        if all(m in s for s in others):
            out.append(m)
            if limit and len(out) >= limit:
                break
    return out


def union(sets: list[RedisSet | None]) -> list[bytes]:
    seen: dict[bytes, None] = {}
    for s in sets:
        if s is not None:
            seen.update(dict.fromkeys(s.members()))
    return list(seen)


def difference(sets: list[RedisSet | None]) -> list[bytes]:
    first = sets[0]
    if first is None or any(s is first for s in sets[1:]):
        return []
    others = [s for s in sets[1:] if s is not None]
    return [m for m in first.members() if not any(m in s for s in others)]


def _store(client: Any, dst: bytes, members: list[bytes], event: bytes) -> int:
    """setKey of the result (a set built as Redis builds it), or DEL when it is empty."""
    db = client.db
    if not members:
        if db.get(dst, client.now_ms()) is not None:
            db_delete(client, dst)
            modified(client, dst)
            client.ks.dirty += 1
        return 0
    result = from_members(members, client.ks.limits)
    if db.get(dst, client.now_ms()) is not None:
        db.set(dst, result)
        db.lru[dst] = new_stamp(client)
    else:
        db_add(client, dst, result)
    modified(client, dst)
    notify(client, NOTIFY_SET, event, dst)
    client.ks.dirty += 1
    return len(result)


def _inter(client: Any, keys: list[bytes]) -> list[bytes] | None:
    sets = _sets(client, keys)
    if any(s is None for s in sets):
        return None
    return intersection(sets)  # type: ignore[arg-type]


@command(
    "sinter",
    -2,
    "readonly",
    (1, -1, 1),
    _SET,
    "1.0.0",
    "Intersect multiple sets",
    complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the "
    "number of sets.",
    tips=_ORDER_TIP,
    arguments="key:key+",
    specs=(spec("RO ACCESS", ("index", 1), ("range", -1, 1, 0)),),
)
def sinter(client: Any, argv: list[bytes]) -> Any:
    return bulk_set(_inter(client, argv[1:]) or [], client.resp3)


@command(
    "sinterstore",
    -3,
    "write denyoom",
    (1, -1, 1),
    _SET,
    "1.0.0",
    "Intersect multiple sets and store the resulting set in a key",
    complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the "
    "number of sets.",
    arguments="destination:key key:key+",
    specs=(single("RW UPDATE"), spec("RO ACCESS", ("index", 2), ("range", -1, 1, 0))),
)
def sinterstore(client: Any, argv: list[bytes]) -> Any:
    return _store(client, argv[1], _inter(client, argv[2:]) or [], b"sinterstore")


@command(
    "sintercard",
    -3,
    "readonly movablekeys",
    (0, 0, 0),
    _SET,
    "7.0.0",
    "Intersect multiple sets and return the cardinality of the result",
    complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the "
    "number of sets.",
    arguments="numkeys:integer key:key+ limit:integer'LIMIT'?",
    specs=(spec("RO ACCESS", ("index", 1), ("keynum", 0, 1, 1)),),
)
def sintercard(client: Any, argv: list[bytes]) -> Any:
    numkeys = parse_range(argv[1], 1, LLONG_MAX, "numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise err("Number of keys can't be greater than number of args")
    limit = 0
    j = 2 + numkeys
    while j < len(argv):
        if argv[j].lower() == b"limit" and j + 1 < len(argv):
            limit = parse_positive(argv[j + 1], "LIMIT can't be negative")
            j += 2
        else:
            raise SYNTAX
    sets = _sets(client, argv[2 : 2 + numkeys])
    if any(s is None for s in sets):
        return 0
    return len(intersection(sets, limit))  # type: ignore[arg-type]


@command(
    "sunion",
    -2,
    "readonly",
    (1, -1, 1),
    _SET,
    "1.0.0",
    "Add multiple sets",
    complexity="O(N) where N is the total number of elements in all given sets.",
    tips=_ORDER_TIP,
    arguments="key:key+",
    specs=(spec("RO ACCESS", ("index", 1), ("range", -1, 1, 0)),),
)
def sunion(client: Any, argv: list[bytes]) -> Any:
    members = union(_sets(client, argv[1:]))
    return bulk_set(from_members(members, client.ks.limits).members(), client.resp3)


@command(
    "sunionstore",
    -3,
    "write denyoom",
    (1, -1, 1),
    _SET,
    "1.0.0",
    "Add multiple sets and store the resulting set in a key",
    complexity="O(N) where N is the total number of elements in all given sets.",
    arguments="destination:key key:key+",
    specs=(single("OW UPDATE"), spec("RO ACCESS", ("index", 2), ("range", -1, 1, 0))),
)
def sunionstore(client: Any, argv: list[bytes]) -> Any:
    return _store(client, argv[1], union(_sets(client, argv[2:])), b"sunionstore")


@command(
    "sdiff",
    -2,
    "readonly",
    (1, -1, 1),
    _SET,
    "1.0.0",
    "Subtract multiple sets",
    complexity="O(N) where N is the total number of elements in all given sets.",
    tips=_ORDER_TIP,
    arguments="key:key+",
    specs=(spec("RO ACCESS", ("index", 1), ("range", -1, 1, 0)),),
)
def sdiff(client: Any, argv: list[bytes]) -> Any:
    members = difference(_sets(client, argv[1:]))
    return bulk_set(from_members(members, client.ks.limits).members(), client.resp3)


@command(
    "sdiffstore",
    -3,
    "write denyoom",
    (1, -1, 1),
    _SET,
    "1.0.0",
    "Subtract multiple sets and store the resulting set in a key",
    complexity="O(N) where N is the total number of elements in all given sets.",
    arguments="destination:key key:key+",
    specs=(single("OW UPDATE"), spec("RO ACCESS", ("index", 2), ("range", -1, 1, 0))),
)
def sdiffstore(client: Any, argv: list[bytes]) -> Any:
    return _store(client, argv[1], difference(_sets(client, argv[2:])), b"sdiffstore")


@command(
    "sscan",
    -3,
    "readonly",
    _ONE_KEY,
    _SET,
    "2.8.0",
    "Incrementally iterate Set elements",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command "
    "calls for the cursor to return back to 0. N is the number of elements inside the "
    "collection..",
    tips=_RANDOM_TIP,
    arguments="key:key cursor:integer pattern:pattern'MATCH'? count:integer'COUNT'?",
    specs=(single("RO ACCESS"),),
)
def sscan(client: Any, argv: list[bytes]) -> Any:
    from_cursor = scan.parse_cursor(argv[2])
    s = read_typed(client, argv[1], RedisSet)
    if s is None:
        return [b"0", []]
    count, match = scan.parse_options(argv, 3)
    if s.ints is not None:
        return scan.reply(0, scan.filter_members(s.members(), match))
    cursor, members = scan.scan_hashtable(s, from_cursor, count, lambda: s.items, s.__contains__)
    return scan.reply(cursor, scan.filter_members(members, match))
