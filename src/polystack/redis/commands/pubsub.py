"""Pub/Sub commands (pubsub.c): SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UN- forms,
PUBLISH, SPUBLISH and PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB/HELP.

(Un)subscription confirmations are push messages (RESP3 ``>``, RESP2 arrays), one per
channel, sent in the command's place.  A client with any subscription is a subscriber
(flag ``P``); in RESP2 it may then only run the commands the session allows in that context.
"""

from __future__ import annotations

import functools
from typing import Any

from polystack.redis.commands import COMMANDS, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.keyspecs import key_specs
from polystack.redis.errors import err
from polystack.redis.flags import SLOW_PUBSUB
from polystack.redis.wire import Raw

_FLAGS = "pubsub noscript loading stale"
_CATS = ("@pubsub", "@slow")


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(b), b)


def _frame(client: Any, kind: bytes, name: bytes | None, count: int) -> bytes:
    head = b">3\r\n" if client.resp3 else b"*3\r\n"
    if name is None:
        middle = b"_\r\n" if client.resp3 else b"$-1\r\n"
    else:
        middle = _bulk(name)
    return head + _bulk(kind) + middle + b":%d\r\n" % count


def subscriptions(client: Any) -> int:
    """clientSubscriptionsCount: channels plus patterns."""
    return len(client.channels) + len(client.patterns)


def _update_mode(client: Any) -> None:
    if client.channels or client.patterns or client.shard_channels:
        client.slow |= SLOW_PUBSUB
    else:
        client.slow &= ~SLOW_PUBSUB


def _deny_blocking(client: Any, name: str, in_multi_allowed: bool) -> None:
    if client.deny_blocking and not (in_multi_allowed and client.in_exec):
        raise err(f"{name} isn't allowed for a DENY BLOCKING client")


def _join(client: Any, kind: bytes, names: list[bytes], join: Any, count: Any) -> Raw:
    """(P|S)SUBSCRIBE: one confirmation per name, with the client's count after it."""
    out = []
    for name in names:
        join(client, name)
        out.append(_frame(client, kind, name, count(client)))
    client.slow |= SLOW_PUBSUB
    return Raw(b"".join(out))


def _leave(client: Any, kind: bytes, names: list[bytes], held: Any, leave: Any, count: Any) -> Raw:
    """(P|S)UNSUBSCRIBE: every name given, or every one held; one confirmation each, or a
    single one with a null name when there is nothing to leave."""
    out = []
    for name in names or list(held):
        leave(client, name)
        out.append(_frame(client, kind, name, count(client)))
    if not out:
        out.append(_frame(client, kind, None, count(client)))
    _update_mode(client)
    return Raw(b"".join(out))


def _shard_count(client: Any) -> int:
    return len(client.shard_channels)


@command(
    "subscribe",
    -2,
    _FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Listen for messages published to the given channels",
    complexity="O(N) where N is the number of channels to subscribe to.",
    categories=_CATS,
    arguments=({"name": "channel", "type": "string", "flags": "multiple"},),
)
def subscribe(client: Any, argv: list[bytes]) -> Any:
    _deny_blocking(client, "SUBSCRIBE", True)
    return _join(client, b"subscribe", argv[1:], client.server.pubsub.subscribe, subscriptions)


@command(
    "unsubscribe",
    -1,
    _FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Stop listening for messages posted to the given channels",
    complexity="O(N) where N is the number of clients already subscribed to a channel.",
    categories=_CATS,
    arguments=({"name": "channel", "type": "string", "flags": "optional multiple"},),
)
def unsubscribe(client: Any, argv: list[bytes]) -> Any:
    leave = client.server.pubsub.unsubscribe
    return _leave(client, b"unsubscribe", argv[1:], client.channels, leave, subscriptions)


