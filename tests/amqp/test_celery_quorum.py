"""Celery with ``task_default_queue_type = "quorum"`` on polystack."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from .celery_quorum_app import app, double

pytestmark = pytest.mark.slow


def test_quorum_default_queue(amqp_server):
    port = amqp_server.ports["amqp"]
    app.conf.update(
        broker_url=f"amqp://guest:guest@127.0.0.1:{port}//",
        result_backend="rpc://",
        task_default_queue="polystack-quorum",
        task_default_queue_type="quorum",
        broker_transport_options={"confirm_publish": True},
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=True,
                      loglevel="WARNING", shutdown_timeout=30):  # fmt: skip
        assert double.delay(21).get(timeout=10) == 42
    q = amqp_server.service("amqp").broker.vhosts["/"].queues["polystack-quorum"]
    assert q.type == "quorum" and q.durable
