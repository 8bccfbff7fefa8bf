"""Starts and stops the servers: many listeners in one asyncio loop (uvloop when
installed), graceful shutdown on SIGINT/SIGTERM that flushes every log."""

from __future__ import annotations

import asyncio
import errno
import importlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from polystack.runtime.admin import AdminServer
from polystack.runtime.clock import SYSTEM_CLOCK, Clock
from polystack.runtime.connection import ListenerState, Peer, Session

if TYPE_CHECKING:
    from polystack.config import Config

log = logging.getLogger(__name__)

# name -> "module:Class"; None means the system is not built yet.
SERVICES: dict[str, str | None] = {
    "redis": "polystack.redis.service:RedisService",
    "amqp": None,
    "mongo": "polystack.mongo.service:MongoService",
    "zookeeper": "polystack.zookeeper.service:ZooKeeperService",
}
PORT_FLAGS = {
    "redis": "--redis-port",
    "amqp": "--amqp-port",
    "mongo": "--mongo-port",
    "zookeeper": "--zookeeper-port",
    "admin": "--admin-port",
}


class PortInUse(OSError):
    """A listener could not bind; names the port and the flag that changes it."""

    def __init__(self, name: str, host: str, port: int, flag: str, reason: str) -> None:
        super().__init__(
            f"polystack: {name} port {port} on {host} is {reason}; choose another with {flag} N"
        )
        self.port = port
        self.flag = flag


class NotAvailable(RuntimeError):
    """A system that polystack does not serve yet."""


@dataclass
class ListenerSpec:
    name: str
    port: int
    session_factory: Callable[[Peer], Session]
    max_clients: int = 10000
    reject: bytes = b""
    flag: str = ""


class Service:
    """What each system provides to the server (subclassed in ``<system>/service.py``)."""

    name: ClassVar[str] = ""

    def __init__(self, config: Config, data_dir: Path, clock: Clock) -> None:
        self.config = config
        self.data_dir = data_dir
        self.clock = clock
        self.bound_ports: dict[str, int] = {}
        # Set by the server: asks the whole process to shut down gracefully (SHUTDOWN).
        self.request_server_stop: Callable[[], None] | None = None

    def listeners(self) -> list[ListenerSpec]:
        return []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def http_routes(self) -> dict[str, Callable[[dict[str, str]], tuple[int, str, bytes]]]:
        return {}

    def status(self) -> dict:
        return {}


