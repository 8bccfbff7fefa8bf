"""EVAL scripting: the sandbox, the redis.* API, Lua <-> RESP conversions, cjson, cmsgpack,
bit and struct, SCRIPT commands, shebang flags; through redis-py and against Redis."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest
import redis
import redis.asyncio

import polystack.testing
from polystack.redis.lua import bitstruct
from polystack.redis.lua.engine import LuaEngine
from tests.redis import realredis

# -- the Lua engine alone -----------------------------------------------------------------------


class Run:
    resp3 = False
    repl_flags = 3
    watched = False
    killed = False

    def interrupt(self):
        pass

    def call(self, argv):
        return b"|".join(argv)

    def acl_check(self, argv):
        return True


def run(engine: LuaEngine, body: bytes, keys=(), args=()) -> bytes:
    fn = engine.compile(body)
    return engine.run(fn, b"sha", False, Run(), list(keys), list(args))


def test_engine_runs_scripts_with_keys_and_args() -> None:
    e = LuaEngine()
    assert run(e, b"return {KEYS[1], ARGV[2], #ARGV}", [b"k"], [b"a", b"b"]) == (
        b"*3\r\n$1\r\nk\r\n$1\r\nb\r\n:2\r\n"
    )
    assert run(e, b"return redis.call('set', 'x', 1.5, 7)") == b"$11\r\nset|x|1.5|7\r\n"


def test_engine_sandbox_is_readonly() -> None:
    e = LuaEngine()
    for body in (b"x = 1", b"string.len = nil", b"redis.call = 1"):
        with pytest.raises(Exception, match="Attempt to modify a readonly table"):
            run(e, body)
    with pytest.raises(Exception, match="nonexistent global variable 'os'"):
        run(e, b"return os.time()")
    for name in (b"python", b"debug", b"getfenv", b"io", b"require"):
        with pytest.raises(Exception, match="nonexistent global variable"):
            run(e, b"return type(" + name + b")")


def test_rand48_matches_redis_sequence() -> None:
    """What a fresh redis-server 7.0 answers to math.random(1000), five times."""
    r = bitstruct.Rand48()
    assert [int(r.random() * 1000) + 1 for _ in range(5)] == [397, 841, 354, 447, 319]
    r.seed(0)
    assert [int(r.random() * 1000) + 1 for _ in range(2)] == [171, 750]


@pytest.mark.parametrize(
    "x, expected",
    [(1.5, 2), (2.5, 2), (-1.5, -2), (2**32 + 5, 5), (2**31, -(2**31)), (-1, -1)],
)
def test_bit_tobit_rounds_half_even_and_wraps(x, expected) -> None:
    assert bitstruct.tobit(x) == expected


# -- through redis-py -----------------------------------------------------------------------


def test_register_script_and_evalsha(r) -> None:
    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["counter"], args=[5]) == 5
    assert incr_by(keys=["counter"], args=[2]) == 7
    sha = r.script_load("return 'x'")
    assert r.script_exists(sha, "0" * 40) == [True, False]
    assert r.evalsha(sha, 0) == b"x"
    r.script_flush()
    assert r.script_exists(sha) == [False]
    with pytest.raises(redis.exceptions.NoScriptError):
        r.evalsha(sha, 0)


def test_script_errors_through_redis_py(r) -> None:
    with pytest.raises(redis.ResponseError, match="Unknown Redis command called from script"):
        r.eval("return redis.call('nosuch')", 0)
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.eval("return redis.call('incr', KEYS[1])", 1, "s")
    with pytest.raises(redis.ResponseError, match="not an integer"):  # the error table
        r.eval("return redis.pcall('incr', KEYS[1])", 1, "s")
    assert r.eval("return type(redis.pcall('incr', KEYS[1]))", 1, "s") == b"table"


def test_redis_py_lock_uses_lua(r) -> None:
    lock = r.lock("resource", timeout=5, blocking_timeout=1)
    assert lock.acquire()
    other = r.lock("resource", blocking_timeout=0.1)
    assert not other.acquire()
    assert lock.extend(5)
    assert lock.owned()
    lock.release()
    assert other.acquire()
    other.release()
    with pytest.raises(redis.exceptions.LockError):
        other.release()
    # another owner's token: the release script refuses
    lock = r.lock("resource", timeout=5)
    assert lock.acquire()
    r.set("resource", "someone-else")
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.release()


def test_script_writes_are_watched_and_notified(r, server) -> None:
    other = redis.Redis(port=server.redis_port)
    r.set("w", 1)
    with r.pipeline() as pipe:
        pipe.watch("w")
        other.eval("return redis.call('set', KEYS[1], 2)", 1, "w")
        pipe.multi()
        pipe.get("w")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    other.close()


def test_select_inside_a_script_does_not_leak(r) -> None:
    assert r.eval("redis.call('select', 3); return redis.call('set', 'in3', 'v')", 0) == b"OK"
    assert r.get("in3") is None
    r.execute_command("SELECT", 3)
    assert r.get("in3") == b"v"
    r.execute_command("SELECT", 0)


def test_each_script_starts_from_its_callers_state(r) -> None:
    """The script client is reused by a connection's scripts: each starts afresh, in the
    caller's database and RESP version, whatever the previous one selected."""
    r.execute_command("SELECT", 0)
    assert r.eval("redis.call('select', 5); redis.setresp(3); return 1", 0) == 1
    assert r.eval("redis.call('set', KEYS[1], 'v'); return redis.call('type', KEYS[1])", 1, "k0")
    assert r.get("k0") == b"v"
    assert r.eval("return redis.call('hgetall', KEYS[1])", 1, "nohash") == []
    r.execute_command("SELECT", 5)
    assert r.get("k0") is None
    r.execute_command("SELECT", 0)


