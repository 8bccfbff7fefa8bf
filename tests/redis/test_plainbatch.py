"""The plain client's batch path (plainbatch.py): a pipelined read of lean commands runs in
one loop that keeps per batch what Redis keeps per command.  What a client sees, and what
INFO/commandstats/SLOWLOG/the log report, must be what the per-command path gives."""

from __future__ import annotations

import socket

import pytest
import redis

from polystack.redis import plainbatch


def _send(port: int, raw: bytes, expect: int) -> bytes:
    """Send ``raw`` in one write and read until ``expect`` replies' bytes arrived."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(raw)
        data = b""
        s.settimeout(10)
        while data.count(b"\r\n") < expect:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _pipelined(port: int, commands: list[list[bytes]]) -> bytes:
    """Every command in one write (one read on the server: one batch), the replies raw."""
    end = b"$7\r\n__end__\r\n"
    raw = b"".join(_cmd(*c) for c in commands) + _cmd(b"ECHO", b"__end__")
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(10)
        s.sendall(raw)
        data = b""
        while not data.endswith(end):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def _cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


def _stats(r: redis.Redis, name: str) -> dict:
    return r.info("commandstats").get(f"cmdstat_{name}", {"calls": 0})


def test_pipelined_gets_and_sets_reply_in_order(r: redis.Redis) -> None:
    r.set("a", "1")
    r.lpush("l", "x")
    with r.pipeline(transaction=False) as p:
        p.get("a").set("b", "2").get("b").get("missing").get("l").set("a", "3").get("a")
        p.incr("n").mget("a", "b").lrange("l", 0, -1)
        out = p.execute(raise_on_error=False)
    assert out[:4] == [b"1", True, b"2", None]
    assert isinstance(out[4], redis.ResponseError) and "WRONGTYPE" in str(out[4])
    assert out[5:] == [True, b"3", 1, [b"3", b"2"], [b"x"]]


def test_commandstats_calls_are_exact_and_usec_is_shared(r: redis.Redis) -> None:
    r.config_resetstat()
    with r.pipeline(transaction=False) as p:
        for i in range(40):
            p.set(f"k{i}", "v")
        for i in range(50):
            p.get(f"k{i}")
        p.execute()
    get, set_ = _stats(r, "get"), _stats(r, "set")
    assert get["calls"] == 50 and set_["calls"] == 40
    assert get["usec"] >= 0 and set_["usec"] >= 0
    assert get["failed_calls"] == 0
    hist = r.execute_command("LATENCY", "HISTOGRAM", "get")
    assert hist[1][1] == 50  # every call is in the histogram


def test_keyspace_hits_and_misses_are_counted(r: redis.Redis) -> None:
    r.config_resetstat()
    r.set("h", "v")
    with r.pipeline(transaction=False) as p:
        for _ in range(7):
            p.get("h")
        for _ in range(5):
            p.get("nope")
        p.execute()
    stats = r.info("stats")
    assert stats["keyspace_hits"] == 7
    assert stats["keyspace_misses"] == 5


def test_failed_calls_and_error_stats(r: redis.Redis) -> None:
    r.config_resetstat()
    r.lpush("list", "x")
    with r.pipeline(transaction=False) as p:
        p.get("list").get("list").incr("list")
        p.execute(raise_on_error=False)
    assert _stats(r, "get")["failed_calls"] == 2
    assert _stats(r, "incrby")["failed_calls"] == 1  # (redis-py sends INCR as INCRBY)
    assert r.info("errorstats")["errorstat_WRONGTYPE"]["count"] == 3


def test_expired_key_in_a_batch_is_gone(r: redis.Redis) -> None:
    r.set("e", "v", px=1)
    r.set("keep", "v")
    import time

    time.sleep(0.01)
    with r.pipeline(transaction=False) as p:
        p.get("e").get("keep").set("e2", "w").get("e")
        assert p.execute() == [None, b"v", True, None]
    assert r.exists("e") == 0


def test_set_over_a_volatile_key_clears_its_ttl(r: redis.Redis) -> None:
    r.set("v", "1", ex=100)
    with r.pipeline(transaction=False) as p:
        p.set("v", "2").ttl("v").get("v")
        assert p.execute() == [True, -1, b"2"]


def test_a_non_lean_command_mid_batch_hands_over(r: redis.Redis) -> None:
    with r.pipeline(transaction=False) as p:
        p.set("x", "1").select(1).set("x", "2").get("x").select(0).get("x")
        assert p.execute() == [True, True, True, b"2", True, b"1"]


def test_arity_error_in_a_batch(server, r: redis.Redis) -> None:
    raw = _cmd(b"SET", b"a", b"1") + _cmd(b"GET") + _cmd(b"GET", b"a")
    out = _send(server.redis_port, raw, 3)
    assert out == b"+OK\r\n-ERR wrong number of arguments for 'get' command\r\n$1\r\n1\r\n"


def test_resp3_nil_in_a_batch(r3: redis.Redis) -> None:
    with r3.pipeline(transaction=False) as p:
        p.get("none").set("s", "x").get("s")
        assert p.execute() == [None, True, b"x"]


def test_resp3_raw_nil(server, r: redis.Redis) -> None:
    raw = [[b"HELLO", b"3"], [b"GET", b"none"], [b"GET", b"none"]]
    assert _pipelined(server.redis_port, raw).endswith(b"_\r\n_\r\n$7\r\n__end__\r\n")


def test_last_command_in_client_list(r: redis.Redis) -> None:
    r.client_setname("batcher")
    with r.pipeline(transaction=False) as p:
        p.set("a", "1").get("a")
        p.execute()
    conn = r.connection_pool.get_connection()
    try:
        conn.send_command("SET", "a", "2")
        conn.send_command("GET", "a")
        assert conn.read_response() == b"OK" and conn.read_response() == b"2"
        conn.send_command("CLIENT", "INFO")
        assert b"cmd=client|info" in conn.read_response()
    finally:
        r.connection_pool.release(conn)
    listed = [c for c in r.client_list() if c["name"] == "batcher"]
    assert listed and listed[0]["cmd"] == "client|list"


def test_slowlog_gets_each_command_of_a_slow_batch_with_its_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command that runs its handler is timed on its own; the inline GET/SET share the rest
    of the batch's time evenly.  With a clock that advances a second per read: each LRANGE
    takes one second (two reads), and the 45 inline commands share the batch's 11 s less the
    LRANGEs' 5 s: 133,333 us each, past slowlog-log-slower-than."""
    import polystack.testing

    with polystack.testing.serve(redis=True) as s:  # (a server no other test configured)
        r = redis.Redis(port=s.redis_port)
        ticks = iter(range(1_000_000))
        monkeypatch.setattr(plainbatch, "_perf", lambda: float(next(ticks)))
        raw = [[b"SET", b"s%d" % i, b"v"] for i in range(40)]
        raw += [[b"GET", b"s%d" % i] for i in range(5)] + [[b"LRANGE", b"n", b"0", b"-1"]] * 5
        _pipelined(s.redis_port, raw)
        monkeypatch.undo()
        entries = [e for e in r.slowlog_get(128) if e["command"] != b"ECHO __end__"]
        assert len(entries) == 50
        lrange = b"LRANGE n 0 -1"
        assert {e["duration"] for e in entries if e["command"] != lrange} == {133333}
        assert {e["duration"] for e in entries if e["command"] == lrange} == {1_000_000}
        assert sorted(e["command"] for e in entries)[:3] == [b"GET s0", b"GET s1", b"GET s2"]
        assert [e["command"] for e in entries][:5] == [lrange] * 5  # newest first
        assert _stats(r, "lrange")["calls"] == 5 and _stats(r, "lrange")["usec"] == 5_000_000
        assert _stats(r, "get")["calls"] == 5 and _stats(r, "set")["calls"] == 40
        r.close()


