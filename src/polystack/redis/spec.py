"""Redis's declaration for the runtime: its config section, port, flags and fixture."""

from __future__ import annotations

from dataclasses import dataclass

from polystack.redis.limits import parse_output_limits, parse_save_points
from polystack.runtime.spec import Option, Port, SystemSpec, check_choice, check_range

# client-output-buffer-limit as Redis 7.0 ships it: class, hard, soft, soft seconds.
DEFAULT_OUTPUT_LIMITS = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"


@dataclass(slots=True)
class RedisConfig:
    port: int = 6379
    appendonly: bool = True
    appendfsync: str = "everysec"
    requirepass: str = ""
    databases: int = 16
    maxclients: int = 10000
    hz: int = 10
    client_query_buffer_limit: int = 1024 * 1024 * 1024
    client_output_buffer_limit: str = DEFAULT_OUTPUT_LIMITS
    proto_max_bulk_len: int = 512 * 1024 * 1024
    auto_aof_rewrite_percentage: int = 100
    auto_aof_rewrite_min_size: int = 64 * 1024 * 1024
    timeout: int = 0
    maxmemory: int = 0
    maxmemory_policy: str = "noeviction"
    # RDB files (dump.rdb): where, how, and the save points ("" = none: polystack's journal is
    # its durability; a redis.conf without a save line gets Redis's "3600 1 300 100 60 10000").
    dir: str = ""  # "" = the Redis data directory
    dbfilename: str = "dump.rdb"
    rdbcompression: bool = True
    rdbchecksum: bool = True
    save: str = ""
    stop_writes_on_bgsave_error: bool = True
    # A redis.conf to read (``polystack serve --redis-config``); CONFIG REWRITE rewrites it.
    redis_config: str | None = None

    def validate(self) -> None:
        check_choice("redis.appendfsync", self.appendfsync, ("always", "everysec", "no"))
        check_range("redis.databases", self.databases, 1, 1 << 20)
        check_range("redis.maxclients", self.maxclients, 1, 1 << 20)
        check_range("redis.hz", self.hz, 1, 500)
        try:
            parse_save_points(self.save)
        except ValueError:
            raise ValueError(f"redis.save: invalid save points {self.save!r}") from None
        if "/" in self.dbfilename or not self.dbfilename:
            raise ValueError("redis.dbfilename: dbfilename can't be a path, just a filename")
        try:
            parse_output_limits(self.client_output_buffer_limit)
        except ValueError as e:
            raise ValueError(f"redis.client_output_buffer_limit: {e}") from None


SPEC = SystemSpec(
    name="redis",
    title="Redis",
    config=RedisConfig,
    service="polystack.redis.service:RedisService",
    ports=(Port("redis", "port", 6379, "redis"),),
    options=(
        Option(
            "--appendfsync",
            "appendfsync",
            "Redis log fsync policy [default: everysec].",
            choices=("always", "everysec", "no"),
        ),
        Option("--requirepass", "requirepass", "Redis password (AUTH)."),
        Option(
            "--redis-config",
            "redis_config",
            "Read a redis.conf (Redis's own format); flags and polystack's config override it.",
            type="path",
            apply="polystack.redis.conf:cli_overrides",
        ),
    ),
    fixture="polystack_redis_url",
    description="RESP2/RESP3 key-value server",
)
