"""Redis Cluster without sockets: hash slots, the bus codec (with bytes captured from a real
redis-server 7.0.15), nodes.conf, and the state machine of several nodes wired together."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis.cluster import bus, nodesconf
from polystack.redis.cluster.bus import CLUSTER_FAIL, CLUSTER_OK, BusError, BusReader, Message
from polystack.redis.cluster.failover import Elections
from polystack.redis.cluster.node import Node, flags_string
from polystack.redis.cluster.slots import crc16, key_hash_slot
from polystack.redis.cluster.state import ClusterState
from polystack.redis.spec import RedisConfig

DATA = Path(__file__).parent / "cluster_data"


# -- slots -----------------------------------------------------------------------------------
def test_crc16_is_redis_crc16_xmodem() -> None:
    assert crc16(b"123456789") == 0x31C3  # the check value in crc16.c


@pytest.mark.parametrize(
    ("key", "slot"),
    [
        (b"foo", 12182),
        (b"bar", 5061),
        (b"{user1000}.following", key_hash_slot(b"user1000")),
        (b"{user1000}.followers", key_hash_slot(b"user1000")),
        (b"foo{}{bar}", key_hash_slot(b"foo{}{bar}")),  # empty tag: the whole key
        (b"foo{{bar}}zap", key_hash_slot(b"{bar")),
        (b"foo{bar}{zap}", key_hash_slot(b"bar")),
        (b"", 0),
    ],
)
def test_key_hash_slot(key: bytes, slot: int) -> None:
    assert key_hash_slot(key) == slot


# -- the bus codec ---------------------------------------------------------------------------
def test_decode_real_meet() -> None:
    raw = (DATA / "meet_7.0.15.bin").read_bytes()
    m = bus.decode(raw)
    assert m.type == bus.MEET and len(raw) == bus.HEADER_LEN
    assert m.sender == "98f5bb25cab58e17e64758a7221fb875e6c950dd"
    assert (m.port, m.cport, m.flags) == (17001, 27001, bus.NODE_MYSELF | bus.NODE_MASTER)
    assert m.slaveof is None and m.myip == "" and m.state == CLUSTER_FAIL
    assert bus.encode(m) == raw


def test_decode_real_meet_with_hostname_extension() -> None:
    raw = (DATA / "meet_hostname_7.0.15.bin").read_bytes()
    (m,) = BusReader().feed(raw)
    assert m.hostname == "node-one.example"
    assert m.mflags & bus.FLAG0_EXT_DATA
    assert bus.bitmap_slots(m.myslots) == [0, 1, 2, 100]
    assert bus.encode(m) == raw


def test_reader_reassembles_split_messages() -> None:
    raw = (DATA / "meet_hostname_7.0.15.bin").read_bytes() * 3
    reader = BusReader()
    got: list[Message] = []
    for i in range(0, len(raw), 333):
        got += reader.feed(raw[i : i + 333])
    assert len(got) == 3 and reader.buffered == 0


@pytest.mark.parametrize("totlen", [(1 << 30) + 4096, 0xFFFFFFFF])
def test_reader_waits_for_a_message_over_a_gigabyte(totlen: int) -> None:
    """clusterReadHandler refuses only a bad signature or a length under the header's: a
    PUBLISH of a 512 MB channel and a 512 MB message (over 1 GiB) is read whole."""
    raw = (DATA / "meet_7.0.15.bin").read_bytes()
    head = raw[:4] + struct.pack(">I", totlen) + raw[8:]
    reader = BusReader()
    assert reader.feed(head) == [] and reader.buffered == len(head)
    assert reader.feed(b"\0" * 100_000) == []


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b"XXmb" + b[4:], "signature"),
        (lambda b: b[:4] + struct.pack(">I", 100) + b[8:], "length"),
        (lambda b: b[:14] + struct.pack(">H", 3) + b[16:], "expected length"),
    ],
)
def test_malformed_messages_raise(mutate, reason) -> None:
    raw = (DATA / "meet_7.0.15.bin").read_bytes()
    with pytest.raises(BusError):
        BusReader().feed(mutate(raw))


def test_extension_without_padding_is_refused() -> None:
    m = Message(type=bus.PING, sender="a" * 40, hostname="h")
    raw = bytearray(bus.encode(m))
    struct.pack_into(">I", raw, bus.HEADER_LEN, 13)  # not a multiple of 8
    with pytest.raises(BusError, match="proper padding"):
        bus.decode(bytes(raw))


names = st.text("0123456789abcdef", min_size=40, max_size=40)
gossip = st.builds(
    bus.Gossip,
    names,
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["127.0.0.1", "10.0.0.7", "::1", ""]),
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.integers(0, 1023),
    st.integers(0, 65535),
)


@st.composite
def messages(draw) -> Message:
    t = draw(st.sampled_from(range(bus.TYPE_COUNT)))
    m = Message(
        type=t,
        sender=draw(names),
        current_epoch=draw(st.integers(0, 2**64 - 1)),
        config_epoch=draw(st.integers(0, 2**64 - 1)),
        offset=draw(st.integers(0, 2**64 - 1)),
        port=draw(st.integers(0, 65535)),
        cport=draw(st.integers(0, 65535)),
        flags=draw(st.integers(0, 1023)),
        state=draw(st.sampled_from([CLUSTER_OK, CLUSTER_FAIL])),
        myslots=draw(st.binary(min_size=2048, max_size=2048)),
        slaveof=draw(st.none() | names),
        myip=draw(st.sampled_from(["", "127.0.0.1"])),
    )
    if t in (bus.PING, bus.PONG, bus.MEET):
        m.gossip = draw(st.lists(gossip, max_size=5))
        m.hostname = draw(st.none() | st.text("abcdefgh.-", min_size=1, max_size=30))
        m.forgotten = draw(st.lists(st.tuples(names, st.integers(0, 2**64 - 1)), max_size=2))
        m.shard_id = draw(st.none() | names)
    elif t == bus.FAIL:
        m.about = draw(names)
    elif t in (bus.PUBLISH, bus.PUBLISHSHARD):
        m.channel, m.message = draw(st.binary(max_size=20)), draw(st.binary(max_size=50))
    elif t == bus.UPDATE:
        m.update_epoch = draw(st.integers(0, 2**64 - 1))
        m.update_name = draw(names)
        m.update_slots = draw(st.binary(min_size=2048, max_size=2048))
    elif t == bus.MODULE:
        m.module_id, m.module_type = draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 255))
        m.module_payload = draw(st.binary(max_size=30))
    return m


@settings(max_examples=150, deadline=None)
@given(messages())
def test_encode_decode_round_trip(m: Message) -> None:
    raw = bus.encode(m)
    back = bus.decode(raw)
    assert bus.encode(back) == raw
    assert (back.type, back.sender, back.gossip, back.slaveof) == (
        m.type, m.sender, m.gossip, m.slaveof
    )  # fmt: skip
    if m.type == bus.PUBLISH:
        assert (back.channel, back.message) == (m.channel, m.message)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.integers(0, 2400), st.binary(max_size=8))
def test_fuzz_reader_never_fails_otherwise(noise: bytes, at: int, patch: bytes) -> None:
    """Malformed input: BusError (the link is closed) or messages, never another exception."""
    base = bytearray((DATA / "meet_hostname_7.0.15.bin").read_bytes())
    base[at : at + len(patch)] = patch
    for data in (bytes(base), noise, b"RCmb" + noise):
        try:
            BusReader().feed(data)
        except BusError:
            pass


# -- nodes.conf ------------------------------------------------------------------------------
REAL_NODES_CONF = """\
dbd1e2ec6b3526508f2ee8454ffd2b3ffe07f8e0 127.0.0.1:17201@27201 master,fail - 1796612619690 1796612618172 1 disconnected
6a79321f90121341b147297c5ca0d5d7b54f03df 127.0.0.1:17202@27202 myself,master - 0 1796612624000 2 connected 5461-10922 [5461->-b71336d8b6ca8adb99984378c9d9a646dfaa1305]
b71336d8b6ca8adb99984378c9d9a646dfaa1305 127.0.0.1:17205@27205,node5.example master - 0 1796612624000 7 connected 0-5460 10923
5dea3434a20b2e056d814fb5b14e2f91edc48cc3 127.0.0.1:17206@27206 slave 6a79321f90121341b147297c5ca0d5d7b54f03df 0 1796612623558 2 connected
vars currentEpoch 7 lastVoteEpoch 7
"""  # noqa: E501


class FakeHost:
    """A ClusterHost for unit tests: a manual clock, links wired to other states in memory."""

    def __init__(self, net: Net | None = None) -> None:
        self.now = 1_000_000
        self.net = net
        self.state: ClusterState | None = None
        self.master: tuple[str, int] | None = None
        self.offset = 0
        self.published: list[tuple[bytes, bytes, bool]] = []
        self.saved = 0
        self.saved_now: list[tuple[int, int]] = []
        self.fail_save_now = False
        self.paused = False

    def now_ms(self) -> int:
        return self.net.now if self.net is not None else self.now

    def connect(self, node: Node) -> None:
        if self.net is not None:
            self.net.connect(self, node)

    def repl_offset(self) -> int:
        return self.offset

    def set_master(self, host: str, port: int) -> None:
        self.master = (host, port)

    def unset_master(self) -> None:
        self.master = None

    def replication_master(self):
        return self.master

    def master_data_age_ms(self) -> int:
        return 0

    def count_keys_in_slot(self, slot: int) -> int:
        return 0

    def del_keys_in_slot(self, slot: int) -> int:
        return 0

    def publish(self, channel: bytes, message: bytes, shard: bool) -> None:
        self.published.append((channel, message, shard))

    def pause_writes(self, until_ms: int) -> None:
        self.paused = True

    def unpause_writes(self) -> None:
        self.paused = False

    def save_config(self, fsync: bool) -> None:
        self.saved += 1

    def save_config_now(self, fsync: bool) -> None:
        # what a vote's synchronous save sees: its epoch, and the acks sent before it
        if self.fail_save_now:
            raise OSError(28, "No space left on device")
        assert self.state is not None
        acks = self.state.stats_sent[bus.FAILOVER_AUTH_ACK]
        self.saved_now.append((self.state.last_vote_epoch, acks))

    def before_sleep(self) -> None:
        assert self.state is not None
        self.state.before_sleep()


def config(**kw) -> RedisConfig:
    cfg = RedisConfig()
    cfg.cluster_enabled = True
    cfg.cluster_node_timeout = 1000
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


def test_nodes_conf_loads_redis_format_and_writes_it_back(tmp_path: Path) -> None:
    path = tmp_path / "nodes.conf"
    path.write_text(REAL_NODES_CONF)
    cs = ClusterState(FakeHost(), config())
    assert nodesconf.load(cs, str(path))
    me = cs.myself
    assert me.name == "6a79321f90121341b147297c5ca0d5d7b54f03df"
    assert (cs.current_epoch, cs.last_vote_epoch) == (7, 7)
    assert cs.slots[5461] is me and cs.slots[10922] is me and me.numslots == 5462
    other = cs.lookup("b71336d8b6ca8adb99984378c9d9a646dfaa1305")
    assert other.hostname == "node5.example" and cs.slots[10923] is other
    assert cs.migrating_slots_to[5461] is other
    assert cs.lookup("dbd1e2ec6b3526508f2ee8454ffd2b3ffe07f8e0").failed
    replica = cs.lookup("5dea3434a20b2e056d814fb5b14e2f91edc48cc3")
    assert replica.slaveof is me and me.replicas == [replica]
    nodesconf.save(cs, str(path))
    again = ClusterState(FakeHost(), config())
    assert nodesconf.load(again, str(path))
    assert nodesconf.render(again) == nodesconf.render(cs)
    assert not [p for p in os.listdir(tmp_path) if p != "nodes.conf"]  # no temporary left


def test_corrupted_nodes_conf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nodes.conf"
    path.write_text("abc 127.0.0.1:1@2 master\n")
    with pytest.raises(nodesconf.NodesConfError):
        nodesconf.load(ClusterState(FakeHost(), config()), str(path))


def test_flags_string() -> None:
    assert flags_string(bus.NODE_MYSELF | bus.NODE_MASTER) == "myself,master"
    assert flags_string(bus.NODE_SLAVE | bus.NODE_PFAIL) == "slave,fail?"
    assert flags_string(0) == "noflags"


# -- several nodes wired in memory -----------------------------------------------------------
class Net:
    """Nodes exchanging bus messages in memory; ``partitioned`` nodes lose all traffic."""

    def __init__(self, n: int, timeout: int = 1000) -> None:
        self.now = 1_000_000
        self.hosts: list[FakeHost] = []
        self.partitioned: set[str] = set()
        self.queue: list[tuple[object, bytes]] = []
        for i in range(n):
            host = FakeHost(self)
            state = ClusterState(host, config(cluster_node_timeout=timeout))
            Elections(state)
            state.myself.ip, state.myself.port, state.myself.cport = (
                "127.0.0.1",
                7000 + i,
                17000 + i,
            )
            host.state = state
            self.hosts.append(host)

    def by_cport(self, cport: int) -> FakeHost:
        return next(h for h in self.hosts if h.state.myself.cport == cport)

    def connect(self, host: FakeHost, node: Node) -> None:
        src = host.state
        dst_host = self.by_cport(node.cport)
        dst = dst_host.state
        out = src.new_link(node, False)
        node.link = out
        if src.myself.name in self.partitioned or dst.myself.name in self.partitioned:
            src.connect_failed(out)
            return
        inbound = dst.new_link(None, True)
        out.peer_ip = inbound.peer_ip = "127.0.0.1"
        out.local_ip = inbound.local_ip = "127.0.0.1"

        def deliver(state: ClusterState, link) -> object:
            def write(data: bytes) -> None:
                self.queue.append((lambda d=data: self._recv(state, link, d), data))

            return write

        out.write = deliver(dst, inbound)
        inbound.write = deliver(src, out)
        out.close_fn = lambda: dst.link_closed(inbound)
        inbound.close_fn = lambda: src.link_closed(out)
        src.link_connected(out)

    def _recv(self, state: ClusterState, link, data: bytes) -> None:
        if link.closed or state.myself.name in self.partitioned:
            return
        for m in link.reader.feed(data):
            if m.sender in self.partitioned:
                continue
            if not state.process(link, m):
                break
        state.before_sleep()

    def pump(self) -> None:
        while self.queue:
            fn, _ = self.queue.pop(0)
            fn()

    def run(self, ms: int) -> None:
        for _ in range(ms // 100):
            self.now += 100
            for h in self.hosts:
                h.state.cron()
                h.state.before_sleep()
                self.pump()

    def meet_all(self) -> None:
        first = self.hosts[0].state
        for h in self.hosts[1:]:
            me = h.state.myself
            first.start_handshake(me.ip, me.port, me.cport)
        self.run(3000)

    def states(self) -> list[ClusterState]:
        return [h.state for h in self.hosts]


def assign(net: Net, masters: int) -> None:
    per = 16384 // masters
    for i, st_ in enumerate(net.states()[:masters]):
        st_.myself.config_epoch = i + 1
        st_.current_epoch = masters  # as CLUSTER SET-CONFIG-EPOCH leaves it
        for slot in range(i * per, 16384 if i == masters - 1 else (i + 1) * per):
            st_.add_slot(st_.myself, slot)


def test_meet_and_gossip_join_every_node() -> None:
    net = Net(4)
    net.meet_all()
    for s in net.states():
        assert len(s.nodes) == 4
        assert not any(n.in_handshake for n in s.nodes.values())


def test_slots_spread_and_state_turns_ok() -> None:
    net = Net(3)
    assign(net, 3)
    net.meet_all()
    net.run(3000)
    for s in net.states():
        assert s.state == CLUSTER_OK and s.size == 3
        owners = {n.name for n in s.slots}
        assert owners == {x.myself.name for x in net.states()}


def test_pfail_becomes_fail_by_majority_and_minority_stops() -> None:
    net = Net(3)
    assign(net, 3)
    net.meet_all()
    net.run(2000)
    lost = net.states()[2]
    net.partitioned.add(lost.myself.name)
    for s in net.states()[:2]:
        if s.lookup(lost.myself.name).link is not None:
            s.free_link(s.lookup(lost.myself.name).link)
    net.run(4000)
    for s in net.states()[:2]:
        n = s.lookup(lost.myself.name)
        assert n.failed
        assert s.state == CLUSTER_FAIL  # its slots are not served any more
    # the isolated node sees both others unreachable: it is in the minority and stops
    assert lost.state == CLUSTER_FAIL


def _elect(net: Net) -> tuple[ClusterState, ClusterState]:
    replica, master = net.states()[3], net.states()[0]
    replica.set_master(replica.lookup(master.myself.name))
    net.run(3000)
    net.partitioned.add(master.myself.name)
    for s in net.states():
        n = s.lookup(master.myself.name)
        if n is not None and n.link is not None and s is not master:
            s.free_link(n.link)
    net.run(8000)
    return replica, master


def test_replica_is_elected_when_its_master_fails() -> None:
    net = Net(4)
    assign(net, 3)
    net.meet_all()
    replica, master = _elect(net)
    assert replica.myself.is_master
    assert replica.myself.numslots == 16384 // 3
    assert replica.host.master is None  # REPLICAOF NO ONE
    for s in net.states()[1:3]:
        assert s.slots[0].name == replica.myself.name
        assert s.state == CLUSTER_OK


def test_a_vote_is_saved_before_its_ack_leaves() -> None:
    """clusterSendFailoverAuthIfNeeded: nodes.conf (lastVoteEpoch) is on disk, fsynced,
    before the FAILOVER_AUTH_ACK is sent, so a voter that crashes cannot vote twice."""
    net = Net(4)
    assign(net, 3)
    net.meet_all()
    replica, _ = _elect(net)
    assert replica.myself.is_master
    voters = [h for h in net.hosts[1:3] if h.state.stats_sent[bus.FAILOVER_AUTH_ACK]]
    assert voters
    for h in voters:
        epoch, acks_before = h.saved_now[-1]
        assert epoch == h.state.last_vote_epoch == replica.myself.config_epoch
        assert acks_before == h.state.stats_sent[bus.FAILOVER_AUTH_ACK] - 1


def test_a_vote_that_cannot_be_saved_is_withheld() -> None:
    net = Net(4)
    assign(net, 3)
    net.meet_all()
    for h in net.hosts[1:3]:
        h.fail_save_now = True
    replica, _ = _elect(net)
    assert not replica.myself.is_master  # no majority of votes
    for h in net.hosts[1:3]:
        assert h.state.stats_sent[bus.FAILOVER_AUTH_ACK] == 0
        assert h.state.last_vote_epoch > 0  # the epoch's vote is spent all the same


def test_stale_epoch_is_corrected_by_update() -> None:
    net = Net(3)
    assign(net, 3)
    net.meet_all()
    net.run(2000)
    a, b = net.states()[0], net.states()[1]
    # b takes slot 0 with a higher epoch (as after a failover), a's view still has it
    b.current_epoch = b.myself.config_epoch = 10
    a.del_slot(0)
    b.del_slot(0)
    b.add_slot(b.myself, 0)
    net.run(3000)
    assert a.slots[0] is a.lookup(b.myself.name)
    assert a.myself.numslots == 16384 // 3 - 1


def test_config_epoch_collision_is_resolved() -> None:
    net = Net(3)
    assign(net, 3)
    for s in net.states():
        s.myself.config_epoch = 1
    net.meet_all()
    net.run(3000)
    epochs = {s.myself.config_epoch for s in net.states()}
    assert len(epochs) == 3


def test_publish_reaches_every_node() -> None:
    net = Net(3)
    net.meet_all()
    net.states()[0].propagate_publish(b"ch", b"hello")
    net.pump()
    assert [h.published for h in net.hosts[1:]] == [[(b"ch", b"hello", False)]] * 2


@given(st.sets(st.integers(0, bus.CLUSTER_SLOTS - 1), max_size=400), st.booleans())
@settings(max_examples=200, deadline=None)
def test_slot_ranges_are_the_maximal_runs_of_owned_slots(slots: set[int], fill: bool) -> None:
    """Node.slot_ranges (nodes.conf, CLUSTER NODES/SLOTS) reads the bitmap a byte at a time;
    the ranges are exactly the maximal runs of the node's slots."""
    owned = set(range(bus.CLUSTER_SLOTS)) - slots if fill else slots
    node = Node("a" * 40, 0)
    for s in owned:
        node.set_slot_bit(s)
    expected: list[tuple[int, int]] = []
    for s in sorted(owned):
        if expected and expected[-1][1] == s - 1:
            expected[-1] = (expected[-1][0], s)
        else:
            expected.append((s, s))
    assert node.slot_ranges() == expected