def test_a_slow_handler_command_in_a_batch_reaches_slowlog_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One slow LRANGE among fast GETs in one pipelined read: SLOWLOG names the LRANGE with
    its own time, as Redis (which times every call) does, not the GETs; an even share of the
    batch's time would hide it (it did).  The clock advances a second per read."""
    import polystack.testing

    with polystack.testing.serve(redis=True) as s:
        r = redis.Redis(port=s.redis_port)
        r.rpush("big", *range(10))
        r.config_set("slowlog-log-slower-than", 500_000)  # 0.5 s
        r.slowlog_reset()
        ticks = iter(range(1_000_000))
        monkeypatch.setattr(plainbatch, "_perf", lambda: float(next(ticks)))
        raw = [[b"GET", b"g%d" % i] for i in range(8)] + [[b"LRANGE", b"big", b"0", b"-1"]]
        raw += [[b"GET", b"h%d" % i] for i in range(7)]
        _pipelined(s.redis_port, raw)
        monkeypatch.undo()
        entries = [e for e in r.slowlog_get(128) if e["command"] != b"ECHO __end__"]
        assert [(e["command"], e["duration"]) for e in entries] == [(b"LRANGE big 0 -1", 1_000_000)]
        r.close()


def test_writes_in_a_batch_are_logged_and_replayed(tmp_path) -> None:
    import polystack.testing

    with polystack.testing.serve(redis=True, data_dir=str(tmp_path)) as s:
        c = redis.Redis(port=s.redis_port)
        with c.pipeline(transaction=False) as p:
            for i in range(30):
                p.set(f"k{i}", f"v{i}").get(f"k{i}")
            p.sadd("set", "m").zadd("z", {"m": 1}).incr("n")
            p.execute()
        c.close()
    with polystack.testing.serve(redis=True, data_dir=str(tmp_path)) as s:
        c = redis.Redis(port=s.redis_port)
        assert c.mget([f"k{i}" for i in range(30)]) == [b"v%d" % i for i in range(30)]
        assert c.smembers("set") == {b"m"} and c.zscore("z", "m") == 1 and c.get("n") == b"1"
        c.close()


