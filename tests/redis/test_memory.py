"""Memory: MEMORY USAGE/STATS/DOCTOR/HELP against Redis 7.0, INFO memory, and maxmemory
with every eviction policy, OOM refusals (commands, MULTI, scripts) and evicted keys'
events, log records and counters."""

from __future__ import annotations

import pytest
import redis

import polystack.testing
from polystack.redis import memory


def test_alloc_follows_jemalloc_size_classes() -> None:
    assert [memory.alloc(n) for n in (1, 8, 9, 17, 49, 129, 161, 1004, 4097)] == [
        8, 8, 16, 32, 64, 160, 192, 1024, 5120,
    ]  # fmt: skip


def fill(r) -> None:
    r.flushall()
    r.set("a", 1)
    r.set("b", 12345678901)
    for name, n in (("c", 10), ("d", 44), ("e", 45), ("f", 100), ("g", 1000), ("h", 70000)):
        r.set(name, "x" * n)
    r.set("longkeyname_____________________________", "v")
    r.hset("h1", "f", "v")
    r.sadd("s1", 1, 2, 3)
    r.sadd("s2", "a", "b", "c")
    r.zadd("z1", {"a": 1, "b": 2})
    r.zadd("z2", {f"m{i}": i * 1.5 for i in range(200)})
    r.hset("hb100", mapping={f"field{i}": f"value{i}" for i in range(1, 101)})
    r.hset("hb1000", mapping={f"field{i}": f"value{i}" for i in range(1, 1001)})
    r.sadd("si", *range(1000))
    r.sadd("sb", *[f"m{i}" for i in range(1000)])
    r.zadd("z3", {f"member{i}": i for i in range(100)})


KEYS = ["a", "b", "c", "d", "e", "f", "g", "h", "longkeyname_____________________________", "h1",
        "s1", "s2", "z1", "z2", "hb100", "hb1000", "si", "sb", "z3"]  # fmt: skip


@pytest.mark.differential
def test_memory_usage_like_redis(server, real_redis) -> None:
    got = []
    for port in (server.redis_port, real_redis.port):
        r = redis.Redis(port=port)
        fill(r)
        got.append({k: r.memory_usage(k, samples=0) for k in KEYS})
        r.flushall()
    ours, theirs = got
    for k in KEYS:
        if k == "z2":  # skiplist nodes have random levels: the expected size, not Redis's draw
            assert abs(ours[k] - theirs[k]) / theirs[k] < 0.1
        else:
            assert ours[k] == theirs[k], k


