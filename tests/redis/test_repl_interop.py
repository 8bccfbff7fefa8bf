"""Replication with Debian's redis-server 7.0 in both roles: a real replica of a polystack
master and a polystack replica of a real master complete a full sync (disk-backed and
diskless), then a partial resync after CLIENT KILL TYPE master, with identical datasets
(compared key by key with DUMP); chains mixing both; MULTI/EXEC, SELECT and master-driven
expiry through the stream."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
import redis

import polystack.testing
from tests.processes import ServeProcess
from tests.redis.realredis import RawClient
from tests.redis.repl_support import dataset, free_port, real_server, wait_for

pytestmark = pytest.mark.differential


@contextlib.contextmanager
def polystack_redis(**overrides) -> Iterator[redis.Redis]:
    cfg = {"redis.repl_diskless_sync_delay": 0, **overrides}
    with polystack.testing.serve(redis=True, config_overrides=cfg) as s:
        r = redis.Redis(port=s.redis_port)
        r.handle = s  # type: ignore[attr-defined]
        yield r
        r.close()


def port_of(r: redis.Redis) -> int:
    return r.connection_pool.connection_kwargs["port"]


def link_up(r: redis.Redis) -> None:
    wait_for(lambda: r.info("replication")["master_link_status"] == "up", 20, "master link up")


def in_sync(master: redis.Redis, *replicas: redis.Redis) -> None:
    """Every replica acknowledged the master's offset and holds the master's dataset."""
    offset = master.info("replication")["master_repl_offset"]
    for rep in replicas:
        wait_for(
            lambda rep=rep: rep.info("replication")["master_repl_offset"] >= offset,
            20,
            "the replica to catch up",
        )
    expected = dataset(master)
    for rep in replicas:
        assert dataset(rep) == expected


def write_mix(r: redis.Redis, tag: str, n: int = 200) -> None:
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"{tag}:s{i}", f"v{i}" * (i % 5 + 1))
    pipe.hset(f"{tag}:h", mapping={"a": 1, "b": "x" * 80})
    pipe.sadd(f"{tag}:set", 1, 2, 3, "x")
    pipe.zadd(f"{tag}:z", {"m1": 1.5, "m2": -2})
    pipe.incr(f"{tag}:counter")
    pipe.set(f"{tag}:ttl", "1", ex=1000)
    pipe.expire(f"{tag}:s1", 500)
    pipe.execute()
    r.execute_command("SELECT", 5)
    r.set(f"{tag}:in5", "five")
    r.execute_command("SELECT", 0)
    try:
        r.execute_command("DISCARD")
    except redis.ResponseError as e:
        if "unknown command" in str(e):
            return  # a polystack without MULTI yet (redis-features)
    tx = r.pipeline(transaction=True)
    tx.set(f"{tag}:tx", "a")
    tx.append(f"{tag}:tx", "b")
    tx.delete(f"{tag}:s2")
    tx.execute()


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_real_replica_of_polystack_master(diskless: str) -> None:
    with polystack_redis(**{"redis.repl_diskless_sync": diskless == "yes"}) as master:
        write_mix(master, "before")
        with real_server() as real:
            rep = real.client()
            rep.replicaof("127.0.0.1", port_of(master))
            link_up(rep)
            write_mix(master, "after")
            in_sync(master, rep)
            assert master.execute_command("WAIT", 1, 5000) == 1
            role = master.role()
            assert role[0] == b"master" and len(role[2]) == 1
            info = master.info("replication")
            assert info["connected_slaves"] == 1 and info["slave0"]["state"] == "online"
            # Cut the link from the replica's side: it must continue with a partial resync.
            rep.client_kill_filter(_type="master")
            write_mix(master, "cut")
            wait_for(
                lambda: "Master accepted a Partial Resynchronization" in real.log(), 20, "PSYNC"
            )
            link_up(rep)
            in_sync(master, rep)


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_polystack_replica_of_real_master(diskless: str) -> None:
    with real_server("--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0") as real:
        master = real.client()
        write_mix(master, "before")
        with polystack_redis() as rep:
            rep.replicaof("127.0.0.1", real.port)
            link_up(rep)
            write_mix(master, "after")
            in_sync(master, rep)
            assert master.execute_command("WAIT", 1, 5000) == 1
            role = rep.role()
            assert role[0] == b"slave" and role[3] == b"connected"
            with pytest.raises(redis.exceptions.ReadOnlyError):
                rep.set("x", "1")
            rep.client_kill_filter(_type="master")
            write_mix(master, "cut")
            wait_for(lambda: "Partial resynchronization request from" in real.log(), 20, "PSYNC")
            link_up(rep)
            in_sync(master, rep)
            assert "Full resync" not in real.log().split("Partial resynchronization request")[1]
            assert (
                rep.info("replication")["master_replid"]
                == master.info("replication")["master_replid"]
            )


def test_chain_real_polystack_real_and_polystack_real_polystack() -> None:
    with real_server("--repl-diskless-sync-delay", "0") as top:
        m = top.client()
        write_mix(m, "a")
        with polystack_redis() as middle, real_server() as bottom:
            middle.replicaof("127.0.0.1", top.port)
            link_up(middle)
            b = bottom.client()
            b.replicaof("127.0.0.1", port_of(middle))
            link_up(b)
            write_mix(m, "b")
            in_sync(m, middle, b)

            # Offsets are byte-identical down the chain (the middle proxies the stream).  The
            # top's periodic PING moves its offset first, so they are equal once it has passed
            # down the chain: waited for, not read at one instant.
            def offsets() -> set[int]:
                return {x.info("replication")["master_repl_offset"] for x in (m, middle, b)}

            wait_for(lambda: len(offsets()) == 1, 20, "one offset down the chain")
    with polystack_redis() as top, real_server("--repl-diskless-sync-delay", "0") as middle:
        write_mix(top, "a")
        mid = middle.client()
        mid.replicaof("127.0.0.1", port_of(top))
        link_up(mid)
        with polystack_redis() as bottom:
            bottom.replicaof("127.0.0.1", middle.port)
            link_up(bottom)
            write_mix(top, "b")
            in_sync(top, mid, bottom)


def test_expiry_is_driven_by_the_master() -> None:
    with real_server("--repl-diskless-sync-delay", "0") as real:
        master = real.client()
        with polystack_redis() as rep:
            rep.replicaof("127.0.0.1", real.port)
            link_up(rep)
            master.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            master.set("short", "x", px=200)
            in_sync(master, rep)
            time.sleep(0.4)
            # Logically expired on the replica (reads see nothing) but not deleted: the master
            # has not expired it yet.
            assert rep.get("short") is None
            assert rep.dbsize() == 1
            master.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            wait_for(lambda: rep.dbsize() == 0, 10, "the master's DEL of the expired key")


def test_replica_promoted_keeps_serving_partial_resyncs_to_its_siblings() -> None:
    """PSYNC2: after REPLICAOF NO ONE, the promoted replica's old id stays valid as replid2, so a
    sibling moved under it continues with a partial resync."""
    with real_server("--repl-diskless-sync-delay", "0") as real:
        master = real.client()
        write_mix(master, "x")
        with polystack_redis() as a, real_server() as sibling_srv:
            sib = sibling_srv.client()
            a.replicaof("127.0.0.1", real.port)
            sib.replicaof("127.0.0.1", real.port)
            link_up(a)
            link_up(sib)
            in_sync(master, a, sib)
            real.stop()
            a.replicaof("no", "one")
            info = a.info("replication")
            assert info["role"] == "master" and info["second_repl_offset"] > 0
            sib.replicaof("127.0.0.1", port_of(a))
            link_up(sib)
            a.set("new", "master")
            in_sync(a, sib)
            assert "Successful partial resynchronization with master" in sibling_srv.log()


def test_polystack_master_propagates_expired_keys_as_del() -> None:
    """A real replica never expires keys itself: it deletes them when polystack's DEL (from
    lazy or active expiry) arrives, in order with the writes around it."""
    with polystack_redis() as master, real_server() as real:
        rep = real.client()
        rep.replicaof("127.0.0.1", port_of(master))
        link_up(rep)
        master.set("lazy", "x", px=100)
        master.set("active", "y", px=100)
        in_sync(master, rep)
        time.sleep(0.3)
        assert master.get("lazy") is None  # lazy expiry on the master: DEL propagated
        wait_for(lambda: rep.dbsize() == 0, 10, "the DELs of both expired keys")
        # A key set to expire and read back in one pipeline: the replica ends up without it.
        pipe = master.pipeline(transaction=False)
        pipe.set("k", "v", px=1)
        pipe.execute()
        time.sleep(0.05)
        pipe = master.pipeline(transaction=False)
        pipe.get("k")
        pipe.set("k2", "v2")
        pipe.execute()
        in_sync(master, rep)
        assert rep.dbsize() == 1


def test_failover_command_both_ways() -> None:
    """FAILOVER: a coordinated switch (writes paused, the target catches up, then PSYNC ...
    FAILOVER) from a polystack master to a real replica, and from a real master to a polystack
    replica."""
    with polystack_redis() as master, real_server() as real:
        rep = real.client()
        rep.replicaof("127.0.0.1", port_of(master))
        link_up(rep)
        write_mix(master, "f")
        with pytest.raises(redis.ResponseError, match="No failover in progress"):
            master.execute_command("FAILOVER", "ABORT")
        with pytest.raises(redis.ResponseError, match="is not a replica"):
            master.execute_command("FAILOVER", "TO", "127.0.0.1", "1")
        assert master.execute_command("FAILOVER") in (True, b"OK")
        wait_for(lambda: rep.role()[0] == b"master", 20, "the replica to take over")
        wait_for(lambda: master.role()[0] == b"slave", 20, "the old master to follow")
        link_up(master)
        assert master.info("replication")["master_failover_state"] == "no-failover"
        rep.set("written-on-the-new-master", "1")
        in_sync(rep, master)
    with real_server("--repl-diskless-sync-delay", "0") as real:
        m = real.client()
        write_mix(m, "g")
        with polystack_redis() as rep:
            rep.replicaof("127.0.0.1", real.port)
            link_up(rep)
            in_sync(m, rep)
            assert m.execute_command("FAILOVER", "TO", "127.0.0.1", port_of(rep), "TIMEOUT", 5000)
            wait_for(lambda: rep.role()[0] == b"master", 20, "polystack to take over")
            wait_for(lambda: m.role()[0] == b"slave", 20, "the real master to follow")
            link_up(m)
            rep.set("after", "failover")
            in_sync(rep, m)


def test_replica_serve_stale_data_no_refuses_like_redis() -> None:
    dead = free_port()
    cmds = [["GET", "x"], ["PING"], ["SET", "x", "1"], ["DBSIZE"], ["ROLE"], ["TIME"]]
    with real_server("--replica-serve-stale-data", "no") as real:
        real.client().replicaof("127.0.0.1", dead)
        c = RawClient(real.port)
        theirs = [c.call(*cmd) for cmd in cmds]
    with polystack_redis(**{"redis.replica_serve_stale_data": False}) as rep:
        rep.replicaof("127.0.0.1", dead)
        c = RawClient(port_of(rep))
        ours = [c.call(*cmd) for cmd in cmds]
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        if cmd[0] in ("ROLE", "TIME"):
            assert a[:1] == b[:1] == b"*", cmd
        else:
            assert a == b, cmd


def _fields(r: redis.Redis) -> list[str]:
    c = RawClient(port_of(r))
    try:
        text = c.call("INFO", "replication").decode()
    finally:
        c.close()
    return [line.split(":")[0] for line in text.splitlines()[2:] if line]


def test_info_replication_fields_as_redis_prints_them() -> None:
    """The same field names in the same order, on a master with a replica and on the replica
    (with its link up, and down)."""
    with real_server("--repl-diskless-sync-delay", "0") as rm, real_server() as rr:
        rr.client().replicaof("127.0.0.1", rm.port)
        link_up(rr.client())
        theirs = (_fields(rm.client()), _fields(rr.client()))
        rm.stop()
        wait_for(lambda: rr.client().info("replication")["master_link_status"] == "down", 20,
                 "the link down")  # fmt: skip
        theirs_down = _fields(rr.client())
    with polystack_redis() as pm, polystack_redis() as pr:
        pr.replicaof("127.0.0.1", port_of(pm))
        link_up(pr)
        ours = (_fields(pm), _fields(pr))
        pm.handle.stop()
        wait_for(lambda: pr.info("replication")["master_link_status"] == "down", 20, "down")
        ours_down = _fields(pr)
    assert ours == theirs
    assert ours_down == theirs_down


def test_a_restarted_replica_continues_with_a_partial_resync(tmp_path) -> None:
    """A replica stopped cleanly records its replication id and offset (as Redis does in the
    RDB it saves at shutdown) and PSYNCs from there when it starts again."""
    with real_server("--repl-diskless-sync-delay", "0") as real:
        m = real.client()
        write_mix(m, "one")
        cfg = tmp_path / "redis.conf"
        cfg.write_text(f"appendonly yes\nreplicaof 127.0.0.1 {real.port}\n")
        rep = ServeProcess(tmp_path / "data", "--redis-config", str(cfg))
        rep.start()
        try:
            r = redis.Redis(port=rep.ports["redis"])
            link_up(r)
            in_sync(m, r)
            rep.terminate()
            write_mix(m, "while-down", 20)
            rep.start()
            r = redis.Redis(port=rep.ports["redis"])
            link_up(r)
            in_sync(m, r)
            assert real.log().count("Partial resynchronization request from") == 1
        finally:
            if rep.proc is not None and rep.proc.poll() is None:
                rep.proc.kill()
                rep.proc.wait(10)


def test_masterauth_both_ways() -> None:
    with real_server("--requirepass", "s3cret", "--repl-diskless-sync-delay", "0") as real:
        m = real.client(password="s3cret")
        m.set("k", "v")
        with polystack_redis(**{"redis.masterauth": "s3cret"}) as rep:
            rep.replicaof("127.0.0.1", real.port)
            link_up(rep)
            assert rep.get("k") == b"v"
    with (
        polystack_redis(**{"redis.requirepass": "pw"}) as master,
        real_server("--masterauth", "pw") as real,
    ):
        m = redis.Redis(port=port_of(master), password="pw")
        m.set("k", "v")
        rep = real.client()
        rep.replicaof("127.0.0.1", port_of(master))
        link_up(rep)
        assert rep.get("k") == b"v"
