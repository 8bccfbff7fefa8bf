"""The AMQP service: its place in the runtime (listener, broker, store, management routes)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from polystack.runtime.http import HttpRequest, HttpResponse
from polystack.runtime.service import ListenerSpec, ServerContext, Service

from .broker import Broker, Settings
from .management import ROUTES, Management, Request
from .metrics import register_metrics
from .persist import Store
from .session import Connection

if TYPE_CHECKING:
    from polystack.runtime.connection import Peer

    from .spec import AmqpConfig

log = logging.getLogger(__name__)


def build_settings(cfg: AmqpConfig) -> Settings:
    s = Settings()
    for name in Settings.__slots__:
        if name != "loopback_users" and hasattr(cfg, name):
            setattr(s, name, getattr(cfg, name))
    s.loopback_users = tuple(u.strip() for u in cfg.loopback_users.split(",") if u.strip())
    return s


class AmqpService(Service):
    name = "amqp"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        cfg: AmqpConfig = ctx.config
        self.broker = Broker(build_settings(cfg), self.clock)
        self.store = Store(ctx.data_dir / "store", cfg.fsync, ctx.logs)
        self.management = Management(self.broker, self.broker.settings.node_name)
        for method, pattern, fn, admin in ROUTES:
            ctx.route(method, pattern, self._route(fn, admin), port="amqp-management")
        ctx.alarms.subscribe(self._on_alarm)
        ctx.logs.subscribe_failures(self._on_log_failure)
        register_metrics(ctx.registry, self.broker)

    def _route(self, fn: Any, admin: bool) -> Any:
        def handler(req: HttpRequest) -> HttpResponse:
            r = self.management.dispatch(
                fn,
                admin,
                Request(
                    req.method, req.path, req.query, req.headers, req.body, dict(req.params)
                ),  # fmt: skip
            )
            return HttpResponse(r.status, r.body, r.content_type, r.headers)

        return handler

    # -- runtime hooks ---------------------------------------------------------------------------
    def listeners(self) -> list[ListenerSpec]:
        return [ListenerSpec("amqp", self.config.port, self.new_connection, flag="--amqp-port")]

    def new_connection(self, peer: Peer) -> Connection:
        if self.config.client_output_limit:
            peer.set_output_limits(self.config.client_output_limit)
        return Connection(self.broker, peer)

    async def recover(self) -> None:
        self.broker.store = self.store
        self.store.open(self.broker)

    def start(self) -> None:
        self.management.listeners = [
            {
                "node": self.broker.settings.node_name,
                "protocol": proto,
                "ip_address": "127.0.0.1",
                "port": self.bound_ports.get(name, 0),
            }  # fmt: skip
            for name, proto in (("amqp", "amqp"), ("amqp-management", "http"))
        ]
        self.broker.start_stats()
        log.info("AMQP 0-9-1 broker serving on port %s", self.bound_ports.get("amqp"))

    def shutdown(self, reason: str) -> None:
        self.broker.shutting_down = True
        self.broker.stop_stats()

    async def stop(self) -> None:
        self.store.close()

    def status(self) -> dict:
        ready, unacked = self.broker.queue_totals()
        return {
            "connections": len(self.broker.connections),
            "queues": sum(len(v.queues) for v in self.broker.vhosts.values()),
            "messages_ready": ready,
            "messages_unacknowledged": unacked,
        }

    # -- alarms and failures ---------------------------------------------------------------------
    def _on_alarm(self, resource: str, active: bool) -> None:
        self.broker.set_resource_alarm(resource, active)

    def _on_log_failure(self, lg: Any, error: OSError | None) -> None:
        # a message store that cannot be written: no confirm is sent (they wait for the fsync)
        # and publishers are blocked, as RabbitMQ's disk alarm does
        self.broker.set_resource_alarm("store", error is not None)
