"""The Redis version polystack answers as (HELLO, INFO server, LOLWUT ...)."""

from __future__ import annotations

REDIS_VERSION = "7.0.15"
REDIS_VERSION_NUM = 0x0007000F