def test_replica_migrates_to_an_orphaned_master() -> None:
    """clusterHandleSlaveMigration: the master with the most replicas gives one (the one with
    the smallest node id) to a master whose only replica failed."""
    net = Net(6)
    assign(net, 3)
    net.meet_all()
    states = net.states()
    masters = states[:3]
    layout = {3: 0, 4: 0, 5: 2}
    for r, m in layout.items():
        states[r].set_master(states[r].lookup(masters[m].myself.name))
    net.run(3000)
    lost = states[5]
    net.partitioned.add(lost.myself.name)
    for s in states:
        n = s.lookup(lost.myself.name)
        if s is not lost and n is not None and n.link is not None:
            s.free_link(n.link)
    net.run(12000)
    movers = sorted((states[3], states[4]), key=lambda s: s.myself.name)
    assert movers[0].myself.slaveof.name == masters[2].myself.name
    assert movers[0].host.master == ("127.0.0.1", masters[2].myself.port)
    assert movers[1].myself.slaveof.name == masters[0].myself.name  # the barrier keeps one
    view = masters[1].lookup(movers[0].myself.name)
    assert view.slaveof.name == masters[2].myself.name  # gossip tells the others


def test_an_older_nodes_conf_render_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    """A save written at once (a vote) is not overwritten by an older render still in flight
    on the writer threads."""
    import threading

    from polystack.redis.cluster.link import Cluster

    c = object.__new__(Cluster)
    c.path = str(tmp_path / "nodes.conf")
    c._save_lock = threading.Lock()
    c._written_seq = 0
    c._write_if_newer(2, b"vars currentEpoch 2 lastVoteEpoch 2\n", False)
    c._write_if_newer(1, b"vars currentEpoch 1 lastVoteEpoch 0\n", False)
    assert (tmp_path / "nodes.conf").read_bytes() == b"vars currentEpoch 2 lastVoteEpoch 2\n"
    c._write_if_newer(3, b"vars currentEpoch 3 lastVoteEpoch 2\n", False)
    assert (tmp_path / "nodes.conf").read_bytes() == b"vars currentEpoch 3 lastVoteEpoch 2\n"
