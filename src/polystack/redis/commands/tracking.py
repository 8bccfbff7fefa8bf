"""CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO (tracking.c and networking.c's
clientCommand), CLIENT PAUSE and UNPAUSE.

Tracking clients carry SLOW_TRACKING (except in BCAST mode, which records nothing): the
session remembers the keys of their read-only commands after running them.  Key changes
reach the tracking table through the keyspace's key listeners, flushes through the flush
listeners; BCAST invalidations go out at the end of the modifying client's batch.
"""

from __future__ import annotations

from typing import Any

from polystack.redis import notify
from polystack.redis.commands import command
from polystack.redis.configtypes import string2ll
from polystack.redis.errors import SYNTAX, err
from polystack.redis.flags import SLOW_TRACKING, set_server_condition
from polystack.redis.tracking import ClientTracking, Tracking
from polystack.redis.wire import OK, Raw

_TRACK_FLAGS = "noscript loading stale"
_TRACK_CATS = ("@connection", "@slow")
_ADMIN_CATS = ("@admin", "@connection", "@dangerous", "@slow")


def tracking_of(server: Any) -> Tracking:
    """The server's tracking table (made, and hooked to key changes, on first use)."""
    t = server.tracking
    if t is None:
        t = server.tracking = Tracking(server)
        ks = server.keyspace
        notify.add_listener(ks, "key", lambda client, db, key: t.invalidate(client, key))
        notify.add_listener(ks, "flush", lambda db_id: t.flushed())
        t.max_keys = server.extra_config.get("tracking-table-max-keys", 1_000_000)
    return t


def remember_read(client: Any, cmd: Any, argv: list[bytes]) -> None:
    """trackingRememberKeys after a read-only command of a tracking client."""
    tracking = client.server.tracking
    if tracking is not None:
        tracking.remember(client, [argv[i] for i in cmd.key_indexes(argv)])


def stop_tracking(client: Any) -> None:
    tracking = client.server.tracking
    if tracking is not None and client.tracking is not None:
        tracking.disable(client)
    client.slow &= ~SLOW_TRACKING


def _prefix_clash(a: bytes, b: bytes) -> bool:
    return a.startswith(b) or b.startswith(a)