@command(
    "psubscribe",
    -2,
    _FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Listen for messages published to channels matching the given patterns",
    complexity="O(N) where N is the number of patterns the client is already subscribed to.",
    categories=_CATS,
    arguments=(
        {
            "name": "pattern",
            "type": "block",
            "flags": "multiple",
            "arguments": [{"name": "pattern", "type": "pattern"}],
        },
    ),
)
def psubscribe(client: Any, argv: list[bytes]) -> Any:
    _deny_blocking(client, "PSUBSCRIBE", True)
    return _join(client, b"psubscribe", argv[1:], client.server.pubsub.psubscribe, subscriptions)


@command(
    "punsubscribe",
    -1,
    _FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Stop listening for messages posted to channels matching the given patterns",
    complexity="O(N+M) where N is the number of patterns the client is already subscribed "
    "and M is the number of total patterns subscribed in the system (by any client).",
    categories=_CATS,
    arguments=({"name": "pattern", "type": "pattern", "flags": "optional multiple"},),
)
def punsubscribe(client: Any, argv: list[bytes]) -> Any:
    leave = client.server.pubsub.punsubscribe
    return _leave(client, b"punsubscribe", argv[1:], client.patterns, leave, subscriptions)


@command(
    "ssubscribe",
    -2,
    _FLAGS,
    (1, -1, 1),
    group="pubsub",
    since="7.0.0",
    summary="Listen for messages published to the given shard channels",
    complexity="O(N) where N is the number of shard channels to subscribe to.",
    categories=_CATS,
    arguments=({"name": "shardchannel", "type": "string", "flags": "multiple"},),
)
def ssubscribe(client: Any, argv: list[bytes]) -> Any:
    _deny_blocking(client, "SSUBSCRIBE", False)
    join = functools.partial(client.server.pubsub.subscribe, shard=True)
    return _join(client, b"ssubscribe", argv[1:], join, _shard_count)


@command(
    "sunsubscribe",
    -1,
    _FLAGS,
    (1, -1, 1),
    group="pubsub",
    since="7.0.0",
    summary="Stop listening for messages posted to the given shard channels",
    complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
    categories=_CATS,
    arguments=({"name": "shardchannel", "type": "string", "flags": "optional multiple"},),
)
def sunsubscribe(client: Any, argv: list[bytes]) -> Any:
    leave = functools.partial(client.server.pubsub.unsubscribe, shard=True)
    return _leave(client, b"sunsubscribe", argv[1:], client.shard_channels, leave, _shard_count)


def unsubscribe_all(client: Any) -> None:
    """Leave every channel, pattern and shard channel without notifications (RESET)."""
    client.server.pubsub.forget(client)
    client.slow &= ~SLOW_PUBSUB


@command(
    "publish",
    3,
    "pubsub loading stale fast",
    group="pubsub",
    since="2.0.0",
    summary="Post a message to a channel",
    complexity="O(N+M) where N is the number of clients subscribed to the receiving channel "
    "and M is the total number of subscribed patterns (by any client).",
    categories=("@pubsub", "@fast"),
    arguments=({"name": "channel", "type": "string"}, {"name": "message", "type": "string"}),
)
def publish(client: Any, argv: list[bytes]) -> Any:
    cluster = client.server.cluster
    if cluster is not None:  # clusterPropagatePublish: every node delivers it too
        cluster.state.propagate_publish(argv[1], argv[2])
    return client.server.pubsub.publish(argv[1], argv[2])


@command(
    "spublish",
    3,
    "pubsub loading stale fast",
    (1, 1, 1),
    group="pubsub",
    since="7.0.0",
    summary="Post a message to a shard channel",
    complexity="O(N) where N is the number of clients subscribed to the receiving shard channel.",
    categories=("@pubsub", "@fast"),
    arguments=(
        {"name": "shardchannel", "type": "string"},
        {"name": "message", "type": "string"},
    ),
)
def spublish(client: Any, argv: list[bytes]) -> Any:
    cluster = client.server.cluster
    if cluster is not None:  # to the other nodes of this shard
        cluster.state.propagate_publish(argv[1], argv[2], shard=True)
    return client.server.pubsub.spublish(argv[1], argv[2])


