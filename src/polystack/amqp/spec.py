"""The AMQP broker's declaration for the runtime: its config section, ports, flags, fixture."""

from __future__ import annotations

from dataclasses import dataclass

from polystack.runtime.spec import Command, Option, Port, SystemSpec, check_choice, check_range


@dataclass(slots=True)
class AmqpConfig:
    port: int = 5672
    management_port: int = 15672
    # fsync policy of the message store; publisher confirms and durable declarations always
    # wait for their own record's fsync, whatever the policy
    fsync: str = "everysec"
    default_user: str = "guest"
    default_pass: str = "guest"
    default_vhost: str = "/"
    # users that may only connect from the loopback interface (comma-separated)
    loopback_users: str = "guest"
    channel_max: int = 2047
    frame_max: int = 131072
    heartbeat: int = 60
    max_message_size: int = 134217728
    # bytes of message bodies held in memory; beyond ``paging_ratio`` of it bodies are paged to
    # the message store, beyond it publishers are blocked (connection.blocked)
    memory_high_watermark: int = 256 << 20
    paging_ratio: float = 0.5
    handshake_timeout: float = 10.0
    # milliseconds between samples of the management API's message rates (RabbitMQ's
    # collect_statistics_interval)
    collect_statistics_interval: int = 5000
    # milliseconds a delivery may stay unacknowledged before its channel is closed (RabbitMQ's
    # consumer_timeout, 30 minutes by default; 0: no limit)
    consumer_timeout: int = 1_800_000
    # pending output after which a client that does not read is disconnected (0: no limit)
    client_output_limit: int = 0

    def validate(self) -> None:
        check_choice("amqp.fsync", self.fsync, ("always", "everysec", "no"))
        check_range("amqp.channel_max", self.channel_max, 1, 65535)
        check_range("amqp.frame_max", self.frame_max, 4096, 1 << 24)
        check_range("amqp.heartbeat", self.heartbeat, 0, 65535)
        check_range("amqp.max_message_size", self.max_message_size, 1, 536870912)
        check_range("amqp.memory_high_watermark", self.memory_high_watermark, 1 << 20, 1 << 50)
        check_range("amqp.paging_ratio", self.paging_ratio, 0.01, 1.0)
        check_range("amqp.handshake_timeout", self.handshake_timeout, 0.1, 3600)
        check_range("amqp.consumer_timeout", self.consumer_timeout, 0, 1 << 40)
        check_range(
            "amqp.collect_statistics_interval", self.collect_statistics_interval, 100, 3600000
        )


SPEC = SystemSpec(
    name="amqp",
    title="RabbitMQ",
    config=AmqpConfig,
    service="polystack.amqp.service:AmqpService",
    ports=(
        Port("amqp", "port", 5672, "amqp"),
        Port("amqp-management", "management_port", 15672, "http"),
    ),
    options=(
        Option(
            "--amqp-fsync",
            "fsync",
            "AMQP message store fsync policy (confirms always wait for their fsync).",
            choices=("always", "everysec", "no"),
        ),
    ),
    commands=(
        Command(
            "amqp", "polystack.amqp.cli:amqp_group", "Administer the AMQP broker (rabbitmqctl)."
        ),
    ),
    fixture="polystack_amqp_url",
    description="AMQP 0-9-1 broker (RabbitMQ 3.10 compatible) with the management HTTP API",
)
