"""Which node serves a request (cluster.c's getNodeByQuery) and the redirection replies
(clusterRedirectClient): -MOVED, -ASK, -CROSSSLOT, -TRYAGAIN, -CLUSTERDOWN."""

from __future__ import annotations

from binascii import crc_hqx
from collections.abc import Callable, Iterable
from typing import Any

from polystack.redis.cluster.bus import CLUSTER_OK
from polystack.redis.cluster.slots import key_hash_slot, tag_crc16

CROSSSLOT = b"-CROSSSLOT Keys in request don't hash to the same slot"
TRYAGAIN = b"-TRYAGAIN Multiple keys request during rehashing of slot"
DOWN_STATE = b"-CLUSTERDOWN The cluster is down"
DOWN_RO_STATE = b"-CLUSTERDOWN The cluster is down and only accepts read commands"
DOWN_UNBOUND = b"-CLUSTERDOWN Hash slot not served"

_PUBSUB_SHARD = frozenset(("ssubscribe", "sunsubscribe", "spublish"))
# A key spec naming exactly argv[1]: ("index", 1) and ("range", lastkey 0, step 1, limit 0).
_ARGV1 = (("index", 1), ("range", 0, 1, 0))

KeyFinder = Callable[[list[bytes]], list[int]]
# Their own key finder (zunionInterDiffStoreGetKeys) names the destination after the sources:
# the first key, whose slot is looked up first, is the first source.
_DEST_LAST = frozenset(("zunionstore", "zinterstore", "zdiffstore"))


def _dest_last(positions: list[int]) -> list[int]:
    return positions[1:] + positions[:1]


def _spec_shape(specs: list[tuple]) -> list[tuple]:
    return [(s[1], s[2]) for s in specs]


def one_key(cmd: Any, specs: list[tuple]) -> bool:
    """The command's only key is always argv[1] (GET, SET, INCR, HSET ...)."""
    return (
        cmd.getkeys is None
        and cmd.first_key == 1
        and cmd.last_key == 1
        and _spec_shape(specs) == [_ARGV1]
    )


def prepare_dispatch(
    commands: Iterable[Any],
    dispatch: dict[bytes, Any],
    specs_for: Callable[[Any], list[tuple]],
    keys_of: Callable[[Any, list[bytes]], list[int]],
) -> dict[str, KeyFinder]:
    """Cluster mode: the session's fast path (session._run) runs a command from ``dispatch``
    after one test, the served map at argv[1]'s slot when the command has a first key, so
    only keyless commands and commands whose one key is argv[1] stay in it; the others
    (MSET, RENAME, ZUNIONSTORE, XREAD, EVAL, GEORADIUS ... STORE) take the slow path and
    :func:`redirect`.  Returns the key finders :func:`redirect` needs for the commands
    whose keys their key specs name but the legacy (first, last, step) triple misses
    (getNodeByQuery takes every key a command's own key finder or key specs name: XREAD's
    STREAMS, ZUNIONSTORE's numkeys, GEORADIUS's STORE)."""
    finders: dict[str, KeyFinder] = {}
    for cmd in commands:
        specs = specs_for(cmd)
        if cmd.getkeys is None and specs:
            legacy: list[tuple] = []
            if cmd.first_key > 0:
                last = cmd.last_key - cmd.first_key if cmd.last_key >= 0 else cmd.last_key
                legacy = [(("index", cmd.first_key), ("range", last, cmd.step or 1, 0))]
            if _spec_shape(specs) != legacy:
                finders[cmd.name] = _finder(cmd, keys_of, cmd.name in _DEST_LAST)
    for name, cmd in list(dispatch.items()):
        keyless = cmd.first_key <= 0 and cmd.getkeys is None and not specs_for(cmd)
        if not keyless and not one_key(cmd, specs_for(cmd)):
            del dispatch[name]
    return finders


def _finder(
    cmd: Any, keys_of: Callable[[Any, list[bytes]], list[int]], dest_last: bool
) -> KeyFinder:
    def find(argv: list[bytes]) -> list[int]:
        positions = keys_of(cmd, argv)
        return _dest_last(positions) if dest_last else positions

    return find


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
    finders = cluster.key_finders
    for mcmd, margv in queued:
        if mcmd.name in _PUBSUB_SHARD and mcmd.first_key <= 0:
            indexes = list(range(1, len(margv) if mcmd.name != "spublish" else 2))
        elif mcmd.parent is None and mcmd.name in finders:
            indexes = finders[mcmd.name](margv)
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
    return bool(state.served[crc_hqx(key, 0) if 123 not in key else tag_crc16(key)])
