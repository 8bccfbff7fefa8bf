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

# Bits every client carries while a server-wide condition holds (see RedisService.slow_all).
SERVER_BITS = SLOW_SERVER
