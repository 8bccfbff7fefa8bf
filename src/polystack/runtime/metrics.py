"""Prometheus metrics: one ``prometheus_client.CollectorRegistry`` per server, served on the
admin port at ``/metrics``.

Services add collectors with :func:`register` (``register(ctx.registry, fn)``): ``fn()`` returns
metric families (``prometheus_client.core.CounterMetricFamily`` ...) built at scrape time from
the servers' own counters, so the hot paths pay nothing for metrics.  The runtime's own
families (connections, bytes, logs, fsync latency, resource alarms, readiness) are registered by
``runtime/server.py`` through :func:`runtime_collector`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from polystack.runtime.alarms import ResourceAlarms
    from polystack.runtime.connection import ListenerState
    from polystack.runtime.health import LoopMonitor
    from polystack.runtime.service import ServerContext

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FSYNC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

__all__ = [
    "CounterMetricFamily",
    "GaugeMetricFamily",
    "new_registry",
    "register",
    "render",
]


class ServerView(Protocol):
    """What the runtime's collector reads of a server (``runtime/server.py``'s ``Server``)."""

    listener_states: list[ListenerState]
    contexts: dict[str, ServerContext]
    alarms: ResourceAlarms | None
    ready: bool
    health_monitor: LoopMonitor

    def uptime(self) -> float: ...


class FunctionCollector:
    """A collector whose ``collect()`` is a plain function."""

    def __init__(self, fn: Callable[[], Iterable[Metric]]) -> None:
        self.fn = fn

    def collect(self) -> Iterable[Metric]:
        try:
            return list(self.fn())
        except Exception:
            log.exception("a metrics collector failed")
            return []


def new_registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=False)


def register(registry: CollectorRegistry, fn: Callable[[], Iterable[Metric]]) -> None:
    """Add ``fn`` (returning metric families) to ``registry``."""
    registry.register(FunctionCollector(fn))


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition format (version 0.0.4)."""
    return generate_latest(registry)


def fsync_histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "polystack_log_fsync_seconds",
        "Time an fsync of a log took.",
        ["system"],
        buckets=FSYNC_BUCKETS,
        registry=registry,
    )


def runtime_collector(server: ServerView) -> Callable[[], Iterable[Metric]]:
    """The runtime's families for ``server``."""

    def collect() -> Iterable[Metric]:
        labels = ["system", "listener"]
        current = GaugeMetricFamily(
            "polystack_connections", "Open client connections.", labels=labels
        )
        accepted = CounterMetricFamily(
            "polystack_connections_accepted", "Client connections accepted.", labels=labels
        )
        rejected = CounterMetricFamily(
            "polystack_connections_rejected",
            "Client connections refused because the listener was at its client limit.",
            labels=labels,
        )
        limited = CounterMetricFamily(
            "polystack_output_limit_disconnections",
            "Clients closed because their pending output passed its limit.",
            labels=labels,
        )
        bin_ = CounterMetricFamily(
            "polystack_received_bytes", "Bytes received from clients.", labels=labels
        )
        bout = CounterMetricFamily("polystack_sent_bytes", "Bytes sent to clients.", labels=labels)
        for st in server.listener_states:
            lv = [st.system, st.name]
            current.add_metric(lv, len(st.clients))
            accepted.add_metric(lv, st.total_connections - st.rejected_connections)
            rejected.add_metric(lv, st.rejected_connections)
            limited.add_metric(lv, st.output_limit_disconnections)
            bin_.add_metric(lv, st.bytes_in)
            bout.add_metric(lv, st.bytes_out)
        yield from (current, accepted, rejected, limited, bin_, bout)

        appends = CounterMetricFamily(
            "polystack_log_appends", "Records appended to the logs.", labels=["system"]
        )
        fsyncs = CounterMetricFamily("polystack_log_fsyncs", "Log fsyncs.", labels=["system"])
        errors = CounterMetricFamily(
            "polystack_log_errors", "Failed log writes and fsyncs.", labels=["system", "op"]
        )
        size = GaugeMetricFamily(
            "polystack_log_size_bytes", "Size of each open log file.", labels=["system", "file"]
        )
        failed = GaugeMetricFamily(
            "polystack_log_failed",
            "1 while a log's write or fsync is failing (writes are refused meanwhile).",
            labels=["system", "file"],
        )
        snap = GaugeMetricFamily(
            "polystack_snapshot_size_bytes",
            "Size of the latest snapshot.",
            labels=["system", "file"],
        )
        for name, ctx in server.contexts.items():
            group = ctx.logs
            appends.add_metric([name], group.appends_total)
            fsyncs.add_metric([name], group.fsyncs)
            errors.add_metric([name, "write"], group.write_errors)
            errors.add_metric([name, "fsync"], group.fsync_errors)
            for lg in group.logs:
                size.add_metric([name, lg.path.name], lg.size)
                failed.add_metric([name, lg.path.name], 1 if lg.error is not None else 0)
            for j in group.journals:
                snap.add_metric([name, j.snapshot_path.name], j.snapshot_size)
        yield from (appends, fsyncs, errors, size, failed, snap)

        alarms = server.alarms
        if alarms is not None:
            state = GaugeMetricFamily(
                "polystack_resource_alarm",
                "1 while the resource alarm is raised.",
                labels=["resource"],
            )
            for resource, on in alarms.active.items():
                state.add_metric([resource], 1 if on else 0)
            yield state
            yield GaugeMetricFamily(
                "polystack_resident_memory_bytes",
                "Resident memory of the process.",
                value=alarms.rss,
            )
            yield GaugeMetricFamily(
                "polystack_memory_high_watermark_bytes",
                "Memory alarm threshold (0: off).",
                value=alarms.memory_limit,
            )
            yield GaugeMetricFamily(
                "polystack_disk_free_bytes",
                "Free disk space at the data directory.",
                value=alarms.disk_free,
            )
            yield GaugeMetricFamily(
                "polystack_disk_free_limit_bytes",
                "Disk alarm threshold (0: off).",
                value=alarms.disk_limit,
            )
        yield GaugeMetricFamily(
            "polystack_ready",
            "1 once every service recovered its data and listens.",
            value=int(server.ready),
        )
        yield GaugeMetricFamily(
            "polystack_uptime_seconds", "Seconds since the server started.", value=server.uptime()
        )
        yield GaugeMetricFamily(
            "polystack_event_loop_lag_seconds",
            "Longest delay of the event loop over the last health window.",
            value=server.health_monitor.recent_lag(),
        )

    return collect
