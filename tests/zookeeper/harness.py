"""Sans-I/O harness: a ZooKeeperServer and connections driven with bytes, a ManualClock."""

from __future__ import annotations

from polystack.runtime.clock import ManualClock
from polystack.zookeeper.session import ServerCnxn
from polystack.zookeeper.zkserver import Settings, ZooKeeperServer

from .zkproto import Frames, connect, header, parse_connect


class FakePeer:
    def __init__(self, port: int = 50000) -> None:
        self.peername = ("127.0.0.1", port)
        self.sockname = ("127.0.0.1", 2181)
        self.written: list[bytes] = []
        self.after: list[bytes] = []
        self.closed = False
        self.pending_output = 0

    def output_room(self) -> int:
        return 1 << 62

    def output_full(self, extra: int = 0) -> bool:
        return False

    def set_output_limits(self, hard: int, soft: int = 0, soft_seconds: float = 0) -> None:
        pass

    def write_stateless(self, data: bytes) -> None:
        self.written.append(data)

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def write_after(self, log, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


class Conn:
    """One connection: feed bytes, read the frames the server wrote."""

    _port = 50000

    def __init__(self, zk: ZooKeeperServer) -> None:
        Conn._port += 1
        self.peer = FakePeer(Conn._port)
        self.cnxn = ServerCnxn(zk, self.peer)
        self.frames = Frames()
        self.seen = 0

    def send(self, data: bytes) -> list[bytes]:
        self.cnxn.feed(data)
        return self.read()

    def read(self) -> list[bytes]:
        new = self.peer.written[self.seen :]
        self.seen = len(self.peer.written)
        out = []
        for chunk in new:
            out.extend(self.frames.feed(chunk))
        return out

    def raw(self) -> bytes:
        new = b"".join(self.peer.written[self.seen :])
        self.seen = len(self.peer.written)
        return new

    def call(self, pkt: bytes) -> tuple[tuple[int, int, int], bytes]:
        frames = [f for f in self.send(pkt) if header(f)[0] != -1]
        assert len(frames) == 1, frames
        return header(frames[0]), frames[0][16:]


def make_server(**kw) -> ZooKeeperServer:
    return ZooKeeperServer(Settings(**kw), ManualClock(start=1_700_000_000.0))


def session(zk: ZooKeeperServer, timeout: int = 10000):
    c = Conn(zk)
    frames = c.send(connect(timeout=timeout))
    resp = parse_connect(frames[0])
    return c, resp
