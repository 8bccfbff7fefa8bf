"""Client state bits that send a client off the session's fast path (server.h's CLIENT_*
flags, as far as dispatch cares).  Below the session and the commands: a command such as
RESET or MULTI changes them through the client object it is given."""

from __future__ import annotations

SLOW_AUTH = 1  # not authenticated yet: only no_auth commands run
SLOW_MULTI = 2  # inside MULTI: commands are queued
SLOW_PUBSUB = 4  # RESP2 subscriber: only the pub/sub commands (and PING, QUIT, RESET) run
SLOW_CLOSING = 8  # CLIENT_CLOSE_AFTER_REPLY
SLOW_MISCONF = 16  # the log cannot be written: writes (and PING) get -MISCONF
