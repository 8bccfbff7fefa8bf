"""XREAD and XREADGROUP (t_stream.c's xreadCommand, blocked.c's serveClientsBlockedOnStreamKey):
reading several streams at once, as a consumer group member or not, and blocking until entries
arrive (XREADGROUP is logged as the XCLAIM / XGROUP SETID / XGROUP CREATECONSUMER commands that
recreate its effect)."""

from __future__ import annotations

from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.blocking import NOT_READY, Block
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import spec
from polystack.redis.commands.scriptrun import ScriptClient
from polystack.redis.commands.streams import (
    c_str,
    create_consumer,
    lookup_consumer,
    reply_history,
    reply_range,
    strict_id,
)
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.lookup import lookup_read, read_typed
from polystack.redis.stream_type import MAX_ID, ConsumerGroup, Stream
from polystack.redis.wire import NULL_ARRAY, Raw, encode

_STREAM = "stream"

# -- XREAD / XREADGROUP -------------------------------------------------------------------------
XREAD_BLOCKED_DEFAULT_COUNT = 1000


def _streams_reply(client: Any, items: list[tuple[bytes, list]]) -> Raw:
    """XREAD's reply: per stream served, its name and entries (a map in RESP3, which can
    name a stream twice, as Redis's can)."""
    resp3 = client.resp3
    out = [b"%%%d\r\n" % len(items) if resp3 else b"*%d\r\n" % len(items)]
    for key, entries in items:
        if not resp3:
            out.append(b"*2\r\n")
        encode(key, resp3, out)
        encode(entries, resp3, out)
    return Raw(b"".join(out))


def xread_generic(client: Any, argv: list[bytes], xreadgroup: bool) -> Any:
    timeout = -1
    count = 0
    streams_arg = 0
    noack = False
    groupname: bytes | None = None
    consumername = b""
    argc = len(argv)
    i = 1
    name = argv[0].decode("utf-8", "surrogateescape")
    while i < argc:
        more = argc - i - 1
        o = argv[i].lower()
        if o == b"block" and more:
            if isinstance(client, ScriptClient):
                raise err(f"{name} command is not allowed with BLOCK option from scripts")
            i += 1
            timeout = parse_int(argv[i], "timeout is not an integer or out of range")
            if timeout < 0:
                raise err("timeout is negative")
        elif o == b"count" and more:
            i += 1
            count = max(0, parse_int(argv[i]))
        elif o == b"streams" and more:
            streams_arg = i + 1
            if (argc - streams_arg) % 2:
                raise err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
                    "specified."
                )
            break
        elif o == b"group" and more >= 2:
            if not xreadgroup:
                raise err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead."
                )
            groupname = argv[i + 1]
            consumername = argv[i + 2]
            i += 2
        elif o == b"noack":
            if not xreadgroup:
                raise err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead."
                )
            noack = True
        else:
            raise SYNTAX
        i += 1
    if not streams_arg:
        raise SYNTAX
    if xreadgroup and groupname is None:
        raise err("Missing GROUP option for XREADGROUP")
    nstreams = (argc - streams_arg) // 2
    keys = argv[streams_arg : streams_arg + nstreams]
    ids: list[int] = []
    groups: list[ConsumerGroup] = []
    for key, arg in zip(keys, argv[streams_arg + nstreams :], strict=True):
        s = read_typed(client, key, Stream)
        if groupname is not None:
            group = s.groups.get(groupname) if s is not None else None
            if group is None:
                raise RedisError(
                    "NOGROUP",
                    f"No such key '{c_str(key)}' or consumer group '{c_str(groupname)}' in "
                    "XREADGROUP with GROUP option",
                )
            groups.append(group)
        if arg == b"$":
            if xreadgroup:
                raise err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the "
                    "history of this consumer by specifying a proper ID, or use the > ID to get "
                    "new messages. The $ ID would just return an empty result set."
                )
            ids.append(s.last_id if s is not None else 0)
        elif arg == b">":
            if not xreadgroup:
                raise err(
                    "The > ID can be specified only when calling XREADGROUP using the GROUP "
                    "<group> <consumer> option."
                )
            ids.append(MAX_ID)
        else:
            ids.append(strict_id(arg))
    props: list[list[bytes]] = []
    served: list[tuple[bytes, list]] = []
    for n, key in enumerate(keys):
        s = lookup_read(client, key)
        if s is None:
            continue
        gt = ids[n]
        history = False
        serve = False
        if groupname is not None:
            if gt != MAX_ID:
                serve = history = True
            elif s.length:
                last = groups[n].last_id
                if s.last_valid_id() > last:
                    serve = True
                    gt = last
        elif s.length and s.last_valid_id() > gt:
            serve = True
        if not serve:
            continue
        start = 0 if gt == MAX_ID else gt + 1
        consumer = None
        if groupname is not None:
            group = groups[n]
            consumer = lookup_consumer(client, group, consumername)
            if consumer is None:
                consumer = create_consumer(client, group, consumername, key)
                props.append([b"XGROUP", b"CREATECONSUMER", key, groupname, consumername])
            if history:
                entries = reply_history(client, s, start, count, consumer)
            else:
                entries = reply_range(
                    client, s, start, MAX_ID, count, False, group, consumer, noack, props, key,
                    groupname,
                )  # fmt: skip
            client.ks.dirty += 1
        else:
            entries = s.range(start, MAX_ID, count)
        served.append((key, entries))
    if groupname is not None:
        client.propagate = props
    if served:
        return _streams_reply(client, served)
    if timeout != -1:
        if client.deny_blocking:
            return NULL_ARRAY
        return _block(client, keys, ids, timeout, count, groupname, consumername, noack)
    return NULL_ARRAY