@command(
    "tracking",
    -3,
    _TRACK_FLAGS,
    group="connection",
    since="6.0.0",
    parent="client",
    summary="Enable or disable server assisted client side caching support",
    complexity="O(1). Some options may introduce additional complexity.",
    categories=_TRACK_CATS,
    arguments=(
        {"name": "status", "type": "oneof", "arguments": (
            {"name": "on", "type": "pure-token", "token": "ON"},
            {"name": "off", "type": "pure-token", "token": "OFF"},
        )},
        {"name": "client-id", "type": "integer", "token": "REDIRECT", "flags": "optional"},
        {"name": "prefix", "type": "string", "token": "PREFIX",
         "flags": "optional multiple multiple_token"},
        {"name": "bcast", "type": "pure-token", "token": "BCAST", "flags": "optional"},
        {"name": "optin", "type": "pure-token", "token": "OPTIN", "flags": "optional"},
        {"name": "optout", "type": "pure-token", "token": "OPTOUT", "flags": "optional"},
        {"name": "noloop", "type": "pure-token", "token": "NOLOOP", "flags": "optional"},
    ),
)  # fmt: skip
def client_tracking(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    j = 3
    while j < len(argv):
        opt = argv[j].lower()
        more = len(argv) - 1 - j
        if opt == b"redirect" and more:
            j += 1
            if redirect:
                raise err("A client can only redirect to a single other client")
            n = string2ll(argv[j])
            if n is None:
                raise err("value is not an integer or out of range")
            redirect = n
            if redirect not in server.clients:
                raise err("The client ID you want redirect to does not exist")
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise SYNTAX
        j += 1
    mode = argv[2].lower()
    if mode == b"off":
        stop_tracking(client)
        return OK
    if mode != b"on":
        raise SYNTAX
    current = client.tracking
    if not bcast and prefixes:
        raise err("PREFIX option requires BCAST mode to be enabled")
    if current is not None and current.bcast != bcast:
        raise err(
            "You can't switch BCAST mode on/off before disabling tracking for this client, "
            "and then re-enabling it with a different mode."
        )
    if bcast and (optin or optout):
        raise err("OPTIN and OPTOUT are not compatible with BCAST")
    if optin and optout:
        raise err("You can't specify both OPTIN mode and OPTOUT mode")
    if current is not None and ((optin and current.optout) or (optout and current.optin)):
        raise err(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
            "and then re-enabling it with a different mode."
        )
    if bcast:
        existing = sorted(current.prefixes) if current is not None else []
        for i, p in enumerate(prefixes):
            for e in existing:
                if _prefix_clash(e, p):
                    raise err(
                        f"Prefix '{p.decode('utf-8', 'replace')}' overlaps with an existing "
                        f"prefix '{e.decode('utf-8', 'replace')}'. Prefixes for a single client "
                        "must not overlap."
                    )
            for q in prefixes[i + 1 :]:
                if _prefix_clash(p, q):
                    raise err(
                        f"Prefix '{p.decode('utf-8', 'replace')}' overlaps with another provided "
                        f"prefix '{q.decode('utf-8', 'replace')}'. Prefixes for a single client "
                        "must not overlap."
                    )
    tracking = tracking_of(server)
    old_prefixes = list(current.prefixes) if current is not None and current.bcast else []
    if current is not None:
        tracking.disable(client)
    state = ClientTracking(
        redirect=redirect, bcast=bcast, optin=optin, optout=optout, noloop=noloop,
        caching=current.caching if current is not None else False,
        prefixes=list(dict.fromkeys(old_prefixes + prefixes)) if bcast else [],
    )  # fmt: skip
    if bcast and old_prefixes and not prefixes and b"" not in old_prefixes:
        state.prefixes.append(b"")
    tracking.enable(client, state)
    if bcast:
        client.slow &= ~SLOW_TRACKING
    else:
        client.slow |= SLOW_TRACKING
    return OK


@command(
    "caching",
    3,
    _TRACK_FLAGS,
    group="connection",
    since="6.0.0",
    parent="client",
    summary="Instruct the server about tracking or not keys in the next request",
    complexity="O(1)",
    categories=_TRACK_CATS,
    arguments=(
        {"name": "mode", "type": "oneof", "arguments": (
            {"name": "yes", "type": "pure-token", "token": "YES"},
            {"name": "no", "type": "pure-token", "token": "NO"},
        )},
    ),
)  # fmt: skip
def client_caching(client: Any, argv: list[bytes]) -> Any:
    state = client.tracking
    if state is None:
        raise err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
            "or OPTOUT mode enabled"
        )
    opt = argv[2].lower()
    if opt == b"yes":
        if not state.optin:
            raise err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif opt == b"no":
        if not state.optout:
            raise err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise SYNTAX
    state.caching = True
    return OK


@command(
    "getredir",
    2,
    _TRACK_FLAGS,
    group="connection",
    since="6.0.0",
    parent="client",
    summary="Get tracking notifications redirection client ID if any",
    complexity="O(1)",
    categories=_TRACK_CATS,
)
def client_getredir(client: Any, argv: list[bytes]) -> Any:
    return client.tracking.redirect if client.tracking is not None else -1


@command(
    "trackinginfo",
    2,
    _TRACK_FLAGS,
    group="connection",
    since="6.2.0",
    parent="client",
    summary="Return information about server assisted client side caching for the current "
    "connection",
    complexity="O(1)",
    categories=_TRACK_CATS,
)
def client_trackinginfo(client: Any, argv: list[bytes]) -> Any:
    state = client.tracking
    flags = [b"on" if state is not None else b"off"]
    if state is not None:
        if state.bcast:
            flags.append(b"bcast")
        if state.optin:
            flags.append(b"optin")
            if state.caching:
                flags.append(b"caching-yes")
        if state.optout:
            flags.append(b"optout")
            if state.caching:
                flags.append(b"caching-no")
        if state.noloop:
            flags.append(b"noloop")
        if state.broken_redirect:
            flags.append(b"broken_redirect")
    head = (b"~%d\r\n" if client.resp3 else b"*%d\r\n") % len(flags)
    return {
        b"flags": Raw(head + b"".join(b"$%d\r\n%b\r\n" % (len(f), f) for f in flags)),
        b"redirect": state.redirect if state is not None else -1,
        b"prefixes": sorted(state.prefixes) if state is not None and state.bcast else [],
    }