@pytest.mark.differential
def test_memory_commands_like_redis(differ) -> None:
    cmds = [
        ["SET", "k", "v"], ["MEMORY", "USAGE", "k"], ["MEMORY", "USAGE", "nosuch"],
        ["MEMORY", "USAGE", "k", "SAMPLES", "x"], ["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
        ["MEMORY", "USAGE", "k", "SAMPLES", "0"], ["MEMORY", "USAGE", "k", "foo"],
        ["MEMORY", "USAGE", "k", "SAMPLES"], ["MEMORY", "USAGE"], ["MEMORY", "HELP"],
        ["MEMORY", "PURGE"], ["MEMORY", "NOSUCH"], ["MEMORY"],
        *[["COMMAND", "INFO", f"memory|{s}"] for s in
          ("usage", "stats", "doctor", "malloc-stats", "purge", "help")],
        *[["COMMAND", "DOCS", f"memory|{s}"] for s in
          ("usage", "stats", "doctor", "malloc-stats", "purge", "help")],
    ]  # fmt: skip
    ours, theirs = differ(cmds)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd


@pytest.mark.differential
def test_memory_stats_has_redis_fields(server, real_redis) -> None:
    names = []
    for port in (server.redis_port, real_redis.port):
        r = redis.Redis(port=port)
        r.flushall()
        r.set("k", "v")
        names.append(list(r.memory_stats()))
        r.flushall()
    assert names[0] == names[1]


def test_info_memory_reports_the_dataset(r) -> None:
    before = r.info("memory")["used_memory"]
    r.set("big", "x" * 100000)
    after = r.info("memory")
    assert after["used_memory"] - before >= 100000
    assert after["used_memory_startup"] == memory.STARTUP
    assert after["used_memory_dataset"] > 100000


# -- maxmemory ------------------------------------------------------------------------------------


@pytest.fixture
def limited():
    """A server whose clock only moves when the test says so (LRU idle times, LFU decay)."""
    from polystack.runtime.clock import ManualClock

    clock = ManualClock()
    with polystack.testing.serve(redis=True, clock=clock) as s:
        r = redis.Redis(port=s.redis_port)
        yield s, r
        r.close()


def _limit(r, extra: int, policy: str) -> int:
    used = r.info("memory")["used_memory"]
    r.config_set("maxmemory-policy", policy)
    r.config_set("maxmemory", used + extra)
    return used + extra


def test_noeviction_refuses_writes_with_oom(limited) -> None:
    s, r = limited
    limit = _limit(r, 50_000, "noeviction")
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for i in range(1000):
            r.set(f"k{i}", "x" * 1000)
    assert r.get("k0") == b"x" * 1000  # reads still work
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        r.eval("return redis.call('set', 'y', 'z')", 0)
    with pytest.raises(redis.ResponseError, match="allow-oom flag is not set"):
        r.eval("#!lua\nreturn redis.call('set', 'y', 'z')", 0)
    assert r.eval("#!lua flags=allow-oom\nreturn redis.call('set', 'y', 'z')", 0) == b"OK"
    assert r.eval("return redis.call('get', 'k0')", 0) == b"x" * 1000
    p = r.pipeline(transaction=True)
    p.get("k0")  # queuing in MULTI takes memory: refused too
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        p.execute()
    assert r.delete("k0", "k1", "k2", "k3", "k4") == 5  # DEL is not denyoom: memory comes back
    assert r.set("fits", "v")
    assert r.info("memory")["used_memory"] <= limit
    assert r.info("stats")["evicted_keys"] == 0


@pytest.mark.parametrize("policy", ["allkeys-random", "allkeys-lru", "allkeys-lfu"])
def test_allkeys_policies_evict_to_stay_under_the_limit(limited, policy) -> None:
    s, r = limited
    limit = _limit(r, 100_000, policy)
    for i in range(500):
        r.set(f"k{i}", "x" * 1000)
    info = r.info()
    assert info["used_memory"] <= limit
    assert info["evicted_keys"] > 300
    assert r.dbsize() + info["evicted_keys"] == 500


def test_allkeys_lru_keeps_recently_used_keys(limited) -> None:
    s, r = limited
    for i in range(100):
        r.set(f"old{i}", "x" * 1000)
    s.advance(100)
    for i in range(100):
        r.get(f"old{i}") if i < 10 else None  # ten old keys used again: recent now
    s.advance(50)
    r.config_set("maxmemory-samples", 100)  # sampling every key: exact LRU
    _limit(r, 0, "allkeys-lru")
    for i in range(40):
        r.set(f"new{i}", "x" * 1000)
    survivors = [i for i in range(100) if r.exists(f"old{i}")]
    assert set(range(10)) <= set(survivors)  # the recently used old keys survived
    assert len(survivors) < 80


def test_allkeys_lfu_keeps_frequently_used_keys(limited) -> None:
    s, r = limited
    r.config_set("maxmemory-policy", "allkeys-lfu")
    for i in range(100):
        r.set(f"k{i}", "x" * 1000)
    for _ in range(200):
        for i in range(10):
            r.get(f"k{i}")
    assert r.object("freq", "k0") > r.object("freq", "k50")
    _limit(r, 0, "allkeys-lfu")
    for i in range(40):
        r.set(f"new{i}", "x" * 1000)
    assert all(r.exists(f"k{i}") for i in range(10))


def test_volatile_policies_only_evict_keys_with_a_ttl(limited) -> None:
    s, r = limited
    for i in range(50):
        r.set(f"keep{i}", "x" * 1000)
    for i in range(50):
        r.set(f"ttl{i}", "x" * 1000, ex=1000 + i)
    r.config_set("maxmemory-samples", 100)  # sampling every key: the nearest TTLs first
    _limit(r, 0, "volatile-ttl")
    r.set("push", "x" * 10000)
    assert all(r.exists(f"keep{i}") for i in range(50))
    gone = [i for i in range(50) if not r.exists(f"ttl{i}")]
    assert gone and gone == list(range(len(gone)))  # the nearest deadlines went first
    r.config_set("maxmemory-policy", "volatile-random")
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for i in range(200):
            r.set(f"more{i}", "x" * 1000)
    assert all(r.exists(f"keep{i}") for i in range(50))
    assert r.dbsize() >= 50


def test_evicted_keys_are_announced_and_logged(tmp_path) -> None:
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        r.config_set("notify-keyspace-events", "Ee")
        p = r.pubsub()
        p.subscribe("__keyevent@0__:evicted")
        assert p.get_message(timeout=1)["type"] == "subscribe"
        _limit(r, 20_000, "allkeys-random")
        for i in range(100):
            r.set(f"k{i}", "x" * 1000)
        msg = p.get_message(timeout=1)
        assert msg is not None and msg["data"].startswith(b"k")
        left = sorted(r.keys("*"))
        p.close()
        r.config_set("maxmemory", 0)
        r.close()
        s.restart()
        r = redis.Redis(port=s.redis_port)
        assert sorted(r.keys("*")) == left  # the evictions were logged as DELs
        r.close()
