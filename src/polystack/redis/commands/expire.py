"""Expiry commands (expire.c): EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX/XX/GT/LT, TTL,
PTTL, EXPIRETIME, PEXPIRETIME and PERSIST.  Relative deadlines are logged as PEXPIREAT,
deadlines already past as DEL."""

from __future__ import annotations

from typing import Any

from polystack.redis.args import LLONG_MAX, LLONG_MIN, parse_int
from polystack.redis.commands import command
from polystack.redis.errors import RedisError, err
from polystack.redis.lookup import lookup_read, lookup_write
from polystack.redis.notify import NOTIFY_GENERIC, key_changed
from polystack.redis.objects import touch

_GENERIC = "generic"


_EXPIRE_FLAGS = (b"nx", b"xx", b"gt", b"lt")
_NO_FLAGS: frozenset[bytes] = frozenset()


def _invalid_time(argv: list[bytes]) -> RedisError:
    name = argv[0].decode("utf-8", "replace").lower()
    return err(f"invalid expire time in '{name}' command")


def _expire_generic(client: Any, argv: list[bytes], basetime: int, seconds: bool) -> Any:
    """expireGenericCommand."""
    flags: frozenset[bytes] | set[bytes] = _NO_FLAGS
    if len(argv) > 3:
        flags = set()
        for opt in argv[3:]:
            low = opt.lower()
            if low not in _EXPIRE_FLAGS:
                raise err(f"Unsupported option {opt.decode('utf-8', 'surrogateescape')}")
            flags.add(low)
        if b"nx" in flags and (b"xx" in flags or b"gt" in flags or b"lt" in flags):
            raise err("NX and XX, GT or LT options at the same time are not compatible")
        if b"gt" in flags and b"lt" in flags:
            raise err("GT and LT options at the same time are not compatible")
    when = parse_int(argv[2])
    if seconds:
        if when > LLONG_MAX // 1000 or when < -(-LLONG_MIN // 1000):
            raise _invalid_time(argv)
        when *= 1000
    if when > LLONG_MAX - basetime:
        raise _invalid_time(argv)
    when += basetime
    key = argv[1]
    db = client.db
    if key in db.expires:  # (lookup_write's expiry check: only for a key with a deadline)
        if lookup_write(client, key) is None:
            return 0
    elif key not in db.data:
        return 0
    else:
        touch(client, key)
    if flags:
        current = db.expires.get(key, -1)
        if b"nx" in flags and current != -1:
            return 0
        if b"xx" in flags and current == -1:
            return 0
        if b"gt" in flags and (when <= current or current == -1):
            return 0
        if b"lt" in flags and current != -1 and when >= current:
            return 0
    client.ks.dirty += 1
    if when <= client.now_ms() and not client.server.loading:
        db.delete(key)
        client.propagate = [[b"DEL", key]]
        key_changed(client, db, key, NOTIFY_GENERIC, b"del")
        return 1
    db.set_expire(key, when)
    client.propagate = [[b"PEXPIREAT", key, b"%d" % when]]
    ks = client.ks
    if ks.key_listeners or ks.notify_classes or ks.new_candidates:
        key_changed(client, db, key, NOTIFY_GENERIC, b"expire")
    return 1


_EXPIRE_COMPLEXITY = "O(1)"


@command(
    "expire",
    -3,
    "write fast",
    (1, 1, 1),
    _GENERIC,
    "1.0.0",
    "Set a key's time to live in seconds",
    complexity=_EXPIRE_COMPLEXITY,
)
def expire(client: Any, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, client.now_ms(), True)


@command(
    "pexpire",
    -3,
    "write fast",
    (1, 1, 1),
    _GENERIC,
    "2.6.0",
    "Set a key's time to live in milliseconds",
    complexity=_EXPIRE_COMPLEXITY,
)
def pexpire(client: Any, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, client.now_ms(), False)


@command(
    "expireat",
    -3,
    "write fast",
    (1, 1, 1),
    _GENERIC,
    "1.2.0",
    "Set the expiration for a key as a UNIX timestamp",
    complexity=_EXPIRE_COMPLEXITY,
)
def expireat(client: Any, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, 0, True)


@command(
    "pexpireat",
    -3,
    "write fast",
    (1, 1, 1),
    _GENERIC,
    "2.6.0",
    "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
    complexity=_EXPIRE_COMPLEXITY,
)
def pexpireat(client: Any, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, 0, False)


def _ttl(client: Any, key: bytes, ms: bool) -> int:
    if lookup_read(client, key, notouch=True) is None:
        return -2
    when = client.db.expires.get(key)
    if when is None:
        return -1
    left = max(0, when - client.now_ms())
    return left if ms else (left + 500) // 1000


@command(
    "ttl",
    2,
    "readonly fast",
    (1, 1, 1),
    _GENERIC,
    "1.0.0",
    "Get the time to live for a key in seconds",
    complexity="O(1)",
    tips=("nondeterministic_output",),
)
def ttl(client: Any, argv: list[bytes]) -> Any:
    return _ttl(client, argv[1], False)


@command(
    "pttl",
    2,
    "readonly fast",
    (1, 1, 1),
    _GENERIC,
    "2.6.0",
    "Get the time to live for a key in milliseconds",
    complexity="O(1)",
    tips=("nondeterministic_output",),
)
def pttl(client: Any, argv: list[bytes]) -> Any:
    return _ttl(client, argv[1], True)


def _expiretime(client: Any, key: bytes, ms: bool) -> int:
    if lookup_read(client, key, notouch=True) is None:
        return -2
    when = client.db.expires.get(key)
    if when is None:
        return -1
    return when if ms else when // 1000


@command(
    "expiretime",
    2,
    "readonly fast",
    (1, 1, 1),
    _GENERIC,
    "7.0.0",
    "Get the expiration Unix timestamp for a key",
    complexity="O(1)",
)
def expiretime(client: Any, argv: list[bytes]) -> Any:
    return _expiretime(client, argv[1], False)


@command(
    "pexpiretime",
    2,
    "readonly fast",
    (1, 1, 1),
    _GENERIC,
    "7.0.0",
    "Get the expiration Unix timestamp for a key in milliseconds",
    complexity="O(1)",
)
def pexpiretime(client: Any, argv: list[bytes]) -> Any:
    return _expiretime(client, argv[1], True)


@command(
    "persist",
    2,
    "write fast",
    (1, 1, 1),
    _GENERIC,
    "2.2.0",
    "Remove the expiration from a key",
    complexity="O(1)",
)
def persist(client: Any, argv: list[bytes]) -> Any:
    if lookup_write(client, argv[1]) is None:
        return 0
    if client.db.persist(argv[1]):
        client.ks.dirty += 1
        key_changed(client, client.db, argv[1], NOTIFY_GENERIC, b"persist")
        return 1
    return 0
