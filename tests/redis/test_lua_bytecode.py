"""lua/bytecode.py: which compiled scripts are brief (the count hook can never fire while
they run), read from Lua 5.1 bytecode; and that brief scripts keep every script rule."""

from __future__ import annotations

import hashlib

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

import polystack.testing
from polystack.redis.lua import bytecode
from polystack.redis.lua.engine import LuaEngine
from tests.redis.test_scripting import _both

LIMITER = (
    b"local n = redis.call('INCR', KEYS[1]) "
    b"if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    b"return n"
)


@pytest.fixture(scope="module")
def engine() -> LuaEngine:
    return LuaEngine()


@pytest.mark.parametrize(
    "body, brief",
    [
        (b"return 1", True),
        (LIMITER, True),
        (b"if KEYS[1] then return 1 else return 2 end", True),
        (b"return pcall(redis.call, 'GET', 'x')", True),
        (b"local a = redis.call('GET', 'a') or 'x' return {a, #ARGV}", True),
        (b"while true do end", False),
        (b"repeat local x = 1 until false", False),
        (b"for i = 1, 10 do end", False),
        (b"for k, v in pairs(KEYS) do end", False),
        (b"local function f() return f() end return f()", False),  # (a tail call loop)
        (b"return (function() return 1 end)()", False),
        (b"return loadstring('while true do end')()", False),
        (b"return load(function() return nil end)", False),
        (b"return _G.loadstring", False),
        (b"local x = 1 " + b"x = KEYS " * (bytecode.MAX_BRIEF_CODE + 1), False),
    ],
)
def test_brief_scripts(engine, body, brief) -> None:
    assert engine.is_brief(engine.compile(body)) is brief


def test_anything_unexpected_is_not_brief(engine) -> None:
    dump = engine._string_dump(engine.compile(b"return 1"))
    assert bytecode.is_brief(dump)
    assert not bytecode.is_brief(b"")
    assert not bytecode.is_brief(dump[:20])
    assert not bytecode.is_brief(b"\\x1bLua\\x52" + dump[5:])  # another version


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_read_without_failing(data) -> None:
    header = b"\\x1bLua\\x51\\x00\\x01\\x04\\x08\\x04\\x08\\x00"
    assert bytecode.is_brief(header + data) in (True, False)
    assert bytecode.is_brief(data) in (True, False)


def test_brief_scripts_through_redis_py(r) -> None:
    """A brief script via EVALSHA (no worker greenlet): writes logged, errors as Redis's,
    KEYS/ARGV, inside MULTI, and a non-brief script beside it."""
    limiter = r.register_script(LIMITER)
    assert [limiter(keys=["rl:a"], args=[60]) for _ in range(3)] == [1, 2, 3]
    assert 0 < r.ttl("rl:a") <= 60
    failing = r.register_script(b"return redis.call('INCR', KEYS[1])")
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="not an integer") as e:
        failing(keys=["s"])
    assert "script: " in str(e.value)
    looping = r.register_script(b"local n = 0 for i = 1, 3 do n = n + i end return n")
    assert looping() == 6
    pipe = r.pipeline(transaction=True)
    limiter(keys=["rl:b"], args=[60], client=pipe)
    limiter(keys=["rl:b"], args=[60], client=pipe)
    assert pipe.execute() == [1, 2]
    assert hashlib.sha1(LIMITER).hexdigest() == limiter.sha


def test_brief_script_effects_survive_a_restart(tmp_path) -> None:
    cfg = {"redis.appendonly": True}
    body = (
        "redis.call('set', KEYS[1], 'a', 'EX', 100); redis.call('select', 2);"
        "redis.call('set', KEYS[1], 'b'); return redis.call('incrby', 'n', 3)"
    )
    with polystack.testing.serve(redis=True, data_dir=tmp_path, config_overrides=cfg) as s:
        c = redis.Redis(port=s.redis_port)
        script = c.register_script(body)
        assert script(keys=["k"]) == 3 and script(keys=["k"]) == 6
        assert c.register_script(LIMITER)(keys=["rl:x"], args=[100]) == 1
        c.close()
    with polystack.testing.serve(redis=True, data_dir=tmp_path, config_overrides=cfg) as s:
        c = redis.Redis(port=s.redis_port)
        assert c.get("k") == b"a" and 0 < c.ttl("k") <= 100
        assert c.get("rl:x") == b"1" and 0 < c.ttl("rl:x") <= 100
        c.execute_command("SELECT", 2)
        assert c.get("k") == b"b" and c.get("n") == b"6"
        c.close()


def test_brief_script_writes_are_watched_and_notified(r, server) -> None:
    """WATCH invalidation and keyspace events of a brief script's writes."""
    other = redis.Redis(port=server.redis_port)
    limiter = other.register_script(LIMITER)
    r.config_set("notify-keyspace-events", "KEg$")
    sub = r.pubsub()
    sub.psubscribe("__keyspace@0__:rl:w")
    assert sub.get_message(timeout=1)["type"] == "psubscribe"
    with r.pipeline() as pipe:
        pipe.watch("rl:w")
        assert limiter(keys=["rl:w"], args=[60]) == 1
        pipe.multi()
        pipe.get("rl:w")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    events = [sub.get_message(timeout=1) for _ in range(2)]
    assert [e["data"] for e in events if e] == [b"incrby", b"expire"]
    sub.close()
    r.config_set("notify-keyspace-events", "")
    other.close()


@pytest.mark.differential
def test_expire_inline_and_generic_like_redis(server, real_redis) -> None:
    """EXPIRE key seconds (inline for a live key without a deadline) and every other form,
    from a client and from a brief script, against redis-server."""
    cmds = [["SET", "e", "v"], ["EXPIRE", "e", "100"], ["TTL", "e"], ["EXPIRE", "e", "50"],
            ["TTL", "e"], ["SET", "f", "v"], ["EXPIRE", "f", "0"], ["EXISTS", "f"],
            ["SET", "f", "v"], ["EXPIRE", "f", "-5"], ["EXISTS", "f"], ["SET", "g", "v"],
            ["EXPIRE", "g", "x"], ["EXPIRE", "g", "9223372036854775807"],
            ["EXPIRE", "g", "9223372036854775"], ["EXPIRE", "g", "1000000000000"], ["TTL", "g"],
            ["EXPIRE", "nokey", "10"], ["EXPIRE", "g", "10", "nx"], ["SET", "h", "v"],
            ["EVAL", "return redis.call('EXPIRE', KEYS[1], ARGV[1])", "1", "h", "30"],
            ["TTL", "h"], ["EVAL", "return redis.call('EXPIRE', KEYS[1], ARGV[1])", "1", "h", "-1"],
            ["EXISTS", "h"], ["SET", "i", "v"], ["EXPIRE", "i", "+7"], ["TTL", "i"],
            ["EXPIRE", "i", "007"], ["TTL", "i"]]  # fmt: skip
    ours, theirs = _both(server, real_redis, cmds, 2)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd
