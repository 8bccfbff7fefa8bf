"""Streams through redis-py (sync and asyncio), the stream model against a plain model under
random operations (hypothesis), listpack node round trips, the radix tree's node counter, and
stream writes surviving SIGKILL + restart (auto IDs, approximate trims and consumer group
state replayed from the log)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import rdb
from polystack.redis.rax import Rax
from polystack.redis.store import EncodingLimits
from polystack.redis.stream_rdb import node_from_listpack, read_stream, write_rdb
from polystack.redis.stream_type import MAX_ID, Stream
from tests.processes import ServeProcess


def test_stream_commands(r, r3) -> None:
    assert r.xadd("s", {"a": "1"}, id="1-1") == b"1-1"
    assert r.xadd("s", {"a": "2", "b": "x"}, id="1-*") == b"1-2"
    auto = r.xadd("s", {"c": "3"})
    assert auto.split(b"-")[0].isdigit()
    assert r.xlen("s") == 3
    assert r.xrange("s", "-", "+", count=2) == [
        (b"1-1", {b"a": b"1"}),
        (b"1-2", {b"a": b"2", b"b": b"x"}),
    ]
    assert r.xrevrange("s", "+", "(1-1")[-1][0] == b"1-2"
    assert r.xdel("s", "1-1", "9-9") == 1
    assert r.xtrim("s", maxlen=1, approximate=False) == 1
    assert r.xlen("s") == 1
    assert r.xadd("s", {"d": "4"}, id="99999999999999-0", maxlen=1, approximate=False)
    assert r.xlen("s") == 1
    info = r.xinfo_stream("s")
    assert info["length"] == 1 and info["entries-added"] == 4
    assert info["last-generated-id"] == b"99999999999999-0"
    assert r3.xinfo_stream("s")["radix-tree-keys"] == 1
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        r.xadd("s", {"x": "1"}, id="1-1")
    assert r.xadd("nostream", {"x": "1"}, nomkstream=True) is None
    assert r.xread({"s": "0"}) == [[b"s", [(b"99999999999999-0", {b"d": b"4"})]]]
    assert r3.xread({"s": "0"}) == {b"s": [[(b"99999999999999-0", {b"d": b"4"})]]}
    assert r.xread({"s": "$"}, block=10) in (None, [])
    assert r.execute_command("XSETID", "s", "99999999999999-5") == b"OK"


def test_consumer_groups(r) -> None:
    for i in range(1, 5):
        r.xadd("q", {"n": str(i)}, id=f"{i}-0")
    assert r.xgroup_create("q", "g", id="0") is True
    with pytest.raises(redis.ResponseError, match="BUSYGROUP"):
        r.xgroup_create("q", "g", id="0")
    got = r.xreadgroup("g", "alice", {"q": ">"}, count=2)
    assert [e[0] for e in got[0][1]] == [b"1-0", b"2-0"]
    assert r.xreadgroup("g", "bob", {"q": ">"})[0][1][0][0] == b"3-0"
    summary = r.xpending("q", "g")
    assert summary["pending"] == 4 and summary["min"] == b"1-0" and summary["max"] == b"4-0"
    assert {c["name"]: c["pending"] for c in summary["consumers"]} == {b"alice": 2, b"bob": 2}
    detail = r.xpending_range("q", "g", "-", "+", 10, consumername="alice")
    assert [d["message_id"] for d in detail] == [b"1-0", b"2-0"]
    assert detail[0]["times_delivered"] == 1
    assert r.xack("q", "g", "1-0", "9-0") == 1
    claimed = r.xclaim("q", "g", "carol", 0, ["2-0"], justid=True)
    assert claimed == [b"2-0"]
    cursor, entries, deleted = r.xautoclaim("q", "g", "dave", 0, "0", count=1)
    assert cursor == b"3-0" and entries[0][0] == b"2-0" and deleted == []
    groups = r.xinfo_groups("q")
    assert groups[0]["name"] == b"g" and groups[0]["pending"] == 3 and groups[0]["lag"] == 0
    names = [c["name"] for c in r.xinfo_consumers("q", "g")]
    assert names == [b"alice", b"bob", b"carol", b"dave"]
    assert r.xgroup_createconsumer("q", "g", "erin") == 1
    assert r.xgroup_delconsumer("q", "g", "bob") == 2
    assert r.xgroup_setid("q", "g", "0") is True
    assert r.xgroup_destroy("q", "g") == 1
    full = r.xinfo_stream("q", full=True)
    assert full["groups"] == [] and len(full["entries"]) == 4


def test_blocking_read_is_woken(server) -> None:
    waiter = redis.Redis(port=server.redis_port)
    writer = redis.Redis(port=server.redis_port)
    writer.delete("b")
    writer.xgroup_create("b", "g", id="$", mkstream=True)
    result: list = []

    async def main() -> None:
        c = redis.asyncio.Redis(port=server.redis_port)
        try:
            task = asyncio.ensure_future(c.xreadgroup("g", "w", {"b": ">"}, block=0))
            deadline = time.monotonic() + 5
            while writer.info("clients")["blocked_clients"] < 1:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            writer.xadd("b", {"k": "v"}, id="7-7")
            result.append(await asyncio.wait_for(task, 10))
            result.append(await c.xpending("b", "g"))
        finally:
            await c.aclose()

    asyncio.run(main())
    assert result[0] == [[b"b", [(b"7-7", {b"k": b"v"})]]]
    assert result[1]["pending"] == 1
    waiter.close()
    writer.close()


# -- the model -----------------------------------------------------------------------------------
_LIMITS = st.builds(
    EncodingLimits,
    stream_node_max_bytes=st.sampled_from([0, 1, 80, 300, 4096]),
    stream_node_max_entries=st.sampled_from([0, 1, 2, 5, 100]),
)
_FIELDS = st.sampled_from([(b"a",), (b"a", b"b"), (b"b", b"a"), (b"1",), (b"x", b"y", b"z")])
_VALUE = st.one_of(st.sampled_from([b"1", b"-5", b"v", b"00", b""]), st.binary(max_size=70))
_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 3), _FIELDS, _VALUE),
        st.tuples(st.just("del"), st.integers(0, 60)),
        st.tuples(st.just("maxlen"), st.integers(0, 30), st.booleans()),
        st.tuples(st.just("minid"), st.integers(0, 60), st.booleans()),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(_LIMITS, _OPS)
def test_stream_model_matches_a_plain_model(limits: EncodingLimits, ops: list) -> None:
    """Ranges and lengths as a sorted dict of live entries predicts them (exact
    trims; an approximate trim removes whole nodes only, so the stream keeps at least what an
    exact trim would); the node listpacks and the RDB form round-trip."""
    s = Stream()
    model: dict[int, tuple] = {}
    ms = 0
    for op in ops:
        if op[0] == "add":
            ms += op[1] + 1
            sid = ms << 64
            values = tuple(op[3] for _ in op[2])
            s.append(sid, op[2], values, limits)
            model[sid] = (op[2], values)
        elif op[0] == "del":
            sid = op[1] << 64
            assert s.delete(sid) == (sid in model)
            model.pop(sid, None)
        elif op[0] == "maxlen":
            before = len(model)
            removed = s.trim(op[1], None, op[2], 0)
            keep = sorted(model)[-op[1] :] if op[1] else []
            if not op[2]:
                assert removed == before - len(keep)
            for sid in sorted(model)[:removed]:
                del model[sid]
        else:
            minid = op[1] << 64
            removed = s.trim(None, minid, op[2], 0)
            doomed = sorted(sid for sid in model if sid < minid)
            if not op[2]:
                assert removed == len(doomed)
            for sid in doomed[:removed]:
                del model[sid]
        assert len(s) == len(model)
    want = [
        [b"%d-0" % (sid >> 64), [x for p in zip(*model[sid], strict=True) for x in p]]
        for sid in sorted(model)
    ]
    assert s.range(0, MAX_ID) == want
    assert s.range(0, MAX_ID, rev=True) == want[::-1]
    for node in s.nodes:
        again = node_from_listpack(node.master, node.encode())
        assert again.elements() == node.elements() and again.lp_bytes() == node.lp_bytes()
        assert node.lp_bytes() == len(node.encode())
    loaded = read_stream(rdb.Reader(write_rdb(s)), limits)
    assert write_rdb(loaded) == write_rdb(s)
    assert loaded.range(0, MAX_ID) == want


def _count_nodes(rax: Rax) -> int:
    seen = 0
    stack = [rax.head]
    while stack:
        node = stack.pop()
        seen += 1
        stack.extend(node.children)
    return seen


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(min_size=1, max_size=6)), max_size=60))
def test_rax_counts_its_nodes(ops: list) -> None:
    rax = Rax()
    keys: set[bytes] = set()
    for insert, key in ops:
        if insert:
            assert rax.insert(key) == (key not in keys)
            keys.add(key)
        else:
            assert rax.remove(key) == (key in keys)
            keys.discard(key)
        assert rax.numele == len(keys)
        assert rax.numnodes == _count_nodes(rax)
    for key in sorted(keys):
        assert rax.remove(key)
    assert rax.numnodes == 1 and rax.numele == 0


# -- durability ---------------------------------------------------------------------------------
def _state(c: redis.Redis) -> list:
    full = c.xinfo_stream("s", full=True)
    for g in full["groups"]:
        for consumer in g["consumers"]:
            consumer["seen-time"] = 0  # restamped by the replay
    return [full, c.xrange("s"), c.xpending("s", "g")]


def test_streams_survive_sigkill(tmp_path) -> None:
    proc = ServeProcess(tmp_path, "--appendfsync", "always").start()
    c = redis.Redis(port=proc.ports["redis"])
    pipe = c.pipeline(transaction=False)
    for i in range(205):
        pipe.xadd("s", {"n": i})  # auto IDs: logged with the IDs generated
    pipe.execute()
    c.xadd("s", {"n": "t"}, maxlen=100, approximate=True)  # logged as the exact trim it was
    assert c.xlen("s") == 106  # the first 100-entry node went
    c.xgroup_create("s", "g", id="0")
    c.xreadgroup("g", "alice", {"s": ">"}, count=2)
    c.xreadgroup("g", "bob", {"s": ">"}, count=1, noack=True)
    first = c.xrange("s", count=1)[0][0]
    c.xclaim("s", "g", "carol", 0, [first])
    c.xautoclaim("s", "g", "dave", 0, "0", count=1)
    c.xreadgroup("g", "erin", {"s": "0"})  # creates erin, reads her (empty) history
    c.xack("s", "g", first)
    before = _state(c)
    proc.kill9()
    proc.start()
    c = redis.Redis(port=proc.ports["redis"])
    assert _state(c) == before
    proc.terminate()
