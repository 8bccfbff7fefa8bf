"""lua/translate.py and lua/luavalues.py: brief scripts run as Python functions give the
same replies, errors and effects as the same scripts under Lua (differential, random
scripts from a small grammar of what the translator covers), and as redis-server."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.redis.commands.scriptrun import TRANSLATED_HOST
from polystack.redis.lua import luavalues as lv
from polystack.redis.lua.engine import LuaEngine
from polystack.redis.lua.scripts import ScriptCache
from tests.redis import realredis
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
    "body, translated",
    [
        (LIMITER, True),
        (b"return 1", True),
        (b"return KEYS[1] .. ARGV[2] .. #KEYS", True),
        (b"local a = ARGV[1] or 'x' if a == 'y' then return -a % 3 end return not a", True),
        (b"return redis.pcall('GET', KEYS[1])", True),
        (b"return nosuchglobal", True),
        (b"return tonumber(ARGV[1])", False),  # (another global)
        (b"return {1, 2}", False),  # (a table built)
        (b"return 2 ^ ARGV[1]", False),  # (POW)
        (b"return ARGV[1]:upper()", False),  # (SELF)
        (b"local f = redis.call return f('PING')", False),  # (a call of a local)
        (b"return redis.sha1hex('x')", False),
        (b"return ...", False),  # (VARARG)
        (b"for i = 1, 2 do end", False),  # (not brief)
    ],
)
def test_what_translates(engine, body, translated) -> None:
    assert (engine.translate(engine.compile(body), TRANSLATED_HOST) is not None) is translated


def test_str2number_as_lua_reads_numbers(engine) -> None:
    """luaO_str2d (strtod): compare with Lua's own coercion (``s + 0``)."""
    probe = engine.lua.eval("function(s) local ok, v = pcall(function() return s + 0 end) "
                            "if ok then return v end return nil end")  # fmt: skip
    samples = [b"1", b" 12 ", b"0x10", b"0X1p4", b"-0x.8", b"1e", b"1e5", b".5", b"5.",
               b"inf", b"-Infinity", b"nan", b"nan(12)", b"abc", b"", b" ", b"1 2",
               b"12\0abc", b"\t-3.25e-2\n", b"0x", b"+5", b"++5", b"1e999", b"0x1p99999",
               b"\v7\f", b"1_000", b"0b1", b"0x1g"]  # fmt: skip
    for s in samples:
        want = probe(s)
        got = lv.str2number(s)
        if want is None:
            assert got is None, s
        elif want != want:
            assert got != got, s
        else:
            assert got == float(want), s


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**20), 10**20))
def test_number_text_as_lua_prints(engine, n) -> None:
    x = float(n)
    tostring = engine.lua.eval("function(x) return tostring(x) .. '|' .. (x .. '') end")
    text = lv.number_text(x)
    assert tostring(x) == text + b"|" + text


def test_division_and_modulo_as_lua(engine) -> None:
    ops = engine.lua.eval("function(a, b) return tostring(a / b) .. ' ' .. tostring(a % b) end")
    values = [0.0, -0.0, 1.0, -1.0, 2.5, -7.0, math.inf, -math.inf, 1e308, 3.0]
    for a in values:
        for b in values:
            got = lv.number_text(lv.fdiv(a, b)) + b" " + lv.number_text(lv.fmod(a, b))
            assert ops(a, b) == got, (a, b)


# -- differential: translated against Lua -------------------------------------------------------
_KEYS = ["k1", "k2", "lst", "str"]
_ARGS = ["1", "0", "-3", "2.5", " 12 ", "0x10", "abc", "", "1e3", "inf", "nan", "7\0x", "x"]


def _atoms(locals_: list[str]) -> st.SearchStrategy[str]:
    plain = st.sampled_from(
        ["1", "0", "3", "-2", "2.5", "1e300", "'1'", "' 5 '", "'0x1A'", "'abc'", "''",
         "'2'", "nil", "true", "false", "KEYS[1]", "KEYS[2]", "ARGV[1]", "ARGV[2]",
         "ARGV[3]", "KEYS[9]", "ARGV[0]", "#KEYS", "#ARGV", "undefinedvar"]
    )  # fmt: skip
    if locals_:
        return plain | st.sampled_from(locals_)
    return plain


