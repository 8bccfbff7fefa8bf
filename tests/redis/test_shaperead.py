"""A read made of one request repeated (shaperead.py): SADD, ZADD, LPUSH/RPUSH, LPOP/RPOP and
HSET answered ``k`` at a time, without the parser and the batch, in their handlers' common
case; any other read, or any condition the per-read answer does not cover, goes the general
way with nothing done.  Replies, the data (DUMP, OBJECT ENCODING), the log's records, dirty,
commandstats and the keyspace stats must be what the general path gives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import hiredis
import pytest
import redis
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from polystack.redis.querybuf import parse_all
from polystack.redis.service import RedisService
from polystack.redis.shaperead import ShapeRead, parse_request, split_same


def _cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


# -- the shape (sans-I/O) -------------------------------------------------------------------------
def test_split_same_takes_one_request_repeated() -> None:
    req = _cmd(b"SADD", b"myset", b"element:__rand_int__")
    args = (b"SADD", b"myset", b"element:__rand_int__")
    assert split_same(req * 16) == (args, (b"element:__rand_int__",) * 16, 16)
    assert split_same(_cmd(b"LPOP", b"l") * 2) == ((b"LPOP", b"l"), (), 2)
    assert split_same(_cmd(b"X", b"a\r\nb", b"") * 3) == ((b"X", b"a\r\nb", b""), (b"",) * 3, 3)
    assert split_same(req) is None  # one request: the session's _run_one
    assert split_same(req * 16 + req[:5]) is None  # cut by the end of the read
    assert split_same(b"PING\r\nPING\r\n") is None  # inline
    assert split_same(b"*1\r\n$4\r\nPING\r\n" * 4) is None  # no key
    assert split_same(b"*2\r\n$4\r\nLPOP\r\n$1\r\nl\r\n" * 4) == ((b"LPOP", b"l"), (), 4)
    assert split_same(b"*02\r\n$4\r\nLPOP\r\n$1\r\nl\r\n" * 4) is None  # not as Redis writes
    assert split_same(b"*2\r\n$04\r\nLPOP\r\n$1\r\nl\r\n" * 4) is None
    assert split_same(b"*2\r\n$+4\r\nLPOP\r\n$1\r\nl\r\n" * 4) is None
    assert split_same(b"*2\r\n$3\r\nLPOP\r\n$1\r\nl\r\n" * 4) is None
    assert split_same(b"*3\r\n$4\r\nLPOP\r\n$1\r\nl\r\n" * 4) is None  # two requests' worth


def test_split_same_takes_one_shape_with_other_arguments() -> None:
    """redis-benchmark's -r: one name and key, the other arguments of one length each."""
    members = [b"element:%012d" % i for i in range(16)]
    data = b"".join(_cmd(b"SADD", b"myset", m) for m in members)
    assert split_same(data) == ((b"SADD", b"myset", members[0]), tuple(members), 16)
    pairs = [(b"%012d" % i, b"m%%%d" % (i % 10)) for i in range(5)]
    data = b"".join(_cmd(b"ZADD", b"z%", s, m) for s, m in pairs)
    assert split_same(data) == (
        (b"ZADD", b"z%", *pairs[0]),
        tuple(x for p in pairs for x in p),
        5,
    )
    assert split_same(_cmd(b"SADD", b"s", b"a") + _cmd(b"SADD", b"t", b"b")) is None  # two keys
    assert split_same(_cmd(b"SADD", b"s", b"a") + _cmd(b"sadd", b"s", b"b")) is None  # spelling
    assert split_same(_cmd(b"SADD", b"s", b"a") + _cmd(b"SADD", b"s", b"bb")) is None  # lengths
    assert split_same(_cmd(b"A", b"B") + _cmd(b"A", b"C")) is None


def test_parse_request_refuses_what_is_not_one_request() -> None:
    assert parse_request(_cmd(b"GET", b"k")) == (b"GET", b"k")
    assert parse_request(_cmd(b"GET", b"k") * 2) == ()
    assert parse_request(_cmd(*[b"a"] * 9)) == ()  # more arguments than it takes
    assert parse_request(b"*0\r\n") == ()
    assert parse_request(b"*1\r\n$1\r\nab\r\n") == ()
    assert parse_request(b"*1\r\n$-1\r\n") == ()


_ARG = st.binary(max_size=12) | st.sampled_from([b"SADD", b"*1\r\n", b"$3\r\n", b"\r\n", b"x"])


