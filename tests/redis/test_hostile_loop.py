"""One system must not freeze another: the long Redis operations that share the process's
event loop (README "Security", loop-hold bounds).  BGREWRITEAOF and the automatic log rewrite
walk the keyspace in a forked child; KEYS on a large database is matched a slice per loop turn
over a copy taken when it runs."""

from __future__ import annotations

import os
import socket
import time

import redis

import polystack.testing
from polystack.redis import persist, slices


def fill(r: redis.Redis, n: int, prefix: str = "key") -> None:
    for i in range(0, n, 10000):
        args: list = []
        for j in range(i, min(n, i + 10000)):
            args += [f"{prefix}:{j}", j]
        r.execute_command("MSET", *args)


def wait_for(cond, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_keys_on_a_large_database_yields_and_answers_as_of_its_start(tmp_path):
    n = 5 * slices.SLICE
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        fill(r, n)
        r.set("other", "x")
        r.set("key:short", "1", px=1)
        time.sleep(0.01)
        a = socket.create_connection(("127.0.0.1", s.redis_port))
        b = socket.create_connection(("127.0.0.1", s.redis_port))
        a.sendall(b"KEYS key:*\r\n")
        time.sleep(0.005)
        b.sendall(b"SET key:new 1\r\nDEL key:7\r\n")
        b.settimeout(10)
        assert b.recv(100) == b"+OK\r\n:1\r\n"  # served while KEYS is still matching
        a.settimeout(30)
        reader = __import__("hiredis").Reader()
        got = False
        while got is False:
            reader.feed(a.recv(1 << 20))
            got = reader.gets()
        assert len(got) == n and b"key:7" in got and b"key:new" not in got
        assert b"key:short" not in got and b"other" not in got
        assert sorted(got) == sorted(f"key:{i}".encode() for i in range(n))
        # inside MULTI (no blocking there) it runs in one go, with the same answer
        p = r.pipeline(transaction=True)
        p.keys("key:1*")
        (inside,) = p.execute()
        assert sorted(inside) == sorted(k for k in r.keys("key:1*"))
        a.close()
        b.close()


def test_bgrewriteaof_walks_the_keyspace_in_a_child(tmp_path, monkeypatch):
    """The parent never iterates the keyspace for a log rewrite (it took 1.2 s of loop per
    million keys): the forked child does, and the data is whole after a restart."""
    seen = tmp_path / "walkers"
    real_items = persist._items

    def items(ks):
        with open(seen, "a") as f:
            f.write(f"{os.getpid()}\n")
        yield from real_items(ks)

    monkeypatch.setattr(persist, "_items", items)
    data = tmp_path / "data"
    with polystack.testing.serve(redis=True, data_dir=data) as s:
        r = redis.Redis(port=s.redis_port)
        fill(r, 20000)
        svc = s.service("redis")
        assert r.bgrewriteaof()
        wait_for(lambda: not s.call(lambda: svc.journal.compacting))
        r.set("after", "rewrite")
        walkers = {int(x) for x in seen.read_text().split()}
        assert walkers and os.getpid() not in walkers
        assert s.call(lambda: svc.journal.snapshots_written) >= 1
    with polystack.testing.serve(redis=True, data_dir=data) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.dbsize() == 20001 and r.get("key:19999") == b"19999"
        assert r.get("after") == b"rewrite"


def test_automatic_rewrite_runs_in_a_child(tmp_path, monkeypatch):
    seen = tmp_path / "walkers"
    real_items = persist._items

    def items(ks):
        with open(seen, "a") as f:
            f.write(f"{os.getpid()}\n")
        yield from real_items(ks)

    monkeypatch.setattr(persist, "_items", items)
    overrides = {"redis.auto_aof_rewrite_min_size": 64 * 1024}
    with polystack.testing.serve(
        redis=True, data_dir=tmp_path / "d", config_overrides=overrides
    ) as s:
        r = redis.Redis(port=s.redis_port)
        svc = s.service("redis")
        fill(r, 20000)
        wait_for(lambda: s.call(lambda: svc.aof_rewrites) >= 1)
        wait_for(lambda: not s.call(lambda: svc.journal.compacting))
        walkers = {int(x) for x in seen.read_text().split()}
        assert walkers and os.getpid() not in walkers
