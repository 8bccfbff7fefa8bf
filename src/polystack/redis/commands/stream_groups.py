"""Stream consumer groups and introspection (t_stream.c): XGROUP CREATE / SETID / DESTROY /
CREATECONSUMER / DELCONSUMER, XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO STREAM / GROUPS /
CONSUMERS.  XCLAIM and XAUTOCLAIM are logged as the idempotent XCLAIM ... FORCE JUSTID
commands Redis propagates."""

from __future__ import annotations

from typing import Any

from polystack.redis.args import parse_int, parse_range
from polystack.redis.commands import COMMANDS, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.keyspecs import single
from polystack.redis.commands.streams import (
    c_str,
    create_consumer,
    lookup_consumer,
    parse_id,
    parse_interval,
    setid_propagation,
    strict_id,
    xclaim_propagation,
)
from polystack.redis.errors import SYNTAX, WRONGTYPE, RedisError, err
from polystack.redis.lookup import db_add, lookup_read, read_typed, write_typed
from polystack.redis.notify import NOTIFY_STREAM, modified, notify
from polystack.redis.stream_type import (
    INVALID_ENTRIES_READ,
    MAX_ID,
    NACK,
    U64,
    ConsumerGroup,
    Stream,
    id_bytes,
)
from polystack.redis.wire import NULL_ARRAY, OK

_STREAM = "stream"


def _subcommand_error(argv: list[bytes]) -> RedisError:
    """addReplySubcommandSyntaxError."""
    return err(
        f"unknown subcommand or wrong number of arguments for '{c_str(argv[1][:128])}'. "
        f"Try {argv[0].decode('utf-8', 'surrogateescape').upper()} HELP."
    )


def _no_group(key: bytes, group: bytes) -> RedisError:
    return RedisError("NOGROUP", f"No such key '{c_str(key)}' or consumer group '{c_str(group)}'")


def _group_of(client: Any, key: bytes, groupname: bytes) -> tuple[Stream, ConsumerGroup]:
    """The stream and group XCLAIM / XAUTOCLAIM / XPENDING work on, or -NOGROUP."""
    s = read_typed(client, key, Stream)
    group = s.groups.get(groupname) if s is not None else None
    if group is None:
        raise _no_group(key, groupname)
    return s, group


# -- XGROUP -----------------------------------------------------------------------------------
container("xgroup", _STREAM, "5.0.0", "A container for consumer groups commands")
COMMANDS[b"xgroup"].acl_categories = ("@slow",)
COMMANDS[b"xgroup"].complexity = "Depends on subcommand."

_XGROUP_HELP = [
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
]


def _xgroup(client: Any, argv: list[bytes]) -> Any:
    """xgroupCommand: the checks every subcommand shares, then the subcommand."""
    opt = argv[1].lower()
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    i = 5
    while i < len(argv):
        a = argv[i].lower()
        if opt == b"create" and a == b"mkstream":
            mkstream = True
            i += 1
        elif opt in (b"create", b"setid") and a == b"entriesread" and i + 1 < len(argv):
            entries_read = parse_int(argv[i + 1])
            if entries_read < 0 and entries_read != INVALID_ENTRIES_READ:
                raise err("value for ENTRIESREAD must be positive or -1")
            i += 2
        else:
            raise _subcommand_error(argv)
    key, grpname = argv[2], argv[3]
    s = write_typed(client, key, Stream)
    group = None
    if not mkstream:
        if s is None:
            raise err(
                "The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
                "want to use the MKSTREAM option to create an empty stream automatically."
            )
        group = s.groups.get(grpname)
        if group is None and opt in (b"setid", b"createconsumer", b"delconsumer"):
            raise RedisError(
                "NOGROUP",
                f"No such consumer group '{c_str(grpname)}' for key name '{c_str(key)}'",
            )
    ks = client.ks
    if opt == b"create":
        if len(argv) > 8:
            raise _subcommand_error(argv)
        if argv[4] == b"$":
            sid = s.last_id if s is not None else 0
        else:
            sid = strict_id(argv[4])
        if s is None:
            s = Stream()
            db_add(client, key, s)
            modified(client, key)
        if grpname in s.groups:
            raise RedisError("BUSYGROUP", "Consumer Group name already exists")
        s.groups[grpname] = ConsumerGroup(sid, entries_read)
        ks.dirty += 1
        notify(client, NOTIFY_STREAM, b"xgroup-create", key)
        return OK
    assert s is not None
    if opt == b"setid":
        if len(argv) not in (5, 7):
            raise _subcommand_error(argv)
        sid = s.last_id if argv[4] == b"$" else parse_id(argv[4])[0]
        assert group is not None
        group.last_id = sid
        group.entries_read = entries_read
        ks.dirty += 1
        notify(client, NOTIFY_STREAM, b"xgroup-setid", key)
        return OK
    if opt == b"destroy":
        if group is None:
            return 0
        del s.groups[grpname]
        ks.dirty += 1
        notify(client, NOTIFY_STREAM, b"xgroup-destroy", key)
        ks.signal_key_as_ready(client.db, key)  # blocked XREADGROUP clients get -NOGROUP
        return 1
    assert group is not None
    if opt == b"createconsumer":
        if argv[4] in group.consumers:
            return 0
        create_consumer(client, group, argv[4], key)
        return 1
    # delconsumer
    consumer = group.consumers.get(argv[4])
    if consumer is None:
        return 0
    pending = len(consumer.pel)
    group.delete_consumer(consumer)
    ks.dirty += 1
    notify(client, NOTIFY_STREAM, b"xgroup-delconsumer", key)
    return pending


