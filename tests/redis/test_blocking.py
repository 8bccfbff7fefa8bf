"""Blocking commands with several clients, against a real redis-server 7.0: who is served, in
what order, with what reply; timeouts, CLIENT UNBLOCK, pipelined input behind a blocked
command, disconnects, and the log entries a served client writes (SIGKILL + restart)."""

from __future__ import annotations

import time

import pytest
import redis

from tests.processes import ServeProcess
from tests.redis import realredis
from tests.redis.realredis import RawClient
from tests.redis.scenarios import parse

pytestmark = pytest.mark.differential


class Session:
    """Named connections to one server; ``send`` without reading lets a command block."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conns: dict[str, RawClient] = {}
        self.control = RawClient(port)

    def conn(self, name: str) -> RawClient:
        if name not in self.conns:
            self.conns[name] = RawClient(self.port)
        return self.conns[name]

    def call(self, name: str, *args: str | int) -> bytes:
        return self.conn(name).call(*args)

    def send(self, name: str, *args: str | int) -> None:
        self.conn(name).send_raw(realredis._encode(args))

    def read(self, name: str) -> bytes:
        return self.conn(name).read_reply()

    def wait_blocked(self, n: int) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            info = self.control.call("INFO", "clients")
            if f"blocked_clients:{n}\r".encode() in info:
                return
            time.sleep(0.005)
        raise AssertionError(f"never saw {n} blocked clients")

    def close(self) -> None:
        for c in self.conns.values():
            c.close()
        self.control.close()


def _both(server, real_redis, script) -> None:
    """Run ``script(session)`` on each server (flushed) and compare what it returns."""
    results = []
    for port in (server.redis_port, real_redis.port):
        realredis.exchange(port, [["FLUSHALL"]])
        s = Session(port)
        try:
            results.append(script(s))
        finally:
            s.close()
    assert results[0] == results[1]
    return results[0]


def test_clients_are_served_in_arrival_order(server, real_redis) -> None:
    def script(s: Session) -> list:
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        s.send("b", "BLPOP", "k", "0")
        s.wait_blocked(2)
        s.send("c", "BRPOP", "k", "0")
        s.wait_blocked(3)
        out = [s.call("p", "RPUSH", "k", "1", "2")]
        out += [s.read("a"), s.read("b")]
        s.wait_blocked(1)
        out.append(s.call("p", "LPUSH", "k", "3"))
        out += [s.read("c"), s.call("p", "EXISTS", "k")]
        return out

    got = _both(server, real_redis, script)
    assert got[1:3] == [b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n", b"*2\r\n$1\r\nk\r\n$1\r\n2\r\n"]


def test_multi_key_block_is_served_from_the_key_that_became_ready(server, real_redis) -> None:
    def script(s: Session) -> list:
        s.send("a", "BLPOP", "k1", "k2", "k2", "0")
        s.wait_blocked(1)
        out = [s.call("p", "RPUSH", "k2", "x"), s.read("a")]
        s.send("a", "BZPOPMAX", "z1", "z2", "0")
        s.wait_blocked(1)
        out += [s.call("p", "ZADD", "z2", "1", "m", "2", "n"), s.read("a")]
        s.send("a", "BZMPOP", "0", "2", "z1", "z2", "MIN", "COUNT", "5")
        s.wait_blocked(0)
        out.append(s.read("a"))
        s.send("a", "BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2")
        s.wait_blocked(1)
        out += [s.call("p", "RPUSH", "l2", "a", "b", "c"), s.read("a")]
        return out

    _both(server, real_redis, script)


def test_blmove_chains_and_wrong_type_destination(server, real_redis) -> None:
    def script(s: Session) -> list:
        s.send("a", "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
        s.wait_blocked(1)
        s.send("b", "BLPOP", "dst", "0")
        s.wait_blocked(2)
        out = [s.call("p", "RPUSH", "src", "v"), s.read("a"), s.read("b")]
        out.append(s.call("p", "EXISTS", "src", "dst"))
        s.send("a", "BRPOPLPUSH", "src", "bad", "0")
        s.wait_blocked(1)
        out += [s.call("p", "SET", "bad", "string"), s.call("p", "RPUSH", "src", "w")]
        out += [s.read("a"), s.call("p", "LRANGE", "src", "0", "-1")]
        return out

    got = _both(server, real_redis, script)
    assert got[-2].startswith(b"-WRONGTYPE")


def test_other_types_and_databases_do_not_serve(server, real_redis) -> None:
    def script(s: Session) -> list:
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        out = [s.call("p", "ZADD", "k", "1", "a"), s.call("p", "SELECT", "1")]
        out += [s.call("p", "RPUSH", "k", "in-db-1"), s.call("p", "SELECT", "0")]
        s.wait_blocked(1)
        out += [s.call("p", "DEL", "k"), s.call("p", "RPUSH", "k", "now"), s.read("a")]
        return out

    _both(server, real_redis, script)


def test_pipelined_input_waits_behind_the_blocked_command(server, real_redis) -> None:
    def script(s: Session) -> list:
        s.conn("a").send_raw(
            realredis._encode(["BLPOP", "k", "0"]) + realredis._encode(["PING", "after"])
        )
        s.wait_blocked(1)
        out = [s.call("p", "RPUSH", "k", "x"), s.read("a"), s.read("a")]
        return out

    _both(server, real_redis, script)


def test_timeouts_and_client_unblock(server, real_redis) -> None:
    def script(s: Session) -> list:
        out = [s.call("a", "BLPOP", "k", "0.05"), s.call("a", "BRPOPLPUSH", "k", "d", "0.01")]
        out.append(s.call("a", "BZPOPMIN", "z", "0.01"))
        aid = int(s.call("a", "CLIENT", "ID")[1:-2])
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        out.append(s.call("p", "CLIENT", "UNBLOCK", str(aid)))
        out.append(s.read("a"))
        s.send("a", "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        s.wait_blocked(1)
        out.append(s.call("p", "CLIENT", "UNBLOCK", str(aid), "ERROR"))
        out.append(s.read("a"))
        out.append(s.call("p", "CLIENT", "UNBLOCK", str(aid)))
        out.append(s.call("p", "CLIENT", "UNBLOCK", "x"))
        out.append(s.call("p", "CLIENT", "UNBLOCK", str(aid), "MAYBE"))
        out.append(s.call("p", "CLIENT", "UNBLOCK", str(aid), "ERROR", "x"))
        out.append(s.call("a", "PING"))
        return out

    got = _both(server, real_redis, script)
    assert got[3:5] == [b":1\r\n", b"*-1\r\n"]


def test_disconnected_waiter_is_forgotten(server, real_redis) -> None:
    def script(s: Session) -> list:
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        s.conn("a").close()
        del s.conns["a"]
        s.wait_blocked(0)
        return [s.call("p", "RPUSH", "k", "x"), s.call("p", "LLEN", "k")]

    _both(server, real_redis, script)


def test_blocking_commands_inside_deny_blocking_answer_at_once(r, server) -> None:
    """What MULTI/EXEC and scripts get: an answer as on a timeout (the hook they set)."""
    svc = server.service("redis")

    def run() -> list:
        from polystack.redis.commands import list_moves, zset_ops

        client = next(iter(svc.clients.values()))
        client.deny_blocking = True
        try:
            return [
                list_moves.blpop(client, [b"BLPOP", b"nokey", b"0"]),
                list_moves.blmove(client, [b"BLMOVE", b"nokey", b"d", b"LEFT", b"LEFT", b"0"]),
                zset_ops.bzpopmin(client, [b"BZPOPMIN", b"nokey", b"0"]),
            ]
        finally:
            client.deny_blocking = False

    r.ping()
    from polystack.redis.wire import NULL_ARRAY

    assert server.call(run) == [NULL_ARRAY, None, NULL_ARRAY]


def test_served_pops_are_logged_after_the_push(tmp_path) -> None:
    """A client served by another's push logs its pop after the push: a restart replays both
    and the list is as the clients saw it."""
    proc = ServeProcess(tmp_path, "--appendfsync", "always").start()
    port = proc.ports["redis"]
    waiter = RawClient(port)
    waiter.send_raw(realredis._encode(["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]))
    c = redis.Redis(port=port)
    deadline = time.monotonic() + 5
    while c.info("clients")["blocked_clients"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert c.rpush("src", "a", "b") == 2
    assert waiter.read_reply() == b"$1\r\na\r\n"
    assert c.lrange("src", 0, -1) == [b"b"] and c.lrange("dst", 0, -1) == [b"a"]
    waiter.close()
    proc.kill9()
    proc.start()
    c = redis.Redis(port=proc.ports["redis"])
    assert c.lrange("src", 0, -1) == [b"b"] and c.lrange("dst", 0, -1) == [b"a"]
    proc.terminate()


def test_rename_restore_and_swapdb_wake_waiters(server, real_redis) -> None:
    def script(s: Session) -> list:
        out = [s.call("p", "RPUSH", "tmp", "r1")]
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        out += [s.call("p", "RENAME", "tmp", "k"), s.read("a")]
        out.append(s.call("p", "RPUSH", "src", "d1"))
        payload = realredis.RawClient(s.port).call("DUMP", "src")
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        out += [s.call("p", "RESTORE", "k", "0", parse(payload)), s.read("a")]
        out += [s.call("p", "SELECT", "1"), s.call("p", "RPUSH", "k", "from-db-1")]
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        out += [s.call("p", "SWAPDB", "0", "1"), s.read("a")]
        return out

    _both(server, real_redis, script)


def test_served_after_a_whole_transaction_or_script(server, real_redis) -> None:
    """Keys made ready inside MULTI/EXEC or a script are served once it finishes, with what
    the whole transaction left (a key pushed then deleted serves nobody)."""

    def script(s: Session) -> list:
        s.send("a", "BLPOP", "k", "0")
        s.wait_blocked(1)
        out = [s.call("p", "MULTI"), s.call("p", "RPUSH", "k", "x", "y")]
        out += [s.call("p", "LPUSH", "k", "w"), s.call("p", "EXEC"), s.read("a")]
        s.send("a", "BLPOP", "gone", "0")
        s.wait_blocked(1)
        out += [s.call("p", "MULTI"), s.call("p", "RPUSH", "gone", "1"), s.call("p", "DEL", "gone")]
        out.append(s.call("p", "EXEC"))
        s.wait_blocked(1)  # still waiting: the key is gone again
        out += [s.call("p", "RPUSH", "gone", "2"), s.read("a")]
        s.send("a", "XREAD", "BLOCK", "0", "STREAMS", "st", "$")
        s.wait_blocked(1)
        lua = "redis.call('XADD', KEYS[1], '1-1', 'f', 'v'); redis.call('XADD', KEYS[1], '1-2', 'g', 'w')"
        out += [s.call("p", "EVAL", lua, "1", "st"), s.read("a")]
        return out

    got = _both(server, real_redis, script)
    assert got[4] == b"*2\r\n$1\r\nk\r\n$1\r\nw\r\n"
