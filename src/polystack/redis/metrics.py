"""Redis's Prometheus families (computed at scrape time from the server's own counters)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client.core import Metric

from polystack.runtime.metrics import CounterMetricFamily, GaugeMetricFamily, register


def register_service(service: Any, commands: dict[bytes, Any]) -> None:
    """Add the families of ``service`` (the RedisService) and its command table."""
    register(service.ctx.registry, lambda: collect(service, commands))


def collect(s: Any, commands: dict[bytes, Any]) -> Iterable[Metric]:
    calls = CounterMetricFamily(
        "redis_commands", "Commands processed, by command.", labels=["command"]
    )
    failed = CounterMetricFamily(
        "redis_commands_failed", "Commands that returned an error, by command.", labels=["command"]
    )
    rejected = CounterMetricFamily(
        "redis_commands_rejected",
        "Commands refused before running (arity, auth), by command.",
        labels=["command"],
    )
    for cmd in commands.values():
        for c in (cmd, *cmd.subcommands.values()):
            if c.calls or c.failed_calls or c.rejected_calls:
                name = c.full_name.lower()
                calls.add_metric([name], c.calls)
                failed.add_metric([name], c.failed_calls)
                rejected.add_metric([name], c.rejected_calls)
    yield from (calls, failed, rejected)
    errors = CounterMetricFamily("redis_errors", "Error replies, by error prefix.", labels=["kind"])
    for kind, n in sorted(s.error_counts.items()):
        errors.add_metric([kind], n)
    yield errors
    yield CounterMetricFamily(
        "redis_unknown_commands", "Requests naming no known command.", value=s.unknown_commands
    )
    keys = GaugeMetricFamily("redis_keys", "Keys, by database.", labels=["db"])
    expires = GaugeMetricFamily(
        "redis_keys_with_expiry", "Keys with a TTL, by database.", labels=["db"]
    )
    for db in s.keyspace.dbs:
        if len(db):
            keys.add_metric([str(db.id)], len(db))
            expires.add_metric([str(db.id)], len(db.expires))
    yield from (keys, expires)
    yield GaugeMetricFamily("redis_connected_clients", "Connected clients.", value=len(s.clients))
    yield GaugeMetricFamily(
        "redis_aof_last_write_ok",
        "0 while writes are refused with -MISCONF because the log cannot be written.",
        value=0 if s.aof_write_error else 1,
    )
    yield CounterMetricFamily(
        "redis_aof_rewrites", "Snapshots written (SAVE, BGSAVE, BGREWRITEAOF, auto-rewrite).",
        value=s.aof_rewrites,
    )  # fmt: skip
