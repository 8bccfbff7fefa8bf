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
    # Replication (replicaof "host port" makes this server a replica at start)
    replicaof: str = ""
    masterauth: str = ""
    masteruser: str = ""
    replica_read_only: bool = True
    replica_serve_stale_data: bool = True
    replica_priority: int = 100
    replica_announce_ip: str = ""
    replica_announce_port: int = 0
    replica_announced: bool = True
    repl_backlog_size: int = 1024 * 1024
    repl_backlog_ttl: int = 3600
    repl_timeout: int = 60
    repl_ping_replica_period: int = 10
    repl_diskless_sync: bool = True
    repl_diskless_sync_delay: int = 5
    repl_diskless_sync_max_replicas: int = 0
    repl_diskless_load: str = "disabled"
    min_replicas_to_write: int = 0
    min_replicas_max_lag: int = 10
    # A redis.conf to read (``polystack serve --redis-config``); CONFIG REWRITE rewrites it.
    redis_config: str | None = None
    # Security (README "Security"): DEBUG and the protected configs (dir, dbfilename) are
    # refused unless "yes" (or "local": from 127.0.0.1/::1), as in Redis 7; protected mode
    # answers clients from other addresses with -DENIED while no password is set; SHUTDOWN
    # stops the Redis service alone ("redis") or the whole process ("process").
    enable_debug_command: str = "no"
    enable_protected_configs: str = "no"
    protected_mode: bool = True
    shutdown_scope: str = "redis"
    # Redis Cluster (docs/redis-compatibility.md, "Cluster"); cluster_nodes > 0 starts that
    # many masters (and cluster_replicas replicas each) in this process, joined, slots assigned
    cluster_enabled: bool = False
    cluster_config_file: str = "nodes.conf"
    cluster_node_timeout: int = 15000
    cluster_port: int = 0
    cluster_announce_ip: str = ""
    cluster_announce_port: int = 0
    cluster_announce_bus_port: int = 0
    cluster_announce_hostname: str = ""
    cluster_preferred_endpoint_type: str = "ip"
    cluster_require_full_coverage: bool = True
    cluster_allow_reads_when_down: bool = False
    cluster_allow_pubsubshard_when_down: bool = True
    cluster_replica_validity_factor: int = 10
    cluster_replica_no_failover: bool = False
    cluster_allow_replica_migration: bool = True
    cluster_migration_barrier: int = 1
    cluster_nodes: int = 0
    cluster_replicas: int = 0

    def validate(self) -> None:
        check_choice("redis.appendfsync", self.appendfsync, ("always", "everysec", "no"))
        check_range("redis.databases", self.databases, 1, 1 << 20)
        check_range("redis.maxclients", self.maxclients, 1, 1 << 20)
        check_range("redis.hz", self.hz, 1, 500)
        for key in ("enable_debug_command", "enable_protected_configs"):
            check_choice(f"redis.{key}", getattr(self, key), ("no", "yes", "local"))
        check_choice("redis.shutdown_scope", self.shutdown_scope, ("redis", "process"))
        check_range("redis.cluster_nodes", self.cluster_nodes, 0, 1000)
        check_range("redis.cluster_replicas", self.cluster_replicas, 0, 100)
        check_range("redis.cluster_port", self.cluster_port, 0, 65535)
        check_choice(
            "redis.cluster_preferred_endpoint_type",
            self.cluster_preferred_endpoint_type,
            ("ip", "hostname", "unknown-endpoint"),
        )
        try:
            parse_save_points(self.save)
        except ValueError:
            raise ValueError(f"redis.save: invalid save points {self.save!r}") from None
        check_range("redis.repl_backlog_size", self.repl_backlog_size, 1, 1 << 40)
        check_range("redis.repl_timeout", self.repl_timeout, 1, 1 << 31)
        check_range("redis.repl_ping_replica_period", self.repl_ping_replica_period, 1, 1 << 31)
        check_choice(
            "redis.repl_diskless_load",
            self.repl_diskless_load,
            ("disabled", "on-empty-db", "swapdb"),
        )
        if self.replicaof and len(self.replicaof.split()) != 2:
            raise ValueError("redis.replicaof: must be 'host port'")
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
        Option(
            "--redis-cluster",
            "cluster_nodes",
            "Start a Redis Cluster of N masters in this process on consecutive ports, joined "
            "and with the slots assigned.",
            type=int,
        ),
        Option(
            "--redis-cluster-replicas",
            "cluster_replicas",
            "Replicas per master with --redis-cluster [default: 0].",
            type=int,
        ),
    ),
    fixture="polystack_redis_url",
    description="RESP2/RESP3 key-value server",
)
