"""Server commands through redis-py: DBSIZE, FLUSH*, SWAPDB, INFO, CONFIG, TIME, LASTSAVE,
SAVE/BGSAVE/BGREWRITEAOF, SHUTDOWN, DEBUG, ROLE."""

from __future__ import annotations

import re
import time

import pytest
import redis

import polystack.testing
from polystack.redis.commands.config import memtoull, parse_notify
from polystack.redis.commands.info import bytes_to_human, chosen_sections
from polystack.redis.notify import flags_to_string as notify_to_string
from tests.redis.realredis import RawClient


def test_dbsize_flushdb_flushall(r, server):
    r.set("a", 1)
    r.set("b", 2)
    other = redis.Redis(port=server.redis_port, db=1)
    other.set("c", 3)
    assert r.dbsize() == 2
    assert r.flushdb(asynchronous=True) is True
    assert r.dbsize() == 0 and other.dbsize() == 1
    r.set("a", 1)
    assert r.execute_command("FLUSHALL", "SYNC") is True
    assert r.dbsize() == 0 and other.dbsize() == 0
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("FLUSHDB", "LATER")
    other.close()


def test_swapdb_swaps_data_and_deadlines(r, server):
    r.set("k", "zero", px=100_000)
    other = redis.Redis(port=server.redis_port, db=1)
    other.set("j", "one")
    assert r.swapdb(0, 1) is True
    assert r.get("j") == b"one" and r.get("k") is None
    assert other.get("k") == b"zero"
    svc = server.service("redis")
    assert b"k" in server.call(lambda: svc.keyspace.dbs[1].expires)
    with pytest.raises(redis.ResponseError, match="invalid first DB index"):
        r.execute_command("SWAPDB", "x", "1")
    r.swapdb(0, 1)
    other.close()


def test_time_and_lastsave(r):
    seconds, micros = r.time()
    assert seconds > 1_600_000_000 and 0 <= micros < 1_000_000
    assert isinstance(r.lastsave().timestamp(), float)


def test_role(r):
    assert r.execute_command("ROLE") == [b"master", 0, []]


# -- INFO -------------------------------------------------------------------------------


def info_text(server, *args: str) -> str:
    c = RawClient(server.redis_port)
    try:
        reply = c.call(*args)
    finally:
        c.close()
    assert reply.startswith(b"$")
    return reply[reply.index(b"\r\n") + 2 : -2].decode()


def test_info_default_sections_and_fields(r, server):
    r.set("a", "1")
    r.get("a")
    r.get("missing")
    text = info_text(server, "INFO")
    titles = re.findall(r"^# (\w+)\r$", text, re.M)
    assert titles == ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication",
                      "CPU", "Modules", "Errorstats", "Cluster", "Keyspace",
                      "Latencystats"]  # fmt: skip
    info = r.info()
    for field in ("redis_version", "redis_mode", "os", "arch_bits", "process_id", "run_id",
                  "tcp_port", "uptime_in_seconds", "uptime_in_days", "hz", "connected_clients",
                  "maxclients", "used_memory", "used_memory_human", "maxmemory",
                  "maxmemory_policy", "loading", "rdb_changes_since_last_save",
                  "rdb_last_save_time", "aof_enabled", "total_connections_received",
                  "total_commands_processed", "instantaneous_ops_per_sec", "expired_keys",
                  "evicted_keys", "keyspace_hits", "keyspace_misses", "role", "connected_slaves",
                  "used_cpu_sys", "used_cpu_user"):  # fmt: skip
        assert field in info, field
    assert info["redis_version"] == "7.0.15" and info["redis_mode"] == "standalone"
    assert info["role"] == "master" and info["aof_enabled"] == 1
    assert info["keyspace_hits"] >= 1 and info["keyspace_misses"] >= 1
    assert info["db0"] == {"keys": 1, "expires": 0, "avg_ttl": 0}
    assert info["used_memory"] > 0 and info["connected_clients"] >= 1


def test_info_section_selection(r, server):
    assert list(r.info("server"))[0] == "redis_version"
    two = info_text(server, "INFO", "server", "CLIENTS")
    assert re.findall(r"^# (\w+)", two, re.M) == ["Server", "Clients"]
    assert two.endswith("\r\n") and "\r\n\r\n# Clients\r\n" in two
    assert info_text(server, "INFO", "nosuch") == ""
    everything = info_text(server, "INFO", "everything")
    assert "# Commandstats" in everything and "# Keyspace" in everything
    assert "# Commandstats" in info_text(server, "INFO", "all")
    assert "# Commandstats" not in info_text(server, "INFO", "default")
    assert chosen_sections([b"ALL"]) == chosen_sections([b"everything"])


