"""A Celery app whose tasks the tests run on polystack (broker and rpc:// result backend)."""

from __future__ import annotations

import time

from celery import Celery
from celery.contrib.testing import tasks as _ping  # noqa: F401  (celery.ping for the worker check)

app = Celery("polystack_tests")
ATTEMPTS: dict[str, int] = {}


@app.task
def add(x: int, y: int) -> int:
    return x + y


@app.task
def mul(x: int, y: int) -> int:
    return x * y


@app.task
def tsum(values: list[int]) -> int:
    return sum(values)


@app.task(bind=True, max_retries=3)
def flaky(self, key: str, fail_times: int) -> int:
    n = ATTEMPTS.get(key, 0) + 1
    ATTEMPTS[key] = n
    if n <= fail_times:
        raise self.retry(countdown=1)
    return n


@app.task
def sleepy(seconds: float) -> str:
    time.sleep(seconds)
    return "done"