@st.composite
def repeated(draw: st.DrawFn) -> bytes:
    """One request repeated, or requests of one shape (the arguments after the second of
    one length, their bytes drawn), maybe damaged (a byte changed, cut, extended, another
    request)."""
    args = draw(st.lists(_ARG, min_size=1, max_size=9))
    k = draw(st.integers(1, 20))
    if draw(st.booleans()):
        data = _cmd(*args) * k
    else:
        data = b""
        for _ in range(k):
            other = [draw(st.binary(min_size=len(a), max_size=len(a))) for a in args[2:]]
            data += _cmd(*args[:2], *other)
    change = draw(st.sampled_from(["none", "byte", "cut", "extend", "other"]))
    if change == "byte" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    elif change == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    elif change == "extend":
        data += draw(st.binary(max_size=30))
    elif change == "other":
        data += _cmd(*draw(st.lists(_ARG, min_size=1, max_size=4)))
    return data


@settings(max_examples=600, deadline=None)
@given(repeated())
def test_split_same_agrees_with_the_parser(data: bytes) -> None:
    """Whatever split_same takes is exactly what the parser reads from those bytes: ``k``
    whole requests, all equal, and nothing left over."""
    got = split_same(data)
    if got is None:
        return
    args, rest, k = got
    assert k >= 2
    w = len(args) - 2
    requests = [[*args[:2], *rest[i * w : i * w + w]] for i in range(k)]
    assert requests[0] == list(args)
    assert parse_all(data) == requests
    assert b"".join(_cmd(*r) for r in requests) == data


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=200))
def test_split_same_on_any_bytes(data: bytes) -> None:
    got = split_same(data)
    if got is not None:
        args, rest, k = got
        w = len(args) - 2
        assert parse_all(data) == [[*args[:2], *rest[i * w : i * w + w]] for i in range(k)]


# -- against the general path -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """This module's own server (conftest's is shared by the whole session: once an earlier
    module used client tracking, its table's key listener stays and every read here would go
    the general way)."""
    import polystack.testing

    with polystack.testing.serve(redis=True) as s:
        yield s


class _Spy:
    """What ``_read_same`` answered and what reached the log (``log_commands``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answered: list[bool] = []
        self.logged: list[tuple[int, list[bytes]]] = []
        self.general = False
        original_read = ShapeRead._read_same
        original_log = RedisService.log_commands
        spy = self

        def read_same(client: Any, data: bytes) -> bool:
            taken = False if spy.general else original_read(client, data)
            spy.answered.append(taken)
            return taken

        def log_commands(service: Any, entries: list) -> None:
            spy.logged += [(db, list(argv)) for db, argv in entries]
            original_log(service, entries)

        monkeypatch.setattr(ShapeRead, "_read_same", read_same)
        monkeypatch.setattr(RedisService, "log_commands", log_commands)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Spy]:
    yield _Spy(monkeypatch)


def _exchange(port: int, raw: bytes, replies: int) -> bytes:
    """Send ``raw`` in one write and read until ``replies`` replies arrived (raw bytes)."""
    reader = hiredis.Reader()
    data = b""
    got = 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(10)
        s.sendall(raw)
        while got < replies:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            reader.feed(chunk)
            while reader.gets() is not False:
                got += 1
    return data


def _state(server: Any, r: redis.Redis, key: bytes, name: str) -> dict:
    svc = server.service("redis")
    info = r.info("commandstats").get(f"cmdstat_{name}", {})
    stats = r.info("stats")
    exists = r.exists(key)
    return {
        "dump": r.dump(key),
        "encoding": r.object("encoding", key) if exists else None,
        "pttl": min(r.pttl(key), 1),  # (-2, -1, or a deadline)
        "idle": r.object("idletime", key) if exists else None,
        "calls": info.get("calls", 0),
        "failed": info.get("failed_calls", 0),
        "errors": r.info("errorstats"),
        "hits": stats["keyspace_hits"],
        "misses": stats["keyspace_misses"],
        "dirty": server.call(lambda: svc.keyspace.dirty),
        "type": r.type(key),
    }


