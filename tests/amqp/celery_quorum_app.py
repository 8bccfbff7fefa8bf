"""A second Celery app whose default queue is a quorum queue (what current Celery declares)."""

from __future__ import annotations

from celery import Celery
from celery.contrib.testing import tasks as _ping  # noqa: F401  (celery.ping for the worker check)

app = Celery("polystack_quorum_tests")


@app.task
def double(x: int) -> int:
    return 2 * x
