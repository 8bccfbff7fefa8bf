"""The translated scripts' own paths (scriptpath._run_script, scriptrun's
translated_site_call and the inline common cases of INCR and EXPIRE): the same replies,
deadlines, statistics and logged effects as the command handlers and as redis-server,
and every case the inline code does not cover (a deadline, another type or form, an
option, keyspace listeners) answered as the handler answers it."""

from __future__ import annotations

import asyncio
import hashlib
import marshal
from pathlib import Path

import pytest

from polystack.runtime.log import RecordLog
from tests.redis import realredis
from tests.redis.test_log_turn import _service
from tests.redis.test_lua_translate import LIMITER, _usec_free
from tests.redis.test_scripting import _both

INCR_THEN_EXPIRE = "redis.call('INCR', KEYS[1]) return redis.call('EXPIRE', KEYS[1], ARGV[1])"
EXPIRE_ONLY = "return redis.call('EXPIRE', KEYS[1], ARGV[1])"
INCR_ONLY = "return redis.call('INCR', KEYS[1])"
EXPIRE_NX = "return redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')"
INCR_THEN_FAIL = "redis.call('INCR', KEYS[1]) return redis.call('nosuch')"


def _sha(body: str) -> str:
    return hashlib.sha1(body.encode()).hexdigest()


def _cases() -> list[list]:
    """Each script on keys in every state the inline code tells apart, then what is left."""
    cmds: list[list] = [
        ["CONFIG", "RESETSTAT"],
        ["SET", "canon", "41"],
        ["SET", "zero", "0"],
        ["SET", "lead", "007"],
        ["SET", "neg", "-3"],
        ["SET", "text", "abc"],
        ["SET", "big", "9223372036854775806"],
        ["SET", "near", "99999999999999999"],
        ["SET", "ttl", "5", "EX", "1000"],
        ["SET", "plain", "x"],
        ["RPUSH", "list", "a"],
    ]
    for body in (LIMITER.decode(), INCR_THEN_EXPIRE, EXPIRE_ONLY, INCR_ONLY, EXPIRE_NX,
                 INCR_THEN_FAIL):  # fmt: skip
        cmds.append(["SCRIPT", "LOAD", body])
    keys = ["new", "canon", "zero", "lead", "neg", "text", "big", "near", "ttl", "plain", "list"]
    seconds = ["60", "0", "-5", "1000000", "060", " 5", "abc", "1023", "1024"]
    for key in keys:
        cmds.append(["EVALSHA", _sha(LIMITER.decode()), "1", key, "60"])
        cmds.append(["EVALSHA", _sha(INCR_ONLY), "1", key])
    for i, s in enumerate(seconds):
        for key in ("new", "plain", "ttl", "list"):
            cmds.append(
                ["EVALSHA", _sha(EXPIRE_ONLY), "1", f"{key}{i}" if key == "new" else key, s]
            )
        cmds.append(["SET", f"fresh{i}", "1"])
        cmds.append(["EVALSHA", _sha(INCR_THEN_EXPIRE), "1", f"fresh{i}", s])
        cmds.append(["EVALSHA", _sha(EXPIRE_NX), "1", f"fresh{i}", s])
        cmds.append(["TTL", f"fresh{i}"])
    cmds.append(["EVALSHA", _sha(INCR_THEN_FAIL), "1", "failed"])
    cmds.append(["EVALSHA", _sha(INCR_ONLY), "0"])  # KEYS[1] is nil: the generic path
    for key in keys + ["failed"]:
        cmds += [["GET", key], ["TTL", key]]
    cmds += [["DBSIZE"], ["INFO", "keyspace"]]
    return cmds


@pytest.mark.differential
def test_inline_incr_and_expire_like_redis(server, real_redis) -> None:
    cmds = _cases() + [["INFO", "commandstats"]]
    ours, theirs = _both(server, real_redis, cmds, 2)
    for cmd, a, b in zip(cmds[:-1], ours[:-1], theirs[:-1], strict=True):
        if cmd[:2] == ["INFO", "keyspace"]:  # (avg_ttl is an estimate)
            a, b = (x.split(b"\r\n", 1)[1].split(b",avg_ttl")[0] for x in (a, b))
        assert a == b, cmd
    wanted = (b"cmdstat_incr:", b"cmdstat_expire:", b"cmdstat_evalsha:")
    stats = [
        sorted(s for s in _usec_free(x) if s.startswith(wanted)) for x in (ours[-1], theirs[-1])
    ]
    assert stats[0] == stats[1]


