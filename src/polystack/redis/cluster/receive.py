"""What a node does with each bus message it receives (cluster.c's clusterProcessPacket and
the functions it calls: gossip sections, ping extensions, FAIL, PUBLISH, UPDATE, the slot
ownership changes a PING/PONG/UPDATE announces).  A part of :class:`ClusterState`
(state.py), kept apart by concept; pure, as the rest of the state machine."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from polystack.redis.cluster import bus
from polystack.redis.cluster.bus import (
    NODE_FAIL,
    NODE_HANDSHAKE,
    NODE_MASTER,
    NODE_MEET,
    NODE_MIGRATE_TO,
    NODE_MYSELF,
    NODE_NOADDR,
    NODE_NOFAILOVER,
    NODE_PFAIL,
    NODE_SLAVE,
    Message,
)
from polystack.redis.cluster.defs import (
    BLACKLIST_TTL,
    MF_PAUSE_MULT,
    MF_TIMEOUT,
    TODO_FSYNC_CONFIG,
    TODO_HANDLE_FAILOVER,
    TODO_HANDLE_MANUALFAILOVER,
    TODO_SAVE_CONFIG,
    TODO_UPDATE_STATE,
)
from polystack.redis.cluster.node import Link, Node, random_name

log = logging.getLogger(__name__)


class MessageProcessing:
    """The receiving half of the cluster state machine (mixed into ClusterState)."""

    # provided by ClusterState (state.py)
    myself: Node
    nodes: dict[str, Node]
    slots: list[Node | None]
    host: Any
    config: Any
    todo: int
    blacklist: dict[str, int]
    current_epoch: int
    importing_slots_from: dict[int, Node]
    stats_received: list[int]
    failover_auth_count: int
    failover_auth_epoch: int
    failover_hook: Any
    mf_end: int
    mf_master_offset: int
    mf_slave: Node | None

    if TYPE_CHECKING:

        def lookup(self, name: str | bytes) -> Node | None: ...
        def add_node(self, node: Node) -> None: ...
        def del_node(self, node: Node) -> None: ...
        def rename_node(self, node: Node, name: str) -> None: ...
        def set_node_as_master(self, n: Node) -> None: ...
        def set_master(self, n: Node) -> None: ...
        def free_link(self, link: Link) -> None: ...
        def attach_inbound(self, node: Node, link: Link) -> None: ...
        def add_slot(self, node: Node, slot: int) -> bool: ...
        def del_slot(self, slot: int) -> bool: ...
        def del_node_slots(self, node: Node) -> int: ...
        def handle_epoch_collision(self, sender: Node) -> None: ...
        def failure_reports_count(self, node: Node) -> int: ...
        def mark_failing_if_needed(self, node: Node) -> None: ...
        def clear_failure_if_needed(self, node: Node) -> None: ...
        def send_ping(self, link: Link, msg_type: int) -> None: ...
        def send_update(self, link: Link | None, node: Node) -> None: ...
        def reset_manual_failover(self) -> None: ...

    def process(self, link: Link, m: Message) -> bool:
        """clusterProcessPacket; False when the link was freed."""
        t = m.type
        link.recv_bytes += 0
        if m.ver != bus.PROTO_VER:
            return True
        if t < bus.TYPE_COUNT:
            self.stats_received[t] += 1
        now = self.host.now_ms()
        node = link.node
        sender = node if node is not None and not node.in_handshake else self.lookup(m.sender)
        if sender is not None and link.inbound and link.node is None and t in (bus.PING, bus.MEET):
            self.attach_inbound(sender, link)
        if sender is not None:
            sender.data_received = now
        if sender is not None and not sender.in_handshake:
            if m.current_epoch > self.current_epoch:
                self.current_epoch = m.current_epoch
                self.todo |= TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG
            if m.config_epoch > sender.config_epoch:
                sender.config_epoch = m.config_epoch
                self.todo |= TODO_SAVE_CONFIG | TODO_FSYNC_CONFIG
            sender.repl_offset = m.offset
            sender.repl_offset_time = now
            me = self.myself
            if (
                self.mf_end
                and me.is_replica
                and me.slaveof is sender
                and m.mflags & bus.FLAG0_PAUSED
                and self.mf_master_offset == -1
            ):
                self.mf_master_offset = sender.repl_offset
                self.todo |= TODO_HANDLE_MANUALFAILOVER
                log.info(
                    "Received replication offset for paused master manual failover: %d",
                    self.mf_master_offset,
                )
        if t in (bus.PING, bus.MEET):
            if (t == bus.MEET or not self.myself.ip) and not self.config.cluster_announce_ip:
                ip = link.local_ip
                if ip and ip != self.myself.ip:
                    self.myself.ip = ip
                    log.info("IP address for this node updated to %s", ip)
                    self.todo |= TODO_SAVE_CONFIG
            if sender is None and t == bus.MEET:
                new = Node(random_name(), NODE_HANDSHAKE, ctime=now)
                new.ip = m.myip or link.peer_ip
                new.port, new.pport, new.cport = m.port, m.pport, m.cport
                self.add_node(new)
                self.todo |= TODO_SAVE_CONFIG
                self.process_gossip(m, link, None)
            self.send_ping(link, bus.PONG)
        if t in (bus.PING, bus.PONG, bus.MEET):
            if not self._process_ping_config(link, m, sender):
                return False
        elif t == bus.FAIL:
            if sender is not None:
                failing = self.lookup(m.about)
                if failing is not None and not failing.flags & (NODE_FAIL | NODE_MYSELF):
                    log.info("FAIL message received from %s about %s", m.sender, m.about)
                    failing.flags = (failing.flags | NODE_FAIL) & ~NODE_PFAIL
                    failing.fail_time = now
                    self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE
            else:
                log.info("Ignoring FAIL message from unknown node %s about %s", m.sender, m.about)
        elif t in (bus.PUBLISH, bus.PUBLISHSHARD):
            if sender is not None:
                self.host.publish(m.channel, m.message, t == bus.PUBLISHSHARD)
        elif t == bus.FAILOVER_AUTH_REQUEST:
            if sender is not None and self.failover_hook is not None:
                self.failover_hook.send_auth_if_needed(sender, m)
        elif t == bus.FAILOVER_AUTH_ACK:
            if (
                sender is not None
                and sender.is_master
                and sender.numslots > 0
                and m.current_epoch >= self.failover_auth_epoch
            ):
                self.failover_auth_count += 1
                self.todo |= TODO_HANDLE_FAILOVER
        elif t == bus.MFSTART:
            if sender is None or sender.slaveof is not self.myself:
                return True
            self.reset_manual_failover()
            self.mf_end = now + MF_TIMEOUT
            self.mf_slave = sender
            self.host.pause_writes(now + MF_TIMEOUT * MF_PAUSE_MULT)
            log.info("Manual failover requested by replica %s.", sender.name)
            self.send_ping(link, bus.PING)
        elif t == bus.UPDATE:
            if sender is None:
                return True
            n = self.lookup(m.update_name)
            if n is None or n.config_epoch >= m.update_epoch:
                return True
            if n.is_replica:
                self.set_node_as_master(n)
            n.config_epoch = m.update_epoch
            self.update_slots_config_with(n, m.update_epoch, m.update_slots)
        elif t == bus.MODULE:
            pass  # no modules: their messages are dropped, as with no module registered
        else:
            log.info("Received unknown packet type: %d", t)
        return True

    def _process_ping_config(self, link: Link, m: Message, sender: Node | None) -> bool:
        t = m.type
        me = self.myself
        if not link.inbound:
            node = link.node
            assert node is not None
            if node.in_handshake:
                if sender is not None:
                    # we already know this node under its name: maybe its address changed
                    self.update_address_if_needed(sender, link, m)
                    self.del_node(node)
                    return False
                self.rename_node(node, m.sender)
                log.debug("Handshake with node %s completed.", node.name)
                node.flags &= ~NODE_HANDSHAKE
                node.flags |= m.flags & (NODE_MASTER | NODE_SLAVE)
                self.todo |= TODO_SAVE_CONFIG
            elif node.name != m.sender:
                log.debug(
                    "PONG contains mismatching sender ID. About node %s added %d ms ago, "
                    "having flags %d",
                    node.name,
                    self.host.now_ms() - node.ctime,
                    node.flags,
                )
                node.flags |= NODE_NOADDR
                node.ip, node.port, node.pport, node.cport = "", 0, 0, 0
                self.free_link(link)
                self.todo |= TODO_SAVE_CONFIG
                return False
        if sender is not None:
            sender.flags = (sender.flags & ~NODE_NOFAILOVER) | (m.flags & NODE_NOFAILOVER)
        if (
            sender is not None
            and t == bus.PING
            and not sender.in_handshake
            and self.update_address_if_needed(sender, link, m)
        ):
            self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE
        if not link.inbound and t == bus.PONG and link.node is not None:
            node = link.node
            node.pong_received = self.host.now_ms()
            node.ping_sent = 0
            if node.timed_out:
                node.flags &= ~NODE_PFAIL
                self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE
            elif node.failed:
                self.clear_failure_if_needed(node)
        if sender is not None:
            if m.slaveof is None:
                self.set_node_as_master(sender)
            else:
                master = self.lookup(m.slaveof)
                if sender.is_master:
                    self.del_node_slots(sender)
                    sender.flags &= ~(NODE_MASTER | NODE_MIGRATE_TO)
                    sender.flags |= NODE_SLAVE
                    self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE
                if master is not None and sender.slaveof is not master:
                    if sender.slaveof is not None:
                        sender.slaveof.remove_replica(sender)
                    master.add_replica(sender)
                    sender.slaveof = master
                    self.todo |= TODO_SAVE_CONFIG
        sender_master = None
        dirty_slots = False
        if sender is not None:
            sender_master = sender if sender.is_master else sender.slaveof
            if sender_master is not None:
                dirty_slots = bytes(sender_master.slots) != m.myslots
        if sender is not None and sender.is_master and dirty_slots:
            self.update_slots_config_with(sender, m.config_epoch, m.myslots)
        if sender is not None and dirty_slots:
            for j in bus.bitmap_slots(m.myslots):
                owner = self.slots[j]
                if owner is sender or owner is None:
                    continue
                if owner.config_epoch > m.config_epoch:
                    log.debug(
                        "Node %s has old slots configuration, sending an UPDATE message about %s",
                        sender.name,
                        owner.name,
                    )
                    self.send_update(sender.link, owner)
                    break
        if (
            sender is not None
            and me.is_master
            and sender.is_master
            and m.config_epoch == me.config_epoch
        ):
            self.handle_epoch_collision(sender)
        if sender is not None:
            self.process_gossip(m, link, sender)
            self.process_ping_ext(m, sender)
        return True

    def update_address_if_needed(self, node: Node, link: Link, m: Message) -> bool:
        """nodeUpdateAddressIfNeeded: the address a node announces (or we see it from)."""
        if link is node.link:
            return False
        ip = m.myip or link.peer_ip
        if (
            node.port == m.port
            and node.cport == m.cport
            and node.pport == m.pport
            and (node.ip == ip)
        ):
            return False
        node.ip, node.port, node.pport, node.cport = ip, m.port, m.pport, m.cport
        if node.link is not None:
            self.free_link(node.link)
        node.flags &= ~NODE_NOADDR
        log.info("Address updated for node %s (), now %s:%d", node.name, ip, m.port)
        if self.myself.is_replica and self.myself.slaveof is node:
            self.host.set_master(ip, m.port)
        return True

    def process_gossip(self, m: Message, link: Link, sender: Node | None) -> None:
        """clusterProcessGossipSection."""
        now = self.host.now_ms()
        for g in m.gossip:
            flags = g.flags
            node = self.lookup(g.name)
            if node is not None:
                if sender is not None and sender.is_master and node is not self.myself:
                    if flags & (NODE_FAIL | NODE_PFAIL):
                        if sender.name not in node.fail_reports:
                            log.debug(
                                "Node %s reported node %s as not reachable.",
                                sender.name,
                                node.name,
                            )
                        node.fail_reports[sender.name] = now
                        self.mark_failing_if_needed(node)
                    elif node.fail_reports.pop(sender.name, None) is not None:
                        log.debug(
                            "Node %s reported node %s is back online.", sender.name, node.name
                        )
                if (
                    not flags & (NODE_PFAIL | NODE_FAIL)
                    and node.ping_sent == 0
                    and self.failure_reports_count(node) == 0
                ):
                    pongtime = g.pong_received * 1000
                    if pongtime <= now + 500 and pongtime > node.pong_received:
                        node.pong_received = pongtime
                if (
                    node.flags & (NODE_FAIL | NODE_PFAIL)
                    and not flags & NODE_NOADDR
                    and not flags & (NODE_FAIL | NODE_PFAIL)
                    and (
                        node.ip.lower() != g.ip.lower()
                        or node.port != g.port
                        or node.cport != g.cport
                    )
                ):
                    if node.link is not None:
                        self.free_link(node.link)
                    node.ip, node.port, node.pport, node.cport = g.ip, g.port, g.pport, g.cport
                    node.flags &= ~NODE_NOADDR
            elif (
                sender is not None
                and not flags & NODE_NOADDR
                and not self._blacklisted(g.name)
                and _valid_gossip_name(g.name)
            ):
                new = Node(g.name, flags & ~(NODE_MYSELF | NODE_MEET), ctime=now)
                new.ip, new.port, new.pport, new.cport = g.ip, g.port, g.pport, g.cport
                self.add_node(new)

    def process_ping_ext(self, m: Message, sender: Node) -> None:
        """clusterProcessPingExt: the hostname (and a forgotten node, from newer versions)."""
        hostname = m.hostname or ""
        if hostname != sender.hostname:
            sender.hostname = hostname
            self.todo |= TODO_SAVE_CONFIG
        for name, ttl in m.forgotten:
            n = self.lookup(name)
            if n is not None and n is not self.myself and n is not sender:
                if not (self.myself.is_replica and self.myself.slaveof is n):
                    self.blacklist[name] = self.host.now_ms() // 1000 + ttl
                    self.del_node(n)
                    self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE

    def _blacklisted(self, name: str) -> bool:
        now = self.host.now_ms() // 1000
        for n, expire in list(self.blacklist.items()):
            if expire < now:
                del self.blacklist[n]
        return name in self.blacklist

    def blacklist_add(self, node: Node) -> None:
        self._blacklisted("")
        self.blacklist[node.name] = self.host.now_ms() // 1000 + BLACKLIST_TTL

    # -- slot ownership changes -----------------------------------------------------------
    def update_slots_config_with(self, sender: Node, sender_epoch: int, slots: bytes) -> None:
        """clusterUpdateSlotsConfigWith."""
        me = self.myself
        curmaster = me if me.is_master else me.slaveof
        if sender is me:
            log.info("Discarding UPDATE message about myself.")
            return
        newmaster = None
        dirty: list[int] = []
        sender_slots = 0
        migrated_our_slots = 0
        for j in bus.bitmap_slots(slots):
            sender_slots += 1
            owner = self.slots[j]
            if owner is sender:
                continue
            if j in self.importing_slots_from:
                continue
            if owner is None or owner.config_epoch < sender_epoch:
                if owner is me and self.host.count_keys_in_slot(j) and sender is not me:
                    dirty.append(j)
                if owner is curmaster and curmaster is not None:
                    newmaster = sender
                    migrated_our_slots += 1
                self.del_slot(j)
                self.add_slot(sender, j)
                self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG
        if (
            newmaster is not None
            and curmaster is not None
            and curmaster.numslots == 0
            and (self.config.cluster_allow_replica_migration or sender_slots == migrated_our_slots)
        ):
            log.info(
                "Configuration change detected. Reconfiguring myself as a replica of %s",
                sender.name,
            )
            self.set_master(sender)
            self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG
        elif me.slaveof is not None and me.slaveof.slaveof is not None:
            log.info(
                "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster %s",
                me.slaveof.slaveof.name,
            )
            self.set_master(me.slaveof.slaveof)
            self.todo |= TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG
        elif dirty:
            for j in dirty:
                self.host.del_keys_in_slot(j)


def _valid_gossip_name(name: str) -> bool:
    return len(name) == 40 and all(c in "0123456789abcdef" for c in name)
