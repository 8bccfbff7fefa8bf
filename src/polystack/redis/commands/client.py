"""CLIENT: the connection's own identity (ID, SETNAME, GETNAME, SETINFO, NO-EVICT) and the
server's view of every connection (LIST, INFO, KILL), as networking.c implements them."""

from __future__ import annotations

from typing import Any

from polystack.redis.args import parse_int
from polystack.redis.commands import COMMANDS, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.errors import SYNTAX, err
from polystack.redis.flags import REPLY_OFF, REPLY_SKIP, REPLY_SKIP_NEXT, SLOW_PUBSUB, SLOW_REPLY
from polystack.redis.wire import OK, Raw, Verbatim

SUBCOMMAND_FLAGS = "noscript loading stale"
ADMIN_FLAGS = "admin noscript loading stale"

container("client", "connection", "2.4.0", "A container for client connection commands")
COMMANDS[b"client"].acl_categories = ("@slow",)

_CLIENT_TYPES = {
    b"normal": "normal",
    b"master": "master",
    b"slave": "replica",
    b"replica": "replica",
}
_CLIENT_TYPES[b"pubsub"] = "pubsub"


def valid_attribute(value: bytes) -> bool:
    """A client name or library attribute: printable ASCII without spaces."""
    return all(0x21 <= c <= 0x7E for c in value)


def client_type(client: Any) -> str:
    if client.repl is not None:
        return "replica"
    if client.is_master:
        return "master"
    return "pubsub" if client.slow & SLOW_PUBSUB else "normal"


def _addr(sock: Any) -> str:
    if not sock:
        return ""
    host, port = sock[0], sock[1]
    if ":" in host:
        return f"{host}:{port}"
    return f"{host}:{port}"


def addr(client: Any) -> str:
    return _addr(client.peer.peername)


def laddr(client: Any) -> str:
    return _addr(client.peer.sockname)


def _fd(client: Any) -> int:
    transport = getattr(client.peer, "transport", None)
    if transport is None:
        return -1
    sock = transport.get_extra_info("socket")
    try:
        return sock.fileno() if sock is not None else -1
    except OSError:
        return -1


def _flags(client: Any) -> str:
    flags = "S" if client.repl is not None else "M" if client.is_master else ""
    if getattr(client, "monitor", False):
        flags = "O"
    if client.multi is not None:
        flags += "x"
    if getattr(client, "blocked", None) is not None:
        flags += "b"
    if client.slow & SLOW_PUBSUB:
        flags += "P"
    if client.no_evict:
        flags += "e"
    state = getattr(client, "tracking", None)
    if state is not None:
        flags += "t"
        if state.broken_redirect:
            flags += "R"
        if state.bcast:
            flags += "B"
    return flags or "N"


def _subscriptions(client: Any, attr: str) -> int:
    subs = getattr(client, attr, None)
    return len(subs) if subs else 0


def describe(client: Any, now: float) -> str:
    """One CLIENT LIST line (without the newline).

    Memory fields (qbuf, argv-mem, rbs, tot-mem ...) describe Redis's own buffers; polystack
    reports its pending output in ``omem`` and 0 for buffers it does not keep.
    """
    multi = len(client.multi) if client.multi is not None else -1
    name = client.name.decode("latin-1")
    last = getattr(client.last_cmd, "full_name", client.last_cmd)  # a Command or its name
    resp = 3 if client.resp3 else 2
    return (
        f"id={client.id} addr={addr(client)} laddr={laddr(client)} fd={_fd(client)} "
        f"name={name} age={int(now - client.created)} idle={int(now - client.last_interaction)} "
        f"flags={_flags(client)} db={client.db_id} sub={_subscriptions(client, 'channels')} "
        f"psub={_subscriptions(client, 'patterns')} ssub={_subscriptions(client, 'shard_channels')} "
        f"multi={multi} qbuf=0 qbuf-free=0 "
        f"argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 "
        f"omem={getattr(client.peer, 'pending_output', 0)} tot-mem=0 events=r "
        f"cmd={last} user={client.user} redir=-1 resp={resp} "
        f"lib-name={client.lib_name.decode('latin-1')} lib-ver={client.lib_ver.decode('latin-1')}"
    )


