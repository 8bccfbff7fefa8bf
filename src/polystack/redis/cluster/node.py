"""A cluster node as one node sees it (cluster.h's clusterNode) and a bus link."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from polystack.redis.cluster import bus
from polystack.redis.cluster.bus import (
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MIGRATE_TO,
    NODE_MYSELF,
    NODE_NOADDR,
    NODE_NOFAILOVER,
    NODE_PFAIL,
    NODE_SLAVE,
)

FLAG_NAMES = (
    (NODE_MYSELF, "myself"),
    (NODE_MASTER, "master"),
    (NODE_SLAVE, "slave"),
    (NODE_PFAIL, "fail?"),
    (NODE_FAIL, "fail"),
    (NODE_HANDSHAKE, "handshake"),
    (NODE_NOADDR, "noaddr"),
    (NODE_NOFAILOVER, "nofailover"),
)
FLAG_BY_NAME = {name: bit for bit, name in FLAG_NAMES}


def random_name() -> str:
    return secrets.token_hex(20)


def valid_name(name: bytes | str) -> bool:
    """verifyClusterNodeId: 40 lower-case hex characters."""
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    return len(name) == 40 and all(c in "0123456789abcdef" for c in name)


def flags_string(flags: int) -> str:
    """representClusterNodeFlags: comma separated, or ``noflags``."""
    names = [name for bit, name in FLAG_NAMES if flags & bit]
    return ",".join(names) if names else "noflags"


class Link:
    """A bus connection (clusterLink): to a node we connected to, or accepted from one.  The
    service's glue sets ``write`` and ``close_fn``; messages are encoded here."""

    __slots__ = ("node", "inbound", "ctime", "write", "close_fn", "closed", "peer_ip",
                 "local_ip", "send_bytes", "recv_bytes", "reader", "events")  # fmt: skip

    def __init__(self, node: Node | None, inbound: bool, ctime: int) -> None:
        self.node = node
        self.inbound = inbound
        self.ctime = ctime
        self.write: Callable[[bytes], None] | None = None
        self.close_fn: Callable[[], None] | None = None
        self.closed = False
        self.peer_ip = ""
        self.local_ip = ""
        self.send_bytes = 0
        self.recv_bytes = 0
        self.reader = bus.BusReader()
        self.events = "r"

    def send(self, data: bytes) -> None:
        if self.closed or self.write is None:
            return
        self.send_bytes += len(data)
        self.write(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.close_fn is not None:
                self.close_fn()


@dataclass(eq=False, slots=True)
class Node:
    name: str
    flags: int
    ctime: int = 0
    config_epoch: int = 0
    slots: bytearray = field(default_factory=lambda: bytearray(bus.SLOTS_BYTES))
    numslots: int = 0
    replicas: list[Node] = field(default_factory=list)
    slaveof: Node | None = None
    ping_sent: int = 0
    pong_received: int = 0
    data_received: int = 0
    fail_time: int = 0
    voted_time: int = 0
    repl_offset_time: int = 0
    orphaned_time: int = 0
    repl_offset: int = 0
    ip: str = ""
    hostname: str = ""
    port: int = 0
    pport: int = 0
    cport: int = 0
    link: Link | None = None
    inbound_link: Link | None = None
    fail_reports: dict[str, int] = field(default_factory=dict)  # reporter name -> ms
    last_in_ping_gossip: int = 0
    extra: Any = None

    @property
    def is_master(self) -> bool:
        return bool(self.flags & NODE_MASTER)

    @property
    def is_replica(self) -> bool:
        return bool(self.flags & NODE_SLAVE)

    @property
    def in_handshake(self) -> bool:
        return bool(self.flags & NODE_HANDSHAKE)

    @property
    def has_addr(self) -> bool:
        return not self.flags & NODE_NOADDR

    @property
    def timed_out(self) -> bool:
        return bool(self.flags & NODE_PFAIL)

    @property
    def failed(self) -> bool:
        return bool(self.flags & NODE_FAIL)

    @property
    def cant_failover(self) -> bool:
        return bool(self.flags & NODE_NOFAILOVER)

    def has_slot(self, slot: int) -> bool:
        return bool(self.slots[slot >> 3] & (1 << (slot & 7)))

    def set_slot_bit(self, slot: int) -> bool:
        """clusterNodeSetSlotBit: True if it was already set.  A master that gets its first
        slot becomes eligible for replica migration when another master has replicas."""
        byte, bit = slot >> 3, 1 << (slot & 7)
        old = bool(self.slots[byte] & bit)
        if not old:
            self.slots[byte] |= bit
            self.numslots += 1
        return old

    def clear_slot_bit(self, slot: int) -> bool:
        byte, bit = slot >> 3, 1 << (slot & 7)
        old = bool(self.slots[byte] & bit)
        if old:
            self.slots[byte] &= ~bit
            self.numslots -= 1
        return old

    def add_replica(self, replica: Node) -> None:
        if replica not in self.replicas:
            self.replicas.append(replica)
            self.flags |= NODE_MIGRATE_TO

    def remove_replica(self, replica: Node) -> None:
        if replica in self.replicas:
            self.replicas.remove(replica)
        if not self.replicas:
            self.flags &= ~NODE_MIGRATE_TO

    def ok_replicas(self) -> int:
        """clusterCountNonFailingSlaves."""
        return sum(1 for r in self.replicas if not r.failed)

    def slot_ranges(self) -> list[tuple[int, int]]:
        """The node's slots as (first, last) ranges; whole bytes of the bitmap (none or all
        eight slots) are taken at once."""
        ranges: list[tuple[int, int]] = []
        start = -1
        for i, byte in enumerate(self.slots):
            base = i << 3
            if byte == 0:
                if start != -1:
                    ranges.append((start, base - 1))
                    start = -1
            elif byte == 0xFF:
                if start == -1:
                    start = base
            else:
                for bit in range(8):
                    if byte >> bit & 1:
                        if start == -1:
                            start = base + bit
                    elif start != -1:
                        ranges.append((start, base + bit - 1))
                        start = -1
        if start != -1:
            ranges.append((start, bus.CLUSTER_SLOTS - 1))
        return ranges

    def flag_names(self) -> str:
        return flags_string(self.flags)

    def master_of_shard(self) -> Node:
        return self.slaveof if self.is_replica and self.slaveof is not None else self