def test_info_commandstats_and_resetstat(r):
    assert r.config_resetstat() is True
    r.set("k", "v")
    r.get("k")
    r.get("k")
    with pytest.raises(redis.ResponseError):
        r.execute_command("GET")
    with pytest.raises(redis.ResponseError):
        r.execute_command("SET", "k", "v", "BOGUS")
    stats = r.info("commandstats")
    get = stats["cmdstat_get"]
    assert {k: get[k] for k in ("calls", "rejected_calls", "failed_calls")} == {
        "calls": 2, "rejected_calls": 1, "failed_calls": 0
    }  # fmt: skip
    assert get["usec"] >= 0 and abs(get["usec_per_call"] - get["usec"] / 2) < 0.01
    assert stats["cmdstat_set"]["calls"] == 2 and stats["cmdstat_set"]["failed_calls"] == 1
    assert "cmdstat_config|resetstat" in stats
    r.config_resetstat()
    after = r.info("commandstats")
    assert "cmdstat_get" not in after and after["cmdstat_config|resetstat"]["calls"] == 1


def test_bytes_to_human():
    assert bytes_to_human(1000) == "1000B"
    assert bytes_to_human(1016536) == "992.71K"
    assert bytes_to_human(7692288) == "7.34M"
    assert bytes_to_human(25276502016) == "23.54G"


# -- CONFIG -----------------------------------------------------------------------------


def test_config_get_patterns_and_multiple(r):
    got = r.config_get("maxmemory*")
    assert got["maxmemory"] == "0" and got["maxmemory-policy"] == "noeviction"
    many = r.execute_command("CONFIG", "GET", "hz", "databases", "hz")
    assert dict(zip(many[::2], many[1::2], strict=True)) == {b"hz": b"10", b"databases": b"16"}
    assert r.config_get("nosuch*") == {}


def test_config_set_is_atomic(r, server):
    with pytest.raises(redis.ResponseError, match="argument 'hz'"):
        r.execute_command("CONFIG", "SET", "maxmemory", "5mb", "hz", "abc")
    assert r.config_get("maxmemory")["maxmemory"] == "0"
    assert r.execute_command("CONFIG", "SET", "maxmemory", "5mb", "timeout", "7") == b"OK"
    assert r.config_get("maxmemory")["maxmemory"] == str(5 * 1024 * 1024)
    assert server.service("redis").config.timeout == 7
    r.execute_command("CONFIG", "SET", "maxmemory", "0", "timeout", "0")


def test_config_set_appendfsync_switches_the_journal(r, server):
    svc = server.service("redis")
    try:
        assert r.config_set("appendfsync", "always") is True
        assert server.call(lambda: svc.journal.log.policy) == "always"
        r.set("durable", "yes")
        assert r.get("durable") == b"yes"
        assert r.config_set("appendfsync", "no") is True
        assert server.call(lambda: (svc.journal.policy, svc.journal.log.policy)) == ("no", "no")
    finally:
        r.config_set("appendfsync", "everysec")
    assert server.call(lambda: svc.journal.log.policy) == "everysec"
    assert r.config_get("appendfsync") == {"appendfsync": "everysec"}


def test_config_set_takes_effect(r, server):
    svc = server.service("redis")
    try:
        r.config_set("hz", "1000")
        assert svc.config.hz == 500  # clamped as Redis does
        r.config_set("client-query-buffer-limit", "2mb")
        big = RawClient(server.redis_port)
        big.send_raw(b"*2\r\n$3\r\nGET\r\n$5000000\r\n" + b"x" * 3_000_000)
        assert big.read_reply() == b"-ERR Protocol error: too big query buffer\r\n"
        big.close()
        r.config_set("maxmemory-policy", "allkeys-lru")
        assert svc.config.maxmemory_policy == "allkeys-lru"
        r.config_set("notify-keyspace-events", "KEA")
        assert r.config_get("notify-keyspace-events")["notify-keyspace-events"] == "AKE"
        assert svc.notify_keyspace_events == parse_notify(b"AKE")
    finally:
        r.config_set("hz", "10")
        r.config_set("client-query-buffer-limit", "1gb")
        r.config_set("maxmemory-policy", "noeviction")
        r.config_set("notify-keyspace-events", "")
    assert r.ping()