@command(
    "id",
    2,
    SUBCOMMAND_FLAGS,
    group="connection",
    since="5.0.0",
    parent="client",
    summary="Returns the client ID for the current connection",
    complexity="O(1)",
)
def client_id(client: Any, argv: list[bytes]) -> Any:
    return client.id


@command(
    "setname",
    3,
    SUBCOMMAND_FLAGS,
    group="connection",
    since="2.6.9",
    parent="client",
    summary="Set the current connection name",
    complexity="O(1)",
)
def client_setname(client: Any, argv: list[bytes]) -> Any:
    name = argv[2]
    if not valid_attribute(name):
        raise err("Client names cannot contain spaces, newlines or special characters.")
    client.name = name
    return OK


@command(
    "getname",
    2,
    SUBCOMMAND_FLAGS,
    group="connection",
    since="2.6.9",
    parent="client",
    summary="Get the current connection name",
    complexity="O(1)",
)
def client_getname(client: Any, argv: list[bytes]) -> Any:
    return client.name or None


@command(
    "setinfo",
    4,
    SUBCOMMAND_FLAGS,
    group="connection",
    since="7.2.0",
    parent="client",
    summary="Set client or connection specific info",
    complexity="O(1)",
)
def client_setinfo(client: Any, argv: list[bytes]) -> Any:
    attr = argv[2].lower()
    shown = argv[2].decode("utf-8", "replace")
    if attr not in (b"lib-name", b"lib-ver"):
        raise err(f"Unrecognized option '{shown}'")
    if not valid_attribute(argv[3]):
        raise err(f"{shown} cannot contain spaces, newlines or special characters.")
    if attr == b"lib-name":
        client.lib_name = argv[3]
    else:
        client.lib_ver = argv[3]
    return OK


