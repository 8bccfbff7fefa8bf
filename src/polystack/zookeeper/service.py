"""The ZooKeeper service: its listener, recovery, session expiry and container timers, admin routes."""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polystack.runtime.journal import Journal
from polystack.runtime.metrics import register
from polystack.runtime.service import ListenerSpec, ServerContext, Service

from . import admin, zoocfg
from . import metrics as zk_metrics
from .session import CLOSED, ServerCnxn
from .zkserver import Settings, ZooKeeperServer

if TYPE_CHECKING:
    from polystack.runtime.connection import Peer
    from polystack.runtime.http import HttpRequest
    from polystack.runtime.log import RecordLog

    from .spec import ZooKeeperConfig

log = logging.getLogger(__name__)


def build_settings(zc: ZooKeeperConfig, data_dir: Path) -> tuple[Settings, Path, Path, int]:
    """Settings from the ``[zookeeper]`` section, overlaid by a zoo.cfg when one is given.

    Returns (settings, data dir, log dir, client port).
    """
    s = Settings(
        tick_time=zc.tick_time,
        min_session_timeout=zc.min_session_timeout or -1,
        max_session_timeout=zc.max_session_timeout or -1,
        max_buffer=zc.jute_maxbuffer,
        max_client_cnxns=zc.max_client_cnxns,
        four_letter_whitelist=frozenset(
            w.strip() for w in zc.four_letter_whitelist.split(",") if w.strip()
        ),
        snap_count=zc.snap_count,
        extended_types=zc.extended_types_enabled,
        container_check_interval_ms=zc.container_check_interval_ms,
        super_digest=zc.super_digest,
        sessionless_cnxn_timeout=zc.sessionless_cnxn_timeout,
    )
    port = zc.port
    data = data_dir
    data_log = Path(zc.data_log_dir) if zc.data_log_dir else data_dir
    if zc.zoo_cfg:
        cfg = zoocfg.load(zc.zoo_cfg)
        v = cfg.get_int("clientPort")
        if v is not None and port == 2181:
            port = v
        if data_dir_cfg := cfg.get("dataDir"):
            data = Path(data_dir_cfg)
            data_log = data
        if data_log_cfg := cfg.get("dataLogDir"):
            data_log = Path(data_log_cfg)
        for key, attr in (
            ("tickTime", "tick_time"),
            ("minSessionTimeout", "min_session_timeout"),
            ("maxSessionTimeout", "max_session_timeout"),
            ("maxClientCnxns", "max_client_cnxns"),
            ("snapCount", "snap_count"),
            ("jute.maxbuffer", "max_buffer"),
            ("znode.container.checkIntervalMs", "container_check_interval_ms"),
        ):
            v = cfg.get_int(key)
            if v is not None:
                setattr(s, attr, v)
        for key in ("extendedTypesEnabled", "zookeeper.extendedTypesEnabled"):
            if (enabled := cfg.get(key)) is not None:
                s.extended_types = enabled.strip().lower() == "true"
        wl = cfg.get("4lw.commands.whitelist")
        if wl is not None:
            s.four_letter_whitelist = frozenset(w.strip() for w in wl.split(",") if w.strip())
    s.client_port = port
    s.data_dir = str(data)
    s.data_log_dir = str(data_log)
    return s, data, data_log, port


