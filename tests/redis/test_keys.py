"""Generic keyspace commands through redis-py (RESP2 and RESP3); expiry and idle time on a
server with a manual clock; SCAN's guarantee while keys come and go."""

from __future__ import annotations

import random

import pytest
import redis

import polystack.testing
from polystack.runtime.clock import ManualClock

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def clocked():
    """A polystack whose clock only moves when the test says so."""
    clock = ManualClock(T0)
    with polystack.testing.serve(redis=True, clock=clock) as s:
        yield s


@pytest.fixture
def rc(clocked):
    client = redis.Redis(port=clocked.redis_port)
    client.flushall()
    yield client
    client.close()


def test_del_unlink_exists_touch_type(r) -> None:
    r.mset({"a": "1", "b": "2", "c": "3"})
    assert r.exists("a", "a", "z") == 2
    assert r.delete("a", "z") == 1
    assert r.unlink("b", "c") == 2
    assert r.exists("a", "b", "c") == 0
    r.set("s", "x")
    assert r.type("s") == b"string"
    assert r.type("nokey") == b"none"
    assert r.touch("s", "nokey", "s") == 2


def test_expire_family(r) -> None:
    assert r.expire("nokey", 10) is False
    r.set("k", "v")
    assert r.expire("k", 1000) is True
    assert r.ttl("k") == 1000
    assert r.expire("k", 2000, nx=True) is False
    assert r.expire("k", 2000, xx=True) is True
    assert r.expire("k", 1000, gt=True) is False
    assert r.expire("k", 3000, gt=True) is True
    assert r.expire("k", 500, lt=True) is True
    assert r.ttl("k") == 500
    assert r.pexpire("k", 1_000_000) is True
    assert r.ttl("k") == 1000
    assert r.expireat("k", 4102444800) is True
    assert r.expiretime("k") == 4102444800
    assert r.pexpireat("k", 4102444800123) is True
    assert r.pexpiretime("k") == 4102444800123
    assert r.persist("k") is True
    assert r.persist("k") is False
    assert r.ttl("k") == -1
    assert r.ttl("nokey") == -2
    assert r.pttl("nokey") == -2
    assert r.expiretime("k") == -1
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'expire' command"):
        r.expire("k", 9223372036854775807)
    with pytest.raises(redis.ResponseError, match="^Unsupported option FOO$"):
        r.execute_command("EXPIRE", "k", "10", "FOO")
    with pytest.raises(redis.ResponseError, match="NX and XX, GT or LT options"):
        r.execute_command("EXPIRE", "k", "10", "NX", "GT")
    with pytest.raises(redis.ResponseError, match="GT and LT options at the same time"):
        r.execute_command("EXPIRE", "k", "10", "GT", "LT")
    assert r.expire("k", -1) is True
    assert r.exists("k") == 0


def test_keys_expire_with_the_clock(clocked, rc) -> None:
    rc.set("a", "1", ex=10)
    rc.set("b", "1", px=1500)
    rc.set("c", "1")
    assert rc.ttl("a") == 10
    assert rc.pttl("b") == 1500
    clocked.advance(1.0)
    assert rc.ttl("a") == 9
    assert abs(rc.pttl("b") - 500) <= 1  # the manual clock's float seconds may round by 1 ms
    assert rc.ttl("b") == 1  # rounded as Redis rounds: (500 + 500) // 1000
    clocked.advance(0.6)
    assert rc.get("b") is None
    assert rc.pttl("b") == -2
    assert sorted(rc.keys("*")) == [b"a", b"c"]
    clocked.advance(20)
    assert rc.keys("*") == [b"c"]
    assert rc.dbsize() <= 2
    assert rc.exists("a") == 0


def test_object_idletime_follows_the_clock(clocked, rc) -> None:
    rc.set("k", "v", ex=100000)
    rc.getex("k")
    clocked.advance(42)
    assert rc.object("idletime", "k") == 42
    rc.touch("k")
    assert rc.object("idletime", "k") == 0
    clocked.advance(7)
    rc.strlen("k")
    assert rc.object("idletime", "k") == 0


def test_set_stamps_the_access_time_of_the_value_it_stores(clocked, rc) -> None:
    """SET makes a new object (created now): its idle time counts from the SET, on the fast
    path (a plain SET) as on the option path, for a new key and for an overwrite."""
    rc.set("k", "v")
    rc.set("o", "v", nx=True)
    clocked.advance(42)
    assert rc.object("idletime", "k") == 42
    assert rc.object("idletime", "o") == 42
    rc.set("k", "w")
    rc.set("o", "w", xx=True)
    assert rc.object("idletime", "k") == 0
    assert rc.object("idletime", "o") == 0
    clocked.advance(5)
    rc.incr("n")
    clocked.advance(3)
    assert rc.object("idletime", "n") == 3


def test_lfu_policy_switch_changes_what_accesses_record(clocked, rc) -> None:
    """CONFIG SET maxmemory-policy decides once whether accesses stamp the LRU clock or count
    LFU frequency; an LFU counter survives a SET over its key (dbOverwrite keeps it)."""
    rc.config_set("maxmemory-policy", "allkeys-lfu")
    rc.set("k", "v")
    assert rc.object("freq", "k") == 5  # LFU_INIT_VAL
    for _ in range(300):
        rc.get("k")
    counted = rc.object("freq", "k")
    assert counted > 5
    rc.set("k", "w")
    assert rc.object("freq", "k") >= counted
    rc.config_set("maxmemory-policy", "allkeys-lru")
    rc.set("k", "x")
    clocked.advance(9)
    assert rc.object("idletime", "k") == 9
    rc.get("k")
    assert rc.object("idletime", "k") == 0
    rc.config_set("maxmemory-policy", "noeviction")


def test_rename(r) -> None:
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        r.rename("nokey", "x")
    r.set("a", "1", ex=1000)
    assert r.rename("a", "b") is True
    assert r.get("b") == b"1"
    assert r.ttl("b") == 1000
    r.set("c", "3")
    assert r.renamenx("c", "b") is False
    assert r.renamenx("c", "d") is True
    assert r.rename("d", "d") is True


def test_copy_and_move(r) -> None:
    r.set("a", "1", ex=1000)
    assert r.copy("a", "b") is True
    assert r.copy("a", "b") is False
    assert r.copy("a", "b", replace=True) is True
    assert r.ttl("b") == 1000
    assert r.copy("a", "a", destination_db=3) is True
    with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
        r.copy("a", "a")
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.copy("a", "z", destination_db=16)
    assert r.move("b", 2) is True
    assert r.move("b", 2) is False
    r2 = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=2)
    assert r2.get("b") == b"1"
    assert r2.ttl("b") == 1000
    r2.close()
    with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
        r.move("a", 0)


def test_keys_and_randomkey(r) -> None:
    assert r.randomkey() is None
    assert r.keys() == []
    r.mset({"hello": 1, "hallo": 2, "hxllo": 3, "world": 4})
    assert sorted(r.keys("h?llo")) == [b"hallo", b"hello", b"hxllo"]
    assert sorted(r.keys("h[ae]llo")) == [b"hallo", b"hello"]
    assert r.keys("w*") == [b"world"]
    seen = {r.randomkey() for _ in range(60)}
    assert seen <= {b"hello", b"hallo", b"hxllo", b"world"}
    assert len(seen) >= 2


def test_scan_basics(r) -> None:
    names = [f"key:{i}" for i in range(250)]
    r.mset({n: "v" for n in names})
    r.set("other", "x")
    got = list(r.scan_iter(match="key:*", count=17))
    assert sorted(got) == sorted(n.encode() for n in names)
    cursor, batch = r.scan(0, count=1000)
    assert cursor == 0
    assert len(batch) == 251
    assert list(r.scan_iter(_type="string", match="other")) == [b"other"]
    assert list(r.scan_iter(_type="list")) == []
    with pytest.raises(redis.ResponseError, match="invalid cursor"):
        r.execute_command("SCAN", "abc")


def test_scan_guarantee_under_concurrent_modification(r, server) -> None:
    """Every key present for the whole iteration is returned, while another client adds and
    removes other keys between the calls."""
    rng = random.Random(3)
    stable = {f"stable:{i}".encode() for i in range(400)}
    r.mset({k: "1" for k in stable})
    churn = redis.Redis(port=server.redis_port)
    transient: list[str] = []
    seen: set[bytes] = set()
    cursor = 0
    calls = 0
    while True:
        cursor, batch = r.scan(cursor, count=rng.randint(1, 25))
        seen.update(batch)
        calls += 1
        for _ in range(rng.randint(0, 15)):
            name = f"tmp:{rng.randrange(10**9)}"
            churn.set(name, "x")
            transient.append(name)
        while transient and rng.random() < 0.5:
            churn.delete(transient.pop(rng.randrange(len(transient))))
        if calls % 7 == 0:
            # another iteration starting meanwhile rebuilds the order it scans by
            churn.scan(0, count=5)
        if cursor == 0:
            break
    churn.close()
    assert stable <= seen
    assert calls > 10


def test_object_subcommands(r) -> None:
    r.set("i", "123")
    r.set("s", "hello")
    r.set("raw", "x" * 45)
    assert r.object("encoding", "i") == b"int"
    assert r.object("encoding", "s") == b"embstr"
    assert r.object("encoding", "raw") == b"raw"
    assert r.object("encoding", "nokey") is None
    assert r.object("refcount", "i") == 2147483647
    assert r.object("refcount", "s") == 1
    r.append("s", "!")
    assert r.object("encoding", "s") == b"raw"
    assert r.object("idletime", "s") == 0
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is not selected"):
        r.object("freq", "s")
    help_lines = r.execute_command("OBJECT", "HELP")
    assert help_lines[0].startswith(b"OBJECT <subcommand>")
    with pytest.raises(redis.ResponseError, match="unknown subcommand 'FOO'. Try OBJECT HELP."):
        r.execute_command("OBJECT", "FOO", "x")


def test_resp3_keyspace(r3) -> None:
    r3.set("k", "v")
    assert r3.type("k") == b"string"
    assert r3.object("encoding", "nokey") is None
    assert r3.scan(0) == [0, [b"k"]] or r3.scan(0)[1] == [b"k"]
    assert r3.keys("*") == [b"k"]
    assert r3.exists("k") == 1
    assert r3.randomkey() == b"k"


def test_writes_survive_a_restart(tmp_path) -> None:
    """What these commands log (absolute deadlines, INCRBYFLOAT as SET ... KEEPTTL, RESTORE
    with ABSTTL) replays to the same dataset."""
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        c = redis.Redis(port=s.redis_port)
        c.set("f", "1.5", ex=100000)
        c.incrbyfloat("f", "0.25")
        c.set("s", "hello")
        c.setrange("s", 10, "world")
        c.append("s", "!")
        c.incrby("n", 41)
        c.incr("n")
        c.set("e", "v")
        c.expire("e", 50000)
        c.getex("s", px=60_000_000)
        payload = c.dump("s")
        c.restore("r", 70_000_000, payload)
        c.copy("n", "n2", destination_db=3)
        c.move("f", 5)
        c.rename("e", "e2")
        c.set("gone", "x")
        c.expire("gone", -1)
        c.mset({"m1": "a", "m2": "b"})
        c.getdel("m2")
        before = {k: (c.get(k), c.pexpiretime(k)) for k in (b"s", b"n", b"e2", b"r", b"m1")}
        c.close()
        s.restart()
        c = redis.Redis(port=s.redis_port)
        after = {k: (c.get(k), c.pexpiretime(k)) for k in before}
        assert after == before
        assert c.exists("gone", "m2", "f", "e") == 0
        c5 = redis.Redis(port=s.redis_port, db=5)
        assert c5.get("f") == b"1.75"
        assert 99_000 <= c5.ttl("f") <= 100_000
        c3 = redis.Redis(port=s.redis_port, db=3)
        assert c3.get("n2") == b"42"
        for client in (c, c3, c5):
            client.close()


def _unit_client():
    from types import SimpleNamespace

    from polystack.redis.store import Keyspace

    ks = Keyspace(16)
    config = SimpleNamespace(
        proto_max_bulk_len=512 * 1024 * 1024, maxmemory=0, maxmemory_policy="noeviction"
    )
    server = SimpleNamespace(
        keyspace=ks, config=config, loading=False, lfu=False, lruclock=0, lru_until=1
    )
    return SimpleNamespace(db=ks.dbs[0], ks=ks, server=server, propagate=None, now_ms=lambda: 0)


@pytest.mark.parametrize("seed", range(20))
def test_scan_contract_with_random_churn(seed: int) -> None:
    """Handler-level: keys present for the whole iteration come back exactly once, whatever
    is added or deleted (and whoever starts other iterations) between calls."""
    from polystack.redis.commands import keys as keys_mod

    rng = random.Random(seed)
    c = _unit_client()
    db = c.db
    for i in range(rng.randint(0, 300)):
        db.data[f"k{i}".encode()] = b"v"
    stable = set(db.data)
    cursor = 0
    seen: list[bytes] = []
    counter = 10_000
    while True:
        reply = keys_mod.scan(c, [b"SCAN", b"%d" % cursor, b"COUNT", b"%d" % rng.randint(1, 40)])
        cursor = int(reply[0])
        seen += reply[1]
        for _ in range(rng.randint(0, 30)):
            action = rng.random()
            if action < 0.4:
                db.data[f"n{counter}".encode()] = b"v"
                counter += 1
            elif action < 0.7 and len(db.data) > len(stable):
                victim = rng.choice([k for k in db.data if k not in stable])
                del db.data[victim]
            else:
                c.ks.dirty += 1
                if rng.random() < 0.2:
                    keys_mod.scan(c, [b"SCAN", b"0"])  # another iteration begins
        if cursor == 0:
            break
    returned_stable = [k for k in seen if k in stable]
    assert sorted(returned_stable) == sorted(stable)
