"""ZooKeeper's Prometheus families (computed at scrape time)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from polystack.runtime.metrics import CounterMetricFamily, GaugeMetricFamily

from .commands import TABLE
from .errors import Code

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from .zkserver import ZooKeeperServer


def collect(zk: ZooKeeperServer, serving: bool) -> Iterable[Metric]:
    """The families of one server; ``serving`` is false while its log cannot be written."""
    ops = CounterMetricFamily(
        "zookeeper_requests", "Requests processed, by operation.", labels=["op"]
    )
    for code, n in sorted(zk.op_counts.items()):
        spec = TABLE.get(code)
        ops.add_metric([spec.name if spec is not None else str(code)], n)
    yield ops
    errors = CounterMetricFamily(
        "zookeeper_errors", "Error replies, by ZooKeeper error code.", labels=["code"]
    )
    for code, n in sorted(zk.stats.errors.items()):
        try:
            name = Code(code).name
        except ValueError:
            name = str(code)
        errors.add_metric([name], n)
    yield errors
    yield GaugeMetricFamily(
        "zookeeper_znodes", "Znodes in the data tree.", value=len(zk.tree.nodes)
    )
    yield GaugeMetricFamily(
        "zookeeper_ephemerals",
        "Ephemeral znodes.",
        value=sum(len(v) for v in zk.tree.ephemerals.values()),
    )
    yield GaugeMetricFamily("zookeeper_sessions", "Live sessions.", value=len(zk.tracker.sessions))
    yield GaugeMetricFamily(
        "zookeeper_connections", "Client connections.", value=len(zk.connections)
    )
    watches = GaugeMetricFamily("zookeeper_watches", "Watches set, by kind.", labels=["kind"])
    watches.add_metric(["data"], _count(zk.data_watches))
    watches.add_metric(["child"], _count(zk.child_watches))
    yield watches
    yield GaugeMetricFamily(
        "zookeeper_last_zxid", "The last transaction id applied.", value=zk.last_zxid
    )
    yield GaugeMetricFamily(
        "zookeeper_serving",
        "0 while the transaction log cannot be written (no client is served).",
        value=1 if serving else 0,
    )


def _count(manager: object) -> int:
    table = getattr(manager, "table", {})
    return sum(len(v) for v in table.values())
