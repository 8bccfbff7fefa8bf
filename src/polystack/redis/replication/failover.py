"""FAILOVER (replication.c's failoverCommand, updateFailoverStatus): a coordinated switch of a
master with one of its replicas.  The master pauses its clients' writes (they wait, and run
once the switch is done: against a replica by then), waits until the target replica (given
with TO, or the first one to catch up) acknowledged the whole stream, then follows it with
``PSYNC <replid> <offset> FAILOVER``: the target promotes itself and answers ``+CONTINUE``,
and the old master continues as its replica.  TIMEOUT aborts the wait (or, with FORCE, goes
ahead anyway); FAILOVER ABORT stops it."""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis.replication.state import ONLINE, ReplicaClient

log = logging.getLogger(__name__)

NO_FAILOVER = "no-failover"
WAITING_FOR_SYNC = "waiting-for-sync"
IN_PROGRESS = "failover-in-progress"


class FailoverError(Exception):
    """A FAILOVER Redis refuses; the message is its error text."""


class Failover:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.state = NO_FAILOVER
        self.target: ReplicaClient | None = None
        self.host = ""
        self.port = 0
        self.end_time = 0.0  # monotonic seconds; 0: no timeout
        self.force = False
        self._timer: Any = None

    def start(self, host: str | None, port: int, timeout_ms: int, force: bool) -> None:
        server = self.server
        if server.is_replica():
            raise FailoverError("FAILOVER is not valid when server is a replica.")
        if not server.repl.replicas:
            raise FailoverError("FAILOVER requires connected replicas.")
        if force and (not timeout_ms or host is None):
            raise FailoverError(
                "FAILOVER with force option requires both a timeout and target HOST and IP."
            )
        if self.state != NO_FAILOVER:
            raise FailoverError("FAILOVER already in progress.")
        target = None
        if host is not None:
            target = next(
                (r for r in server.repl.replicas if r.ip == host and r.listening_port == port),
                None,
            )
            if target is None:
                raise FailoverError("FAILOVER target HOST and PORT is not a replica.")
            if target.state != ONLINE:
                raise FailoverError("FAILOVER target replica is not online.")
        self.target = target
        self.host, self.port = (host or "", port)
        self.force = force
        now = server.clock.monotonic()
        self.end_time = now + timeout_ms / 1000 if timeout_ms else 0.0
        self.state = WAITING_FOR_SYNC
        server.pause_writes(True)
        log.info(
            "FAILOVER requested to %s.",
            f"{host}:{port}" if host is not None else "any replica",
        )
        server.master_side.request_ack()
        self._schedule()

    def _schedule(self) -> None:
        self._timer = self.server.clock.call_later(0.1, self.update)

    def update(self) -> None:
        """updateFailoverStatus: proceed once the target caught up, or time out."""
        self._timer = None
        if self.state != WAITING_FOR_SYNC:
            return
        server = self.server
        offset = server.repl.offset
        target = self.target
        if target is None:
            target = next(
                (r for r in server.repl.replicas if r.state == ONLINE and r.ack_off >= offset),
                None,
            )
        elif target not in server.repl.replicas:
            self.abort("Failover target is not a replica any more")
            return
        caught_up = target is not None and target.ack_off >= offset
        timed_out = self.end_time and server.clock.monotonic() >= self.end_time
        if caught_up or (timed_out and self.force and target is not None):
            assert target is not None
            self.target = target
            self.state = IN_PROGRESS
            self.host, self.port = target.ip, target.listening_port
            log.info("Failover target %s:%d is synced, failing over.", self.host, self.port)
            server.failover_to(self.host, self.port)
            return
        if timed_out:
            self.abort("Replica never caught up before timeout")
            return
        # No new GETACK here: each one moves the offset the replicas must reach; their ACK
        # every second brings them level with the (paused) stream.
        self._schedule()

    def psync_done(self, ok: bool) -> None:
        """The target answered our PSYNC FAILOVER (or the link failed)."""
        if self.state != IN_PROGRESS:
            return
        if ok:
            log.info("Failover target %s:%d accepted the failover.", self.host, self.port)
            self._clear()
        else:
            self.abort("Failover target rejected psync request")
            self.server.unset_master_after_failed_failover()

    def abort(self, reason: str) -> None:
        if self.state == NO_FAILOVER:
            return
        log.info("FAILOVER to %s:%d aborted: %s", self.host, self.port, reason)
        self._clear()

    def _clear(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.state = NO_FAILOVER
        self.target = None
        self.force = False
        self.end_time = 0.0
        self.server.pause_writes(False)