def test_watch_sees_a_batched_set(r: redis.Redis) -> None:
    r.set("w", "1")
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"])
    try:
        with r.pipeline() as p:
            p.watch("w")
            with other.pipeline(transaction=False) as q:
                q.set("w", "2").get("w")
                q.execute()
            p.multi()
            p.set("w", "3")
            with pytest.raises(redis.WatchError):
                p.execute()
    finally:
        other.close()
    assert r.get("w") == b"2"


@pytest.mark.differential
def test_pipelined_batch_matches_real_redis(server, real_redis) -> None:
    commands: list[list[bytes]] = [[b"FLUSHALL"]]
    for i in range(20):
        commands += [[b"SET", b"k%d" % (i % 7), b"v%d" % i], [b"GET", b"k%d" % (i % 9)]]
        commands += [[b"INCR", b"n"], [b"get", b"n"]]
    commands += [[b"LPUSH", b"l", b"a"], [b"GET", b"l"], [b"SADD", b"s", b"m"]]
    commands += [[b"SADD", b"s", b"m"], [b"ZADD", b"z", b"1", b"m"], [b"ZRANGE", b"z", b"0", b"-1"]]
    commands += [[b"GET"], [b"MGET", b"k1", b"l"], [b"SET", b"a"], [b"LPOP", b"l"], [b"GET", b"l"]]
    commands += [[b"SET", b"big", b"x" * 5000], [b"GET", b"big"], [b"HSET", b"h", b"f", b"v"]]
    commands += [[b"HGETALL", b"h"], [b"SELECT", b"1"], [b"GET", b"k1"], [b"SELECT", b"0"]]
    assert _pipelined(server.redis_port, commands) == _pipelined(real_redis.port, commands)


def test_sadd_of_a_member_held_already(r: redis.Redis) -> None:
    r.config_resetstat()
    r.sadd("s", "a", "b")
    r.sadd("ints", 1, 2)
    r.set("str", "x")
    r.sadd("vol", "m")
    r.pexpire("vol", 100_000)
    with r.pipeline(transaction=False) as p:
        p.sadd("s", "a").sadd("s", "a").sadd("s", "c").sadd("ints", 1).sadd("ints", 3)
        p.sadd("str", "a").sadd("vol", "m").sadd("new", "m").sadd("s", "a", "d")
        out = p.execute(raise_on_error=False)
    assert out[:5] == [0, 0, 1, 0, 1]
    assert isinstance(out[5], redis.ResponseError) and "WRONGTYPE" in str(out[5])
    assert out[6:] == [0, 1, 1]
    assert r.smembers("s") == {b"a", b"b", b"c", b"d"}
    assert r.object("encoding", "ints") == b"intset"
    stats = _stats(r, "sadd")
    assert stats["calls"] == 12 and stats["failed_calls"] == 1  # (3 before the batch)
    assert r.pttl("vol") > 0


