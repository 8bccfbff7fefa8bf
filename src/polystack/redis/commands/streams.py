"""Stream commands (t_stream.c): XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID, and the ID
parsing and entry replies the other stream modules share.  XREAD / XREADGROUP live in
stream_read.py, consumer group administration in stream_groups.py.

Writes are logged in a deterministic form, as Redis propagates them: XADD with the ID it
generated and an approximate trim rewritten as the exact one it amounted to; XREADGROUP as
the XCLAIM / XGROUP SETID / XGROUP CREATECONSUMER commands that recreate its effect."""

from __future__ import annotations

from typing import Any

from polystack.redis import stream_rdb  # noqa: F401  (registers the stream RDB/snapshot codecs)
from polystack.redis.args import parse_int
from polystack.redis.commands import command
from polystack.redis.commands.keyspecs import single, spec
from polystack.redis.errors import SYNTAX, RedisError, err
from polystack.redis.lookup import db_add, read_typed, write_typed
from polystack.redis.notify import NOTIFY_STREAM, modified, notify
from polystack.redis.stream_type import (
    INVALID_ENTRIES_READ,
    LISTPACK_MAX_SIZE,
    MAX_ID,
    NACK,
    U64,
    Consumer,
    ConsumerGroup,
    Stream,
    id_bytes,
)
from polystack.redis.wire import NULL_ARRAY, Raw

_STREAM = "stream"
INVALID_ID = err("Invalid stream ID specified as stream command argument")
_SPACE = b" \t\n\x0b\x0c\r"


# -- IDs --------------------------------------------------------------------------------------
def string2ull(s: bytes) -> int | None:
    """string2ull: a canonical non-negative integer, else what C's strtoull reads from the
    whole string (spaces, a sign, digits; a '-' negates modulo 2^64), else None."""
    try:
        v = parse_int(s)
    except RedisError:
        pass
    else:
        return v if v >= 0 else None
    i, n = 0, len(s)
    while i < n and s[i] in _SPACE:
        i += 1
    neg = False
    if i < n and s[i] in b"+-":
        neg = s[i] == 0x2D
        i += 1
    digits = s[i:]
    if not digits or not digits.isdigit():
        return None
    v = int(digits)
    if v > U64:
        return None
    return (-v) & U64 if neg else v


def parse_id(
    arg: bytes, missing_seq: int = 0, strict: bool = False, seq_star: bool = False
) -> tuple[int, bool]:
    """streamGenericParseIDOrReply: (ID, whether the sequence was given).  ``<ms>`` takes
    ``missing_seq``; ``-``/``+`` are the smallest/largest IDs unless ``strict``; ``seq_star``
    accepts ``<ms>-*`` (XADD)."""
    if len(arg) > 127:
        raise INVALID_ID
    buf = arg.split(b"\0", 1)[0]  # C string functions stop at a NUL
    if buf in (b"-", b"+"):
        if strict:
            raise INVALID_ID
        return (0 if buf == b"-" else MAX_ID), True
    ms_part, dash, seq_part = buf.partition(b"-")
    ms = string2ull(ms_part)
    if ms is None:
        raise INVALID_ID
    if not dash:
        return ms << 64 | missing_seq, True
    if seq_star and seq_part == b"*":
        return ms << 64, False
    seq = string2ull(seq_part)
    if seq is None:
        raise INVALID_ID
    return ms << 64 | seq, True


def strict_id(arg: bytes) -> int:
    return parse_id(arg, 0, True)[0]


def parse_interval(arg: bytes, missing_seq: int) -> tuple[int, bool]:
    """streamParseIntervalIDOrReply: (ID, exclusive) for a range bound, "(" meaning open."""
    if len(arg) > 1 and arg[0] == 0x28:  # '('
        return parse_id(arg[1:], missing_seq, True)[0], True
    return parse_id(arg, missing_seq)[0], False


def c_str(b: bytes) -> str:
    """A name as an error message's %s prints it (up to a NUL)."""
    return b.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


# -- replies ------------------------------------------------------------------------------------
def entry_reply(sid: int, pairs: list[bytes]) -> list:
    return [id_bytes(sid), pairs]


