"""The cluster glue of one Redis server: the bus listener's sessions, outgoing bus links
through the runtime, the 100 ms cron, nodes.conf, and what the cluster state asks of the
server (replication, keys of a slot, Pub/Sub, write pauses) — the :class:`ClusterHost` the
pure state machine is driven through."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from polystack.redis.cluster import bus, nodesconf
from polystack.redis.cluster.failover import Elections
from polystack.redis.cluster.node import Link, Node
from polystack.redis.cluster.slotkeys import SlotKeys
from polystack.redis.cluster.state import ClusterState
from polystack.runtime import outbound

log = logging.getLogger(__name__)

CRON_PERIOD = 0.1

# The threads that write nodes.conf files (every node of the process): their own, so that a
# burst of cluster saves never queues the command log's fsyncs behind it.
_writer: ThreadPoolExecutor | None = None


def _config_writer() -> ThreadPoolExecutor:
    global _writer
    if _writer is None:
        _writer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="polystack-nodes-conf")
    return _writer


class BusSession:
    """One bus connection (accepted, or opened by us) as a runtime session."""

    def __init__(self, cluster: Cluster, link: Link, peer: Any) -> None:
        self.cluster = cluster
        self.link = link
        self.peer = peer
        link.write = peer.write
        link.close_fn = peer.close
        if peer.peername:
            link.peer_ip = peer.peername[0]
        if peer.sockname:
            link.local_ip = peer.sockname[0]

    def feed(self, data: bytes) -> None:
        link = self.link
        if link.closed:
            return
        link.recv_bytes += len(data)
        state = self.cluster.state
        try:
            messages = link.reader.feed(data)
        except bus.BusError as e:
            self._malformed(e)
            return
        for m in messages:
            if link.closed:
                break
            try:
                if not state.process(link, m):
                    break
            except bus.BusError as e:
                self._malformed(e)
                break
        self.cluster.before_sleep()

    def _malformed(self, e: Exception) -> None:
        link = self.link
        log.warning(
            "%s; closing the cluster bus link %s (node %s)",
            e,
            self.peer.peername,
            link.node.name if link.node is not None else "?",
        )
        self.cluster.state.free_link(link)
        self.peer.abort()

    def connection_lost(self) -> None:
        self.cluster.state.link_closed(self.link)

    def shutdown(self, reason: str) -> None:
        self.peer.close()


class Cluster:
    """Cluster mode of one Redis server (``server``: the RedisService)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.config = server.config
        self.clock = server.clock
        self.state = ClusterState(self, self.config)
        self.elections = Elections(self.state)
        self.path = ""
        self._cron: Any = None
        self._unpause: Any = None
        self.slot_keys = SlotKeys(
            server.keyspace, server.commands.get, lambda b: setattr(server, "slot_keys_backlog", b)
        )
        # command name -> its key positions, for the commands whose keys only their key specs
        # name (routing.prepare_dispatch; the service fills it in)
        self.key_finders: dict[str, Any] = {}
        # nodes.conf saves asked for by before_sleep: one write in flight, off the loop
        self._save_lock = threading.Lock()
        self._save_busy = False  # a write is scheduled or running
        self._save_again = False  # the state changed since that write rendered it
        self._save_fsync = False
        # Renders are numbered; a write older than the last one written is dropped (under
        # _save_lock), so a synchronous save is never overwritten by an in-flight older one.
        self._save_seq = 0
        self._written_seq = 0
        self.stopped = False
        self.connects_in_flight: set[str] = set()

    # -- start and stop ----------------------------------------------------------------------
    def config_path(self) -> str:
        name = self.config.cluster_config_file
        return name if os.path.isabs(name) else os.path.join(self.server.rdb_dir(), name)

    def load(self) -> None:
        """clusterInit: nodes.conf, or a new node with a random name (saved at once)."""
        self.path = self.config_path()
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        if nodesconf.load(self.state, self.path):
            me = self.state.myself
            log.info("Node configuration loaded, I'm %s", me.name)
        else:
            log.info("No cluster configuration found, I'm %s", self.state.myself.name)
            self.save_config_now(True)

    def start(self, port: int, cport: int) -> None:
        cfg = self.config
        me = self.state.myself
        me.port = cfg.cluster_announce_port or port
        me.cport = cfg.cluster_announce_bus_port or cport
        me.pport = 0
        me.hostname = cfg.cluster_announce_hostname
        self.state.hostname = cfg.cluster_announce_hostname
        if cfg.cluster_announce_ip:
            me.ip = cfg.cluster_announce_ip
        if me.is_replica and me.slaveof is not None and me.slaveof.has_addr:
            self.set_master(me.slaveof.ip, me.slaveof.port)
        self.state.update_state()
        self._schedule()

    def stop(self) -> None:
        self.stopped = True
        if self._cron is not None:
            self._cron.cancel()
            self._cron = None
        if self._unpause is not None:
            self._unpause.cancel()
            self._unpause = None
        for link in list(self.state.links):
            self.state.free_link(link)
        try:
            self.save_config_now(True)  # after any write in flight (the lock)
        except OSError as e:
            log.warning("Could not save the cluster configuration: %s", e)

    def _schedule(self) -> None:
        self._cron = self.clock.call_later(CRON_PERIOD, self._tick)

    def _tick(self) -> None:
        if self.stopped:
            return
        try:
            self.state.cron()
            self.slot_keys.cron()
            self.before_sleep()
        except Exception:
            log.exception("cluster cron failed")
        self._schedule()

    def before_sleep(self) -> None:
        try:
            self.state.before_sleep()
        except OSError as e:
            log.warning("Could not save the cluster configuration: %s", e)

    # -- the bus ---------------------------------------------------------------------------
    def accept(self, peer: Any) -> BusSession:
        link = self.state.new_link(None, True)
        return BusSession(self, link, peer)

    def connect(self, node: Node) -> None:
        """Open node.link (clusterCron's reconnect)."""
        if self.stopped or node.name in self.connects_in_flight:
            return
        state = self.state
        link = state.new_link(node, False)
        node.link = link
        self.connects_in_flight.add(node.name)
        link.write = None
        ip, cport = node.ip, node.cport

        async def run() -> None:
            try:
                await outbound.connect(
                    ip,
                    cport,
                    lambda peer: self._outbound_session(link, peer),
                    logs=self.server.ctx.logs,
                    clock=self.clock,
                    name="redis-cluster-bus",
                    timeout=max(self.state.node_timeout / 1000, 1.0),
                )
            except (OSError, TimeoutError, ValueError) as e:
                log.debug("Connection with Node %s at %s:%d failed: %s", node.name, ip, cport, e)
                state.connect_failed(link)
            finally:
                self.connects_in_flight.discard(node.name)

        try:
            asyncio.get_running_loop().create_task(run())
        except RuntimeError:
            self.connects_in_flight.discard(node.name)
            state.free_link(link)

    def _outbound_session(self, link: Link, peer: Any) -> BusSession:
        session = BusSession(self, link, peer)
        if link.closed or self.stopped:
            peer.close()
            return session
        self.state.link_connected(link)
        self.before_sleep()
        return session

    # -- ClusterHost -------------------------------------------------------------------------
    def now_ms(self) -> int:
        return self.clock.time_ms()

    def repl_offset(self) -> int:
        return self.server.repl_offset()

    def set_master(self, host: str, port: int) -> None:
        link = self.server.link
        if link.master_host == host and link.master_port == port:
            return
        self.server.set_master(host, port)

    def unset_master(self) -> None:
        self.server.unset_master()

    def replication_master(self) -> tuple[str, int] | None:
        link = self.server.link
        return None if link.master_host is None else (link.master_host, link.master_port)

    def master_data_age_ms(self) -> int:
        link = self.server.link
        now = self.clock.monotonic()
        if link.repl_state == "connected":
            return int((now - link.last_io) * 1000)
        since = link.down_since if link.down_since is not None else now
        return int((now - since) * 1000)

    def keys_in_slot(self, slot: int) -> list[bytes]:
        return self.slot_keys.keys(slot)

    def count_keys_in_slot(self, slot: int) -> int:
        return self.slot_keys.count_in(slot)

    def del_keys_in_slot(self, slot: int) -> int:
        """delKeysInSlot: each deletion goes to the log and the replicas as a DEL."""
        keys = self.keys_in_slot(slot)
        db = self.server.keyspace.dbs[0]
        entries = []
        for key in keys:
            if db.delete(key):
                entries.append((0, [b"DEL", key]))
        if entries:
            self.server.keyspace.dirty += len(entries)
            self.server.log_commands(entries)
        return len(entries)

    def publish(self, channel: bytes, message: bytes, shard: bool) -> None:
        if shard:
            self.server.pubsub.spublish(channel, message)
        else:
            self.server.pubsub.publish(channel, message)

    def pause_writes(self, until_ms: int) -> None:
        self.server.pause_writes(True)
        if self._unpause is not None:
            self._unpause.cancel()
        delay = max(0.0, (until_ms - self.now_ms()) / 1000)
        self._unpause = self.clock.call_later(delay, self.unpause_writes)

    def unpause_writes(self) -> None:
        if self._unpause is not None:
            self._unpause.cancel()
            self._unpause = None
        self.server.pause_writes(False)

    def save_config(self, fsync: bool) -> None:
        """clusterSaveConfig, as before_sleep asks for it: the saves of one loop turn become
        one, rendered on the loop and written (and fsynced) on threads of their own, so
        a slow disk never holds the node's bus and clients, nor the other nodes of an
        in-process cluster; at most one write per node is in flight and the latest state is
        written last.  Without a running loop the file is written at once."""
        if not self.path:
            return
        self._save_fsync = self._save_fsync or fsync
        if self._save_busy:
            self._save_again = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            fsync, self._save_fsync = self._save_fsync, False
            self.save_config_now(fsync)
            return
        self._save_busy = True
        loop.call_soon(self._write_config)

    def _write_config(self) -> None:
        self._save_again = False
        fsync, self._save_fsync = self._save_fsync, False
        if self.stopped:
            self._save_busy = False
            return
        data = nodesconf.render(self.state).encode("latin-1")
        self._save_seq += 1
        try:
            fut = asyncio.get_running_loop().run_in_executor(
                _config_writer(), self._write_if_newer, self._save_seq, data, fsync
            )
        except RuntimeError:  # the loop is closing
            self._save_busy = False
            return
        fut.add_done_callback(self._config_written)

    def _config_written(self, fut: Any) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            log.warning("Could not save the cluster configuration: %s", fut.exception())
        if self._save_again and not self.stopped:
            asyncio.get_running_loop().call_soon(self._write_config)
        else:
            self._save_busy = False

    def save_config_now(self, fsync: bool) -> None:
        """Write nodes.conf before returning (CLUSTER SAVECONFIG, start and stop, a failover
        vote before its ack leaves); raises OSError."""
        if self.path:
            self._save_seq += 1
            data = nodesconf.render(self.state).encode("latin-1")
            self._write_if_newer(self._save_seq, data, fsync)

    def _write_if_newer(self, seq: int, data: bytes, fsync: bool) -> None:
        """Write one render of nodes.conf unless a later render is already on disk (runs on
        the writer threads and on the loop)."""
        with self._save_lock:
            if seq < self._written_seq:
                return
            nodesconf.write(self.path, data, fsync)
            self._written_seq = seq

    # -- for the commands ----------------------------------------------------------------
    def myself(self) -> Node:
        return self.state.myself
