"""Connection commands: PING, ECHO, SELECT, QUIT, AUTH, HELLO, RESET (and CLIENT, in client.py)."""

from __future__ import annotations

from typing import Any

from polystack.redis.acl import U_NOPASS, default_authenticated, slow_bits
from polystack.redis.args import parse_int, parse_int32
from polystack.redis.commands import command
from polystack.redis.commands.acl import authenticate
from polystack.redis.commands.client import valid_attribute
from polystack.redis.commands.monitor import stop_monitoring
from polystack.redis.commands.tracking import stop_tracking
from polystack.redis.errors import SYNTAX, WRONGPASS, RedisError, err
from polystack.redis.flags import SLOW_ACL, SLOW_AUTH, SLOW_MULTI, SLOW_PUBSUB, SLOW_REPLY
from polystack.redis.version import REDIS_VERSION
from polystack.redis.wire import OK, PONG, Simple

NO_AUTH_FLAGS = "noscript loading stale fast no_auth allow_busy"
RESET = Simple(b"RESET")


@command(
    "ping",
    -1,
    "fast",
    group="connection",
    since="1.0.0",
    summary="Ping the server",
    complexity="O(1)",
    tips=("request_policy:all_shards", "response_policy:all_succeeded"),
    arguments=({"name": "message", "type": "string", "flags": "optional"},),
)
def ping(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise err("wrong number of arguments for 'ping' command")
    if client.slow & SLOW_PUBSUB and not client.resp3:  # subscribed, RESP2: a pub/sub style reply
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    if len(argv) == 2:
        return argv[1]
    return PONG


@command(
    "echo",
    2,
    "loading stale fast",
    group="connection",
    since="1.0.0",
    summary="Echo the given string",
    complexity="O(1)",
    arguments=({"name": "message", "type": "string"},),
)
def echo(client: Any, argv: list[bytes]) -> Any:
    return argv[1]


@command(
    "select",
    2,
    "loading stale fast",
    group="connection",
    since="1.0.0",
    summary="Change the selected database for the current connection",
    complexity="O(1)",
    arguments=({"name": "index", "type": "integer"},),
)
def select(client: Any, argv: list[bytes]) -> Any:
    idx = parse_int32(argv[1])
    if client.server.cluster is not None and idx != 0:
        raise err("SELECT is not allowed in cluster mode")
    if not 0 <= idx < len(client.server.keyspace.dbs):
        raise err("DB index is out of range")
    client.select(idx)
    return OK


@command(
    "quit",
    -1,
    NO_AUTH_FLAGS,
    group="connection",
    since="1.0.0",
    summary="Close the connection",
    complexity="O(1)",
)
def quit_(client: Any, argv: list[bytes]) -> Any:
    client.close_after_reply()
    return OK


@command(
    "auth",
    -2,
    NO_AUTH_FLAGS,
    group="connection",
    since="1.0.0",
    summary="Authenticate to the server",
    complexity="O(N) where N is the number of passwords defined for the user",
)
def auth(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise SYNTAX
    if len(argv) == 2:
        if client.server.acl.default.flags & U_NOPASS:
            raise err(
                "AUTH <password> called without any password configured for the default user. "
                "Are you sure your configuration is correct?"
            )
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if not authenticate(client, user, password, argv[0]):
        raise WRONGPASS
    return OK


@command(
    "hello",
    -1,
    NO_AUTH_FLAGS,
    group="connection",
    since="6.0.0",
    summary="Handshake with Redis",
    complexity="O(1)",
)
def hello(client: Any, argv: list[bytes]) -> Any:
    ver = 0
    if len(argv) >= 2:
        ver = parse_int(argv[1], "Protocol version is not an integer or out of range")
        if ver < 2 or ver > 3:
            raise RedisError("NOPROTO", "unsupported protocol version")
    credentials: tuple[bytes, bytes] | None = None
    setname: bytes | None = None
    i = 2
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - 1 - i
        if opt == b"auth" and more >= 2:
            credentials = (argv[i + 1], argv[i + 2])
            i += 3
        elif opt == b"setname" and more >= 1:
            setname = argv[i + 1]
            i += 2
        else:
            raise err(f"Syntax error in HELLO option '{argv[i].decode('utf-8', 'replace')}'")
    if credentials is not None and not authenticate(client, *credentials, argv[0]):
        raise WRONGPASS
    if not client.authenticated:
        raise RedisError(
            "NOAUTH",
            "HELLO must be called with the client already authenticated, otherwise the "
            "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time",
        )
    if setname is not None:
        if not valid_attribute(setname):
            raise err("Client names cannot contain spaces, newlines or special characters.")
        client.name = setname
    if ver:
        client.resp3 = ver == 3
    return {
        b"server": b"redis",
        b"version": REDIS_VERSION.encode(),
        b"proto": 3 if client.resp3 else 2,
        b"id": client.id,
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": [],
    }


@command(
    "reset",
    1,
    NO_AUTH_FLAGS,
    group="connection",
    since="6.2.0",
    summary="Reset the connection",
    complexity="O(1)",
)
def reset(client: Any, argv: list[bytes]) -> Any:
    """Back to a fresh connection's state: no MULTI or watches, no subscriptions, db 0, RESP2,
    no name, and (when a password is required) not authenticated."""
    for hook in ("discard_multi", "unwatch_all", "unsubscribe_all"):
        fn = getattr(client, hook, None)
        if fn is not None:
            fn()
    client.multi = None
    client.reply_flags = 0  # CLIENT REPLY ON
    client.slow &= ~(SLOW_MULTI | SLOW_PUBSUB | SLOW_REPLY)
    client.select(0)
    client.resp3 = False
    client.name = b""
    client.no_evict = False
    client.readonly = False  # Redis Cluster's READONLY (clearClientConnectionState)
    server = client.server
    if getattr(client, "monitor", False):
        stop_monitoring(server, client)
        client.monitor = False
    if getattr(client, "tracking", None) is not None:
        stop_tracking(client)
    client.user = "default"
    client.acl_user = server.acl.default
    client.authenticated = default_authenticated(server)
    client.slow = (client.slow & ~(SLOW_AUTH | SLOW_ACL)) | slow_bits(server, client)
    return RESET
