"""Connection commands."""

from __future__ import annotations

from typing import Any

from polystack.redis.commands import command
from polystack.redis.errors import err
from polystack.redis.wire import OK, PONG, Simple


@command("ping", -1, "fast", group="connection", since="1.0.0", summary="Returns the server's liveliness response.")
def ping(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise err("wrong number of arguments for 'ping' command")
    if len(argv) == 2:
        return argv[1]
    return PONG


@command("echo", 2, "fast", group="connection", since="1.0.0", summary="Returns the given string.")
def echo(client: Any, argv: list[bytes]) -> Any:
    return argv[1]


@command("select", 2, "loading stale fast", group="connection", since="1.0.0", summary="Changes the selected database.")
def select(client: Any, argv: list[bytes]) -> Any:
    try:
        idx = int(argv[1])
    except ValueError:
        raise err("value is not an integer or out of range") from None
    if not 0 <= idx < len(client.server.keyspace.dbs):
        raise err("DB index is out of range")
    client.select(idx)
    return OK


@command("quit", -1, "allow_busy no_auth fast", group="connection", since="1.0.0", summary="Closes the connection.")
def quit_(client: Any, argv: list[bytes]) -> Any:
    client.close_after_reply()
    return OK


_ = Simple


def _check_password(client: Any, user: bytes, password: bytes) -> bool:
    required = client.server.config.requirepass
    if user != b"default":
        return False
    if not required:
        return True
    return password == required.encode()


@command(
    "auth",
    -2,
    "noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="1.0.0",
    summary="Authenticates the connection.",
)
def auth(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise err("syntax error")
    if len(argv) == 2:
        if not client.server.config.requirepass:
            raise err(
                "AUTH <password> called without any password configured for the default user. "
                "Are you sure your configuration is correct?"
            )
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if not _check_password(client, user, password):
        from polystack.redis.errors import WRONGPASS

        raise WRONGPASS
    client.set_authenticated(user.decode("utf-8", "replace"))
    return OK


@command(
    "hello",
    -1,
    "noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="6.0.0",
    summary="Handshakes with the Redis server.",
)
def hello(client: Any, argv: list[bytes]) -> Any:
    from polystack.redis.errors import WRONGPASS, RedisError

    ver = 0
    if len(argv) >= 2:
        try:
            ver = int(argv[1])
        except ValueError:
            raise err("Protocol version is not an integer or out of range") from None
        if ver < 2 or ver > 3:
            raise RedisError("NOPROTO", "unsupported protocol version")
    i = 2
    setname: bytes | None = None
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - i - 1
        if opt == b"auth" and more >= 2:
            user, password = argv[i + 1], argv[i + 2]
            if not _check_password(client, user, password):
                raise WRONGPASS
            client.set_authenticated(user.decode("utf-8", "replace"))
            i += 3
        elif opt == b"setname" and more >= 1:
            setname = argv[i + 1]
            if any(c <= 32 or c > 126 for c in setname):
                raise err("Client names cannot contain spaces, newlines or special characters.")
            i += 2
        else:
            raise err(f"Syntax error in HELLO option '{argv[i].decode('utf-8', 'replace')}'")
    if not client.authenticated:
        raise RedisError(
            "NOAUTH", "HELLO must be called with the client already authenticated, otherwise the "
            "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time"
        )
    if setname is not None:
        client.name = setname
    if ver:
        client.resp3 = ver == 3
    from polystack.redis.service import REDIS_VERSION

    return {
        b"server": b"redis",
        b"version": REDIS_VERSION.encode(),
        b"proto": 3 if client.resp3 else 2,
        b"id": client.id,
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": [],
    }