@command(
    "no-evict",
    3,
    ADMIN_FLAGS,
    group="connection",
    since="7.0.0",
    parent="client",
    summary="Set client eviction mode for the current connection",
    complexity="O(1)",
)
def client_no_evict(client: Any, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"on":
        client.no_evict = True
    elif mode == b"off":
        client.no_evict = False
    else:
        raise SYNTAX
    return OK


@command(
    "info",
    2,
    SUBCOMMAND_FLAGS,
    group="connection",
    since="6.2.0",
    parent="client",
    summary="Returns information about the current client connection.",
    complexity="O(1)",
    tips=("nondeterministic_output",),
)
def client_info(client: Any, argv: list[bytes]) -> Any:
    client.last_cmd = "client|info"
    return Verbatim((describe(client, client.server.clock.time()) + "\n").encode("latin-1"))


@command(
    "list",
    -2,
    ADMIN_FLAGS,
    group="connection",
    since="2.4.0",
    parent="client",
    summary="Get the list of client connections",
    complexity="O(N) where N is the number of client connections",
    tips=("nondeterministic_output",),
)
def client_list(client: Any, argv: list[bytes]) -> Any:
    client.last_cmd = "client|list"
    clients = list(client.server.clients.values())
    if len(argv) == 4 and argv[2].lower() == b"type":
        kind = _CLIENT_TYPES.get(argv[3].lower())
        if kind is None:
            raise err(f"Unknown client type '{argv[3].decode('utf-8', 'replace')}'")
        clients = [c for c in clients if client_type(c) == kind]
    elif len(argv) > 3 and argv[2].lower() == b"id":
        ids = []
        for a in argv[3:]:
            try:
                ids.append(parse_int(a))
            except Exception:
                raise err("Invalid client ID") from None
        by_id = client.server.clients
        clients = [by_id[i] for i in ids if i in by_id]
    elif len(argv) != 2:
        raise SYNTAX
    now = client.server.clock.time()
    text = "".join(describe(c, now) + "\n" for c in clients)
    return Verbatim(text.encode("latin-1"))


@command(
    "unblock",
    -3,
    ADMIN_FLAGS,
    group="connection",
    since="5.0.0",
    parent="client",
    summary="Unblock a client blocked in a blocking command from a different connection",
    complexity="O(log N) where N is the number of client connections",
    arguments="client-id:integer timeout_error:oneof?{timeout:pure-token'TIMEOUT' "
    "error:pure-token'ERROR'}",
)
def client_unblock(client: Any, argv: list[bytes]) -> Any:
    if len(argv) > 4:
        raise err(
            "unknown subcommand or wrong number of arguments for "
            f"'{argv[1][:128].decode('utf-8', 'replace')}'. Try CLIENT HELP."
        )
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            error = True
        elif reason != b"timeout":
            raise err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    target = client.server.clients.get(parse_int(argv[2]))
    if target is None or getattr(target, "blocked", None) is None:
        return 0
    return 1 if target.unblock_by_client(error) else 0


@command(
    "kill",
    -3,
    ADMIN_FLAGS,
    group="connection",
    since="2.4.0",
    parent="client",
    summary="Kill the connection of a client",
    complexity="O(N) where N is the number of client connections",
)
def client_kill(client: Any, argv: list[bytes]) -> Any:
    want_addr = want_laddr = want_user = want_type = None
    want_id = None
    skipme = True
    if len(argv) == 3:
        want_addr = argv[2].decode("latin-1")
        skipme = False
    else:
        i = 2
        while i < len(argv):
            opt = argv[i].lower()
            if i + 1 >= len(argv):
                raise SYNTAX
            val = argv[i + 1]
            if opt == b"id":
                try:
                    want_id = int(val)
                    if want_id < 1 or str(want_id).encode() != val:
                        raise ValueError
                except ValueError:
                    raise err("client-id should be greater than 0") from None
            elif opt == b"type":
                want_type = _CLIENT_TYPES.get(val.lower())
                if want_type is None:
                    raise err(f"Unknown client type '{val.decode('utf-8', 'replace')}'")
            elif opt == b"addr":
                want_addr = val.decode("latin-1")
            elif opt == b"laddr":
                want_laddr = val.decode("latin-1")
            elif opt == b"user":
                want_user = client.server.acl.get(val)
                if want_user is None:
                    raise err(f"No such user '{val.decode('utf-8', 'replace')}'")
            elif opt == b"skipme":
                if val.lower() == b"yes":
                    skipme = True
                elif val.lower() == b"no":
                    skipme = False
                else:
                    raise SYNTAX
            else:
                raise SYNTAX
            i += 2
    killed = 0
    for other in list(client.server.clients.values()):
        if want_addr is not None and addr(other) != want_addr:
            continue
        if want_laddr is not None and laddr(other) != want_laddr:
            continue
        if want_type is not None and client_type(other) != want_type:
            continue
        if want_id is not None and other.id != want_id:
            continue
        if want_user is not None and getattr(other, "acl_user", None) is not want_user:
            continue
        if other is client and skipme:
            continue
        if other is client:
            client.close_after_reply()
        else:
            other.peer.close()
        killed += 1
    if len(argv) == 3:
        if not killed:
            raise err("No such client")
        return OK
    return killed


@command(
    "reply",
    3,
    "noscript loading stale",
    group="connection",
    since="3.2.0",
    parent="client",
    summary="Instruct the server whether to reply to commands",
    complexity="O(1)",
    arguments="on_off_skip:oneof{on:pure-token'ON' off:pure-token'OFF' skip:pure-token'SKIP'}",
)
def client_reply(client: Any, argv: list[bytes]) -> Any:
    """ON answers +OK; OFF silences every reply from now on, SKIP the next command's (both
    answer nothing themselves).  The session drops the replies (Session._execute_quietly)."""
    mode = argv[2].lower()
    if mode == b"on":
        client.reply_flags &= ~(REPLY_SKIP | REPLY_OFF)
        return OK
    if mode == b"off":
        client.reply_flags |= REPLY_OFF
    elif mode == b"skip":
        if not client.reply_flags & REPLY_OFF:
            client.reply_flags |= REPLY_SKIP_NEXT
    else:
        raise SYNTAX
    client.slow |= SLOW_REPLY
    return Raw(b"")


_CLIENT_HELP = [
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
]


@command(
    "help",
    2,
    "loading stale",
    group="connection",
    since="5.0.0",
    parent="client",
    summary="Show helpful text about the different subcommands",
    complexity="O(1)",
)
def client_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("CLIENT", _CLIENT_HELP)
