"""Functions: FUNCTION LOAD/DELETE/LIST/DUMP/RESTORE/FLUSH/KILL/STATS and FCALL, through
redis-py and against Redis 7.0 (library metadata, register_function's argument checks, the
library API at load time, the globals at run time, flags, collisions, errors)."""

from __future__ import annotations

import time

import pytest
import redis

import polystack.testing
from polystack.redis import wire
from polystack.redis.lua.functions import parse_metadata, valid_name
from tests.redis import realredis


def lib(name: str, *bodies: str, head: str = "") -> str:
    return f"#!lua name={name}{head}\n" + "\n".join(bodies)


def reg(fname: str, body: str) -> str:
    return f"redis.register_function('{fname}', function(keys, args) {body} end)"


# -- through redis-py -----------------------------------------------------------------------------


def test_load_call_and_list(r) -> None:
    r.function_flush()
    code = lib("mylib", reg("myfunc", "return args[1]"), reg("ro", "return #keys"))
    assert r.function_load(code) == b"mylib"
    assert r.fcall("myfunc", 0, "hello") == b"hello"
    assert r.fcall("MYFUNC", 0, "x") == b"x"  # function names are case-insensitive
    listed = r.function_list(withcode=True)
    assert listed[0][1] == b"mylib" and listed[0][-1] == code.encode()
    with pytest.raises(redis.ResponseError, match="already exists"):
        r.function_load(code)
    assert r.function_load(lib("mylib", reg("other", "return 2")), replace=True) == b"mylib"
    with pytest.raises(redis.ResponseError, match="Function not found"):
        r.fcall("myfunc", 0)
    assert r.function_delete("mylib")
    assert r.function_list() == []


def test_dump_restore_round_trip(r) -> None:
    r.function_flush()
    r.function_load(lib("a", reg("fa", "return 1")))
    r.function_load(lib("b", reg("fb", "return 2")))
    payload = r.function_dump()
    r.function_flush()
    assert r.function_restore(payload)
    assert r.fcall("fa", 0) == 1 and r.fcall("fb", 0) == 2
    with pytest.raises(redis.ResponseError, match="Library a already exists"):
        r.function_restore(payload)
    assert r.function_restore(payload, "REPLACE")
    r.function_load(lib("c", reg("fc", "return 3")))
    assert r.function_restore(payload, "FLUSH")
    with pytest.raises(redis.ResponseError, match="Function not found"):
        r.fcall("fc", 0)


def test_function_writes_and_keys(r) -> None:
    r.function_flush()
    r.function_load(
        lib(
            "kv",
            reg("setget", "redis.call('set', keys[1], args[1]) return redis.call('get', keys[1])"),
            "redis.register_function{function_name='getonly', flags={'no-writes'}, "
            "callback=function(keys) return redis.call('get', keys[1]) end}",
        )
    )
    assert r.fcall("setget", 1, "k", "v") == b"v"
    assert r.fcall_ro("getonly", 1, "k") == b"v"
    with pytest.raises(redis.ResponseError, match="write flag using \\*_ro"):
        r.fcall_ro("setget", 1, "k", "v")


def test_functions_survive_a_restart_and_a_rewrite(tmp_path) -> None:
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        r.function_load(lib("keep", reg("kept", "return 'yes'")))
        r.function_load(lib("gone", reg("dropped", "return 'no'")))
        r.function_delete("gone")
        r.close()
        s.restart()
        r = redis.Redis(port=s.redis_port)
        assert r.fcall("kept", 0) == b"yes"
        assert [x[1] for x in r.function_list()] == [b"keep"]
        assert r.bgrewriteaof()
        time.sleep(0.3)
        r.function_load(lib("later", reg("later", "return 'l'")))
        r.close()
        s.restart()
        r = redis.Redis(port=s.redis_port)
        assert r.fcall("kept", 0) == b"yes" and r.fcall("later", 0) == b"l"
        r.close()


def test_dump_rdb_keeps_functions(tmp_path) -> None:
    overrides = {"redis.appendonly": False}
    with polystack.testing.serve(redis=True, data_dir=tmp_path, config_overrides=overrides) as s:
        r = redis.Redis(port=s.redis_port)
        r.function_load(lib("inrdb", reg("inrdb", "return 7")))
        assert r.save()
        r.close()
        s.restart()
        r = redis.Redis(port=s.redis_port)
        assert r.fcall("inrdb", 0) == 7
        r.close()


