"""CONFIG GET/SET over every Redis 7.0 parameter: names, aliases, defaults, types, ranges and
error texts, compared with the real server; atomic multi-parameter SET."""

from __future__ import annotations

import pytest
import redis

import polystack.testing
from polystack.redis import configtypes
from polystack.redis.configtable import BY_NAME, PARAMS
from tests.redis import realredis

# Values that depend on how each server was started, not on Redis's defaults.
ENVIRONMENT = {
    "dir", "port", "bind", "pidfile", "daemonize", "appendonly", "enable-debug-command",
    "save", "logfile", "maxclients", "databases", "client-output-buffer-limit",
}  # fmt: skip


@pytest.fixture(scope="module")
def fresh():
    """A polystack Redis of its own: these tests change every parameter.  DEBUG enabled, as
    on the real server compared with."""
    with polystack.testing.serve(
        redis=True, config_overrides={"redis.enable_debug_command": "yes"}
    ) as s:
        yield s


@pytest.fixture(scope="module")
def fresh_real():
    """A real redis-server of its own (other tests leave parameters changed on the shared one)."""
    if not realredis.available():
        pytest.skip("redis-server is not installed (scripts/install-test-deps installs it)")
    rr = realredis.RealRedis()
    yield rr
    rr.stop()


def _get_all(port: int, pattern: str = "*") -> dict[bytes, bytes]:
    c = redis.Redis(port=port)
    try:
        return c.config_get(pattern)
    finally:
        c.close()


# -- the table itself -------------------------------------------------------------------------


def test_memtoull_as_redis_reads_memory_values() -> None:
    m = configtypes.memtoull
    assert m(b"10k") == 10_000 and m(b"10KB") == 10_240 and m(b"1g") == 10**9
    assert m(b"") == 0 and m(b"kb") == 0 and m(b"05") == 5
    assert m(b"18446744073709551616") == configtypes.ULLONG_MAX  # strtoull saturates
    for bad in (b" 5", b"+5", b"-0", b"0x10", b"1e3", b"5.0", b"10%"):
        assert m(bad) is None, bad


def test_numeric_forms() -> None:
    clients = BY_NAME["maxmemory-clients"]
    assert clients.parse([b"10%"]) == -10 and clients.format(-10) == b"10%"
    assert clients.parse([b"18446744073709551615"]) == -1  # a memory value read as -1: 1%
    with pytest.raises(configtypes.InvalidValue, match="less or equal to 100"):
        clients.parse([b"101%"])
    assert BY_NAME["maxmemory"].parse([b"9223372036854775808"]) == 1 << 63
    with pytest.raises(configtypes.InvalidValue, match="between 0 and 9223372036854775807"):
        BY_NAME["hash-max-listpack-value"].parse([b"9223372036854775808"])


def test_every_parameter_is_declared_once_with_a_default() -> None:
    names = [p.name for p in PARAMS]
    assert len(names) == len(set(names))
    for p in PARAMS:
        assert p.format(p.default) is not None, p.name


# -- against the real server -------------------------------------------------------------


@pytest.mark.differential
def test_same_parameter_names_as_redis(fresh, real_redis) -> None:
    assert sorted(_get_all(fresh.redis_port)) == sorted(_get_all(real_redis.port))


@pytest.mark.differential
def test_same_defaults_as_redis(fresh, fresh_real) -> None:
    ours, theirs = _get_all(fresh.redis_port), _get_all(fresh_real.port)
    for name, value in theirs.items():
        if name in ENVIRONMENT:
            continue
        assert ours[name] == value, name


@pytest.mark.differential
def test_hidden_parameters_answer_exact_names_only(fresh, real_redis) -> None:
    for name in ("use-exit-on-panic", "rdb-key-save-delay", "watchdog-period"):
        assert _get_all(fresh.redis_port, name) == _get_all(real_redis.port, name)
        assert _get_all(fresh.redis_port, name[:-2] + "*") == {}


VALUES = [
    "abc@def", "9223372036854775807", "-9223372036854775808", "0", "-1", "1",
    "9223372036854775808", "18446744073709551615", "18446744073709551616", "10k", "10kb",
    "1K", " 5", "+5", "05", "5.0", "1e3", "-0", "10%", "0x10", "", "yes", "NO", "100",
]  # fmt: skip
# Values that would make one of the servers unusable for the rest of the run.
UNSAFE = {"port", "bind", "dir", "maxclients", "requirepass", "appendonly", "save"}


@pytest.mark.differential
@pytest.mark.parametrize("name", sorted(p.name for p in PARAMS if p.name not in UNSAFE))
def test_config_set_like_redis(fresh, real_redis, name) -> None:
    """Every value of the battery gets the same reply, and reads back the same."""
    commands: list[list] = []
    for value in VALUES:
        commands += [["CONFIG", "SET", name, value], ["CONFIG", "GET", name]]
    default = _get_all(real_redis.port, name).get(name, "")
    commands.append(["CONFIG", "SET", name, default])
    ours = realredis.exchange(fresh.redis_port, commands)
    theirs = realredis.exchange(real_redis.port, commands)
    for cmd, a, b in zip(commands, ours, theirs, strict=True):
        assert a == b, cmd