def reply_range(
    client: Any,
    s: Stream,
    start: int,
    end: int,
    count: int,
    rev: bool = False,
    group: ConsumerGroup | None = None,
    consumer: Consumer | None = None,
    noack: bool = False,
    props: list[list[bytes]] | None = None,
    key: bytes = b"",
    groupname: bytes = b"",
) -> list:
    """streamReplyWithRange: the entries in [start, end] (``count`` at most, 0: all).  With a
    group, entries past its last ID advance it (and its read counter), and each entry
    delivered enters the PEL of the group and the consumer (unless ``noack``), logged as
    XCLAIM into ``props``."""
    out = []
    propagate_last_id = False
    now = client.now_ms() if group is not None else 0
    for node, k in s.entries(start, end, rev):
        sid = node.ids[k]
        if group is not None:
            if sid > group.last_id:
                if group.entries_read != INVALID_ENTRIES_READ and not s.range_has_tombstones(sid):
                    group.entries_read += 1
                elif s.entries_added:
                    group.entries_read = s.estimate_distance(sid)
                group.last_id = sid
                if noack:
                    propagate_last_id = True
        out.append([id_bytes(sid), node.pairs(k)])
        if group is not None and not noack:
            assert consumer is not None
            nack = group.pel.get(sid)
            if nack is None:
                nack = NACK(now, consumer)
                group.pel[sid] = nack
                consumer.pel[sid] = nack
            else:
                old = nack.consumer
                if old is not None:
                    old.pel.pop(sid, None)
                nack.consumer = consumer
                nack.delivery_time = now
                nack.delivery_count = 1
                consumer.pel[sid] = nack
            if props is not None:
                props.append(xclaim_propagation(key, groupname, group, sid, nack))
        if count and len(out) == count:
            break
    if props is not None and propagate_last_id:
        props.append(setid_propagation(key, groupname, group))  # type: ignore[arg-type]
    return out


def reply_history(client: Any, s: Stream, start: int, count: int, consumer: Consumer) -> list:
    """streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries from
    ``start`` (an entry deleted since comes back with a null body)."""
    out: list = []
    now = client.now_ms()
    for sid in list(consumer.pel.irange(minimum=start)):
        if count and len(out) >= count:
            break
        found = s.lookup(sid)
        if found is None:
            out.append([id_bytes(sid), NULL_ARRAY])
            continue
        node = s.nodes[found[0]]
        out.append([id_bytes(sid), node.pairs(found[1])])
        nack = consumer.pel[sid]
        nack.delivery_time = now
        nack.delivery_count += 1
    return out


def xclaim_propagation(
    key: bytes, groupname: bytes, group: ConsumerGroup, sid: int, nack: NACK
) -> list[bytes]:
    """streamPropagateXCLAIM: an idempotent XCLAIM recreating the PEL entry."""
    name = nack.consumer.name if nack.consumer is not None else b""
    return [
        b"XCLAIM",
        key,
        groupname,
        name,
        b"0",
        id_bytes(sid),
        b"TIME",
        b"%d" % nack.delivery_time,
        b"RETRYCOUNT",
        b"%d" % nack.delivery_count,
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        id_bytes(group.last_id),
    ]


def setid_propagation(key: bytes, groupname: bytes, group: ConsumerGroup) -> list[bytes]:
    """streamPropagateGroupID."""
    return [
        b"XGROUP",
        b"SETID",
        key,
        groupname,
        id_bytes(group.last_id),
        b"ENTRIESREAD",
        b"%d" % group.entries_read,
    ]


def create_consumer(
    client: Any, group: ConsumerGroup, name: bytes, key: bytes, event: bool = True
) -> Consumer:
    """streamCreateConsumer (dirty, "xgroup-createconsumer" event)."""
    consumer = Consumer(name, client.now_ms())
    group.consumers[name] = consumer
    client.ks.dirty += 1
    if event:
        notify(client, NOTIFY_STREAM, b"xgroup-createconsumer", key)
    return consumer


def lookup_consumer(client: Any, group: ConsumerGroup, name: bytes, refresh: bool = True) -> Any:
    """streamLookupConsumer (SLC_DEFAULT refreshes its seen time)."""
    consumer = group.consumers.get(name)
    if consumer is not None and refresh:
        consumer.seen_time = client.now_ms()
    return consumer


