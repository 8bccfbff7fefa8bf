"""Pub/Sub: channels, patterns, shard channels, RESP2 subscriber mode, RESP3 pushes and
keyspace notifications (every class letter), through redis-py and against the real server."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio

from polystack.redis import notify
from polystack.redis.pubsub import PubSub
from tests.redis import realredis, scenario

# -- the model --------------------------------------------------------------------------


class FakeSubscriber:
    def __init__(self) -> None:
        self.channels: dict = {}
        self.patterns: dict = {}
        self.shard_channels: dict = {}
        self.got: list[bytes] = []

    def push_raw(self, resp2: bytes, resp3: bytes | None) -> None:
        self.got.append(resp2)


def test_model_delivers_in_subscription_order_and_counts_receivers() -> None:
    ps = PubSub()
    a, b = FakeSubscriber(), FakeSubscriber()
    assert ps.subscribe(a, b"news") and not ps.subscribe(a, b"news")
    assert ps.subscribe(b, b"news")
    assert ps.psubscribe(b, b"n*") and not ps.psubscribe(b, b"n*")
    assert ps.publish(b"news", b"hi") == 3
    assert a.got == [b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"]
    assert b.got[1] == b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
    assert ps.active_channels(None) == [b"news"] and ps.active_channels(b"x*") == []
    ps.forget(a)
    ps.forget(b)
    assert not ps.channels and not ps.patterns and ps.publish(b"news", b"x") == 0


def test_model_shard_channels_ignore_patterns() -> None:
    ps = PubSub()
    a = FakeSubscriber()
    ps.psubscribe(a, b"*")
    assert ps.spublish(b"s", b"m") == 0
    ps.subscribe(a, b"s", shard=True)
    assert ps.spublish(b"s", b"m") == 1 and a.got[-1].startswith(b">3\r\n") is False
    assert ps.numsub(b"s", shard=True) == 1 and ps.numsub(b"s") == 0


def test_notify_flag_strings_round_trip() -> None:
    for text, shown in [
        (b"KEA", "AKE"),
        (b"AKEnmd", "AKEm"),
        (b"gd", "gd"),
        (b"g$lshzxetdn", "A"),
        (b"Egx", "gxE"),
        (b"", ""),
    ]:
        flags = notify.flags_from_string(text)
        assert flags is not None and notify.flags_to_string(flags) == shown
    assert notify.flags_from_string(b"KEq") is None


# -- through redis-py ---------------------------------------------------------------------


def _messages(p, n: int) -> list:
    out = []
    for _ in range(n):
        m = p.get_message(timeout=2)
        assert m is not None
        out.append(m)
    return out


def test_subscribe_publish_patterns_and_introspection(r, server) -> None:
    p = r.pubsub()
    p.subscribe("a", "b")
    p.psubscribe("a*")
    subs = _messages(p, 3)
    assert [(m["type"], m["data"]) for m in subs] == [
        ("subscribe", 1),
        ("subscribe", 2),
        ("psubscribe", 3),
    ]
    assert r.publish("a", "hello") == 2 and r.publish("abc", "x") == 1 and r.publish("z", "y") == 0
    got = _messages(p, 3)
    assert got[0] == {"type": "message", "pattern": None, "channel": b"a", "data": b"hello"}
    assert got[1]["type"] == "pmessage" and got[1]["pattern"] == b"a*"
    assert got[2]["channel"] == b"abc"
    assert sorted(r.pubsub_channels()) == [b"a", b"b"] and r.pubsub_channels("b*") == [b"b"]
    assert r.pubsub_numsub("a", "nope") == [(b"a", 1), (b"nope", 0)]
    assert r.pubsub_numpat() == 1
    assert "P" in r.client_list(_type="pubsub")[0]["flags"]
    p.unsubscribe()
    p.punsubscribe()
    _messages(p, 3)
    assert r.pubsub_channels() == [] and r.pubsub_numpat() == 0
    p.close()


def test_sharded_pubsub(r) -> None:
    p = r.pubsub()
    p.ssubscribe("s1")
    assert _messages(p, 1)[0]["type"] == "ssubscribe"
    assert r.spublish("s1", "m") == 1
    m = p.get_sharded_message(timeout=2)
    assert m["type"] == "smessage" and m["data"] == b"m"
    assert r.pubsub_shardchannels() == [b"s1"] and r.pubsub_shardnumsub("s1") == [(b"s1", 1)]
    p.close()


def test_resp3_subscriber_may_run_any_command(r3) -> None:
    p = r3.pubsub()
    p.subscribe("c")
    _messages(p, 1)
    assert p.connection.send_command("SET", "k", "v") is None
    assert p.connection.read_response() == b"OK"
    r3.publish("c", "m")
    assert _messages(p, 1)[0]["data"] == b"m"
    p.close()


def test_asyncio_pubsub(server) -> None:
    async def main() -> None:
        r = redis.asyncio.Redis(port=server.redis_port)
        p = r.pubsub()
        await p.subscribe("ach")
        assert (await p.get_message(timeout=2))["type"] == "subscribe"
        assert await r.publish("ach", "x") == 1
        m = await p.get_message(timeout=2)
        assert m["data"] == b"x"
        await p.aclose()
        await r.aclose()

    asyncio.run(main())


def test_keyspace_notifications_through_redis_py(r) -> None:
    r.config_set("notify-keyspace-events", "KEA")
    try:
        p = r.pubsub()
        p.psubscribe("__key*__:*")
        _messages(p, 1)
        r.set("foo", "bar", ex=100)
        r.persist("foo")
        r.rename("foo", "foo2")
        r.delete("foo2")
        events = [(m["channel"], m["data"]) for m in _messages(p, 12)]
        assert events[:4] == [
            (b"__keyspace@0__:foo", b"set"),
            (b"__keyevent@0__:set", b"foo"),
            (b"__keyspace@0__:foo", b"expire"),
            (b"__keyevent@0__:expire", b"foo"),
        ]
        assert (b"__keyevent@0__:rename_to", b"foo2") in events
        assert events[-1] == (b"__keyevent@0__:del", b"foo2")
        p.close()
    finally:
        r.config_set("notify-keyspace-events", "")


def test_expired_event_from_lazy_and_active_expiry(r) -> None:
    r.config_set("notify-keyspace-events", "Ex")
    try:
        p = r.pubsub()
        p.subscribe("__keyevent@0__:expired")
        _messages(p, 1)
        r.set("lazy", "1", px=1)
        r.set("active", "1", px=1)
        import time

        time.sleep(0.05)
        assert r.get("lazy") is None  # lazy expiry
        got = {m["data"] for m in _messages(p, 2)}  # the other by the expiry cycle
        assert got == {b"lazy", b"active"}
        p.close()
    finally:
        r.config_set("notify-keyspace-events", "")


# -- against the real server ---------------------------------------------------------------

PUBSUB_SCENARIOS = {
    "subscribe-publish": [
        ("s", "+3", "SUBSCRIBE", "a", "b", "a"),
        ("s", "+1", "PSUBSCRIBE", "a*"),
        ("p", "PUBLISH", "a", "hello"),
        ("s", "read"),
        ("s", "read"),
        ("p", "PUBLISH", "abc", "x"),
        ("s", "read"),
        ("p", "PUBSUB", "CHANNELS", "b"),  # (several channels come in hash order)
        ("p", "PUBSUB", "NUMSUB", "a", "b", "zz"),
        ("p", "PUBSUB", "NUMPAT"),
        ("p", "PUBSUB", "CHANNELS", "a*"),
        ("s", "+2", "UNSUBSCRIBE", "a", "nope"),
        ("s", "+1", "PUNSUBSCRIBE"),
        ("s", "+1", "UNSUBSCRIBE"),
        ("s", "+1", "UNSUBSCRIBE"),
        ("s", "+1", "PUNSUBSCRIBE"),
        ("s", "GET", "x"),
    ],
    "resp2-subscriber-context": [
        ("s", "SUBSCRIBE", "a"),
        ("s", "GET", "x"),
        ("s", "PING"),
        ("s", "PING", "hi"),
        ("s", "CLIENT", "ID"),
        ("s", "MULTI"),
        ("s", "SELECT", "1"),
        ("s", "RESET"),
        ("s", "GET", "x"),
    ],
    "resp3-pushes": [
        ("s", "hello3"),
        ("s", "+2", "SUBSCRIBE", "a", "b"),
        ("s", "GET", "x"),
        ("s", "PING"),
        ("p", "PUBLISH", "b", "m"),
        ("s", "read"),
        ("s", "+1", "PSUBSCRIBE", "*"),
        ("p", "PUBLISH", "b", "m2"),
        ("s", "read"),
        ("s", "read"),
        ("s", "+1", "UNSUBSCRIBE", "a"),
        ("s", "+1", "UNSUBSCRIBE"),
        ("s", "+1", "UNSUBSCRIBE"),
        ("s", "+1", "PUNSUBSCRIBE"),
        ("s", "+1", "PUNSUBSCRIBE"),
    ],
    "self-publish-resp3": [
        ("s", "hello3"),
        ("s", "SUBSCRIBE", "me"),
        ("s", "+2", "PUBLISH", "me", "x"),
    ],
    "shard-channels": [
        ("s", "+2", "SSUBSCRIBE", "x", "y"),
        ("s", "+1", "SUBSCRIBE", "x"),
        ("p", "SPUBLISH", "x", "m"),
        ("s", "read"),
        ("p", "PUBLISH", "x", "n"),
        ("s", "read"),
        ("p", "PUBSUB", "SHARDCHANNELS", "y"),
        ("p", "PUBSUB", "SHARDNUMSUB", "x", "q"),
        ("p", "PUBSUB", "CHANNELS"),
        ("s", "+1", "SUNSUBSCRIBE", "x"),
        ("p", "PUBSUB", "SHARDCHANNELS"),
        ("s", "+1", "SUNSUBSCRIBE"),
        ("s", "+1", "SUNSUBSCRIBE"),
        ("p", "SPUBLISH", "x", "m"),
    ],
    "errors": [
        ("a", "PUBSUB", "CHANNELS", "a", "b"),
        ("a", "PUBSUB", "SHARDCHANNELS", "a", "b"),
        ("a", "PUBSUB", "NUMPAT", "x"),
        ("a", "PUBSUB", "FOO"),
        ("a", "PUBSUB", "HELP"),
        ("a", "SUBSCRIBE"),
        ("a", "PSUBSCRIBE"),
        ("a", "SSUBSCRIBE"),
        ("a", "PUBLISH", "x"),
        ("a", "SPUBLISH", "x"),
        ("a", "PUBSUB"),
    ],
    "subscribe-inside-multi": [
        ("a", "MULTI"),
        ("a", "SUBSCRIBE", "x"),
        ("a", "SSUBSCRIBE", "y"),
        ("a", "EXEC"),
        ("a", "PING"),
    ],
}


@pytest.mark.differential
@pytest.mark.parametrize("name", sorted(PUBSUB_SCENARIOS))
def test_pubsub_like_redis(server, real_redis, name) -> None:
    ours, theirs = scenario.compare(server.redis_port, real_redis.port, PUBSUB_SCENARIOS[name])
    assert ours == theirs


# Commands that exercise each notification class; run with one class enabled at a time.
_EVENT_COMMANDS = [
    ("w", "SET", "s", "v"),
    ("w", "SET", "s2", "v", "EX", "100"),
    ("w", "SETEX", "s3", "100", "v"),
    ("w", "APPEND", "s", "x"),
    ("w", "SETRANGE", "s", "0", "y"),
    ("w", "INCR", "n"),
    ("w", "INCRBY", "n", "5"),
    ("w", "DECR", "n"),
    ("w", "INCRBYFLOAT", "f", "1.5"),
    ("w", "GETSET", "s", "z"),
    ("w", "MSET", "m1", "1", "m2", "2"),
    ("w", "MSETNX", "m3", "1"),
    ("w", "GETDEL", "m3"),
    ("w", "GETEX", "s", "EX", "50"),
    ("w", "GETEX", "s", "PERSIST"),
    ("w", "EXPIRE", "s2", "200"),
    ("w", "PEXPIRE", "s2", "200000"),
    ("w", "PERSIST", "s2"),
    ("w", "RENAME", "s2", "s4"),
    ("w", "RENAMENX", "s4", "s5"),
    ("w", "COPY", "s5", "s6"),
    ("w", "MOVE", "s6", "1"),
    ("w", "SET", "r1", "a"),
    ("w", "SET", "r2", "b"),
    ("w", "RENAME", "r1", "r2"),
    ("w", "COPY", "r2", "r3"),
    ("w", "COPY", "r2", "r3", "REPLACE"),
    ("w", "COPY", "r2", "r3", "DB", "2"),
    ("w", "GET", "missing"),
    ("w", "EXISTS", "missing2"),
    ("w", "EXPIRE", "m1", "0"),
    ("w", "DEL", "m2", "nope"),
    ("w", "SET", "px", "1", "PX", "1"),
    ("sleep", 0.02),
    ("w", "GET", "px"),
    ("w", "UNLINK", "n"),
    ("w", "HSET", "h", "f", "v", "g", "w"),
    ("w", "HINCRBY", "h", "n", "2"),
    ("w", "HDEL", "h", "f", "g", "n"),
    ("w", "SADD", "st", "a", "b", "c"),
    ("w", "SREM", "st", "a"),
    ("w", "SMOVE", "st", "st2", "b"),
    ("w", "SINTERSTORE", "st3", "st", "st2"),
    ("w", "SUNIONSTORE", "st3", "st", "st2"),
    ("w", "SPOP", "st"),
    ("w", "FLUSHDB"),
    ("w", "PING"),
]


@pytest.mark.differential
@pytest.mark.parametrize(
    "classes", ["KA", "EA", "K$", "Eg", "Ex", "Em", "KEA", "Kgx", "E$m", "Kh", "Es", "En", "KEAn"]
)
def test_keyspace_events_like_redis(server, real_redis, classes) -> None:
    assert _events(server.redis_port, classes) == _events(real_redis.port, classes)


def _events(port: int, classes: str) -> list[bytes]:
    """Every message a subscriber to ``__key*`` receives while _EVENT_COMMANDS run."""
    sub = realredis.RawClient(port)
    try:
        sub.call("FLUSHALL")
        sub.call("CONFIG", "SET", "notify-keyspace-events", classes)
        sub.call("PSUBSCRIBE", "__key*")
        scenario.run(port, [*_EVENT_COMMANDS, ("w", "PUBLISH", "__keyspace@0__:end", "end")])
        out = []
        while True:
            msg = sub.read_reply()
            out.append(msg)
            if msg.endswith(b"$3\r\nend\r\n"):
                return out
    finally:
        sub.close()
        realredis.exchange(port, [["CONFIG", "SET", "notify-keyspace-events", ""]])