_CALLS = [
    "'INCR', KEYS[1]",
    "'GET', KEYS[1]",
    "'GET', 'str'",
    "'SET', KEYS[2], {e}",
    "'EXPIRE', KEYS[1], {e}",
    "'RPUSH', 'lst', {e}",
    "'LRANGE', 'lst', 0, -1",
    "'INCRBY', 'k1', {e}",
    "'DEL', KEYS[2]",
    "'HSET', 'h', 'f', {e}",
    "'HGETALL', 'h'",
    "'PING'",
    "'NOSUCHCOMMAND'",
    "'INCR'",
    "'SET', 'lst', 'x'",
    "'LPUSH', 'str', {e}",
    "'TYPE', KEYS[1]",
]


@st.composite
def _expr(draw, locals_: list[str], depth: int = 0) -> str:
    kind = draw(st.integers(0, 9 if depth < 2 else 0))
    if kind <= 3:
        return draw(_atoms(locals_))
    if kind <= 5:
        op = draw(st.sampled_from(["+", "-", "*", "/", "%", "..", "==", "~=", "<", "<=", ">",
                                   ">=", "and", "or"]))  # fmt: skip
        a = draw(_expr(locals_, depth + 1))
        b = draw(_expr(locals_, depth + 1))
        return f"({a} {op} {b})"
    if kind == 6:
        op = draw(st.sampled_from(["- ", "not ", "#"]))
        return f"({op}{draw(_expr(locals_, depth + 1))})"
    call = draw(st.sampled_from(_CALLS)).format(e=draw(_expr(locals_, depth + 1)))
    fn = draw(st.sampled_from(["call", "pcall"]))
    return f"redis.{fn}({call})"


@st.composite
def _script(draw) -> str:
    locals_: list[str] = []
    out = []
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            out.append(f"local v{i} = {draw(_expr(locals_))}")
            locals_.append(f"v{i}")
        elif kind == 1:
            out.append(f"if {draw(_expr(locals_))} then return {draw(_expr(locals_))} end")
        elif kind == 2:
            call = draw(st.sampled_from(_CALLS)).format(e=draw(_expr(locals_)))
            out.append(f"redis.{draw(st.sampled_from(['call', 'pcall']))}({call})")
        else:
            out.append(
                f"if {draw(_expr(locals_))} then redis.call('INCR', 'k1') "
                f"else redis.call('RPUSH', 'lst', 'z') end"
            )
    out.append(f"return {draw(_expr(locals_))}")
    return "\n".join(out)


_STATE = [["TYPE", k] for k in ("k1", "k2", "lst", "str", "h")] + [
    ["GET", "k1"], ["GET", "k2"], ["LRANGE", "lst", "0", "-1"], ["GET", "str"],
    ["TTL", "k1"], ["HGETALL", "h"], ["INFO", "commandstats"],
]  # fmt: skip


def _run(port: int, body: str, keys: list[str], args: list[str]) -> list[bytes]:
    setup = [["FLUSHALL"], ["SCRIPT", "FLUSH"], ["CONFIG", "RESETSTAT"], ["SET", "str", "abc"],
             ["RPUSH", "lst", "a", "b"], ["SET", "k2", "5"]]  # fmt: skip
    cmds = [*setup, ["SCRIPT", "LOAD", body], ["EVALSHA", realredis_sha(body), len(keys), *keys,
                                               *args], *_STATE]  # fmt: skip
    return realredis.exchange(port, cmds)


