"""A small blocking AMQP 0-9-1 client over raw frames (pamqp), for differential tests.

It speaks to polystack and to a real RabbitMQ the same way, and returns every frame the server
sent as ``(channel, pamqp frame)`` so that tests can compare what the two servers answered.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from pamqp import body, commands, frame, header, heartbeat
from pamqp.commands import Basic, Channel, Connection


class RawClient:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.frames: list[tuple[int, Any]] = []
        self.closed = False

    # -- low level ---------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, channel: int, value: Any) -> None:
        self.sock.sendall(frame.marshal(value, channel))

    def _read_some(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except TimeoutError:
            return False
        except ConnectionResetError:
            self.closed = True
            return False
        if not data:
            self.closed = True
            return False
        self.buf += data
        while True:
            if self.buf[:4] == b"AMQP":
                self.frames.append((0, header.ProtocolHeader()))
                self.buf = self.buf[8:]
                continue
            if len(self.buf) < 8:
                break
            try:
                n, ch, f = frame.unmarshal(self.buf)
            except Exception:
                break
            self.buf = self.buf[n:]
            self.frames.append((ch, f))
        return True

    def recv(self, timeout: float = 5.0) -> tuple[int, Any]:
        deadline = time.monotonic() + timeout
        while not self.frames:
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                raise TimeoutError("no frame")
            self._read_some(left)
        return self.frames.pop(0)

    def drain(self, quiet: float = 0.2) -> list[tuple[int, Any]]:
        """Every frame that arrives until the server is quiet for ``quiet`` seconds."""
        while self._read_some(quiet):
            pass
        out, self.frames = self.frames, []
        return [(ch, f) for ch, f in out if not isinstance(f, heartbeat.Heartbeat)]

    def expect(self, cls: type, timeout: float = 5.0) -> Any:
        while True:
            ch, f = self.recv(timeout)
            if isinstance(f, heartbeat.Heartbeat):
                continue
            if not isinstance(f, cls):
                raise AssertionError(f"expected {cls.__name__}, got {describe(f)}")
            return f

    # -- handshake -----------------------------------------------------------
    def handshake(
        self,
        user: str = "guest",
        password: str = "guest",
        vhost: str = "/",
        heartbeat_s: int = 0,
        capabilities: dict | None = None,
    ) -> RawClient:
        self.send_raw(b"AMQP\x00\x00\x09\x01")
        self.expect(Connection.Start)
        caps = capabilities
        if caps is None:
            caps = {
                "authentication_failure_close": True,
                "basic.nack": True,
                "connection.blocked": True,
                "consumer_cancel_notify": True,
                "publisher_confirms": True,
            }
        self.send(
            0,
            Connection.StartOk(
                client_properties={"capabilities": caps, "product": "rawclient"},
                mechanism="PLAIN",
                response=f"\0{user}\0{password}",
            ),
        )
        try:
            ch, f = self.recv()
        except TimeoutError:
            return self
        if not isinstance(f, Connection.Tune):
            self.frames.insert(0, (ch, f))
            return self
        self.send(0, Connection.TuneOk(f.channel_max, f.frame_max, heartbeat_s))
        self.frame_max = f.frame_max
        self.send(0, Connection.Open(vhost))
        return self

    def open(self, **kw: Any) -> RawClient:
        self.handshake(**kw)
        self.expect(Connection.OpenOk)
        return self

    def channel(self, n: int = 1) -> None:
        self.send(n, Channel.Open())
        self.expect(Channel.OpenOk)

    def publish(
        self,
        channel: int,
        body_bytes: bytes,
        exchange: str = "",
        routing_key: str = "",
        mandatory: bool = False,
        properties: Basic.Properties | None = None,
    ) -> None:
        props = properties or Basic.Properties()
        data = frame.marshal(
            Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=mandatory), channel
        )
        data += frame.marshal(header.ContentHeader(0, len(body_bytes), props), channel)
        if body_bytes:
            data += frame.marshal(body.ContentBody(body_bytes), channel)
        self.send_raw(data)

    def call(self, channel: int, method: Any, timeout: float = 5.0) -> Any:
        self.send(channel, method)
        return self.recv(timeout)[1]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def describe(f: Any) -> str:
    """A comparable text for one frame (ids and timings left out by the caller)."""
    if isinstance(f, body.ContentBody):
        return f"body {f.value!r}"
    if isinstance(f, header.ContentHeader):
        return f"header size={f.body_size} props={_props(f.properties)}"
    if isinstance(f, header.ProtocolHeader):
        return "protocol-header"
    if isinstance(f, heartbeat.Heartbeat):
        return "heartbeat"
    names = [a for a in getattr(f, "__slots__", ()) if not a.startswith("_")]
    attrs = ", ".join(f"{a}={getattr(f, a)!r}" for a in names)
    return f"{f.name}({attrs})"


def _props(p: Any) -> dict:
    out = {}
    for a in p.__slots__:
        v = getattr(p, a)
        if v is not None:
            out[a] = v
    return out


__all__ = ["RawClient", "describe", "commands"]
