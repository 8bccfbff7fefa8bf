"""CLUSTER and its subcommands, ASKING, READONLY, READWRITE, RESTORE-ASKING and MIGRATE
(cluster.c).  The cluster itself is ``client.server.cluster`` (redis/cluster/link.py), None
when cluster mode is off."""

from __future__ import annotations

from typing import Any

from polystack.redis.cluster import bus, migrate, nodesconf
from polystack.redis.cluster.bus import CLUSTER_OK, CLUSTER_SLOTS
from polystack.redis.cluster.defs import (
    BROADCAST_ALL,
    TODO_FSYNC_CONFIG,
    TODO_SAVE_CONFIG,
    TODO_UPDATE_STATE,
)
from polystack.redis.cluster.failover import ManualFailoverError
from polystack.redis.cluster.node import Node, random_name
from polystack.redis.cluster.slots import key_hash_slot
from polystack.redis.commands import COMMANDS, command, container
from polystack.redis.commands.help import help_reply
from polystack.redis.commands.keys import restore
from polystack.redis.commands.keyspecs import GETKEYS_FLAGS, single, spec
from polystack.redis.errors import RedisError, err
from polystack.redis.flags import SLOW_ASKING
from polystack.redis.wire import OK, Raw, Simple, Verbatim

DISABLED = err("This instance has cluster support disabled")
_SUB = "stale"
_ADMIN = "admin stale no_async_loading"

container("cluster", "cluster", "3.0.0", "A container for Redis Cluster commands")
COMMANDS[b"cluster"].acl_categories = ("@slow",)


def _cluster(client: Any) -> Any:
    cl = client.server.cluster
    if cl is None:
        raise DISABLED
    return cl


def _done(cl: Any, todo: int = TODO_UPDATE_STATE | TODO_SAVE_CONFIG) -> None:
    cl.state.todo |= todo
    cl.before_sleep()


def _int(arg: bytes) -> int | None:
    try:
        if arg != arg.strip() or not arg:
            return None
        return int(arg)
    except ValueError:
        return None


def _wrong_args(argv: list[bytes]) -> RedisError:
    """addReplySubcommandSyntaxError: a subcommand given an argument count clusterCommand
    does not take (arity allows it)."""
    name = argv[1].decode("utf-8", "replace")
    return err(f"unknown subcommand or wrong number of arguments for '{name}'. Try CLUSTER HELP.")


def _slot(arg: bytes) -> int:
    """getSlotOrReply."""
    slot = _int(arg)
    if slot is None or not 0 <= slot < CLUSTER_SLOTS:
        raise err("Invalid or out of range slot")
    return slot


def _node(cl: Any, arg: bytes, message: str = "Unknown node %s") -> Node:
    n = cl.state.lookup(arg)
    if n is None:
        raise err(message % arg.decode("latin-1"))
    return n


# -- CLUSTER INFO, MYID, NODES, SLOTS, SHARDS, LINKS ------------------------------------------
def info_text(cl: Any) -> str:
    st = cl.state
    assigned = ok = pfail = fail = 0
    for n in st.slots:
        if n is None:
            continue
        assigned += 1
        if n.flags & bus.NODE_FAIL:
            fail += 1
        elif n.flags & bus.NODE_PFAIL:
            pfail += 1
        else:
            ok += 1
    me = st.myself
    my_epoch = me.slaveof.config_epoch if me.is_replica and me.slaveof else me.config_epoch
    lines = [
        f"cluster_state:{'ok' if st.state == CLUSTER_OK else 'fail'}",
        f"cluster_slots_assigned:{assigned}",
        f"cluster_slots_ok:{ok}",
        f"cluster_slots_pfail:{pfail}",
        f"cluster_slots_fail:{fail}",
        f"cluster_known_nodes:{len(st.nodes)}",
        f"cluster_size:{st.size}",
        f"cluster_current_epoch:{st.current_epoch}",
        f"cluster_my_epoch:{my_epoch}",
    ]
    for i, count in enumerate(st.stats_sent):
        if count:
            lines.append(f"cluster_stats_messages_{bus.TYPE_NAMES[i]}_sent:{count}")
    lines.append(f"cluster_stats_messages_sent:{sum(st.stats_sent)}")
    for i, count in enumerate(st.stats_received):
        if count:
            lines.append(f"cluster_stats_messages_{bus.TYPE_NAMES[i]}_received:{count}")
    lines.append(f"cluster_stats_messages_received:{sum(st.stats_received)}")
    lines.append("total_cluster_links_buffer_limit_exceeded:0")
    return "\r\n".join(lines) + "\r\n"