def test_config_set_maxclients_limits_new_connections(r, server):
    connected = r.info("clients")["connected_clients"]
    try:
        r.config_set("maxclients", str(connected))
        extra = RawClient(server.redis_port)
        assert extra.read_reply() == b"-ERR max number of clients reached\r\n"
        extra.close()
    finally:
        r.config_set("maxclients", "10000")
    assert redis.Redis(port=server.redis_port).ping()


def test_config_set_requirepass_applies_to_new_connections(tmp_path):
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.config_set("requirepass", "pw") is True
        assert r.ping()  # this connection stays authenticated
        fresh = RawClient(s.redis_port)
        assert fresh.call("PING") == b"-NOAUTH Authentication required.\r\n"
        assert fresh.call("AUTH", "pw") == b"+OK\r\n"
        fresh.close()
        r.close()


def test_config_rewrite_without_a_config_file_is_refused_as_redis_does(r, server):
    """Only a server started with --redis-config has a file to rewrite (test_redis_conf.py)."""
    with pytest.raises(redis.ResponseError, match="The server is running without a config file"):
        r.config_rewrite()
    assert not (server.data_dir / "redis" / "redis.conf").exists()


def test_config_help(r):
    lines = r.execute_command("CONFIG", "HELP")
    assert lines[0].startswith(b"CONFIG <subcommand>") and lines[-2] == b"HELP"


def test_memtoull_and_notify_codecs():
    assert memtoull(b"1k") == 1000 and memtoull(b"1KB") == 1024 and memtoull(b"3gb") == 3 << 30
    assert memtoull(b"-1") is None and memtoull(b"1.5") is None
    assert memtoull(b"") == 0  # as Redis reads it: CONFIG SET maxmemory "" sets 0
    assert notify_to_string(parse_notify(b"KEA")) == "AKE"
    assert notify_to_string(parse_notify(b"Egx")) == "gxE"
    assert notify_to_string(parse_notify(b"")) == ""


# -- persistence commands ---------------------------------------------------------------


def test_save_bgsave_bgrewriteaof_and_restart(tmp_path):
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        r.set("kept", "1")
        r.set("short", "1", ex=1000)
        assert r.save() is True
        info = r.info("persistence")
        assert info["rdb_changes_since_last_save"] == 0
        assert r.lastsave().timestamp() == info["rdb_last_save_time"]
        r.set("after", "2")
        assert r.info("persistence")["rdb_changes_since_last_save"] == 1
        assert r.bgsave() is True
        while r.info("persistence")["rdb_bgsave_in_progress"]:
            time.sleep(0.01)
        assert r.execute_command("BGSAVE", "SCHEDULE") is True
        assert r.bgrewriteaof() is True
        r.close()
        s.restart()
        r = redis.Redis(port=s.redis_port)
        assert r.get("kept") == b"1" and r.get("after") == b"2"
        svc = s.service("redis")
        assert b"short" in s.call(lambda: svc.keyspace.dbs[0].expires)
        r.close()


def test_config_set_appendonly_off_and_on(tmp_path):
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        r.set("a", "1")
        assert r.config_set("appendonly", "no") is True
        assert r.info("persistence")["aof_enabled"] == 0
        r.set("b", "2")
        assert r.config_set("appendonly", "yes") is True  # writes a snapshot of a and b
        r.set("c", "3")
        r.close()
        s.restart()
        r = redis.Redis(port=s.redis_port)
        assert [r.get(k) for k in "abc"] == [b"1", b"2", b"3"]
        r.close()


def test_shutdown_stops_the_server_and_keeps_data(tmp_path):
    overrides = {"redis.shutdown_scope": "process"}
    with polystack.testing.serve(redis=True, data_dir=tmp_path, config_overrides=overrides) as s:
        r = redis.Redis(port=s.redis_port)
        r.set("k", "v")
        with pytest.raises(redis.ResponseError, match="No shutdown in progress"):
            r.shutdown(abort=True)
        raw = RawClient(s.redis_port)
        raw.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n")
        assert raw.read_reply() == b""  # no reply: the connection closes
        raw.close()
        s._thread.join(timeout=30)
        assert not s._thread.is_alive()
        s.start()
        r = redis.Redis(port=s.redis_port)
        assert r.get("k") == b"v"
        r.close()


# -- DEBUG ------------------------------------------------------------------------------


