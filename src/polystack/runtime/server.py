"""Starts and stops the servers: every system's listeners in one asyncio loop (uvloop when
installed), the admin HTTP port, phased shutdown on SIGINT/SIGTERM.

This module reads the systems' :class:`~polystack.runtime.spec.SystemSpec` objects it is given;
it imports no system package (the services are imported lazily by their spec).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import json
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from polystack.runtime import metrics
from polystack.runtime.admin import AdminGuard, is_loopback
from polystack.runtime.alarms import ResourceAlarms
from polystack.runtime.clock import SYSTEM_CLOCK, Clock
from polystack.runtime.connection import ListenerState, Peer
from polystack.runtime.health import LoopMonitor
from polystack.runtime.http import HttpRequest, HttpResponse, HttpServer, Routes
from polystack.runtime.lock import DataDirLock
from polystack.runtime.log import LogGroup
from polystack.runtime.service import ListenerSpec, ServerContext, Service
from polystack.runtime.spec import SystemSpec

# Re-exported for services and tests.
__all__ = ["Endpoint", "ListenerSpec", "PortInUse", "Server", "ServerSettings", "Service"]

log = logging.getLogger(__name__)

DRAIN_STEP = 0.01


class StartupError(RuntimeError):
    """A service could not start; the message is the one line the CLI prints."""


class PortInUse(OSError):
    """Listeners could not bind; names every such port and the flag that changes it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ServerSettings:
    """The process-wide settings the runtime needs (from the top level of the config)."""

    bind: str = "127.0.0.1"
    data_dir: Path = Path("./polystack-data")
    admin: bool = True
    admin_port: int = 8080
    admin_bind: str = "127.0.0.1"  # the admin port listens here (loopback unless configured)
    admin_auth: str = ""  # "bearer:TOKEN" | "basic:USER:PASSWORD" (runtime/admin.py)
    admin_allowed_hosts: tuple[str, ...] = ()  # Host names accepted besides addresses
    shutdown_timeout: float = 10.0
    memory_high_watermark: str = "0.4"
    disk_free_limit: str = "50MB"
    stall_threshold: float = 2.0
    lock_data_dir: bool = True


@dataclass
class Endpoint:
    name: str
    host: str
    port: int
    url: str


@dataclass
class Server:
    """The chosen systems' services on one loop.

    ``systems`` is a list of ``(spec, section)`` pairs: each spec's service is constructed
    with its section in a :class:`ServerContext` of its own.
    """

    settings: ServerSettings
    systems: list[tuple[SystemSpec, Any]] = field(default_factory=list)
    clock: Clock = SYSTEM_CLOCK
    unavailable: list[str] = field(default_factory=list)
    services: dict[str, Service] = field(default_factory=dict)
    contexts: dict[str, ServerContext] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    listener_states: list[ListenerState] = field(default_factory=list)
    ready: bool = False
    alarms: ResourceAlarms | None = None
    stop_reason: str = ""
    stopped_services: dict[str, str] = field(default_factory=dict)  # name -> reason

    def __post_init__(self) -> None:
        self.registry = metrics.new_registry()
        self.routes = Routes()
        self.health_monitor = LoopMonitor(self.settings.stall_threshold)
        self._servers: list[asyncio.base_events.Server] = []
        self._servers_of: dict[str, list[asyncio.base_events.Server]] = {}
        self._service_stops: list[asyncio.Task] = []
        self._early: list[asyncio.base_events.Server] = []
        self._http: list[HttpServer] = []
        self._stopping: asyncio.Event | None = None
        self._lock: DataDirLock | None = None
        self._started_mono = 0.0
        self._fsync_hist: Any = None
        self._stopped = False

    # -- start ---------------------------------------------------------------
    async def start(self) -> None:
        """Lock the data directory, bind every port, recover every service's data, then
        accept clients.  On any failure everything already started is closed again."""
        self._stopping = asyncio.Event()
        self._started_mono = self.clock.monotonic()
        try:
            await self._start()
        except BaseException:
            await self._close_everything()
            raise

    async def _start(self) -> None:
        st = self.settings
        data_dir = Path(st.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        if st.lock_data_dir:
            self._lock = DataDirLock(data_dir)
            self._lock.acquire()
        self.alarms = ResourceAlarms(
            self.clock, data_dir, st.memory_high_watermark, st.disk_free_limit
        )
        self._fsync_hist = metrics.fsync_histogram(self.registry)
        metrics.register(self.registry, metrics.runtime_collector(self))
        self._admin_routes()
        for spec, section in self.systems:
            self._construct(spec, section, data_dir)
        self.routes.check()
        await self._bind_all()
        # The admin port answers during recovery (/readyz says 503 until the end of start()).
        for srv in self._early:
            await srv.start_serving()
        self.health_monitor.start()
        for name, service in self.services.items():
            try:
                await service.recover()
            except Exception as e:
                log.debug("%s failed to recover", name, exc_info=True)
                raise StartupError(f"polystack: {name} failed to start: {_reason(e)}") from e
        for name, service in self.services.items():
            try:
                service.start()
            except Exception as e:
                raise StartupError(f"polystack: {name} failed to start: {_reason(e)}") from e
        self.alarms.start()
        for srv in self._servers:
            if srv not in self._early:
                await srv.start_serving()
        self.ready = True

    def _construct(self, spec: SystemSpec, section: Any, data_dir: Path) -> None:
        name = spec.name
        try:
            cls = spec.service_class()
        except Exception as e:
            raise StartupError(f"polystack: {name} failed to start: {_reason(e)}") from e
        group = LogGroup(self.clock, name)
        hist = self._fsync_hist.labels(name)
        group.fsync_observers.append(hist.observe)
        assert self.alarms is not None
        ctx = ServerContext(
            name=name,
            config=section,
            data_dir=data_dir / name,
            bind=self.settings.bind,
            clock=self.clock,
            logs=group,
            registry=self.registry,
            alarms=self.alarms,
            routes=self.routes,
            request_stop=self.request_stop,
            service_stopper=self.stop_service,
        )
        self.contexts[name] = ctx
        try:
            self.services[name] = cls(ctx)
        except Exception as e:
            raise StartupError(f"polystack: {name} failed to start: {_reason(e)}") from e

    async def _bind_all(self) -> None:
        """Bind every port before reading any data; report every busy port at once."""
        loop = asyncio.get_running_loop()
        bind = self.settings.bind
        problems: list[str] = []
        # (system, listener, port, flag, protocol factory or HTTP server, url)
        plan: list[tuple[str, str, int, str, Callable[[], Peer] | HttpServer, str]] = []
        for spec, section in self.systems:
            service = self.services[spec.name]
            ctx = self.contexts[spec.name]
            for ls in service.listeners():
                state = ListenerState(
                    ls.name,
                    ls.session_factory,
                    ls.max_clients,
                    ls.reject,
                    logs=ctx.logs,
                    clock=self.clock,
                    high_water=ls.high_water,
                    low_water=ls.low_water,
                    system=spec.name,
                )
                self.listener_states.append(state)
                flag = ls.flag or spec.port.cli_flag
                url = spec.url(_host(bind), 0)
                plan.append((spec.name, ls.name, ls.port, flag, partial(Peer, state), url))
            for p in spec.ports[1:]:
                if p.scheme == "http":
                    port = getattr(section, p.key)
                    plan.append(
                        (spec.name, p.name, port, p.cli_flag, self._http_factory(p.name), "")
                    )
        if self.settings.admin:
            guard = AdminGuard(
                self.settings.admin_bind,
                self.settings.admin_auth,
                tuple(self.settings.admin_allowed_hosts),
            )
            plan.append(
                (
                    "",
                    "admin",
                    self.settings.admin_port,
                    "--admin-port",
                    self._http_factory("admin", guard),
                    "",
                )
            )
        for system, name, port, flag, factory, _ in plan:
            host = self.settings.admin_bind if name == "admin" and not system else bind
            try:
                if isinstance(factory, HttpServer):
                    srv = await asyncio.start_server(
                        factory.handle, host, port, reuse_address=True, start_serving=False,
                        limit=64 * 1024,
                    )  # fmt: skip
                else:
                    srv = await loop.create_server(
                        factory, host, port, reuse_address=True, start_serving=False, backlog=1024
                    )
            except OSError as e:
                problems.append(_port_problem(name, host, port, flag, e))
                continue
            self._servers.append(srv)
            self._servers_of.setdefault(system, []).append(srv)
            if name == "admin":
                self._early.append(srv)
            bound = srv.sockets[0].getsockname()[1]
            if system:
                self.contexts[system].bound_ports[name] = bound
            self.endpoints.append(Endpoint(name, host, bound, self._url(system, name, bound)))
        if problems:
            raise PortInUse(problems)
        self._warn_exposed()

    def _warn_exposed(self) -> None:
        """One warning line per system listening beyond loopback without authentication."""
        bind = self.settings.bind
        if not is_loopback(bind):
            for name, service in self.services.items():
                if not service.requires_auth():
                    ports = ", ".join(str(p) for p in self.contexts[name].bound_ports.values())
                    log.warning(
                        "%s listens on %s (port %s), beyond loopback, and requires no "
                        "authentication: anyone who can reach it can use it",
                        name, bind, ports,
                    )  # fmt: skip
        st = self.settings
        if st.admin and not is_loopback(st.admin_bind) and not st.admin_auth:
            log.warning(
                "the admin port listens on %s, beyond loopback, without admin_auth: anyone "
                "who can reach it can read it (ZooKeeper sessions, metrics)",
                st.admin_bind,
            )

    def _http_factory(self, port_name: str, guard: AdminGuard | None = None) -> HttpServer:
        srv = HttpServer(self.routes, port_name, guard)
        self._http.append(srv)
        return srv

    def _url(self, system: str, name: str, port: int) -> str:
        host = _host(self.settings.bind if system else self.settings.admin_bind)
        for spec, _ in self.systems:
            if spec.name == system:
                for p in spec.ports:
                    if p.name == name:
                        return spec.url(host, port, p)
                return spec.url(host, port)
        return f"http://{host}:{port}/"

    # -- admin routes --------------------------------------------------------
    def _admin_routes(self) -> None:
        add = self.routes.add
        add("GET", "/metrics", self._metrics, owner="runtime")
        add("GET", "/healthz", self._healthz, owner="runtime")
        add("GET", "/readyz", self._readyz, owner="runtime")

    def _metrics(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, metrics.render(self.registry), metrics.CONTENT_TYPE)

    def _healthz(self, request: HttpRequest) -> HttpResponse:
        status = self.status()
        code = 200 if status["status"] == "ok" else 503
        return HttpResponse(code, json.dumps(status).encode(), "application/json")

    def _readyz(self, request: HttpRequest) -> HttpResponse:
        if self.ready and not self.stop_reason:
            return HttpResponse(200, b'{"ready": true}', "application/json")
        return HttpResponse(503, b'{"ready": false}', "application/json")

    def problems(self) -> list[str]:
        out = list(self.health_monitor.problems())
        for name, ctx in self.contexts.items():
            out.extend(f"{name}: {p}" for p in ctx.logs.health())
            service = self.services.get(name)
            if service is not None and name not in self.stopped_services:
                try:
                    out.extend(f"{name}: {p}" for p in service.health())
                except Exception:
                    log.exception("%s: health check failed", name)
        return out

    def uptime(self) -> float:
        return round(self.clock.monotonic() - self._started_mono, 3) if self._started_mono else 0.0

    def status(self) -> dict:
        problems = self.problems()
        return {
            "status": "ok" if not problems else "unhealthy",
            "problems": problems,
            "ready": self.ready,
            "uptime_seconds": self.uptime(),
            "services": {
                n: (
                    {"ports": self.contexts[n].bound_ports, **s.status()}
                    if n not in self.stopped_services
                    else {"stopped": self.stopped_services[n]}
                )
                for n, s in self.services.items()
            },
            "unavailable": self.unavailable,
        }

    # -- stop ------------------------------------------------------------------
    def request_stop(self, reason: str = "shutdown requested") -> None:
        if not self.stop_reason:
            self.stop_reason = reason
        if self._stopping is not None:
            self._stopping.set()

    async def wait_stopped(self) -> None:
        assert self._stopping is not None
        await self._stopping.wait()

    async def stop(self, reason: str | None = None) -> None:
        """Phased: stop accepting; every session's ``shutdown(reason)``; every service's
        ``shutdown(reason)``; drain output up to the deadline; ``stop()`` each service; flush,
        fsync and close every log; close what is left."""
        if self._stopped:
            return
        reason = reason or self.stop_reason or "server shutdown"
        self.ready = False
        for task in self._service_stops:  # a service stopping alone finishes first
            try:
                await task
            except Exception:
                log.exception("stopping a service failed")
        for srv in self._servers:
            srv.close()
        for state in self.listener_states:
            for peer in list(state.clients):
                peer.shutdown(reason)
        for name, service in self.services.items():
            if name in self.stopped_services:
                continue
            try:
                service.shutdown(reason)
            except Exception:
                log.exception("%s: error in shutdown", name)
        await self._drain(self.listener_states)
        for name, service in reversed(list(self.services.items())):
            if name in self.stopped_services:
                continue
            try:
                await service.stop()
            except Exception:
                log.exception("%s: error during shutdown", name)
        await self._close_everything()

    def stop_service(self, name: str, reason: str) -> None:
        """Stop one service while the others keep serving (ServerContext.stop_service)."""
        if name in self.stopped_services or self.stop_reason or self._stopped:
            return
        self.stopped_services[name] = reason
        task = asyncio.get_running_loop().create_task(self._stop_service(name, reason))
        self._service_stops.append(task)

    async def _stop_service(self, name: str, reason: str) -> None:
        log.warning("%s: stopping (%s); the other systems keep serving", name, reason)
        for srv in self._servers_of.get(name, ()):
            srv.close()
        states = [st for st in self.listener_states if st.system == name]
        for state in states:
            for peer in list(state.clients):
                peer.shutdown(reason)
        service = self.services[name]
        try:
            service.shutdown(reason)
        except Exception:
            log.exception("%s: error in shutdown", name)
        await self._drain(states)
        try:
            await service.stop()
        except Exception:
            log.exception("%s: error during shutdown", name)
        ctx = self.contexts[name]
        ctx.logs.flush_all()
        ctx.logs.close()
        for state in states:
            for peer in list(state.clients):
                peer.abort()
        log.warning("%s: stopped (%s)", name, reason)

    async def _drain(self, states: list[ListenerState]) -> None:
        steps = int(self.settings.shutdown_timeout / DRAIN_STEP)
        for _ in range(max(1, steps)):
            if all(p.drained for st in states for p in st.clients):
                return
            await asyncio.sleep(DRAIN_STEP)
        left = sum(1 for st in states for p in st.clients if not p.drained)
        if left:
            log.warning("shutdown: %d clients still had output after %g s; closing them", left,
                        self.settings.shutdown_timeout)  # fmt: skip

    async def _close_everything(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.ready = False
        for srv in self._servers:
            srv.close()
        for h in self._http:
            h.close_all()
        for name, ctx in self.contexts.items():
            if name in self.stopped_services:
                continue  # flushed and closed when it stopped (or it is stopping: close now)
            ctx.logs.flush_all()
            ctx.logs.close()
        for state in self.listener_states:
            for peer in list(state.clients):
                peer.abort()
        if self.alarms is not None:
            self.alarms.stop()
        self.health_monitor.stop()
        await asyncio.sleep(0)
        self._servers.clear()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    async def serve_forever(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.request_stop, signal.Signals(sig).name)
            except (NotImplementedError, RuntimeError):
                pass
        try:
            await self.wait_stopped()
        finally:
            log.info("shutting down (%s): draining clients, flushing logs", self.stop_reason)
            await self.stop()


def _reason(e: BaseException) -> str:
    text = str(e).strip()
    if text.startswith("polystack: "):
        text = text[len("polystack: ") :]
    return text.splitlines()[0] if text else type(e).__name__


def _port_problem(name: str, host: str, port: int, flag: str, e: OSError) -> str:
    if e.errno == errno.EADDRINUSE:
        why = "already in use"
    elif e.errno in (errno.EACCES, errno.EPERM):
        why = "not allowed (permission denied)"
    elif e.errno == errno.EADDRNOTAVAIL:
        return f"polystack: {name} port {port}: {host} is not an address of this machine; choose another with --bind"
    else:
        why = f"unusable ({e.strerror or e})"
    return f"polystack: {name} port {port} on {host} is {why}; choose another with {flag} N"


def _host(bind: str) -> str:
    return "127.0.0.1" if bind in ("0.0.0.0", "") else (f"[{bind}]" if ":" in bind else bind)


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


# The serving process's youngest generation is collected every this many net container
# allocations (CPython's default: 700).
SERVING_GC_THRESHOLD = 10_000


def tune_gc_for_serving() -> None:
    """The cyclic collector of a process that serves clients (``polystack serve``, once
    started): what start-up made (modules, recovered data) leaves the generations for good
    (gc.freeze after a collection: a full collection never walks it again), and the youngest
    generation is collected every SERVING_GC_THRESHOLD net container allocations, so that
    what one loop turn keeps until its end (the turn's log entries, a pipelined read's
    requests) is freed before a collection walks it.  (A frozen object that becomes part of
    unreachable cycles later stays allocated: at most what start-up made, and the systems'
    data hold no cycles.)  Process-wide: not for an embedding application
    (polystack.testing)."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(SERVING_GC_THRESHOLD, gen1, gen2)