_ZADDS = [
    [b"ZADD", b"z", b"0", b"a"], [b"ZADD", b"z", b"0", b"a"], [b"ZADD", b"z", b"00", b"a"],
    [b"ZADD", b"z", b"1", b"a"], [b"ZADD", b"z", b"1", b"a"], [b"ZADD", b"z", b"1.0", b"a"],
    [b"ZADD", b"z", b"-1", b"a"], [b"ZADD", b"z", b"-1", b"a"], [b"ZADD", b"z", b"2", b"b"],
    [b"ZADD", b"z", b"x", b"a"], [b"ZADD", b"z", b"1e0", b"b"], [b"ZADD", b"z", b" 2", b"b"],
    [b"ZADD", b"z", b"2", b"b"], [b"SET", b"s", b"x"], [b"ZADD", b"s", b"0", b"a"],
    [b"ZADD", b"v", b"5", b"m"], [b"PEXPIRE", b"v", b"100000"], [b"ZADD", b"v", b"5", b"m"],
    [b"ZADD", b"z", b"NX", b"2", b"b"], [b"ZADD", b"z", b"2"], [b"ZADD", b"new", b"3", b"m"],
    [b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"], [b"OBJECT", b"ENCODING", b"z"],
]  # fmt: skip


def test_zadd_in_a_batch(r: redis.Redis, server) -> None:
    """ZADD in a pipelined batch (redis-benchmark's re-add of the member a one-member set holds
    among them): Redis's replies, counters and dirty count."""
    r.config_resetstat()
    dirty = r.info("persistence")["rdb_changes_since_last_save"]
    out = _pipelined(server.redis_port, _ZADDS)
    assert out.startswith(b":1\r\n:0\r\n:0\r\n:0\r\n:0\r\n:0\r\n:0\r\n:0\r\n:1\r\n-ERR")
    assert r.zrange("z", 0, -1, withscores=True) == [(b"a", -1.0), (b"b", 2.0)]
    assert 0 < r.pttl("v") <= 100_000
    stats = _stats(r, "zadd")  # 18 ran (2 bad scores and a WRONGTYPE failed), 1 refused
    assert (stats["calls"], stats["failed_calls"], stats["rejected_calls"]) == (18, 3, 1)
    changes = r.info("persistence")["rdb_changes_since_last_save"] - dirty
    assert changes == 10  # 4 ZADDs that added, 4 that moved a score, SET and PEXPIRE


@pytest.mark.differential
def test_zadd_in_a_batch_matches_real_redis(server, real_redis) -> None:
    commands = [[b"FLUSHALL"], *_ZADDS]
    assert _pipelined(server.redis_port, commands) == _pipelined(real_redis.port, commands)


_INCRS = [
    [b"SET", b"n", b"41"], [b"INCR", b"n"], [b"INCR", b"n"], [b"INCR", b"new"],
    [b"SET", b"z", b"0"], [b"INCR", b"z"], [b"SET", b"lead", b"007"], [b"INCR", b"lead"],
    [b"SET", b"neg", b"-5"], [b"INCR", b"neg"], [b"SET", b"big", b"99999999999999999"],
    [b"INCR", b"big"], [b"SET", b"top", b"9223372036854775806"], [b"INCR", b"top"],
    [b"INCR", b"top"], [b"SET", b"s", b"abc"], [b"INCR", b"s"], [b"SET", b"sp", b" 1"],
    [b"INCR", b"sp"], [b"RPUSH", b"l", b"x"], [b"INCR", b"l"], [b"SET", b"t", b"5"],
    [b"PEXPIRE", b"t", b"100000"], [b"INCR", b"t"], [b"INCR", b"t", b"x"], [b"INCR"],
    [b"GET", b"n"], [b"GET", b"z"], [b"GET", b"lead"], [b"GET", b"big"], [b"GET", b"top"],
    [b"OBJECT", b"ENCODING", b"n"], [b"GET", b"t"],
]  # fmt: skip


def test_incr_in_a_batch(r: redis.Redis, server) -> None:
    """INCR runs inline for a key holding a small canonical integer; every other case takes
    the handler's path, with the same replies, counters and log."""
    r.config_resetstat()
    dirty = r.info("persistence")["rdb_changes_since_last_save"]
    out = _pipelined(server.redis_port, _INCRS)
    assert out.startswith(b"+OK\r\n:42\r\n:43\r\n:1\r\n+OK\r\n:1\r\n+OK\r\n-ERR value is not")
    assert b":18446744073709551615" not in out
    assert b"-ERR increment or decrement would overflow\r\n" in out
    assert r.get("top") == b"9223372036854775807" and r.get("big") == b"100000000000000000"
    assert r.get("n") == b"43" and r.object("encoding", "n") == b"int"
    assert 0 < r.pttl("t") <= 100_000 and r.get("t") == b"6"
    stats = _stats(r, "incr")  # 13 ran (5 of them failed), 2 refused (arity)
    assert (stats["calls"], stats["failed_calls"], stats["rejected_calls"]) == (13, 5, 2)
    changes = r.info("persistence")["rdb_changes_since_last_save"] - dirty
    assert changes == 19  # 9 SET, RPUSH, PEXPIRE and the 8 INCRs that changed a value


@pytest.mark.differential
def test_incr_in_a_batch_matches_real_redis(server, real_redis) -> None:
    commands = [[b"FLUSHALL"], *_INCRS]
    assert _pipelined(server.redis_port, commands) == _pipelined(real_redis.port, commands)


def test_incr_in_a_batch_is_logged(tmp_path) -> None:
    """The inline INCRs reach the log: after a restart the counter is where the replies left
    it."""
    import polystack.testing

    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        _pipelined(s.redis_port, [[b"SET", b"c", b"1"]] + [[b"INCR", b"c"]] * 20)
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.get("c") == b"21"
        r.close()


def test_fast_commands_with_few_arguments_share_the_batch_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LPUSH of one element (fast, three arguments) shares the batch's time with the inline
    GETs; LPUSH of four elements and LPOP with a count are timed on their own.  The clock
    advances a second per read: of the batch's 5 s, those two take one each (two reads), the
    other 3 are shared by the 4 GETs and the 2 short LPUSHes (500,000 us each)."""
    import polystack.testing

    with polystack.testing.serve(redis=True) as s:
        r = redis.Redis(port=s.redis_port)
        r.config_set("slowlog-log-slower-than", 500_000)
        r.slowlog_reset()
        ticks = iter(range(1_000_000))
        monkeypatch.setattr(plainbatch, "_perf", lambda: float(next(ticks)))
        raw = [[b"GET", b"a"], [b"LPUSH", b"l", b"x"], [b"GET", b"b"]]
        raw += [[b"LPUSH", b"l", b"1", b"2", b"3", b"4"], [b"LPOP", b"l", b"2"]]
        raw += [[b"GET", b"c"], [b"LPUSH", b"l", b"y"], [b"GET", b"d"]]
        _pipelined(s.redis_port, raw)
        monkeypatch.undo()
        entries = [e for e in r.slowlog_get(128) if e["command"] != b"ECHO __end__"]
        got = sorted((e["command"], e["duration"]) for e in entries)
        assert got == sorted(
            [(b"GET %b" % k, 500_000) for k in (b"a", b"b", b"c", b"d")]
            + [(b"LPUSH l x", 500_000), (b"LPUSH l y", 500_000)]
            + [(b"LPUSH l 1 2 3 4", 1_000_000), (b"LPOP l 2", 1_000_000)]
        )
        assert _stats(r, "lpush")["calls"] == 3 and _stats(r, "lpop")["calls"] == 1
        assert r.lrange("l", 0, -1) == [b"y", b"2", b"1", b"x"]
        r.close()


_PUSHES = [
    [b"RPUSH", b"l", b"a"], [b"LPUSH", b"l", b"b"], [b"RPUSH", b"l", b"c"],
    *[[b"LPUSH", b"l", b"xxx"]] * 1700, *[[b"RPUSH", b"l", b"yyyy"]] * 1700,
    [b"LPUSH", b"l", b"12"], [b"RPUSH", b"l", b"-3"], [b"LPUSH", b"l", b""],
    [b"LPUSH", b"l", b"v" * 62], [b"LPUSH", b"l", b"w" * 63], [b"RPUSH", b"l", b"e"],
    [b"RPUSH", b"l", b"f"],
    [b"LPUSH", b"l"], [b"SET", b"s", b"x"], [b"LPUSH", b"s", b"a"], [b"RPUSH", b"new", b"m"],
    [b"RPUSH", b"v", b"a"], [b"PEXPIRE", b"v", b"100000"], [b"RPUSH", b"v", b"b"],
    [b"LPUSHX", b"l", b"g"], [b"rpush", b"l", b"h"], [b"LLEN", b"l"], [b"LINDEX", b"l", b"0"],
    [b"LRANGE", b"l", b"1700", b"1710"], [b"DUMP", b"l"], [b"DUMP", b"v"],
    [b"OBJECT", b"ENCODING", b"l"],
]  # fmt: skip


def test_pushes_in_a_batch(r: redis.Redis, server) -> None:
    """LPUSH/RPUSH of one element onto an existing list run inline while the element joins the
    end node as a string; every other case takes the handler's path: Redis's replies, node
    boundaries (DUMP), counters and dirty count."""
    r.config_resetstat()
    dirty = r.info("persistence")["rdb_changes_since_last_save"]
    out = _pipelined(server.redis_port, _PUSHES)
    replies = out.split(b"\r\n")
    assert replies[:3] == [b":1", b":2", b":3"] and replies[3402] == b":3403"
    assert b"-ERR wrong number of arguments for 'lpush' command" in out
    assert b"-WRONGTYPE" in out
    assert r.llen("l") == 3412 and r.lindex("l", 1) == b"w" * 63 and r.lindex("l", -1) == b"h"
    assert r.lrange("l", 1703, 1707) == [b"xxx", b"xxx", b"b", b"a", b"c"]
    assert 0 < r.pttl("v") <= 100_000 and r.lrange("v", 0, -1) == [b"a", b"b"]
    stats = _stats(r, "lpush")  # 1,706 ran (one WRONGTYPE), 1 refused (arity)
    assert (stats["calls"], stats["failed_calls"], stats["rejected_calls"]) == (1706, 1, 1)
    assert _stats(r, "rpush")["calls"] == 1709
    changes = r.info("persistence")["rdb_changes_since_last_save"] - dirty
    assert changes == 3417  # 3,415 pushes (LPUSHX too), SET, PEXPIRE


@pytest.mark.differential
def test_pushes_in_a_batch_match_real_redis(server, real_redis) -> None:
    commands = [[b"FLUSHALL"], *_PUSHES]
    assert _pipelined(server.redis_port, commands) == _pipelined(real_redis.port, commands)


def test_pushes_in_a_batch_are_logged(tmp_path) -> None:
    """The inline pushes reach the log: after a restart the list is the one the replies
    described, node for node."""
    import polystack.testing

    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        _pipelined(s.redis_port, [[b"RPUSH", b"l", b"a"]] + [[b"LPUSH", b"l", b"xy"]] * 3000)
        r = redis.Redis(port=s.redis_port)
        dump = r.dump("l")
        r.close()
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.llen("l") == 3001 and r.dump("l") == dump
        r.close()


_GETS = [
    [b"SET", b"a", b"1"], [b"SET", b"big", b"x" * 5000], [b"RPUSH", b"l", b"x"],
    [b"SET", b"v", b"2"], [b"PEXPIRE", b"v", b"100000"],
]  # fmt: skip
_GET_READ = [
    [b"GET", b"a"], [b"GET", b"none"], [b"GET", b"a"], [b"GET", b"v"], [b"get", b"a"],
    [b"GET", b"a"], [b"GET", b"big"], [b"GET", b"a"], [b"GET", b"l"], [b"GET", b"a"],
    [b"GET"], [b"GET", b"a", b"b"], [b"GET", b"a"],
]  # fmt: skip


def test_a_read_of_gets(r: redis.Redis, server) -> None:
    """A read that starts with GETs runs them in the GET loop while they come spelt alike
    and find strings under 4 KiB or nothing; the rest goes on in the general loop."""
    _pipelined(server.redis_port, _GETS)
    r.config_resetstat()
    out = _pipelined(server.redis_port, _GET_READ)
    assert out.startswith(b"$1\r\n1\r\n$-1\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n1\r\n$5000")
    assert out.count(b"-WRONGTYPE") == 1 and out.count(b"-ERR wrong number") == 2
    stats = _stats(r, "get")  # 11 ran (one WRONGTYPE), 2 refused (arity)
    assert (stats["calls"], stats["failed_calls"], stats["rejected_calls"]) == (11, 1, 2)
    ks = r.info("stats")
    assert (ks["keyspace_hits"], ks["keyspace_misses"]) == (10, 1)  # (the WRONGTYPE: a hit)


@pytest.mark.differential
def test_a_read_of_gets_matches_real_redis(server, real_redis) -> None:
    commands = [[b"FLUSHALL"], *_GETS, *_GET_READ]
    assert _pipelined(server.redis_port, commands) == _pipelined(real_redis.port, commands)