def _run(server: Any, spy: _Spy, setup: list[list[bytes]], request: list, k: int):
    """Flush, run ``setup``, then send ``request`` ``k`` times in one write (``request``: one
    request, or a list of ``k`` requests of one shape): the replies, the log's records of
    that read and the state before and after it."""
    if isinstance(request[0], list):
        raw = b"".join(_cmd(*argv) for argv in request)
        request = request[0]
    else:
        raw = _cmd(*request) * k
    r = redis.Redis(port=server.redis_port)
    try:
        r.flushall()
        for argv in setup:
            r.execute_command(*argv)
        key = request[1]
        name = request[0].decode().lower()
        before = _state(server, r, key, name)
        spy.logged.clear()
        replies = _exchange(server.redis_port, raw, k)
        logged = list(spy.logged)
        after = _state(server, r, key, name)
    finally:
        r.close()
    delta = {f: after[f] - before[f] for f in ("calls", "failed", "hits", "misses", "dirty")}
    return replies, logged, delta, {f: after[f] for f in ("dump", "encoding", "pttl", "type")}


def _compare(server: Any, spy: _Spy, setup: list, request: list, k: int) -> bool:
    """The read's outcome through shaperead and through the general path must be the same;
    whether shaperead took it."""
    spy.general = False
    spy.answered.clear()
    fast = _run(server, spy, setup, request, k)
    taken = any(spy.answered)
    spy.general = True
    slow = _run(server, spy, setup, request, k)
    spy.general = False
    assert fast == slow
    return taken


def _push_many(key: bytes, elements: list[bytes]) -> list[list[bytes]]:
    return [[b"RPUSH", key, *elements[i : i + 500]] for i in range(0, len(elements), 500)]


_EXPIRE = [b"PEXPIRE", b"k", b"100000"]
_WRONG = [[b"SET", b"k", b"v"]]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list, list, int]:
    kind = draw(st.sampled_from(["sadd", "zadd", "lpush", "rpush", "lpop", "rpop", "hset"]))
    name = draw(st.sampled_from([kind.upper().encode(), kind.encode()]))
    k = draw(st.integers(2, 40))
    setup: list[list[bytes]] = []
    if kind == "sadd":
        member = draw(st.sampled_from([b"element:__rand_int__", b"m", b"7"]))
        held = draw(st.sampled_from([[], [b"other"], [member], [b"1", b"2"], [member, b"x"]]))
        if held:
            setup.append([b"SADD", b"k", *held])
        request = [name, b"k", member]
    elif kind == "zadd":
        member = draw(st.sampled_from([b"element:__rand_int__", b"m" * 70, b"m"]))
        score = draw(st.sampled_from([b"0", b"0", b"1", b"1.5", b"-0", b"NX", b"inf"]))
        held = draw(
            st.sampled_from([[], [b"0", member], [b"0", member], [b"1", member], [b"0", b"x"]])
        )
        if held:
            setup.append([b"ZADD", b"k", *held])
        if draw(st.booleans()):
            setup.append([b"ZADD", b"k", b"3", b"y" * 70])  # skiplist encoded
        request = [name, b"k", score, member]
    elif kind in ("lpush", "rpush"):
        value = draw(st.sampled_from([b"xxx", b"xxx", b"12", b"", b"x" * 70, b"abc", b":"]))
        n = draw(st.sampled_from([0, 1, 5, 5, 1630, 1636, 1640, 1650, 3270]))
        if n:
            setup += _push_many(b"k", [b"xxx"] * n)
        request = [name, b"k", value]
    elif kind in ("lpop", "rpop"):
        elements = draw(
            st.lists(
                st.sampled_from([b"xxx", b"12", b"a" * 70, b"", b"yy", b"z" * 5000]), max_size=8
            )
        )
        n = draw(st.sampled_from([0, 1, 20, 40, 41, 2000, 2000, 2000]))
        elements += [b"xxx"] * n
        if elements:
            setup += _push_many(b"k", elements)
        request = [name, b"k"]
    else:
        field = draw(st.sampled_from([b"element:__rand_int__", b"f" * 70]))
        value = draw(st.sampled_from([b"xxx", b"v" * 70, b"1"]))
        fields = draw(st.sampled_from([0, 1, 127, 128]))
        if fields:
            pairs = [x for i in range(fields) for x in (b"f%d" % i, b"x")]
            setup.append([b"HSET", b"k", *pairs])
        if draw(st.booleans()):
            setup.append([b"HSET", b"k", field, b"old"])
        request = [name, b"k", field, value]
    if setup and draw(st.integers(0, 9)) == 0:
        setup.append(_EXPIRE)
    if draw(st.integers(0, 14)) == 0:
        setup = _WRONG
    if len(request) > 2 and draw(st.booleans()):
        # redis-benchmark's -r: each request's arguments after the key differ (same lengths)
        options = {
            "sadd": [b"element:%012d", b"m%d"],
            "zadd": [b"%d", b"1%d", b"element:%012d"],
            "hset": [b"element:%012d", b"f%d", b"v%d"],
        }.get(kind, [b"x%d", b"%d", b"y%d"])
        requests = []
        for _ in range(k):
            argv = list(request)
            for i in range(2, len(argv)):
                if draw(st.booleans()):
                    fmt = draw(st.sampled_from(options))
                    v = fmt % draw(st.integers(0, 3))
                    argv[i] = v if len(v) == len(request[i]) else request[i]
            requests.append(argv)
        requests[0] = list(request)
        return setup, requests, k
    return setup, request, k


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenarios())
def test_a_repeated_request_matches_the_general_path(server, spy: _Spy, scenario) -> None:
    setup, request, k = scenario
    taken = _compare(server, spy, setup, request, k)
    first = request[0] if isinstance(request[0], list) else request
    shape = " (one shape)" if first is not request else ""
    event(f"{first[0].decode().lower()}{shape} {'taken' if taken else 'general'}")