# -- CLIENT PAUSE / UNPAUSE ---------------------------------------------------------------------
# Commands CLIENT PAUSE WRITE holds besides writes (CMD_MAY_REPLICATE in Redis 7.0)
MAY_REPLICATE = frozenset(("eval", "evalsha", "fcall", "publish", "spublish", "pfcount"))


def pauses(server: Any, cmd: Any, queued: Any) -> bool:
    """Whether CLIENT PAUSE holds ``cmd`` now (all commands, or writes and the commands that
    may replicate; EXEC by what it queued)."""
    mode = server.client_pause_mode
    if mode is None:
        return False
    if mode == "all":
        return True
    top = cmd.parent or cmd
    if cmd.write or top.name in MAY_REPLICATE:
        return True
    if top.name == "exec":
        return any(c.write or (c.parent or c).name in MAY_REPLICATE for c, _ in queued or ())
    return False


def unpause_clients(server: Any) -> None:
    """unpauseClients: the end of CLIENT PAUSE (or CLIENT UNPAUSE)."""
    server.client_pause_mode = None
    timer = server.client_pause_timer
    if timer is not None:
        timer.cancel()
        server.client_pause_timer = None
    set_server_condition(server, "pause", False)
    paused, server.paused_clients = server.paused_clients, set()
    for c in paused:
        c.unpause()


@command(
    "pause",
    -3,
    "admin noscript loading stale",
    group="connection",
    since="2.9.50",
    parent="client",
    summary="Stop processing commands from clients for some time",
    complexity="O(1)",
    categories=_ADMIN_CATS,
    arguments=(
        {"name": "timeout", "type": "integer"},
        {"name": "mode", "type": "oneof", "since": "6.2.0", "flags": "optional", "arguments": (
            {"name": "write", "type": "pure-token", "token": "WRITE"},
            {"name": "all", "type": "pure-token", "token": "ALL"},
        )},
    ),
    history=(("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."),),
)  # fmt: skip
def client_pause(client: Any, argv: list[bytes]) -> Any:
    timeout = string2ll(argv[2])
    if timeout is None:
        raise err("timeout is not an integer or out of range")
    if timeout < 0:
        raise err("timeout is negative")
    if len(argv) > 4:
        raise err(
            "unknown subcommand or wrong number of arguments for "
            f"'{argv[1].decode('utf-8', 'replace')}'. Try CLIENT HELP."
        )
    mode = "all"
    if len(argv) == 4:
        opt = argv[3].lower()
        if opt == b"write":
            mode = "write"
        elif opt != b"all":
            raise err("CLIENT PAUSE mode must be WRITE or ALL")
    server = client.server
    clock = server.clock
    end = clock.monotonic() + timeout / 1000
    if server.client_pause_mode != "all":  # the stricter mode wins
        server.client_pause_mode = mode
    if end > server.client_pause_end:
        server.client_pause_end = end
        if server.client_pause_timer is not None:
            server.client_pause_timer.cancel()
        server.client_pause_timer = clock.call_later(
            timeout / 1000, lambda: unpause_clients(server)
        )
    set_server_condition(server, "pause", True)
    return OK


@command(
    "unpause",
    2,
    "admin noscript loading stale",
    group="connection",
    since="6.2.0",
    parent="client",
    summary="Resume processing of clients that were paused",
    complexity="O(N) Where N is the number of paused clients",
    categories=_ADMIN_CATS,
)
def client_unpause(client: Any, argv: list[bytes]) -> Any:
    server = client.server
    server.client_pause_end = 0.0
    unpause_clients(server)
    return OK


__all__ = ["pauses", "remember_read", "stop_tracking", "tracking_of", "unpause_clients"]