MULTI_SET = [
    ["CONFIG", "SET", "HZ", "abc"],
    ["CONFIG", "SET", "DATABASES", "3"],
    ["CONFIG", "SET", "SLAVE-READ-ONLY", "maybe"],
    ["CONFIG", "SET", "hz", "5", "HZ", "6"],
    ["CONFIG", "SET", "databases", "1", "foo", "2"],
    ["CONFIG", "SET", "foo", "1", "databases", "2"],
    ["CONFIG", "SET", "hz", "11", "maxmemory", "abc"],
    ["CONFIG", "GET", "hz"],
    ["CONFIG", "SET", "hz", "12", "maxmemory-samples", "7"],
    ["CONFIG", "GET", "hz", "maxmemory-samples"],
    ["CONFIG", "SET", "hz", "10", "maxmemory-samples", "5"],
    ["CONFIG", "SET", "save", "1 2  3 4"],
    ["CONFIG", "SET", "bind", "127.0.0.1 "],
    ["CONFIG", "SET", "dbfilename", "x"],
    ["CONFIG", "SET", "activedefrag", "yes"],
    ["CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"],
    ["CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"],
    ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 -3"],
    ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2mb 30"],
    ["CONFIG", "GET", "client-output-buffer-limit"],
    ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60"],
    ["CONFIG", "SET", "oom-score-adj-values", "1 2"],
    ["CONFIG", "SET", "oom-score-adj-values", "1 2 3000"],
    ["CONFIG", "SET", "oom-score-adj-values", "1 2 3"],
    ["CONFIG", "GET", "oom-score-adj-values"],
    ["CONFIG", "SET", "oom-score-adj-values", "0 200 800"],
    ["CONFIG", "SET", "latency-tracking-info-percentiles", "101"],
    ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.99"],
    ["CONFIG", "GET", "latency-tracking-info-percentiles"],
    ["CONFIG", "SET", "latency-tracking-info-percentiles", ""],
    ["CONFIG", "GET", "latency-tracking-info-percentiles"],
    ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"],
    ["CONFIG", "SET", "notify-keyspace-events", "AKEnmd"],
    ["CONFIG", "GET", "notify-keyspace-events"],
    ["CONFIG", "SET", "notify-keyspace-events", ""],
    ["CONFIG", "SET", "replicaof", "no one"],
    ["CONFIG", "SET", "proc-title-template", "{bad}"],
    ["CONFIG", "SET", "cluster-announce-hostname", "a_b"],
    ["CONFIG", "SET", "repl-ping-replica-period", "1"],
    ["CONFIG", "GET", "repl-ping-slave-period"],
    ["CONFIG", "SET", "repl-ping-replica-period", "10"],
    ["CONFIG", "GET", "slave-read-only", "SLAVE-READ-ONLY"],
    ["CONFIG", "GET", "*max-*-entries*"],
    ["CONFIG", "SET", "hz"],
    ["CONFIG", "SET", "hz", "10", "hz"],
    ["CONFIG", "GET"],
    ["CONFIG", "SET", "oom-score-adj", "relative"],
    ["CONFIG", "GET", "oom-score-adj"],
    ["CONFIG", "SET", "oom-score-adj", "no"],
]


@pytest.mark.differential
def test_config_set_semantics_like_redis(fresh, real_redis) -> None:
    ours = realredis.exchange(fresh.redis_port, MULTI_SET)
    theirs = realredis.exchange(real_redis.port, MULTI_SET)
    for cmd, a, b in zip(MULTI_SET, ours, theirs, strict=True):
        if cmd[:2] == ["CONFIG", "GET"] and (len(cmd) > 3 or "*" in cmd[-1]):
            assert _pairs(a) == _pairs(b), cmd  # several parameters come in hash order
            continue
        assert a == b, cmd


def test_config_set_through_redis_py(r) -> None:
    assert r.config_set("repl-ping-replica-period", 1)
    assert r.config_get("repl-ping-replica-period") == {"repl-ping-replica-period": "1"}
    r.config_set("repl-ping-replica-period", 10)
    with pytest.raises(redis.ResponseError, match="must be between 1 and 2147483647"):
        r.config_set("repl-ping-replica-period", 0)
    assert r.config_set("loglevel", "warning") and r.config_get("loglevel")["loglevel"] == "warning"
    r.config_set("loglevel", "notice")


def _pairs(reply: bytes) -> list:
    """The (name, value) pairs of a CONFIG GET reply, sorted."""
    from polystack.redis.wire import decode_reply

    items = decode_reply(reply)
    return sorted(zip(items[::2], items[1::2], strict=True))
