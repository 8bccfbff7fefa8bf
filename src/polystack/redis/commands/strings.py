"""String commands (t_string.c): GET/SET and their variants, ranges, counters, LCS.

Values are ``bytes``; their object encodings, sharing and access data are kept by
:mod:`polystack.redis.objects`.  INCRBYFLOAT computes in x87 80-bit long double precision,
exactly, as Redis does (:mod:`polystack.redis.longdouble`).
"""

from __future__ import annotations

from typing import Any

from polystack.redis.args import LLONG_MAX, LLONG_MIN, parse_int
from polystack.redis.commands import command
from polystack.redis.errors import SYNTAX, WRONGTYPE, err
from polystack.redis.longdouble import (
    LD_ZERO,
    format_long_double,
    ld_add,
    parse_long_double,
)
from polystack.redis.lookup import lookup_read, lookup_write
from polystack.redis.notify import (
    NOTIFY_GENERIC,
    NOTIFY_NEW,
    NOTIFY_STRING,
    key_changed,
    key_miss,
    notify,
)
from polystack.redis.objects import (
    OBJ_SHARED_INTEGERS,
    encoding_of,
    fresh,
    new_stamp,
    note_encoding,
    refcount_of,
    stamp_new,
    stamp_overwrite,
    touch,
)
from polystack.redis.wire import OK

NOT_INTEGER = err("value is not an integer or out of range")
_STRING_TOO_LONG = err("string exceeds maximum allowed size (proto-max-bulk-len)")


def string_value(client: Any, key: bytes) -> bytes | None:
    """lookupKeyWrite plus checkType(OBJ_STRING)."""
    v = lookup_write(client, key)
    if v is None or type(v) is bytes:
        return v
    raise WRONGTYPE


def read_string(client: Any, key: bytes) -> bytes | None:
    """lookupKeyRead plus checkType(OBJ_STRING)."""
    v = lookup_read(client, key)
    if v is None or type(v) is bytes:
        return v
    raise WRONGTYPE