def test_metadata_parsing() -> None:
    assert parse_metadata(b"#!lua name=x\nbody") == (b"lua", b"x", b"\nbody")
    assert parse_metadata(b'#!lua  "name=a b"  \n')[1] == b"a b"
    assert valid_name(b"a_1Z") and not valid_name(b"") and not valid_name(b"a-b")


# -- against the real server ---------------------------------------------------------------

LOADS = [
    "#!lua name=e9\n", "#!lua\n", "#!lua name=a name=b\n", "#!lua foo=bar\n", "#!js name=x\n",
    "#!lua name=\n", '#!lua name="q q"\nreturn 1', "#!lua name=e-12\n", "#!\n", "no shebang",
    "#!lua name=x", "#!lua name='unbalanced\n",
    lib("e1", "redis.register_function()"), lib("e2", "local x = string.len('a')"),
    lib("e3", "x = 1"), lib("e4", "error('boom')"), lib("e5", "return _G"),
    lib("e6", "redis.register_function('a-b', function() end)"),
    lib("e7", reg("a", ""), reg("a", "")), lib("e8", "local function f( "),
    lib("e14", "redis.register_function{function_name='x14', callback=function() return 1 end,"
        " flags={'no-writes','bad'}}"),
    lib("e15", "redis.register_function{function_name='x15', callback=5}"),
    lib("e16", "redis.register_function{function_name='x16'}"),
    lib("e17", "redis.register_function{callback=function() end}"),
    lib("e18", "redis.register_function{function_name='x18', callback=function() end, foo=1}"),
    lib("e19", "redis.register_function(1)"), lib("e20", "redis.register_function(function() "
        "end, 'x')"), lib("e21", "redis.call('ping')"), lib("e22", "redis.log(redis.LOG_WARNING,"
        " 'hi') return 5"),
    lib("t6", "redis.register_function{function_name='a7', callback=function() end, "
        "flags='no-writes'}"),
    lib("t7", "redis.register_function{function_name='a8', callback=function() end, flags={1}}"),
    lib("t8", "redis.register_function{[1]=2}"), lib("t10", reg("", "")),
    lib("t11", "redis.register_function('a', function() end, 3)"),
    lib("t12", "redis.register_function{[true]=1}"), lib("t13", "error({err='MY x'})"),
    lib("t14", "error({})"), lib("t15", "error(12)"), lib("t16", "local r = redis.nosuch"),
    lib("t17", "redis.register_function('x17', function() end) redis.register_function('X17', "
        "function() end)"),
    lib("t18", "return redis.REDIS_VERSION_NUM, redis.LOG_NOTICE"),
    lib("t19", "redis.register_function{function_name=7, description=8, callback=function() "
        "return 1 end}"),
]  # fmt: skip


@pytest.mark.differential
def test_function_load_errors_like_redis(server, real_redis) -> None:
    cmds = [["FUNCTION", "FLUSH"]]
    for code in LOADS:
        cmds += [["FUNCTION", "LOAD", code], ["FUNCTION", "FLUSH"]]
    ours, theirs = _both(server, real_redis, cmds, 2)
    for cmd, a, b in zip(cmds, ours, theirs, strict=True):
        assert a == b, cmd