def test_debug_object_sleep_reload(r, server):
    r.set("n", "12345")
    r.set("s", "hello")
    r.set("big", "x" * 100)
    obj = r.debug_object("n")
    assert obj["encoding"] == "int" and obj["serializedlength"] == 3 and obj["refcount"] == 1
    assert r.debug_object("s")["encoding"] == "embstr"
    big = r.debug_object("big")
    assert big["encoding"] == "raw" and big["serializedlength"] < 100  # LZF-compressed
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.debug_object("missing")
    assert r.execute_command("DEBUG", "SLEEP", "0") == b"OK"
    assert r.execute_command("DEBUG", "SLEEP", "0.01") == b"OK"
    r.set("ttl", "v", px=100_000)
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert r.get("n") == b"12345" and r.get("ttl") == b"v"
    svc = server.service("redis")
    assert b"ttl" in server.call(lambda: svc.keyspace.dbs[0].expires)
    assert r.execute_command("DEBUG", "HELP")[0].startswith(b"DEBUG <subcommand>")


def test_debug_set_active_expire(r, server):
    svc = server.service("redis")
    try:
        assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
        assert svc.active_expire is False
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    assert svc.active_expire is True


# -- behaviour driven by the clock ------------------------------------------------------


@pytest.fixture
def manual(tmp_path):
    from polystack.runtime.clock import ManualClock

    with polystack.testing.serve(redis=True, data_dir=tmp_path, clock=ManualClock()) as s:
        yield s


def test_save_points_write_a_snapshot(manual):
    r = redis.Redis(port=manual.redis_port)
    assert r.config_set("save", "5 2") is True
    before = r.lastsave()
    r.set("a", "1")
    manual.advance(6)
    assert r.lastsave() == before  # one change: not enough
    r.set("b", "2")
    manual.advance(0.2)
    # The save point forks a BGSAVE child; LASTSAVE moves when it has finished.
    deadline = time.monotonic() + 20
    while r.info("persistence")["rdb_saves"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.lastsave() > before
    assert r.info("persistence")["rdb_changes_since_last_save"] == 0
    r.close()


def test_timeout_closes_idle_clients(manual):
    r = redis.Redis(port=manual.redis_port)
    r.config_set("timeout", "10")
    idle = RawClient(manual.redis_port)
    assert idle.call("PING") == b"+PONG\r\n"
    manual.advance(5)
    assert idle.call("PING") == b"+PONG\r\n"
    manual.advance(11)
    assert idle.read_reply() == b""
    idle.close()
    r.close()


def test_instantaneous_ops_per_sec(manual):
    r = redis.Redis(port=manual.redis_port)
    for _ in range(3):
        for _ in range(50):
            r.ping()
        manual.advance(0.1)
    ops = r.info("stats")["instantaneous_ops_per_sec"]
    assert ops > 0
    for _ in range(20):
        manual.advance(0.1)
    assert r.info("stats")["instantaneous_ops_per_sec"] < ops
    r.close()


def test_flush_and_swapdb_are_logged_and_replayed(tmp_path):
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r0 = redis.Redis(port=s.redis_port, db=0)
        r2 = redis.Redis(port=s.redis_port, db=2)
        r0.set("moved", "from-0")
        r2.set("gone", "x")
        r0.swapdb(0, 1)
        r2.flushdb()
        r0.set("stays", "y")
        r0.close()
        r2.close()
        s.restart()
        r1 = redis.Redis(port=s.redis_port, db=1)
        assert r1.get("moved") == b"from-0"
        assert redis.Redis(port=s.redis_port, db=2).dbsize() == 0
        assert redis.Redis(port=s.redis_port, db=0).get("stays") == b"y"
        r1.flushall()
        r1.close()
        s.restart()
        assert redis.Redis(port=s.redis_port).dbsize() == 0


def test_command_counters_are_per_server() -> None:
    """Two servers in one process keep their own command statistics."""
    import redis as redis_py

    from polystack.testing import serve

    with serve(redis=True, admin=False) as a, serve(redis=True, admin=False) as b:
        ra = redis_py.Redis(port=a.redis_port)
        rb = redis_py.Redis(port=b.redis_port)
        for _ in range(3):
            ra.set("k", "v")
        assert ra.info("commandstats")["cmdstat_set"]["calls"] == 3
        assert "cmdstat_set" not in rb.info("commandstats")
        ra.close()
        rb.close()
