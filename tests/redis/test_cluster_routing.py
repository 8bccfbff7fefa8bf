"""The request path's routing map (ClusterState.served, read inline by session._run): after any
sequence of slot, migrating/importing and cluster-state changes it says "served here" exactly
for the slots this node owns, stable, while the cluster is ok — or it is stale and serves
nothing until routing.redirect rebuilds it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis.cluster import slots
from polystack.redis.cluster.bus import CLUSTER_FAIL, CLUSTER_OK, NODE_MASTER
from polystack.redis.cluster.node import Node
from polystack.redis.cluster.routing import serves
from polystack.redis.cluster.slots import key_hash_slot, tag_crc16
from polystack.redis.cluster.state import NOT_SERVED, ClusterState
from tests.redis.test_cluster_units import FakeHost, config

# a few slots, so that operations hit the same ones; the map is checked on all of them
SLOTS = [0, 1, 16383]
OPS = st.sampled_from(
    ["add", "del", "migrating", "importing", "stable", "del_importing", "close_all",
     "ok", "fail", "forget", "rebuild", "update_state"]
)  # fmt: skip


def _expected(state: ClusterState, slot: int) -> bool:
    return (
        state.state == CLUSTER_OK
        and state.slots[slot] is state.myself
        and slot not in state.migrating_slots_to
        and slot not in state.importing_slots_from
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(OPS, st.sampled_from(SLOTS), st.integers(0, 2)), max_size=20))
def test_served_map_follows_every_change(ops: list[tuple[str, int, int]]) -> None:
    host = FakeHost()
    state = ClusterState(host, config(cluster_require_full_coverage=False))
    host.state = state
    others = []
    for i in range(2):
        n = Node(f"{i:040d}", NODE_MASTER)
        state.add_node(n)
        others.append(n)
    nodes = [state.myself, *others]
    state.add_slot(state.myself, 0)
    state.add_slot(state.myself, 1)
    state.add_slot(others[0], 16383)
    state.state = CLUSTER_OK
    for op, slot, who in ops:
        node = nodes[who]
        if op == "add":
            state.add_slot(node, slot)
        elif op == "del":
            state.del_slot(slot)
        elif op == "migrating":
            state.migrating_slots_to[slot] = node
        elif op == "importing":
            state.importing_slots_from[slot] = node
        elif op == "stable":
            state.migrating_slots_to.pop(slot, None)
            state.importing_slots_from.pop(slot, None)
        elif op == "del_importing":
            if slot in state.importing_slots_from:
                del state.importing_slots_from[slot]
        elif op == "close_all":
            state.close_all_slots()
        elif op == "ok":
            state.state = CLUSTER_OK
        elif op == "fail":
            state.state = CLUSTER_FAIL
        elif op == "forget" and node is not state.myself and node.name in state.nodes:
            state.del_node(node)
        elif op == "rebuild":
            state.before_sleep()  # what each loop turn does
        elif op == "update_state":
            host.now += 60_000
            state.update_state()
        served = state.served
        if state.served_stale:
            assert not any(served) and len(served) == len(NOT_SERVED)
            state.rebuild_served()
            served = state.served
        assert len(served) == 4 * 16384
        for s in SLOTS:
            want = _expected(state, s)
            assert [served[s + k * 16384] for k in range(4)] == [want] * 4, (op, s)


def test_serves_reads_the_hash_tag() -> None:
    host = FakeHost()
    state = ClusterState(host, config())
    host.state = state
    for slot in range(16384):
        state.add_slot(state.myself, slot)
    state.state = CLUSTER_OK
    state.rebuild_served()
    mine = key_hash_slot(b"user1000")
    state.migrating_slots_to[mine] = Node("x" * 40, NODE_MASTER)
    state.rebuild_served()
    assert not serves(state, b"{user1000}.following")
    assert not serves(state, b"user1000")
    assert serves(state, b"{user1001}.following")
    assert serves(state, b"foo{}{user1000}")  # an empty tag: the whole key is hashed
    state.state = CLUSTER_FAIL
    assert not serves(state, b"foo")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=12), st.binary(max_size=12), st.sampled_from([b"", b"}", b"}x}"]))
def test_tag_crc16_picks_the_slot_key_hash_slot_picks(head: bytes, tag: bytes, tail: bytes):
    """The request path's CRC16 of a key with a "{" (session._run) indexes the served map at
    the key's slot: its hash tag, an empty or unclosed tag hashing the whole key."""
    key = head + b"{" + tag + tail
    assert tag_crc16(key) & 16383 == key_hash_slot(key)


def test_tag_crc16_memo_is_bounded(monkeypatch) -> None:
    """The request path's memo of tagged keys' CRC16 keeps short keys only, and is emptied
    when full: it never holds more than TAG_CRCS_LIMIT keys of TAG_CRCS_KEY_MAX bytes."""
    monkeypatch.setattr(slots, "TAG_CRCS_LIMIT", 4)
    slots.TAG_CRCS.clear()
    keys = [b"k{%d}" % i for i in range(10)]
    for key in keys:
        assert slots.remember_tag_crc16(key) == tag_crc16(key)
        assert slots.TAG_CRCS[key] == tag_crc16(key)
        assert len(slots.TAG_CRCS) <= 4
    long_key = b"{t}" + b"x" * slots.TAG_CRCS_KEY_MAX
    assert slots.remember_tag_crc16(long_key) == tag_crc16(long_key)
    assert long_key not in slots.TAG_CRCS
    slots.TAG_CRCS.clear()


def test_every_lean_command_of_a_cluster_node_has_its_one_key_in_argv1() -> None:
    """The batch path for plain clients (plainbatch.py) routes a request by argv[1] alone: in
    cluster mode its table may hold only commands whose one key is argv[1]."""
    import polystack.testing

    with polystack.testing.serve(
        redis=True, admin=False, config_overrides={"redis.cluster_enabled": True}
    ) as handle:
        svc = handle.service("redis")
        assert svc.cluster is not None
        lean = {cmd.name for cmd in svc.lean.values()}
        assert {"get", "set", "incr", "hset", "lpush", "zadd"} <= lean
        assert not {"mget", "mset", "exists"} & lean  # several keys: _run's full check
        for cmd in svc.lean.values():
            assert (cmd.first_key, cmd.last_key, cmd.getkeys) == (1, 1, None), cmd.name
