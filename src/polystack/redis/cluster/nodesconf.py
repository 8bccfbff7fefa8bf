"""nodes.conf (``cluster-config-file``) in Redis's format: one line per node as CLUSTER NODES
shows it, then ``vars currentEpoch N lastVoteEpoch M``.  Written atomically (a temporary file,
fsync, rename); read back at start (clusterLoadConfig)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from polystack.redis.cluster.bus import NODE_MYSELF, NODE_NOADDR
from polystack.redis.cluster.node import FLAG_BY_NAME, Node, valid_name


class NodesConfError(Exception):
    """A nodes.conf Redis would refuse to load ("Unrecoverable error: corrupted cluster
    config file")."""


def node_line(cluster: Any, n: Node, port_of: Any = None, with_open_slots: bool = True) -> str:
    """clusterGenNodeDescription."""
    port = n.port if port_of is None else port_of(n)
    addr = f"{n.ip}:{port}@{n.cport}"
    if n.hostname:
        addr += "," + n.hostname
    master = n.slaveof.name if n.slaveof is not None else "-"
    connected = n.link is not None or n.flags & NODE_MYSELF
    me = n.flags & NODE_MYSELF
    parts = [
        n.name,
        addr,
        n.flag_names(),
        master,
        "0" if me else str(n.ping_sent),
        "0" if me else str(n.pong_received),
        str(n.config_epoch),
        "connected" if connected else "disconnected",
    ]
    for a, b in n.slot_ranges():
        parts.append(str(a) if a == b else f"{a}-{b}")
    if me and with_open_slots:
        for slot in sorted(cluster.migrating_slots_to):
            parts.append(f"[{slot}->-{cluster.migrating_slots_to[slot].name}]")
        for slot in sorted(cluster.importing_slots_from):
            parts.append(f"[{slot}-<-{cluster.importing_slots_from[slot].name}]")
    return " ".join(parts)


def render(cluster: Any) -> str:
    lines = [node_line(cluster, n) for n in cluster.nodes.values()]
    lines.append(
        f"vars currentEpoch {cluster.current_epoch} lastVoteEpoch {cluster.last_vote_epoch}"
    )
    return "\n".join(lines) + "\n"


def save(cluster: Any, path: str, fsync: bool = True) -> None:
    """Write nodes.conf atomically; raises OSError."""
    write(path, render(cluster).encode("latin-1"), fsync)


def write(path: str, data: bytes, fsync: bool, lock: Any = None) -> None:
    """Replace ``path`` by ``data`` atomically (a temporary file renamed over it), fsynced
    with its directory when ``fsync``; ``lock`` (a threading.Lock) serializes the writers of
    one file, which share the temporary name.  Raises OSError."""
    with lock if lock is not None else contextlib.nullcontext():
        _write(path, data, fsync)


def _write(path: str, data: bytes, fsync: bool) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if fsync:
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if fsync:
        dirfd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)


def load(cluster: Any, path: str) -> bool:
    """clusterLoadConfig: False when there is no file (or it is empty); raises
    NodesConfError for a corrupted one."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("latin-1")
    except FileNotFoundError:
        return False
    if not text.strip():
        return False
    myself = None
    pending_masters: list[tuple[Node, str]] = []
    loaded: dict[str, Node] = {}
    open_slots: list[tuple[int, str, str]] = []
    slots: list[tuple[Node, int, int]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        argv = line.split()
        if not argv:
            continue
        if argv[0] == "vars":
            if len(argv) % 2 != 1:
                raise NodesConfError(f"{path}:{lineno}: bad vars line")
            for k, v in zip(argv[1::2], argv[2::2], strict=True):
                if k == "currentEpoch":
                    cluster.current_epoch = int(v)
                elif k == "lastVoteEpoch":
                    cluster.last_vote_epoch = int(v)
                else:
                    raise NodesConfError(
                        f"{path}:{lineno}: skipping unknown cluster config variable '{k}'"
                    )
            continue
        if len(argv) < 8:
            raise NodesConfError(
                f"{path}:{lineno}: Unrecoverable error: corrupted cluster config file"
            )
        name = argv[0]
        if not valid_name(name):
            raise NodesConfError(f"{path}:{lineno}: invalid node name {name!r}")
        addr, _, hostname = argv[1].partition(",")
        ipport, _, cport = addr.partition("@")
        ip, _, port = ipport.rpartition(":")
        if ":" not in ipport:
            raise NodesConfError(
                f"{path}:{lineno}: Unrecoverable error: corrupted cluster config file"
            )
        flags = 0
        for fname in argv[2].split(","):
            if fname == "noflags":
                continue
            if fname not in FLAG_BY_NAME:
                raise NodesConfError(f"{path}:{lineno}: unknown flag {fname!r}")
            flags |= FLAG_BY_NAME[fname]
        node = Node(name, flags)
        node.ip, node.port = ip, int(port or 0)
        node.cport = int(cport) if cport else node.port + 10000
        node.hostname = hostname
        node.config_epoch = int(argv[6])
        if not ip:
            node.flags |= NODE_NOADDR if not flags & NODE_MYSELF else 0
        if flags & NODE_MYSELF:
            if myself is not None:
                raise NodesConfError(f"{path}:{lineno}: more than one 'myself' node")
            myself = node
        if argv[3] != "-":
            pending_masters.append((node, argv[3]))
        loaded[name] = node
        for word in argv[8:]:
            if word.startswith("["):
                body = word[1:-1]
                if "->-" in body:
                    slot_text, target = body.split("->-")
                    open_slots.append((int(slot_text), "migrating", target))
                elif "-<-" in body:
                    slot_text, target = body.split("-<-")
                    open_slots.append((int(slot_text), "importing", target))
                else:
                    raise NodesConfError(f"{path}:{lineno}: bad open slot {word!r}")
                continue
            a, _, b = word.partition("-")
            start, stop = int(a), int(b or a)
            if not (0 <= start <= stop < 16384):
                raise NodesConfError(f"{path}:{lineno}: bad slot range {word!r}")
            slots.append((node, start, stop))
    if myself is None:
        raise NodesConfError(
            f"{path}: Unrecoverable error: corrupted cluster config file (no 'myself' node)"
        )
    cluster.nodes = dict(loaded)
    cluster.myself = myself
    for node, master_name in pending_masters:
        master = loaded.get(master_name)
        if master is None:
            master = Node(master_name, 0)
            master.flags |= NODE_NOADDR
            loaded[master_name] = cluster.nodes[master_name] = master
        node.slaveof = master
        master.add_replica(node)
    for node, start, stop in slots:
        for j in range(start, stop + 1):
            cluster.del_slot(j)
            cluster.add_slot(node, j)
    for slot, kind, target in open_slots:
        n = loaded.get(target)
        if n is None:
            raise NodesConfError(f"{path}: open slot {slot} names an unknown node {target}")
        (cluster.migrating_slots_to if kind == "migrating" else cluster.importing_slots_from)[
            slot
        ] = n
    return True
