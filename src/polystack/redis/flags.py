"""Client state bits that send a client off the session's fast path (server.h's CLIENT_*
flags, as far as dispatch cares).  Below the session and the commands: a command such as
RESET or MULTI changes them through the client object it is given."""

from __future__ import annotations

SLOW_AUTH = 1  # not authenticated yet: only no_auth commands run
SLOW_MULTI = 2  # inside MULTI: commands are queued
SLOW_PUBSUB = 4  # a subscriber (in RESP2 only the pub/sub commands, PING, QUIT, RESET run)
SLOW_CLOSING = 8  # CLIENT_CLOSE_AFTER_REPLY
SLOW_ACL = 16  # the user is not allowed everything: every command is checked
SLOW_SERVER = 32  # a server-wide condition (maxmemory, MONITOR, pause, busy script ...)
SLOW_TRACKING = 64  # client-side caching: keys read are remembered
SLOW_BLOCKED = 128  # waiting (paused, busy script, blocking command): input is held
SLOW_MISCONF = 256  # the log cannot be written: writes (and PING) get -MISCONF
SLOW_REPLY = 512  # CLIENT REPLY OFF or SKIP: replies are dropped
SLOW_ASKING = 1024  # Redis Cluster's ASKING: the next command takes the full routing check

# CLIENT REPLY's state (server.h's CLIENT_REPLY_OFF, _SKIP, _SKIP_NEXT)
REPLY_OFF = 1  # no reply to any command
REPLY_SKIP = 2  # no reply to the command running now
REPLY_SKIP_NEXT = 4  # no reply to the next command (set by CLIENT REPLY SKIP)

# Bits every client carries while a server-wide condition holds (see RedisService.slow_all).
SERVER_BITS = SLOW_SERVER


def set_server_condition(server: object, reason: str, on: bool) -> None:
    """Turn a server-wide condition (``"maxmemory"``, ``"monitor"``, ``"notify-new"`` ...)
    on or off; while any holds, every client carries SLOW_SERVER and takes the slow path."""
    reasons: set[str] = server.slow_reasons  # type: ignore[attr-defined]
    if on:
        reasons.add(reason)
    else:
        reasons.discard(reason)
    bits = SLOW_SERVER if reasons else 0
    if bits != server.slow_all:  # type: ignore[attr-defined]
        server.slow_all = bits  # type: ignore[attr-defined]
        for c in server.clients.values():  # type: ignore[attr-defined]
            c.slow = (c.slow & ~SLOW_SERVER) | bits
