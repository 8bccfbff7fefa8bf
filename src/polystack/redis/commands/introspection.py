"""COMMAND and its subcommands, generated from the declarative table.

COMMAND INFO entries have Redis 7.0's ten elements (name, arity, flags, first key, last key,
step, ACL categories, tips, key specifications, subcommands); COMMAND DOCS maps carry summary,
since, group, complexity, arguments (where declared) and subcommands.  Replies are encoded
here (not by :func:`polystack.redis.wire.encode`) because Redis sends several of these
collections as RESP3 sets in a fixed order, which Python's ``set`` cannot keep.
"""

from __future__ import annotations

from typing import Any

from polystack.redis.commands import COMMANDS, Command, command
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.keyspecs import GETKEYS_FLAGS, VARIABLE_FLAGS, Spec, specs_for
from polystack.redis.errors import SYNTAX, err
from polystack.redis.glob import compile_pattern
from polystack.redis.wire import Raw, Simple

# The order Redis lists command flags and ACL categories in.
FLAG_ORDER = (
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
    "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
    "may_replicate", "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys",
    "allow_busy",
)  # fmt: skip
CATEGORY_ORDER = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
    "connection", "transaction", "scripting",
)  # fmt: skip
KEY_FLAG_ORDER = (
    "RO",
    "RW",
    "OW",
    "RM",
    "access",
    "update",
    "insert",
    "delete",
    "not_key",
    "incomplete",
    "variable_flags",
)
ARG_KEY_ORDER = (
    "name",
    "type",
    "display_text",
    "key_spec_index",
    "token",
    "summary",
    "since",
    "flags",
    "deprecated_since",
    "arguments",
)


class RSet(list):
    """A reply Redis sends as a RESP3 set (an array in RESP2), in this order."""


def _enc(v: Any, resp3: bool, out: list[bytes]) -> None:
    t = type(v)
    if t is Simple:
        out.append(b"+%b\r\n" % v)
    elif t is bytes:
        out.append(b"$%d\r\n%b\r\n" % (len(v), v))
    elif t is str:
        b = v.encode()
        out.append(b"$%d\r\n%b\r\n" % (len(b), b))
    elif t is int:
        out.append(b":%d\r\n" % v)
    elif v is None:
        out.append(b"_\r\n" if resp3 else b"$-1\r\n")
    elif t is RSet:
        out.append((b"~%d\r\n" if resp3 else b"*%d\r\n") % len(v))
        for x in v:
            _enc(x, resp3, out)
    elif t is dict:
        out.append(b"%%%d\r\n" % len(v) if resp3 else b"*%d\r\n" % (2 * len(v)))
        for k, x in v.items():
            _enc(k, resp3, out)
            _enc(x, resp3, out)
    elif t in (list, tuple):
        out.append(b"*%d\r\n" % len(v))
        for x in v:
            _enc(x, resp3, out)
    else:
        raise TypeError(f"cannot encode {t.__name__}")


def raw(value: Any, client: Any) -> Raw:
    out: list[bytes] = []
    _enc(value, client.resp3, out)
    return Raw(b"".join(out))


def _ordered(names: Any, order: tuple[str, ...]) -> list[str]:
    rank = {n: i for i, n in enumerate(order)}
    return sorted(names, key=lambda n: rank.get(n, len(order)))


def command_flags(cmd: Command) -> list[str]:
    flags = set(cmd.flags)
    if cmd.getkeys is not None:
        flags.add("movablekeys")
    return _ordered(flags & set(FLAG_ORDER), FLAG_ORDER)


def categories(cmd: Command) -> list[str]:
    names = {c.lstrip("@") for c in cmd.acl_categories}
    return _ordered(names, CATEGORY_ORDER)


def _spec_reply(spec: Spec) -> dict:
    flags, bs, fk = spec[0], spec[1], spec[2]
    out: dict = {}
    if len(spec) > 3 and spec[3].get("notes"):
        out["notes"] = spec[3]["notes"]
    out["flags"] = RSet(Simple(f.encode()) for f in _ordered(flags.split(), KEY_FLAG_ORDER))
    if bs[0] == "index":
        out["begin_search"] = {"type": "index", "spec": {"index": bs[1]}}
    elif bs[0] == "keyword":
        out["begin_search"] = {
            "type": "keyword",
            "spec": {"keyword": bs[1], "startfrom": bs[2]},
        }
    else:
        out["begin_search"] = {"type": "unknown", "spec": {}}
    if fk[0] == "range":
        out["find_keys"] = {
            "type": "range",
            "spec": {"lastkey": fk[1], "keystep": fk[2], "limit": fk[3]},
        }
    elif fk[0] == "keynum":
        out["find_keys"] = {
            "type": "keynum",
            "spec": {"keynumidx": fk[1], "firstkey": fk[2], "keystep": fk[3]},
        }
    else:
        out["find_keys"] = {"type": "unknown", "spec": {}}
    return out