@command("info", 2, _SUB, group="cluster", since="3.0.0", parent="cluster",
         summary="Provides info about Redis Cluster node state", complexity="O(1)",
         tips=("nondeterministic_output",))  # fmt: skip
def cluster_info(client: Any, argv: list[bytes]) -> Any:
    return Verbatim(info_text(_cluster(client)).encode())


@command("myid", 2, _SUB, group="cluster", since="3.0.0", parent="cluster",
         summary="Returns the node id", complexity="O(1)")  # fmt: skip
def cluster_myid(client: Any, argv: list[bytes]) -> Any:
    return _cluster(client).state.myself.name.encode()


def nodes_text(cl: Any) -> str:
    st = cl.state
    return "".join(nodesconf.node_line(st, n) + "\n" for n in st.nodes.values())


@command("nodes", 2, _SUB, group="cluster", since="3.0.0", parent="cluster",
         summary="Get Cluster config for the node", complexity="O(N) where N is the total "
         "number of Cluster nodes", tips=("nondeterministic_output",))  # fmt: skip
def cluster_nodes(client: Any, argv: list[bytes]) -> Any:
    return Verbatim(nodes_text(_cluster(client)).encode())


def _node_reply(st: Any, n: Node) -> list[Any]:
    """addNodeToNodeReply: preferred endpoint, port, id, and a map of the other endpoints."""
    pref = st.config.cluster_preferred_endpoint_type
    if pref == "ip":
        endpoint: Any = n.ip.encode()
    elif pref == "hostname":
        endpoint = n.hostname.encode() if n.hostname else b"?"
    else:
        endpoint = None
    extra: dict[bytes, bytes] = {}
    if pref != "ip":
        extra[b"ip"] = n.ip.encode()
    if pref != "hostname" and n.hostname:
        extra[b"hostname"] = n.hostname.encode()
    return [endpoint, n.port, n.name.encode(), extra]


@command("slots", 2, _SUB, group="cluster", since="3.0.0", parent="cluster",
         summary="Get array of Cluster slot to node mappings",
         complexity="O(N) where N is the total number of Cluster nodes",
         tips=("nondeterministic_output",), deprecated=("7.0.0", "`CLUSTER SHARDS`"))  # fmt: skip
def cluster_slots(client: Any, argv: list[bytes]) -> Any:
    st = _cluster(client).state
    out: list[Any] = []
    n = None
    start = 0
    for i in range(CLUSTER_SLOTS + 1):
        owner = st.slots[i] if i < CLUSTER_SLOTS else None
        if n is None:
            if i == CLUSTER_SLOTS:
                break
            n, start = owner, i
            continue
        if i == CLUSTER_SLOTS or owner is not n:
            entry = [start, i - 1, _node_reply(st, n)]
            entry += [_node_reply(st, r) for r in n.replicas if not r.failed]
            out.append(entry)
            if i == CLUSTER_SLOTS:
                break
            n, start = owner, i
    return out


def _offset(cl: Any, n: Node) -> int:
    if n is cl.state.myself:
        return cl.server.repl_offset()
    return n.repl_offset


def _shard_node(cl: Any, n: Node) -> dict[bytes, Any]:
    st = cl.state
    d: dict[bytes, Any] = {b"id": n.name.encode(), b"port": n.port, b"ip": n.ip.encode()}
    d[b"endpoint"] = st.endpoint(n).encode()
    if n.hostname:
        d[b"hostname"] = n.hostname.encode()
    d[b"role"] = b"master" if n.is_master else b"replica"
    offset = _offset(cl, n)
    d[b"replication-offset"] = offset
    if n.failed:
        health = b"fail"
    elif n.is_replica and offset == 0:
        health = b"loading"
    else:
        health = b"online"
    d[b"health"] = health
    return d


