"""Real applications on polystack's Redis: a Celery worker using it as broker and result
backend (chains, groups, chords, retries with countdown, ETA tasks, revokes), redis-py's Lock,
rate limiters (a sorted-set sliding window and a Lua token bucket) and an LRU cache under
maxmemory."""

from __future__ import annotations

import threading
import time

import pytest
import redis

import polystack.testing

celery = pytest.importorskip("celery")


@pytest.fixture(scope="module")
def app_server():
    with polystack.testing.serve(redis=True) as s:
        yield s


# -- Celery --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def celery_app(app_server):
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    url = f"redis://127.0.0.1:{app_server.redis_port}"
    app = Celery("polystack_apps", broker=f"{url}/0", backend=f"{url}/1")
    app.conf.update(
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": 30, "polling_interval": 0.1},
        result_expires=600,
        task_default_retry_delay=0,
    )
    attempts: dict[str, int] = {}

    @app.task(name="apps.add")
    def add(x, y):
        return x + y

    @app.task(name="apps.mul")
    def mul(x, y):
        return x * y

    @app.task(name="apps.xsum")
    def xsum(values):
        return sum(values)

    @app.task(bind=True, name="apps.flaky", max_retries=3)
    def flaky(self, key):
        attempts[key] = attempts.get(key, 0) + 1
        if attempts[key] < 3:
            raise self.retry(countdown=0.2)
        return attempts[key]

    @app.task(name="apps.stamp")
    def stamp():
        return time.time()

    app.attempts = attempts
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app


def _task(app, name):
    return app.tasks[name]


def test_celery_chain_group_chord(celery_app) -> None:
    from celery import chain, chord, group

    add, mul, xsum = (_task(celery_app, f"apps.{n}") for n in ("add", "mul", "xsum"))
    assert add.delay(2, 3).get(timeout=20) == 5
    assert chain(add.s(2, 3), mul.s(10), add.s(1)).apply_async().get(timeout=20) == 51
    assert group(add.s(i, i) for i in range(5)).apply_async().get(timeout=20) == [0, 2, 4, 6, 8]
    assert chord((mul.s(i, 2) for i in range(4)), xsum.s()).apply_async().get(timeout=30) == 12


def test_celery_retry_with_countdown(celery_app) -> None:
    flaky = _task(celery_app, "apps.flaky")
    started = time.monotonic()
    assert flaky.delay("r1").get(timeout=30) == 3
    assert time.monotonic() - started >= 0.4  # two retries 0.2 s apart, through the broker


def test_celery_eta_and_revoke(celery_app) -> None:
    stamp = _task(celery_app, "apps.stamp")
    before = time.time()
    eta = stamp.apply_async(countdown=1.0)
    assert eta.get(timeout=30) >= before + 0.9  # held until its ETA
    doomed = stamp.apply_async(countdown=3.0)
    doomed.revoke()
    with pytest.raises(celery.exceptions.TaskRevokedError):
        doomed.get(timeout=30)


# -- redis-py Lock -------------------------------------------------------------------------------


def test_redis_py_lock_excludes_and_expires(app_server) -> None:
    r = redis.Redis(port=app_server.redis_port)
    counter = {"n": 0, "inside": 0, "max": 0}

    def worker() -> None:
        c = redis.Redis(port=app_server.redis_port)
        for _ in range(20):
            with c.lock("app:lock", timeout=5, blocking_timeout=10):
                counter["inside"] += 1
                counter["max"] = max(counter["max"], counter["inside"])
                counter["n"] += 1
                counter["inside"] -= 1
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter == {"n": 80, "inside": 0, "max": 1}
    lock = r.lock("app:expiring", timeout=0.3)
    assert lock.acquire(blocking=False)
    assert not r.lock("app:expiring").acquire(blocking=False)
    assert lock.extend(0.3) and lock.owned()
    time.sleep(0.8)
    assert r.lock("app:expiring").acquire(blocking=False)  # the first holder's lease ran out
    r.close()


# -- rate limiters -------------------------------------------------------------------------------

SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return 1
"""

TOKEN_BUCKET = """
local key, rate, burst, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens, ts = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1 allowed = 1 end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000))
return allowed
"""


def test_sliding_window_rate_limiter(app_server) -> None:
    r = redis.Redis(port=app_server.redis_port)
    limiter = r.register_script(SLIDING_WINDOW)
    now = 1_000_000
    allowed = [limiter(keys=["rl:user"], args=[now + i, 1000, 5, f"req{i}"]) for i in range(8)]
    assert allowed == [1, 1, 1, 1, 1, 0, 0, 0]
    assert limiter(keys=["rl:user"], args=[now + 1001, 1000, 5, "late"]) == 1  # window slid
    assert r.zcard("rl:user") == 4 and 0 < r.pttl("rl:user") <= 1000
    r.close()


def test_token_bucket_rate_limiter(app_server) -> None:
    r = redis.Redis(port=app_server.redis_port)
    bucket = r.register_script(TOKEN_BUCKET)
    now = 5_000_000
    burst = [bucket(keys=["tb:api"], args=[10, 3, now]) for _ in range(5)]
    assert burst == [1, 1, 1, 0, 0]
    assert bucket(keys=["tb:api"], args=[10, 3, now + 100]) == 1  # one token refilled
    assert bucket(keys=["tb:api"], args=[10, 3, now + 100]) == 0
    r.close()


# -- an LRU cache under maxmemory -------------------------------------------------------------


def test_lru_cache_keeps_the_hot_set() -> None:
    """A cache that relies on allkeys-lru: the working set keeps being read, cold entries
    pour in, and maxmemory evicts the cold ones."""
    from polystack.runtime.clock import ManualClock

    with polystack.testing.serve(redis=True, clock=ManualClock()) as s:
        r = redis.Redis(port=s.redis_port)
        used = r.info("memory")["used_memory"]
        r.config_set("maxmemory-policy", "allkeys-lru")
        r.config_set("maxmemory-samples", 10)
        r.config_set("maxmemory", used + 400_000)
        hot = [f"hot:{i}" for i in range(50)]
        for k in hot:
            r.set(k, "h" * 1000)
        for i in range(2000):
            r.set(f"cold:{i}", "c" * 1000)
            if i % 25 == 0:  # a second passes; the hot set is read again
                s.advance(1)
                for k in hot:
                    r.get(k)
        info = r.info()
        assert info["used_memory"] <= used + 400_000
        assert info["evicted_keys"] > 1500
        survivors = sum(r.exists(k) for k in hot)
        assert survivors >= 45, survivors
        r.close()
