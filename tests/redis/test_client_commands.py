"""CLIENT REPLY (ON/OFF/SKIP), CLIENT KILL USER and INFO errorstats with bytes that are not
UTF-8, against a real redis-server 7.0 and through redis-py."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from tests.redis import realredis

_MARK = b"$11\r\nend-of-test\r\n"


def _pipeline(port: int, commands: list[list[str]], resp: int = 2) -> bytes:
    """Send ``commands`` in one write, then ECHO end-of-test, and return every byte
    answered before that marker (CLIENT REPLY makes the count of replies unknowable)."""
    c = realredis.RawClient(port)
    try:
        if resp == 3:
            c.call("HELLO", "3")
        c.sock.sendall(
            b"".join(realredis._encode(cmd) for cmd in [*commands, ["CLIENT", "REPLY", "ON"]])
            + realredis._encode(["ECHO", "end-of-test"])
        )
        data = b""
        while not data.endswith(_MARK):
            chunk = c.sock.recv(65536)
            assert chunk, data
            data += chunk
        return data[: -len(_MARK)]
    finally:
        c.close()


REPLY_SEQUENCES = {
    "on": [["CLIENT", "REPLY", "ON"], ["PING"]],
    "off": [["CLIENT", "REPLY", "OFF"], ["PING"], ["SET", "k", "v"], ["GET", "nokey", "x"]],
    "skip": [["CLIENT", "REPLY", "SKIP"], ["PING"], ["ECHO", "a"]],
    "skip_skip": [
        ["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "SKIP"], ["ECHO", "1"], ["ECHO", "2"],
    ],
    "skip_then_on": [["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "ON"], ["ECHO", "x"]],
    "skip_while_off": [["CLIENT", "REPLY", "OFF"], ["CLIENT", "REPLY", "SKIP"], ["PING"]],
    "errors": [
        ["CLIENT", "REPLY", "BOGUS"], ["CLIENT", "REPLY"], ["CLIENT", "REPLY", "OFF"],
        ["CLIENT", "REPLY", "BOGUS"], ["NOSUCHCOMMAND"], ["CLIENT", "REPLY", "ON"], ["PING"],
    ],
    "skip_error": [["CLIENT", "REPLY", "SKIP"], ["INCR", "notanumber", "x"], ["PING"]],
    "skip_multi": [
        ["CLIENT", "REPLY", "SKIP"], ["MULTI"], ["SET", "a", "1"], ["EXEC"], ["GET", "a"],
    ],
    "off_then_reset": [["CLIENT", "REPLY", "OFF"], ["RESET"], ["PING"]],
    "off_writes_happen": [
        ["CLIENT", "REPLY", "OFF"], ["SET", "w", "1"], ["INCR", "w"], ["CLIENT", "REPLY", "ON"],
        ["GET", "w"],
    ],
    "introspection": [["COMMAND", "INFO", "client|reply"], ["COMMAND", "DOCS", "client|reply"],
                      ["CLIENT", "HELP"]],
}  # fmt: skip


@pytest.mark.differential
@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("name", sorted(REPLY_SEQUENCES))
def test_client_reply_like_redis(server, real_redis, name: str, resp: int) -> None:
    cmds = REPLY_SEQUENCES[name]
    for port in (server.redis_port, real_redis.port):
        realredis.exchange(port, [["FLUSHALL"]])
    ours = _pipeline(server.redis_port, cmds, resp)
    theirs = _pipeline(real_redis.port, cmds, resp)
    assert ours == theirs


@pytest.mark.differential
def test_client_reply_off_still_gets_pushes(server, real_redis) -> None:
    """Redis 7.0 silences replies, not the messages of a subscription (RESP3 pushes)."""

    def run(port: int) -> bytes:
        sub = realredis.RawClient(port)
        pub = realredis.RawClient(port)
        try:
            sub.call("HELLO", "3")
            sub.call("SUBSCRIBE", "ch")
            sub.sock.sendall(b"CLIENT REPLY OFF\r\nPING\r\n")
            assert pub.call("PING") == b"+PONG\r\n"  # (the OFF has been read by now)
            time.sleep(0.1)
            assert pub.call("PUBLISH", "ch", "hi") == b":1\r\n"
            sub.sock.settimeout(5)
            data = b""
            while not data.endswith(b"hi\r\n"):
                data += sub.sock.recv(65536)
            return data
        finally:
            sub.close()
            pub.close()

    assert run(server.redis_port) == run(real_redis.port)


def test_client_reply_through_redis_py(r) -> None:
    """redis-py's own test: ON answers OK; OFF and SKIP get no answer (it times out), and the
    SET after them is still made."""
    timeout_client = redis.Redis(
        port=r.connection_pool.connection_kwargs["port"], socket_timeout=0.5
    )
    try:
        assert timeout_client.client_reply("ON") == b"OK"
        with pytest.raises(redis.RedisError):
            timeout_client.client_reply("OFF")
    finally:
        timeout_client.close()
    raw = socket.create_connection(("127.0.0.1", r.connection_pool.connection_kwargs["port"]))
    try:
        raw.sendall(b"CLIENT REPLY SKIP\r\nSET foo bar\r\nPING\r\n")
        assert raw.recv(100) == b"+PONG\r\n"
    finally:
        raw.close()
    assert r.get("foo") == b"bar"


@pytest.mark.differential
def test_client_kill_user_like_redis(server, real_redis) -> None:
    """CLIENT KILL USER closes that user's connections (and counts them); an unknown user is
    an error.  (The default user's connections are not counted: other tests' may linger.)"""

    def run(port: int) -> list[bytes]:
        admin = realredis.RawClient(port)
        victims = []
        try:
            admin.call("ACL", "SETUSER", "victim", "on", "nopass", "+@all", "~*")
            for _ in range(2):
                v = realredis.RawClient(port)
                assert v.call("AUTH", "victim", "x") == b"+OK\r\n"
                victims.append(v)
            return [
                admin.call("CLIENT", "KILL", "USER", "victim"),
                admin.call("CLIENT", "KILL", "USER", "victim"),
                admin.call("CLIENT", "KILL", "USER", "nosuchuser"),
                admin.call("CLIENT", "KILL", "USER", "default", "SKIPME", "maybe"),
                victims[0].call("PING"),
                admin.call("ACL", "DELUSER", "victim"),
            ]
        finally:
            for v in victims:
                v.close()
            admin.close()

    assert run(server.redis_port) == run(real_redis.port)


def test_client_kill_user_through_redis_py(r) -> None:
    port = r.connection_pool.connection_kwargs["port"]
    r.acl_setuser("user_to_kill", enabled=True, reset=True, commands=["+get", "+client"],
                  keys=["cache:*"], nopass=True)  # fmt: skip
    victim = redis.Redis(port=port, username="user_to_kill")
    bystander = redis.Redis(port=port)
    try:
        assert victim.get("cache:1") is None
        assert bystander.ping()
        assert r.client_kill_filter(user="user_to_kill") == 1
        assert all(c["user"] != "user_to_kill" for c in r.client_list())
        assert bystander.ping()
    finally:
        victim.close()
        bystander.close()
        r.acl_deluser("user_to_kill")


def test_errorstat_keeps_bytes_that_are_not_utf8(r) -> None:
    """An error code a script makes up is counted under its own bytes, sent back raw."""
    r.config_resetstat()
    with pytest.raises(redis.ResponseError):
        r.eval(b"return redis.error_reply('\xff\xfeBAD oops')", 0)
    port = r.connection_pool.connection_kwargs["port"]
    (raw,) = realredis.exchange(port, [["INFO", "errorstats"]])
    assert b"errorstat_\xff\xfeBAD:count=1\r\n" in raw
    assert r.info("errorstats")["errorstat_\ufffd\ufffdBAD"] == {"count": 1}
    r.config_resetstat()


@pytest.mark.differential
def test_client_reply_silences_a_blocked_commands_answer(server, real_redis) -> None:
    """A BLPOP that waited is answered when served; under OFF or SKIP that answer is
    dropped too (the SKIP is used up by it)."""

    def run(port: int) -> bytes:
        a = realredis.RawClient(port)
        b = realredis.RawClient(port)
        try:
            out = b""
            for mode, key in ((b"OFF", b"k1"), (b"SKIP", b"k2")):
                a.sock.sendall(b"DEL %s\r\nCLIENT REPLY %s\r\nBLPOP %s 0\r\n" % (key, mode, key))
                deadline = time.monotonic() + 10
                while b.call("CLIENT", "LIST", "TYPE", "normal").count(b"cmd=blpop") < 1:
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                assert b.call("RPUSH", key, "v") == b":1\r\n"
                a.sock.sendall(b"CLIENT REPLY ON\r\nECHO end\r\n")
                a.sock.settimeout(5)
                while not out.endswith(b"end\r\n"):
                    out += a.sock.recv(65536)
                out += b"|"
            return out
        finally:
            a.close()
            b.close()

    assert run(server.redis_port) == run(real_redis.port)