def info_entry(cmd: Command) -> list:
    # A command with movable keys reports the legacy range of its fixed key positions only
    # (ZUNIONSTORE's destination: 1 1 1; SINTERCARD: 0 0 0), as declared.
    first, last, step = cmd.first_key, cmd.last_key, cmd.step
    subs: Any = [info_entry(s) for s in cmd.subcommands.values()] if cmd.subcommands else RSet()
    return [
        cmd.full_name,
        cmd.arity,
        RSet(Simple(f.encode()) for f in command_flags(cmd)),
        first,
        last,
        step,
        RSet(Simple(b"@" + c.encode()) for c in categories(cmd)),
        RSet(cmd.tips),
        RSet(_spec_reply(s) for s in specs_for(cmd)),
        subs,
    ]


def _arg_reply(arg: dict) -> dict:
    out: dict = {}
    keys = [k for k in ARG_KEY_ORDER if k in arg] + [k for k in arg if k not in ARG_KEY_ORDER]
    for k in keys:
        v = arg[k]
        if k == "flags":
            flags = v.split() if isinstance(v, str) else list(v)
            out[k] = RSet(Simple(f.encode()) for f in flags)
        elif k == "arguments":
            out[k] = [_arg_reply(a) for a in v]
        else:
            out[k] = v
    return out


def docs_entry(cmd: Command) -> dict:
    out: dict = {"summary": cmd.summary, "since": cmd.since, "group": cmd.group}
    if cmd.complexity:
        out["complexity"] = cmd.complexity
    if cmd.doc_flags:
        out["doc_flags"] = RSet(Simple(f.encode()) for f in cmd.doc_flags)
    if cmd.deprecated_since:
        out["deprecated_since"] = cmd.deprecated_since
    if cmd.replaced_by:
        out["replaced_by"] = cmd.replaced_by
    if cmd.history:
        out["history"] = RSet([v, text] for v, text in cmd.history)
    if cmd.arguments:
        out["arguments"] = [_arg_reply(a) for a in cmd.arguments]
    if cmd.subcommands:
        out["subcommands"] = {s.full_name: docs_entry(s) for s in cmd.subcommands.values()}
    return out


def lookup_full_name(name: bytes) -> Command | None:
    """``get`` or ``config|get`` (lookupCommandBySds)."""
    parts = name.lower().split(b"|")
    cmd = COMMANDS.get(parts[0])
    if cmd is None or len(parts) == 1:
        return cmd
    if len(parts) > 2 or not cmd.subcommands:
        return None
    return cmd.subcommands.get(parts[1])


def lookup_argv(argv: list[bytes]) -> Command | None:
    """The command an argv would run (lookupCommand): a container resolves to its subcommand."""
    cmd = COMMANDS.get(argv[0].lower())
    if cmd is None or not cmd.subcommands or len(argv) == 1:
        return cmd
    return cmd.subcommands.get(argv[1].lower())


def all_commands() -> list[Command]:
    out = []
    for cmd in COMMANDS.values():
        out.append(cmd)
        out.extend(cmd.subcommands.values())
    return out


# -- key extraction (COMMAND GETKEYS / GETKEYSANDFLAGS) ----------------------------------


