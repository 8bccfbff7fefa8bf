"""The CONFIG parameters replication and RDB files honour: the parameter table (configtable.py)
declares them; this binds them to the live settings (the ``[redis]`` section) and the
actions a change takes (resizing the backlog, re-checking min-replicas-to-write ...)."""

from __future__ import annotations

import os
from typing import Any

from polystack.redis.configtypes import LIVE, Param
from polystack.redis.limits import OutputLimit


def _str_field(name: str, then: str = "") -> tuple[Any, Any]:
    def get(server: Any) -> bytes:
        return getattr(server.config, name).encode("utf-8", "surrogateescape")

    def set_(server: Any, value: bytes) -> None:
        setattr(server.config, name, value.decode("utf-8", "surrogateescape"))
        if then:
            getattr(server, then)()

    return get, set_


def _field(name: str, then: str = "") -> tuple[Any, Any]:
    def get(server: Any) -> Any:
        return getattr(server.config, name)

    def set_(server: Any, value: Any) -> None:
        setattr(server.config, name, value)
        if then:
            getattr(server, then)()

    return get, set_


def _backlog(server: Any, n: int) -> None:
    server.config.repl_backlog_size = max(n, 16 * 1024)  # Redis's minimum
    server.repl.resize_backlog(server.config.repl_backlog_size)


def _get_output_limits(server: Any) -> dict[str, tuple[int, int, int]]:
    return {c: (v.hard, v.soft, v.soft_seconds) for c, v in server.output_limits.items()}


def _set_output_limits(server: Any, limits: dict[str, tuple[int, int, int]]) -> None:
    server.set_output_limits({c: OutputLimit(*v) for c, v in limits.items()})


def _replicaof(server: Any) -> tuple[bytes, int] | None:
    words = server.config.replicaof.split()
    return (words[0].encode(), int(words[1])) if len(words) == 2 else None


BINDINGS: dict[str, tuple[Any, Any, str]] = {
    "masterauth": (*_str_field("masterauth"), "the password a replica AUTHs with"),
    "masteruser": (*_str_field("masteruser"), "the user a replica AUTHs as"),
    "replica-read-only": (*_field("replica_read_only", "update_write_denied"), "-READONLY"),
    "replica-serve-stale-data": (
        *_field("replica_serve_stale_data", "update_write_denied"), "-MASTERDOWN"
    ),
    "replica-priority": (*_field("replica_priority"), "reported in INFO for Sentinel"),
    "replica-announce-ip": (*_str_field("replica_announce_ip"), "REPLCONF ip-address"),
    "replica-announce-port": (*_field("replica_announce_port"), "REPLCONF listening-port"),
    "replica-announced": (*_field("replica_announced"), "reported in INFO"),
    "repl-backlog-size": (_field("repl_backlog_size")[0], _backlog, "the backlog's size"),
    "repl-backlog-ttl": (*_field("repl_backlog_ttl"), "frees an unused backlog"),
    "repl-timeout": (*_field("repl_timeout"), "drops silent links"),
    "repl-ping-replica-period": (*_field("repl_ping_replica_period"), "PINGs replicas"),
    "repl-diskless-sync": (*_field("repl_diskless_sync"), "EOF-framed RDB through a pipe"),
    "repl-diskless-sync-delay": (*_field("repl_diskless_sync_delay"), "waits for replicas"),
    "repl-diskless-sync-max-replicas": (*_field("repl_diskless_sync_max_replicas"), "starts early"),
    "repl-diskless-load": (*_field("repl_diskless_load"), "stored (loads are always swapped in)"),
    "min-replicas-to-write": (*_field("min_replicas_to_write", "update_write_denied"), "-NOREPLICAS"),
    "min-replicas-max-lag": (*_field("min_replicas_max_lag", "update_write_denied"), "good replicas"),
    "dbfilename": (*_str_field("dbfilename"), "the RDB file's name (protected)"),
    "rdbcompression": (*_field("rdbcompression"), "LZF in RDB files"),
    "rdbchecksum": (*_field("rdbchecksum"), "the CRC64 trailer (immutable)"),
    "stop-writes-on-bgsave-error": (*_field("stop_writes_on_bgsave_error"), "stored"),
    "dir": (lambda s: os.fsencode(s.rdb_dir()), None, "where dump.rdb goes (protected)"),
    "replicaof": (_replicaof, None, "the master at start (REPLICAOF changes it)"),
    "client-output-buffer-limit": (
        _get_output_limits, _set_output_limits, "per class; a client over its limit is closed"
    ),
}  # fmt: skip


def bind(by_name: dict[str, Param]) -> None:
    """Point the table's parameters at the settings they change."""
    for name, (getter, setter, note) in BINDINGS.items():
        p = by_name.get(name)
        if p is None:
            continue
        p.getter = getter
        if setter is not None:
            p.setter = setter
        p.effect = LIVE
        p.note = note