def test_many_keys_and_args_reach_the_script(r) -> None:
    """KEYS and ARGV of any length (few go to Lua as call arguments, many as tables)."""
    for n in (0, 1, 150, 250, 3000):
        keys = [f"k{i}" for i in range(n)]
        args = [f"a{i}" for i in range(n + 1)]
        got = r.eval("return {#KEYS, #ARGV, ARGV[#ARGV], KEYS[#KEYS]}", n, *keys, *args)
        assert got == [n, n + 1, args[-1].encode(), *([keys[-1].encode()] if n else [])]
        got = r.eval("return {redis.call('echo', 7), redis.call('echo', ARGV[1])}", 0, "x")
        assert got == [b"7", b"x"]


def test_script_effects_survive_a_restart(tmp_path) -> None:
    cfg = {"redis.appendonly": True}
    with polystack.testing.serve(redis=True, data_dir=tmp_path, config_overrides=cfg) as s:
        c = redis.Redis(port=s.redis_port)
        c.eval(
            "redis.call('set', KEYS[1], 'a', 'EX', 100); redis.call('select', 2);"
            "redis.call('set', KEYS[1], 'b'); return redis.call('incrby', 'n', 3)",
            1,
            "k",
        )
        c.close()
    with polystack.testing.serve(redis=True, data_dir=tmp_path, config_overrides=cfg) as s:
        c = redis.Redis(port=s.redis_port)
        assert c.get("k") == b"a" and 0 < c.ttl("k") <= 100
        c.execute_command("SELECT", 2)
        assert c.get("k") == b"b" and c.get("n") == b"3"
        c.close()


def test_asyncio_eval(server) -> None:
    async def main() -> None:
        r = redis.asyncio.Redis(port=server.redis_port)
        assert await r.eval("return ARGV[1] .. ARGV[2]", 0, "a", "b") == b"ab"
        await r.aclose()

    asyncio.run(main())


# -- against the real server ---------------------------------------------------------------

