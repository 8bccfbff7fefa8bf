"""getread.py's per-read answer (returned by ``_read_gets`` and sent by ``Client.receive`` at
once) against the general path (the parser and the batch), on reads repeated and varied: the
replies, the calls and keyspace hits/misses, the latency histogram and the LRU clock must be
the same; any condition the per-read answer does not cover (another type, a deadline, a large
value) goes the general way."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import polystack.testing
from polystack.redis.getread import GetRead


def _cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


def _gets(*keys: bytes, name: bytes = b"GET") -> bytes:
    return b"".join(_cmd(name, k) for k in keys)


WRONG = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def _reply_length(raw: bytes, values: dict[bytes, bytes], wrong: frozenset = frozenset()) -> int:
    """The length of the replies to ``raw`` (whole GETs, RESP2) when the keys hold the
    strings ``values``, another type (``wrong``) or nothing."""
    n = 0
    for req in raw.split(b"*2\r\n")[1:]:
        key = req.split(b"\r\n")[3]
        v = values.get(key)
        if key in wrong:
            n += len(WRONG)
        else:
            n += 5 if v is None else len(b"$%d\r\n%b\r\n" % (len(v), v))
    return n


def _send(s: socket.socket, raw: bytes, size: int) -> bytes:
    s.sendall(raw)
    got = b""
    while len(got) < size:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    return got


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A server of this module's own: the shared one keeps the tracking table's key listener
    once any test used CLIENT TRACKING, and a key listener sends every read the general way."""
    with polystack.testing.serve(redis=True) as s:
        yield s


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


def _observe(server: Any, keys: list[bytes]) -> dict[str, Any]:
    """What the reads left behind: GET's calls and histogram, keyspace hits and misses, and
    each key's LRU stamp (as a flag: stamped with the current clock or not)."""
    svc = server.service("redis")

    def look() -> dict[str, Any]:
        cmd = svc.commands[b"get"]
        db = svc.keyspace.dbs[0]
        return {
            "calls": cmd.calls,
            "failed": cmd.failed_calls,
            "hist": sum(cmd.hist or []),
            "hits": svc.keyspace.keyspace_hits,
            "misses": svc.keyspace.keyspace_misses,
            "stamped": sorted(k for k in keys if db.lru.get(k) == svc.lruclock),
            "keys": sorted(k for k in keys if k in db.data),
        }

    return server.call(look)


def _reset(server: Any, keys: list[bytes]) -> None:
    svc = server.service("redis")

    def reset() -> None:
        db = svc.keyspace.dbs[0]
        for k in keys:
            if k in db.lru:
                db.lru[k] = 0
        cmd = svc.commands[b"get"]
        cmd.calls = cmd.failed_calls = 0
        cmd.durations.clear()
        if cmd.hist is not None:
            cmd.hist = [0] * len(cmd.hist)
        svc.keyspace.keyspace_hits = svc.keyspace.keyspace_misses = 0

    server.call(reset)


# -- through a connection ---------------------------------------------------------------------
def test_one_key_read_repeated(server, r: redis.Redis, answered: list[bool]) -> None:
    r.set("key:__rand_int__", "xxx")
    raw = _gets(b"key:__rand_int__") * 16
    want = b"$3\r\nxxx\r\n" * 16
    _reset(server, [b"key:__rand_int__"])
    with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
        s.settimeout(10)
        for _ in range(3):
            assert _send(s, raw, len(want)) == want
    assert answered == [True] * 3
    seen = _observe(server, [b"key:__rand_int__"])
    assert (seen["calls"], seen["hist"], seen["hits"], seen["misses"]) == (48, 48, 48, 0)
    assert seen["stamped"] == [b"key:__rand_int__"]


def test_one_key_misses(server, r: redis.Redis, answered: list[bool]) -> None:
    raw = _gets(b"nokey", name=b"gEt") * 5
    _reset(server, [])
    with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
        s.settimeout(10)
        assert _send(s, raw, 25) == b"$-1\r\n" * 5
        assert _send(s, _cmd(b"HELLO", b"3"), 1).startswith(b"%")
        assert _send(s, raw, 15) == b"_\r\n" * 5  # (RESP3's nil)
    assert answered == [True, True]
    seen = _observe(server, [b"nokey"])
    assert (seen["calls"], seen["hits"], seen["misses"], seen["keys"]) == (10, 0, 10, [])