def _block(
    client: Any,
    keys: list[bytes],
    ids: list[int],
    timeout: int,
    count: int,
    groupname: bytes | None,
    consumername: bytes,
    noack: bool,
) -> Block:
    """blockForKeys(BLOCKED_STREAM): wait for entries past the IDs given (the group's last
    delivered ID for ``>``)."""
    wanted: dict[bytes, int] = {}
    for key, sid in zip(keys, ids, strict=True):
        wanted.setdefault(key, sid)  # a stream named twice waits for its first ID
    read_count = count or XREAD_BLOCKED_DEFAULT_COUNT

    def serve(c: Any, key: bytes, s: Stream) -> Any:
        gt = wanted[key]
        group = None
        if groupname is not None:
            group = s.groups.get(groupname)
            if group is None:
                return RedisError(
                    "NOGROUP", "the consumer group this client was blocked on no longer exists"
                )
            gt = wanted[key] = group.last_id
        if s.last_id <= gt:
            return NOT_READY
        start = 0 if gt == MAX_ID else gt + 1
        props: list[list[bytes]] = []
        if group is not None:
            assert groupname is not None  # a group is looked up by its name
            consumer = lookup_consumer(c, group, consumername)
            if consumer is None:
                consumer = create_consumer(c, group, consumername, key)
                props.append([b"XGROUP", b"CREATECONSUMER", key, groupname, consumername])
            entries = reply_range(
                c, s, start, MAX_ID, read_count, False, group, consumer, noack, props, key,
                groupname,
            )  # fmt: skip
            c.propagate = props
        else:
            entries = s.range(start, MAX_ID, read_count)
        return _streams_reply(c, [(key, entries)])

    def gone(c: Any, key: bytes, value: Any) -> Any:
        if groupname is None:
            return NOT_READY
        return RedisError("UNBLOCKED", "the stream key no longer exists")

    return Block(keys, timeout, Stream, serve, NULL_ARRAY, gone)


_XREAD_COMPLEXITY = (
    "For each stream mentioned: O(N) with N being the number of elements being returned, it "
    "means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, "
    "XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new "
    "data."
)


@command(
    "xread",
    -4,
    "readonly blocking movablekeys",
    (0, 0, 0),
    _STREAM,
    "5.0.0",
    "Return never seen elements in multiple streams, with IDs greater than the ones reported by "
    "the caller for each stream. Can block.",
    complexity=_XREAD_COMPLEXITY,
    arguments="count:integer'COUNT'? milliseconds:integer'BLOCK'? "
    "streams:block'STREAMS'{key:key+ id:string+}",
    specs=(spec("RO ACCESS", ("keyword", "STREAMS", 1), ("range", -1, 1, 2)),),
)
def xread(client: Any, argv: list[bytes]) -> Any:
    return xread_generic(client, argv, False)


@command(
    "xreadgroup",
    -7,
    "write blocking movablekeys",
    (0, 0, 0),
    _STREAM,
    "5.0.0",
    "Return new entries from a stream using a consumer group, or access the history of the "
    "pending entries for a given consumer. Can block.",
    complexity="For each stream mentioned: O(M) with M being the number of elements returned. "
    "If M is constant (e.g. always asking for the first 10 elements with COUNT), you can "
    "consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in "
    "order to serve the N clients blocked on the stream getting new data.",
    arguments="group_consumer:block'GROUP'{group:string consumer:string} count:integer'COUNT'? "
    "milliseconds:integer'BLOCK'? noack:pure-token'NOACK'? "
    "streams:block'STREAMS'{key:key+ id:string+}",
    specs=(spec("RO ACCESS", ("keyword", "STREAMS", 4), ("range", -1, 1, 2)),),
)
def xreadgroup(client: Any, argv: list[bytes]) -> Any:
    return xread_generic(client, argv, True)
