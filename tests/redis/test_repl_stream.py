"""The replication stream itself, byte for byte against Debian's redis-server: a raw replica
(PSYNC over a socket) records what each master propagates for the same commands — SELECT,
absolute expiry forms, MULTI/EXEC around transactions with more than one write, an expired
key's DEL (alone after a read, wrapped with the write that found it), nothing for reads."""

from __future__ import annotations

import re
import socket
import time

import pytest
import redis

import polystack.testing
from tests.redis.repl_support import real_server

pytestmark = pytest.mark.differential


class RawReplica:
    def __init__(self, port: int) -> None:
        self.pending = b""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n")
        self.sock.sendall(b"$6\r\npsync2\r\n")
        assert self._read_until(b"\r\n").startswith(b"+OK")
        self.sock.sendall(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        header = self._read_until(b"\r\n")
        assert header.startswith(b"+FULLRESYNC")
        line = self._read_until(b"\r\n").lstrip(b"\n")
        assert line.startswith(b"$EOF:")
        self._read_until(line[5:-2])  # the RDB up to its end mark
        self.ack()

    def _read_until(self, marker: bytes) -> bytes:
        data = self.pending
        while marker not in data:
            chunk = self.sock.recv(65536)
            assert chunk, "the master closed the link"
            data += chunk
        end = data.index(marker) + len(marker)
        self.pending = data[end:]
        return data[:end]

    def ack(self) -> None:
        self.sock.sendall(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n")

    def stream(self, settle: float = 0.4) -> bytes:
        self.sock.settimeout(settle)
        data = self.pending
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            pass
        self.pending = b""
        return data

    def close(self) -> None:
        self.sock.close()


def scenario(r: redis.Redis) -> None:
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")  # only lazy expiry: deterministic
    r.set("plain", "1")
    r.set("ex", "v", ex=100)
    r.expire("plain", 50)
    r.execute_command("SELECT", 2)
    r.incr("counter")
    r.execute_command("SELECT", 0)
    tx = r.pipeline(transaction=True)
    tx.set("a", 1)
    tx.execute()
    tx = r.pipeline(transaction=True)
    tx.set("a", 1)
    tx.hset("h", "f", "v")
    tx.execute()
    tx = r.pipeline(transaction=True)
    tx.get("a")
    tx.execute()
    r.get("a")
    r.set("e", "x", px=1)
    time.sleep(0.02)
    r.set("e", "y")
    r.set("f", "x", px=1)
    time.sleep(0.02)
    r.get("f")
    r.delete("nothing-here")
    r.sadd("s", 1, 2)
    r.execute_command("PING")


def normalize(stream: bytes) -> bytes:
    """Absolute deadlines differ by the clock: keep their shape only."""
    stream = re.sub(rb"\$13\r\n1\d{12}\r\n", b"$13\r\nMS\r\n", stream)
    # periodic PINGs to replicas may fall anywhere
    return stream.replace(b"*1\r\n$4\r\nPING\r\n", b"")


def recorded(port: int, client: redis.Redis) -> bytes:
    rep = RawReplica(port)
    try:
        # A diskless sync's stream starts at the replica's first ACK after the transfer.
        for _ in range(3):
            time.sleep(0.2)
            rep.ack()
        rep.stream(0.2)
        scenario(client)
        return normalize(rep.stream())
    finally:
        rep.close()


def test_propagated_stream_matches_real_redis() -> None:
    with real_server("--repl-diskless-sync-delay", "0") as real:
        theirs = recorded(real.port, real.client())
    overrides = {"redis.repl_diskless_sync_delay": 0, "redis.enable_debug_command": "yes"}
    with polystack.testing.serve(redis=True, config_overrides=overrides) as s:
        ours = recorded(s.redis_port, redis.Redis(port=s.redis_port))
    assert b"MULTI" in theirs and b"DEL" in theirs
    assert ours.split(b"\r\n") == theirs.split(b"\r\n")