# -- GET / SET family ----------------------------------------------------------------
@command(
    "get",
    2,
    "readonly fast",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Get the value of a key",
    complexity="O(1)",
)
def get(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    key = argv[1]
    v = db.data.get(key)
    if v is not None and db.expires and key in db.expires:
        v = db.get(key, client.now_ms())
    if v is None:
        client.ks.keyspace_misses += 1
        if client.ks.notify_classes:
            key_miss(client, key)
        return None
    client.ks.keyspace_hits += 1
    if type(v) is not bytes:
        raise WRONGTYPE
    # the access time (OBJECT IDLETIME, LRU/LFU eviction): touch(), its common case inline
    server = client.server
    if server.lfu:
        touch(client, key)
    else:
        db.lru[key] = server.lruclock
    return v


_SET, _GETEX = 0, 1
_UNITS = (b"ex", b"px", b"exat", b"pxat")


def _parse_extended(
    argv: list[bytes], start: int, kind: int
) -> tuple[set[bytes], bytes | None, bytes | None]:
    """parseExtendedStringArgumentsOrReply: (flags, expiry unit, expiry argument)."""
    flags: set[bytes] = set()
    unit: bytes | None = None
    expire: bytes | None = None
    n = len(argv)
    j = start
    while j < n:
        opt = argv[j].lower()
        has_next = j + 1 < n
        if opt == b"nx" and b"xx" not in flags and kind == _SET:
            flags.add(b"nx")
        elif opt == b"xx" and b"nx" not in flags and kind == _SET:
            flags.add(b"xx")
        elif opt == b"get" and kind == _SET:
            flags.add(b"get")
        elif opt == b"keepttl" and unit is None and b"persist" not in flags and kind == _SET:
            flags.add(b"keepttl")
        elif opt == b"persist" and kind == _GETEX and unit is None and b"keepttl" not in flags:
            flags.add(b"persist")
        elif (
            opt in _UNITS
            and (unit is None or unit == opt)
            and b"keepttl" not in flags
            and b"persist" not in flags
            and has_next
        ):
            unit = opt
            expire = argv[j + 1]
            j += 1
        else:
            raise SYNTAX
        j += 1
    return flags, unit, expire


def expire_ms(client: Any, cmd: str, arg: bytes, unit: bytes) -> int:
    """getExpireMillisecondsOrReply: the absolute deadline in ms."""
    ms = parse_int(arg)
    seconds = unit in (b"ex", b"exat")
    if ms <= 0 or (seconds and ms > LLONG_MAX // 1000):
        raise err(f"invalid expire time in '{cmd}' command")
    if seconds:
        ms *= 1000
    if unit in (b"ex", b"px"):
        ms += client.now_ms()
        if ms > LLONG_MAX:
            raise err(f"invalid expire time in '{cmd}' command")
    return ms


@command(
    "set",
    -3,
    "write denyoom",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Set the string value of a key",
    complexity="O(1)",
)
def set_(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    key = argv[1]
    if len(argv) == 3:
        if db.expires and key in db.expires:
            db.get(key, client.now_ms())  # setKey's lookupKeyWrite: an expired key goes first
            db.expires.pop(key, None)
        if db.blocking_keys:
            db.stream_replaced(key)
        ks = client.ks
        if ks.notify_classes & NOTIFY_NEW and key not in db.data:
            notify(client, NOTIFY_NEW, b"new", key)
        server = client.server
        if server.lfu:
            stamp_overwrite(client, key, key in db.data)
        else:
            db.lru[key] = server.lruclock  # a new object: created now (stamp_overwrite)
        db.data[key] = argv[2]
        ks.dirty += 1
        if ks.key_listeners or ks.notify_classes:
            key_changed(client, db, key, NOTIFY_STRING, b"set")
        return OK
    flags, unit, expire = _parse_extended(argv, 3, _SET)
    return set_generic(client, key, argv[2], flags, unit, expire, "set", OK, None)


def set_generic(
    client: Any,
    key: bytes,
    value: bytes,
    flags: set[bytes],
    unit: bytes | None,
    expire: bytes | None,
    cmd: str,
    ok_reply: Any,
    abort_reply: Any,
) -> Any:
    """setGenericCommand."""
    db = client.db
    deadline = expire_ms(client, cmd, expire, unit) if expire is not None and unit else None
    get_old = b"get" in flags
    if get_old:
        read_string(client, key)
    now = client.now_ms()
    old = db.get(key, now)
    if (b"nx" in flags and old is not None) or (b"xx" in flags and old is None):
        return old if get_old else abort_reply
    stamp_overwrite(client, key, old is not None)
    db.set(key, value, keep_ttl=b"keepttl" in flags)
    if deadline is not None:
        db.set_expire(key, deadline)
        client.propagate = [[b"SET", key, value, b"PXAT", b"%d" % deadline]]
    elif b"keepttl" in flags:
        client.propagate = [[b"SET", key, value, b"KEEPTTL"]]
    else:
        client.propagate = [[b"SET", key, value]]
    client.ks.dirty += 1
    key_changed(client, db, key, NOTIFY_STRING, b"set")
    if deadline is not None:
        key_changed(client, db, key, NOTIFY_GENERIC, b"expire")
    return old if get_old else ok_reply


@command(
    "setnx",
    3,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Set the value of a key, only if the key does not exist",
    complexity="O(1)",
)
def setnx(client: Any, argv: list[bytes]) -> Any:
    return set_generic(client, argv[1], argv[2], {b"nx"}, None, None, "setnx", 1, 0)


@command(
    "setex",
    4,
    "write denyoom",
    (1, 1, 1),
    "string",
    "2.0.0",
    "Set the value and expiration of a key",
    complexity="O(1)",
)
def setex(client: Any, argv: list[bytes]) -> Any:
    return set_generic(client, argv[1], argv[3], set(), b"ex", argv[2], "setex", OK, None)


@command(
    "psetex",
    4,
    "write denyoom",
    (1, 1, 1),
    "string",
    "2.6.0",
    "Set the value and expiration in milliseconds of a key",
    complexity="O(1)",
)
def psetex(client: Any, argv: list[bytes]) -> Any:
    return set_generic(client, argv[1], argv[3], set(), b"px", argv[2], "psetex", OK, None)


@command(
    "getex",
    -2,
    "write fast",
    (1, 1, 1),
    "string",
    "6.2.0",
    "Get the value of a key and optionally set its expiration",
    complexity="O(1)",
)
def getex(client: Any, argv: list[bytes]) -> Any:
    flags, unit, expire = _parse_extended(argv, 2, _GETEX)
    key = argv[1]
    value = read_string(client, key)
    if value is None:
        return None
    deadline = expire_ms(client, "getex", expire, unit) if expire is not None and unit else None
    db = client.db
    if unit in (b"exat", b"pxat") and deadline is not None and deadline <= client.now_ms():
        db.delete(key)
        client.propagate = [[b"DEL", key]]
        client.ks.dirty += 1
        key_changed(client, db, key, NOTIFY_GENERIC, b"del")
    elif deadline is not None:
        db.set_expire(key, deadline)
        client.propagate = [[b"PEXPIREAT", key, b"%d" % deadline]]
        client.ks.dirty += 1
        key_changed(client, db, key, NOTIFY_GENERIC, b"expire")
    elif b"persist" in flags and db.persist(key):
        client.propagate = [[b"PERSIST", key]]
        client.ks.dirty += 1
        key_changed(client, db, key, NOTIFY_GENERIC, b"persist")
    return value


@command(
    "getdel",
    2,
    "write fast",
    (1, 1, 1),
    "string",
    "6.2.0",
    "Get the value of a key and delete the key",
    complexity="O(1)",
)
def getdel(client: Any, argv: list[bytes]) -> Any:
    value = read_string(client, argv[1])
    if value is not None:
        client.db.delete(argv[1])
        client.propagate = [[b"DEL", argv[1]]]
        client.ks.dirty += 1
        key_changed(client, client.db, argv[1], NOTIFY_GENERIC, b"del")
    return value


@command(
    "getset",
    3,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Set the string value of a key and return its old value",
    complexity="O(1)",
)
def getset(client: Any, argv: list[bytes]) -> Any:
    old = read_string(client, argv[1])
    client.db.set(argv[1], argv[2])
    stamp_new(client, argv[1])
    client.propagate = [[b"SET", argv[1], argv[2]]]
    client.ks.dirty += 1
    key_changed(client, client.db, argv[1], NOTIFY_STRING, b"set")
    return old


@command(
    "mget",
    -2,
    "readonly fast",
    (1, -1, 1),
    "string",
    "1.0.0",
    "Get the values of all the given keys",
    complexity="O(N) where N is the number of keys to retrieve.",
    tips=("request_policy:multi_shard",),
)
def mget(client: Any, argv: list[bytes]) -> Any:
    out: list[bytes | None] = []
    for key in argv[1:]:
        v = lookup_read(client, key)
        out.append(v if type(v) is bytes else None)
    return out


def _mset_args(argv: list[bytes], name: str) -> None:
    if len(argv) % 2 == 0:
        raise err(f"wrong number of arguments for '{name}' command")


@command(
    "mset",
    -3,
    "write denyoom",
    (1, -1, 2),
    "string",
    "1.0.1",
    "Set multiple keys to multiple values",
    complexity="O(N) where N is the number of keys to set.",
    tips=("request_policy:multi_shard", "response_policy:all_succeeded"),
)
def mset(client: Any, argv: list[bytes]) -> Any:
    _mset_args(argv, "mset")
    _set_pairs(client, argv)
    return OK


def _set_pairs(client: Any, argv: list[bytes]) -> None:
    db = client.db
    data, expires, lru = db.data, db.expires, db.lru
    stamp = new_stamp(client)
    ks = client.ks
    signal = bool(ks.key_listeners or ks.notify_classes)
    for i in range(1, len(argv), 2):
        key = argv[i]
        if expires and key in expires:
            db.get(key, client.now_ms())  # an expired key is deleted (and notified) first
            expires.pop(key, None)
        if db.blocking_keys:
            db.stream_replaced(key)
        data[key] = argv[i + 1]
        lru[key] = stamp
        if signal:
            key_changed(client, db, key, NOTIFY_STRING, b"set")
    ks.dirty += (len(argv) - 1) // 2


@command(
    "msetnx",
    -3,
    "write denyoom",
    (1, -1, 2),
    "string",
    "1.0.1",
    "Set multiple keys to multiple values, only if none of the keys exist",
    complexity="O(N) where N is the number of keys to set.",
    tips=("request_policy:multi_shard", "response_policy:agg_min"),
)
def msetnx(client: Any, argv: list[bytes]) -> Any:
    _mset_args(argv, "msetnx")
    db = client.db
    now = client.now_ms()
    if any(db.get(argv[i], now) is not None for i in range(1, len(argv), 2)):
        return 0
    _set_pairs(client, argv)
    return 1


def _check_length(client: Any, size: int, append: int) -> None:
    """checkStringLength."""
    if size + append > client.server.config.proto_max_bulk_len:
        raise _STRING_TOO_LONG


@command(
    "append",
    3,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "2.0.0",
    "Append a value to a key",
    complexity="O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
)
def append(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    old = string_value(client, key)
    if old is None:
        new = argv[2]
        client.db.set(key, new)
        stamp_new(client, key)
    else:
        _check_length(client, len(old), len(argv[2]))
        new = old + argv[2]
        if new is old or new is argv[2] or len(new) <= 1:
            new = fresh(new)
        client.db.set(key, new, keep_ttl=True)
        note_encoding(client, new, "raw")
    client.ks.dirty += 1
    key_changed(client, client.db, key, NOTIFY_STRING, b"append")
    return len(new)


@command(
    "strlen",
    2,
    "readonly fast",
    (1, 1, 1),
    "string",
    "2.2.0",
    "Get the length of the value stored in a key",
    complexity="O(1)",
)
def strlen(client: Any, argv: list[bytes]) -> Any:
    v = read_string(client, argv[1])
    if v is None:
        return 0
    return len(v)


@command(
    "getrange",
    4,
    "readonly",
    (1, 1, 1),
    "string",
    "2.4.0",
    "Get a substring of the string stored at a key",
    complexity="O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
)
def getrange(client: Any, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    v = read_string(client, argv[1])
    if v is None:
        return b""
    n = len(v)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = n + start
    if end < 0:
        end = n + end
    start = max(start, 0)
    end = max(end, 0)
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return v[start : end + 1]


@command(
    "substr",
    4,
    "readonly",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Get a substring of the string stored at a key",
    complexity="O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
)
def substr(client: Any, argv: list[bytes]) -> Any:
    return getrange(client, argv)


@command(
    "setrange",
    4,
    "write denyoom",
    (1, 1, 1),
    "string",
    "2.2.0",
    "Overwrite part of a string at key starting at the specified offset",
    complexity="O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
)
def setrange(client: Any, argv: list[bytes]) -> Any:
    key, value = argv[1], argv[3]
    offset = parse_int(argv[2])
    if offset < 0:
        raise err("offset is out of range")
    old = string_value(client, key)
    if old is None:
        if not value:
            return 0
        _check_length(client, offset, len(value))
        new = bytes(offset) + value
        if new is value or len(new) <= 1:
            new = fresh(new)
        client.db.set(key, new)
        stamp_new(client, key)
    else:
        if not value:
            return len(old)
        _check_length(client, offset, len(value))
        if offset > len(old):
            old = old + bytes(offset - len(old))
        new = old[:offset] + value + old[offset + len(value) :]
        if new is old or new is value or len(new) <= 1:
            new = fresh(new)
        client.db.set(key, new, keep_ttl=True)
    note_encoding(client, new, "raw")
    client.ks.dirty += 1
    key_changed(client, client.db, key, NOTIFY_STRING, b"setrange")
    return len(new)


# -- counters --------------------------------------------------------------------------
def _incr(client: Any, key: bytes, incr: int) -> int:
    """incrDecrCommand (INCR is in redis-benchmark's default set: keep this lean)."""
    db = client.db
    old = db.data.get(key)
    if old is not None and db.expires and key in db.expires:
        old = db.get(key, client.now_ms())
    if old is None:
        value = 0
    elif type(old) is not bytes:
        raise WRONGTYPE
    elif old.isdigit() and len(old) < 19 and (old[0] != 0x30 or len(old) == 1):
        value = int(old)  # string2ll's common case: canonical, non-negative, far from overflow
    else:
        value = parse_int(old)
    if (incr < 0 and value < 0 and incr < LLONG_MIN - value) or (
        incr > 0 and value > 0 and incr > LLONG_MAX - value
    ):
        raise err("increment or decrement would overflow")
    value += incr
    db.data[key] = b"%d" % value  # the deadline stays
    server = client.server
    if server.lfu:
        # Redis updates an unshared integer object in place (lookupKeyWrite counted the
        # access), else it makes a new object with a fresh counter
        in_place = (
            old is not None
            and encoding_of(old) == "int"
            and refcount_of(client, old) == 1
            and (value < 0 or value >= OBJ_SHARED_INTEGERS)
        )
        if in_place:
            touch(client, key)
        else:
            stamp_new(client, key)
    else:
        db.lru[key] = server.lruclock
    ks = client.ks
    ks.dirty += 1
    if ks.key_listeners or ks.notify_classes:
        key_changed(client, db, key, NOTIFY_STRING, b"incrby")
    return value


@command(
    "incr",
    2,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Increment the integer value of a key by one",
    complexity="O(1)",
)
def incr(client: Any, argv: list[bytes]) -> Any:
    return _incr(client, argv[1], 1)


@command(
    "decr",
    2,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Decrement the integer value of a key by one",
    complexity="O(1)",
)
def decr(client: Any, argv: list[bytes]) -> Any:
    return _incr(client, argv[1], -1)


@command(
    "incrby",
    3,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Increment the integer value of a key by the given amount",
    complexity="O(1)",
)
def incrby(client: Any, argv: list[bytes]) -> Any:
    return _incr(client, argv[1], parse_int(argv[2]))


@command(
    "decrby",
    3,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Decrement the integer value of a key by the given number",
    complexity="O(1)",
)
def decrby(client: Any, argv: list[bytes]) -> Any:
    by = parse_int(argv[2])
    if by == LLONG_MIN:
        raise err("decrement would overflow")
    return _incr(client, argv[1], -by)


@command(
    "incrbyfloat",
    3,
    "write denyoom fast",
    (1, 1, 1),
    "string",
    "2.6.0",
    "Increment the float value of a key by the given amount",
    complexity="O(1)",
)
def incrbyfloat(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    old = string_value(client, key)
    value = LD_ZERO if old is None else parse_long_double(old)
    by = parse_long_double(argv[2])
    total = ld_add(value, by)
    if total is None:
        raise err("increment would produce NaN or Infinity")
    new = fresh(format_long_double(total))
    client.db.set(key, new, keep_ttl=True)
    note_encoding(client, new, "embstr" if len(new) <= 44 else "raw")
    stamp_new(client, key)
    client.propagate = [[b"SET", key, new, b"KEEPTTL"]]
    client.ks.dirty += 1
    key_changed(client, client.db, key, NOTIFY_STRING, b"incrbyfloat")
    return new


# -- LCS -----------------------------------------------------------------------------------
@command(
    "lcs",
    -3,
    "readonly",
    (1, 2, 1),
    "string",
    "7.0.0",
    "Find longest common substring",
    complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
)
def lcs(client: Any, argv: list[bytes]) -> Any:
    va, vb = lookup_read(client, argv[1]), lookup_read(client, argv[2])
    if (va is not None and type(va) is not bytes) or (vb is not None and type(vb) is not bytes):
        raise err("The specified keys must contain string values")
    a = va or b""
    b = vb or b""
    getlen = getidx = withmatchlen = False
    minmatchlen = 0
    j = 3
    while j < len(argv):
        opt = argv[j].lower()
        more = len(argv) - 1 - j
        if opt == b"idx":
            getidx = True
        elif opt == b"len":
            getlen = True
        elif opt == b"withmatchlen":
            withmatchlen = True
        elif opt == b"minmatchlen" and more:
            minmatchlen = max(0, parse_int(argv[j + 1]))
            j += 1
        else:
            raise SYNTAX
        j += 1
    if getidx and getlen:
        raise err("If you want both the length and indexes, please just use IDX.")
    alen, blen = len(a), len(b)
    if (alen + 1) * (blen + 1) * 4 > client.server.config.proto_max_bulk_len:
        raise err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    rows = lcs_rows(a, b)
    total = blen - rows[alen].bit_count()
    if getlen:
        return total
    result = bytearray(total)
    matches: list[list[Any]] = []
    idx = total
    i, k = alen, blen
    ar_start = alen  # alen: no range open
    ar_end = br_start = br_end = 0
    while i > 0 and k > 0:
        emit = False
        if a[i - 1] == b[k - 1]:
            result[idx - 1] = a[i - 1]
            if ar_start == alen:
                ar_start = ar_end = i - 1
                br_start = br_end = k - 1
            elif ar_start == i and br_start == k:
                ar_start -= 1
                br_start -= 1
            else:
                emit = True
            if ar_start == 0 or br_start == 0:
                emit = True
            idx -= 1
            i -= 1
            k -= 1
        else:
            if _lcs_cell(rows, i - 1, k) > _lcs_cell(rows, i, k - 1):
                i -= 1
            else:
                k -= 1
            if ar_start != alen:
                emit = True
        if emit:
            match_len = ar_end - ar_start + 1
            if getidx and (minmatchlen == 0 or match_len >= minmatchlen):
                item: list[Any] = [[ar_start, ar_end], [br_start, br_end]]
                if withmatchlen:
                    item.append(match_len)
                matches.append(item)
            ar_start = alen
    if getidx:
        return {b"matches": matches, b"len": total}
    return bytes(result)


def lcs_rows(a: bytes, b: bytes) -> list[int]:
    """The LCS table of ``a`` and ``b``, one bit-vector per prefix of ``a`` (Hyyrö's
    bit-parallel algorithm): bit j of row i is 0 exactly when LCS(i, j+1) = LCS(i, j) + 1,
    so LCS(i, j) is j minus the ones among the row's low j bits."""
    mask = (1 << len(b)) - 1
    positions: dict[int, int] = {}
    for j, c in enumerate(b):
        positions[c] = positions.get(c, 0) | (1 << j)
    v = mask
    rows = [v]
    for c in a:
        u = v & positions.get(c, 0)
        v = ((v + u) | (v - u)) & mask
        rows.append(v)
    return rows


def _lcs_cell(rows: list[int], i: int, j: int) -> int:
    return j - (rows[i] & ((1 << j) - 1)).bit_count()