_ENTRIES_READ_HISTORY = ("7.0.0", "Added the `entries_read` named argument.")


@command(
    "create",
    -5,
    "write denyoom",
    (2, 2, 1),
    _STREAM,
    "5.0.0",
    "Create a consumer group.",
    complexity="O(1)",
    parent="xgroup",
    arguments="key:key groupname:string id:oneof{id:string new_id:pure-token'$'} "
    "mkstream:pure-token'MKSTREAM'? entries_read:integer'ENTRIESREAD'?",
    history=(_ENTRIES_READ_HISTORY,),
    specs=(single("RW INSERT", 2),),
)
def xgroup_create(client: Any, argv: list[bytes]) -> Any:
    return _xgroup(client, argv)


@command(
    "setid",
    -5,
    "write",
    (2, 2, 1),
    _STREAM,
    "5.0.0",
    "Set a consumer group to an arbitrary last delivered ID value.",
    complexity="O(1)",
    parent="xgroup",
    arguments="key:key groupname:string id:oneof{id:string new_id:pure-token'$'} "
    "entries_read:integer'ENTRIESREAD'?",
    history=(("7.0.0", "Added the optional `entries_read` argument."),),
    specs=(single("RW UPDATE", 2),),
)
def xgroup_setid(client: Any, argv: list[bytes]) -> Any:
    return _xgroup(client, argv)


@command(
    "destroy",
    4,
    "write",
    (2, 2, 1),
    _STREAM,
    "5.0.0",
    "Destroy a consumer group.",
    complexity="O(N) where N is the number of entries in the group's pending entries list (PEL).",
    parent="xgroup",
    arguments="key:key groupname:string",
    specs=(single("RW DELETE", 2),),
)
def xgroup_destroy(client: Any, argv: list[bytes]) -> Any:
    return _xgroup(client, argv)


@command(
    "createconsumer",
    5,
    "write denyoom",
    (2, 2, 1),
    _STREAM,
    "6.2.0",
    "Create a consumer in a consumer group.",
    complexity="O(1)",
    parent="xgroup",
    arguments="key:key groupname:string consumername:string",
    specs=(single("RW INSERT", 2),),
)
def xgroup_createconsumer(client: Any, argv: list[bytes]) -> Any:
    return _xgroup(client, argv)


@command(
    "delconsumer",
    5,
    "write",
    (2, 2, 1),
    _STREAM,
    "5.0.0",
    "Delete a consumer from a consumer group.",
    complexity="O(1)",
    parent="xgroup",
    arguments="key:key groupname:string consumername:string",
    specs=(single("RW DELETE", 2),),
)
def xgroup_delconsumer(client: Any, argv: list[bytes]) -> Any:
    return _xgroup(client, argv)


