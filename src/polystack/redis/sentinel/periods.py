"""Sentinel's periods and timeouts (sentinel.c's SENTINEL_* constants), in milliseconds."""

from __future__ import annotations

HELLO_CHANNEL = b"__sentinel__:hello"
PING_PERIOD = 1000
INFO_PERIOD = 10000
ASK_PERIOD = 1000
PUBLISH_PERIOD = 2000
MAX_DESYNC = 1000
ELECTION_TIMEOUT = 10000
SLAVE_RECONF_TIMEOUT = 10000
MIN_LINK_RECONNECT_PERIOD = 15000
DEFAULT_DOWN_AFTER = 30000
