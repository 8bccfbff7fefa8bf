"""The Sentinel service: its port, its timer, its links to the instances it watches, the
pub/sub of its events, and its configuration file."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable
from typing import Any

from polystack.redis import conf
from polystack.redis.sentinel import commands
from polystack.redis.sentinel import config as sentinel_config
from polystack.redis.sentinel.core import Sentinel
from polystack.redis.sentinel.session import SentinelSession, matches
from polystack.runtime import outbound
from polystack.runtime.service import ListenerSpec, ServerContext, Service

log = logging.getLogger(__name__)

TICK = 0.1


class SentinelService(Service):
    name = "sentinel"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.sessions: dict[int, SentinelSession] = {}
        self.channels: dict[bytes, set[SentinelSession]] = {}
        self.patterns: dict[bytes, set[SentinelSession]] = {}
        self.start_time = self.clock.time()
        self.run_id = secrets.token_hex(20)
        self.sentinel = Sentinel(self.clock, self._connect, self.publish, self.flush_config)
        self.config_file = os.path.abspath(
            self.config.sentinel_config or os.path.join(ctx.data_dir, "sentinel.conf")
        )
        self.glob: dict[str, str] = {}
        if os.path.exists(self.config_file):
            cfg = conf.read(self.config_file, sentinel=True)
            self.glob = sentinel_config.apply(self.sentinel, cfg)
        self.sentinel.port = self.config.port
        self._timer: Any = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def port(self) -> int:
        return self.bound_ports.get("sentinel", self.config.port)

    # -- runtime hooks -------------------------------------------------------------------------
    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec(
                "sentinel",
                self.config.port,
                lambda peer: SentinelSession(self, peer),
                flag="--sentinel-port",
            )
        ]

    def start(self) -> None:
        self.sentinel.port = self.port
        os.makedirs(os.path.dirname(self.config_file), exist_ok=True)
        self.flush_config()
        log.info("Sentinel ID is %s", self.sentinel.myid)
        for m in self.sentinel.masters.values():
            self.sentinel.event(logging.WARNING, "+monitor", m, f"%@ quorum {m.quorum}")
        self._schedule()

    def _schedule(self) -> None:
        self._timer = self.clock.call_later(TICK, self._tick)

    def _tick(self) -> None:
        try:
            self.sentinel.tick()
        except Exception:
            log.exception("sentinel: timer failed")
        self._schedule()

    def shutdown(self, reason: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.sentinel.stop()

    async def stop(self) -> None:
        self.shutdown("stop")
        try:
            self.flush_config()
        except OSError:
            pass

    def request_stop(self, reason: str) -> None:
        self.ctx.request_stop(reason)

    def status(self) -> dict:
        return {"masters": len(self.sentinel.masters), "clients": len(self.sessions)}

    def info_text(self, sections: list[str]) -> str:
        return commands.info_sections(self, sections)

    # -- links -----------------------------------------------------------------------------
    def _connect(
        self, host: str, port: int, factory: Callable[[Any], Any], failed: Callable[[], None]
    ) -> None:
        async def run() -> None:
            try:
                await outbound.connect(
                    host, port, factory, logs=self.ctx.logs, clock=self.clock,
                    name="sentinel-link", timeout=5,
                )  # fmt: skip
            except (OSError, TimeoutError):
                failed()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- pub/sub ------------------------------------------------------------------------------
    def subscribe(self, session: SentinelSession, channel: bytes, pattern: bool) -> None:
        (self.patterns if pattern else self.channels).setdefault(channel, set()).add(session)

    def unsubscribe(self, session: SentinelSession, channel: bytes, pattern: bool) -> None:
        table = self.patterns if pattern else self.channels
        subs = table.get(channel)
        if subs is not None:
            subs.discard(session)
            if not subs:
                del table[channel]

    def publish(self, channel: bytes, message: bytes) -> None:
        for s in list(self.channels.get(channel, ())):
            s.deliver(channel, message, None)
        for pattern, subs in list(self.patterns.items()):
            if matches(pattern, channel):
                for s in list(subs):
                    s.deliver(channel, message, pattern)

    # -- the configuration file ----------------------------------------------------------------
    def flush_config(self) -> None:
        sentinel_config.rewrite(self.config_file, self.sentinel, self.port)
