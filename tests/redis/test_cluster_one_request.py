"""The one-request read (redis-benchmark's ``-c 50``, plainbatch._run_one): GET and SET of
three arguments run inline and SET's record joins the loop turn's journal record directly.
Whatever the client, INFO, commandstats, SLOWLOG, CLIENT LIST, keyspace notifications and
the log see must be what the handler's path gives: each command here is its own read."""

from __future__ import annotations

import time

import redis

from tests.processes import ServeProcess


def _calls(r: redis.Redis, name: str) -> int:
    return int(r.info("commandstats").get(f"cmdstat_{name}", {"calls": 0})["calls"])


def test_get_and_set_match_real_redis(differ) -> None:
    commands = [
        ["SET", "k", "v"],
        ["GET", "k"],
        ["GET", "missing"],
        ["SET", "k", "w"],
        ["GET", "k"],
        ["RPUSH", "l", "x"],
        ["GET", "l"],  # WRONGTYPE: the handler's path
        ["SET", "l", "s"],  # another type replaced
        ["GET", "l"],
        ["SET", "big", "x" * 5000],
        ["GET", "big"],  # a reply of 4096 bytes or more: the handler's path
        ["SET", "t", "1", "EX", "100"],
        ["SET", "t", "2"],  # a key with a deadline: the handler's path drops it
        ["TTL", "t"],
        ["GET", "t"],
        ["SET", "k"],
        ["GET"],
        ["GET", "a", "b"],
        ["set", "lower", "case"],
        ["get", "lower"],
        ["INFO", "keyspace"],
    ]
    ours, theirs = differ(commands)
    assert ours == theirs
    ours3, theirs3 = differ([["GET", "missing"], ["SET", "a", "b"], ["GET", "a"]], resp=3)
    assert ours3 == theirs3


def test_counters_and_commandstats(server, r: redis.Redis) -> None:
    r.config_resetstat()
    before = r.info("persistence")["rdb_changes_since_last_save"]
    r.set("k", "v")
    r.set("k", "w")
    assert r.get("k") == b"w"
    assert r.get("missing") is None
    info = r.info("stats")
    assert (info["keyspace_hits"], info["keyspace_misses"]) == (1, 1)
    assert _calls(r, "set") == 2 and _calls(r, "get") == 2
    stats = r.info("commandstats")["cmdstat_set"]
    assert stats["failed_calls"] == 0 and stats["usec"] >= 0
    assert r.info("persistence")["rdb_changes_since_last_save"] - before == 2
    # the last command of the client (CLIENT LIST's cmd=), seen by another client
    me = r.client_id()
    r.get("k")
    other = redis.Redis(port=server.redis_port)
    try:
        mine = [c for c in other.client_list() if int(c["id"]) == me]
        assert mine[0]["cmd"] == "get"
    finally:
        other.close()


def test_slowlog_names_inline_commands(r: redis.Redis) -> None:
    old = r.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"]
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.slowlog_reset()
        r.set("slow", "v")
        r.get("slow")
        entries = r.slowlog_get(10)
        names = [e["command"] for e in entries]
        assert b"SET slow v" in names and b"GET slow" in names
    finally:
        r.config_set("slowlog-log-slower-than", old)


def test_expired_key_and_lru(r: redis.Redis) -> None:
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("gone", "v", px=1)
        time.sleep(0.01)
        expired = r.info("stats")["expired_keys"]
        assert r.get("gone") is None  # the handler's lazy expiry
        assert r.info("stats")["expired_keys"] == expired + 1
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    r.set("idle", "v")
    r.execute_command("DEBUG", "SLEEP", "0")
    assert r.object("idletime", "idle") is not None
    assert r.get("idle") == b"v"
    assert r.object("idletime", "idle") == 0


def test_notifications_and_lfu_take_the_handler(server, r: redis.Redis) -> None:
    r.config_set("notify-keyspace-events", "KEAnm")  # ("A" has neither new nor miss)
    try:
        sub = redis.Redis(port=server.redis_port).pubsub()
        sub.psubscribe("__keyspace@0__:n*")
        assert sub.get_message(timeout=5)["type"] == "psubscribe"
        r.set("n", "1")
        r.get("nothing")
        seen = []
        for _ in range(3):
            m = sub.get_message(timeout=5)
            if m is not None:
                seen.append((m["channel"], m["data"]))
        assert seen == [
            (b"__keyspace@0__:n", b"new"),
            (b"__keyspace@0__:n", b"set"),
            (b"__keyspace@0__:nothing", b"keymiss"),
        ]
        sub.close()
    finally:
        r.config_set("notify-keyspace-events", "")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        r.set("f", "v")
        for _ in range(20):
            r.get("f")
        assert r.object("freq", "f") > 1
    finally:
        r.config_set("maxmemory-policy", "noeviction")


def test_writes_of_one_request_reads_reach_the_log(tmp_path) -> None:
    """SET's record joins the turn's journal record; after a SIGKILL a restart replays every
    acknowledged write, in order with the writes that took log_commands (INCR)."""
    proc = ServeProcess(tmp_path, "--appendfsync", "everysec").start()
    try:
        c = redis.Redis(port=proc.ports["redis"], protocol=2, socket_timeout=10)
        for i in range(200):
            c.set(b"k%d" % (i % 50), b"%d" % i)
            if i % 7 == 0:
                c.incr("n")
                c.set("after", b"%d" % i)
        c.close()
        proc.kill9()
        proc.start()
        c = redis.Redis(port=proc.ports["redis"], protocol=2, socket_timeout=10)
        assert [c.get(b"k%d" % i) for i in range(50)] == [b"%d" % (150 + i) for i in range(50)]
        assert (c.get("n"), c.get("after")) == (b"29", b"196")
        c.close()
    finally:
        proc.terminate()


def test_writes_reach_a_replica_that_attaches(tmp_path) -> None:
    """With a replica (or a replication backlog) SET's record takes log_commands, which feeds
    the replicas: the writes before the attach arrive in the snapshot, those after it in the
    stream, and WAIT counts the replica."""
    from tests.redis.repl_support import wait_for

    master = ServeProcess(tmp_path / "m", "--appendfsync", "everysec").start()
    replica = ServeProcess(tmp_path / "r").start()
    try:
        m = redis.Redis(port=master.ports["redis"], socket_timeout=10)
        m.config_set("repl-diskless-sync-delay", "0")
        for i in range(20):
            m.set(b"before%d" % i, b"%d" % i)
        rep = redis.Redis(port=replica.ports["redis"], socket_timeout=10)
        rep.replicaof("127.0.0.1", master.ports["redis"])
        wait_for(lambda: rep.info("replication")["master_link_status"] == "up", 20, "link")
        for i in range(20):
            m.set(b"after%d" % i, b"%d" % i)
        assert m.execute_command("WAIT", 1, 5000) == 1
        assert [rep.get(b"before%d" % i) for i in range(20)] == [b"%d" % i for i in range(20)]
        assert [rep.get(b"after%d" % i) for i in range(20)] == [b"%d" % i for i in range(20)]
        m.close()
        rep.close()
    finally:
        master.terminate()
        replica.terminate()