def test_inline_paths_leave_to_the_handler_what_they_do_not_cover(server) -> None:
    """Keyspace notifications and WATCH (keyspace listeners): the handler's path, with its
    events and its invalidation."""
    port = server.redis_port
    realredis.exchange(port, [["FLUSHALL"], ["SCRIPT", "FLUSH"]])
    sub = realredis.RawClient(port)
    watcher = realredis.RawClient(port)
    try:
        realredis.exchange(port, [["CONFIG", "SET", "notify-keyspace-events", "KEA"]])
        sub.call("PSUBSCRIBE", "__keyevent@0__:*")
        got = realredis.exchange(port, [["SCRIPT", "LOAD", LIMITER.decode()],
                                        ["EVALSHA", _sha(LIMITER.decode()), "1", "n", "60"]])  # fmt: skip
        assert got[1] == b":1\r\n"
        events = [sub.read_reply() for _ in range(2)]
        assert b"incrby" in events[0] and b"expire" in events[1], events
        realredis.exchange(port, [["CONFIG", "SET", "notify-keyspace-events", ""]])
        assert watcher.call("WATCH", "n") == b"+OK\r\n"
        assert realredis.exchange(port, [["EVALSHA", _sha(LIMITER.decode()), "1", "n", "60"]]) == [
            b":2\r\n"
        ]
        assert watcher.call("MULTI") == b"+OK\r\n"
        watcher.call("GET", "n")
        assert watcher.call("EXEC") == b"*-1\r\n"  # the script's INCR invalidated the watch
    finally:
        sub.close()
        watcher.close()
        realredis.exchange(port, [["CONFIG", "SET", "notify-keyspace-events", ""]])


def _evalsha(sha: bytes, *args: bytes) -> bytes:
    argv = [b"EVALSHA", sha, *args]
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)


def test_translated_scripts_log_their_effects_as_multi_exec(tmp_path: Path) -> None:
    """The log gets a script's effects (PEXPIREAT for EXPIRE), wrapped in MULTI ... EXEC
    when there is more than one, also when the script fails after a write; one request per
    read and pipelined alike."""
    from polystack.runtime.connection import Peer
    from tests.runtime.test_connection import _RecordingTransport

    async def main() -> list:
        svc, listener = await _service(tmp_path)
        sent: list = []
        p = Peer(listener)
        p.connection_made(_RecordingTransport(svc.journal.log, "a", sent))
        load = [LIMITER, INCR_THEN_FAIL.encode()]
        p.data_received(b"".join(b"*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$%d\r\n%b\r\n" % (len(b), b)
                                 for b in load))  # fmt: skip
        limiter, failing = (hashlib.sha1(b).hexdigest().encode() for b in load)
        p.data_received(_evalsha(limiter, b"1", b"a", b"60"))  # new key: INCR + EXPIRE
        p.data_received(_evalsha(limiter, b"1", b"a", b"60"))  # INCR only
        p.data_received(_evalsha(limiter, b"1", b"b", b"60") + _evalsha(failing, b"1", b"c")
                        + _evalsha(limiter, b"1", b"b", b"60"))  # fmt: skip
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        p.transport = None
        svc.journal.close()
        return [marshal.loads(r) for r in RecordLog(svc.journal.log.path).open()]

    records = asyncio.run(main())
    entries = [argv for record in records for _, argv in record if argv[0] != b"SCRIPT"]
    shape = [argv[:2] + [b"<ms>"] if argv[0] == b"PEXPIREAT" else argv for argv in entries]
    assert shape == [
        [b"MULTI"], [b"INCR", b"a"], [b"PEXPIREAT", b"a", b"<ms>"], [b"EXEC"],
        [b"INCR", b"a"],
        [b"MULTI"], [b"INCR", b"b"], [b"PEXPIREAT", b"b", b"<ms>"], [b"EXEC"],
        [b"INCR", b"c"],
        [b"INCR", b"b"],
    ]  # fmt: skip


def test_translated_effects_keep_their_place_in_the_turns_record(tmp_path: Path) -> None:
    """A translated script's effects join the loop turn's journal record directly: writes
    before it in the same read (this client's) and other clients' writes of the turn keep
    their order around them."""
    from polystack.runtime.connection import Peer
    from tests.runtime.test_connection import _RecordingTransport

    def _set(key: bytes) -> bytes:
        return b"*3\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$1\r\nv\r\n" % (len(key), key)

    async def main() -> list:
        svc, listener = await _service(tmp_path)
        sent: list = []
        a, b = Peer(listener), Peer(listener)
        a.connection_made(_RecordingTransport(svc.journal.log, "a", sent))
        b.connection_made(_RecordingTransport(svc.journal.log, "b", sent))
        a.data_received(
            b"*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$%d\r\n%b\r\n" % (len(LIMITER), LIMITER)
        )
        await asyncio.sleep(0)
        limiter = hashlib.sha1(LIMITER).hexdigest().encode()
        b.data_received(_set(b"b1"))
        a.data_received(_set(b"a1") + _evalsha(limiter, b"1", b"k", b"60") + _set(b"a2"))
        b.data_received(_evalsha(limiter, b"1", b"m", b"60"))
        a.data_received(_evalsha(limiter, b"1", b"k", b"60"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        a.transport = b.transport = None
        svc.journal.close()
        return [marshal.loads(r) for r in RecordLog(svc.journal.log.path).open()]

    records = asyncio.run(main())
    entries = [argv for record in records for _, argv in record if argv[0] != b"SCRIPT"]
    shape = [argv[:2] + [b"<ms>"] if argv[0] == b"PEXPIREAT" else argv[:2] for argv in entries]
    assert shape == [
        [b"SET", b"b1"], [b"SET", b"a1"],
        [b"MULTI"], [b"INCR", b"k"], [b"PEXPIREAT", b"k", b"<ms>"], [b"EXEC"],
        [b"SET", b"a2"],
        [b"MULTI"], [b"INCR", b"m"], [b"PEXPIREAT", b"m", b"<ms>"], [b"EXEC"],
        [b"INCR", b"k"],
    ]  # fmt: skip
