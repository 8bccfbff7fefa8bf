"""MULTI/EXEC/DISCARD/WATCH/UNWATCH: queueing, EXECABORT, no rollback, WATCH invalidated by
writes (any client), expiry, FLUSHDB/FLUSHALL/SWAPDB; through redis-py and against Redis."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
import redis.asyncio

import polystack.testing
from tests.redis import scenario

# -- through redis-py ---------------------------------------------------------------------


def test_pipeline_transaction(r) -> None:
    with r.pipeline() as pipe:
        pipe.set("a", 1)
        pipe.incr("a")
        pipe.get("a")
        assert pipe.execute() == [True, 2, b"2"]


def test_runtime_errors_do_not_roll_back(r) -> None:
    with r.pipeline() as pipe:
        pipe.set("a", "x")
        pipe.incr("a")
        pipe.set("b", "y")
        res = pipe.execute(raise_on_error=False)
    assert res[0] is True and isinstance(res[1], redis.ResponseError) and res[2] is True
    assert r.get("b") == b"y"


def test_queue_error_aborts_the_whole_transaction(r) -> None:
    with r.pipeline() as pipe:
        pipe.set("a", "x")
        pipe.execute_command("NOSUCHCOMMAND")
        with pytest.raises(redis.ResponseError, match="unknown command .NOSUCHCOMMAND."):
            pipe.execute()
    assert r.get("a") is None


def test_watch_other_client_write_fails_exec(r, server) -> None:
    other = redis.Redis(port=server.redis_port)
    r.set("k", 1)
    with r.pipeline() as pipe:
        pipe.watch("k")
        other.set("k", 2)
        pipe.multi()
        pipe.incr("k")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("k") == b"2"
    other.close()


def test_watch_cas_retry_loop(r) -> None:
    """The classic optimistic-locking loop (redis-py's transaction helper)."""
    r.set("counter", 10)

    def bump(pipe):
        value = int(pipe.get("counter"))
        pipe.multi()
        pipe.set("counter", value + 1)

    for _ in range(5):
        r.transaction(bump, "counter")
    assert r.get("counter") == b"15"


def test_watch_expired_key_fails_exec(r) -> None:
    r.set("e", 1, px=30)
    with r.pipeline() as pipe:
        pipe.watch("e")
        time.sleep(0.06)
        pipe.multi()
        pipe.set("other", 1)
        with pytest.raises(redis.WatchError):
            pipe.execute()


def test_transaction_is_logged_atomically(tmp_path) -> None:
    with polystack.testing.serve(
        redis=True, data_dir=tmp_path, config_overrides={"redis.appendonly": True}
    ) as s:
        r = redis.Redis(port=s.redis_port)
        with r.pipeline() as pipe:
            pipe.set("x", 1).incr("x").set("y", "z", ex=100)
            pipe.execute()
        r.close()
    with polystack.testing.serve(
        redis=True, data_dir=tmp_path, config_overrides={"redis.appendonly": True}
    ) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.get("x") == b"2" and r.get("y") == b"z" and 0 < r.ttl("y") <= 100
        r.close()


def test_asyncio_transaction(server) -> None:
    async def main() -> None:
        r = redis.asyncio.Redis(port=server.redis_port)
        async with r.pipeline(transaction=True) as pipe:
            pipe.set("ak", "1")
            pipe.incrby("ak", 4)
            assert await pipe.execute() == [True, 5]
        await r.aclose()

    asyncio.run(main())


# -- against the real server ---------------------------------------------------------------

TX_SCENARIOS = {
    "basic": [
        ("a", "MULTI"),
        ("a", "SET", "k", "v"),
        ("a", "INCR", "n"),
        ("a", "GET", "k"),
        ("a", "EXEC"),
        ("a", "EXEC"),
        ("a", "DISCARD"),
    ],
    "queue-errors-abort": [
        ("a", "MULTI"),
        ("a", "SET", "k", "v"),
        ("a", "NOSUCHCMD", "x"),
        ("a", "GET"),
        ("a", "CONFIG", "NOSUCH"),
        ("a", "EXEC"),
        ("a", "GET", "k"),
    ],
    "runtime-errors-no-rollback": [
        ("a", "MULTI"),
        ("a", "SET", "k", "v"),
        ("a", "INCR", "k"),
        ("a", "SET", "j", "w"),
        ("a", "EXEC"),
        ("a", "MGET", "k", "j"),
    ],
    "nesting-and-misuse": [
        ("a", "MULTI"),
        ("a", "MULTI"),
        ("a", "WATCH", "x"),
        ("a", "SET", "k", "1"),
        ("a", "EXEC"),
        ("a", "DISCARD"),
        ("a", "UNWATCH"),
        ("a", "MULTI"),
        ("a", "DISCARD"),
        ("a", "GET", "k"),
        ("a", "MULTI"),
        ("a", "SAVE"),
        ("a", "EXEC"),
    ],
    "watch-other-client": [
        ("a", "SET", "k", "1"),
        ("a", "WATCH", "k"),
        ("b", "SET", "k", "2"),
        ("a", "MULTI"),
        ("a", "INCR", "k"),
        ("a", "EXEC"),
        ("a", "GET", "k"),
    ],
    "watch-own-write": [
        ("a", "WATCH", "k"),
        ("a", "SET", "k", "2"),
        ("a", "MULTI"),
        ("a", "INCR", "k"),
        ("a", "EXEC"),
    ],
    "watch-untouched-and-unwatch": [
        ("a", "WATCH", "k", "j"),
        ("b", "SET", "other", "1"),
        ("b", "DEL", "k"),
        ("a", "MULTI"),
        ("a", "SET", "k", "1"),
        ("a", "EXEC"),
        ("a", "WATCH", "k"),
        ("b", "SET", "k", "3"),
        ("a", "UNWATCH"),
        ("a", "MULTI"),
        ("a", "GET", "k"),
        ("a", "EXEC"),
    ],
    "watch-discard-forgets": [
        ("a", "WATCH", "k"),
        ("a", "MULTI"),
        ("b", "SET", "k", "x"),
        ("a", "DISCARD"),
        ("a", "MULTI"),
        ("a", "GET", "k"),
        ("a", "EXEC"),
    ],
    "watch-flushdb": [
        ("a", "SET", "k", "1"),
        ("a", "WATCH", "k", "absent"),
        ("b", "FLUSHDB"),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
        ("a", "WATCH", "absent"),
        ("b", "FLUSHALL"),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
    ],
    "watch-flush-other-db": [
        ("a", "SET", "k", "1"),
        ("a", "WATCH", "k"),
        ("b", "SELECT", "2"),
        ("b", "FLUSHDB"),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
    ],
    "watch-swapdb": [
        ("b", "SELECT", "1"),
        ("b", "SET", "k", "other"),
        ("a", "WATCH", "k"),
        ("b", "SWAPDB", "0", "1"),
        ("a", "MULTI"),
        ("a", "GET", "k"),
        ("a", "EXEC"),
    ],
    "watch-expire-commands": [
        ("a", "SET", "k", "1"),
        ("a", "WATCH", "k"),
        ("b", "EXPIRE", "k", "100"),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
        ("a", "WATCH", "k"),
        ("b", "PERSIST", "k"),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
    ],
    "watch-key-expiring": [
        ("a", "SET", "k", "1", "PX", "20"),
        ("a", "WATCH", "k"),
        ("sleep", 0.05),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
    ],
    "watch-already-expired": [
        ("a", "DEBUG", "SET-ACTIVE-EXPIRE", "0"),
        ("a", "SET", "k", "1", "PX", "1"),
        ("sleep", 0.02),
        ("a", "WATCH", "k"),
        ("b", "GET", "k"),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
        ("a", "SET", "k2", "1", "PX", "1"),
        ("sleep", 0.02),
        ("a", "WATCH", "k2"),
        ("b", "SET", "k2", "new"),
        ("a", "MULTI"),
        ("a", "PING"),
        ("a", "EXEC"),
        ("a", "DEBUG", "SET-ACTIVE-EXPIRE", "1"),
    ],
    "watch-inside-exec-and-select": [
        ("a", "SELECT", "3"),
        ("a", "WATCH", "k"),
        ("b", "SET", "k", "in-db-0"),
        ("a", "MULTI"),
        ("a", "SET", "k", "x"),
        ("a", "EXEC"),
        ("b", "SELECT", "3"),
        ("b", "GET", "k"),
        ("b", "FLUSHDB"),
    ],
    "resp3": [
        ("a", "hello3"),
        ("a", "WATCH", "k"),
        ("b", "SET", "k", "1"),
        ("a", "MULTI"),
        ("a", "GET", "k"),
        ("a", "EXEC"),
        ("a", "MULTI"),
        ("a", "SET", "k", "2"),
        ("a", "GET", "k"),
        ("a", "EXEC"),
    ],
    "exec-without-multi-and-arity": [
        ("a", "EXEC", "x"),
        ("a", "MULTI", "x"),
        ("a", "WATCH"),
        ("a", "UNWATCH", "x"),
        ("a", "DISCARD", "x"),
    ],
}


@pytest.mark.differential
@pytest.mark.parametrize("name", sorted(TX_SCENARIOS))
def test_transactions_like_redis(server, real_redis, name) -> None:
    ours, theirs = scenario.compare(server.redis_port, real_redis.port, TX_SCENARIOS[name])
    assert ours == theirs