def service_class(name: str) -> type[Service]:
    target = SERVICES.get(name)
    if target is None:
        raise NotAvailable(f"{name}: not available yet in this version of polystack")
    module, cls = target.split(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(module.rsplit(".", 1)[0]):
            raise NotAvailable(f"{name}: not available yet in this version of polystack") from None
        raise
    return getattr(mod, cls)


@dataclass
class Endpoint:
    name: str
    host: str
    port: int
    url: str


@dataclass
class Server:
    """All configured services on one loop."""

    config: Config
    clock: Clock = SYSTEM_CLOCK
    services: dict[str, Service] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    _servers: list[asyncio.base_events.Server] = field(default_factory=list)
    _listeners: list[ListenerState] = field(default_factory=list)
    _stopping: asyncio.Event | None = None
    started_at: float = 0.0

    async def start(self) -> None:
        """Bind every listener, recover every service's data, then start accepting clients."""
        loop = asyncio.get_running_loop()
        cfg = self.config
        data_dir = Path(cfg.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.started_at = time.time()
        self._stopping = asyncio.Event()
        for name in cfg.only:
            try:
                cls = service_class(name)
            except NotAvailable:
                self.unavailable.append(name)
                log.warning("%s: not available yet in this version of polystack; skipped", name)
                continue
            self.services[name] = cls(cfg, data_dir / name, self.clock)
            self.services[name].request_server_stop = self.request_stop
        try:
            for service in self.services.values():
                for spec in service.listeners():
                    state = ListenerState(
                        spec.name, spec.session_factory, spec.max_clients, spec.reject
                    )
                    srv = await self._bind(
                        loop,
                        spec.name,
                        spec.port,
                        spec.flag or PORT_FLAGS.get(spec.name, ""),
                        lambda state=state: Peer(state),
                    )
                    port = srv.sockets[0].getsockname()[1]
                    service.bound_ports[spec.name] = port
                    self._listeners.append(state)
                    self._servers.append(srv)
                    self.endpoints.append(
                        Endpoint(spec.name, cfg.bind, port, _url(spec.name, cfg.bind, port))
                    )
            if cfg.admin:
                routes: dict = {}
                for service in self.services.values():
                    routes.update(service.http_routes())
                admin = AdminServer(routes, self.status)
                srv = await self._bind_stream(loop, admin.handle, cfg.admin_port)
                port = srv.sockets[0].getsockname()[1]
                self._servers.append(srv)
                self.endpoints.append(
                    Endpoint("admin", cfg.bind, port, f"http://{_host(cfg.bind)}:{port}/")
                )
            for service in self.services.values():
                await service.start()
        except BaseException:
            for srv in self._servers:
                srv.close()
            raise
        for srv in self._servers:
            await srv.start_serving()

    async def _bind(self, loop, name, port, flag, factory):
        try:
            return await loop.create_server(
                factory,
                self.config.bind,
                port,
                reuse_address=True,
                start_serving=False,
                backlog=1024,
            )
        except OSError as e:
            raise _port_error(name, self.config.bind, port, flag, e) from None

    async def _bind_stream(self, loop, handler, port):
        try:
            return await asyncio.start_server(
                handler, self.config.bind, port, reuse_address=True, start_serving=False
            )
        except OSError as e:
            raise _port_error("admin", self.config.bind, port, PORT_FLAGS["admin"], e) from None

    def status(self) -> dict:
        return {
            "status": "ok",
            "uptime_seconds": round(time.time() - self.started_at, 3),
            "services": {
                n: {"ports": s.bound_ports, **s.status()} for n, s in self.services.items()
            },
            "unavailable": self.unavailable,
        }

    def request_stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    async def wait_stopped(self) -> None:
        assert self._stopping is not None
        await self._stopping.wait()

    async def stop(self) -> None:
        """Graceful: stop accepting, close clients, flush and close every service's logs."""
        for srv in self._servers:
            srv.close()
        for state in self._listeners:
            for peer in list(state.clients):
                peer.close()
        for service in reversed(list(self.services.values())):
            try:
                await service.stop()
            except Exception:
                log.exception("%s: error during shutdown", service.name)
        for state in self._listeners:
            for peer in list(state.clients):
                peer.abort()
        self._servers.clear()
        self._listeners.clear()

    async def serve_forever(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.request_stop)
            except (NotImplementedError, RuntimeError):
                pass
        try:
            await self.wait_stopped()
        finally:
            log.info("shutting down: flushing logs")
            await self.stop()


def _port_error(name: str, host: str, port: int, flag: str, e: OSError) -> OSError:
    if e.errno == errno.EADDRINUSE:
        return PortInUse(name, host, port, flag, "already in use")
    if e.errno in (errno.EACCES, errno.EPERM):
        return PortInUse(name, host, port, flag, "not allowed (permission denied)")
    if e.errno == errno.EADDRNOTAVAIL:
        return PortInUse(name, host, port, "--bind", "not an address of this machine")
    return e


def _host(bind: str) -> str:
    return "127.0.0.1" if bind in ("0.0.0.0", "") else (f"[{bind}]" if ":" in bind else bind)


def _url(name: str, bind: str, port: int) -> str:
    host = _host(bind)
    scheme = {"redis": "redis", "amqp": "amqp", "mongo": "mongodb", "zookeeper": "zk"}.get(
        name, "tcp"
    )
    return f"{scheme}://{host}:{port}" + ("/" if name in ("redis", "amqp", "mongo") else "")


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
