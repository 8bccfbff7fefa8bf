"""What a system's service is given (:class:`ServerContext`) and what it implements
(:class:`Service`).  See docs/runtime.md for the whole contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from polystack.runtime.clock import Clock
from polystack.runtime.connection import WRITE_HIGH_WATER, WRITE_LOW_WATER, Peer, Session
from polystack.runtime.log import LogGroup

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from polystack.runtime.alarms import ResourceAlarms
    from polystack.runtime.http import Handler, Routes


@dataclass
class ListenerSpec:
    """A TCP port a service accepts clients on; ``session_factory(peer)`` makes the session."""

    name: str
    port: int
    session_factory: Callable[[Peer], Session]
    max_clients: int = 10000
    reject: bytes = b""  # sent to a client refused because max_clients are connected
    flag: str = ""  # the CLI flag that changes the port (named when the port is busy)
    high_water: int = WRITE_HIGH_WATER
    low_water: int = WRITE_LOW_WATER


@dataclass
class ServerContext:
    """One service's view of the server: nothing here is shared with another server, and
    nothing is a process global."""

    name: str
    config: Any  # the system's config section (its spec's dataclass)
    data_dir: Path
    bind: str
    clock: Clock
    logs: LogGroup
    registry: CollectorRegistry
    alarms: ResourceAlarms
    routes: Routes
    request_stop: Callable[[str], None]
    bound_ports: dict[str, int] = field(default_factory=dict)
    # (name, reason) -> stop that one service; set by the runtime (see stop_service)
    service_stopper: Callable[[str, str], None] | None = None

    def stop_service(self, reason: str) -> None:
        """Stop this service alone, gracefully (Redis ``SHUTDOWN`` with ``shutdown_scope =
        "redis"``): its ports close, its sessions get ``shutdown(reason)``, then the service's
        ``shutdown`` and ``stop``, and its logs are flushed and closed; every other system
        keeps serving.  Without a runtime to do it, the whole process stops."""
        if self.service_stopper is None:
            self.request_stop(reason)
        else:
            self.service_stopper(self.name, reason)

    def route(self, method: str, path: str, handler: Handler, *, port: str = "admin") -> None:
        """Serve ``method path`` on an HTTP port ("admin", or an HTTP port of the spec).

        ``path`` may hold ``{name}`` segments (matched URL-decoded, in ``request.params``).
        Two registrations of the same method and path are an error when the server starts.
        """
        self.routes.add(method, path, handler, port=port, owner=self.name)


class Service:
    """A system's server.  Lifecycle, driven by ``runtime/server.py``:

    1. ``__init__(ctx)`` — no I/O;
    2. ``listeners()`` — the ports to bind (all are bound before any data is read, so every
       busy port is reported at once);
    3. ``await recover()`` — read the data back (snapshot + log); no client is connected yet;
    4. ``start()`` — timers; the listeners start accepting right after;
    5. on SIGTERM/SIGINT/``request_stop``: the listeners stop accepting, every session gets
       ``shutdown(reason)``, then ``shutdown(reason)`` here; output drains (up to the
       configured deadline);
    6. ``await stop()`` — last words to the disk (a final snapshot); then the runtime flushes,
       fsyncs and closes every log of ``ctx.logs`` and closes the remaining connections.

    If any service fails in steps 2-4, everything already started is closed and the process
    exits 2 with one line naming the cause.
    """

    name: ClassVar[str] = ""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.data_dir = ctx.data_dir
        self.clock = ctx.clock
        self.bound_ports = ctx.bound_ports

    def listeners(self) -> list[ListenerSpec]:
        return []

    async def recover(self) -> None:
        pass

    def start(self) -> None:
        pass

    def shutdown(self, reason: str) -> None:
        pass

    async def stop(self) -> None:
        pass

    def status(self) -> dict:
        """Shown on /healthz and by ``polystack status``."""
        return {}

    def requires_auth(self) -> bool:
        """Whether clients must authenticate (the runtime warns at start about a system that
        listens beyond loopback and does not)."""
        return False

    def health(self) -> list[str]:
        """Problems that make /healthz unhealthy (the logs' failures are added by the
        runtime)."""
        return []