SCRIPTS = [
    "x = 1", "return x", "return redis.call('nosuch')", "return redis.pcall('nosuch')",
    "return {err='x'}", "return {err='CODE x'}", "return {ok='fine'}",
    "return redis.error_reply('boom')", "return redis.error_reply('-WHAT boom')",
    "return redis.error_reply('')", "return redis.status_reply('st')", "error('boom')",
    "error({err='tab'})", "error({err='CODE tab'})", "error(123)", "error({err=1})",
    "return redis.call('set','s','x') and redis.call('incr','s')",
    "return redis.pcall('incr','s')", "return 3.99", "return -3.99", "return true",
    "return false", "return nil", "return {1,2,{3,'x'},nil,5}", "return {1, false, 3}",
    "return {err=1}", "return {err='a\\nb'}", "return {ok='a\\r\\nb'}", "return {err=''}",
    "return cjson.encode({1,2,3,{a=1}})", "return cjson.encode({})",
    "return cjson.encode({[1]=1,[3]=3})", "return cjson.encode({a={b={}}})",
    "return cjson.encode('a/b\"\\1')", "return cjson.encode(1/3)", "return cjson.encode(0/0)",
    "return cjson.encode({[1]=1,[20]=2})", "return cjson.encode({[true]=1})",
    "return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null",
    "return cjson.decode('[1,2')", "return cjson.decode('{\"a\":1.5e300}').a",
    "return cjson.decode('x')", "return type(cjson.null)", "return cjson._VERSION",
    "return cmsgpack.pack({1,2,'x'})",
    "return cmsgpack.pack(1.5, -1, 300, 2^40, true, nil, 'x')",
    "return {cmsgpack.unpack(cmsgpack.pack({a=1},2))}",
    "return bit.band(0xff, 0x0f)..' '..bit.tohex(255)..' '..bit.lshift(1,40)",
    "return bit.tobit(2^32+5)", "return bit.tohex(-1, -4)", "return bit.bnot(0)",
    "return bit.arshift(-256, 4)", "return bit.rol(1, 33)",
    "return bit.tobit(1.5)..' '..bit.tobit(2.5)..' '..bit.tobit(-1.5)",
    "return struct.pack('>i4', 7)", "return {struct.unpack('<hB', 'abc')}",
    "return struct.size('i4d')", "return redis.sha1hex('')", "return redis.sha1hex(1)",
    "return redis.sha1hex({})", "return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM",
    "redis.setresp(3); return redis.call('hgetall','nohash')", "return redis.call()",
    "return redis.call({})", "return redis.call('get', {})", "return redis.call('get', 1.5)",
    "return redis.call('set', 'n', 3.0)", "return _VERSION",
    "return tostring(1e15)..' '..tostring(0.1)", "local t = {} ; t[1]=1 ; t[3]=3 ; return t",
    "return {1, {err='inner'}}", "return {1, {ok='inner'}}", "return redis.call('ping')",
    "return redis.call('echo','x')", "return redis.call('subscribe','x')",
    "return redis.call('eval','return 1','0')", "return redis.call('client','list')",
    "return math.random()", "math.randomseed(1); return math.random(10)",
    "math.randomseed(7); return {math.random(100), math.random(5, 9), math.random(1000)}",
    "return redis.log(redis.LOG_WARNING, 'hi')", "return redis.log()",
    "return redis.setresp(4)", "return redis.sha1hex()", "return redis.error_reply()",
    "return redis.status_reply(1)", "return redis.set_repl(redis.REPL_ALL)",
    "return redis.replicate_commands()", "local a = KEYS; return #ARGV",
    "return redis.call('GET', KEYS[1])", "return tonumber('0x10')",
    "return loadstring('return 1')()", "return pcall(function() error('x') end)",
    "return {pcall(function() error({err='y'}) end)}", "return {redis.pcall('nosuch')}",
    "return {pcall(redis.call, 'nosuch')}", "return redis.breakpoint()",
    "return redis.debug('x')", "return redis.acl_check_cmd('get','x')",
    "return redis.acl_check_cmd('nosuch')", "redis = nil", "cjson.encode = nil",
    "return getmetatable(_G)", "local t = {}; t.__index = t; setmetatable(_G, t)",
    "_G.x = 1", "return rawset(_G, 'y', 1)", "return rawget(_G, 'redis') ~= nil",
    "local n = 0 for k in pairs(_G) do n = n + 1 end return n", "string.x = 1",
    "return #KEYS", "return 'a' .. 1", "return 1/0", "return -1/0", "return 0/0",
    "return 9007199254740993", "return {double=1.5}", "redis.setresp(3) return {double=1.5}",
    "return {map={a=1}}", "return {set={a=true}}", "return {big_number='123'}",
    "return {verbatim_string={format='txt',string='x'}}", "return redis.call('shutdown')",
    "return redis.call('multi')", "return redis.call('select', 1)",
    "return string.format('%.17g', 0/0)", "return table.concat({1,2},',')",
    "return pcall(error)", "return coroutine.wrap(function() coroutine.yield(5) end)()",
    "return {pcall(redis.call, 'incr', 'kx')}",
    "redis.call('set','kx','a'); return {pcall(redis.call, 'incr', 'kx')}",
    "return type(redis.call)..type(bit.band)..type(getfenv)", "return loadstring('return x')()",
    "redis.setresp(3); return redis.call('config', 'get', 'maxmemory')",
    "redis.setresp(3); return {map={a={double=2.5}}, set={b=true}}",
    "redis.setresp(3); return {true, false, {double=0.5}}",
    "return redis.call('config', 'get', 'maxmemory')", "return redis.call('config')",
    "return redis.call('config', 'nosuch')", "return redis.call('get', 'a', 'b')",
]  # fmt: skip


