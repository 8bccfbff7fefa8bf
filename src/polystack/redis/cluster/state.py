"""The cluster state machine of one node (cluster.c): the nodes it knows, who serves each of
the 16384 slots, epochs, PING/PONG/MEET processing with gossip, PFAIL -> FAIL by a majority
of masters, UPDATE, the cluster's ok/fail state.  Pure: time comes from ``host.now_ms()``
and everything outside (links, replication, the keyspace, nodes.conf) goes through ``host``
(see :class:`ClusterHost`); the service glue in link.py drives it.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Protocol

from polystack.redis.cluster import bus
from polystack.redis.cluster.bus import (
    CLUSTER_FAIL,
    CLUSTER_OK,
    CLUSTER_SLOTS,
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MEET,
    NODE_MIGRATE_TO,
    NODE_MYSELF,
    NODE_NOADDR,
    NODE_PFAIL,
    NODE_SLAVE,
    Gossip,
    Message,
)
from polystack.redis.cluster.defs import (
    BROADCAST_LOCAL_SLAVES,
    FAIL_REPORT_VALIDITY_MULT,
    FAIL_UNDO_TIME_MULT,
    MAX_REJOIN_DELAY,
    MIN_REJOIN_DELAY,
    TODO_FSYNC_CONFIG,
    TODO_HANDLE_FAILOVER,
    TODO_HANDLE_MANUALFAILOVER,
    TODO_SAVE_CONFIG,
    TODO_UPDATE_STATE,
    WRITABLE_DELAY,
)
from polystack.redis.cluster.node import Link, Node, random_name
from polystack.redis.cluster.receive import MessageProcessing

log = logging.getLogger(__name__)


class ClusterHost(Protocol):
    """What the cluster state needs from the server around it."""

    def now_ms(self) -> int: ...
    def connect(self, node: Node) -> None: ...  # open node.link (link_connected() when up)
    def repl_offset(self) -> int: ...
    def set_master(self, host: str, port: int) -> None: ...
    def unset_master(self) -> None: ...
    def replication_master(self) -> tuple[str, int] | None: ...
    def master_data_age_ms(self) -> int: ...
    def count_keys_in_slot(self, slot: int) -> int: ...
    def del_keys_in_slot(self, slot: int) -> int: ...
    def publish(self, channel: bytes, message: bytes, shard: bool) -> None: ...
    def pause_writes(self, until_ms: int) -> None: ...
    def unpause_writes(self) -> None: ...
    def save_config(self, fsync: bool) -> None: ...
    def save_config_now(self, fsync: bool) -> None: ...


class ClusterSettings:
    """The cluster-* parameters (live: CONFIG SET changes them)."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def __getattr__(self, name: str) -> Any:
        return getattr(self.config, "cluster_" + name)


# The served map is indexed by the key's whole CRC16 (0..65535, four copies of the 16384
# slots), so the request path needs no "& 16383"; this one serves nothing (the cluster is
# down, or the map is stale).  A list of bools, not a bytearray: CPython 3.11 specialises
# ``list[int]`` (BINARY_SUBSCR_LIST_INT) and tests True/False by identity, where a
# bytearray's index takes the generic subscript, PyNumber_AsSsize_t and a truth test of the
# int it returns (about 160 instructions more per request, callgrind).
NOT_SERVED = (False,) * (4 * CLUSTER_SLOTS)


class SlotNodes(dict[int, Node]):
    """slot -> node (the migrating and importing slots): a change marks the served map
    stale."""

    __slots__ = ("changed",)

    def __init__(self, changed: Any) -> None:
        super().__init__()
        self.changed = changed

    def __setitem__(self, slot: int, node: Node) -> None:
        super().__setitem__(slot, node)
        self.changed()

    def __delitem__(self, slot: int) -> None:
        super().__delitem__(slot)
        self.changed()

    def pop(self, slot: int, *default: Any) -> Any:
        self.changed()
        return super().pop(slot, *default)

    def popitem(self) -> tuple[int, Node]:
        self.changed()
        return super().popitem()

    def clear(self) -> None:
        super().clear()
        self.changed()

    def setdefault(self, slot: int, node: Node) -> Node:
        self.changed()
        return super().setdefault(slot, node)

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.changed()

    def __ior__(self, other: Any) -> SlotNodes:  # type: ignore[override, misc]
        self.update(other)
        return self


class ClusterState(MessageProcessing):
    def __init__(self, host: ClusterHost, config: Any, name: str | None = None) -> None:
        self.host = host
        self.config = config  # RedisConfig: cluster_node_timeout, cluster_announce_* ...
        now = host.now_ms()
        self.myself = Node(name or random_name(), NODE_MYSELF | NODE_MASTER, ctime=now)
        self.current_epoch = 0
        self.last_vote_epoch = 0
        # The request path's routing check (session._run): served[crc16] is 1 when this node
        # serves the keys of slot crc16 % 16384 without a redirection: its owner, the slot
        # neither migrating nor importing, the cluster ok.  Every change to those marks it
        # stale (NOT_SERVED, so requests take the full check, routing.redirect, which
        # rebuilds it).  One list for the node's lifetime, changed in place, so the
        # sessions hold it and a change made earlier in a pipelined read applies to the rest.
        self.served: list[bool] = list(NOT_SERVED)
        self.served_stale = True
        self._state = CLUSTER_FAIL
        self.size = 0
        self.nodes: dict[str, Node] = {self.myself.name: self.myself}
        self.blacklist: dict[str, int] = {}  # name -> expire (seconds)
        self.slots: list[Node | None] = [None] * CLUSTER_SLOTS
        self.migrating_slots_to: dict[int, Node] = SlotNodes(self.routes_changed)
        self.importing_slots_from: dict[int, Node] = SlotNodes(self.routes_changed)
        self.todo = 0
        self.stats_sent = [0] * bus.TYPE_COUNT
        self.stats_received = [0] * bus.TYPE_COUNT
        self.stats_pfail_nodes = 0
        self.pings_sent = 0
        self.iteration = 0
        self.first_update_call = 0
        self.among_minority_time = 0
        # elections (failover.py)
        self.failover_auth_time = 0
        self.failover_auth_count = 0
        self.failover_auth_sent = False
        self.failover_auth_rank = 0
        self.failover_auth_epoch = 0
        self.cant_failover_reason = 0
        self.lastlog_time = 0
        # manual failover
        self.mf_end = 0
        self.mf_slave: Node | None = None
        self.mf_master_offset = -1
        self.mf_can_start = False
        self.links: set[Link] = set()  # every open link (inbound ones without a node too)
        self.hostname = ""
        self.myself_ip = ""
        self.failover_hook: Any = None  # failover.Elections, set by the service glue

    # -- the served map -----------------------------------------------------------------
    @property
    def state(self) -> int:
        """CLUSTER_OK or CLUSTER_FAIL (cluster_info's state)."""
        return self._state

    @state.setter
    def state(self, value: int) -> None:
        self._state = value
        self.routes_changed()

    def routes_changed(self) -> None:
        if not self.served_stale:
            self.served[:] = NOT_SERVED
            self.served_stale = True

    def rebuild_served(self) -> None:
        """The served map from the slot table (about 1 ms: once per change of routes)."""
        self.served_stale = False
        if self._state != CLUSTER_OK:
            self.served[:] = NOT_SERVED
            return
        me = self.myself
        served = [n is me for n in self.slots]
        for slot in self.migrating_slots_to:
            served[slot] = False
        for slot in self.importing_slots_from:
            served[slot] = False
        self.served[:] = served * 4

    # -- settings -----------------------------------------------------------------------
    @property
    def node_timeout(self) -> int:
        return self.config.cluster_node_timeout

    def announced_port(self, port: int) -> int:
        return self.config.cluster_announce_port or port

    # -- nodes --------------------------------------------------------------------------
    def lookup(self, name: str | bytes) -> Node | None:
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        return self.nodes.get(name)

    def add_node(self, node: Node) -> None:
        if not node.ctime:
            node.ctime = self.host.now_ms()
        self.nodes[node.name] = node

    def del_node(self, node: Node) -> None:
        """clusterDelNode: its slots' importing/migrating states, its failure reports on the
        others, its links, and the node."""
        for slot, n in list(self.importing_slots_from.items()):
            if n is node:
                del self.importing_slots_from[slot]
        for slot, n in list(self.migrating_slots_to.items()):
            if n is node:
                del self.migrating_slots_to[slot]
        for other in self.nodes.values():
            if other is not node:
                other.fail_reports.pop(node.name, None)
        self.free_node(node)

    def free_node(self, node: Node) -> None:
        """freeClusterNode: unbind its slots, detach it from its master and its replicas."""
        for j in range(CLUSTER_SLOTS):
            if self.slots[j] is node:
                self.slots[j] = None
        self.routes_changed()
        if node.is_replica and node.slaveof is not None:
            node.slaveof.remove_replica(node)
        for r in node.replicas:
            r.slaveof = None
        self.nodes.pop(node.name, None)
        for link in (node.link, node.inbound_link):
            if link is not None:
                self.free_link(link)

    def rename_node(self, node: Node, name: str) -> None:
        log.debug("Renaming node %s into %s", node.name, name)
        self.nodes.pop(node.name, None)
        node.name = name
        self.nodes[name] = node

    def start_handshake(self, ip: str, port: int, cport: int) -> bool:
        """clusterStartHandshake: a node in HANDSHAKE|MEET with a random name; False when
        the address is invalid or a handshake with it is already in progress."""
        if not (0 < port <= 65535) or not (0 < cport <= 65535):
            return False
        for n in self.nodes.values():
            if (
                n.in_handshake
                and n.ip.lower() == ip.lower()
                and n.port == port
                and n.cport == cport
            ):
                return False
        node = Node(random_name(), NODE_HANDSHAKE | NODE_MEET, ctime=self.host.now_ms())
        node.ip, node.port, node.cport = ip, port, cport
        self.add_node(node)
        return True

    def set_node_as_master(self, n: Node) -> None:
        if n.is_master:
            return
        if n.slaveof is not None:
            n.slaveof.remove_replica(n)
            if n is not self.myself:
                n.flags |= NODE_MIGRATE_TO
        n.flags &= ~NODE_SLAVE
        n.flags |= NODE_MASTER
        n.slaveof = None
        self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE

    # -- links --------------------------------------------------------------------------
    def new_link(self, node: Node | None, inbound: bool) -> Link:
        link = Link(node, inbound, self.host.now_ms())
        self.links.add(link)
        return link

    def free_link(self, link: Link) -> None:
        """freeClusterLink: detach it from its node and close it."""
        node = link.node
        if node is not None:
            if node.link is link:
                node.link = None
            if node.inbound_link is link:
                node.inbound_link = None
        self.links.discard(link)
        link.close()

    def link_closed(self, link: Link) -> None:
        """The connection went away (the glue's connection_lost)."""
        link.closed = True
        node = link.node
        if node is not None:
            if node.link is link:
                node.link = None
            if node.inbound_link is link:
                node.inbound_link = None
        self.links.discard(link)

    def connect_failed(self, link: Link) -> None:
        """The connection could not be made: failure detection still needs a ping time, so
        one counts as sent now (clusterNodeCronHandleReconnect)."""
        node = link.node
        if node is not None and node.ping_sent == 0:
            node.ping_sent = self.host.now_ms()
        self.free_link(link)

    def link_connected(self, link: Link) -> None:
        """An outbound link is up: PING (or MEET) at once (clusterLinkConnectHandler)."""
        node = link.node
        if node is None:
            return
        old_ping_sent = node.ping_sent
        self.send_ping(link, bus.MEET if node.flags & NODE_MEET else bus.PING)
        if old_ping_sent:
            node.ping_sent = old_ping_sent
        node.flags &= ~NODE_MEET

    def attach_inbound(self, node: Node, link: Link) -> None:
        """setClusterNodeToInboundClusterLink."""
        if node.inbound_link is link:
            return
        if node.inbound_link is not None:
            log.debug("Replacing inbound link for node %s", node.name)
            self.free_link(node.inbound_link)
        node.inbound_link = link
        link.node = node

    # -- slots --------------------------------------------------------------------------
    def add_slot(self, node: Node, slot: int) -> bool:
        if self.slots[slot] is not None:
            return False
        node.set_slot_bit(slot)
        self.slots[slot] = node
        if node is self.myself:
            self.routes_changed()
        return True

    def del_slot(self, slot: int) -> bool:
        n = self.slots[slot]
        if n is None:
            return False
        n.clear_slot_bit(slot)
        self.slots[slot] = None
        if self.served[slot]:
            self.routes_changed()
        return True

    def del_node_slots(self, node: Node) -> int:
        deleted = 0
        for j in range(CLUSTER_SLOTS):
            if node.has_slot(j):
                self.del_slot(j)
                deleted += 1
        return deleted

    def close_all_slots(self) -> None:
        self.migrating_slots_to.clear()
        self.importing_slots_from.clear()

    # -- epochs -------------------------------------------------------------------------
    def max_epoch(self) -> int:
        return max([self.current_epoch, *(n.config_epoch for n in self.nodes.values())])

    def bump_epoch_without_consensus(self) -> bool:
        """clusterBumpConfigEpochWithoutConsensus."""
        me = self.myself
        if me.config_epoch == 0 or me.config_epoch != self.max_epoch():
            self.current_epoch += 1
            me.config_epoch = self.current_epoch
            self.todo |= TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG
            log.info("New configEpoch set to %d", me.config_epoch)
            return True
        return False

    def handle_epoch_collision(self, sender: Node) -> None:
        me = self.myself
        if sender.config_epoch != me.config_epoch or not sender.is_master or not me.is_master:
            return
        if sender.name <= me.name:
            return
        self.current_epoch += 1
        me.config_epoch = self.current_epoch
        self.host.save_config(True)
        log.info(
            "WARNING: configEpoch collision with node %s (). configEpoch set to %d",
            sender.name,
            me.config_epoch,
        )

    # -- failure reports ----------------------------------------------------------------
    def _clean_fail_reports(self, node: Node) -> None:
        maxtime = self.node_timeout * FAIL_REPORT_VALIDITY_MULT
        now = self.host.now_ms()
        for name, t in list(node.fail_reports.items()):
            if now - t > maxtime:
                del node.fail_reports[name]

    def failure_reports_count(self, node: Node) -> int:
        self._clean_fail_reports(node)
        return len(node.fail_reports)

    def mark_failing_if_needed(self, node: Node) -> None:
        needed = self.size // 2 + 1
        if not node.timed_out or node.failed:
            return
        failures = self.failure_reports_count(node)
        if self.myself.is_master:
            failures += 1
        if failures < needed:
            return
        log.info("Marking node %s as failing (quorum reached).", node.name)
        node.flags = (node.flags & ~NODE_PFAIL) | NODE_FAIL
        node.fail_time = self.host.now_ms()
        self.send_fail(node.name)
        self.todo |= TODO_UPDATE_STATE | TODO_SAVE_CONFIG

    def clear_failure_if_needed(self, node: Node) -> None:
        now = self.host.now_ms()
        if node.is_replica or node.numslots == 0:
            log.info(
                "Clear FAIL state for node %s: %s is reachable again.",
                node.name,
                "replica" if node.is_replica else "master without slots",
            )
            node.flags &= ~NODE_FAIL
            self.todo |= TODO_UPDATE_STATE | TODO_SAVE_CONFIG
        if (
            node.is_master
            and node.numslots > 0
            and now - node.fail_time > self.node_timeout * FAIL_UNDO_TIME_MULT
        ):
            log.info(
                "Clear FAIL state for node %s: is reachable again and nobody is serving its "
                "slots after some time.",
                node.name,
            )
            node.flags &= ~NODE_FAIL
            self.todo |= TODO_UPDATE_STATE | TODO_SAVE_CONFIG

    # -- building messages --------------------------------------------------------------
    def header(self, msg_type: int) -> Message:
        """clusterBuildMessageHdr: a replica sends its master's slots and configEpoch."""
        me = self.myself
        master = me.slaveof if me.is_replica and me.slaveof is not None else me
        cfg = self.config
        m = Message(
            type=msg_type,
            sender=me.name,
            current_epoch=self.current_epoch,
            config_epoch=master.config_epoch,
            offset=self.host.repl_offset(),
            port=me.port,
            cport=me.cport,
            pport=me.pport,
            flags=me.flags,
            state=self.state,
            myslots=bytes(master.slots),
            slaveof=me.slaveof.name if me.slaveof is not None else None,
            myip=cfg.cluster_announce_ip,
        )
        if me.is_master and self.mf_end:
            m.mflags |= bus.FLAG0_PAUSED
        return m

    def _gossip_entry(self, n: Node) -> Gossip:
        return Gossip(
            n.name,
            n.ping_sent // 1000,
            n.pong_received // 1000,
            n.ip,
            n.port,
            n.cport,
            n.flags,
            n.pport,
        )

    def send_ping(self, link: Link, msg_type: int) -> None:
        """clusterSendPing: a PING/PONG/MEET with gossip about some random nodes and every
        node in PFAIL."""
        nodes = list(self.nodes.values())
        freshnodes = len(nodes) - 2
        wanted = max(3, len(nodes) // 10)
        wanted = min(wanted, freshnodes)
        pfail_wanted = self.stats_pfail_nodes
        if link.node is not None and msg_type == bus.PING:
            link.node.ping_sent = self.host.now_ms()
        m = self.header(msg_type)
        self.pings_sent += 1
        mark = self.pings_sent
        maxiterations = wanted * 3
        gossip = m.gossip
        while freshnodes > 0 and len(gossip) < wanted and maxiterations > 0:
            maxiterations -= 1
            this = random.choice(nodes)
            if this is self.myself or this.flags & NODE_PFAIL:
                continue
            if this.flags & (NODE_HANDSHAKE | NODE_NOADDR) or (
                this.link is None and this.numslots == 0
            ):
                freshnodes -= 1
                continue
            if this.last_in_ping_gossip == mark:
                continue
            gossip.append(self._gossip_entry(this))
            this.last_in_ping_gossip = mark
            freshnodes -= 1
        if pfail_wanted:
            for n in nodes:
                if n.flags & (NODE_HANDSHAKE | NODE_NOADDR) or not n.flags & NODE_PFAIL:
                    continue
                gossip.append(self._gossip_entry(n))
                pfail_wanted -= 1
                if not pfail_wanted:
                    break
        if self.hostname:
            m.hostname = self.hostname
        self.send(link, m)

    def send(self, link: Link | None, m: Message) -> None:
        if link is None or link.closed:
            return
        if m.type < bus.TYPE_COUNT:
            self.stats_sent[m.type] += 1
        link.send(bus.encode(m))

    def broadcast(self, m: Message) -> None:
        """clusterBroadcastMessage: to every node with a link (not myself, not handshaking)."""
        data = bus.encode(m)
        for n in list(self.nodes.values()):
            if n.flags & (NODE_MYSELF | NODE_HANDSHAKE) or n.link is None or n.link.closed:
                continue
            if m.type < bus.TYPE_COUNT:
                self.stats_sent[m.type] += 1
            n.link.send(data)

    def broadcast_pong(self, target: int) -> None:
        me = self.myself
        for n in list(self.nodes.values()):
            if n.link is None or n is me or n.in_handshake:
                continue
            if target == BROADCAST_LOCAL_SLAVES:
                local = (
                    n.is_replica
                    and n.slaveof is not None
                    and (n.slaveof is me or n.slaveof is me.slaveof)
                )
                if not local:
                    continue
            self.send_ping(n.link, bus.PONG)

    def send_fail(self, name: str) -> None:
        m = self.header(bus.FAIL)
        m.about = name
        self.broadcast(m)

    def send_update(self, link: Link | None, node: Node) -> None:
        if link is None:
            return
        m = self.header(bus.UPDATE)
        m.update_name = node.name
        m.update_epoch = node.config_epoch
        m.update_slots = bytes(node.slots)
        self.send(link, m)

    def propagate_publish(self, channel: bytes, message: bytes, shard: bool = False) -> None:
        """clusterPropagatePublish: PUBLISH to every node (SPUBLISH: to the shard)."""
        m = self.header(bus.PUBLISHSHARD if shard else bus.PUBLISH)
        m.channel, m.message = channel, message
        if not shard:
            self.broadcast(m)
            return
        me = self.myself
        master = me.slaveof if me.is_replica and me.slaveof is not None else me
        data = bus.encode(m)
        for n in [master, *master.replicas]:
            if n is me or n.link is None or n.link.closed:
                continue
            self.stats_sent[m.type] += 1
            n.link.send(data)

    def set_master(self, n: Node) -> None:
        """clusterSetMaster: become a replica of ``n``."""
        me = self.myself
        assert n is not me and me.numslots == 0
        if me.is_master:
            me.flags &= ~(NODE_MASTER | NODE_MIGRATE_TO)
            me.flags |= NODE_SLAVE
            self.close_all_slots()
        elif me.slaveof is not None:
            me.slaveof.remove_replica(me)
        me.slaveof = n
        n.add_replica(me)
        self.host.set_master(n.ip, n.port)
        self.reset_manual_failover()

    def reset_manual_failover(self) -> None:
        if self.mf_slave is not None:
            self.host.unpause_writes()
            self.mf_slave = None
        elif self.mf_end and self.myself.is_master:
            self.host.unpause_writes()
        self.mf_end = 0
        self.mf_can_start = False
        self.mf_master_offset = -1

    # -- the cluster's state ------------------------------------------------------------
    def update_state(self) -> None:
        """clusterUpdateState."""
        now = self.host.now_ms()
        if self.first_update_call == 0:
            self.first_update_call = now
        if (
            self.myself.is_master
            and self.state == CLUSTER_FAIL
            and now - self.first_update_call < WRITABLE_DELAY
        ):
            return
        new_state = CLUSTER_OK
        if self.config.cluster_require_full_coverage:
            for n in self.slots:
                if n is None or n.flags & NODE_FAIL:
                    new_state = CLUSTER_FAIL
                    break
        size = reachable = 0
        for n in self.nodes.values():
            if n.is_master and n.numslots:
                size += 1
                if not n.flags & (NODE_FAIL | NODE_PFAIL):
                    reachable += 1
        self.size = size
        if reachable < size // 2 + 1:
            new_state = CLUSTER_FAIL
            self.among_minority_time = now
        if new_state != self.state:
            rejoin = min(max(self.node_timeout, MIN_REJOIN_DELAY), MAX_REJOIN_DELAY)
            if (
                new_state == CLUSTER_OK
                and self.myself.is_master
                and now - self.among_minority_time < rejoin
            ):
                return
            log.info("Cluster state changed: %s", "ok" if new_state == CLUSTER_OK else "fail")
            self.state = new_state

    # -- the periodic work --------------------------------------------------------------
    def cron(self) -> None:
        """clusterCron, ten times a second."""
        self.iteration += 1
        now = self.host.now_ms()
        timeout = self.node_timeout
        handshake_timeout = max(timeout, 1000)
        self.stats_pfail_nodes = 0
        update_state = False
        for node in list(self.nodes.values()):
            if node.flags & (NODE_MYSELF | NODE_NOADDR):
                continue
            if node.flags & NODE_PFAIL:
                self.stats_pfail_nodes += 1
            if node.in_handshake and now - node.ctime > handshake_timeout:
                self.del_node(node)
                continue
            if node.link is None:
                self.host.connect(node)
        if self.iteration % 10 == 0:
            candidates = list(self.nodes.values())
            min_node = None
            for _ in range(5):
                this = random.choice(candidates)
                if this.link is None or this.ping_sent != 0:
                    continue
                if this.flags & (NODE_MYSELF | NODE_HANDSHAKE):
                    continue
                if min_node is None or min_node.pong_received > this.pong_received:
                    min_node = this
            if min_node is not None and min_node.link is not None:
                self.send_ping(min_node.link, bus.PING)
        orphaned = max_replicas = this_replicas = 0
        me = self.myself
        for node in list(self.nodes.values()):
            now = self.host.now_ms()
            if node.flags & (NODE_MYSELF | NODE_NOADDR | NODE_HANDSHAKE):
                continue
            if me.is_replica and node.is_master and not node.failed:
                ok = node.ok_replicas()
                if ok == 0 and node.numslots > 0 and node.flags & NODE_MIGRATE_TO:
                    orphaned += 1
                max_replicas = max(max_replicas, ok)
                if me.slaveof is node:
                    this_replicas = ok
            ping_delay = now - node.ping_sent
            data_delay = now - node.data_received
            link = node.link
            if (
                link is not None
                and now - link.ctime > timeout
                and node.ping_sent
                and ping_delay > timeout // 2
                and data_delay > timeout // 2
            ):
                self.free_link(link)
            if (
                node.link is not None
                and node.ping_sent == 0
                and (now - node.pong_received > timeout // 2)
            ):
                self.send_ping(node.link, bus.PING)
                continue
            if self.mf_end and me.is_master and self.mf_slave is node and node.link is not None:
                self.send_ping(node.link, bus.PING)
                continue
            if node.ping_sent == 0:
                continue
            node_delay = min(ping_delay, data_delay)
            if node_delay > timeout and not node.flags & (NODE_PFAIL | NODE_FAIL):
                log.debug("*** NODE %s possibly failing", node.name)
                node.flags |= NODE_PFAIL
                update_state = True
        if (
            me.is_replica
            and self.host.replication_master() is None
            and me.slaveof is not None
            and me.slaveof.has_addr
        ):
            self.host.set_master(me.slaveof.ip, me.slaveof.port)
        if self.failover_hook is not None:
            self.failover_hook.cron(orphaned, max_replicas, this_replicas)
        if update_state or self.state == CLUSTER_FAIL:
            self.update_state()

    def before_sleep(self) -> None:
        """clusterBeforeSleep: what the messages of this loop turn asked for."""
        if self.served_stale:
            self.rebuild_served()
        todo = self.todo
        if not todo:
            return
        self.todo = 0
        if todo & TODO_HANDLE_MANUALFAILOVER and self.failover_hook is not None:
            if self.myself.is_replica:
                self.failover_hook.handle_manual_failover()
                self.failover_hook.handle_replica_failover()
        elif todo & TODO_HANDLE_FAILOVER and self.failover_hook is not None:
            self.failover_hook.handle_replica_failover()
        if todo & TODO_UPDATE_STATE or self.todo & TODO_UPDATE_STATE:
            self.update_state()
        if todo & TODO_SAVE_CONFIG or self.todo & TODO_SAVE_CONFIG:
            self.host.save_config(bool((todo | self.todo) & TODO_FSYNC_CONFIG))
        self.todo &= ~(TODO_UPDATE_STATE | TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG)

    # -- queries --------------------------------------------------------------------------
    def endpoint(self, n: Node) -> str:
        pref = self.config.cluster_preferred_endpoint_type
        if pref == "hostname" and n.hostname:
            return n.hostname
        if pref == "unknown-endpoint":
            return "?"
        return n.ip

    def master_of(self, n: Node) -> Node:
        return n.slaveof if n.is_replica and n.slaveof is not None else n