def realredis_sha(body: str) -> str:
    import hashlib

    return hashlib.sha1(body.encode()).hexdigest()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    _script(),
    st.lists(st.sampled_from(_KEYS), min_size=1, max_size=2),
    st.lists(st.sampled_from(_ARGS), max_size=3),
)
def test_translated_scripts_behave_as_under_lua(
    server, monkeypatch, request, body, keys, args
) -> None:
    """Random brief scripts: the same replies, errors, dataset and command statistics with
    the translation as under Lua.  Where they differ, the translation must answer as
    redis-server does (lupa hands integral numbers to Python as integers, so a -0 given to
    redis.call reaches the command as "0" under Lua, where Redis's %.17g gives "-0")."""
    port = server.redis_port
    realredis.exchange(port, [["SCRIPT", "FLUSH"]])
    translated = _run(port, body, keys, args)
    cache = server.service("redis").scripting
    script = cache.by_sha[realredis_sha(body).encode()]
    assert script.translated is not None, body
    realredis.exchange(port, [["SCRIPT", "FLUSH"]])
    monkeypatch.setattr(ScriptCache, "translate_brief", False)
    under_lua = _run(port, body, keys, args)
    monkeypatch.setattr(ScriptCache, "translate_brief", True)
    if translated[:-1] != under_lua[:-1] and realredis.available():
        real = _run(request.getfixturevalue("real_redis").port, body, keys, args)
        assert translated[:-1] == real[:-1], body
        return
    stats = [_usec_free(x) for x in (translated[-1], under_lua[-1])]
    assert translated[:-1] == under_lua[:-1], body
    assert stats[0] == stats[1], body


def _usec_free(info: bytes) -> list[bytes]:
    """INFO commandstats without the timings."""
    out = []
    for line in info.split(b"\r\n"):
        if line.startswith(b"cmdstat_"):
            name, _, fields = line.partition(b":")
            kept = [f for f in fields.split(b",") if not f.startswith(b"usec")]
            out.append(name + b":" + b",".join(kept))
    return out


# -- against redis-server -------------------------------------------------------------------------
_DIFFERENTIAL = [
    LIMITER.decode(),
    "return ARGV[1] + 1",
    "return ARGV[2] .. KEYS[1] .. 1.5",
    "local n = ARGV[1] return n < 3",
    "return KEYS[1] < KEYS[2]",
    "local t = redis.call('LRANGE', 'l', 0, -1) return t[1] .. #t",
    "return redis.call('INCR', 'str')",
    "return redis.pcall('INCR', 'str')",
    "local s = redis.call('SET', 'x', 1) return s",
    "return -ARGV[3]",
    "local a = nil return a .. 'x'",
    "return undefinedvar",
    "return #ARGV[4]",
    "return redis.call('nosuch')",
    "return redis.call('GET', nil)",
    "return ARGV[1] / 0",
    "return (ARGV[1] - ARGV[1]) / 0 .. ''",
    "return 7 % -3 .. ' ' .. -7 % 3 .. ' ' .. 5.5 % 2",
    "return ARGV[1] == 1",
    "local x = ARGV[1] return x.foo",
    "local x = 3 return x[1]",
    "return redis.call('GET', 'nokey')",
    "return redis.call('HGETALL', 'h')",
    "local c = 'INC' .. 'R' return redis.call(c, KEYS[1])",
    "return redis.pcall(ARGV[4], KEYS[1])",
    "return redis.call(ARGV[4], KEYS[1])",
    "local c = 'GE' .. 'T' return redis.pcall(c)",
]


@pytest.mark.differential
def test_translated_scripts_like_redis(server, real_redis) -> None:
    cmds = [["RPUSH", "l", "a", "b"], ["SET", "str", "abc"], ["HSET", "h", "f", "v"]]
    for body in _DIFFERENTIAL:
        sha = realredis_sha(body)
        cmds += [["SCRIPT", "LOAD", body],
                 ["EVALSHA", sha, "2", "k", "j", "5", " 0x10 ", "3", "abc"]]  # fmt: skip
    ours, theirs = _both(server, real_redis, cmds, 2)
    cache = server.service("redis").scripting
    assert all(cache.by_sha[realredis_sha(b).encode()].translated for b in _DIFFERENTIAL)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd
