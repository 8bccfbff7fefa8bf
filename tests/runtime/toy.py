"""A toy system for runtime tests: a line protocol over a sans-I/O session.

Commands (one per line): ``BLAST n`` answers n KiB; ``SET k v`` appends a record and answers
``+OK``; ``GET k``; ``PING`` answers ``+PONG`` (stateless); ``CONFIRM k v`` appends and answers
once that record is fsynced (per record); ``READ n`` answers n lines of 64 KiB built one at a
time, stopping when the output is full (flow control).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polystack.runtime.connection import Peer
from polystack.runtime.server import Server, ServerSettings
from polystack.runtime.service import ListenerSpec, ServerContext, Service
from polystack.runtime.spec import Port, SystemSpec


@dataclass(slots=True)
class ToyConfig:
    port: int = 0
    policy: str = "always"
    barrier: bool = True
    hard_limit: int = 0
    http_port: int = 0
    route_port: str = "admin"
    routes: list = field(default_factory=list)

    def validate(self) -> None:
        pass


class ToySession:
    def __init__(self, service: ToyService, peer: Peer) -> None:
        self.service = service
        self.peer = peer
        self.buf = b""
        self.pending_reads = 0
        self.resumed = 0
        self.paused = 0
        self.shutdown_reason = ""
        service.sessions.append(self)
        if service.config.hard_limit:
            peer.set_output_limits(service.config.hard_limit)

    def feed(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.pending_reads:
                self._reads()
                if self.pending_reads:
                    return
            if b"\n" not in self.buf:
                return
            line, self.buf = self.buf.split(b"\n", 1)
            self.command(line.split())

    def command(self, words: list[bytes]) -> None:
        svc = self.service
        if not words:
            return
        cmd = words[0].upper()
        if cmd == b"BLAST":
            self.peer.write(b"x" * 1024 * int(words[1]))
        elif cmd == b"SET":
            svc.data[words[1]] = words[2]
            svc.log.append(b"%s=%s" % (words[1], words[2]))
            self.peer.write(b"+OK\n")
        elif cmd == b"GET":
            self.peer.write(svc.data.get(words[1], b"(nil)") + b"\n")
        elif cmd == b"PING":
            self.peer.write_stateless(b"+PONG\n")
        elif cmd == b"CONFIRM":
            svc.data[words[1]] = words[2]
            seq = svc.log.append(b"%s=%s" % (words[1], words[2]))
            self.peer.write_when_synced(svc.log, seq, b"+CONFIRMED %s\n" % words[1])
        elif cmd == b"READ":
            self.pending_reads = int(words[1])

    def _reads(self) -> None:
        size = 0
        budget = self.peer.output_room()
        while self.pending_reads:
            if size >= budget and self.peer.output_full(size):
                return
            self.service.built += 1
            chunk = b"r" * (64 * 1024 - 1) + b"\n"
            self.peer.write(chunk)
            size += len(chunk)
            self.pending_reads -= 1

    def resume_writing(self) -> None:
        self.resumed += 1
        self.feed(b"")

    def pause_writing(self) -> None:
        self.paused += 1

    def shutdown(self, reason: str) -> None:
        self.shutdown_reason = reason
        self.peer.write(b"-SHUTDOWN " + reason.encode() + b"\n")
        self.peer.close()

    def connection_lost(self) -> None:
        self.service.sessions.remove(self)


class ToyService(Service):
    name = "toy"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.sessions: list[ToySession] = []
        self.data: dict[bytes, bytes] = {}
        self.built = 0
        self.log = ctx.logs.record_log(
            ctx.data_dir / "toy.log", self.config.policy, barrier=self.config.barrier
        )
        ctx.route("GET", "/toy/{name}", self.hello, port=self.config.route_port)
        ctx.route("PUT", "/toy/{name}", self.put, port=self.config.route_port)
        for method, path in self.config.routes:
            ctx.route(method, path, self.hello)

    def hello(self, request: Any) -> tuple[int, str, bytes]:
        return 200, "text/plain", b"toy " + request.params["name"].encode()

    def put(self, request: Any) -> tuple[int, str, bytes]:
        auth = request.basic_auth()
        return 201, "text/plain", b"%s %s %r" % (request.body, request.method.encode(), auth)

    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec(
                "toy", self.config.port, lambda peer: ToySession(self, peer), max_clients=3,
                reject=b"-ERR max number of clients reached\n",
            )
        ]  # fmt: skip

    async def recover(self) -> None:
        for rec in self.log.recover():
            k, v = rec.split(b"=", 1)
            self.data[k] = v


TOY = SystemSpec(
    name="toy",
    title="Toy",
    config=ToyConfig,
    service="tests.runtime.toy:ToyService",
    ports=(Port("toy", "port", 0, "toy"),),
)
HTTP_TOY = SystemSpec(
    name="toy",
    title="Toy",
    config=ToyConfig,
    service="tests.runtime.toy:ToyService",
    ports=(Port("toy", "port", 0, "toy"), Port("toy-http", "http_port", 0, "http")),
)


def toy_server(tmp: Path, spec: SystemSpec = TOY, **cfg: Any) -> Server:
    settings = ServerSettings(data_dir=tmp, admin_port=0, shutdown_timeout=2.0)
    return Server(settings, [(spec, ToyConfig(**cfg))])


def port_of(srv: Server, name: str) -> int:
    return next(e.port for e in srv.endpoints if e.name == name)


class LineClient:
    def __init__(self, port: int, rcvbuf: int = 0) -> None:
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(10)
        self.buf = b""

    def send(self, line: bytes) -> None:
        self.sock.sendall(line + b"\n")

    def line(self) -> bytes:
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def close(self) -> None:
        self.sock.close()


async def in_thread(fn: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
