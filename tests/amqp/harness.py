"""Sans-I/O harness: a Broker on a ManualClock and connections driven with raw frames."""

from __future__ import annotations

from typing import Any

from pamqp import body, frame, header
from pamqp.commands import Basic, Channel
from pamqp.commands import Connection as C

from polystack.amqp.broker import Broker, Settings
from polystack.amqp.session import Connection
from polystack.runtime.clock import ManualClock


class FakePeer:
    def __init__(self, host: str = "127.0.0.1", port: int = 50000) -> None:
        self.peername = (host, port)
        self.sockname = ("127.0.0.1", 5672)
        self.written: list[bytes] = []
        self.closed = False
        self.reading = True

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def output_full(self, extra: int = 0) -> bool:
        return sum(map(len, self.written)) + extra >= self.high_water

    high_water = 1 << 62

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


def make_broker(**settings: Any) -> Broker:
    return Broker(Settings(**settings), ManualClock(start=1_700_000_000.0))


class Client:
    """One connection: feed frames, read back the frames the broker wrote."""

    _port = 50000

    def __init__(self, broker: Broker, host: str = "127.0.0.1") -> None:
        Client._port += 1
        self.broker = broker
        self.peer = FakePeer(host, Client._port)
        self.conn = Connection(broker, self.peer)
        self.seen = 0
        self.buf = b""

    def feed(self, data: bytes) -> list[tuple[int, Any]]:
        self.conn.feed(data)
        return self.read()

    def send(self, channel: int, *values: Any) -> list[tuple[int, Any]]:
        return self.feed(b"".join(frame.marshal(v, channel) for v in values))

    def read(self) -> list[tuple[int, Any]]:
        self.buf += b"".join(self.peer.written[self.seen :])
        self.seen = len(self.peer.written)
        out = []
        while self.buf:
            if self.buf[:4] == b"AMQP":
                out.append((0, self.buf[:8]))
                self.buf = self.buf[8:]
                continue
            if len(self.buf) < 8:
                break
            n, ch, f = frame.unmarshal(self.buf)
            self.buf = self.buf[n:]
            out.append((ch, f))
        return out

    def handshake(self, user: str = "guest", password: str = "guest", vhost: str = "/",
                  heartbeat: int = 0, caps: dict | None = None) -> list:  # fmt: skip
        self.feed(b"AMQP\x00\x00\x09\x01")
        caps = {"authentication_failure_close": True, "consumer_cancel_notify": True,
                "connection.blocked": True} if caps is None else caps  # fmt: skip
        out = self.send(0, C.StartOk(client_properties={"capabilities": caps},
                                     mechanism="PLAIN", response=f"\0{user}\0{password}"))  # fmt: skip
        if not out or not isinstance(out[0][1], C.Tune):
            return out
        self.send(0, C.TuneOk(2047, 131072, heartbeat))
        return self.send(0, C.Open(vhost))

    def open(self, **kw: Any) -> Client:
        out = self.handshake(**kw)
        assert isinstance(out[-1][1], C.OpenOk), out
        out = self.send(1, Channel.Open())
        assert isinstance(out[0][1], Channel.OpenOk)
        return self

    def publish(self, channel: int, body_bytes: bytes, exchange: str = "", routing_key: str = "",
                properties: Basic.Properties | None = None, mandatory: bool = False) -> list:  # fmt: skip
        data = frame.marshal(Basic.Publish(exchange=exchange, routing_key=routing_key,
                                           mandatory=mandatory), channel)  # fmt: skip
        data += frame.marshal(
            header.ContentHeader(0, len(body_bytes), properties or Basic.Properties()), channel
        )
        for i in range(0, len(body_bytes), 131064):
            data += frame.marshal(body.ContentBody(body_bytes[i : i + 131064]), channel)
        return self.feed(data)