RUNTIME = lib(
    "rt",
    "local function helper() return 7 end",
    reg("f1", "return helper()"), reg("f2", "x = 1"), reg("f3", "return nosuch"),
    reg("f4", "error('boom')"), reg("f5", "return redis.call('incr', keys[1])"),
    reg("f6", "return redis.register_function('z', function() end)"),
    reg("f7", "return {KEYS, ARGV}"), reg("f8", "return _G.KEYS"), reg("f9", "return "
        "redis.setresp(3)"), reg("f10", "return type(redis.register_function)"),
    reg("f11", "return redis.call('fcall', 'f1', '0')"),
    reg("f12", "return redis.call('function', 'list')"),
    reg("f13", "return redis.call('eval', 'return 1', '0')"), reg("f14", "return "
        "redis.breakpoint()"), reg("f16", "return #keys .. ':' .. #args"),
    reg("f17", "redis.setresp(3) return redis.call('hgetall', 'h')"),
    reg("f18", "return {1, {double=1.5}, true, false}"), reg("f19", "return redis.pcall('incr',"
        " 'str')"), reg("f20", "return pcall(error, {err='X y'})"),
    reg("f21", "local n = 0 for k in pairs(_G) do n = n + 1 end return n"),
    reg("f22", "return rawget(_G, 'KEYS')"), reg("f23", "return loadstring('return 1 + 1')()"),
    reg("f24", "return loadstring('return redis.call(\"ping\")')()"),
    reg("f25", "return redis.sha1hex('x')"), reg("f26", "return redis.acl_check_cmd('get', "
        "'x')"), reg("f27", "return type(redis.replicate_commands)..type(redis.debug)"),
    reg("f28", "return type(__redis__err__handler)"), reg("f29", "return {pcall(redis.call, "
        "'nosuch')}"), reg("f30", "return redis.call('set', 'w', 'v')"),
    "redis.register_function{function_name='f15', callback=function(keys, args) return "
    "redis.call('get', 'x') end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster',"
    " 'allow-cross-slot-keys'}, description='all flags'}",
    "redis.register_function{function_name='f31', callback=function() return "
    "redis.call('set', 'a', 'b') end, flags={'NO-WRITES'}}",
)  # fmt: skip
CALLS = [
    ["FUNCTION", "FLUSH"], ["FUNCTION", "LOAD", RUNTIME], ["HSET", "h", "a", "1"],
    ["SET", "str", "x"],
    *[["FCALL", f"f{i}", "0"] for i in range(1, 32)],
    ["FCALL", "f5", "1", "k"], ["FCALL", "f5", "1", "str"], ["FCALL", "f16", "2", "a", "b", "c"],
    ["FCALL_RO", "f15", "0"], ["FCALL_RO", "f1", "0"], ["FCALL_RO", "f31", "0"],
    ["FCALL", "nosuch", "0"], ["FCALL", "f1", "x"], ["FCALL", "f1", "2", "a"],
    ["FCALL", "f1", "-1"], ["FCALL"], ["FCALL", "f1"], ["FCALL_RO", "f1"],
    ["FCALL", "F1", "0"], ["FCALL", "f1", " 1", "a"], ["FCALL", "f1", "01", "a"],
    ["FUNCTION", "LIST", "LIBRARYNAME", "rt"], ["FUNCTION", "LIST", "LIBRARYNAME", "RT"],
    ["FUNCTION", "LIST", "LIBRARYNAME", "x*"], ["FUNCTION", "LIST", "LIBRARYNAME"],
    ["FUNCTION", "LIST", "foo"], ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "r*",
                                  "WITHCODE"],
    ["FUNCTION", "STATS"], ["FUNCTION", "KILL"], ["FUNCTION", "DELETE", "nosuch"],
    ["FUNCTION", "LOAD", "REPLACE", lib("rt", reg("g1", "return 1"))], ["FCALL", "f1", "0"],
    ["FCALL", "g1", "0"], ["FUNCTION", "LOAD", "REPLACE", lib("rt2", reg("g1", "return 1"))],
    ["FUNCTION", "LOAD", "BAD", lib("rt2", reg("g2", "return 1"))],
    ["FUNCTION", "LOAD", "REPLACE"], ["FUNCTION", "LOAD"],
    ["FUNCTION", "LOAD", lib("rt3", reg("g3", "return 1")), "extra"],
    ["FUNCTION", "LOAD", "replace", "REPLACE", lib("rt", reg("g1", "return 5"))],
    ["FCALL", "g1", "0"], ["FUNCTION", "DUMP"],
    ["FUNCTION", "RESTORE", "xx"], ["FUNCTION", "RESTORE", "xx", "BAD"],
    ["FUNCTION", "RESTORE", "x", "y", "z"], ["FUNCTION", "RESTORE", "\n\x00" + "\x00" * 8],
    ["FUNCTION", "FLUSH", "BAD"], ["FUNCTION", "FLUSH", "SYNC"], ["FUNCTION", "FLUSH", "ASYNC"],
    ["FUNCTION", "FLUSH", "SYNC", "x"], ["FUNCTION", "DUMP"], ["FUNCTION", "STATS"],
    ["FUNCTION", "HELP"], ["FUNCTION", "NOSUCH"], ["FUNCTION"],
    ["MULTI"], ["FUNCTION", "LOAD", lib("mm", reg("mm", "return 1"))], ["FCALL", "mm", "0"],
    ["FUNCTION", "DELETE", "mm"], ["EXEC"],
    ["COMMAND", "GETKEYS", "FCALL", "f1", "2", "a", "b", "c"],
    ["COMMAND", "INFO", "FCALL", "FCALL_RO"], ["COMMAND", "DOCS", "FCALL", "FCALL_RO"],
    *[["COMMAND", "INFO", f"FUNCTION|{s}"] for s in ("LOAD", "DELETE", "LIST", "DUMP",
                                                    "RESTORE", "FLUSH", "KILL", "STATS",
                                                    "HELP")],
    *[["COMMAND", "DOCS", f"FUNCTION|{s}"] for s in ("LOAD", "DELETE", "LIST", "DUMP",
                                                    "RESTORE", "FLUSH", "KILL", "STATS",
                                                    "HELP")],
    ["FUNCTION", "LOAD", lib("one", reg("only", "return 1"))], ["FUNCTION", "DUMP"],
    ["FUNCTION", "LOAD", lib("two", "-- " + "padding " * 20, reg("second", "return 2"))],
    ["FUNCTION", "DELETE", "one"], ["FUNCTION", "DUMP"],
]  # fmt: skip