def test_one_key_conditions_go_the_general_way(
    server, r: redis.Redis, answered: list[bool]
) -> None:
    r.rpush("lst", "x")
    r.set("big", "y" * 4096)
    r.set("edge", "z" * 4095)
    r.set("ttl", "w", ex=100)
    wrong = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
        s.settimeout(10)
        assert _send(s, _gets(b"lst") * 3, len(wrong) * 3) == wrong * 3
        big = b"$4096\r\n" + b"y" * 4096 + b"\r\n"
        assert _send(s, _gets(b"big") * 2, len(big) * 2) == big * 2
        assert _send(s, _gets(b"ttl") * 2, 14) == b"$1\r\nw\r\n" * 2
        edge = b"$4095\r\n" + b"z" * 4095 + b"\r\n"
        assert _send(s, _gets(b"edge") * 2, len(edge) * 2) == edge * 2
    assert answered == [False, False, False, True]
    assert r.info("commandstats")["cmdstat_get"]["failed_calls"] == 3


def test_a_deadline_a_new_value_a_deletion_between_reads(
    server, r: redis.Redis, answered: list[bool]
) -> None:
    """A deadline, a new value or a deletion between two equal reads is seen by the next."""
    r.set("d1", "v")
    raw = _gets(b"d1") * 4
    with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
        s.settimeout(10)
        assert _send(s, raw, 28) == b"$1\r\nv\r\n" * 4
        r.set("d1", "w", ex=100)
        assert _send(s, raw, 28) == b"$1\r\nw\r\n" * 4  # (a deadline: the general path)
        r.set("d1", "ab")
        assert _send(s, raw, 32) == b"$2\r\nab\r\n" * 4
        r.rpush("d1x", "x")
        r.delete("d1")
        assert _send(s, raw, 20) == b"$-1\r\n" * 4
    assert answered == [True, False, True, True]
    assert r.exists("d1") == 0


# -- the per-read answer against the general path, on any reads -----------------------------
POOL = [b"k1", b"k2", b"k3", b"kk", b"lst", b"ttl", b"big", b"abc"]

contents = st.fixed_dictionaries(
    {},
    optional={
        k: st.one_of(
            st.binary(max_size=8),
            st.sampled_from([b"x" * 4095, b"x" * 4096]),
        )
        for k in POOL
    },
)


@st.composite
def read_lists(draw: st.DrawFn) -> list[bytes]:
    """Reads of whole GETs: of one key repeated, or of keys of one length, spelt in one case
    or another; a read may come twice in a row."""
    reads = []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from([b"GET", b"get", b"gEt"]))
        if draw(st.integers(0, 2)):
            key = draw(st.sampled_from(POOL))
            raw = _gets(key, name=name) * draw(st.integers(2, 20))
        else:
            ks = draw(st.lists(st.sampled_from(POOL[:4]), min_size=2, max_size=6))
            raw = _gets(*ks, name=name)
        reads += [raw] * draw(st.integers(1, 2))
    return reads


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(contents, st.sets(st.sampled_from([b"lst", b"ttl", b"k1"])), read_lists())
def test_the_per_read_answer_agrees_with_the_general_path(
    server, r: redis.Redis, values: dict[bytes, bytes], special: set[bytes], reads: list[bytes]
) -> None:
    """Each list of reads is run twice on the same data: through _read_gets, and with
    _read_gets refusing every read (the parser and the batch); the replies and what the reads
    leave behind must be the same, and a read of one key whose value is a short string (or
    that holds nothing) must have been taken per read."""
    seen_runs = []
    for per_read in (True, False):
        server.call(server.service("redis").flushall)
        strings = dict(values)
        for k, v in strings.items():
            r.set(k, v)
        if b"lst" in special:
            strings.pop(b"lst", None)
            r.delete("lst")
            r.rpush("lst", "x")
        if b"ttl" in special:
            r.set("ttl", "t", ex=100)
            strings[b"ttl"] = b"t"
        _reset(server, POOL)
        taken: list[bool] = []
        original = GetRead._read_gets

        def spy(
            self: GetRead,
            data: bytes,
            per_read: bool = per_read,
            original: Any = original,
            taken: list[bool] = taken,
        ) -> bytes | None:
            reply = original(self, data) if per_read else None
            taken.append(reply is not None)
            return reply

        replies = []
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(GetRead, "_read_gets", spy)
            with socket.create_connection(("127.0.0.1", server.redis_port)) as s:
                s.settimeout(10)
                wrong = frozenset({b"lst"} & special)
                for raw in reads:
                    replies.append(_send(s, raw, _reply_length(raw, strings, wrong)))
        seen_runs.append((replies, _observe(server, POOL)))
        if per_read:
            for raw, got in zip(reads, taken, strict=True):
                one = raw.split(b"*2\r\n")[1]
                key = one.split(b"\r\n")[3]
                short = key not in special and len(values.get(key, b"")) < 4096
                if raw == (b"*2\r\n" + one) * raw.count(b"*2\r\n") and short:
                    assert got is True, raw
        else:
            assert True not in taken
    (fast, fast_seen), (slow, slow_seen) = seen_runs
    assert fast == slow
    assert fast_seen == slow_seen