@pytest.mark.differential
@pytest.mark.parametrize("resp", [2, 3])
def test_scripts_answer_like_redis(server, real_redis, resp) -> None:
    cmds = [["EVAL", s, "1", "k", "a1", "a2"] for s in SCRIPTS]
    ours, theirs = _both(server, real_redis, cmds, resp)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd[1]


@pytest.mark.differential
@pytest.mark.parametrize("resp", [2, 3])
def test_cached_scripts_answer_like_redis(server, real_redis, resp) -> None:
    """The same scripts through SCRIPT LOAD and EVALSHA: the batch loop's script path, brief
    scripts called without the worker greenlet, redis.call's one-frame common case."""
    cmds: list[list[str]] = []
    for s in SCRIPTS:
        sha = hashlib.sha1(s.encode()).hexdigest()
        cmds += [["SCRIPT", "LOAD", s], ["EVALSHA", sha, "1", "k", "a1", "a2"]]
    cmds += [
        ["EVALSHA", hashlib.sha1(LIMITER.encode()).hexdigest(), "1", f"rl:{i % 3}", "60"]
        for i in range(6)
    ] + [["SCRIPT", "LOAD", LIMITER], ["TTL", "rl:0"], ["GET", "rl:1"]]
    cmds.insert(0, ["SCRIPT", "LOAD", LIMITER])
    ours, theirs = _both(server, real_redis, cmds, resp)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd


# bench/redis.py's EVALSHA workload: a fixed-window rate limiter
LIMITER = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return n"
)