@command("shards", 2, _SUB, group="cluster", since="7.0.0", parent="cluster",
         summary="Get array of cluster slots to node mappings",
         complexity="O(N) where N is the total number of cluster nodes",
         tips=("nondeterministic_output",))  # fmt: skip
def cluster_shards(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    out = []
    for n in cl.state.nodes.values():
        if not n.is_master:
            continue
        slots: list[int] = []
        for a, b in n.slot_ranges():
            slots += [a, b]
        nodes = [_shard_node(cl, n)] + [_shard_node(cl, r) for r in n.replicas]
        out.append({b"slots": slots, b"nodes": nodes})
    return out


@command("links", 2, _SUB, group="cluster", since="7.0.0", parent="cluster",
         summary="Returns a list of all TCP links to and from peer nodes in cluster",
         complexity="O(N) where N is the total number of Cluster nodes",
         tips=("nondeterministic_output",))  # fmt: skip
def cluster_links(client: Any, argv: list[bytes]) -> Any:
    st = _cluster(client).state
    out = []
    for n in st.nodes.values():
        for link, direction in ((n.link, b"to"), (n.inbound_link, b"from")):
            if link is None:
                continue
            out.append({
                b"direction": direction,
                b"node": n.name.encode(),
                b"create-time": link.ctime,
                b"events": link.events.encode(),
                b"send-buffer-allocated": 0,
                b"send-buffer-used": 0,
            })  # fmt: skip
    return out


# -- slots ----------------------------------------------------------------------------------
@command("keyslot", 3, _SUB, group="cluster", since="3.0.0", parent="cluster",
         summary="Returns the hash slot of the specified key",
         complexity="O(N) where N is the number of bytes in the key")  # fmt: skip
def cluster_keyslot(client: Any, argv: list[bytes]) -> Any:
    _cluster(client)
    return key_hash_slot(argv[2])


@command("countkeysinslot", 3, _SUB, group="cluster", since="3.0.0", parent="cluster",
         summary="Return the number of local keys in the specified hash slot",
         complexity="O(1)")  # fmt: skip
def cluster_countkeysinslot(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    slot = _int(argv[2])
    if slot is None:
        raise err("value is not an integer or out of range")
    if not 0 <= slot < CLUSTER_SLOTS:
        raise err("Invalid slot")
    return cl.count_keys_in_slot(slot)


@command("getkeysinslot", 4, _SUB, group="cluster", since="3.0.0", parent="cluster",
         summary="Return local key names in the specified hash slot",
         complexity="O(log(N)) where N is the number of requested keys",
         tips=("nondeterministic_output",))  # fmt: skip
def cluster_getkeysinslot(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    slot, maxkeys = _int(argv[2]), _int(argv[3])
    if slot is None or maxkeys is None:
        raise err("value is not an integer or out of range")
    if not 0 <= slot < CLUSTER_SLOTS or maxkeys < 0:
        raise err("Invalid slot or number of keys")
    return list(cl.keys_in_slot(slot)[:maxkeys])


def _assign(client: Any, argv: list[bytes], delete: bool, ranges: bool) -> Any:
    cl = _cluster(client)
    st = cl.state
    marks = bytearray(CLUSTER_SLOTS)
    pairs: list[tuple[int, int]] = []
    if ranges:
        if len(argv) % 2 == 1:
            raise err(f"wrong number of arguments for 'cluster|{argv[1].decode().lower()}' command")
        for j in range(2, len(argv), 2):
            a, b = _slot(argv[j]), _slot(argv[j + 1])
            if a > b:
                raise err(f"start slot number {a} is greater than end slot number {b}")
            pairs.append((a, b))
    else:
        pairs = [(_slot(a), _slot(a)) for a in argv[2:]]
    for a, b in pairs:
        for slot in range(a, b + 1):
            if delete and st.slots[slot] is None:
                raise err(f"Slot {slot} is already unassigned")
            if not delete and st.slots[slot] is not None:
                raise err(f"Slot {slot} is already busy")
            marks[slot] += 1
            if marks[slot] == 2:
                raise err(f"Slot {slot} specified multiple times")
    for slot in range(CLUSTER_SLOTS):
        if marks[slot]:
            st.importing_slots_from.pop(slot, None)
            if delete:
                st.del_slot(slot)
            else:
                st.add_slot(st.myself, slot)
    _done(cl)
    return OK


for _name, _del, _range, _arity, _since, _summary in (
    ("addslots", False, False, -3, "3.0.0", "Assign new hash slots to receiving node"),
    ("delslots", True, False, -3, "3.0.0", "Set hash slots as unbound in receiving node"),
    ("addslotsrange", False, True, -4, "7.0.0",
     "Assign new hash slots to receiving node"),
    ("delslotsrange", True, True, -4, "7.0.0", "Set hash slots as unbound in receiving node"),
):  # fmt: skip

    def _handler(client: Any, argv: list[bytes], _d: bool = _del, _r: bool = _range) -> Any:
        return _assign(client, argv, _d, _r)

    command(_name, _arity, _ADMIN, group="cluster", since=_since, parent="cluster",
            summary=_summary, complexity="O(N) where N is the total number of hash slot "
            "arguments")(_handler)  # fmt: skip


@command("flushslots", 2, _ADMIN, group="cluster", since="3.0.0", parent="cluster",
         summary="Delete a node's own slots information", complexity="O(1)")  # fmt: skip
def cluster_flushslots(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    if client.server.keyspace.dbs[0].data:
        raise err("DB must be empty to perform CLUSTER FLUSHSLOTS.")
    cl.state.del_node_slots(cl.state.myself)
    _done(cl)
    return OK


@command("setslot", -4, _ADMIN, group="cluster", since="3.0.0", parent="cluster",
         summary="Bind a hash slot to a specific node", complexity="O(1)")  # fmt: skip
def cluster_setslot(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    st = cl.state
    me = st.myself
    if me.is_replica:
        raise err("Please use SETSLOT only with masters.")
    slot = _slot(argv[2])
    action = argv[3].lower()
    n = len(argv)
    if action == b"migrating" and n == 5:
        if st.slots[slot] is not me:
            raise err(f"I'm not the owner of hash slot {slot}")
        node = _node(cl, argv[4], "I don't know about node %s")
        if node.is_replica:
            raise err("Target node is not a master")
        st.migrating_slots_to[slot] = node
    elif action == b"importing" and n == 5:
        if st.slots[slot] is me:
            raise err(f"I'm already the owner of hash slot {slot}")
        node = _node(cl, argv[4], "I don't know about node %s")
        if node.is_replica:
            raise err("Target node is not a master")
        st.importing_slots_from[slot] = node
    elif action == b"stable" and n == 4:
        st.importing_slots_from.pop(slot, None)
        st.migrating_slots_to.pop(slot, None)
    elif action == b"node" and n == 5:
        node = _node(cl, argv[4])
        if node.is_replica:
            raise err("Target node is not a master")
        if st.slots[slot] is me and node is not me and cl.count_keys_in_slot(slot):
            raise err(
                f"Can't assign hashslot {slot} to a different node while I still hold keys "
                "for this hash slot."
            )
        if not cl.count_keys_in_slot(slot):
            st.migrating_slots_to.pop(slot, None)
        was_mine = st.slots[slot] is me
        st.del_slot(slot)
        st.add_slot(node, slot)
        if (
            was_mine
            and node is not me
            and me.numslots == 0
            and cl.config.cluster_allow_replica_migration
        ):
            st.set_master(node)
        if node is me and slot in st.importing_slots_from:
            st.bump_epoch_without_consensus()
            del st.importing_slots_from[slot]
            st.broadcast_pong(BROADCAST_ALL)
    else:
        raise err("Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
    _done(cl, TODO_SAVE_CONFIG | TODO_UPDATE_STATE)
    return OK


# -- nodes ----------------------------------------------------------------------------------
@command("meet", -4, "admin stale no_async_loading", group="cluster", since="3.0.0",
         parent="cluster", summary="Force a node cluster to handshake with another node",
         complexity="O(1)")  # fmt: skip
def cluster_meet(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    if len(argv) not in (4, 5):
        raise _wrong_args(argv)
    port = _int(argv[3])
    if port is None:
        raise err(f"Invalid TCP base port specified: {argv[3].decode('latin-1')}")
    if len(argv) == 5:
        cport = _int(argv[4])
        if cport is None:
            raise err(f"Invalid TCP bus port specified: {argv[4].decode('latin-1')}")
    else:
        cport = port + 10000
    ip = _normalize_ip(argv[2].decode("latin-1"))
    if ip is None or not 0 < port <= 65535 or not 0 < cport <= 65535:
        raise err(
            f"Invalid node address specified: {argv[2].decode('latin-1')}:"
            f"{argv[3].decode('latin-1')}"
        )
    cl.state.start_handshake(ip, port, cport)
    _done(cl)
    return OK


def _normalize_ip(text: str) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


@command("forget", 3, _ADMIN, group="cluster", since="3.0.0", parent="cluster",
         summary="Remove a node from the nodes table", complexity="O(1)")  # fmt: skip
def cluster_forget(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    st = cl.state
    n = _node(cl, argv[2])
    if n is st.myself:
        raise err("I tried hard but I can't forget myself...")
    if st.myself.is_replica and st.myself.slaveof is n:
        raise err("Can't forget my master!")
    st.blacklist_add(n)
    st.del_node(n)
    _done(cl)
    return OK


@command("replicate", 3, _ADMIN, group="cluster", since="3.0.0", parent="cluster",
         summary="Reconfigure a node as a replica of the specified master node",
         complexity="O(1)")  # fmt: skip
def cluster_replicate(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    st = cl.state
    n = _node(cl, argv[2])
    if n is st.myself:
        raise err("Can't replicate myself")
    if n.is_replica:
        raise err("I can only replicate a master, not a replica.")
    me = st.myself
    if me.is_master and (me.numslots != 0 or client.server.keyspace.dbs[0].data):
        raise err("To set a master the node must be empty and without assigned slots.")
    st.set_master(n)
    _done(cl)
    return OK


def _replicas(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    n = _node(cl, argv[2])
    if not n.is_master:
        raise err("The specified node is not a master")
    return [nodesconf.node_line(cl.state, r).encode() for r in n.replicas]


command("replicas", 3, "admin stale", group="cluster", since="5.0.0", parent="cluster",
        summary="List replica nodes of the specified master node", complexity="O(1)",
        tips=("nondeterministic_output",))(_replicas)  # fmt: skip
command("slaves", 3, "admin stale", group="cluster", since="3.0.0", parent="cluster",
        summary="List replica nodes of the specified master node", complexity="O(1)",
        deprecated=("5.0.0", "`CLUSTER REPLICAS`"),
        tips=("nondeterministic_output",))(_replicas)  # fmt: skip


@command("count-failure-reports", 3, "admin stale", group="cluster", since="3.0.0",
         parent="cluster", summary="Return the number of failure reports active for a given "
         "node", complexity="O(N) where N is the number of failure reports",
         tips=("nondeterministic_output",))  # fmt: skip
def cluster_count_failure_reports(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    return cl.state.failure_reports_count(_node(cl, argv[2]))


@command("failover", -2, _ADMIN, group="cluster", since="3.0.0", parent="cluster",
         summary="Forces a replica to perform a manual failover of its master.",
         complexity="O(1)")  # fmt: skip
def cluster_failover(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    force = takeover = False
    if len(argv) == 3:
        opt = argv[2].lower()
        if opt == b"force":
            force = True
        elif opt == b"takeover":
            takeover = force = True
        else:
            raise RedisError("ERR", "syntax error")
    elif len(argv) > 3:
        raise _wrong_args(argv)
    try:
        cl.elections.manual_failover(force, takeover)
    except ManualFailoverError as e:
        raise err(str(e)) from None
    _done(cl, TODO_SAVE_CONFIG | TODO_UPDATE_STATE)
    return OK


@command("reset", -2, "admin stale noscript", group="cluster", since="3.0.0",
         parent="cluster", summary="Reset a Redis Cluster node",
         complexity="O(N) where N is the number of known nodes. The command may execute a "
         "FLUSHALL as a side effect.")  # fmt: skip
def cluster_reset(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    hard = False
    if len(argv) == 3:
        opt = argv[2].lower()
        if opt == b"hard":
            hard = True
        elif opt != b"soft":
            raise RedisError("ERR", "syntax error")
    elif len(argv) > 3:
        raise _wrong_args(argv)
    st = cl.state
    me = st.myself
    if me.is_master and client.server.keyspace.dbs[0].data:
        raise err("CLUSTER RESET can't be called with master nodes containing keys")
    if me.is_replica:
        st.set_node_as_master(me)
        cl.unset_master()
        client.server.flushall()
    st.close_all_slots()
    st.reset_manual_failover()
    st.del_node_slots(me)
    for n in list(st.nodes.values()):
        if n is not me:
            st.del_node(n)
    if hard:
        st.current_epoch = 0
        st.last_vote_epoch = 0
        me.config_epoch = 0
        st.nodes.pop(me.name, None)
        me.name = random_name()
        st.nodes[me.name] = me
    _done(cl, TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG)
    return OK


@command("saveconfig", 2, _ADMIN, group="cluster", since="3.0.0", parent="cluster",
         summary="Forces the node to save cluster state on disk", complexity="O(1)")  # fmt: skip
def cluster_saveconfig(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    try:
        cl.save_config_now(True)
    except OSError as e:
        raise err(f"error saving the cluster node config: {e.strerror}") from None
    return OK


@command("bumpepoch", 2, "admin stale no_async_loading", group="cluster", since="3.0.0",
         parent="cluster", summary="Advance the cluster config epoch",
         complexity="O(1)", tips=("nondeterministic_output",))  # fmt: skip
def cluster_bumpepoch(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    bumped = cl.state.bump_epoch_without_consensus()
    cl.before_sleep()
    word = b"BUMPED" if bumped else b"STILL"
    return Simple(b"%s %d" % (word, cl.state.myself.config_epoch))


@command("set-config-epoch", 3, _ADMIN, group="cluster", since="3.0.0", parent="cluster",
         summary="Set the configuration epoch in a new node", complexity="O(1)")  # fmt: skip
def cluster_set_config_epoch(client: Any, argv: list[bytes]) -> Any:
    cl = _cluster(client)
    st = cl.state
    epoch = _int(argv[2])
    if epoch is None:
        raise err("value is not an integer or out of range")
    if epoch < 0:
        raise err(f"Invalid config epoch specified: {epoch}")
    if len(st.nodes) > 1:
        raise err(
            "The user can assign a config epoch only when the node does not know any other node."
        )
    if st.myself.config_epoch != 0:
        raise err("Node config epoch is already non-zero")
    st.myself.config_epoch = epoch
    st.current_epoch = max(st.current_epoch, epoch)
    _done(cl, TODO_SAVE_CONFIG | TODO_UPDATE_STATE | TODO_FSYNC_CONFIG)
    return OK


_HELP = [
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes "
    "of a link",
]


@command("help", 2, "loading stale", group="cluster", since="5.0.0", parent="cluster",
         summary="Show helpful text about the different subcommands",
         complexity="O(1)")  # fmt: skip
def cluster_help(client: Any, argv: list[bytes]) -> Any:
    return help_reply("CLUSTER", _HELP)


# -- ASKING, READONLY, READWRITE ------------------------------------------------------------
@command("asking", 1, "fast", group="cluster", since="3.0.0",
         summary="Sent by cluster clients after an -ASK redirect", complexity="O(1)",
         categories=("@fast", "@connection"))  # fmt: skip
def asking(client: Any, argv: list[bytes]) -> Any:
    _cluster(client)
    client.asking = True
    client.slow |= SLOW_ASKING  # the next command takes the full routing check
    return OK


@command("readonly", 1, "loading stale fast", group="cluster", since="3.0.0",
         summary="Enables read queries for a connection to a cluster replica node",
         complexity="O(1)", categories=("@fast", "@connection"))  # fmt: skip
def readonly(client: Any, argv: list[bytes]) -> Any:
    _cluster(client)
    client.readonly = True
    return OK


@command("readwrite", 1, "loading stale fast", group="cluster", since="3.0.0",
         summary="Disables read queries for a connection to a cluster replica node",
         complexity="O(1)", categories=("@fast", "@connection"))  # fmt: skip
def readwrite(client: Any, argv: list[bytes]) -> Any:
    _cluster(client)
    client.readonly = False
    return OK


command("restore-asking", -4, "write denyoom asking", (1, 1, 1), group="server",
        since="3.0.0", summary="An internal command for migrating keys in a cluster",
        complexity="O(1) to create the new key and additional O(N*M) to reconstruct the "
        "serialized value, where N is the number of Redis objects composing the value and M "
        "their average size.", specs=(single("OW update"),),
        categories=("@keyspace", "@write", "@slow", "@dangerous"))(restore)  # fmt: skip


# -- MIGRATE --------------------------------------------------------------------------------
def _migrate_keys(argv: list[bytes]) -> list[int]:
    """migrateGetKeys: the key argument, or the keys after KEYS."""
    i = 6
    while i < len(argv):
        word = argv[i].lower()
        if word == b"auth2":
            i += 3  # neither the username nor the password is a key
            continue
        if word == b"auth":
            i += 2
            continue
        if word == b"keys":
            # with KEYS the key argument must be empty; otherwise no key at all (the command
            # itself then refuses the request)
            return list(range(i + 1, len(argv))) if argv[3] == b"" else []
        i += 1
    return [3]


# migrateGetKeys flags every key it finds RW ACCESS DELETE
GETKEYS_FLAGS["migrate"] = lambda argv, i: "RW access delete"


@command("migrate", -6, "write", (3, 3, 1), group="generic", since="2.6.0",
         summary="Atomically transfer a key from a Redis instance to another one.",
         complexity="This command actually executes a DUMP+DEL in the source instance, and a "
         "RESTORE in the target instance. See the pages of these commands for time "
         "complexity. Also an O(N) data transfer between the two instances is performed.",
         getkeys=_migrate_keys, categories=("@keyspace", "@write", "@slow", "@dangerous"),
         arguments="host:string port:integer key_or_empty_string:oneof{key:key#0 "
         "empty_string:pure-token''} destination-db:integer timeout:integer "
         "copy:pure-token'COPY'?@3.0.0 replace:pure-token'REPLACE'?@3.0.0 "
         "authentication:oneof?{password:string'AUTH'?@4.0.7 "
         "username_password:block'AUTH2'?@6.0.0{username:string password:string}} "
         "key:key'KEYS'?+@3.0.6#1",
         history=(("3.0.0", "Added the `COPY` and `REPLACE` options."),
                  ("3.0.6", "Added the `KEYS` option."), ("4.0.7", "Added the `AUTH` option."),
                  ("6.0.0", "Added the `AUTH2` option.")),
         specs=(spec("RW access delete", ("index", 3), ("range", 0, 1, 0)),
                spec("RW access delete incomplete", ("keyword", "KEYS", -2),
                     ("range", -1, 1, 0))),
         tips=("nondeterministic_output",))  # fmt: skip
def migrate_command(client: Any, argv: list[bytes]) -> Any:
    req = migrate.parse(argv)
    db = client.db
    now = client.now_ms()
    items = []
    for key in req.keys:
        value = db.get(key, now)
        if value is None:
            continue
        ttl = db.ttl_ms(key, now)
        items.append((key, value, now + ttl if ttl > 0 else 0))
    if not items:
        return Simple(b"NOKEY")
    if client.deny_blocking:
        raise err("MIGRATE is not supported inside MULTI or scripts in polystack")
    payloads = migrate.payloads(items)
    cluster_mode = client.server.cluster is not None
    job = migrate.Migration(client, req, payloads, cluster_mode)
    job.start()
    return Raw(job.result) if job.result is not None else client.block(job)
