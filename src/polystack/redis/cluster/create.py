"""``polystack serve --redis-cluster N [--redis-cluster-replicas R]``: N masters (and R
replicas each) in one process on consecutive ports, each a Redis server of its own with its
own data directory and nodes.conf, joined and with the slots assigned the way
``redis-cli --cluster create`` assigns them.  A cluster that comes back from its nodes.conf
files is left as it is."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry

from polystack.redis.cluster.bus import CLUSTER_SLOTS, NODE_MASTER, NODE_SLAVE
from polystack.redis.cluster.node import Node

log = logging.getLogger(__name__)


def bus_port(config: Any, port: int) -> int:
    """The cluster bus port: ``cluster-port``, else the client port + 10000."""
    if config.cluster_port:
        return config.cluster_port
    if not port:
        return 0
    if port + 10000 > 65535:
        raise ValueError(
            "Redis port number too high. Cluster communication port is 10,000 port numbers "
            "higher than your Redis port. Your Redis port number must be 55535 or less."
        )
    return port + 10000


def make_siblings(main: Any, factory: Callable[[Any], Any]) -> list[Any]:
    """The other nodes of an in-process cluster (``main`` is node 0)."""
    cfg = main.config
    total = cfg.cluster_nodes * (1 + cfg.cluster_replicas)
    siblings = []
    for i in range(1, total):
        sub: Any = copy.copy(cfg)
        sub.port = cfg.port + i if cfg.port else 0
        sub.cluster_nodes = 0
        sub.cluster_replicas = 0
        sub.cluster_enabled = True
        sub.cluster_port = 0
        sub.redis_config = None
        sub.dir = ""
        ctx = dataclasses.replace(
            main.ctx,
            config=sub,
            data_dir=main.ctx.data_dir.parent / f"redis-node{i}",
            registry=CollectorRegistry(),
            bound_ports={},
        )
        siblings.append(factory(ctx))
    return siblings


def slot_ranges(masters: int) -> list[tuple[int, int]]:
    """redis-cli --cluster create's split of the 16384 slots."""
    per = CLUSTER_SLOTS / masters
    first = 0
    cursor = 0.0
    out = []
    for i in range(masters):
        last = int(cursor + per - 1 + 0.5)
        if last > CLUSTER_SLOTS or i == masters - 1:
            last = CLUSTER_SLOTS - 1
        last = max(last, first)
        out.append((first, last))
        first = last + 1
        cursor += per
    return out


def join(servers: list[Any], masters: int, ip: str) -> None:
    """Make every node know every other one (as after MEET and gossip), give the masters
    their slots and config epochs 1..N, and make the rest replicas, round-robin."""
    states = [s.cluster.state for s in servers]
    if any(len(st.nodes) > 1 or st.myself.numslots for st in states):
        log.info("redis cluster: nodes.conf found, the cluster keeps its configuration")
        return
    ranges = slot_ranges(masters)
    roles = []
    for i, _ in enumerate(servers):
        roles.append(None if i < masters else (i - masters) % masters)
    for st in states:
        st.myself.ip = ip
        st.current_epoch = masters
    for idx, st in enumerate(states):
        now = st.host.now_ms()
        views: list[Node] = []
        for j, other in enumerate(states):
            if j == idx:
                node = st.myself
            else:
                src = other.myself
                node = Node(src.name, NODE_MASTER, ctime=now)
                node.ip, node.port, node.cport = ip, src.port, src.cport
                node.pong_received = now
                st.add_node(node)
            views.append(node)
        for m in range(masters):
            node = views[m]
            node.config_epoch = m + 1
            a, b = ranges[m]
            for slot in range(a, b + 1):
                st.add_slot(node, slot)
        for j, master_index in enumerate(roles):
            if master_index is None:
                continue
            node, master = views[j], views[master_index]
            node.flags = (node.flags & ~NODE_MASTER) | NODE_SLAVE | (node.flags & 16)
            node.slaveof = master
            master.add_replica(node)
        st.todo |= 2 | 4 | 8  # update the state, save nodes.conf (fsynced)
    for idx, st in enumerate(states):
        master_index = roles[idx]
        if master_index is not None:
            st.host.set_master(ip, states[master_index].myself.port)
        st.update_state()
        st.host.before_sleep()
