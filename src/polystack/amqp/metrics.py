"""The broker's Prometheus families (computed at scrape time), named after RabbitMQ's own
Prometheus plugin with the ``amqp_`` prefix: per-queue ready/unacked messages and consumers,
publish/deliver/ack/confirm counters, connections, channels, queues, memory and alarms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from polystack.runtime.metrics import CounterMetricFamily, GaugeMetricFamily, register

if TYPE_CHECKING:
    from prometheus_client.core import Metric


def register_metrics(registry: Any, broker: Any) -> None:
    register(registry, lambda: collect(broker))


def collect(b: Any) -> Iterable[Metric]:
    ready = GaugeMetricFamily("amqp_queue_messages_ready", "Messages ready to be delivered.",
                              labels=["vhost", "queue"])  # fmt: skip
    unacked = GaugeMetricFamily("amqp_queue_messages_unacked",
                                "Messages delivered and not yet acknowledged.",
                                labels=["vhost", "queue"])  # fmt: skip
    consumers = GaugeMetricFamily("amqp_queue_consumers", "Consumers of the queue.",
                                  labels=["vhost", "queue"])  # fmt: skip
    q_pub = CounterMetricFamily("amqp_queue_messages_published", "Messages entered the queue.",
                                labels=["vhost", "queue"])  # fmt: skip
    q_del = CounterMetricFamily("amqp_queue_messages_delivered",
                                "Messages delivered from the queue (consumers and basic.get).",
                                labels=["vhost", "queue"])  # fmt: skip
    q_ack = CounterMetricFamily("amqp_queue_messages_acked", "Deliveries acknowledged.",
                                labels=["vhost", "queue"])  # fmt: skip
    nq = 0
    for v in b.vhosts.values():
        for q in v.queues.values():
            nq += 1
            labels = [v.name, q.name]
            ready.add_metric(labels, len(q.ready))
            unacked.add_metric(labels, q.unacked_count)
            consumers.add_metric(labels, len(q.consumers))
            q_pub.add_metric(labels, q.stats.publish)
            q_del.add_metric(labels, q.stats.deliver_get)
            q_ack.add_metric(labels, q.stats.ack)
    yield from (ready, unacked, consumers, q_pub, q_del, q_ack)
    c = b.counters
    confirmed = sum(ch.stats.confirm for cn in b.connections for ch in cn.channels.values())
    for name, help_text, value in (
        ("amqp_global_messages_received", "Messages published by clients.", c.published),
        ("amqp_global_messages_delivered", "Messages delivered to consumers and basic.get.",
         sum(q.stats.deliver_get for v in b.vhosts.values() for q in v.queues.values())),
        ("amqp_global_messages_acknowledged", "Deliveries acknowledged by clients.", c.acked),
        ("amqp_global_messages_confirmed", "Publisher confirms sent (open channels).", confirmed),
        ("amqp_global_messages_unroutable_returned", "Unroutable mandatory messages returned.",
         c.returned),
        ("amqp_global_messages_unroutable_dropped", "Unroutable messages dropped.",
         c.dropped_unroutable),
        ("amqp_global_messages_dead_lettered", "Messages dead-lettered.", b.dead_lettered),
        ("amqp_connections_opened", "Connections opened.", c.connections_opened),
        ("amqp_connections_closed", "Connections closed.", c.connections_closed),
        ("amqp_channels_opened", "Channels opened.", c.channels_opened),
        ("amqp_channels_closed", "Channels closed.", c.channels_closed),
        ("amqp_queues_declared", "Queues declared.", c.queues_declared),
        ("amqp_queues_deleted", "Queues deleted.", c.queues_deleted),
    ):  # fmt: skip
        yield CounterMetricFamily(name, help_text, value=value)
    yield GaugeMetricFamily("amqp_connections", "Open client connections.",
                            value=len(b.connections))  # fmt: skip
    yield GaugeMetricFamily("amqp_channels", "Open channels.",
                            value=sum(len(cn.channels) for cn in b.connections))  # fmt: skip
    yield GaugeMetricFamily("amqp_consumers", "Consumers.",
                            value=sum(len(q.consumers) for v in b.vhosts.values()
                                      for q in v.queues.values()))  # fmt: skip
    yield GaugeMetricFamily("amqp_queues", "Queues.", value=nq)
    yield GaugeMetricFamily("amqp_message_bytes_in_memory",
                            "Bytes of message bodies held in memory (the rest is paged to disk).",
                            value=b.memory_used)  # fmt: skip
    yield GaugeMetricFamily("amqp_resource_alarm", "1 while publishers are blocked.",
                            value=1 if b.alarm else 0)  # fmt: skip
