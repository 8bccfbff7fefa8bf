"""What master and replica share: the replication ids and offset, the backlog, and the stream
fed to the replicas (replicationFeedSlaves, replicationFeedStreamFromMasterStream).

A master encodes each write it propagates as a RESP multibulk, preceded by ``SELECT`` when the
database changes, and appends it to the backlog and to every replica's output.  A replica
proxies the exact bytes it applied from its own master, so its offset and backlog stay
byte-identical to its master's (PSYNC2: its own replicas can continue from it, and it can
continue from a sibling promoted in its master's place).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from polystack.redis.replication.backlog import Backlog

log = logging.getLogger(__name__)

NULL_REPLID = "0" * 40

# Replica client states (server.h's SLAVE_STATE_*) and how INFO names them.
WAIT_BGSAVE_START = "wait_bgsave_start"
WAIT_BGSAVE_END = "wait_bgsave_end"
SEND_BULK = "send_bulk"
ONLINE = "online"
INFO_STATE = {
    WAIT_BGSAVE_START: "wait_bgsave",
    WAIT_BGSAVE_END: "wait_bgsave",
    SEND_BULK: "send_bulk",
    ONLINE: "online",
}


def new_replid() -> str:
    return secrets.token_hex(20)


_SELECT: dict[int, bytes] = {}


def encode_command(argv: Iterable[bytes]) -> bytes:
    """A command as a RESP multibulk (what a master sends its replicas)."""
    args = list(argv)
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts.append(b"$%d\r\n" % len(a))
        parts.append(a)
        parts.append(b"\r\n")
    return b"".join(parts)


def select_command(db: int) -> bytes:
    cmd = _SELECT.get(db)
    if cmd is None:
        cmd = _SELECT[db] = encode_command([b"SELECT", b"%d" % db])
    return cmd


@dataclass(slots=True)
class ReplicaClient:
    """What the master knows about one replica connection (its client's ``repl`` record)."""

    client: Any
    state: str = WAIT_BGSAVE_START
    listening_port: int = 0
    announced_ip: str = ""
    capa_eof: bool = False
    capa_psync2: bool = False
    ack_off: int = 0
    ack_time: float = 0.0
    psync_offset: int = 0  # the offset its full sync started at
    pending: list[bytes] = field(default_factory=list)  # stream held back during the sync
    pending_size: int = 0
    diskless: bool = False

    @property
    def ip(self) -> str:
        if self.announced_ip:
            return self.announced_ip
        peer = getattr(self.client.peer, "peername", None)
        return peer[0] if peer else "?"


class ReplicationState:
    """server.replid/replid2/master_repl_offset/repl_backlog and the replicas being fed."""

    def __init__(self, backlog_size: int) -> None:
        self.replid = new_replid()
        self.replid2 = NULL_REPLID
        self.second_replid_offset = -1
        self.offset = 0  # master_repl_offset
        self.backlog_size = backlog_size
        self.backlog: Backlog | None = None
        self.replicas: list[ReplicaClient] = []
        self.seldb = -1  # the database the stream last SELECTed (-1: emit SELECT first)
        self.no_replicas_since = 0.0
        self.hard_limit = 0  # client-output-buffer-limit replica hard, for held-back output
        self.on_overflow: Any = None

    # -- ids --------------------------------------------------------------------------------
    def shift_replid(self) -> None:
        """shiftReplicationId: a promoted replica keeps its old master's id as replid2 (valid
        up to the current offset) and takes a new one."""
        self.replid2 = self.replid
        self.second_replid_offset = self.offset + 1
        self.replid = new_replid()
        log.info(
            "Setting secondary replication ID to %s, valid up to offset: %d. "
            "New replication ID is %s",
            self.replid2,
            self.second_replid_offset,
            self.replid,
        )

    def clear_replid2(self) -> None:
        self.replid2 = NULL_REPLID
        self.second_replid_offset = -1

    def create_backlog(self) -> None:
        """createReplicationBacklog: empty, starting after the current offset."""
        if self.backlog is None:
            self.backlog = Backlog(self.backlog_size, self.offset)

    def resize_backlog(self, size: int) -> None:
        self.backlog_size = size
        if self.backlog is not None:
            self.backlog.resize(size)

    def free_backlog(self) -> None:
        self.backlog = None

    # -- feeding ----------------------------------------------------------------------------
    def feed_commands(self, entries: Iterable[tuple[int, list[bytes]]]) -> None:
        """replicationFeedSlaves for a master's own writes."""
        if self.backlog is None and not self.replicas:
            return
        out = []
        seldb = self.seldb
        for db, argv in entries:
            if db != seldb:
                out.append(select_command(db))
                seldb = db
            out.append(encode_command(argv))
        self.seldb = seldb
        self.feed_raw(b"".join(out))

    def feed_ping(self) -> None:
        """The periodic PING to replicas (in whatever database the stream is)."""
        self.feed_raw(encode_command([b"PING"]))

    def feed_raw(self, data: bytes) -> None:
        """Append ``data`` to the stream: the backlog, the offset, every replica's output."""
        if not data:
            return
        if self.backlog is None:
            self.create_backlog()
        assert self.backlog is not None
        self.backlog.feed(data)
        self.offset = self.backlog.offset
        for r in self.replicas:
            if r.state == ONLINE:
                r.client.peer.write(data)
            elif r.state != WAIT_BGSAVE_START:
                self._hold(r, data)

    def _hold(self, r: ReplicaClient, data: bytes) -> None:
        """Output for a replica whose RDB is still being made or sent: kept until it is, and
        bounded by the replica class's hard output limit."""
        r.pending.append(data)
        r.pending_size += len(data)
        if self.hard_limit and r.pending_size > self.hard_limit and self.on_overflow is not None:
            self.on_overflow(r)

    def release(self, r: ReplicaClient) -> None:
        """The replica's sync is complete: send what was held back and stream from now on."""
        data = b"".join(r.pending)
        r.pending = []
        r.pending_size = 0
        r.state = ONLINE
        if data:
            r.client.peer.write(data)

    def replica_of(self, client: Any) -> ReplicaClient | None:
        for r in self.replicas:
            if r.client is client:
                return r
        return None

    def online(self) -> list[ReplicaClient]:
        return [r for r in self.replicas if r.state == ONLINE]
