"""MULTI/EXEC for a client (a mixin of the session's Client, using its state as session.py
keeps it: multi.c's exec and discardTransaction), and the replay of logged commands.
"""

from __future__ import annotations

import logging
from typing import Any

from polystack.redis import wire
from polystack.redis.commands.acl import exec_refusal as acl_exec_refusal
from polystack.redis.flags import SLOW_ACL, SLOW_MULTI, SLOW_PUBSUB

log = logging.getLogger(__name__)


class Transaction:
    """Client's MULTI/EXEC state changes and log replay."""

    # (the Client's, declared for the type checker)
    server: Any
    ks: Any
    slow: Any
    multi: Any
    multi_error: Any
    dirty_cas: Any
    watched_keys: Any
    in_exec: Any
    deny_blocking: Any
    propagate: Any
    db_id: Any
    channels: Any
    patterns: Any
    shard_channels: Any
    _out: Any
    _call: Any
    _count_error: Any
    _commands_get: Any
    select: Any

    # -- MULTI / EXEC -----------------------------------------------------------
    def exec_transaction(self) -> wire.Raw:
        """Run the queued commands (EXEC has checked they may run); the array of replies."""
        queued = self.multi or []
        self.server.watches.unwatch_all(self)
        saved_out = self._out
        self._out = replies = []
        old_deny = self.deny_blocking
        self.deny_blocking = True
        self.in_exec = True
        dirty = self.ks.dirty
        try:
            for cmd, argv in queued:
                if self.slow & SLOW_ACL:
                    refused = acl_exec_refusal(self, cmd, argv)
                    if refused is not None:  # the rules changed since it was queued
                        replies.append(refused.encode())
                        self._count_error(refused.code)
                        continue
                self._call(cmd, argv)
        finally:
            self._out = saved_out
            self.deny_blocking = old_deny
            self.in_exec = False
            self.discard_transaction()
        if self.ks.dirty != dirty:
            self.propagate = []  # the commands were logged one by one; EXEC itself is not
        return wire.Raw(b"*%d\r\n" % len(queued) + b"".join(replies))

    def discard_transaction(self) -> None:
        """discardTransaction: leave MULTI and forget the watches."""
        self.multi = None
        self.multi_error = False
        self.dirty_cas = False
        self.slow &= ~SLOW_MULTI
        self.unwatch_all()

    def discard_multi(self) -> None:
        if self.multi is not None:
            self.discard_transaction()

    def unwatch_all(self) -> None:
        if self.watched_keys:
            self.server.watches.unwatch_all(self)

    def unsubscribe_all(self) -> None:
        if self.channels or self.patterns or self.shard_channels:
            self.server.pubsub.forget(self)
        self.slow &= ~SLOW_PUBSUB

    # -- replay ---------------------------------------------------------------
    def replay_command(self, db_id: int, argv: list[bytes]) -> bool:
        """Run a command read back from the log (no reply); False when it is unknown.  The
        MULTI/EXEC around a transaction's effects are markers for the replicas: skipped."""
        if argv[0] in (b"MULTI", b"EXEC"):
            return True
        cmd = self._commands_get(argv[0].lower())
        if cmd is None:
            log.warning("log names an unknown command %r; skipped", argv[0])
            return False
        if cmd.subcommands and len(argv) > 1:
            cmd = cmd.subcommands.get(argv[1].lower(), cmd)
        if self.db_id != db_id:
            self.select(db_id)
        try:
            cmd.handler(self, argv)
        except Exception as e:  # a logged command that fails now must not stop recovery
            log.warning("replaying %s failed: %s", argv[0], e)
        self.propagate = None
        return True
