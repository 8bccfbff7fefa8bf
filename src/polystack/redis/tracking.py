"""Server-assisted client-side caching (tracking.c): the table of keys clients read, the
broadcast prefixes, and the invalidation messages.

A client that turned tracking on (CLIENT TRACKING ON) has the keys of its read-only
commands remembered (by key name, whatever the database, as Redis does); when any client
changes such a key, each client that read it gets one ``invalidate`` message (a RESP3 push,
or a ``__redis__:invalidate`` pub/sub message to the client it redirects to) and forgets it.
In BCAST mode nothing is remembered: every key matching one of the client's prefixes is
announced, in one message per prefix at the end of the event-loop turn (beforeSleep).
A flush sends a null invalidation to every tracking client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHANNEL = b"__redis__:invalidate"


@dataclass
class ClientTracking:
    """A client's tracking state (its CLIENT_TRACKING_* flags)."""

    redirect: int = 0
    bcast: bool = False
    optin: bool = False
    optout: bool = False
    noloop: bool = False
    caching: bool = False  # CLIENT CACHING yes/no given for the next command
    caching_for: Any = None  # the command after CLIENT CACHING (its flag's lifetime)
    broken_redirect: bool = False
    prefixes: list[bytes] = field(default_factory=list)


@dataclass
class _Prefix:
    clients: dict[int, Any] = field(default_factory=dict)  # id -> client
    keys: dict[bytes, set[int | None]] = field(default_factory=dict)  # key -> modifiers


class Tracking:
    """The server's tracking table and broadcast prefixes."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.table: dict[bytes, set[int]] = {}
        self.prefixes: dict[bytes, _Prefix] = {}
        self.clients = 0  # server.tracking_clients
        self.max_keys = 1_000_000

    # -- enabling ------------------------------------------------------------------------------
    def enable(self, client: Any, state: ClientTracking) -> None:
        if client.tracking is None:
            self.clients += 1
        client.tracking = state
        for p in state.prefixes if state.bcast else ():
            self.prefixes.setdefault(p, _Prefix()).clients[client.id] = client
        if state.bcast and not state.prefixes:
            self.prefixes.setdefault(b"", _Prefix()).clients[client.id] = client
            state.prefixes = [b""]

    def disable(self, client: Any) -> None:
        state = client.tracking
        if state is None:
            return
        if state.bcast:
            for p in state.prefixes:
                bs = self.prefixes.get(p)
                if bs is not None:
                    bs.clients.pop(client.id, None)
                    if not bs.clients:
                        del self.prefixes[p]
        client.tracking = None
        self.clients -= 1

    # -- reads ---------------------------------------------------------------------------------
    def remember(self, client: Any, keys: list[bytes]) -> None:
        """trackingRememberKeys: ``client`` read ``keys`` (OPTIN/OPTOUT and CACHING apply)."""
        state = client.tracking
        if state is None or state.bcast:
            return
        if (state.optin and not state.caching) or (state.optout and state.caching):
            return
        table = self.table
        for key in keys:
            ids = table.get(key)
            if ids is None:
                table[key] = {client.id}
            else:
                ids.add(client.id)
        while len(table) > self.max_keys > 0:
            key = next(iter(table))
            self.invalidate(None, key, bcast=False)

    # -- writes --------------------------------------------------------------------------------
    def invalidate(self, modifier: Any, key: bytes, bcast: bool = True) -> None:
        """trackingInvalidateKey: tell the clients that read ``key``; remember it for the
        matching broadcast prefixes."""
        if bcast and self.prefixes:
            mod_id = getattr(getattr(modifier, "caller", modifier), "id", None)
            for p, bs in self.prefixes.items():
                if key.startswith(p):
                    bs.keys.setdefault(key, set()).add(mod_id)
            if self.server.current_client is None:  # the server's own change (expiry ...)
                self.broadcast()
        ids = self.table.pop(key, None)
        if not ids:
            return
        clients = self.server.clients
        mod = getattr(modifier, "caller", modifier)  # a script's commands: its caller
        for cid in ids:
            target = clients.get(cid)
            state = getattr(target, "tracking", None)
            if target is None or state is None or state.bcast:
                continue
            if state.noloop and target is mod:
                continue
            self.send(target, [key], pending_ok=True)

    def flushed(self) -> None:
        """trackingInvalidateKeysOnFlush: a null invalidation to every tracking client."""
        for c in list(self.server.clients.values()):
            if getattr(c, "tracking", None) is not None:
                self.send(c, None, pending_ok=True)
        self.table.clear()

    def broadcast(self) -> None:
        """trackingBroadcastInvalidationMessages: each prefix's changed keys to its clients
        (a NOLOOP client is not told about keys only it changed)."""
        for bs in self.prefixes.values():
            if not bs.keys:
                continue
            keys, bs.keys = bs.keys, {}
            for cid, c in list(bs.clients.items()):
                state = c.tracking
                if state is None:
                    continue
                chosen = list(keys)
                if state.noloop:
                    chosen = [k for k, mods in keys.items() if mods != {cid}]
                if chosen:
                    self.send(c, chosen, pending_ok=False)

    def pending_broadcast(self) -> bool:
        return any(bs.keys for bs in self.prefixes.values())

    # -- messages ------------------------------------------------------------------------------
    def send(self, client: Any, keys: list[bytes] | None, pending_ok: bool) -> None:
        """sendTrackingMessage: to the client, or the client it redirects to."""
        state = client.tracking
        target = client
        redirected = False
        if state.redirect:
            target = self.server.clients.get(state.redirect)
            if target is None:
                state.broken_redirect = True
                if client.resp3:
                    msg = b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % state.redirect
                    client.push_raw(msg, msg)
                return
            redirected = True
        if keys is None:
            payload = b"_\r\n" if target.resp3 else b"$-1\r\n"
        else:
            payload = b"*%d\r\n" % len(keys) + b"".join(
                b"$%d\r\n%b\r\n" % (len(k), k) for k in keys
            )
        if target.resp3:
            msg = b">2\r\n$10\r\ninvalidate\r\n" + payload
        elif redirected and (target.channels or target.patterns):
            msg = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + payload
        else:
            return  # RESP2 without a redirection: nowhere to send it
        if pending_ok and target is self.server.current_client and target.executing:
            target.pending_pushes.append(msg)  # after the reply of the running command
        else:
            target.push_raw(msg, msg)

    # -- INFO ------------------------------------------------------------------------------
    def total_items(self) -> int:
        return sum(len(ids) for ids in self.table.values())
