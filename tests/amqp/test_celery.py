"""A Celery worker running real tasks with polystack as the broker and the rpc:// backend."""

from __future__ import annotations

import pytest
from celery import chain, group
from celery.contrib.testing.worker import start_worker

from . import celery_app
from .celery_app import add, app, flaky, mul, sleepy, tsum

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def worker(amqp_server):
    app.conf.update(
        broker_url=f"amqp://guest:guest@127.0.0.1:{amqp_server.ports['amqp']}//",
        result_backend="rpc://",
        task_default_queue="polystack-celery",
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
    )
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=True,
                      loglevel="WARNING", shutdown_timeout=10):  # fmt: skip
        yield app


def test_task_result_over_rpc_backend(worker):
    assert add.delay(2, 3).get(timeout=10) == 5


def test_chain_and_group(worker):
    assert chain(add.s(1, 2), mul.s(10))().get(timeout=10) == 30
    res = group(add.s(i, i) for i in range(5))().get(timeout=10)
    assert res == [0, 2, 4, 6, 8]
    # a group chained into a task is a chord, which Celery's rpc:// backend refuses itself;
    # the group's results feed the next task by hand instead
    assert tsum.delay(group(add.s(i, 1) for i in range(3))().get(timeout=10)).get(timeout=10) == 6


def test_retry_with_countdown(worker):
    celery_app.ATTEMPTS.clear()
    assert flaky.delay("k", 2).get(timeout=20) == 3


def test_revoke(worker):
    res = add.apply_async((1, 1), countdown=3)
    res.revoke()
    with pytest.raises(Exception) as e:
        res.get(timeout=10)
    assert "revoked" in repr(e.value).lower()
    assert sleepy.delay(0.1).get(timeout=10) == "done"
