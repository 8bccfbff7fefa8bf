"""The Redis server's replication role (a mixin of service.py's RedisService, using its state
as it keeps it): master or replica (REPLICAOF), the master's client on a replica and the
commands it applies, FAILOVER's write pause, and -READONLY/-NOREPLICAS/-MASTERDOWN.  The
protocol itself is in replication/ (link.py: the replica side, master.py: the master side).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from polystack.redis import rdbfile
from polystack.redis.flags import set_server_condition
from polystack.redis.rdbfile import SaveInfo
from polystack.redis.replication.link import MasterLink
from polystack.redis.session import Client, encode_log_batch
from polystack.redis.store import Keyspace
from polystack.runtime import outbound

log = logging.getLogger(__name__)


class ReplicationRole:
    """RedisService's REPLICAOF, FAILOVER and replica-side methods."""

    # (the RedisService's, declared for the type checker)
    config: Any
    ctx: Any
    clock: Any
    keyspace: Any
    clients: Any
    journal: Any
    append_journal_turn: Any
    rdb: Any
    repl: Any
    link: Any
    master_side: Any
    failover: Any
    master_client: Any
    write_denied: Any
    writes_paused: Any
    paused_clients: Any
    master_down: Any
    bound_ports: Any
    rdb_changes_since_last_save: Any
    apply_output_limits: Any
    update_misconf: Any
    save: Any

    # -- replication -------------------------------------------------------------------------
    def is_replica(self) -> bool:
        return self.link.master_host is not None

    def repl_offset(self) -> int:
        return self.repl.offset

    def listening_port(self) -> int:
        return self.bound_ports.get("redis", self.config.port)

    def save_info(self) -> SaveInfo | None:
        """rdbPopulateSaveInfo: the replication state an RDB carries (a master with a backlog,
        or a replica: its master's id and offset)."""
        st = self.repl
        if st.backlog is None and not self.is_replica():
            return None
        return SaveInfo(max(st.seldb, 0), st.replid, st.offset)

    def replica_attached(self, client: Client) -> None:
        """A client became a replica: the replica class's output limits apply to it."""
        self.apply_output_limits(client)
        self.update_write_denied()

    def set_master(self, host: str, port: int) -> None:
        """REPLICAOF host port."""
        self.rdb_kill_replication_child()
        self.master_side.waiters_fail_on_replica()
        self.replicas_must_resync()
        self.link.set_master(host, port)
        self.config.replicaof = f"{host} {port}"
        for db in self.keyspace.dbs:
            db.replica = 1
        self.update_write_denied()

    def unset_master(self) -> None:
        """REPLICAOF NO ONE: promoted, with a new replication id (the old one stays valid as
        replid2 up to the current offset, so siblings can PSYNC from us)."""
        if self.link.master_host is None:
            return
        self.link.unset_master()
        for db in self.keyspace.dbs:
            db.replica = 0
        self.repl.shift_replid()
        self.replicas_must_resync()
        self.repl.seldb = -1
        self.config.replicaof = ""
        self._forget_master_client()
        self.update_write_denied()

    def rdb_kill_replication_child(self) -> None:
        if self.master_side.child_kind:
            self.rdb.kill_child()

    def replicas_must_resync(self) -> None:
        """disconnectSlaves: our replicas reconnect (and PSYNC) to learn what changed."""
        for r in list(self.repl.replicas):
            r.client.peer.close()
            self.master_side.replica_gone(r.client)

    @property
    def failover_state(self) -> str:
        return self.failover.state

    def pause_writes(self, on: bool) -> None:
        self.writes_paused = on
        if not on:
            paused, self.paused_clients = self.paused_clients, set()
            for c in paused:
                c.unpause()

    def failover_to(self, host: str, port: int) -> None:
        """FAILOVER: follow the target, asking it to take over (PSYNC ... FAILOVER)."""
        self.link.failover_psync = True
        self.set_master(host, port)

    def unset_master_after_failed_failover(self) -> None:
        self.link.failover_psync = False
        self.unset_master()

    def master_link_up(self, peer: Any) -> None:
        """The master client (CLIENT LIST flags=M; CLIENT KILL TYPE master closes the link)."""
        self._forget_master_client()
        client = self.master_client = Client(self, peer)
        client.is_master = True
        client.set_authenticated()

    def master_link_down(self) -> None:
        self._forget_master_client()
        self.update_write_denied()

    def _forget_master_client(self) -> None:
        client = self.master_client
        if client is not None:
            self.clients.pop(client.id, None)
            self.master_client = None

    def update_write_denied(self) -> None:
        """What a client's write gets instead of running (-READONLY on a read-only replica,
        -NOREPLICAS below min-replicas-to-write), or None."""
        if self.is_replica() and self.config.replica_read_only:
            self.write_denied = b"-READONLY You can't write against a read only replica.\r\n"
        elif (
            not self.is_replica()
            and self.config.min_replicas_to_write
            and self.master_side.good_replicas() < self.config.min_replicas_to_write
        ):
            self.write_denied = b"-NOREPLICAS Not enough good replicas to write.\r\n"
        else:
            self.write_denied = None
        down = (
            self.is_replica()
            and not self.config.replica_serve_stale_data
            and self.link.repl_state != "connected"
        )
        if down != self.master_down:
            self.master_down = down
            set_server_condition(self, "masterdown", down)  # every client on the slow path

    def replication_cron(self) -> None:
        self.update_misconf()
        self.master_side.cron()
        self.link.cron()
        self.update_write_denied()

    def _connect_to_master(self, host: str, port: int) -> None:
        async def run() -> None:
            try:
                await outbound.connect(
                    host,
                    port,
                    lambda peer: MasterLink(self.link, peer),
                    logs=self.ctx.logs,
                    clock=self.clock,
                    name="redis-master-link",
                    timeout=self.config.repl_timeout,
                )
            except (OSError, TimeoutError) as e:
                self.link.connect_failed(str(e) or type(e).__name__)

        asyncio.get_running_loop().create_task(run())

    def load_synced_rdb(self, payload: bytes) -> bool:
        """A full sync's RDB: loaded into a fresh keyspace; swapped in only if it loaded."""
        fresh = Keyspace(len(self.keyspace.dbs))
        fresh.limits = self.keyspace.limits
        try:
            rdbfile.load_bytes(payload, fresh, self.clock.time_ms(), skip_expired=False)
        except rdbfile.RDBLoadError as e:
            log.warning("Failed trying to load the MASTER synchronization DB from socket: %s", e)
            return False
        for old, new in zip(self.keyspace.dbs, fresh.dbs, strict=True):
            old.data, old.expires, old.heap, old.lru = new.data, new.expires, new.heap, new.lru
        self.keyspace.dirty += 1
        if self.journal is not None:  # the log starts again from the master's dataset
            self.save(background=False)
        return True

    def apply_from_master(self, batch: list[tuple[int, list[bytes]]]) -> None:
        """Run commands from our master's stream (no replies) and log what they changed."""
        client = self.master_client
        if client is None:  # (the link is up before any command arrives)
            return
        ks = self.keyspace
        logged = []
        dbs = ks.dbs
        for d in dbs:
            d.replica = 2  # the master's commands see keys past their deadline
        try:
            for db, argv in batch:
                dirty = ks.dirty
                client.replay_command(db, argv)
                if ks.dirty != dirty:
                    logged.append((db, argv))
        finally:
            for d in dbs:
                d.replica = 1
        if logged:
            self.rdb_changes_since_last_save += len(logged)
            if self.journal is not None:
                self.append_journal_turn()  # (in the order the writes ran)
                self.journal.append(encode_log_batch(logged))
