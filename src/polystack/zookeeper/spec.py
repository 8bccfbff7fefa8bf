"""ZooKeeper's declaration for the runtime: its config section, port, flags and fixture."""

from __future__ import annotations

from dataclasses import dataclass

from polystack.runtime.spec import Option, Port, SystemSpec, check_choice, check_range


@dataclass(slots=True)
class ZooKeeperConfig:
    port: int = 2181
    tick_time: int = 2000
    min_session_timeout: int | None = None
    max_session_timeout: int | None = None
    max_client_cnxns: int = 60
    four_letter_whitelist: str = "srvr"
    jute_maxbuffer: int = 0xFFFFF
    fsync: str = "always"
    data_log_dir: str | None = None
    autopurge_snap_retain_count: int = 3
    autopurge_purge_interval: int = 0
    zoo_cfg: str | None = None
    snap_count: int = 100000
    extended_types_enabled: bool = True
    container_check_interval_ms: int = 60000
    super_digest: str = ""
    # Pending output (replies and watch events) after which a client that does not read is
    # disconnected; 0 disables the limit.
    client_output_limit: int = 64 * 1024 * 1024
    # ms a connection may stay idle before its ConnectRequest (zookeeper.nio.
    # sessionlessCnxnTimeout); 0 disables it
    sessionless_cnxn_timeout: int = 10000

    def validate(self) -> None:
        check_choice("zookeeper.fsync", self.fsync, ("always", "everysec", "no"))
        check_range("zookeeper.tick_time", self.tick_time, 1, 1 << 30)
        check_range("zookeeper.snap_count", self.snap_count, 1, 1 << 31)
        check_range("zookeeper.jute_maxbuffer", self.jute_maxbuffer, 1, 1 << 31)
        check_range(
            "zookeeper.container_check_interval_ms", self.container_check_interval_ms, 1, 1 << 31
        )
        check_range("zookeeper.client_output_limit", self.client_output_limit, 0, 1 << 40)
        check_range("zookeeper.sessionless_cnxn_timeout", self.sessionless_cnxn_timeout, 0, 1 << 31)


SPEC = SystemSpec(
    name="zookeeper",
    title="ZooKeeper",
    config=ZooKeeperConfig,
    service="polystack.zookeeper.service:ZooKeeperService",
    ports=(Port("zookeeper", "port", 2181, "zk", url_path=""),),
    options=(
        Option(
            "--zookeeper-config",
            "zoo_cfg",
            "Read a ZooKeeper zoo.cfg.",
            type="path",
            apply="polystack.zookeeper.zoocfg:cli_overrides",
        ),
    ),
    fixture="polystack_zookeeper_hosts",
    fixture_value="hostport",
    description="ZooKeeper (jute) coordination service",
)
