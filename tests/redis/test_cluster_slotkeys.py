"""The slot -> keys index (cluster/slotkeys.py): built by one walk, then kept current from the
logged writes; always the keys a walk of the database finds, newest first, and walked again
only when it cannot follow (a replaced database, a key-less write, a count out of step)."""

from __future__ import annotations

import time

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

import polystack.testing
from polystack.redis.cluster.slotkeys import BACKLOG_SLACK, SlotKeys
from polystack.redis.cluster.slots import key_hash_slot
from polystack.redis.commands.table import server_table
from polystack.redis.store import Keyspace

KEYS = [b"{a}1", b"{a}2", b"{a}3", b"{b}1", b"{b}2", b"c"]
OPS = st.sampled_from(["set", "del", "rename", "flush", "mset", "multi", "query", "unlogged"])


def _walk(data: dict, slot: int) -> list[bytes]:
    return [k for k in reversed(data) if key_hash_slot(k) == slot]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(OPS, st.sampled_from(KEYS), st.sampled_from(KEYS)), max_size=40))
def test_index_equals_a_walk_after_any_writes(ops) -> None:
    ks = Keyspace(1)
    commands, _ = server_table()
    index = SlotKeys(ks, commands.get)
    slots = sorted({key_hash_slot(k) for k in KEYS})

    def log(*entries: list[bytes]) -> None:
        if index.backlog is not None:
            index.backlog.extend((0, argv) for argv in entries)

    for op, k1, k2 in ops:
        db = ks.dbs[0]
        if op == "set":
            db.set(k1, b"v")
            log([b"SET", k1, b"v"])
        elif op == "del":
            db.delete(k1)
            log([b"DEL", k1])
        elif op == "rename" and k1 in db.data and k1 != k2:
            v = db.data[k1]
            db.delete(k1)
            db.delete(k2)
            db.set(k2, v)
            log([b"RENAME", k1, k2])
        elif op == "flush":
            db.clear()
            log([b"FLUSHALL"])
        elif op == "mset":
            db.set(k1, b"x")
            db.set(k2, b"y")
            log([b"MULTI"], [b"MSET", k1, b"x", k2, b"y"], [b"EXEC"])
        elif op == "multi":
            log([b"MULTI"], [b"PING"], [b"EXEC"])
        elif op == "unlogged":  # a change no log names (as a bug elsewhere would make)
            db.set(k1 + b"!", b"z")
        for slot in slots:
            # (the same keys; newest first, except that a key deleted and created again while
            # the index follows writes keeps its place)
            assert sorted(index.keys(slot)) == sorted(_walk(db.data, slot)), (op, slot)
            assert index.count_in(slot) == len(_walk(db.data, slot))


def test_writes_are_followed_without_walks() -> None:
    ks = Keyspace(1)
    commands, _ = server_table()
    index = SlotKeys(ks, commands.get)
    db = ks.dbs[0]
    for i in range(1000):
        db.set(b"k%d" % i, b"v")
    slot = key_hash_slot(b"{t}x")
    assert index.count_in(slot) == 0 and index.walks == 1
    for i in range(50):
        db.set(b"{t}%d" % i, b"v")
        index.backlog.append((0, [b"SET", b"{t}%d" % i, b"v"]))
        assert index.count_in(slot) == i + 1
    db.delete(b"{t}0")
    index.backlog.append((0, [b"DEL", b"{t}0"]))
    assert index.keys(slot)[:2] == [b"{t}49", b"{t}48"] and index.count_in(slot) == 49
    assert index.walks == 1
    db.clear()  # FLUSHALL replaces the database: walked again
    assert index.count_in(slot) == 0 and index.walks == 2


def test_unread_backlog_is_dropped() -> None:
    ks = Keyspace(1)
    commands, _ = server_table()
    index = SlotKeys(ks, commands.get)
    assert index.count_in(0) == 0 and index.backlog == []
    index.backlog.extend([(0, [b"SET", b"k", b"v"])] * (BACKLOG_SLACK + 1))
    assert index.cron() and index.backlog is None and index.by_slot is None
    ks.dbs[0].set(b"k", b"v")
    assert index.keys(key_hash_slot(b"k")) == [b"k"]


@pytest.fixture(scope="module")
def node():
    """``--redis-cluster 1``: one master owning every slot (its slots were never assigned
    before: the in-process join ran only when there were sibling nodes)."""
    with polystack.testing.serve(
        redis=True,
        config_overrides={"redis.cluster_nodes": 1, "redis.enable_debug_command": "yes"},
    ) as handle:
        svc = handle.service("redis")
        port = svc.listening_port()
        deadline = time.monotonic() + 30
        r = redis.Redis(port=port, decode_responses=True)
        while r.execute_command("CLUSTER INFO").get("cluster_state") != "ok":
            assert time.monotonic() < deadline, "cluster_state never ok"
            time.sleep(0.1)
        yield svc, port


def test_countkeysinslot_follows_writes_through_the_server(node) -> None:
    """Through a real client: writes, expiry, MIGRATE-like deletions and FLUSHALL are
    followed; after the first walk only a FLUSHALL walks again."""
    svc, port = node
    r = redis.Redis(port=port)
    r.flushall()
    slot = key_hash_slot(b"{u}")
    assert r.execute_command("CLUSTER COUNTKEYSINSLOT", slot) == 0
    walks = svc.cluster.slot_keys.walks
    for i in range(10):
        r.set(f"{{u}}{i}", "v")
    r.set("{u}short", "v", px=50)
    assert r.execute_command("CLUSTER COUNTKEYSINSLOT", slot) == 11
    assert r.execute_command("CLUSTER GETKEYSINSLOT", slot, 3) == ["{u}short", "{u}9", "{u}8"]
    r.delete("{u}0", "{u}1")
    r.rename("{u}2", "{u}renamed")
    time.sleep(0.2)
    assert r.get("{u}short") is None  # expired: its DEL is logged
    assert r.execute_command("CLUSTER COUNTKEYSINSLOT", slot) == 8
    assert r.execute_command("CLUSTER GETKEYSINSLOT", slot, 1) == ["{u}renamed"]
    with r.pipeline(transaction=True) as p:
        p.set("{u}a", 1).incr("{u}b").lpush("{u}c", 1)
        p.execute()
    r.eval("redis.call('SET', KEYS[1], 1) redis.call('DEL', KEYS[2])", 2, "{u}d", "{u}a")
    assert r.execute_command("CLUSTER COUNTKEYSINSLOT", slot) == 11
    assert svc.cluster.slot_keys.walks == walks
    r.flushall()
    assert r.execute_command("CLUSTER COUNTKEYSINSLOT", slot) == 0
    assert svc.cluster.slot_keys.walks == walks + 1
