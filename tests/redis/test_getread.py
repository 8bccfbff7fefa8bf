"""A read made only of GETs (getread.py): answered per read, without the parser and the batch,
when nothing but the lookups is needed; any other read, or any condition the per-read answer
does not cover, goes the general way with nothing done.  What a client sees, and what INFO,
commandstats, SLOWLOG and the LRU clock report, must be what the general path gives."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import getread
from polystack.redis.getread import GetRead, split_gets
from polystack.redis.querybuf import ProtocolError, parse_all


def _cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


def _gets(*keys: bytes, name: bytes = b"GET") -> bytes:
    return b"".join(_cmd(name, k) for k in keys)


def _exchange(port: int, raw: bytes, expect: bytes | None = None, pause: int = 0) -> bytes:
    """Send ``raw`` in one write (or in two, ``pause`` bytes then the rest, 50 ms apart) and
    read until ``expect``'s length arrived (or, without it, until the server has been quiet
    for 200 ms)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        if pause:
            s.sendall(raw[:pause])
            time.sleep(0.05)
            raw = raw[pause:]
        s.sendall(raw)
        data = b""
        s.settimeout(10 if expect is not None else 0.2)
        while expect is None or len(data) < len(expect):
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
        return data


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each call of ``_read_gets`` answered (True: the read was taken whole)."""
    seen: list[bool] = []
    original = GetRead._read_gets

    def spy(self: GetRead, data: bytes) -> bytes | None:
        reply = original(self, data)
        seen.append(reply is not None)
        return reply

    monkeypatch.setattr(GetRead, "_read_gets", spy)
    yield seen


def _stats(r: redis.Redis, name: str = "get") -> dict:
    return r.info("commandstats").get(f"cmdstat_{name}", {"calls": 0, "failed_calls": 0})


# -- the shape (sans-I/O) -------------------------------------------------------------------------
def test_split_gets_takes_whole_gets_of_one_key_length() -> None:
    keys = [b"key:%04d" % i for i in range(16)]
    assert split_gets(_gets(*keys)) == tuple(keys)
    assert split_gets(_gets(b"a\r\nb", b"c\r\nd", name=b"gEt")) == (b"a\r\nb", b"c\r\nd")
    assert split_gets(_gets(b"", b"")) == (b"", b"")
    assert split_gets(_gets(b"x" * 1000, b"y" * 1000)) is not None
    assert split_gets(_gets(b"k1")) is None  # one request: the session's _run_one


@pytest.mark.parametrize(
    "data",
    [
        _gets(b"k1", b"key2"),  # keys of two lengths
        _gets(b"k1") + _cmd(b"get", b"k2"),  # two spellings
        _gets(b"k1") + _cmd(b"SET", b"k", b"v"),
        _gets(b"k1", b"k2")[:-1],  # cut by the end of the read
        _gets(b"k1", b"k2")[:-6],
        _gets(b"k1", b"k2") + b"*2\r\n",
        _gets(b"k1").replace(b"$2", b"$02") * 2,  # not as string2ll reads a length
        _gets(b"k1").replace(b"$2", b"$+2") * 2,
        _gets(b"k1", b"k2").replace(b"k2\r\n", b"k2\n\n"),  # the CRLF after a key
        _gets(b"k1", b"k2").replace(b"$3\r\nGET\r\n$2", b"$3\r\nGET\n\n$2"),
        _gets(b"x" * 1024, b"y" * 1024),  # keys past 1 KiB: the parser's
        _cmd(b"TTL", b"k1") + _cmd(b"GET", b"k2"),
        _cmd(b"TTL", b"k1") * 2,
        _cmd(b"GEX", b"k1") * 2,
        b"*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n" + b"PING\r\n",
        b"",
    ],
)
def test_split_gets_refuses_anything_else(data: bytes) -> None:
    assert split_gets(data) is None


def _reference(data: bytes) -> list[list[bytes]] | None:
    """The requests QueryBuffer (processMultibulkBuffer's port) reads from ``data`` whole, or
    None if it refuses the bytes or holds a partial request at the end."""
    try:
        got = parse_all(data)
    except ProtocolError:
        return None
    rebuilt = b"".join(_cmd(*argv) for argv in got)
    return got if rebuilt == data else None


names = st.sampled_from([b"GET", b"get", b"Get", b"gET", b"SET", b"TTL"])


@st.composite
def get_reads(draw: st.DrawFn) -> bytes:
    """Reads of GETs, mostly well formed: keys of one length (or not), one spelling (or not),
    and a few bytes changed, cut off or added."""
    n = draw(st.integers(0, 12))
    same = draw(st.booleans())
    keys = draw(
        st.lists(
            st.binary(min_size=n, max_size=n) if same else st.binary(max_size=12),
            min_size=1,
            max_size=8,
        )
    )
    name = draw(names)
    data = b"".join(_cmd(draw(names) if draw(st.integers(0, 9)) == 0 else name, k) for k in keys)
    for _ in range(draw(st.integers(0, 2))):
        how = draw(st.integers(0, 2))
        pos = draw(st.integers(0, len(data)))
        if how == 0:
            data = data[:pos]
        elif how == 1 and pos < len(data):
            data = (
                data[:pos] + bytes([draw(st.sampled_from(b"\r\n$*0123456789gx"))]) + data[pos + 1 :]
            )
        else:
            data = data[:pos] + draw(st.binary(max_size=6)) + data[pos:]
    return data


@settings(max_examples=600, deadline=None)
@given(get_reads())
def test_split_gets_agrees_with_the_parser(data: bytes) -> None:
    """Whatever the bytes: a read split_gets takes is one the parser reads as exactly those
    GETs (whole, nothing left); a read of GETs spelt alike with keys of one length that the
    parser reads whole is taken."""
    got = split_gets(data)
    want = _reference(data)
    if got is not None:
        assert want is not None and len(want) == len(got)
        assert {argv[0] for argv in want} <= {b"GET", b"get", b"Get", b"gET"}
        assert want == [[want[0][0], k] for k in got]
    elif want:
        names_sent = {argv[0] for argv in want}
        shapes = {(len(argv), len(argv[-1])) for argv in want}
        assert (
            len(want) < 2  # (one request: the session's own path)
            or len(names_sent) > 1
            or len(shapes) > 1
            or len(want[0]) != 2
            or want[0][0].lower() != b"get"
            or len(want[0][1]) >= 1024
        )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_split_gets_on_any_bytes(data: bytes) -> None:
    got = split_gets(getread.GET_HEAD + data)
    if got is not None:
        want = _reference(getread.GET_HEAD + data)
        assert want is not None and [argv[1] for argv in want] == list(got)
        assert {argv[0].lower() for argv in want} == {b"get"}


# -- through a connection ---------------------------------------------------------------------
def test_a_read_of_gets_is_answered_whole(server, r: redis.Redis, answered: list[bool]) -> None:
    keys = [b"key:%04d" % i for i in range(16)]
    for i, k in enumerate(keys):
        r.set(k, b"v%02d" % i)
    r.config_resetstat()
    want = b"".join(b"$3\r\nv%02d\r\n" % i for i in range(16))
    assert _exchange(server.redis_port, _gets(*keys), want) == want
    assert answered == [True]
    stats = _stats(r)
    assert stats["calls"] == 16 and stats["failed_calls"] == 0
    info = r.info("stats")
    assert (info["keyspace_hits"], info["keyspace_misses"]) == (16, 0)
    hist = r.execute_command("LATENCY", "HISTOGRAM", "get")
    assert hist[1][1] == 16  # every call is in the histogram


def test_values_of_several_lengths_and_misses(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("a", "1")
    r.set("bb", "")  # (a key of another length: its own read below)
    r.set("cc", "x" * 4095)
    r.config_resetstat()
    raw = _gets(b"aa", b"cc", b"zz", b"cc", b"zz")
    want = (
        b"$-1\r\n$4095\r\n" + b"x" * 4095 + b"\r\n$-1\r\n$4095\r\n" + b"x" * 4095 + b"\r\n$-1\r\n"
    )
    assert _exchange(server.redis_port, raw, want) == want
    assert _exchange(server.redis_port, _gets(b"a", b"a", b"b"), b"$1\r\n1\r\n" * 2 + b"$-1\r\n")
    assert (
        _exchange(server.redis_port, _gets(b"bb", b"zz", b"bb")) == b"$0\r\n\r\n$-1\r\n$0\r\n\r\n"
    )
    assert answered == [True, True, True]
    info = r.info("stats")
    assert (info["keyspace_hits"], info["keyspace_misses"]) == (6, 5)
    assert _stats(r)["calls"] == 11


def test_resp3_nil(server, answered: list[bool]) -> None:
    with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
        s.sendall(_cmd(b"HELLO", b"3"))
        s.settimeout(5)
        hello = s.recv(65536)
        assert hello.startswith(b"%")
        s.sendall(_gets(b"none1", b"none2"))
        got = b""
        while len(got) < 6:
            got += s.recv(65536)
    assert got == b"_\r\n_\r\n" and answered[-1] is True


def test_the_lru_clock_is_stored_for_each_key_found(
    server, r: redis.Redis, answered: list[bool]
) -> None:
    r.set("k1", "v")
    r.set("k2", "v")
    svc = server.service("redis")
    db = svc.keyspace.dbs[0]

    def age() -> None:
        db.lru[b"k1"] = db.lru[b"k2"] = 0

    server.call(age)
    _exchange(server.redis_port, _gets(b"k1", b"k3", b"k1"), b"$1\r\nv\r\n$-1\r\n$1\r\nv\r\n")
    _exchange(server.redis_port, _gets(b"k2", b"k2"), b"$1\r\nv\r\n" * 2)
    assert answered == [True, True]
    assert server.call(lambda: (db.lru[b"k1"], db.lru[b"k2"])) == (svc.lruclock,) * 2
    assert server.call(lambda: b"k3" in db.lru) is False
    assert r.object("idletime", "k1") == 0


def test_wrong_type_goes_the_general_way(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("s1", "v")
    r.rpush("l1", "x")
    r.config_resetstat()
    out = _exchange(server.redis_port, _gets(b"s1", b"l1", b"s1"))
    assert out == (
        b"$1\r\nv\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        b"$1\r\nv\r\n"
    )
    assert answered == [False]
    assert _stats(r)["calls"] == 3 and _stats(r)["failed_calls"] == 1


def test_keys_with_a_deadline_go_the_general_way(
    server, r: redis.Redis, answered: list[bool]
) -> None:
    r.set("t1", "v", px=1)
    r.set("t2", "w", ex=100)
    r.set("t3", "x")
    time.sleep(0.01)
    out = _exchange(server.redis_port, _gets(b"t1", b"t2", b"t3"), b"$-1\r\n$1\r\nw\r\n$1\r\nx\r\n")
    assert out == b"$-1\r\n$1\r\nw\r\n$1\r\nx\r\n"
    assert answered == [False]
    assert r.exists("t1") == 0  # expired on access
    # a deadline elsewhere in the database does not stop a read of other keys
    assert _exchange(server.redis_port, _gets(b"t3", b"t3"), b"$1\r\nx\r\n" * 2)
    assert answered == [False, True]


def test_large_values_go_the_general_way(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("b1", "x" * 4096)
    want = (b"$4096\r\n" + b"x" * 4096 + b"\r\n") * 2
    assert _exchange(server.redis_port, _gets(b"b1", b"b1"), want) == want
    assert answered == [False]


def test_spellings(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("m1", "v")
    want = b"$1\r\nv\r\n" * 3
    assert _exchange(server.redis_port, _gets(b"m1", b"m1", b"m1", name=b"gEt"), want) == want
    mixed = _cmd(b"GET", b"m1") + _cmd(b"get", b"m1") + _cmd(b"GET", b"m1")
    assert _exchange(server.redis_port, mixed, want) == want
    assert answered == [True, False]  # (mixed case: the dispatch table's lower-case name)


def test_a_read_that_ends_mid_request(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("p1", "v")
    raw = _gets(b"p1", b"p1", b"p1")
    want = b"$1\r\nv\r\n" * 3
    for cut in (5, 20, len(raw) - 1):
        answered.clear()
        assert _exchange(server.redis_port, raw, want, pause=cut) == want
        assert True not in answered  # the parser held a partial request: never taken


def test_malformed_reads_get_the_protocol_error(server, answered: list[bool]) -> None:
    raw = _gets(b"k1").replace(b"$2", b"$02") * 2
    out = _exchange(server.redis_port, raw)
    assert out == b"-ERR Protocol error: invalid bulk length\r\n"
    assert answered == [False]


@pytest.mark.differential
def test_reads_of_gets_match_real_redis(server, real_redis) -> None:
    setup = _cmd(b"FLUSHALL") + _cmd(b"SET", b"k1", b"v1") + _cmd(b"SET", b"k2", b"longer")
    setup += (
        _cmd(b"RPUSH", b"k3", b"x") + _cmd(b"SET", b"k4", b"") + _cmd(b"SET", b"k5", b"y" * 5000)
    )
    reads = [
        _gets(b"k1", b"k1", b"k9"),
        _gets(b"k1", b"k2", b"k4"),
        _gets(b"k1", b"k3", b"k2"),
        _gets(b"k5", b"k1"),
        _gets(b"k1", name=b"get") * 4,
        _gets(b"k1", b"key2"),
    ]
    for port in (server.redis_port, real_redis.port):
        _exchange(port, setup, b"+OK\r\n" * 3 + b":1\r\n" + b"+OK\r\n" * 2)
    for raw in reads:
        assert _exchange(server.redis_port, raw) == _exchange(real_redis.port, raw)


# -- the conditions that send a read the general way ----------------------------------------------
def test_keyspace_notifications(server, r: redis.Redis, answered: list[bool]) -> None:
    r.config_set("notify-keyspace-events", "Km")  # key-miss events
    p = r.pubsub()
    try:
        p.psubscribe("__keyspace@0__:*")
        p.get_message(timeout=1)
        assert _exchange(server.redis_port, _gets(b"n1", b"n2"), b"$-1\r\n" * 2)
        assert answered == [False]
        got = [p.get_message(timeout=1) for _ in range(2)]
        assert [m["channel"] for m in got if m] == [b"__keyspace@0__:n1", b"__keyspace@0__:n2"]
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")


def test_lfu_policy(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("f1", "v")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        before = r.object("freq", "f1")
        assert _exchange(server.redis_port, _gets(b"f1", b"f1"), b"$1\r\nv\r\n" * 2)
        assert answered == [False]
        assert r.object("freq", "f1") >= before
    finally:
        r.config_set("maxmemory-policy", "noeviction")


def test_slowlog_threshold_zero(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("s1", "v")
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.slowlog_reset()
        assert _exchange(server.redis_port, _gets(b"s1", b"s1"), b"$1\r\nv\r\n" * 2)
        assert answered == [False]
        commands = [e["command"] for e in r.slowlog_get(10)]
        assert commands.count(b"GET s1") == 2
    finally:
        r.config_set("slowlog-log-slower-than", 10000)


def test_a_slow_read_names_each_get_in_slowlog(
    server, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read's time is shared out evenly among its GETs: with a clock that advances a
    second per call, each of the two GETs of a read took half a second."""
    r.set("w1", "v")
    r.slowlog_reset()
    ticks = iter(range(1_000_000))
    monkeypatch.setattr(getread, "_perf", lambda: float(next(ticks)))
    assert _exchange(server.redis_port, _gets(b"w1", b"w2"), b"$1\r\nv\r\n$-1\r\n")
    monkeypatch.undo()
    entries = [(e["command"], e["duration"]) for e in r.slowlog_get(10)]
    assert sorted(entries) == [(b"GET w1", 500_000), (b"GET w2", 500_000)]


def test_tracking_and_monitor_clients(server, r: redis.Redis, answered: list[bool]) -> None:
    """A client with tracking on is not plain; MONITOR makes no client plain."""
    r.set("c1", "v")
    with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
        s.settimeout(5)
        s.sendall(_cmd(b"HELLO", b"3") + _cmd(b"CLIENT", b"TRACKING", b"on"))
        time.sleep(0.1)
        s.recv(65536)
        s.sendall(_gets(b"c1", b"c1"))
        got = b""
        while len(got) < 14:
            got += s.recv(65536)
        assert got == b"$1\r\nv\r\n" * 2
        r.set("c1", "w")  # the tracked key changes: an invalidation push
        push = s.recv(65536)
        assert push.startswith(b">2\r\n$10\r\ninvalidate\r\n")
    assert answered == []
    m = redis.Redis(port=server.redis_port).monitor()
    with m:
        _exchange(server.redis_port, _gets(b"c1", b"c1"), b"$1\r\nw\r\n" * 2)
        seen = [m.next_command()["command"] for _ in range(2)]
    assert seen == ["GET c1", "GET c1"] and answered == []


def test_acl_key_patterns(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("ok:1", "v")
    r.set("no:1", "v")
    r.acl_setuser("reader", enabled=True, passwords=["+pw"], keys=["ok:*"], commands=["+@all"])
    try:
        with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
            s.settimeout(5)
            s.sendall(_cmd(b"AUTH", b"reader", b"pw"))
            assert s.recv(65536) == b"+OK\r\n"
            s.sendall(_gets(b"ok:1", b"no:1"))
            got = b""
            while not got.endswith(b"\r\n") or got.count(b"\r\n") < 3:
                got += s.recv(65536)
        assert got.startswith(b"$1\r\nv\r\n-NOPERM")
        assert answered == []
    finally:
        r.acl_deluser("reader")
