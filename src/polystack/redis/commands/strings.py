"""String commands."""

from __future__ import annotations

from typing import Any

from polystack.redis.commands import command
from polystack.redis.errors import SYNTAX, WRONGTYPE, RedisError, err
from polystack.redis.wire import OK

NOT_INTEGER = err("value is not an integer or out of range")


def parse_int(b: bytes) -> int:
    """Redis's string2ll: optional '-', digits, no spaces/plus/leading zeros, 64-bit range."""
    try:
        if not b or len(b) > 20 or b[0] in b" +\t" or b[-1] in b" \t\r\n":
            raise ValueError
        if (b[0] == 0x30 and len(b) > 1) or b.startswith(b"-0"):
            raise ValueError
        v = int(b)
    except ValueError:
        raise NOT_INTEGER from None
    if not -(1 << 63) <= v < (1 << 63):
        raise NOT_INTEGER
    return v


def string_value(client: Any, key: bytes) -> bytes | None:
    v = client.db.get(key, client.now_ms() if client.db.expires else 0)
    if v is None or type(v) is bytes:
        return v
    raise WRONGTYPE


@command("get", 2, "readonly fast", (1, 1, 1), "string", "1.0.0", "Returns the string value of a key.")
def get(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    v = db.data.get(argv[1])
    if v is not None and db.expires and argv[1] in db.expires:
        v = db.get(argv[1], client.now_ms())
    if v is None:
        client.ks.keyspace_misses += 1
        return None
    client.ks.keyspace_hits += 1
    if type(v) is not bytes:
        raise WRONGTYPE
    return v


_SET_FLAGS = {b"nx", b"xx", b"get", b"keepttl", b"ex", b"px", b"exat", b"pxat"}


@command(
    "set",
    -3,
    "write denyoom",
    (1, 1, 1),
    "string",
    "1.0.0",
    "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
)
def set_(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    key = argv[1]
    if len(argv) == 3:
        db.data[key] = argv[2]
        if db.expires:
            db.expires.pop(key, None)
        client.ks.dirty += 1
        return OK
    return _set_with_options(client, argv)


def _set_with_options(client: Any, argv: list[bytes]) -> Any:
    db = client.db
    key, value = argv[1], argv[2]
    nx = xx = get_old = keepttl = False
    unit: bytes | None = None
    expire: int | None = None
    i = 3
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        nxt = argv[i + 1] if i + 1 < n else None
        if opt == b"nx" and not xx:
            nx = True
        elif opt == b"xx" and not nx:
            xx = True
        elif opt == b"get":
            get_old = True
        elif opt == b"keepttl" and unit is None:
            keepttl = True
        elif opt in (b"ex", b"px", b"exat", b"pxat") and unit is None and not keepttl and nxt is not None:
            unit = opt
            expire = parse_int(nxt)
            i += 1
        else:
            raise SYNTAX
        i += 1
    now = client.now_ms()
    deadline: int | None = None
    if unit is not None:
        assert expire is not None
        if expire <= 0 or (unit in (b"ex", b"exat") and expire > (1 << 63) // 1000):
            raise err("invalid expire time in 'set' command")
        if unit == b"ex":
            deadline = now + expire * 1000
        elif unit == b"px":
            deadline = now + expire
        elif unit == b"exat":
            deadline = expire * 1000
        else:
            deadline = expire
    old = db.get(key, now)
    if get_old and old is not None and type(old) is not bytes:
        raise WRONGTYPE
    if (nx and old is not None) or (xx and old is None):
        return old if get_old else None
    db.set(key, value, keep_ttl=keepttl)
    if deadline is not None:
        db.set_expire(key, deadline)
        client.propagate = [[b"SET", key, value, b"PXAT", b"%d" % deadline]]
    elif keepttl:
        client.propagate = [[b"SET", key, value, b"KEEPTTL"]]
    else:
        client.propagate = [[b"SET", key, value]]
    client.server.keyspace.dirty += 1
    if get_old:
        return old
    return OK


def _unused(_: RedisError) -> None:  # keep the import used for re-exports
    pass
