"""Operations commands against Redis 7.0: SLOWLOG, LATENCY, MONITOR, CLIENT PAUSE/UNPAUSE,
CLIENT TRACKING (RESP3 pushes, REDIRECT to a RESP2 subscriber, BCAST prefixes, OPTIN/OPTOUT,
NOLOOP), INFO commandstats timings."""

from __future__ import annotations

import re
import threading
import time

import pytest

from polystack.redis import wire
from tests.redis import realredis, scenario

# -- SLOWLOG -----------------------------------------------------------------------------------


def _slowlog_shape(reply: bytes) -> list:
    """SLOWLOG GET without what differs run to run (timestamps, durations, addresses)."""
    out = []
    for entry in wire.decode_reply(reply):
        _id, _ts, _us, argv, _addr, name = entry
        out.append((argv, name))
    return out


SLOWLOG = [
    ["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["SLOWLOG", "RESET"],
    ["CLIENT", "SETNAME", "logger"], ["SET", "k", "v"], ["GET", "k"],
    ["SET", "big", "x" * 200], ["MSET", *[f"k{i}" for i in range(40)]],
    ["AUTH", "nobody", "secret"], ["HELLO", "2", "AUTH", "default", "pw"],
    ["MULTI"], ["INCR", "n"], ["EXEC"], ["EVAL", "return redis.call('get', 'k')", "0"],
    ["SLOWLOG", "LEN"], ["SLOWLOG", "GET", "-1"], ["SLOWLOG", "GET", "2"],
    ["SLOWLOG", "GET", "-2"], ["SLOWLOG", "GET", "x"], ["SLOWLOG", "GET", "1", "2"],
    ["SLOWLOG", "LEN", "x"], ["SLOWLOG", "HELP"], ["SLOWLOG", "RESET"], ["SLOWLOG", "LEN"],
    ["CONFIG", "SET", "slowlog-max-len", "2"], ["SET", "a", "1"], ["SET", "b", "2"],
    ["SET", "c", "3"], ["SLOWLOG", "GET"], ["CONFIG", "SET", "slowlog-max-len", "128"],
    ["CONFIG", "SET", "slowlog-log-slower-than", "-1"], ["SET", "d", "4"], ["SLOWLOG", "LEN"],
    ["CONFIG", "SET", "slowlog-log-slower-than", "10000"], ["SLOWLOG", "RESET"],
]  # fmt: skip


@pytest.mark.differential
def test_slowlog_like_redis(differ) -> None:
    ours, theirs = differ(SLOWLOG)
    for cmd, a, b in zip(SLOWLOG, ours, theirs, strict=True):
        if cmd[:2] == ["SLOWLOG", "GET"] and a.startswith(b"*") and b.startswith(b"*"):
            assert _slowlog_shape(a) == _slowlog_shape(b), cmd
        elif cmd[0] == "HELLO":
            assert scenario.mask_ids([a]) == scenario.mask_ids([b]), cmd
        else:
            assert a == b, cmd


# -- LATENCY -------------------------------------------------------------------------------------

LATENCY = [
    ["LATENCY", "RESET"], ["CONFIG", "SET", "latency-monitor-threshold", "5"],
    ["DEBUG", "SLEEP", "0.02"], ["LATENCY", "HISTORY", "nosuch"],
    ["LATENCY", "GRAPH", "nosuch"], ["LATENCY", "HELP"], ["LATENCY", "RESET", "command", "x"],
    ["LATENCY", "LATEST"], ["LATENCY", "RESET"], ["LATENCY", "HISTORY"], ["LATENCY"],
    ["CONFIG", "SET", "latency-monitor-threshold", "0"],
    *[["COMMAND", "INFO", c] for c in ("latency|latest", "latency|history", "latency|reset",
      "latency|graph", "latency|doctor", "latency|histogram", "latency|help", "slowlog|get",
      "slowlog|len", "slowlog|reset", "slowlog|help", "monitor", "client|pause",
      "client|unpause", "client|tracking", "client|caching", "client|getredir",
      "client|trackinginfo")],
]  # fmt: skip


@pytest.mark.differential
def test_latency_like_redis(differ) -> None:
    ours, theirs = differ(LATENCY)
    for cmd, a, b in zip(LATENCY, ours, theirs, strict=True):
        assert a == b, cmd


def test_latency_samples_and_histogram(r) -> None:
    r.config_set("latency-monitor-threshold", 5)
    try:
        r.latency_reset()
        r.execute_command("DEBUG", "SLEEP", "0.02")
        (event, _ts, latest, worst), *_ = r.latency_latest()
        assert event in (b"command", "command") and latest >= 20 and worst >= 20
        assert r.latency_history("command")[0][1] >= 20
        doctor = r.execute_command("LATENCY", "DOCTOR")
        assert "latency spikes" in (doctor if isinstance(doctor, str) else doctor.decode())
        for _ in range(10):
            r.set("h", "v")
        hist = r.execute_command("LATENCY", "HISTOGRAM", "set", "nosuch")
        if isinstance(hist, list):
            hist = dict(zip(hist[::2], hist[1::2], strict=True))
        entry = hist.get(b"set", hist.get("set"))
        if isinstance(entry, list):
            entry = dict(zip(entry[::2], entry[1::2], strict=True))
        calls = entry.get(b"calls", entry.get("calls"))
        buckets = entry.get(b"histogram_usec", entry.get("histogram_usec"))
        if isinstance(buckets, list):
            buckets = dict(zip(buckets[::2], buckets[1::2], strict=True))
        assert calls >= 10 and max(buckets.values()) == calls
    finally:
        r.config_set("latency-monitor-threshold", 0)
    stats = r.info("commandstats")["cmdstat_set"]
    assert stats["usec"] >= 0 and stats["calls"] >= 10
    assert "latency_percentiles_usec_set" in r.info("latencystats")


# -- MONITOR ----------------------------------------------------------------------------------

_STAMP = re.compile(rb"^\+\d+\.\d{6} \[(\d+) [^\]]*\]")


def _monitor_transcript(port: int) -> list[bytes]:
    mon = realredis.RawClient(port)
    other = realredis.RawClient(port)
    try:
        out = [mon.call("MONITOR")]
        for cmd in (["SET", "a", "1"], ["GET", "a\nb\"c\x01"], ["AUTH", "x", "y"],
                    ["CONFIG", "GET", "maxmemory"], ["MULTI"], ["INCR", "n"], ["EXEC"],
                    ["EVAL", "return redis.call('set', 'b', '2')", "0"], ["SELECT", "2"],
                    ["PING"], ["NOSUCH"], ["SELECT", "0"]):  # fmt: skip
            other.call(*cmd)
        other.call("ECHO", "last")
        while True:
            line = mon.read_reply()
            out.append(_STAMP.sub(lambda m: b"+T [" + m.group(1) + b" X]", line))
            if b'"last"' in line:
                break
        # a script's own commands come from "lua"
        return [re.sub(rb"\[0 X\] \"set\" \"b\"", b'[0 lua] "set" "b"', x) for x in out]
    finally:
        mon.close()
        other.close()


@pytest.mark.differential
def test_monitor_like_redis(server, real_redis) -> None:
    ours = _monitor_transcript(server.redis_port)
    theirs = _monitor_transcript(real_redis.port)
    assert ours == theirs
    assert any(b'"AUTH" "(redacted)" "(redacted)"' in x for x in ours)


# -- CLIENT PAUSE -------------------------------------------------------------------------------


@pytest.mark.differential
def test_client_pause_errors_like_redis(differ) -> None:
    cmds = [["CLIENT", "PAUSE", "abc"], ["CLIENT", "PAUSE", "-1"], ["CLIENT", "PAUSE", "10", "foo"],
            ["CLIENT", "PAUSE", "10", "write", "x"], ["CLIENT", "UNPAUSE", "x"],
            ["CLIENT", "UNPAUSE"]]  # fmt: skip
    ours, theirs = differ(cmds)
    assert ours == theirs


def _paused(port: int, mode: str, command: list[str]) -> float:
    """How long ``command`` waits after CLIENT PAUSE 300 <mode> (seconds)."""
    admin = realredis.RawClient(port)
    c = realredis.RawClient(port)
    try:
        assert admin.call("CLIENT", "PAUSE", "300", mode) == b"+OK\r\n"
        t = time.monotonic()
        c.call(*command)
        return time.monotonic() - t
    finally:
        admin.call("CLIENT", "UNPAUSE")
        admin.close()
        c.close()


@pytest.mark.parametrize(
    ("mode", "command", "waits"),
    [("WRITE", ["GET", "x"], False), ("WRITE", ["SET", "x", "1"], True),
     ("WRITE", ["PUBLISH", "ch", "m"], True), ("ALL", ["GET", "x"], True),
     ("WRITE", ["EVAL_RO", "return 1", "0"], False)],
)  # fmt: skip
def test_client_pause_holds_commands(server, mode, command, waits) -> None:
    took = _paused(server.redis_port, mode, command)
    assert (took > 0.2) is waits, took


def test_client_unpause_releases_at_once(server) -> None:
    admin = realredis.RawClient(server.redis_port)
    c = realredis.RawClient(server.redis_port)
    try:
        admin.call("CLIENT", "PAUSE", "10000", "WRITE")  # ALL would hold UNPAUSE too
        threading.Timer(0.2, lambda: realredis.exchange(server.redis_port,
                                                          [["CLIENT", "UNPAUSE"]])).start()  # fmt: skip
        t = time.monotonic()
        assert c.call("SET", "p", "1") == b"+OK\r\n"
        assert 0.15 < time.monotonic() - t < 5
    finally:
        admin.call("CLIENT", "UNPAUSE")
        admin.close()
        c.close()


# -- CLIENT TRACKING -----------------------------------------------------------------------------

TRACKING = [
    ("a", "hello3"), ("a", "CLIENT", "TRACKING", "ON"), ("a", "GET", "k"), ("b", "SET", "k", "1"),
    ("a", "read"), ("a", "GET", "k"), ("a", "SET", "k", "2"), ("a", "read"),
    ("a", "MGET", "k", "k2"), ("b", "MSET", "k", "3", "k2", "4"), ("a", "read"), ("a", "read"),
    ("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "GETREDIR"), ("a", "GET", "k"),
    ("b", "FLUSHALL"), ("a", "read"), ("a", "CLIENT", "TRACKING", "OFF"), ("a", "GET", "k"),
    ("b", "SET", "k", "5"), ("a", "PING"),
    # NOLOOP: its own writes are not announced to it
    ("a", "CLIENT", "TRACKING", "ON", "NOLOOP"), ("a", "GET", "k"), ("a", "SET", "k", "6"),
    ("a", "PING"), ("a", "GET", "k"), ("b", "SET", "k", "7"), ("a", "read"),
    ("a", "CLIENT", "TRACKING", "OFF"),
    # OPTIN: only reads after CLIENT CACHING yes
    ("a", "CLIENT", "TRACKING", "ON", "OPTIN"), ("a", "GET", "k"), ("b", "SET", "k", "8"),
    ("a", "PING"), ("a", "CLIENT", "CACHING", "YES"), ("a", "GET", "k"),
    ("b", "SET", "k", "9"), ("a", "read"), ("a", "CLIENT", "CACHING", "NO"),
    ("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "TRACKING", "ON", "OPTOUT"),
    ("a", "CLIENT", "TRACKING", "OFF"),
    # OPTOUT: every read but those after CLIENT CACHING no
    ("a", "CLIENT", "TRACKING", "ON", "OPTOUT"), ("a", "CLIENT", "CACHING", "NO"),
    ("a", "GET", "k"), ("b", "SET", "k", "10"), ("a", "PING"), ("a", "GET", "k"),
    ("b", "SET", "k", "11"), ("a", "read"), ("a", "CLIENT", "CACHING", "YES"),
    ("a", "CLIENT", "TRACKING", "OFF"),
    # BCAST with prefixes: every change under a prefix, one message per prefix
    ("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "job:"),
    ("b", "SET", "user:1", "x"), ("a", "read"), ("b", "MSET", "job:1", "a", "job:2", "b"),
    ("a", "read"), ("b", "SET", "other", "x"), ("a", "PING"),
    ("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "us"),
    ("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"),
    ("a", "CLIENT", "TRACKING", "ON"), ("a", "CLIENT", "TRACKING", "OFF"),
    # errors
    ("a", "CLIENT", "TRACKING", "ON", "PREFIX", "x"),
    ("a", "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"),
    ("a", "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
    ("a", "CLIENT", "TRACKING", "ON", "REDIRECT", "999999"),
    ("a", "CLIENT", "TRACKING", "ON", "REDIRECT", "x"),
    ("a", "CLIENT", "TRACKING", "ON", "BOGUS"), ("a", "CLIENT", "TRACKING", "MAYBE"),
    ("a", "CLIENT", "CACHING", "YES"), ("a", "CLIENT", "GETREDIR"),
    ("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "CACHING", "x"),
    # reads inside MULTI are tracked; a script's reads are not (Redis 7.0)
    ("a", "CLIENT", "TRACKING", "ON"), ("a", "MULTI"), ("a", "GET", "m1"), ("a", "EXEC"),
    ("b", "SET", "m1", "x"), ("a", "read"),
    ("a", "EVAL", "return redis.call('get', 's1')", "0"), ("b", "SET", "s1", "x"),
    ("a", "PING"), ("a", "CLIENT", "TRACKING", "OFF"),
]  # fmt: skip


@pytest.mark.differential
def test_tracking_like_redis(server, real_redis) -> None:
    ours, theirs = scenario.compare(server.redis_port, real_redis.port, TRACKING)
    assert ours == theirs


def _redirect_steps(b_id: int) -> list:
    return [
        ("b", "SUBSCRIBE", "__redis__:invalidate"),
        ("a", "CLIENT", "TRACKING", "ON", "REDIRECT", str(b_id)), ("a", "GET", "r"),
        ("c", "SET", "r", "1"), ("b", "read"), ("a", "CLIENT", "GETREDIR"),
        ("a", "CLIENT", "TRACKING", "OFF"),
    ]  # fmt: skip


@pytest.mark.differential
def test_tracking_redirect_to_resp2_subscriber_like_redis(server, real_redis) -> None:
    got = []
    for port in (server.redis_port, real_redis.port):
        realredis.exchange(port, [["FLUSHALL"]])
        conns = {w: realredis.RawClient(port) for w in "abc"}
        try:
            b_id = int(conns["b"].call("CLIENT", "ID")[1:-2])
            out = []
            for step in _redirect_steps(b_id):
                c = conns[step[0]]
                rest = list(step[1:])
                if rest == ["read"]:
                    out.append(c.read_reply())
                    continue
                n = 1
                if rest[0].startswith("+"):
                    n, rest = int(rest[0][1:]), rest[1:]
                c.send_raw(realredis._encode(rest))
                out += [c.read_reply() for _ in range(n)]
            got.append([x for x in out if not x.startswith(b":")])
        finally:
            for c in conns.values():
                c.close()
    assert got[0] == got[1]
    assert any(b"message\r\n$20\r\n__redis__:invalidate" in x for x in got[0])