def _spec_positions(spec: Spec, argv: list[bytes]) -> list[int] | None:
    bs, fk = spec[1], spec[2]
    argc = len(argv)
    if bs[0] == "index":
        first = bs[1]
    elif bs[0] == "keyword":
        keyword, start = bs[1].encode().lower(), bs[2]
        idxs = range(start, argc) if start >= 0 else range(argc + start, 0, -1)
        for i in idxs:
            if 0 < i < argc and argv[i].lower() == keyword:
                first = i + 1
                break
        else:
            return []
    else:
        return None
    if fk[0] == "range":
        lastkey, step, limit = fk[1], fk[2], fk[3]
        if lastkey >= 0:
            last = first + lastkey
        elif not limit:
            last = argc + lastkey
        else:
            last = first + ((argc - first) // limit + lastkey)
    elif fk[0] == "keynum":
        idx = first + fk[1]
        if idx >= argc:
            return None
        try:
            numkeys = int(argv[idx])
        except ValueError:
            return None
        if numkeys < 0:
            return None
        step = fk[3]
        first += fk[2]
        last = first + numkeys - 1
    else:
        return None
    return [i for i in range(first, last + 1, step or 1) if i < argc]


def keys_and_flags(cmd: Command, argv: list[bytes]) -> list[tuple[int, str]]:
    specs = specs_for(cmd)
    if cmd.getkeys is not None or not specs:
        by_position = GETKEYS_FLAGS.get(cmd.full_name)
        if by_position is not None:
            return [(i, by_position(argv, i)) for i in cmd.key_indexes(argv)]
        flags = "RO access" if "readonly" in cmd.flags else "RW update"
        return [(i, flags) for i in cmd.key_indexes(argv)]
    out: list[tuple[int, str]] = []
    variable = VARIABLE_FLAGS.get(cmd.full_name)
    for spec in specs:
        positions = _spec_positions(spec, argv)
        if positions is None:
            continue
        flags = variable(argv) if variable is not None else spec[0]
        flags = " ".join(f for f in flags.split() if f != "variable_flags")
        out.extend((i, flags) for i in positions)
    return out


def _getkeys(client: Any, argv: list[bytes], with_flags: bool) -> Any:
    target = argv[2:]
    cmd = lookup_argv(target)
    if cmd is None:
        raise err("Invalid command specified")
    if cmd.getkeys is None and not specs_for(cmd):
        raise err("The command has no key arguments")
    n = len(target)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise err("Invalid number of arguments specified for command")
    found = keys_and_flags(cmd, target)
    if not found:
        if "no_mandatory_keys" in cmd.flags:
            return []
        raise err("Invalid arguments specified for command")
    if not with_flags:
        return [target[i] for i, _ in found]
    return raw(
        [
            [target[i], RSet(Simple(f.encode()) for f in _ordered(fl.split(), KEY_FLAG_ORDER))]
            for i, fl in found
        ],
        client,
    )


# -- the commands -----------------------------------------------------------------------

_FLAGS = "loading stale"
_ORDER_TIP = ("nondeterministic_output_order",)


@command(
    "command",
    -1,
    _FLAGS,
    group="server",
    since="2.8.13",
    summary="Get array of Redis command details",
    complexity="O(N) where N is the total number of Redis commands",
    acl=("@connection",),
    tips=_ORDER_TIP,
)
def command_(client: Any, argv: list[bytes]) -> Any:
    return raw([info_entry(c) for c in COMMANDS.values()], client)


@command(
    "count",
    2,
    _FLAGS,
    group="server",
    since="2.8.13",
    parent="command",
    summary="Get total number of Redis commands",
    complexity="O(1)",
    acl=("@connection",),
)
def command_count(client: Any, argv: list[bytes]) -> Any:
    return len(COMMANDS)


@command(
    "info",
    -2,
    _FLAGS,
    group="server",
    since="2.8.13",
    parent="command",
    summary="Get array of specific Redis command details, or all when no argument is given.",
    complexity="O(N) where N is the number of commands to look up",
    acl=("@connection",),
    tips=_ORDER_TIP,
)
def command_info(client: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return raw([info_entry(c) for c in COMMANDS.values()], client)
    entries = []
    for name in argv[2:]:
        cmd = lookup_full_name(name)
        entries.append(info_entry(cmd) if cmd is not None else None)
    return raw(entries, client)


@command(
    "docs",
    -2,
    _FLAGS,
    group="server",
    since="7.0.0",
    parent="command",
    summary="Get array of specific Redis command documentation",
    complexity="O(N) where N is the number of commands to look up",
    acl=("@connection",),
    tips=_ORDER_TIP,
)
def command_docs(client: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        chosen = list(COMMANDS.values())
    else:
        chosen = [c for c in map(lookup_full_name, argv[2:]) if c is not None]
    return raw({c.full_name: docs_entry(c) for c in chosen}, client)


@command(
    "list",
    -2,
    _FLAGS,
    group="server",
    since="7.0.0",
    parent="command",
    summary="Get an array of Redis command names",
    complexity="O(N) where N is the total number of Redis commands",
    acl=("@connection",),
    tips=_ORDER_TIP,
)
def command_list(client: Any, argv: list[bytes]) -> Any:
    keep = None
    i = 2
    while i < len(argv):
        if argv[i].lower() == b"filterby" and len(argv) - 1 - i == 2:
            kind, arg = argv[i + 1].lower(), argv[i + 2]
            if kind == b"module":
                keep = lambda c: False  # noqa: E731  (no modules are loaded)
            elif kind == b"aclcat":
                cat = arg.decode("latin-1").lower()
                keep = lambda c, cat=cat: cat in CATEGORY_ORDER and "@" + cat in c.acl_categories  # noqa: E731
            elif kind == b"pattern":
                match = compile_pattern(arg, nocase=True)
                keep = lambda c, match=match: match(c.full_name.encode())  # noqa: E731
            else:
                raise SYNTAX
            i += 3
        else:
            raise SYNTAX
    names = [c.full_name.encode() for c in all_commands() if keep is None or keep(c)]
    return names


@command(
    "getkeys",
    -4,
    _FLAGS,
    group="server",
    since="2.8.13",
    parent="command",
    summary="Extract keys given a full Redis command",
    complexity="O(N) where N is the number of arguments to the command",
    acl=("@connection",),
)
def command_getkeys(client: Any, argv: list[bytes]) -> Any:
    return _getkeys(client, argv, with_flags=False)


@command(
    "getkeysandflags",
    -4,
    _FLAGS,
    group="server",
    since="7.0.0",
    parent="command",
    summary="Extract keys and access flags given a full Redis command",
    complexity="O(N) where N is the number of arguments to the command",
    acl=("@connection",),
)
def command_getkeysandflags(client: Any, argv: list[bytes]) -> Any:
    return _getkeys(client, argv, with_flags=True)


_COMMAND_HELP = [
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
]


@command(
    "help",
    2,
    _FLAGS,
    group="server",
    since="5.0.0",
    parent="command",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
    acl=("@connection",),
)
def command_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("COMMAND", _COMMAND_HELP)
