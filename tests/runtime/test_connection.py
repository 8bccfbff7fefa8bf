"""runtime/connection.py and server.py with a toy sans-I/O session."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request

from polystack import config
from polystack.runtime.connection import Peer
from polystack.runtime.server import ListenerSpec, Server, Service


class Blaster:
    """Answers every line with 256 KiB (a reader that never reads must not grow memory)."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        Blaster.peers.append(peer)

    peers: list[Peer] = []

    def feed(self, data: bytes) -> None:
        for _ in range(data.count(b"\n")):
            self.peer.write(b"x" * 256 * 1024)

    def connection_lost(self) -> None:
        pass


class ToyService(Service):
    name = "toy"

    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec(
                "toy", 0, Blaster, max_clients=2, reject=b"-ERR max number of clients reached\r\n"
            )
        ]

    def http_routes(self):
        return {"/toy": lambda q: (200, "text/plain", b"toy " + q.get("x", "").encode())}


async def _serve(tmp_path) -> Server:
    cfg = config.load(
        None, {"only": "redis", "admin_port": 0, "data_dir": str(tmp_path)}, environ={}
    )
    cfg.only = ()
    srv = Server(cfg)
    srv.services["toy"] = ToyService(cfg, tmp_path, srv.clock)
    return srv


def test_backpressure_max_clients_and_admin(tmp_path):
    async def main() -> None:
        srv = await _serve(tmp_path)
        # register the toy listener the way Server.start does for real services
        await srv.start()
        port = srv.services["toy"].bound_ports["toy"]
        admin = next(e.port for e in srv.endpoints if e.name == "admin")
        loop = asyncio.get_running_loop()

        def client_work() -> tuple[bytes, int, bytes, bytes]:
            slow = socket.create_connection(("127.0.0.1", port))
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.settimeout(0.05)
            for _ in range(400):  # asks for 100 MiB of replies, one line at a time, reads none
                try:
                    slow.send(b"\n")
                except TimeoutError:
                    break
                time.sleep(0.002)
            time.sleep(0.3)
            other = socket.create_connection(("127.0.0.1", port))
            other.sendall(b"\n")
            got = other.recv(10)
            third = socket.create_connection(("127.0.0.1", port))
            rejected = third.recv(100)
            pending = Blaster.peers[0].pending_output
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}/toy?x=1", timeout=5) as r:
                body = r.read()
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}/healthz", timeout=5) as r:
                health = r.read()
            for s in (slow, other, third):
                s.close()
            return got, pending, rejected, body + b"|" + health

        got, pending, rejected, bodies = await loop.run_in_executor(None, client_work)
        await srv.stop()
        assert got == b"x" * 10
        # Reading was paused: far less than the 100 MiB asked for is buffered.
        assert pending < 16 * 1024 * 1024
        assert rejected == b"-ERR max number of clients reached\r\n"
        assert bodies.startswith(b"toy 1|") and b'"status": "ok"' in bodies

    asyncio.run(main())
