"""The AMQP service: its place in the runtime (listener, broker, store, timers)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polystack.runtime.clock import Clock
from polystack.runtime.server import ListenerSpec, Service

from .broker import Broker, Settings
from .http import HttpSession
from .management import Management
from .persist import Store
from .session import Connection

if TYPE_CHECKING:
    from polystack.config import Config
    from polystack.runtime.connection import Peer

log = logging.getLogger(__name__)


def build_settings(section: Any) -> Settings:
    s = Settings()
    for name in Settings.__slots__:
        if hasattr(section, name):
            setattr(s, name, getattr(section, name))
    return s


class AMQPService(Service):
    name = "amqp"
    default_management_port = 15672  # until the config section has management_port

    def __init__(self, config: Config, data_dir: Path, clock: Clock) -> None:
        super().__init__(config, data_dir, clock)
        section = config.section("amqp")
        self.port = section.port
        self.broker = Broker(build_settings(section), clock)
        self.store = Store(data_dir / "store", getattr(section, "fsync", "always"))
        self.management_port = getattr(section, "management_port", self.default_management_port)
        self.management = Management(self.broker, self.broker.settings.node_name)

    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec("amqp", self.port, self.new_connection, flag="--amqp-port"),
            ListenerSpec(
                "amqp-management",
                self.management_port,
                lambda peer: HttpSession(self.management, peer),
                flag="--amqp-management-port",
            ),
        ]

    def new_connection(self, peer: Peer) -> Connection:
        return Connection(self.broker, peer)

    async def start(self) -> None:
        self.broker.store = self.store
        self.store.open(self.broker)
        self.management.listeners = [
            {
                "node": self.broker.settings.node_name,
                "protocol": proto,
                "ip_address": "127.0.0.1",
                "port": self.bound_ports.get(name, 0),
            }  # fmt: skip
            for name, proto in (("amqp", "amqp"), ("amqp-management", "http"))
        ]
        log.info("AMQP 0-9-1 broker serving on port %s", self.bound_ports.get("amqp", self.port))

    async def stop(self) -> None:
        for c in list(self.broker.connections):
            c.shutdown()
        self.store.close()

    def status(self) -> dict:
        ready, unacked = self.broker.queue_totals()
        return {
            "connections": len(self.broker.connections),
            "queues": sum(len(v.queues) for v in self.broker.vhosts.values()),
            "messages_ready": ready,
            "messages_unacknowledged": unacked,
        }
