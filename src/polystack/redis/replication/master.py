"""The master side (replication.c's syncCommand, replconfCommand, masterTryPartialResynchronization,
startBgsaveForReplication, replicationCron, waitCommand).

A replica connection sends ``REPLCONF listening-port``/``capa``, then ``PSYNC <replid>
<offset>``.  A partial resync (``+CONTINUE``) sends the backlog after that offset; a full one
(``+FULLRESYNC <replid> <offset>``) forks a child that writes the RDB — to dump.rdb, then sent as
``$<len>``, or (diskless, when the replica supports ``EOF:``) straight through a pipe framed by
a random 40-byte mark — while the writes that follow the fork are held for the replica and sent
after the RDB.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
from typing import Any

from polystack.redis.rdbfile import SaveInfo
from polystack.redis.replication.state import (
    INFO_STATE,
    ONLINE,
    SEND_BULK,
    WAIT_BGSAVE_END,
    WAIT_BGSAVE_START,
    ReplicaClient,
    ReplicationState,
    encode_command,
    new_replid,
)

log = logging.getLogger(__name__)

_GETACK = encode_command([b"REPLCONF", b"GETACK", b"*"])


class Waiter:
    """A client blocked in WAIT."""

    __slots__ = ("client", "offset", "numreplicas", "timer")

    def __init__(self, client: Any, offset: int, numreplicas: int) -> None:
        self.client = client
        self.offset = offset
        self.numreplicas = numreplicas
        self.timer: Any = None


class MasterSide:
    def __init__(self, server: Any, state: ReplicationState) -> None:
        self.server = server
        self.state = state
        self.waiters: list[Waiter] = []
        self.getack_requested = False
        self.diskless_wait_since: float | None = None
        self.child_kind = ""  # "disk" or "socket" while a full sync's child runs
        self.sync_full = 0
        self.sync_partial_ok = 0
        self.sync_partial_err = 0
        self._last_ping = 0.0
        self._pipe_finished: Any = None
        self._pipe_ok = True
        self._child_status: bool | None = None
        state.on_overflow = self._overflow

    @property
    def config(self) -> Any:
        return self.server.config

    # -- REPLCONF -----------------------------------------------------------------------------
    def replconf(self, client: Any, args: list[bytes]) -> Any:
        """replconfCommand; returns the reply (None for ACK, which has none)."""
        from_replica = client.repl
        if len(args) % 2:
            raise ValueError("syntax error")
        for i in range(0, len(args), 2):
            opt, val = args[i].lower(), args[i + 1]
            if opt == b"listening-port":
                self._record(client).listening_port = _int(val)
            elif opt == b"ip-address":
                self._record(client).announced_ip = val.decode("utf-8", "replace")
            elif opt == b"capa":
                r = self._record(client)
                if val.lower() == b"eof":
                    r.capa_eof = True
                elif val.lower() == b"psync2":
                    r.capa_psync2 = True
            elif opt == b"ack":
                if from_replica is None:
                    return None
                offset = _int(val)
                if offset > from_replica.ack_off:
                    from_replica.ack_off = offset
                from_replica.ack_time = self.server.clock.time()
                if from_replica.state == ONLINE:
                    self.check_waiters()
                return None
            elif opt == b"getack":
                link = getattr(self.server, "link", None)
                if link is not None and client is getattr(link, "master_client", None):
                    link.send_ack()
                return None
            elif opt == b"rdb-only" or opt == b"rdb-filter-only":
                pass
            else:
                raise LookupError(f"Unrecognized REPLCONF option: {args[i].decode('latin-1')}")
        return True

    def _record(self, client: Any) -> ReplicaClient:
        """The replica record a handshake builds up before PSYNC (kept on the client)."""
        rec = getattr(client, "repl_handshake", None)
        if rec is None:
            rec = ReplicaClient(client)
            client.repl_handshake = rec
        return rec

    # -- PSYNC / SYNC ---------------------------------------------------------------------------
    def psync(self, client: Any, replid: str, offset: int, sync: bool = False) -> bytes:
        """syncCommand: the reply to write now (b"" when the full sync answers later)."""
        if client.repl is not None:
            return b""
        rec = getattr(client, "repl_handshake", None) or ReplicaClient(client)
        rec.client = client
        state = self.state
        if not sync and self._partial_possible(replid, offset):
            state.replicas.append(rec)
            client.repl = rec
            self.server.replica_attached(client)
            rec.state = ONLINE
            rec.ack_time = self.server.clock.time()
            rec.ack_off = offset - 1
            self.sync_partial_ok += 1
            reply = (
                b"+CONTINUE %s\r\n" % state.replid.encode() if rec.capa_psync2 else b"+CONTINUE\r\n"
            )
            data = state.backlog.since(offset) if state.backlog is not None else b""
            log.info(
                "Partial resynchronization request from %s accepted. Sending %d bytes of "
                "backlog starting from offset %d.",
                _name(rec),
                len(data),
                offset + 1,
            )
            client.peer.write(reply + data)
            return b""
        if not sync and replid != "?":
            self.sync_partial_err += 1
            log.info(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked "
                "for '%s', my replication IDs are '%s' and '%s')"
                if replid not in (state.replid, state.replid2)
                else "Partial resynchronization not accepted: the requested offset %s is not in "
                "the backlog of %s%s",
                replid if replid not in (state.replid, state.replid2) else offset,
                state.replid,
                state.replid2 if replid not in (state.replid, state.replid2) else "",
            )
        else:
            log.info("Replica %s asks for synchronization", _name(rec))
        self.sync_full += 1
        if state.backlog is None:
            # The first replica: a new history starts (changeReplicationId, clearReplicationId2)
            state.replid = new_replid()
            state.clear_replid2()
            state.create_backlog()
            log.info(
                "Replication backlog created, my new replication IDs are '%s' and '%s'",
                state.replid,
                state.replid2,
            )
        rec.state = WAIT_BGSAVE_START
        rec.diskless = rec.capa_eof and self.config.repl_diskless_sync and not sync
        state.replicas.append(rec)
        client.repl = rec
        rec.ack_time = self.server.clock.time()
        self.server.replica_attached(client)
        self._maybe_start_sync()
        return b""

    def _partial_possible(self, replid: str, offset: int) -> bool:
        state = self.state
        if state.backlog is None:
            return False
        if replid == state.replid:
            pass
        elif replid == state.replid2 and offset <= state.second_replid_offset:
            pass
        else:
            return False
        return state.backlog.covers(offset)

    # -- full synchronisation ---------------------------------------------------------------
    def _waiting(self) -> list[ReplicaClient]:
        return [r for r in self.state.replicas if r.state == WAIT_BGSAVE_START]

    def _maybe_start_sync(self) -> None:
        """startBgsaveForReplication, when no child runs: disk-backed at once; diskless after
        ``repl-diskless-sync-delay`` (so more replicas can share the transfer)."""
        waiting = self._waiting()
        if not waiting or self.server.rdb.in_progress:
            return
        diskless = [r for r in waiting if r.diskless]
        if diskless:
            delay = self.config.repl_diskless_sync_delay
            now = self.server.clock.monotonic()
            if self.diskless_wait_since is None:
                self.diskless_wait_since = now
            max_replicas = self.config.repl_diskless_sync_max_replicas
            enough = max_replicas and len(diskless) >= max_replicas
            if now - self.diskless_wait_since < delay and not enough:
                return
            self.diskless_wait_since = None
            self._start_socket_sync(diskless)
        else:
            self._start_disk_sync(waiting)

    def _save_info(self) -> SaveInfo:
        state = self.state
        return SaveInfo(max(state.seldb, 0), state.replid, state.offset)

    def _setup_full(self, replicas: list[ReplicaClient]) -> None:
        """replicationSetupSlaveForFullResync: +FULLRESYNC at the fork's offset; writes from
        now on are held for these replicas; the stream re-emits SELECT."""
        state = self.state
        for r in replicas:
            r.state = WAIT_BGSAVE_END
            r.psync_offset = state.offset
            r.pending = []
            r.pending_size = 0
            r.client.peer.write(b"+FULLRESYNC %s %d\r\n" % (state.replid.encode(), state.offset))
        state.seldb = -1

    def _start_disk_sync(self, replicas: list[ReplicaClient]) -> None:
        info = self._save_info()
        try:
            self.server.rdb.bgsave(on_done=self._disk_done, save_info=info)
        except (OSError, RuntimeError) as e:
            log.warning("BGSAVE for replication failed: %s", e)
            for r in replicas:
                self._drop(r, "BGSAVE for replication failed")
            return
        log.info("Starting BGSAVE for SYNC with target: disk")
        self.child_kind = "disk"
        self._setup_full(replicas)

    def _disk_done(self, ok: bool, error: str) -> None:
        self.child_kind = ""
        targets = [r for r in self.state.replicas if r.state == WAIT_BGSAVE_END and not r.diskless]
        if not ok:
            for r in targets:
                self._drop(r, "SYNC failed. BGSAVE child returned an error")
            self._maybe_start_sync()
            return
        try:
            with open(self.server.rdb.path(), "rb") as f:
                data = f.read()
        except OSError as e:
            for r in targets:
                self._drop(r, f"SYNC failed. Can't open/stat DB after BGSAVE: {e}")
            return
        header = b"$%d\r\n" % len(data)
        for r in targets:
            r.state = SEND_BULK
            r.client.peer.write(header)
            r.client.peer.write(data)
            log.info("Synchronization with replica %s succeeded", _name(r))
            self.state.release(r)
            r.ack_time = self.server.clock.time()
        self._maybe_start_sync()

    def _start_socket_sync(self, replicas: list[ReplicaClient]) -> None:
        info = self._save_info()
        try:
            child = self.server.rdb.fork_to_pipe(info, self._socket_done)
        except (OSError, RuntimeError) as e:
            log.warning("BGSAVE for replication failed: %s", e)
            for r in replicas:
                self._drop(r, "BGSAVE for replication failed")
            return
        self.child_kind = "socket"
        self._setup_full(replicas)
        mark = secrets.token_hex(20).encode()
        for r in replicas:
            r.state = SEND_BULK
            r.client.peer.write(b"$EOF:" + mark + b"\r\n")
        targets = list(replicas)
        loop = asyncio.get_running_loop()

        def deliver(chunk: bytes) -> None:
            for r in targets:
                if r.state == SEND_BULK and not r.client.peer.closed:
                    r.client.peer.write(chunk)

        def finished(ok: bool) -> None:
            for r in targets:
                if r.state != SEND_BULK or r.client.peer.closed:
                    continue
                if ok:
                    r.client.peer.write(mark)
                    log.info("Synchronization with replica %s succeeded", _name(r))
                    self.state.release(r)
                    r.ack_time = self.server.clock.time()
                else:
                    self._drop(r, "Diskless rdb transfer failed")

        def pump() -> None:
            fd = child.read_fd
            ok = True
            try:
                while True:
                    chunk = os.read(fd, 1 << 20)
                    if not chunk:
                        break
                    loop.call_soon_threadsafe(deliver, chunk)
            except OSError:
                ok = False
            finally:
                os.close(fd)
            try:
                loop.call_soon_threadsafe(self._pipe_drained, finished, ok)
            except RuntimeError:
                pass

        threading.Thread(target=pump, name=f"rdb-pipe-{child.pid}", daemon=True).start()

    def _pipe_drained(self, finished: Any, ok: bool) -> None:
        # The child's exit status arrives separately (_socket_done); a short read means it failed.
        self._pipe_ok = ok
        self._pipe_finished = finished
        if self._child_status is not None:
            self._complete_socket_sync()

    def _socket_done(self, ok: bool, error: str) -> None:
        self._child_status = ok
        if self._pipe_finished is not None:
            self._complete_socket_sync()

    def _complete_socket_sync(self) -> None:
        finished, ok = self._pipe_finished, self._pipe_ok and self._child_status
        self._pipe_finished = None
        self._child_status = None
        self.child_kind = ""
        finished(ok)
        self._maybe_start_sync()

    # -- replicas going away ----------------------------------------------------------------
    def _drop(self, r: ReplicaClient, reason: str) -> None:
        log.warning("%s (replica %s)", reason, _name(r))
        r.client.peer.close()
        self.replica_gone(r.client)

    def _overflow(self, r: ReplicaClient) -> None:
        log.warning(
            "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
            _name(r),
        )
        r.pending = []
        r.pending_size = 0
        r.client.peer.abort()
        self.replica_gone(r.client)

    def replica_gone(self, client: Any) -> None:
        rec = client.repl
        if rec is None:
            return
        client.repl = None
        if rec in self.state.replicas:
            self.state.replicas.remove(rec)
            log.info("Connection with replica %s lost.", _name(rec))
        if not self.state.replicas:
            self.state.no_replicas_since = self.server.clock.monotonic()
        self.check_waiters()

    # -- WAIT -------------------------------------------------------------------------------
    def count_acks(self, offset: int) -> int:
        """replicationCountAcksByOffset."""
        return sum(1 for r in self.state.replicas if r.state == ONLINE and r.ack_off >= offset)

    def add_waiter(self, client: Any, offset: int, numreplicas: int, timeout_ms: int) -> Waiter:
        w = Waiter(client, offset, numreplicas)
        self.waiters.append(w)
        if timeout_ms > 0:
            w.timer = self.server.clock.call_later(timeout_ms / 1000, lambda: self._expire(w))
        self.request_ack()
        return w

    def request_ack(self) -> None:
        """replicationRequestAckFromSlaves: REPLCONF GETACK * goes out at the end of this turn."""
        if self.getack_requested:
            return
        self.getack_requested = True
        self.server.clock.call_later(0, self._send_getack)

    def _send_getack(self) -> None:
        self.getack_requested = False
        if self.state.online():
            self.state.feed_raw(_GETACK)

    def _expire(self, w: Waiter) -> None:
        if w in self.waiters:
            self.waiters.remove(w)
            w.client.unblock(b":%d\r\n" % self.count_acks(w.offset))

    def check_waiters(self) -> None:
        """processClientsWaitingReplicas."""
        for w in list(self.waiters):
            n = self.count_acks(w.offset)
            if n >= w.numreplicas:
                self.waiters.remove(w)
                if w.timer is not None:
                    w.timer.cancel()
                w.client.unblock(b":%d\r\n" % n)

    def waiters_fail_on_replica(self) -> None:
        """disconnectAllBlockedClients: a master turning replica unblocks WAIT with an error."""
        for w in list(self.waiters):
            self.waiters.remove(w)
            if w.timer is not None:
                w.timer.cancel()
            w.client.unblock(
                b"-UNBLOCKED force unblock from blocking operation, instance state changed "
                b"(master -> replica?)\r\n"
            )

    def forget_waiter(self, client: Any) -> None:
        for w in list(self.waiters):
            if w.client is client:
                self.waiters.remove(w)
                if w.timer is not None:
                    w.timer.cancel()

    # -- periodic work (replicationCron) ----------------------------------------------------------
    def cron(self) -> None:
        now = self.server.clock.time()
        mono = self.server.clock.monotonic()
        state = self.state
        cfg = self.config
        # PING the replicas every repl-ping-replica-period seconds (through the stream).
        if state.replicas and mono - self._last_ping >= cfg.repl_ping_replica_period:
            self._last_ping = mono
            if any(r.state == ONLINE for r in state.replicas):
                state.feed_ping()
        # A newline to replicas waiting for their RDB keeps their link from timing out.
        for r in state.replicas:
            if r.state in (WAIT_BGSAVE_START,) or (r.state == WAIT_BGSAVE_END and not r.diskless):
                r.client.peer.write(b"\n")
        # Replicas that stopped acknowledging are disconnected after repl-timeout.
        for r in list(state.replicas):
            if r.state == ONLINE and now - r.ack_time > cfg.repl_timeout:
                self._drop(r, "Disconnecting timedout replica (streaming sync)")
        # No replica for repl-backlog-ttl seconds: the backlog goes (not on a replica).
        if (
            state.backlog is not None
            and not state.replicas
            and not self.server.is_replica()
            and cfg.repl_backlog_ttl
            and mono - state.no_replicas_since > cfg.repl_backlog_ttl
        ):
            log.info(
                "Replication backlog freed after %d seconds without connected replicas.",
                cfg.repl_backlog_ttl,
            )
            state.free_backlog()
            state.replid = new_replid()
            state.clear_replid2()
        self._maybe_start_sync()

    # -- INFO / ROLE --------------------------------------------------------------------------
    def info_lines(self) -> list[str]:
        now = self.server.clock.time()
        out = [f"connected_slaves:{len(self.state.replicas)}"]
        for i, r in enumerate(self.state.replicas):
            lag = int(now - r.ack_time) if r.ack_time else 0
            out.append(
                f"slave{i}:ip={r.ip},port={r.listening_port},state={INFO_STATE[r.state]},"
                f"offset={r.ack_off},lag={lag}"
            )
        return out

    def role_replicas(self) -> list[list[Any]]:
        return [
            [r.ip.encode(), b"%d" % r.listening_port, b"%d" % r.ack_off]
            for r in self.state.replicas
            if r.state == ONLINE
        ]

    def good_replicas(self) -> int:
        """refreshGoodSlavesCount: online replicas whose last ACK is within
        min-replicas-max-lag seconds."""
        now = self.server.clock.time()
        lag = self.config.min_replicas_max_lag
        return sum(1 for r in self.state.replicas if r.state == ONLINE and now - r.ack_time <= lag)


def _int(v: bytes) -> int:
    try:
        return int(v)
    except ValueError:
        raise ValueError("value is not an integer or out of range") from None


def _name(r: ReplicaClient) -> str:
    return f"{r.ip}:{r.listening_port}"