# -- PUBSUB ---------------------------------------------------------------------------
container("pubsub", "pubsub", "2.8.0", "A container for Pub/Sub commands")
COMMANDS[b"pubsub"].acl_categories = ("@slow",)
COMMANDS[b"pubsub"].complexity = "Depends on subcommand."
_INTRO = "pubsub loading stale"


@command(
    "channels",
    -2,
    _INTRO,
    group="pubsub",
    since="2.8.0",
    parent="pubsub",
    summary="List active channels",
    complexity="O(N) where N is the number of active channels, and assuming constant time "
    "pattern matching (relatively short channels and patterns)",
    categories=_CATS,
    arguments=({"name": "pattern", "type": "pattern", "flags": "optional"},),
)
def pubsub_channels(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise _syntax(argv[1])
    return client.server.pubsub.active_channels(argv[2] if len(argv) == 3 else None)


@command(
    "numsub",
    -2,
    _INTRO,
    group="pubsub",
    since="2.8.0",
    parent="pubsub",
    summary="Get the count of subscribers for channels",
    complexity="O(N) for the NUMSUB subcommand, where N is the number of requested channels",
    categories=_CATS,
    arguments=({"name": "channel", "type": "string", "flags": "optional multiple"},),
)
def pubsub_numsub(client: Any, argv: list[bytes]) -> Any:
    ps = client.server.pubsub
    out: list[Any] = []
    for channel in argv[2:]:
        out += [channel, ps.numsub(channel)]
    return out


@command(
    "numpat",
    2,
    _INTRO,
    group="pubsub",
    since="2.8.0",
    parent="pubsub",
    summary="Get the count of unique patterns pattern subscriptions",
    complexity="O(1)",
    categories=_CATS,
)
def pubsub_numpat(client: Any, argv: list[bytes]) -> Any:
    return len(client.server.pubsub.patterns)


@command(
    "shardchannels",
    -2,
    _INTRO,
    group="pubsub",
    since="7.0.0",
    parent="pubsub",
    summary="List active shard channels",
    complexity="O(N) where N is the number of active shard channels, and assuming constant "
    "time pattern matching (relatively short shard channels).",
    categories=_CATS,
    arguments=({"name": "pattern", "type": "pattern", "flags": "optional"},),
)
def pubsub_shardchannels(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise _syntax(argv[1])
    ps = client.server.pubsub
    return ps.active_channels(argv[2] if len(argv) == 3 else None, shard=True)


@command(
    "shardnumsub",
    -2,
    _INTRO,
    group="pubsub",
    since="7.0.0",
    parent="pubsub",
    summary="Get the count of subscribers for shard channels",
    complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
    "shard channels",
    categories=_CATS,
    arguments=({"name": "shardchannel", "type": "string", "flags": "optional multiple"},),
)
def pubsub_shardnumsub(client: Any, argv: list[bytes]) -> Any:
    ps = client.server.pubsub
    out: list[Any] = []
    for channel in argv[2:]:
        out += [channel, ps.numsub(channel, shard=True)]
    return out


_PUBSUB_HELP = [
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
]


@command(
    "help",
    2,
    "loading stale",
    group="pubsub",
    since="6.2.0",
    parent="pubsub",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
    categories=("@slow",),
)
def pubsub_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("PUBSUB", _PUBSUB_HELP)


def _syntax(sub: bytes) -> Exception:
    """addReplySubcommandSyntaxError."""
    name = sub[:128].decode("utf-8", "replace")
    return err(f"unknown subcommand or wrong number of arguments for '{name}'. Try PUBSUB HELP.")


key_specs("ssubscribe", ("not_key", ("index", 1), ("range", -1, 1, 0)))
key_specs("sunsubscribe", ("not_key", ("index", 1), ("range", -1, 1, 0)))
key_specs("spublish", ("not_key", ("index", 1), ("range", 0, 1, 0)))