# The benchmark's reads, and the edges of each case, are taken (and still match).
@pytest.mark.parametrize(
    ("setup", "argv"),
    [
        ([[b"SADD", b"myset", b"element:__rand_int__"]], [b"SADD", b"myset", b"element:__rand_int__"]),
        ([[b"SADD", b"myset", b"other"]], [b"SADD", b"myset", b"element:__rand_int__"]),
        ([[b"ZADD", b"myzset", b"0", b"element:__rand_int__"]], [b"ZADD", b"myzset", b"0", b"element:__rand_int__"]),
        ([[b"ZADD", b"z", b"2", b"m", b"1", b"y" * 70]], [b"ZADD", b"z", b"2", b"m"]),
        ([[b"LPUSH", b"mylist", b"xxx"]], [b"LPUSH", b"mylist", b"xxx"]),
        (_push_many(b"mylist", [b"xxx"] * 1630), [b"LPUSH", b"mylist", b"xxx"]),
        (_push_many(b"mylist", [b"xxx"] * 1630), [b"RPUSH", b"mylist", b"xxx"]),
        (_push_many(b"mylist", [b"xxx"] * 300), [b"LPOP", b"mylist"]),
        (_push_many(b"mylist", [b"a", b"bb", b"12", b"c" * 80] * 30), [b"LPOP", b"mylist"]),
        (_push_many(b"mylist", [b"a", b"bb", b"12", b"c" * 80] * 30), [b"RPOP", b"mylist"]),
        ([[b"HSET", b"myhash", b"element:__rand_int__", b"xxx"]], [b"HSET", b"myhash", b"element:__rand_int__", b"xxx"]),
        ([[b"HSET", b"myhash", b"a", b"b"]], [b"HSET", b"myhash", b"element:__rand_int__", b"xxx"]),
        ([[b"HSET", b"myhash", *[b"f%d" % (i // 2) for i in range(256)]]], [b"HSET", b"myhash", b"new", b"x"]),
        ([[b"HSET", b"myhash", b"a", b"b"]], [b"HSET", b"myhash", b"a", b"v" * 65]),
    ],
)  # fmt: skip
def test_the_common_cases_are_taken(server, spy: _Spy, setup: list, argv: list) -> None:
    assert _compare(server, spy, setup, argv, 16)


_RAND = [b"%012d" % (i * 7919 % 13) for i in range(16)]  # redis-benchmark -r's (repeats too)


@pytest.mark.parametrize(
    ("setup", "requests"),
    [
        ([[b"SADD", b"myset", b"x"]], [[b"SADD", b"myset", b"element:" + r] for r in _RAND]),
        (
            [[b"HSET", b"myhash", b"x", b"y"]],
            [[b"HSET", b"myhash", b"element:" + r, b"xxx"] for r in _RAND],
        ),
        (
            [[b"HSET", b"myhash", *[b"f%03d" % i for i in range(250)]]],
            [[b"HSET", b"myhash", b"element:" + r, b"xxx"] for r in _RAND],
        ),
        (
            [[b"ZADD", b"myzset", *[x for r in _RAND for x in (b"1", b"element:" + r)]]],
            [[b"ZADD", b"myzset", b"1", b"element:" + r] for r in _RAND],
        ),
        ([[b"RPUSH", b"l", b"a"]], [[b"LPUSH", b"l", b"v" + r] for r in _RAND]),
        (_push_many(b"l", [b"xxx"] * 1630), [[b"LPUSH", b"l", b"v" + r] for r in _RAND]),
        (_push_many(b"l", [b"xxx"] * 1630), [[b"RPUSH", b"l", b"v" + r] for r in _RAND]),
    ],
)
def test_reads_of_one_shape_are_taken(server, spy: _Spy, setup: list, requests: list) -> None:
    """redis-benchmark -r's reads: one name and key, the members, fields, values differ."""
    assert _compare(server, spy, setup, requests, 16)


def test_a_read_of_one_shape_that_is_not_the_common_case(server, spy: _Spy) -> None:
    """ZADD of new members, LPUSH of integers: the general way, nothing done before."""
    setup = [[b"ZADD", b"myzset", b"1", b"element:" + _RAND[0]]]
    requests = [[b"ZADD", b"myzset", b"1", b"element:" + r] for r in _RAND]
    assert not _compare(server, spy, setup, requests, 16)
    requests = [[b"LPUSH", b"l", b"v" + r] for r in _RAND]
    requests[5] = [b"LPUSH", b"l", b"1" + _RAND[5]]
    assert not _compare(server, spy, [[b"RPUSH", b"l", b"a"]], requests, 16)


@pytest.mark.parametrize(
    ("setup", "argv"),
    [
        ([], [b"SADD", b"s", b"m"]),  # a new key
        ([[b"SADD", b"s", b"1"]], [b"SADD", b"s", b"m"]),  # an intset
        ([[b"ZADD", b"z", b"1", b"m"]], [b"ZADD", b"z", b"2", b"m"]),  # another score
        ([[b"ZADD", b"z", b"1", b"m"]], [b"ZADD", b"z", b"1.0", b"m"]),  # not an integral form
        ([[b"RPUSH", b"l", b"a"]], [b"LPUSH", b"l", b"12"]),  # an integer
        ([[b"RPUSH", b"l", b"a"]], [b"LPUSH", b"l", b"x" * 63]),  # a longer entry
        ([[b"RPUSH", b"l", *[b"a"] * 16]], [b"LPOP", b"l"]),  # the node goes
        ([[b"RPUSH", b"l", *[b"a"] * 40, b"x" * 5000]], [b"RPOP", b"l"]),  # a large reply
        ([[b"SET", b"l", b"v"]], [b"LPOP", b"l"]),  # another type
        ([[b"SADD", b"s", b"m"], [b"PEXPIRE", b"s", b"100000"]], [b"SADD", b"s", b"m"]),
        ([[b"HSET", b"h", b"a", b"b"]], [b"HMSET", b"h", b"a", b"b"]),  # not lean
        ([[b"SADD", b"s", b"m"]], [b"SADD", b"s", b"m", b"n"]),  # two members
    ],
)
def test_other_cases_go_the_general_way(server, spy: _Spy, setup: list, argv: list) -> None:
    assert not _compare(server, spy, setup, argv, 16)


def test_a_restart_replays_the_reads(tmp_path) -> None:
    """The writes of a shape read reach the journal, in order: after a restart the data is
    the data the replies described."""
    import polystack.testing

    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        port = s.redis_port
        r = redis.Redis(port=port)
        r.rpush("l", "first")
        r.sadd("s", "other")
        r.hset("h", "a", "b")
        _exchange(port, _cmd(b"LPUSH", b"l", b"xxx") * 3000, 3000)
        _exchange(port, _cmd(b"RPUSH", b"l", b"yy") * 10, 10)
        _exchange(port, _cmd(b"LPOP", b"l") * 16, 16)
        _exchange(port, _cmd(b"RPOP", b"l") * 4, 4)
        _exchange(port, _cmd(b"SADD", b"s", b"m") * 16, 16)
        _exchange(port, _cmd(b"HSET", b"h", b"f", b"v") * 16, 16)
        dumps = [r.dump(k) for k in ("l", "s", "h")]
        assert r.llen("l") == 3001 + 10 - 20
        r.close()
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        assert [r.dump(k) for k in ("l", "s", "h")] == dumps
        r.close()


# -- the conditions that send a read the general way ----------------------------------------------
_SADD16 = _cmd(b"SADD", b"s", b"m") * 16


def _taken(server: Any, spy: _Spy, raw: bytes = _SADD16, port: int | None = None) -> bool:
    spy.answered.clear()
    _exchange(port or server.redis_port, raw, 16)
    return any(spy.answered)


@pytest.mark.parametrize(
    ("name", "value", "default"),
    [
        ("notify-keyspace-events", "KEA", ""),
        ("maxmemory-policy", "allkeys-lfu", "noeviction"),
        ("slowlog-log-slower-than", "0", "10000"),
        ("maxmemory", "1gb", "0"),
    ],
)
def test_server_conditions(server, r: redis.Redis, spy: _Spy, name, value, default) -> None:
    r.sadd("s", "m")
    assert _taken(server, spy)
    r.config_set(name, value)
    try:
        assert not _taken(server, spy)
    finally:
        r.config_set(name, default)
    assert _taken(server, spy)


def _open(port: int, *requests: list[bytes]) -> socket.socket:
    """A connection that sent ``requests`` (and read their replies)."""
    s = socket.create_connection(("127.0.0.1", port))
    for argv in requests:
        s.sendall(_cmd(*argv))
        reader = hiredis.Reader()
        while True:
            reader.feed(s.recv(65536))
            if reader.gets() is not False:
                break
    return s


def test_a_watched_key(server, r: redis.Redis, spy: _Spy) -> None:
    """Another client's WATCH listens to keys: the general way, which signals the key."""
    r.sadd("s", "m")
    with _open(server.redis_port, [b"WATCH", b"s"]):
        assert not _taken(server, spy, _cmd(b"SADD", b"s", b"n") * 16)
    r.ping()
    assert _taken(server, spy)


def test_a_tracked_key(spy: _Spy) -> None:
    """A tracking client's keys (on a server of its own: the tracking table's listener stays
    once tracking was used)."""
    import polystack.testing

    with polystack.testing.serve(redis=True) as s:
        r = redis.Redis(port=s.redis_port)
        r.sadd("s", "m")
        assert _taken(s, spy)
        with _open(
            s.redis_port, [b"HELLO", b"3"], [b"CLIENT", b"TRACKING", b"on"], [b"SMEMBERS", b"s"]
        ) as t:
            assert not _taken(s, spy, _cmd(b"SADD", b"s", b"n") * 16)
            t.settimeout(5)
            assert b"invalidate" in t.recv(65536)  # the general path signalled the key
        r.close()


def test_client_states(server, r: redis.Redis, spy: _Spy) -> None:
    """A client in MULTI (or otherwise not plain) queues or checks per command."""
    r.sadd("s", "m")
    with _open(server.redis_port, [b"MULTI"]) as s:
        spy.answered.clear()
        s.sendall(_SADD16)
        reader = hiredis.Reader()
        got = 0
        while got < 16:
            reader.feed(s.recv(65536))
            while reader.gets() is not False:
                got += 1
        assert not any(spy.answered)


def test_a_slow_read_names_each_request_in_slowlog(server, r: redis.Redis, spy: _Spy, monkeypatch):
    """A read whose share passes the threshold puts each of its requests in SLOWLOG."""
    import polystack.redis.shaperead as shaperead

    r.sadd("s", "m")
    r.slowlog_reset()
    times = iter([0.0, 1.6])
    monkeypatch.setattr(shaperead, "_perf", lambda: next(times))
    assert _taken(server, spy)
    entries = r.slowlog_get(100)
    assert len(entries) == 16
    assert {(e["command"], e["duration"]) for e in entries} == {(b"SADD s m", 100_000)}
    r.slowlog_reset()


@pytest.mark.differential
def test_repeated_reads_match_real_redis(server, real_redis) -> None:
    reads = [
        _cmd(b"LPUSH", b"l", b"xxx") * 2000,
        _cmd(b"RPUSH", b"l", b"yy") * 16,
        _cmd(b"LPOP", b"l") * 16,
        _cmd(b"RPOP", b"l") * 16,
        _cmd(b"SADD", b"s", b"element:__rand_int__") * 16,
        _cmd(b"SADD", b"s", b"element:__rand_int__") * 16,
        _cmd(b"HSET", b"h", b"element:__rand_int__", b"xxx") * 16,
        _cmd(b"ZADD", b"z", b"0", b"element:__rand_int__") * 16,
        _cmd(b"ZADD", b"z", b"0", b"element:__rand_int__") * 16,
    ]
    out = []
    for port in (server.redis_port, real_redis.port):
        r = redis.Redis(port=port)
        r.flushall()
        replies = [_exchange(port, raw, len(parse_all(raw))) for raw in reads]
        state = [r.dump(k) for k in ("l", "s", "h", "z")]
        state += [r.object("encoding", k) for k in ("l", "s", "h", "z")]
        out.append((replies, state))
        r.close()
    assert out[0] == out[1]
