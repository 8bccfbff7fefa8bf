"""Embedding API and pytest plugin.

>>> with polystack.testing.serve(redis=True) as s:
...     r = redis.Redis.from_url(s.redis_url)

Servers run on port 0 (an ephemeral port) with a temporary data directory, on an event loop in
a background thread, and stop cleanly when the block ends.  ``serve()`` takes one keyword per
system (``redis=True``, ``zookeeper=True`` ...; the names come from the systems' specs).  A
handle gives ``port(name)``, ``url(name)``, ``address(name)`` and, for each system,
``<name>_port``, ``<name>_url`` and ``<name>_hosts``.

The pytest plugin (registered through the ``pytest11`` entry point) provides
``polystack_server`` — one server with every available system for the whole test session — and
one fixture per system, named by its spec (``polystack_redis_url``,
``polystack_zookeeper_hosts`` ...), giving its address; a service with a
``reset_for_test()`` method is reset before each test that uses it (Redis flushes its
databases).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from polystack.config import Config
    from polystack.runtime.clock import Clock
    from polystack.runtime.server import Server

T = TypeVar("T")


class ServerHandle:
    """A running in-process polystack; see :func:`serve`."""

    def __init__(
        self,
        systems: tuple[str, ...],
        data_dir: Path,
        clock: Clock | None = None,
        config_overrides: dict[str, Any] | None = None,
        admin: bool = True,
    ) -> None:
        from polystack.runtime.clock import SYSTEM_CLOCK

        self.systems = systems
        self.data_dir = Path(data_dir)
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.config_overrides = dict(config_overrides or {})
        self.admin = admin
        self.ports: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.server: Server | None = None

    # -- addresses -------------------------------------------------------
    @property
    def host(self) -> str:
        return "127.0.0.1"

    def port(self, name: str) -> int:
        return self.ports[name]

    def url(self, name: str) -> str:
        from polystack import systems

        return systems.specs()[name].url(self.host, self.ports[name])

    def address(self, name: str) -> str:
        """What the system's fixture gives: its URL, or ``host:port``."""
        from polystack import systems

        if systems.specs()[name].fixture_value == "hostport":
            return f"{self.host}:{self.ports[name]}"
        return self.url(name)

    def __getattr__(self, attr: str) -> Any:
        for suffix, fn in (
            ("_port", self.port),
            ("_url", self.url),
            ("_hosts", lambda n: f"{self.host}:{self.ports[n]}"),
        ):
            if attr.endswith(suffix):
                name = attr[: -len(suffix)]
                if name in self.__dict__.get("ports", {}):
                    return fn(name)
        raise AttributeError(attr)

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['admin']}"

    def service(self, name: str) -> Any:
        assert self.server is not None, "the server is not started"
        return self.server.services[name]

    # -- lifecycle -------------------------------------------------------
    def _config(self) -> Config:
        from polystack import config, systems

        overrides: dict[str, Any] = {
            "bind": "127.0.0.1",
            "data_dir": str(self.data_dir),
            "only": ",".join(self.systems),
            "admin_port": self.ports.get("admin", 0),
            "admin": self.admin,
        }
        for name, spec in systems.specs().items():
            for p in spec.ports:
                overrides[f"{name}.{p.key}"] = self.ports.get(p.name, 0)
        overrides.update(self.config_overrides)
        return config.load(None, overrides, environ={})

    def start(self) -> ServerHandle:
        from polystack import config as configmod
        from polystack.runtime import server as servermod

        cfg = self._config()
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        loop = servermod.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            srv = configmod.build_server(cfg, clock=self.clock)
            self.server = srv

            async def main() -> None:
                try:
                    await srv.start()
                except BaseException as e:
                    started.set_exception(e)
                    return
                for ep in srv.endpoints:
                    self.ports[ep.name] = ep.port
                started.set_result(None)
                await srv.wait_stopped()
                await srv.stop()

            try:
                loop.run_until_complete(main())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="polystack-server", daemon=True)
        self._thread.start()
        started.result(timeout=60)
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        srv = self.server
        if srv is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(srv.request_stop, "test server stopped")
        self._thread.join(timeout=60)
        self._thread = None

    def restart(self) -> None:
        """Graceful stop and start on the same data directory and ports."""
        self.stop()
        self.start()

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server's loop thread and return its result."""
        assert self._loop is not None
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()

        def go() -> None:
            try:
                fut.set_result(fn())
            except BaseException as e:  # pragma: no cover - passed to the caller
                fut.set_exception(e)

        self._loop.call_soon_threadsafe(go)
        return fut.result(timeout=30)

    def advance(self, seconds: float) -> None:
        """Move a :class:`~polystack.runtime.clock.ManualClock` forward on the server thread."""
        from polystack.runtime.clock import ManualClock

        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs a server started with a ManualClock")
        self.call(lambda: clock.advance(seconds))


@contextlib.contextmanager
def serve(
    *,
    data_dir: str | Path | None = None,
    clock: Clock | None = None,
    config_overrides: dict[str, Any] | None = None,
    admin: bool = True,
    **chosen: bool,
) -> Iterator[ServerHandle]:
    """Start the chosen systems in-process on ephemeral ports (every available system when
    none is chosen)."""
    from polystack import systems

    unknown = [n for n in chosen if n not in systems.KNOWN]
    if unknown:
        raise TypeError(f"serve() got an unexpected keyword argument {unknown[0]!r}")
    names = tuple(n for n in systems.KNOWN if chosen.get(n)) or tuple(
        n for n, spec in systems.specs().items() if spec.default
    )
    tmp = None
    if data_dir is None:
        tmp = tempfile.mkdtemp(prefix="polystack-")
        data_dir = tmp
    handle = ServerHandle(names, Path(data_dir), clock, config_overrides, admin)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# -- pytest plugin ------------------------------------------------------------
try:
    import pytest
except ImportError:  # pragma: no cover - pytest is optional at run time
    pytest = None  # type: ignore[assignment]


def _system_fixture(name: str) -> Callable[..., str]:
    def fixture(polystack_server: ServerHandle) -> str:
        svc = polystack_server.service(name)
        reset = getattr(svc, "reset_for_test", None)
        if reset is not None:
            polystack_server.call(reset)
        return polystack_server.address(name)

    fixture.__doc__ = f"The address of the session's {name} server (reset before the test)."
    return fixture


if pytest is not None:

    @pytest.fixture(scope="session")
    def polystack_server() -> Iterator[ServerHandle]:
        """One polystack (every available system) for the whole test session."""
        with serve() as s:
            yield s

    def _register_fixtures() -> None:
        from polystack import systems

        for name, spec in systems.specs().items():
            if spec.fixture:
                globals()[spec.fixture] = pytest.fixture(name=spec.fixture)(_system_fixture(name))

    _register_fixtures()
