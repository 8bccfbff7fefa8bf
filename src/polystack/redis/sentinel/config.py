"""sentinel.conf: the directives people use (``sentinel monitor``, ``down-after-milliseconds``,
``failover-timeout``, ``parallel-syncs``, ``auth-pass``/``auth-user``, ``announce-ip``/
``announce-port``) and the state Sentinel writes back (``myid``, ``current-epoch``,
``config-epoch``, ``leader-epoch``, ``known-replica``, ``known-sentinel``), read and rewritten
as Redis's Sentinel does (sentinelHandleConfiguration, rewriteConfigSentinelOption)."""

from __future__ import annotations

import logging

from polystack.redis import conf
from polystack.redis.sentinel.core import Sentinel

log = logging.getLogger(__name__)

# Global (non-"sentinel") directives a Sentinel honours; the rest of redis.conf is accepted
# and named once as not applied.
_GLOBAL = ("port", "dir", "bind", "protected-mode")


def apply(sentinel: Sentinel, cfg: conf.ConfigFile) -> dict[str, str]:
    """Load the file's Sentinel state into ``sentinel``; returns the global directives it sets
    (port, dir ...).  Raises ConfigFileError naming the line of a bad directive."""
    glob: dict[str, str] = {}
    unsupported: list[str] = []
    for d in cfg.directives:
        if d.name != "sentinel":
            if d.name in _GLOBAL and d.args:
                glob[d.name] = d.args[0]
            elif d.name not in unsupported:
                unsupported.append(d.name)
            continue
        try:
            _sentinel_directive(sentinel, d.args)
        except (ValueError, IndexError, KeyError) as e:
            reason = str(e) if isinstance(e, ValueError) and str(e) else "Bad directive"
            raise conf.ConfigFileError(f"{d.path}:{d.lineno}: >>> '{d.text.strip()}': {reason}")
    if unsupported:
        log.warning(
            "%s: directives polystack's Sentinel does not support, ignored: %s",
            cfg.path,
            ", ".join(unsupported),
        )
    return glob


def _sentinel_directive(s: Sentinel, args: list[str]) -> None:
    if not args:
        raise ValueError("Bad directive")
    opt = args[0].lower()
    a = args[1:]
    if opt == "monitor":
        name, host, port, quorum = a[0], a[1], int(a[2]), int(a[3])
        if quorum <= 0:
            raise ValueError("Quorum must be 1 or greater.")
        s.monitor(name, host, port, quorum)
        return
    if opt == "myid":
        if len(a[0]) != 40:
            raise ValueError("Malformed Sentinel id in myid option.")
        s.myid = a[0]
        return
    if opt == "current-epoch":
        s.current_epoch = max(s.current_epoch, int(a[0]))
        return
    if opt == "announce-ip":
        s.announce_ip = a[0]
        return
    if opt == "announce-port":
        s.announce_port = int(a[0])
        return
    if opt == "deny-scripts-reconfig":
        s.deny_scripts_reconfig = conf._bool(a[0])
        return
    if opt in ("resolve-hostnames", "announce-hostnames"):
        setattr(s, opt.replace("-", "_"), conf._bool(a[0]))
        return
    if opt in ("sentinel-user", "sentinel-pass", "notification-script", "client-reconfig-script"):
        return
    m = s.masters.get(a[0])
    if m is None:
        raise ValueError("No such master with specified name.")
    if opt == "down-after-milliseconds":
        m.down_after = int(a[1])
    elif opt == "failover-timeout":
        m.failover_timeout = int(a[1])
    elif opt == "parallel-syncs":
        m.parallel_syncs = int(a[1])
    elif opt == "auth-pass":
        m.auth_pass = a[1]
    elif opt == "auth-user":
        m.auth_user = a[1]
    elif opt == "config-epoch":
        m.config_epoch = int(a[1])
        s.current_epoch = max(s.current_epoch, m.config_epoch)
    elif opt == "leader-epoch":
        m.leader_epoch = int(a[1])
    elif opt in ("known-slave", "known-replica"):
        s.add_replica(m, a[1], int(a[2]))
    elif opt == "known-sentinel":
        if len(a) >= 4 and a[3] != s.myid:
            s.add_sentinel(m, a[1], int(a[2]), a[3])
    elif opt in ("rename-command", "master-reboot-down-after-period"):
        pass
    else:
        raise ValueError("Unrecognized sentinel configuration statement.")


def state_lines(s: Sentinel) -> list[str]:
    """rewriteConfigSentinelOption: every ``sentinel`` line, as Sentinel writes them."""
    lines = [f"sentinel myid {s.myid}"]
    if s.announce_ip:
        lines.append(f"sentinel announce-ip {conf.quote(s.announce_ip)}")
    if s.announce_port:
        lines.append(f"sentinel announce-port {s.announce_port}")
    for m in s.masters.values():
        lines.append(f"sentinel monitor {m.name} {m.host} {m.port} {m.quorum}")
        if m.down_after != 30000:
            lines.append(f"sentinel down-after-milliseconds {m.name} {m.down_after}")
        if m.failover_timeout != 180000:
            lines.append(f"sentinel failover-timeout {m.name} {m.failover_timeout}")
        if m.parallel_syncs != 1:
            lines.append(f"sentinel parallel-syncs {m.name} {m.parallel_syncs}")
        if m.auth_pass:
            lines.append(f"sentinel auth-pass {m.name} {m.auth_pass}")
        if m.auth_user:
            lines.append(f"sentinel auth-user {m.name} {m.auth_user}")
        lines.append(f"sentinel config-epoch {m.name} {m.config_epoch}")
        lines.append(f"sentinel leader-epoch {m.name} {m.leader_epoch}")
        for r in m.replicas.values():
            lines.append(f"sentinel known-replica {m.name} {r.host} {r.port}")
        for o in m.sentinels.values():
            if o.runid:
                lines.append(f"sentinel known-sentinel {m.name} {o.host} {o.port} {o.runid}")
    lines.append(f"sentinel current-epoch {s.current_epoch}")
    return lines


def rewrite(path: str, s: Sentinel, port: int, extra: dict[str, str] | None = None) -> None:
    """sentinelFlushConfig: the file keeps its other lines; the Sentinel's state replaces the
    ``sentinel`` lines (and the port is written)."""
    options: dict[str, list[str]] = {"port": [f"port {port}"], "sentinel": state_lines(s)}
    for k, v in (extra or {}).items():
        options[k] = [f"{k} {conf.quote(v, always=k == 'dir')}"]
    conf.rewrite(path, options, {})
