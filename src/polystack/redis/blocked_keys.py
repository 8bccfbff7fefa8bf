"""Clients blocked on keys (blocked.c): parking, serving in arrival order when a key becomes
ready, timeouts and unblocking.  Sits beside the session: it writes replies to clients.

After any top-level command (and so after a whole MULTI/EXEC or script), the session calls
:func:`handle_ready_keys` when the keyspace has ready keys: keys that got a value while
clients waited on them (``Keyspace.signal_key_as_ready``, called by dbAdd and by XADD)."""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis.blocking import NOT_READY, Block
from polystack.redis.errors import RedisError

log = logging.getLogger(__name__)


def block(client: Any, blk: Block) -> None:
    """Park ``client`` on the block's keys (each key once)."""
    db = client.db
    client.blocked = blk
    client.blocked_db = db
    seen: set[bytes] = set()
    for key in blk.keys:
        if key in seen:
            continue
        seen.add(key)
        db.blocking_keys.setdefault(key, []).append(client)
    server = client.server
    server.blocked_clients = getattr(server, "blocked_clients", 0) + 1
    if blk.timeout_ms > 0:
        client.block_timer = server.clock.call_later(
            blk.timeout_ms / 1000.0, lambda: timed_out(client)
        )


def unblock(client: Any) -> None:
    """Take ``client`` off every key it waits on and cancel its timer."""
    blk = client.blocked
    if blk is None:
        return
    db = client.blocked_db
    for key in set(blk.keys):
        waiting = db.blocking_keys.get(key)
        if waiting is not None:
            try:
                waiting.remove(client)
            except ValueError:
                pass
            if not waiting:
                del db.blocking_keys[key]
    client.blocked = None
    client.blocked_db = None
    timer = client.block_timer
    if timer is not None:
        timer.cancel()
        client.block_timer = None
    server = client.server
    server.blocked_clients = max(0, getattr(server, "blocked_clients", 1) - 1)


def timed_out(client: Any) -> None:
    """The deadline passed: reply as Redis does on a timeout and resume the client."""
    if client.blocked is None:
        return
    reply = client.blocked.timeout_reply
    client.block_timer = None
    unblock(client)
    client.deliver(reply)


def kill(client: Any, error: bool) -> bool:
    """CLIENT UNBLOCK: False when the client is not blocked on keys."""
    if client.blocked is None:
        return False
    reply: Any = client.blocked.timeout_reply
    if error:
        reply = RedisError("UNBLOCKED", "client unblocked via CLIENT UNBLOCK")
    unblock(client)
    client.deliver(reply)
    return True


def handle_ready_keys(ks: Any) -> None:
    """handleClientsBlockedOnKeys: serve the clients waiting on every ready key, in the
    order the keys became ready and, per key, in the order the clients blocked."""
    while ks.ready_keys:
        ready, ks.ready_keys = ks.ready_keys, []
        for db, key in ready:
            waiting = db.blocking_keys.get(key)
            if not waiting:
                continue
            for client in list(waiting):
                blk = client.blocked
                if blk is None or client.blocked_db is not db:
                    continue
                value = db.data.get(key)
                if value is not None and db.expires and db.is_expired(key, client.now_ms()):
                    value = None
                if value is None or type(value) is not blk.kind:
                    if blk.gone is None:
                        continue
                    serve = blk.gone
                else:
                    serve = blk.serve
                try:
                    reply = serve(client, key, value)
                except RedisError as e:
                    reply = e
                if reply is NOT_READY:
                    continue
                unblock(client)
                client.deliver(reply)
                if value is not None and db.data.get(key) is None:
                    break  # the value was used up and its key deleted