@command(
    "help",
    2,
    "loading stale",
    (0, 0, 0),
    _STREAM,
    "5.0.0",
    "Show helpful text about the different subcommands",
    complexity="O(1)",
    parent="xgroup",
)
def xgroup_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("XGROUP", _XGROUP_HELP)


# -- XACK / XPENDING ----------------------------------------------------------------------------
@command(
    "xack",
    -4,
    "write fast",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Marks a pending message as correctly processed, effectively removing it from the pending "
    "entries list of the consumer group. Return value of the command is the number of messages "
    "successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
    complexity="O(1) for each message ID processed.",
    arguments="key:key group:string id:string+",
    specs=(single("RW UPDATE"),),
)
def xack(client: Any, argv: list[bytes]) -> Any:
    s = read_typed(client, argv[1], Stream)
    group = s.groups.get(argv[2]) if s is not None else None
    if group is None:
        return 0
    ids = [strict_id(a) for a in argv[3:]]
    acked = 0
    for sid in ids:
        nack = group.pel.pop(sid, None)
        if nack is not None:
            if nack.consumer is not None:
                nack.consumer.pel.pop(sid, None)
            acked += 1
            client.ks.dirty += 1
    return acked


@command(
    "xpending",
    -3,
    "readonly",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Return information and entries from a stream consumer group pending entries list, that "
    "are messages fetched but never acknowledged.",
    complexity="O(N) with N being the number of elements returned, so asking for a small fixed "
    "number of entries per call is O(1). O(M), where M is the total number of entries scanned "
    "when used with the IDLE filter. When the command returns just the summary and the list of "
    "consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating "
    "every consumer.",
    tips=("nondeterministic_output",),
    arguments="key:key group:string filters:block?{min-idle-time:integer'IDLE'?@6.2.0 "
    "start:string end:string count:integer consumer:string?}",
    history=(("6.2.0", "Added the `IDLE` option and exclusive range intervals."),),
    specs=(single("RO ACCESS"),),
)
def xpending(client: Any, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc != 3 and not 6 <= argc <= 9:
        raise SYNTAX
    minidle = count = 0
    start = end = 0
    consumername = None
    if argc >= 6:
        startidx = 3
        if argv[3].lower() == b"idle":
            minidle = parse_int(argv[4])
            if argc < 8:
                raise SYNTAX
            startidx += 2
        count = max(0, parse_int(argv[startidx + 2]))
        start, ex = parse_interval(argv[startidx], 0)
        if ex:
            if start == MAX_ID:
                raise err("invalid start ID for the interval")
            start += 1
        end, ex = parse_interval(argv[startidx + 1], U64)
        if ex:
            if end == 0:
                raise err("invalid end ID for the interval")
            end -= 1
        if startidx + 3 < argc:
            consumername = argv[startidx + 3]
    s, group = _group_of(client, argv[1], argv[2])
    if argc == 3:
        pel = group.pel
        if not pel:
            return [0, None, None, NULL_ARRAY]
        owners = [
            [c.name, b"%d" % len(c.pel)] for c in group.consumers_sorted() if len(c.pel)
        ]  # fmt: skip
        return [len(pel), id_bytes(pel.peekitem(0)[0]), id_bytes(pel.peekitem(-1)[0]), owners]
    if consumername is not None:
        consumer = group.consumers.get(consumername)
        if consumer is None:
            return []
        pel = consumer.pel
    else:
        pel = group.pel
    now = client.now_ms()
    out = []
    for sid in pel.irange(minimum=start):
        if not count or sid > end:
            break
        nack: NACK = pel[sid]
        idle = now - nack.delivery_time
        if minidle and idle < minidle:
            continue
        count -= 1
        name = nack.consumer.name if nack.consumer is not None else b""
        out.append([id_bytes(sid), name, max(0, idle), nack.delivery_count])
    return out


# -- XCLAIM / XAUTOCLAIM -----------------------------------------------------------------------
def _claim_consumer(client: Any, group: ConsumerGroup, name: bytes, key: bytes) -> Any:
    consumer = lookup_consumer(client, group, name)
    if consumer is None:
        consumer = create_consumer(client, group, name, key)
    return consumer


def _drop_nack(group: ConsumerGroup, sid: int, nack: NACK) -> None:
    del group.pel[sid]
    if nack.consumer is not None:
        nack.consumer.pel.pop(sid, None)


def _entry_or_id(s: Stream, sid: int, justid: bool) -> Any:
    if justid:
        return id_bytes(sid)
    found = s.lookup(sid)
    assert found is not None
    node = s.nodes[found[0]]
    return [id_bytes(sid), node.pairs(found[1])]


@command(
    "xclaim",
    -6,
    "write fast",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Changes (or acquires) ownership of a message in a consumer group, as if the message was "
    "delivered to the specified consumer.",
    complexity="O(log N) with N being the number of messages in the PEL of the consumer group.",
    tips=("nondeterministic_output",),
    arguments="key:key group:string consumer:string min-idle-time:string id:string+ "
    "ms:integer'IDLE'? unix-time-milliseconds:unix-time'TIME'? count:integer'RETRYCOUNT'? "
    "force:pure-token'FORCE'? justid:pure-token'JUSTID'? id:string'LASTID'?",
    specs=(single("RW UPDATE"),),
)
def xclaim(client: Any, argv: list[bytes]) -> Any:
    key, groupname = argv[1], argv[2]
    s, group = _group_of(client, key, groupname)
    minidle = max(0, parse_int(argv[4], "Invalid min-idle-time argument for XCLAIM"))
    ids = []
    j = 5
    while j < len(argv):
        try:
            ids.append(strict_id(argv[j]))
        except RedisError:
            break
        j += 1
    now = client.now_ms()
    retrycount = deliverytime = -1
    force = justid = False
    last_id = 0
    while j < len(argv):
        more = len(argv) - 1 - j
        opt = argv[j].lower()
        if opt == b"force":
            force = True
        elif opt == b"justid":
            justid = True
        elif opt == b"idle" and more:
            j += 1
            deliverytime = now - parse_int(argv[j], "Invalid IDLE option argument for XCLAIM")
        elif opt == b"time" and more:
            j += 1
            deliverytime = parse_int(argv[j], "Invalid TIME option argument for XCLAIM")
        elif opt == b"retrycount" and more:
            j += 1
            retrycount = parse_int(argv[j], "Invalid RETRYCOUNT option argument for XCLAIM")
        elif opt == b"lastid" and more:
            j += 1
            last_id = strict_id(argv[j])
        else:
            raise err(f"Unrecognized XCLAIM option '{c_str(argv[j])}'")
        j += 1
    ks = client.ks
    propagate_last_id = False
    if last_id > group.last_id:
        group.last_id = last_id
        propagate_last_id = True
    if deliverytime == -1 or deliverytime < 0 or deliverytime > now:
        deliverytime = now
    props: list[list[bytes]] = []
    out: list[Any] = []
    consumer = None
    for sid in ids:
        nack = group.pel.get(sid)
        if not s.exists(sid):
            if nack is not None:
                props.append(xclaim_propagation(key, groupname, group, sid, nack))
                propagate_last_id = False
                ks.dirty += 1
                _drop_nack(group, sid, nack)
            continue
        if force and nack is None:
            nack = NACK(now, None)
            group.pel[sid] = nack
        if nack is None:
            continue
        if nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _claim_consumer(client, group, argv[3], key)
        if nack.consumer is not consumer and nack.consumer is not None:
            nack.consumer.pel.pop(sid, None)
        nack.delivery_time = deliverytime
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not justid:
            nack.delivery_count += 1
        if nack.consumer is not consumer:
            consumer.pel[sid] = nack
            nack.consumer = consumer
        out.append(_entry_or_id(s, sid, justid))
        props.append(xclaim_propagation(key, groupname, group, sid, nack))
        propagate_last_id = False
        ks.dirty += 1
    if propagate_last_id:
        props.append(setid_propagation(key, groupname, group))
        ks.dirty += 1
    client.propagate = props
    return out


@command(
    "xautoclaim",
    -6,
    "write fast",
    (1, 1, 1),
    _STREAM,
    "6.2.0",
    "Changes (or acquires) ownership of messages in a consumer group, as if the messages were "
    "delivered to the specified consumer.",
    complexity="O(1) if COUNT is small.",
    tips=("nondeterministic_output",),
    arguments="key:key group:string consumer:string min-idle-time:string start:string "
    "count:integer'COUNT'? justid:pure-token'JUSTID'?",
    history=(
        (
            "7.0.0",
            "Added an element to the reply array, containing deleted entries the command cleared "
            "from the PEL",
        ),
    ),
    specs=(single("RW DELETE"),),
)
def xautoclaim(client: Any, argv: list[bytes]) -> Any:
    key, groupname = argv[1], argv[2]
    minidle = max(0, parse_int(argv[4], "Invalid min-idle-time argument for XAUTOCLAIM"))
    start, ex = parse_interval(argv[5], 0)
    if ex:
        if start == MAX_ID:
            raise err("invalid start ID for the interval")
        start += 1
    count = 100
    justid = False
    j = 6
    while j < len(argv):
        more = len(argv) - 1 - j
        opt = argv[j].lower()
        if opt == b"count" and more:
            count = parse_range(argv[j + 1], 1, ((1 << 63) - 1) // 16, "COUNT must be > 0")
            j += 1
        elif opt == b"justid":
            justid = True
        else:
            raise SYNTAX
        j += 1
    s, group = _group_of(client, key, groupname)
    attempts = count * 10
    now = client.now_ms()
    ks = client.ks
    props: list[list[bytes]] = []
    out: list[Any] = []
    deleted: list[bytes] = []
    consumer = None
    pel = group.pel
    pos = pel.bisect_left(start)  # the rax iterator: the next key is pel's pos-th
    while attempts and count:
        attempts -= 1
        if pos >= len(pel):
            pos = -1
            break
        sid, nack = pel.peekitem(pos)
        if not s.exists(sid):
            props.append(xclaim_propagation(key, groupname, group, sid, nack))
            ks.dirty += 1
            _drop_nack(group, sid, nack)
            deleted.append(id_bytes(sid))
            count -= 1
            continue  # the next key slid into ``pos``
        pos += 1
        if minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _claim_consumer(client, group, argv[3], key)
        if nack.consumer is not consumer and nack.consumer is not None:
            nack.consumer.pel.pop(sid, None)
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        if nack.consumer is not consumer:
            consumer.pel[sid] = nack
            nack.consumer = consumer
        out.append(_entry_or_id(s, sid, justid))
        count -= 1
        props.append(xclaim_propagation(key, groupname, group, sid, nack))
        ks.dirty += 1
    cursor = 0 if pos < 0 or pos >= len(pel) else pel.peekitem(pos)[0]
    client.propagate = props
    return [id_bytes(cursor), out, deleted]


# -- XINFO -------------------------------------------------------------------------------------
container("xinfo", _STREAM, "5.0.0", "A container for stream introspection commands")
COMMANDS[b"xinfo"].acl_categories = ("@slow",)
COMMANDS[b"xinfo"].complexity = "Depends on subcommand."

_XINFO_HELP = [
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
]


def _xinfo_stream_value(client: Any, key: bytes) -> Stream:
    v = lookup_read(client, key)
    if v is None:
        raise err("no such key")
    if type(v) is not Stream:
        raise WRONGTYPE
    return v


@command(
    "consumers",
    4,
    "readonly",
    (2, 2, 1),
    _STREAM,
    "5.0.0",
    "List the consumers in a consumer group",
    complexity="O(1)",
    parent="xinfo",
    tips=("nondeterministic_output",),
    arguments="key:key groupname:string",
    specs=(single("RO ACCESS", 2),),
)
def xinfo_consumers(client: Any, argv: list[bytes]) -> Any:
    s = _xinfo_stream_value(client, argv[2])
    group = s.groups.get(argv[3])
    if group is None:
        raise RedisError(
            "NOGROUP",
            f"No such consumer group '{c_str(argv[3])}' for key name '{c_str(argv[2])}'",
        )
    now = client.now_ms()
    return [
        {b"name": c.name, b"pending": len(c.pel), b"idle": max(0, now - c.seen_time)}
        for c in group.consumers_sorted()
    ]


@command(
    "groups",
    3,
    "readonly",
    (2, 2, 1),
    _STREAM,
    "5.0.0",
    "List the consumer groups of a stream",
    complexity="O(1)",
    parent="xinfo",
    arguments="key:key",
    history=(("7.0.0", "Added the `entries-read` and `lag` fields"),),
    specs=(single("RO ACCESS", 2),),
)
def xinfo_groups(client: Any, argv: list[bytes]) -> Any:
    s = _xinfo_stream_value(client, argv[2])
    return [
        {
            b"name": name,
            b"consumers": len(g.consumers),
            b"pending": len(g.pel),
            b"last-delivered-id": id_bytes(g.last_id),
            b"entries-read": None if g.entries_read == INVALID_ENTRIES_READ else g.entries_read,
            b"lag": s.lag(g),
        }
        for name, g in s.groups_sorted()
    ]


def _edge_entry(s: Stream, rev: bool) -> Any:
    for node, k in s.entries(rev=rev):
        return [id_bytes(node.ids[k]), node.pairs(k)]
    return None


@command(
    "stream",
    -3,
    "readonly",
    (2, 2, 1),
    _STREAM,
    "5.0.0",
    "Get information about a stream",
    complexity="O(1)",
    parent="xinfo",
    arguments="key:key full:block'FULL'?{count:integer'COUNT'?}",
    history=(
        ("6.0.0", "Added the `FULL` modifier."),
        (
            "7.0.0",
            "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, "
            "`entries-read` and `lag` fields",
        ),
    ),
    specs=(single("RO ACCESS", 2),),
)
def xinfo_stream(client: Any, argv: list[bytes]) -> Any:
    s = _xinfo_stream_value(client, argv[2])
    opts = argv[3:]
    full = bool(opts)
    count = 10
    if opts:
        if len(opts) not in (1, 3) or opts[0].lower() != b"full":
            raise _subcommand_error(argv)
        if len(opts) == 3:
            if opts[1].lower() != b"count":
                raise _subcommand_error(argv)
            count = parse_int(opts[2])
            if count < 0:
                count = 10
    info: dict[bytes, Any] = {
        b"length": s.length,
        b"radix-tree-keys": len(s.nodes),
        b"radix-tree-nodes": s.rax.numnodes,
        b"last-generated-id": id_bytes(s.last_id),
        b"max-deleted-entry-id": id_bytes(s.max_deleted),
        b"entries-added": s.entries_added,
        b"recorded-first-entry-id": id_bytes(s.first_id),
    }
    if not full:
        info[b"groups"] = len(s.groups)
        info[b"first-entry"] = _edge_entry(s, False)
        info[b"last-entry"] = _edge_entry(s, True)
        return info
    info[b"entries"] = s.range(0, MAX_ID, count)
    groups = []
    for name, g in s.groups_sorted():
        pending: list[list[Any]] = []
        for sid, nack in g.pel.items():
            if count and len(pending) >= count:
                break
            owner = nack.consumer.name if nack.consumer is not None else b""
            pending.append([id_bytes(sid), owner, nack.delivery_time, nack.delivery_count])
        consumers = []
        for c in g.consumers_sorted():
            cpel: list[list[Any]] = []
            for sid, nack in c.pel.items():
                if count and len(cpel) >= count:
                    break
                cpel.append([id_bytes(sid), nack.delivery_time, nack.delivery_count])
            consumers.append(
                {b"name": c.name, b"seen-time": c.seen_time, b"pel-count": len(c.pel),
                 b"pending": cpel}
            )  # fmt: skip
        groups.append(
            {
                b"name": name,
                b"last-delivered-id": id_bytes(g.last_id),
                b"entries-read": None if g.entries_read == INVALID_ENTRIES_READ else g.entries_read,
                b"lag": s.lag(g),
                b"pel-count": len(g.pel),
                b"pending": pending,
                b"consumers": consumers,
            }
        )
    info[b"groups"] = groups
    return info


@command(
    "help",
    2,
    "loading stale",
    (0, 0, 0),
    _STREAM,
    "5.0.0",
    "Show helpful text about the different subcommands",
    complexity="O(1)",
    parent="xinfo",
)
def xinfo_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("XINFO", _XINFO_HELP)
