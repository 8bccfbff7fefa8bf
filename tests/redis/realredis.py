"""Starting a real redis-server from Debian for differential tests, and raw RESP exchange."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealRedis:
    """A real redis-server on a spare loopback port (no persistence, DEBUG enabled)."""

    def __init__(self, *extra: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="real-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--enable-debug-command",
                "yes",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def available() -> bool:
    return shutil.which("redis-server") is not None


def _encode(args: Iterable[bytes | str | int]) -> bytes:
    parts = []
    n = 0
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(a), a))
        n += 1
    return b"*%d\r\n" % n + b"".join(parts)


def reply_end(buf: bytes, pos: int) -> int | None:
    """Where the RESP2/RESP3 reply starting at ``pos`` ends, or None if it is incomplete."""
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    kind = buf[pos : pos + 1]
    line = buf[pos + 1 : nl]
    after = nl + 2
    if kind in (b"+", b"-", b":", b",", b"#", b"_", b"("):
        return after
    if kind in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return after
        end = after + n + 2
        return end if len(buf) >= end else None
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            return after
        if kind in (b"%", b"|"):
            n *= 2
        for _ in range(n):
            end = reply_end(buf, after)
            if end is None:
                return None
            after = end
        if kind == b"|":  # attributes precede the reply they describe
            return reply_end(buf, after)
        return after
    return len(buf)  # not RESP: hand back whatever arrived


class RawClient:
    """Sends commands and returns each reply's exact bytes (for byte-for-byte comparison)."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _read_reply(self) -> bytes:
        while True:
            end = reply_end(self.buf, 0)
            if end is not None:
                reply, self.buf = self.buf[:end], self.buf[end:]
                return reply
            chunk = self.sock.recv(65536)
            if not chunk:
                reply, self.buf = self.buf, b""
                return reply
            self.buf += chunk

    def call(self, *args: bytes | str | int) -> bytes:
        self.sock.sendall(_encode(args))
        return self._read_reply()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_reply(self) -> bytes:
        return self._read_reply()

    def close(self) -> None:
        self.sock.close()


def exchange(port: int, commands: list[list], resp: int = 2) -> list[bytes]:
    c = RawClient(port)
    try:
        if resp == 3:
            c.call("HELLO", "3")
        return [c.call(*cmd) for cmd in commands]
    finally:
        c.close()