@pytest.mark.differential
@pytest.mark.parametrize("resp", [2, 3])
def test_fcall_and_function_commands_like_redis(server, real_redis, resp) -> None:
    ours, theirs = _both(server, real_redis, CALLS, resp)
    for cmd, a, b in zip(CALLS, ours, theirs, strict=True):
        if cmd[:3] == ["FUNCTION", "LIST", "LIBRARYNAME"] and cmd[3:] in (["rt"], ["RT"]):
            a, b = _sorted_functions(a), _sorted_functions(b)
        assert a == b, cmd


def _sorted_functions(reply: bytes):
    """FUNCTION LIST of one library, its functions in name order (Redis lists them in its
    hash table's order)."""
    (entry,) = wire.decode_reply(reply)
    if isinstance(entry, list):
        entry = dict(zip(entry[::2], entry[1::2], strict=True))
    fns = entry[b"functions"]
    return sorted(repr(f) for f in fns)


def test_function_restore_payload_from_redis(server, real_redis) -> None:
    """A FUNCTION DUMP payload made by Redis restores here, and ours restores there."""
    code = lib("portable", reg("portable", "return 'p'"))
    theirs = realredis.RawClient(real_redis.port)
    ours = realredis.RawClient(server.redis_port)
    try:
        for c in (theirs, ours):
            c.call("FUNCTION", "FLUSH")
        theirs.call("FUNCTION", "LOAD", code)
        payload = wire.decode_reply(theirs.call("FUNCTION", "DUMP"))
        assert ours.call("FUNCTION", "RESTORE", payload) == b"+OK\r\n"
        assert ours.call("FCALL", "portable", "0") == b"$1\r\np\r\n"
        mine = wire.decode_reply(ours.call("FUNCTION", "DUMP"))
        assert mine == payload
        theirs.call("FUNCTION", "FLUSH")
        assert theirs.call("FUNCTION", "RESTORE", mine) == b"+OK\r\n"
    finally:
        for c in (theirs, ours):
            c.call("FUNCTION", "FLUSH")
            c.close()


def _both(server, real_redis, cmds: list[list], resp: int) -> tuple[list, list]:
    out = []
    for port in (server.redis_port, real_redis.port):
        realredis.exchange(port, [["FLUSHALL"], ["FUNCTION", "FLUSH"]])
        out.append(realredis.exchange(port, cmds, resp))
    return out[0], out[1]


def _busy_transcript(port: int, body: str, kill: str) -> list[bytes]:
    """A function loops past busy-reply-threshold: another client is refused, looks at
    FUNCTION STATS, tries the wrong kill, then the right one."""
    setup = realredis.RawClient(port)
    setup.call("FUNCTION", "FLUSH")
    setup.call("FUNCTION", "LOAD", lib("busy", reg("spin", body)))
    setup.call("CONFIG", "SET", "busy-reply-threshold", "50")
    a, b = realredis.RawClient(port), realredis.RawClient(port)
    try:
        a.send_raw(realredis._encode(["FCALL", "spin", "0"]))
        time.sleep(0.3)
        out = [b.call("GET", "x"), b.call("SCRIPT", "KILL")]
        stats = wire.decode_reply(b.call("FUNCTION", "STATS"))
        running = stats[1] if isinstance(stats, list) else stats[b"running_script"]
        out.append(running[:4] if isinstance(running, list) else running)
        out.append(b.call(*kill.split()))
        out += [a.read_reply(), b.call("GET", "x")]
        return out
    finally:
        setup.call("CONFIG", "SET", "busy-reply-threshold", "5000")
        setup.call("FUNCTION", "FLUSH")
        for c in (setup, a, b):
            c.close()


@pytest.mark.differential
@pytest.mark.slow
def test_busy_function_is_killable_like_redis(server, real_redis) -> None:
    body = "local i = 0 while true do i = i + 1 end"
    ours = _busy_transcript(server.redis_port, body, "FUNCTION KILL")
    theirs = _busy_transcript(real_redis.port, body, "FUNCTION KILL")
    assert ours == theirs
    assert ours[3] == b"+OK\r\n"
