from __future__ import annotations

import pytest
import redis

import polystack.testing
from tests.redis import realredis


@pytest.fixture(scope="session")
def server():
    """polystack serving Redis on an ephemeral port for the whole test session, with DEBUG
    enabled (as Redis's own test suite starts its servers, and as the real server the
    differential tests compare with)."""
    with polystack.testing.serve(
        redis=True, config_overrides={"redis.enable_debug_command": "yes"}
    ) as s:
        yield s


@pytest.fixture
def r(server):
    """A redis-py client (RESP2) on a flushed polystack."""
    server.call(server.service("redis").flushall)
    client = redis.Redis(port=server.redis_port, protocol=2)
    yield client
    client.close()


@pytest.fixture
def r3(server):
    """A redis-py client speaking RESP3 on a flushed polystack."""
    server.call(server.service("redis").flushall)
    client = redis.Redis(port=server.redis_port, protocol=3)
    yield client
    client.close()


@pytest.fixture(scope="session")
def real_redis():
    """A real redis-server from Debian on a spare port (skipped when not installed)."""
    if not realredis.available():
        pytest.skip("redis-server is not installed (scripts/install-test-deps installs it)")
    rr = realredis.RealRedis()
    yield rr
    rr.stop()


# Redis 7.0's defaults for the settings scenarios change (restored before each comparison, so
# one scenario's CONFIG SET cannot leak into the next on the shared servers).
ENCODING_DEFAULTS = [
    ["CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64"],
    ["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64"],
    ["CONFIG", "SET", "set-max-intset-entries", "512", "list-max-listpack-size", "-2"],
    ["CONFIG", "SET", "list-compress-depth", "0", "hll-sparse-max-bytes", "3000"],
    ["CONFIG", "SET", "stream-node-max-bytes", "4096", "stream-node-max-entries", "100"],
    ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
]


@pytest.fixture
def differ(server, real_redis):
    """``differ(commands, resp=2)`` sends the same commands to both servers (both flushed
    first) and returns the two lists of raw replies."""

    def run(commands: list[list], resp: int = 2) -> tuple[list[bytes], list[bytes]]:
        for port in (server.redis_port, real_redis.port):
            realredis.exchange(port, [["FLUSHALL"], *ENCODING_DEFAULTS])
        ours = realredis.exchange(server.redis_port, commands, resp)
        theirs = realredis.exchange(real_redis.port, commands, resp)
        return ours, theirs

    return run
