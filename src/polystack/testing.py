"""Embedding API and pytest plugin.

>>> with polystack.testing.serve(redis=True) as s:
...     r = redis.Redis.from_url(s.redis_url)

Servers run on port 0 (an ephemeral port) with a temporary data directory, on an
event loop in a background thread, and stop cleanly when the block ends.

The pytest plugin (registered through the ``pytest11`` entry point) provides:

``polystack_server``
    one server for the whole test session (Redis and ZooKeeper);
``polystack_redis_url``
    a Redis URL whose databases are flushed before each test;
``polystack_zookeeper_hosts``
    ``host:port`` of the session's ZooKeeper.
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
from typing import Any, TypeVar

T = TypeVar("T")


class ServerHandle:
    """A running in-process polystack; see :func:`serve`."""

    def __init__(
        self,
        systems: tuple[str, ...],
        data_dir: Path,
        clock: Any = None,
        config_overrides: dict[str, Any] | None = None,
        admin: bool = True,
    ) -> None:
        from polystack.runtime.clock import SYSTEM_CLOCK

        self.systems = systems
        self.data_dir = Path(data_dir)
        self.clock = clock or SYSTEM_CLOCK
        self.config_overrides = dict(config_overrides or {})
        self.admin = admin
        self.ports: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.server: Any = None

    # -- addresses -------------------------------------------------------
    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def redis_port(self) -> int:
        return self.ports["redis"]

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports['redis']}/0"

    @property
    def zookeeper_port(self) -> int:
        return self.ports["zookeeper"]

    @property
    def zookeeper_hosts(self) -> str:
        return f"127.0.0.1:{self.ports['zookeeper']}"

    @property
    def admin_port(self) -> int:
        return self.ports["admin"]

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['admin']}"

    def service(self, name: str) -> Any:
        return self.server.services[name]

    # -- lifecycle -------------------------------------------------------
    def _config(self) -> Any:
        from polystack import config

        overrides: dict[str, Any] = {
            "bind": "127.0.0.1",
            "data_dir": str(self.data_dir),
            "only": ",".join(self.systems),
            "admin_port": self.ports.get("admin", 0),
            "admin": self.admin,
        }
        for name in ("redis", "amqp", "mongo", "zookeeper"):
            overrides[f"{name}.port"] = self.ports.get(name, 0)
        overrides.update(self.config_overrides)
        return config.load(None, overrides, environ={})

    def start(self) -> ServerHandle:
        from polystack.runtime import server as servermod

        cfg = self._config()
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        loop = servermod.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            srv = servermod.Server(cfg, clock=self.clock)
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
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(srv.request_stop)
        self._thread.join(timeout=30)
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
        self.call(lambda: self.clock.advance(seconds))


@contextlib.contextmanager
def serve(
    redis: bool = False,
    amqp: bool = False,
    mongo: bool = False,
    zookeeper: bool = False,
    *,
    data_dir: str | Path | None = None,
    clock: Any = None,
    config_overrides: dict[str, Any] | None = None,
    admin: bool = True,
) -> Iterator[ServerHandle]:
    """Start the chosen servers in-process on ephemeral ports (all four when none is chosen)."""
    chosen = tuple(
        n
        for n, on in (("redis", redis), ("amqp", amqp), ("mongo", mongo), ("zookeeper", zookeeper))
        if on
    ) or ("redis", "zookeeper")
    tmp = None
    if data_dir is None:
        tmp = tempfile.mkdtemp(prefix="polystack-")
        data_dir = tmp
    handle = ServerHandle(chosen, Path(data_dir), clock, config_overrides, admin)
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

if pytest is not None:

    @pytest.fixture(scope="session")
    def polystack_server() -> Iterator[ServerHandle]:
        """One polystack (Redis and ZooKeeper) for the whole test session."""
        with serve(redis=True, zookeeper=True) as s:
            yield s

    @pytest.fixture
    def polystack_redis_url(polystack_server: ServerHandle) -> str:
        """A Redis URL whose databases are flushed before the test."""
        svc = polystack_server.service("redis")
        polystack_server.call(svc.flushall)
        return polystack_server.redis_url

    @pytest.fixture
    def polystack_zookeeper_hosts(polystack_server: ServerHandle) -> str:
        return polystack_server.zookeeper_hosts