SCRIPT_COMMANDS = [
    ["EVAL", "#!lua\nreturn 1", "0"], ["EVAL", "#!lua", "0"],
    ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"],
    ["EVAL", "#!lua flags=foo\nreturn 1", "0"], ["EVAL", "#!python\nreturn 1", "0"],
    ["EVAL", "#!lua x=1\nreturn 1", "0"], ["EVAL_RO", "return redis.call('set','a','b')", "0"],
    ["EVAL_RO", "#!lua\nreturn 1", "0"], ["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
    ["EVAL", "return 1", "-1"], ["EVAL", "return 1", "2", "a"], ["EVAL", "return 1", "x"],
    ["EVALSHA", "abc", "0"], ["EVALSHA", "a" * 40, "0"], ["SCRIPT", "LOAD", "return 1"],
    ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffff"],
    ["SCRIPT", "FLUSH", "x"], ["SCRIPT", "KILL"], ["SCRIPT", "DEBUG", "maybe"],
    ["SCRIPT", "DEBUG", "no"], ["SCRIPT", "LOAD", "return ("],
    ["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
    ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    ["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 2", "0"],
    ["EVAL", "#!lua flags=\nreturn 2", "0"], ["EVAL", "#! lua\nreturn 2", "0"],
    ["EVAL", "return redis.call('select', 5) and redis.call('set', 'dbk', 'v')", "0"],
    ["GET", "dbk"], ["SELECT", "5"], ["GET", "dbk"], ["SELECT", "0"],
    ["MULTI"], ["EVAL", "return 1", "0"], ["EXEC"], ["SCRIPT", "FLUSH"],
    ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"], ["SCRIPT", "HELP"],
    ["SCRIPT", "FLUSH", "ASYNC"], ["SCRIPT"], ["SCRIPT", "NOSUCH"], ["EVAL"],
    ["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"],
    ["EVAL", "return redis.call('set', KEYS[1], 'v', 'px', 10000) ", "1", "pk"], ["PTTL", "pk"],
]  # fmt: skip


@pytest.mark.differential
def test_script_commands_like_redis(server, real_redis) -> None:
    ours, theirs = _both(server, real_redis, SCRIPT_COMMANDS, 2)
    for cmd, a, b in zip(SCRIPT_COMMANDS, ours, theirs, strict=True):
        if cmd[0] == "PTTL":
            assert a[:1] == b[:1] == b":"
            continue
        assert a == b, cmd


def _both(server, real_redis, cmds: list[list], resp: int) -> tuple[list, list]:
    out = []
    for port in (server.redis_port, real_redis.port):
        realredis.exchange(port, [["FLUSHALL"], ["SCRIPT", "FLUSH"]])
        out.append(realredis.exchange(port, cmds, resp))
    return out[0], out[1]


# -- busy scripts ------------------------------------------------------------------------------


def _busy_transcript(port: int, script: str) -> list[bytes]:
    """A script loops past busy-reply-threshold: another client gets -BUSY, runs what is
    allowed, kills it (or learns it cannot); then the script's own reply."""
    setup = realredis.RawClient(port)
    setup.call("CONFIG", "SET", "busy-reply-threshold", "50")
    a, b = realredis.RawClient(port), realredis.RawClient(port)
    try:
        a.send_raw(realredis._encode(["EVAL", script, "0"]))
        a.send_raw(realredis._encode(["PING"]))  # held until the script ends
        time.sleep(0.3)
        out = [b.call("GET", "x"), b.call("PING"), b.call("MULTI"), b.call("DISCARD")]
        out.append(b.call("SCRIPT", "KILL"))
        out += [a.read_reply(), a.read_reply(), b.call("GET", "x")]
        return out
    finally:
        setup.call("CONFIG", "SET", "busy-reply-threshold", "5000")
        for c in (setup, a, b):
            c.close()


@pytest.mark.differential
@pytest.mark.slow
def test_busy_script_is_killable_like_redis(server, real_redis) -> None:
    script = "local i = 0 while true do i = i + 1 end"
    ours = _busy_transcript(server.redis_port, script)
    theirs = _busy_transcript(real_redis.port, script)
    assert ours == theirs
    assert ours[0].startswith(b"-BUSY") and ours[4] == b"+OK\r\n"


@pytest.mark.differential
@pytest.mark.slow
def test_busy_script_that_wrote_is_unkillable_like_redis(server, real_redis) -> None:
    script = (
        "redis.call('set', 'x', 'w') local s = redis.call('time') "
        "while true do local n = redis.call('time') "
        "if (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 1500000 then return 'done' end end"
    )
    ours = _busy_transcript(server.redis_port, script)
    theirs = _busy_transcript(real_redis.port, script)
    assert ours == theirs
    assert ours[4].startswith(b"-UNKILLABLE") and ours[-1] == b"$1\r\nw\r\n"


# -- writes the server refuses (scriptVerifyWriteCommandAllow) ----------------------------------

REFUSED_WRITES = [
    ["SET", "a", "1"],
    ["EVAL", "return redis.call('set', 'a', 'b')", "0"],
    ["EVAL", "return redis.pcall('set', 'a', 'b')", "0"],
    ["EVAL", "return redis.call('get', 'a')", "0"],
    ["EVAL", "return redis.pcall('incr', 'n') ", "0"],
    ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'a')", "0"],
]


@pytest.mark.differential
def test_script_writes_refused_like_redis(server, real_redis) -> None:
    """A script's first write on a read-only replica gets -READONLY, below
    min-replicas-to-write -NOREPLICAS (as the error of redis.call / redis.pcall)."""
    dead = realredis.free_port()  # a master that never answers: the link stays down
    cmds = [["CONFIG", "SET", "min-replicas-to-write", "1"], *REFUSED_WRITES]
    cmds += [["CONFIG", "SET", "min-replicas-to-write", "0"]]
    cmds += [["REPLICAOF", "127.0.0.1", str(dead)], *REFUSED_WRITES, ["REPLICAOF", "NO", "ONE"]]
    ours, theirs = _both(server, real_redis, cmds, 2)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd
    assert any(b"READONLY" in a for a in ours) and any(b"NOREPLICAS" in a for a in ours)


@pytest.mark.differential
def test_keys_and_argv_of_every_shape_like_redis(server, real_redis) -> None:
    """KEYS and ARGV as the script (and a function) sees them, for 0 to 3 keys and 0 to 2
    arguments, and the scalar results returned without the general conversion."""
    body = "return {#KEYS, #ARGV, KEYS[1] or 'nil', KEYS[#KEYS] or 'nil', ARGV[#ARGV] or 'nil'}"
    lib = "#!lua name=shapes\nredis.register_function('shapes', function(k, a) " + (
        "return {#k, #a, k[1] or 'nil', a[#a] or 'nil'} end)"
    )
    cmds: list[list] = [["FUNCTION", "FLUSH"], ["FUNCTION", "LOAD", lib]]
    for nkeys in range(4):
        for nargs in range(3):
            keys = [f"k{i}" for i in range(nkeys)]
            args = [f"a{i}" for i in range(nargs)]
            cmds.append(["EVAL", body, str(nkeys), *keys, *args])
            cmds.append(["FCALL", "shapes", str(nkeys), *keys, *args])
    for result in ("7", "-7.9", "'s'", "''", "nil", "true", "{err='E x'}", "2^63"):
        cmds.append(["EVAL", f"return {result}", "0"])
    cmds.append(["FUNCTION", "FLUSH"])
    ours, theirs = _both(server, real_redis, cmds, 2)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd
