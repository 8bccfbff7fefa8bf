"""Every value type and encoding survives SIGKILL + restart, replayed from the log alone and
from a snapshot plus the log written after it, and DEBUG RELOAD: each key comes back with the
same DUMP payload (so the same encoding, node layout and contents), OBJECT ENCODING and TTL."""

from __future__ import annotations

import pytest
import redis

from tests.processes import ServeProcess

pytestmark = pytest.mark.slow


def _populate(c: redis.Redis, suffix: str) -> None:
    """One key of each type in each encoding Redis 7.0 reports."""
    p = c.pipeline(transaction=False)
    p.set(f"str:int{suffix}", 12345)
    p.set(f"str:embstr{suffix}", "short")
    p.set(f"str:raw{suffix}", "r" * 100)
    p.setbit(f"bits{suffix}", 1000, 1)
    p.rpush(f"list:small{suffix}", "a", "b", 3)
    p.rpush(f"list:nodes{suffix}", *[f"element-{i}" * 20 for i in range(300)])
    p.hset(f"hash:lp{suffix}", mapping={"f1": "v1", "f2": 2})
    p.hset(f"hash:ht{suffix}", mapping={f"f{i}": f"v{i}" for i in range(600)})
    p.sadd(f"set:intset{suffix}", 1, 2, 3, -40000)
    p.sadd(f"set:ht{suffix}", "a", "b", "c")
    p.zadd(f"zset:lp{suffix}", {"a": 1, "b": 2.5, "c": -0.0})
    p.zadd(f"zset:sl{suffix}", {f"m{i}": i / 3 for i in range(200)})
    p.geoadd(f"geo{suffix}", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
    p.pfadd(f"hll:sparse{suffix}", *[f"x{i}" for i in range(50)])
    p.pfadd(f"hll:dense{suffix}", *[f"y{i}" for i in range(5000)])
    for i in range(250):
        p.xadd(f"stream{suffix}", {"n": i, "v": "x" * (i % 7)}, id=f"{i + 1}-0")
    p.xdel(f"stream{suffix}", "3-0", "120-0")
    p.xtrim(f"stream{suffix}", minid="50-0")
    p.xgroup_create(f"stream{suffix}", "g", id="0")
    p.expire(f"str:raw{suffix}", 10_000)
    p.pexpire(f"zset:sl{suffix}", 10_000_000)
    p.execute()
    c.xreadgroup("g", "alice", {f"stream{suffix}": ">"}, count=3)
    c.xack(f"stream{suffix}", "g", "51-0")


def _state(c: redis.Redis) -> dict:
    out = {}
    for key in sorted(c.keys("*")):
        ttl = c.pttl(key)
        entry = [c.type(key), c.object("encoding", key), ttl > 0]
        if c.type(key) == b"stream":  # consumers' seen times are restamped by the replay
            pending = c.xpending_range(key, "g", "-", "+", 100)
            for p in pending:
                del p["time_since_delivered"]
            entry += [c.xrange(key), pending]
            info = c.xinfo_stream(key)
            entry.append({k: v for k, v in info.items()})
        else:
            entry.append(c.dump(key))
        out[key] = entry
    return out


@pytest.mark.parametrize("snapshot", [False, True])
def test_every_type_survives_sigkill(tmp_path, snapshot: bool) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text("enable-debug-command yes\nappendonly yes\n")  # DEBUG RELOAD below
    proc = ServeProcess(
        tmp_path / "data", "--appendfsync", "always", "--redis-config", str(conf)
    ).start()
    c = redis.Redis(port=proc.ports["redis"])
    _populate(c, ":a")
    if snapshot:  # the snapshot codec, then the log written after it
        assert c.bgrewriteaof()
        _populate(c, ":b")
    before = _state(c)
    assert len(before) == (32 if snapshot else 16)
    proc.kill9()
    proc.start()
    c = redis.Redis(port=proc.ports["redis"])
    assert _state(c) == before
    assert c.execute_command("DEBUG", "RELOAD") == b"OK"
    assert _state(c) == before
    proc.terminate()
