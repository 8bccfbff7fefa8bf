"""Sentinel's declaration for the runtime: ``polystack serve --only sentinel --sentinel-config
sentinel.conf`` (default port 26379).  Not started by a plain ``polystack serve``: a Sentinel
is asked for by name, as redis-sentinel is its own program."""

from __future__ import annotations

from dataclasses import dataclass

from polystack.runtime.spec import Option, Port, SystemSpec


@dataclass(slots=True)
class SentinelConfig:
    port: int = 26379
    # The sentinel.conf to read and to keep rewriting with the Sentinel's state (as
    # redis-sentinel does); without one, <data_dir>/sentinel/sentinel.conf.
    sentinel_config: str | None = None
    requirepass: str = ""

    def validate(self) -> None:
        pass


SPEC = SystemSpec(
    name="sentinel",
    title="Redis Sentinel",
    config=SentinelConfig,
    service="polystack.redis.sentinel.service:SentinelService",
    ports=(Port("sentinel", "port", 26379, "redis"),),
    options=(
        Option(
            "--sentinel-config",
            "sentinel_config",
            "Read (and keep rewriting) a sentinel.conf.",
            type="path",
            apply="polystack.redis.conf:sentinel_cli_overrides",
        ),
    ),
    # No session fixture: the shared test server starts the default systems only; tests start
    # Sentinels with polystack.testing.serve(sentinel=True, config_overrides=...).
    description="Redis Sentinel: monitoring and automatic failover",
    default=False,
)
