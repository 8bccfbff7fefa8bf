"""What a Sentinel knows about each instance (sentinelRedisInstance): a monitored master, its
replicas (found in the master's INFO) and the other Sentinels (found through hellos), their
links, what their INFO last said, and how SENTINEL MASTER/REPLICAS/SENTINELS report them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MASTER, SLAVE, SENTINEL = "master", "slave", "sentinel"

# Failover states (sentinel.c's SENTINEL_FAILOVER_STATE_*), as SENTINEL MASTER names them.
FAILOVER_NONE = "none"
WAIT_START = "wait_start"
SELECT_SLAVE = "select_slave"
SEND_SLAVEOF_NOONE = "send_slaveof_noone"
WAIT_PROMOTION = "wait_promotion"
RECONF_SLAVES = "reconf_slaves"
UPDATE_CONFIG = "update_config"


@dataclass(eq=False)
class Instance:
    kind: str  # MASTER, SLAVE or SENTINEL
    name: str  # the master's name; "ip:port" for replicas and Sentinels
    host: str
    port: int
    runid: str = ""
    master: Instance | None = None  # a replica's or Sentinel's master
    # links
    cc: Any = None  # command link
    pc: Any = None  # pub/sub link (masters and replicas)
    connecting: set[str] = field(default_factory=set)
    link_down_since: float = 0.0
    last_reconn: dict[str, float] = field(default_factory=dict)
    # liveness (ms timestamps of the Sentinel's clock)
    act_ping_time: float = 0.0
    last_ping_time: float = 0.0
    last_avail_time: float = 0.0
    last_pong_time: float = 0.0
    last_pub_time: float = 0.0
    last_hello_time: float = 0.0
    last_master_down_reply_time: float = 0.0
    s_down_since: float = 0.0
    o_down_since: float = 0.0
    flags: set[str] = field(default_factory=set)  # s_down, o_down, master_down, ...
    # INFO
    info_refresh: float = 0.0
    role_reported: str = ""
    role_reported_time: float = 0.0
    slave_conf_change_time: float = 0.0
    master_link_down_time: int = 0
    slave_master_host: str = ""
    slave_master_port: int = 0
    slave_master_link_status: str = "err"
    slave_priority: int = 100
    slave_repl_offset: int = 0
    replica_announced: bool = True
    info_text: str = ""
    # masters only
    quorum: int = 2
    down_after: int = 30000
    failover_timeout: int = 180000
    parallel_syncs: int = 1
    auth_pass: str = ""
    auth_user: str = ""
    config_epoch: int = 0
    replicas: dict[str, Instance] = field(default_factory=dict)  # "ip:port" -> replica
    sentinels: dict[str, Instance] = field(default_factory=dict)  # "ip:port" -> Sentinel
    leader: str = ""
    leader_epoch: int = 0
    failover_state: str = FAILOVER_NONE
    failover_epoch: int = 0
    failover_start_time: float = 0.0
    failover_state_change_time: float = 0.0
    failover_delay_logged: float = 0.0
    promoted: Instance | None = None
    renamed: dict[str, str] = field(default_factory=dict)
    # a replica during a failover's reconfiguration
    reconf: str = ""  # "", "sent", "inprog", "done"
    reconf_sent_time: float = 0.0

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    def flag_names(self) -> str:
        """The flags field as sentinel.c spells it."""
        out = [self.kind]
        for f in ("s_down", "o_down", "master_down", "failover_in_progress", "promoted"):
            if f in self.flags:
                out.append(f)
        if self.reconf:
            out.append(
                {"sent": "reconf_sent", "inprog": "reconf_inprog", "done": "reconf_done"}[
                    self.reconf
                ]
            )
        if self.cc is None or (self.kind != SENTINEL and self.pc is None):
            out.append("disconnected")
        return ",".join(out)

    def describe(self, now: float) -> dict[bytes, bytes]:
        """addReplySentinelRedisInstance: field -> value (a map in RESP3, a flat array in
        RESP2)."""

        def ms(t: float) -> int:
            return int(now - t)

        fields: list[tuple[str, Any]] = [
            ("name", self.name if self.kind == MASTER else self.addr),
            ("ip", self.host),
            ("port", self.port),
            ("runid", self.runid),
            ("flags", self.flag_names()),
            ("link-pending-commands", self.cc.pending if self.cc is not None else 0),
            ("link-refcount", 1),
        ]
        if "failover_in_progress" in self.flags:
            fields.append(("failover-state", self.failover_state))
        fields += [
            ("last-ping-sent", ms(self.act_ping_time) if self.act_ping_time else 0),
            ("last-ok-ping-reply", ms(self.last_avail_time)),
            ("last-ping-reply", ms(self.last_pong_time)),
        ]
        if "s_down" in self.flags:
            fields.append(("s-down-time", ms(self.s_down_since)))
        if "o_down" in self.flags:
            fields.append(("o-down-time", ms(self.o_down_since)))
        master = self if self.kind == MASTER else self.master
        assert master is not None, "a replica or Sentinel instance has its master"
        down_after = master.down_after
        fields.append(("down-after-milliseconds", down_after))
        if self.kind in (MASTER, SLAVE):
            fields += [
                ("info-refresh", ms(self.info_refresh) if self.info_refresh else 0),
                ("role-reported", self.role_reported or self.kind),
                ("role-reported-time", ms(self.role_reported_time)),
            ]
        if self.kind == MASTER:
            fields += [
                ("config-epoch", self.config_epoch),
                ("num-slaves", len(self.replicas)),
                ("num-other-sentinels", len(self.sentinels)),
                ("quorum", self.quorum),
                ("failover-timeout", self.failover_timeout),
                ("parallel-syncs", self.parallel_syncs),
            ]
        elif self.kind == SLAVE:
            fields += [
                ("master-link-down-time", self.master_link_down_time),
                ("master-link-status", self.slave_master_link_status),
                ("master-host", self.slave_master_host or "?"),
                ("master-port", self.slave_master_port),
                ("slave-priority", self.slave_priority),
                ("slave-repl-offset", self.slave_repl_offset),
                ("replica-announced", int(self.replica_announced)),
            ]
        else:
            fields += [
                ("last-hello-message", ms(self.last_hello_time)),
                ("voted-leader", self.leader or "?"),
                ("voted-leader-epoch", self.leader_epoch),
            ]
        return {k.encode(): v.encode() if isinstance(v, str) else b"%d" % v for k, v in fields}


def parse_info(text: str) -> dict[str, str]:
    """INFO's ``key:value`` lines."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        k, sep, v = line.partition(":")
        if sep:
            out[k] = v
    return out


def replicas_in_info(info: dict[str, str]) -> list[tuple[str, int]]:
    """The ``slaveN:ip=...,port=...`` entries of a master's INFO replication."""
    out = []
    for k, v in info.items():
        if not (k.startswith("slave") and k[5:].isdigit()):
            continue
        fields = dict(p.partition("=")[::2] for p in v.split(","))
        try:
            out.append((fields["ip"], int(fields["port"])))
        except (KeyError, ValueError):
            continue
    return out