class ZooKeeperService(Service):
    name = "zookeeper"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        zc: ZooKeeperConfig = ctx.config
        self.settings, self.zk_data_dir, self.zk_log_dir, self.port = build_settings(
            zc, ctx.data_dir
        )
        self.journal = Journal(self.zk_log_dir, zc.fsync, "zookeeper", group=ctx.logs, barrier=True)
        self.zk = ZooKeeperServer(self.settings, self.clock)
        self._tick: Any = None
        self._containers: Any = None
        # The log cannot be written: ZooKeeper stops serving (no acknowledgement, no session).
        self.log_error: str = ""
        ctx.logs.subscribe_failures(self._on_log_failure)
        for path, route in admin.routes(self.zk).items():
            handler = _adapt(route)
            if not admin.changes_state(path):  # the resets are POST only (no GET from a page)
                ctx.route("GET", path, handler)
            ctx.route("POST", path, handler)
        register(ctx.registry, lambda: zk_metrics.collect(self.zk, not self.log_error))

    # -- runtime hooks -------------------------------------------------------------------------
    def listeners(self) -> list[ListenerSpec]:
        return [
            ListenerSpec(
                "zookeeper",
                self.port,
                self.new_connection,
                max_clients=10000,
                flag="--zookeeper-port",
            )
        ]

    def new_connection(self, peer: Peer) -> ServerCnxn:
        cnxn = ServerCnxn(self.zk, peer)
        peer.set_output_limits(self.ctx.config.client_output_limit)
        if self.log_error:
            log.warning(
                "Closing connection from %s: the transaction log cannot be written (%s)",
                peer.peername,
                self.log_error,
            )
            cnxn.state = CLOSED
            self.zk.connections.discard(cnxn)
            peer.abort()
            return cnxn
        limit = self.settings.max_client_cnxns
        if limit > 0 and peer.peername:
            ip = peer.peername[0]
            same = sum(
                1
                for c in self.zk.connections
                if c is not cnxn and c.peer.peername and c.peer.peername[0] == ip
            )
            if same >= limit:
                log.warning("Too many connections from /%s - max is %d", ip, limit)
                cnxn.state = CLOSED
                self.zk.connections.discard(cnxn)
                peer.close()
        return cnxn

    async def recover(self) -> None:
        snapshot, records = self.journal.open()
        reading = [self.journal.snapshot_path]

        def logged() -> Iterator[bytes]:
            reading[0] = self.journal.log.path  # the records after the snapshot
            yield from records

        try:
            self.zk.load(snapshot, logged())
        except (ValueError, IndexError, KeyError, struct.error, UnicodeDecodeError) as e:
            # the file's framing is intact (its checksums match) but what it holds is not
            # ZooKeeper data: corrupt data, named, never a configuration problem
            raise CorruptData(
                f"{reading[0]}: corrupt ZooKeeper data: {e or type(e).__name__}"
            ) from e
        self.zk.journal = self.journal

    def start(self) -> None:
        self.zk.stats.started_ms = self.zk.now_ms()
        self._tick = self.clock.call_later(self.settings.tick_time / 1000.0, self._on_tick)
        self._containers = self.clock.call_later(
            self.settings.container_check_interval_ms / 1000.0, self._on_container_check
        )
        log.info(
            "ZooKeeper serving on port %s (data %s, log %s)",
            self.bound_ports.get("zookeeper", self.port),
            self.zk_data_dir,
            self.zk_log_dir,
        )

    def shutdown(self, reason: str) -> None:
        for t in (self._tick, self._containers):
            if t is not None:
                t.cancel()
        self._tick = self._containers = None

    async def stop(self) -> None:
        self.shutdown("stop")
        for c in list(self.zk.connections):
            c.connection_lost()
        try:
            if self.zk.txns_since_snapshot and not self.log_error:
                self.zk.snapshot()
        finally:
            self.journal.close()

    def status(self) -> dict:
        zk = self.zk
        return {
            "znodes": len(zk.tree.nodes),
            "sessions": len(zk.tracker.sessions),
            "connections": len(zk.connections),
            "zxid": f"0x{zk.last_zxid:x}",
        }

    def health(self) -> list[str]:
        if self.log_error:
            return [f"not serving: the transaction log cannot be written ({self.log_error})"]
        return []

    # -- a failing disk --------------------------------------------------------------------------
    def _on_log_failure(self, rlog: RecordLog, error: OSError | None) -> None:
        """Like ZooKeeper, whose request processors stop the server when the transaction log
        cannot be written: acknowledge nothing more and close every client connection (their
        sessions live on, and expire if the disk does not come back in time)."""
        if error is not None:
            self.log_error = str(error)
            log.error(
                "Severe unrecoverable error writing the transaction log %s: %s; closing all "
                "client connections until it can be written again",
                rlog.path,
                error,
            )
            for c in list(self.zk.connections):
                c.state = CLOSED
                c._detach()
                c.peer.abort()
        elif not self.ctx.logs.failed:
            log.warning("The transaction log can be written again; serving clients")
            self.log_error = ""

    # -- timers --------------------------------------------------------------------------------
    def _on_tick(self) -> None:
        self._tick = self.clock.call_later(self.settings.tick_time / 1000.0, self._on_tick)
        try:
            self.zk.expire_sessions()
        except Exception:
            log.exception("session expiry failed")

    def _on_container_check(self) -> None:
        self._containers = self.clock.call_later(
            self.settings.container_check_interval_ms / 1000.0, self._on_container_check
        )
        try:
            self.zk.check_containers()
        except Exception:
            log.exception("container check failed")


class CorruptData(RuntimeError):
    """A snapshot or log record that reads back as something other than ZooKeeper data."""


def _adapt(route: Any) -> Any:
    def handler(request: HttpRequest) -> tuple[int, str, bytes]:
        return route(request.query)

    return handler
