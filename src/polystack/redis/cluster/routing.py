"""Which node serves a request (cluster.c's getNodeByQuery) and the redirection replies
(clusterRedirectClient): -MOVED, -ASK, -CROSSSLOT, -TRYAGAIN, -CLUSTERDOWN."""

from __future__ import annotations

from binascii import crc_hqx
from typing import Any

from polystack.redis.cluster.bus import CLUSTER_OK
from polystack.redis.cluster.slots import key_hash_slot

CROSSSLOT = b"-CROSSSLOT Keys in request don't hash to the same slot"
TRYAGAIN = b"-TRYAGAIN Multiple keys request during rehashing of slot"
DOWN_STATE = b"-CLUSTERDOWN The cluster is down"
DOWN_RO_STATE = b"-CLUSTERDOWN The cluster is down and only accepts read commands"
DOWN_UNBOUND = b"-CLUSTERDOWN Hash slot not served"

_PUBSUB_SHARD = frozenset(("ssubscribe", "sunsubscribe", "spublish"))


def redirect(cluster: Any, client: Any, cmd: Any, argv: list[bytes]) -> bytes | None:
    """The error that replaces the command's reply (without CRLF), or None to run it here."""
    state = cluster.state
    if state.served_stale:
        state.rebuild_served()
    myself = state.myself
    top = cmd.parent.name if cmd.parent is not None else cmd.name
    if top == "exec":
        if client.multi is None:
            return None
        queued = [(c, a) for c, a in client.multi]
    else:
        queued = [(cmd, argv)]
    is_pubsubshard = top in _PUBSUB_SHARD
    slots = state.slots
    firstkey = None
    slot = 0
    n = None
    migrating = importing = multiple = False
    missing = existing = 0
    data = client.server.keyspace.dbs[0].data
    for mcmd, margv in queued:
        if mcmd.name in _PUBSUB_SHARD and mcmd.first_key <= 0:
            indexes = list(range(1, len(margv) if mcmd.name != "spublish" else 2))
        else:
            indexes = mcmd.key_indexes(margv)
        for i in indexes:
            key = margv[i]
            thisslot = key_hash_slot(key)
            if firstkey is None:
                firstkey = key
                slot = thisslot
                n = slots[slot]
                if n is None:
                    return DOWN_UNBOUND
                if n is myself and slot in state.migrating_slots_to:
                    migrating = True
                elif slot in state.importing_slots_from:
                    importing = True
            elif key != firstkey:
                if slot != thisslot:
                    return CROSSSLOT
                multiple = True
            if (migrating or importing) and not is_pubsubshard:
                if key in data:
                    existing += 1
                else:
                    missing += 1
    if n is None:
        return None
    cfg = cluster.config
    if state.state != CLUSTER_OK:
        if is_pubsubshard:
            if not cfg.cluster_allow_pubsubshard_when_down:
                return DOWN_STATE
        elif not cfg.cluster_allow_reads_when_down:
            return DOWN_STATE
        elif _is_write(client, cmd, top):
            return DOWN_RO_STATE
    if (migrating or importing) and top == "migrate":
        return None
    if migrating and missing:
        if existing:
            return TRYAGAIN
        target = state.migrating_slots_to[slot]
        return b"-ASK %d %s:%d" % (slot, state.endpoint(target).encode(), target.port)
    if importing and (client.asking or "asking" in cmd.flags):
        if multiple and missing:
            return TRYAGAIN
        return None
    if (
        (client.readonly or is_pubsubshard)
        and not _is_write(client, cmd, top)
        and myself.is_replica
        and myself.slaveof is n
    ):
        return None
    if n is not myself:
        return b"-MOVED %d %s:%d" % (slot, state.endpoint(n).encode(), n.port)
    return None


def _is_write(client: Any, cmd: Any, top: str) -> bool:
    if cmd.write:
        return True
    if top == "exec" and client.multi:
        return any(c.write for c, _ in client.multi)
    return False


def serves(state: Any, key: bytes) -> bool:
    """The request path's check for a one-key command (session._run inlines it): the key's
    slot is served here without a redirection (ClusterState.served)."""
    return bool(state.served[crc_hqx(key, 0) if 123 not in key else key_hash_slot(key)])
