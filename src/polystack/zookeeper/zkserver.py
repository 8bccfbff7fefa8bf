"""The ZooKeeper server core, sans-I/O: data tree, watches, sessions, zxids, the transaction log.

One instance per service. Connections (session.py) hand it decoded requests; writes become
transactions (a zxid, applied to the tree, appended to the journal, watches fired), reads run
against the tree. The journal is a barrier log: under ``fsync = always`` no reply (nor watch
event) reaches any client before the records appended before it are fsynced, as ZooKeeper applies
a transaction only after its log sync.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .commands import TABLE, OpSpec
from .defs import OpCode, owner_ttl
from .errors import Code, ZKError
from .persist import (
    CLOSE_SESSION,
    CREATE_SESSION,
    apply_changes,
    decode_txn,
    encode_txn,
    load_snapshot,
    snapshot_chunks,
)
from .records import PathRequest
from .sessions import SessionTracker
from .tree import NODE_CREATED, NODE_DATA_CHANGED, NODE_DELETED, DataTree, split_path
from .watches import WatchManager

log = logging.getLogger(__name__)

_CHILDREN_CHANGED = 4


@dataclass
class Settings:
    tick_time: int = 2000
    min_session_timeout: int = -1
    max_session_timeout: int = -1
    max_buffer: int = 0xFFFFF
    max_client_cnxns: int = 60
    four_letter_whitelist: frozenset[str] = frozenset({"srvr"})
    extended_types: bool = True
    snap_count: int = 100000
    container_check_interval_ms: int = 60000
    data_dir: str = ""
    data_log_dir: str = ""
    # zookeeper.DigestAuthenticationProvider.superDigest: "super:<base64 sha1>"
    super_digest: str = ""
    client_port: int = 2181
    # zookeeper.nio.sessionlessCnxnTimeout (ms): a connection without a session is closed
    # after this long idle
    sessionless_cnxn_timeout: int = 10000

    @property
    def min_timeout(self) -> int:
        return self.min_session_timeout if self.min_session_timeout > 0 else 2 * self.tick_time

    @property
    def max_timeout(self) -> int:
        return self.max_session_timeout if self.max_session_timeout > 0 else 20 * self.tick_time


@dataclass
class ServerStats:
    packets_received: int = 0
    packets_sent: int = 0
    min_latency: int = 0
    max_latency: int = 0
    total_latency: int = 0
    count: int = 0
    started_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    errors: dict[int, int] = field(default_factory=dict)  # error replies by code

    def count_error(self, code: int) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def reset(self) -> None:
        self.packets_received = self.packets_sent = 0
        self.min_latency = self.max_latency = self.total_latency = self.count = 0

    def reset_latency(self) -> None:
        self.min_latency = self.max_latency = self.total_latency = self.count = 0

    def add_latency(self, ms: int, n: int = 1) -> None:
        if self.count == 0 or ms < self.min_latency:
            self.min_latency = ms
        if ms > self.max_latency:
            self.max_latency = ms
        self.total_latency += ms * n
        self.count += n

    @property
    def avg_latency(self) -> float:
        return self.total_latency / self.count if self.count else 0.0


class ZooKeeperServer:
    def __init__(self, settings: Settings, clock: Any, journal: Any = None) -> None:
        self.settings = settings
        self.clock = clock
        self.journal = journal
        self.tree = DataTree()
        self.data_watches = WatchManager()
        self.child_watches = WatchManager()
        self.tracker = SessionTracker(settings.tick_time, self.mono_ms())
        self.connections: set[Any] = set()
        self.stats = ServerStats(started_ms=self.now_ms())
        self.extended_types = settings.extended_types
        self.txns_since_snapshot = 0
        self.outstanding = 0
        self.op_counts: defaultdict[int, int] = defaultdict(int)  # requests by opcode

    # -----------------------------------------------------------------------------------------
    # time and output

    def now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def mono_ms(self) -> int:
        return int(self.clock.monotonic() * 1000)

    @property
    def last_zxid(self) -> int:
        return self.tree.last_processed_zxid

    def log_pending(self) -> bool:
        j = self.journal
        return j is not None and j.log.durable_seq < j.log.last_seq

    def send(self, peer: Any, data: bytes) -> None:
        peer.write(data)

    # -----------------------------------------------------------------------------------------
    # recovery

    def load(self, snapshot: Iterable[bytes] | None, records: Iterable[bytes]) -> None:
        """Recover from a snapshot's chunks and the log records after it (both streamed)."""
        sessions: dict[int, int] = {}
        if snapshot is not None:
            self.tree, sessions = load_snapshot(snapshot)
        tree = self.tree
        count = 0
        for rec in records:
            count += 1
            zxid, time, changes = decode_txn(rec)
            if zxid <= tree.last_processed_zxid:
                continue
            apply_changes(tree, zxid, time, changes, sessions)
        now = self.mono_ms()
        for sid, timeout in sessions.items():
            self.tracker.add(sid, timeout, now)
        # ephemerals of sessions that no longer exist (closed before the crash) go too
        for sid in list(tree.ephemerals):
            if sid not in sessions:
                tree.ephemerals.pop(sid, None)
        self.txns_since_snapshot = count
        log.info(
            "ZooKeeper data restored: %d znodes, %d sessions, last zxid 0x%x",
            len(tree.nodes),
            len(sessions),
            tree.last_processed_zxid,
        )

    def snapshot(self, background: bool = False) -> None:
        """Write a snapshot and start a new log generation (with ``background`` the file writes
        and fsyncs run off the loop; the snapshot's content is taken now)."""
        j = self.journal
        if j is None or j.compacting:
            return
        sessions = {sid: s.timeout for sid, s in self.tracker.sessions.items()}
        chunks = snapshot_chunks(self.tree, sessions)
        if background:
            fut = j.compact_in_background(chunks)
            fut.add_done_callback(_report_snapshot)
        else:
            j.compact(chunks)
        self.txns_since_snapshot = 0

    # -----------------------------------------------------------------------------------------
    # transactions

    def next_zxid(self) -> int:
        return self.tree.last_processed_zxid + 1

    def commit(self, zxid: int, time: int, changes: list) -> None:
        self.tree.last_processed_zxid = zxid
        if self.journal is not None:
            self.journal.append(encode_txn(zxid, time, changes))
            self.txns_since_snapshot += 1
            if self.txns_since_snapshot >= self.settings.snap_count:
                self.snapshot(background=True)

    def execute_write(self, cnxn: Any, spec: OpSpec, req: Any) -> tuple[int, int, bytes]:
        """Run one write request as a transaction; returns (zxid, err, body)."""
        tree = self.tree
        zxid = tree.last_processed_zxid + 1
        time = self.now_ms()
        changes: list = []
        tree.changes = changes
        try:
            body = spec.handler(self, cnxn, req, zxid, time)
            err = 0
        except ZKError as e:
            body = b""
            err = e.code
            changes.clear()
            tree.events.clear()
        except Exception:
            # a bug must not leave a half-applied change behind: roll back what can be,
            # and answer like ZooKeeper's "Failed to process" path (MarshallingError)
            log.exception("Failed to process %s", spec.name)
            if tree.undo is not None:
                tree.rollback()
            body = b""
            err = int(Code.MARSHALLINGERROR)
            changes.clear()
            tree.events.clear()
        finally:
            tree.changes = None
            tree.undo = None
        self.commit(zxid, time, changes)
        if tree.events:
            self.fire_events()
        return zxid, err, body

    def fire_events(self) -> None:
        tree = self.tree
        events = tree.events
        tree.events = []
        dw = self.data_watches
        cw = self.child_watches
        for path, t in events:
            if t == NODE_DATA_CHANGED:
                if dw.table:
                    dw.trigger(path, t)
            elif t == NODE_CREATED:
                if dw.table:
                    dw.trigger(path, t)
                if cw.table:
                    cw.trigger(split_path(path)[0], _CHILDREN_CHANGED)
            elif t == NODE_DELETED:
                fired = dw.trigger(path, t) if dw.table else None
                if cw.table:
                    cw.trigger(path, t, fired)
                    cw.trigger(split_path(path)[0], _CHILDREN_CHANGED)

    # -----------------------------------------------------------------------------------------
    # sessions

    def clamp_timeout(self, timeout: int) -> int:
        s = self.settings
        return max(s.min_timeout, min(s.max_timeout, timeout))

    def create_session(self, timeout: int) -> int:
        sid = self.tracker.new_session_id()
        self.tracker.add(sid, timeout, self.mono_ms())
        self.commit(self.next_zxid(), self.now_ms(), [(CREATE_SESSION, sid, timeout)])
        return sid

    def kill_session(self, session_id: int, zxid: int) -> None:
        """Apply side of closeSession: delete the session's ephemerals, forget it."""
        self.tree.kill_session(session_id, zxid)
        changes = self.tree.changes
        if changes is not None:
            changes.append((CLOSE_SESSION, session_id))
        self.tracker.remove(session_id)

    def close_session(self, session_id: int) -> None:
        """A closeSession transaction the server itself issues (expiry)."""
        tree = self.tree
        zxid = self.next_zxid()
        changes: list = []
        tree.changes = changes
        try:
            self.kill_session(session_id, zxid)
        finally:
            tree.changes = None
        self.commit(zxid, self.now_ms(), changes)
        if tree.events:
            self.fire_events()

    def expire_sessions(self) -> int:
        """Expire every session whose deadline passed; returns how many."""
        expired = self.tracker.expired(self.mono_ms())
        for s in expired:
            log.info(
                "Expiring session 0x%x, timeout of %dms exceeded",
                s.session_id & (2**64 - 1),
                s.timeout,
            )
            s.closing = True
            owner = s.owner
            self.close_session(s.session_id)
            if owner is not None:
                owner.session_expired()
        return len(expired)

    # -----------------------------------------------------------------------------------------
    # containers and TTL nodes (ContainerManager)

    def container_candidates(self) -> list[str]:
        tree = self.tree
        now = self.now_ms()
        out = []
        for path in list(tree.containers):
            n = tree.nodes.get(path)
            if n is not None and n.cversion > 0 and not n.children:
                out.append(path)
        for path in list(tree.ttls):
            n = tree.nodes.get(path)
            if n is None or n.children:
                continue
            ttl = owner_ttl(n.ephemeral_owner)
            if ttl != 0 and now - n.mtime > ttl:
                out.append(path)
        return out

    def check_containers(self) -> int:
        """ContainerManager: delete empty containers and expired TTL nodes (deleteContainer)."""
        spec = TABLE[int(OpCode.deleteContainer)]
        count = 0
        for path in self.container_candidates():
            _, err, _ = self.execute_write(_SERVER_CNXN, spec, PathRequest(path))
            if err == 0:
                count += 1
        return count


def _report_snapshot(fut: Any) -> None:
    exc = fut.exception()
    if exc is not None:
        log.error("Severe unrecoverable error writing a snapshot: %s", exc)


class _ServerCnxn:
    """The identity of server-issued requests (container deletion)."""

    session_id = 0
    auth_info: list = []

    def process(self, event_type: int, path: str) -> None:  # pragma: no cover
        pass


_SERVER_CNXN = _ServerCnxn()