# -- XADD / XTRIM -------------------------------------------------------------------------------
class TrimArgs:
    __slots__ = (
        "id",
        "id_given",
        "seq_given",
        "no_mkstream",
        "strategy",
        "arg_idx",
        "approx",
        "limit",
        "maxlen",
        "minid",
        "limit_idx",
    )

    def __init__(self) -> None:
        self.id = 0
        self.id_given = False
        self.seq_given = True
        self.no_mkstream = False
        self.strategy = ""  # "", "maxlen" or "minid"
        self.arg_idx = 0  # the threshold's position, for the logged form
        self.approx = False
        self.limit = 0
        self.maxlen = 0
        self.minid = 0
        self.limit_idx = 0


def parse_add_or_trim(client: Any, argv: list[bytes], xadd: bool) -> tuple[TrimArgs, int]:
    """streamParseAddOrTrimArgsOrReply: the options and the position of XADD's ID."""
    args = TrimArgs()
    i = 2
    argc = len(argv)
    limit_given = False
    while i < argc:
        more = argc - 1 - i
        opt = argv[i]
        lo = opt.lower()
        if xadd and opt == b"*":
            break
        if lo in (b"maxlen", b"minid") and more:
            if args.strategy:
                raise err(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible"
                )
            args.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                args.approx = True
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            if lo == b"maxlen":
                args.maxlen = parse_int(argv[i + 1])
                if args.maxlen < 0:
                    raise err("The MAXLEN argument must be >= 0.")
            else:
                args.minid = strict_id(argv[i + 1])
            i += 1
            args.strategy = lo.decode()
            args.arg_idx = i
        elif lo == b"limit" and more:
            args.limit = parse_int(argv[i + 1])
            if args.limit < 0:
                raise err("The LIMIT argument must be >= 0.")
            limit_given = True
            args.limit_idx = i
            i += 1
        elif xadd and lo == b"nomkstream":
            args.no_mkstream = True
        elif xadd:
            args.id, args.seq_given = parse_id(opt, 0, True, seq_star=True)
            args.id_given = True
            break
        else:
            raise SYNTAX
        i += 1
    if args.limit and not args.strategy:
        raise err("syntax error, LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and not args.strategy:
        raise err("syntax error, XTRIM must be called with a trimming strategy")
    if limit_given:
        if not args.approx:
            raise err("syntax error, LIMIT cannot be used without the special ~ option")
    elif args.approx:
        args.limit = 100 * client.ks.limits.stream_node_max_entries
        if args.limit <= 0:
            args.limit = 10000
        if args.limit > 1000000:
            args.limit = 1000000
    else:
        args.limit = 0
    return args, i


def trim(s: Stream, args: TrimArgs) -> int:
    if args.strategy == "maxlen":
        return s.trim(args.maxlen, None, args.approx, args.limit)
    return s.trim(None, args.minid, args.approx, args.limit)


def _logged_trim(argv: list[bytes], s: Stream, args: TrimArgs) -> list[bytes]:
    """The command as logged after an approximate trim: ``=`` and the threshold it reached
    (streamRewriteApproxSpecifier/streamRewriteTrimArgument), without LIMIT."""
    out = list(argv)
    out[args.arg_idx - 1] = b"="
    if args.strategy == "maxlen":
        out[args.arg_idx] = b"%d" % s.length
    else:
        out[args.arg_idx] = id_bytes(s.edge_id(True, skip_tombstones=False))
    if args.limit_idx:
        del out[args.limit_idx : args.limit_idx + 2]
    return out


_TRIM_ARGS = (
    "trim:block?{strategy:oneof{maxlen:pure-token'MAXLEN' minid:pure-token'MINID'@6.2.0} "
    "operator:oneof?{equal:pure-token'=' approximately:pure-token'~'} threshold:string "
    "count:integer'LIMIT'?@6.2.0}"
)


@command(
    "xadd",
    -5,
    "write denyoom fast",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Appends a new entry to a stream",
    complexity="O(1) when adding a new entry, O(N) when trimming where N being the number of "
    "entries evicted.",
    tips=("nondeterministic_output",),
    arguments="key:key nomkstream:pure-token'NOMKSTREAM'?@6.2.0 "
    + _TRIM_ARGS
    + " id_or_auto:oneof{auto_id:pure-token'*' id:string} "
    "field_value:block+{field:string value:string}",
    history=(
        (
            "6.2.0",
            "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option.",
        ),
        ("7.0.0", "Added support for the `<ms>-*` explicit ID form."),
    ),
    specs=(
        spec(
            "RW UPDATE",
            ("index", 1),
            ("range", 0, 1, 0),
            "UPDATE instead of INSERT because of the optional trimming feature",
        ),
    ),
)
def xadd(client: Any, argv: list[bytes]) -> Any:
    args, idpos = parse_add_or_trim(client, argv, True)
    field_pos = idpos + 1
    nargs = len(argv) - field_pos
    if nargs < 2 or nargs % 2:
        raise err("wrong number of arguments for 'xadd' command")
    if args.id_given and args.seq_given and args.id == 0:
        raise err("The ID specified in XADD must be greater than 0-0")
    key = argv[1]
    s = write_typed(client, key, Stream)
    if s is None:
        if args.no_mkstream:
            return None
        s = Stream()
        db_add(client, key, s)
    if s.last_id == MAX_ID:
        raise err("The stream has exhausted the last possible ID, unable to add more items")
    last = s.last_id
    if not args.id_given:
        now = client.now_ms()
        sid = now << 64 if now > last >> 64 else last + 1
    elif args.seq_given:
        sid = args.id
    elif last >> 64 == args.id >> 64:
        if last & U64 == U64:
            raise err(
                "The ID specified in XADD is equal or smaller than the target stream top item"
            )
        sid = last + 1
    else:
        sid = args.id
    if sid <= last:
        raise err("The ID specified in XADD is equal or smaller than the target stream top item")
    fields = tuple(argv[field_pos::2])
    values = tuple(argv[field_pos + 1 :: 2])
    if sum(map(len, fields)) + sum(map(len, values)) > LISTPACK_MAX_SIZE:
        raise err("Elements are too large to be stored")
    s.append(sid, fields, values, client.ks.limits)
    reply = id_bytes(sid)
    modified(client, key)
    notify(client, NOTIFY_STREAM, b"xadd", key)
    client.ks.dirty += 1
    logged = argv
    if args.strategy:
        if trim(s, args):
            notify(client, NOTIFY_STREAM, b"xtrim", key)
        if args.approx:
            logged = _logged_trim(argv, s, args)
    if not args.id_given or not args.seq_given:
        logged = list(logged)
        logged[idpos] = reply
    if logged is not argv:
        client.propagate = [logged]
    client.ks.signal_key_as_ready(client.db, key)
    return reply


@command(
    "xtrim",
    -4,
    "write",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Trims the stream to (approximately if '~' is passed) a certain size",
    complexity="O(N), with N being the number of evicted entries. Constant times are very "
    "small however, since entries are organized in macro nodes containing multiple entries that "
    "can be released with a single deallocation.",
    tips=("nondeterministic_output",),
    arguments="key:key " + _TRIM_ARGS.replace("trim:block?", "trim:block"),
    history=(("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."),),
    specs=(single("RW DELETE"),),
)
def xtrim(client: Any, argv: list[bytes]) -> Any:
    args, _ = parse_add_or_trim(client, argv, False)
    key = argv[1]
    s = write_typed(client, key, Stream)
    if s is None:
        return 0
    deleted = trim(s, args)
    if deleted:
        notify(client, NOTIFY_STREAM, b"xtrim", key)
        if args.approx:
            client.propagate = [_logged_trim(argv, s, args)]
        modified(client, key)
        client.ks.dirty += deleted
    return deleted


# -- XRANGE / XREVRANGE / XLEN / XDEL / XSETID ------------------------------------------------------
def _xrange(client: Any, argv: list[bytes], rev: bool) -> Any:
    start_arg, end_arg = (argv[3], argv[2]) if rev else (argv[2], argv[3])
    start, ex = parse_interval(start_arg, 0)
    if ex:
        if start == MAX_ID:
            raise err("invalid start ID for the interval")
        start += 1
    end, ex = parse_interval(end_arg, U64)
    if ex:
        if end == 0:
            raise err("invalid end ID for the interval")
        end -= 1
    count = -1
    j = 4
    while j < len(argv):
        if argv[j].lower() == b"count" and j + 1 < len(argv):
            count = max(0, parse_int(argv[j + 1]))
            j += 2
        else:
            raise SYNTAX
    s = read_typed(client, argv[1], Stream)
    if s is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return s.range(start, end, 0 if count == -1 else count, rev)


_XRANGE_HISTORY = (("6.2.0", "Added exclusive ranges."),)


@command(
    "xrange",
    -4,
    "readonly",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Return a range of elements in a stream, with IDs matching the specified IDs interval",
    complexity="O(N) with N being the number of elements being returned. If N is constant "
    "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    arguments="key:key start:string end:string count:integer'COUNT'?",
    history=_XRANGE_HISTORY,
    specs=(single("RO ACCESS"),),
)
def xrange(client: Any, argv: list[bytes]) -> Any:
    return _xrange(client, argv, False)


@command(
    "xrevrange",
    -4,
    "readonly",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Return a range of elements in a stream, with IDs matching the specified IDs interval, in "
    "reverse order (from greater to smaller IDs) compared to XRANGE",
    complexity="O(N) with N being the number of elements returned. If N is constant (e.g. "
    "always asking for the first 10 elements with COUNT), you can consider it O(1).",
    arguments="key:key end:string start:string count:integer'COUNT'?",
    history=_XRANGE_HISTORY,
    specs=(single("RO ACCESS"),),
)
def xrevrange(client: Any, argv: list[bytes]) -> Any:
    return _xrange(client, argv, True)


@command(
    "xlen",
    2,
    "readonly fast",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Return the number of entries in a stream",
    complexity="O(1)",
    arguments="key:key",
    specs=(single("RO"),),
)
def xlen(client: Any, argv: list[bytes]) -> Any:
    s = read_typed(client, argv[1], Stream)
    return 0 if s is None else s.length


@command(
    "xdel",
    -3,
    "write fast",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "Removes the specified entries from the stream. Returns the number of items actually "
    "deleted, that may be different from the number of IDs passed in case certain IDs do not "
    "exist.",
    complexity="O(1) for each single item to delete in the stream, regardless of the stream size.",
    arguments="key:key id:string+",
    specs=(single("RW DELETE"),),
)
def xdel(client: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    s = write_typed(client, key, Stream)
    if s is None:
        return 0
    ids = [strict_id(a) for a in argv[2:]]
    deleted = 0
    first_entry = False
    for sid in ids:
        if s.delete(sid):
            if sid == s.first_id:
                first_entry = True
            if sid > s.max_deleted:
                s.max_deleted = sid
            deleted += 1
    if deleted:
        if s.length == 0:
            s.first_id = 0
        elif first_entry:
            s.first_id = s.edge_id(True)
        modified(client, key)
        notify(client, NOTIFY_STREAM, b"xdel", key)
        client.ks.dirty += deleted
    return deleted


@command(
    "xsetid",
    -3,
    "write denyoom fast",
    (1, 1, 1),
    _STREAM,
    "5.0.0",
    "An internal command for replicating stream values",
    complexity="O(1)",
    arguments="key:key last-id:string entries_added:integer'ENTRIESADDED'?@7.0.0 "
    "max_deleted_entry_id:string'MAXDELETEDID'?@7.0.0",
    history=(("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."),),
    specs=(single("RW UPDATE"),),
)
def xsetid(client: Any, argv: list[bytes]) -> Any:
    sid = strict_id(argv[2])
    entries_added = -1
    max_xdel = 0
    i = 3
    while i < len(argv):
        more = len(argv) - 1 - i
        opt = argv[i].lower()
        if opt == b"entriesadded" and more:
            entries_added = parse_int(argv[i + 1])
            if entries_added < 0:
                raise err("entries_added must be positive")
        elif opt == b"maxdeletedid" and more:
            max_xdel = strict_id(argv[i + 1])
            if sid < max_xdel:
                raise err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
                )
        else:
            raise SYNTAX
        i += 2
    key = argv[1]
    s = write_typed(client, key, Stream)
    if s is None:
        raise err("no such key")
    if s.length > 0:
        if sid < s.last_valid_id():
            raise err("The ID specified in XSETID is smaller than the target stream top item")
        if entries_added != -1 and s.length > entries_added:
            raise err(
                "The entries_added specified in XSETID is smaller than the target stream length"
            )
    s.last_id = sid
    if entries_added != -1:
        s.entries_added = entries_added
    if max_xdel:
        s.max_deleted = max_xdel
    client.ks.dirty += 1
    notify(client, NOTIFY_STREAM, b"xsetid", key)
    return Raw(b"+OK\r\n")
