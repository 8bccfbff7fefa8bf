"""Pub/Sub channels, patterns and shard channels (pubsub.c), knowing nothing of the wire
beyond the three-element messages it hands to subscribers.

A subscriber is any object with ``channels``, ``patterns`` and ``shard_channels`` dicts
(its own subscriptions, in the order made) and ``push_raw(resp2_frame, resp3_frame)``,
which queues one of the two encodings after whatever the subscriber was sent before.
Subscribers of a channel are kept in subscription order and served in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polystack.redis.glob import compile_pattern

_MESSAGE = b"$7\r\nmessage\r\n"
_PMESSAGE = b"$8\r\npmessage\r\n"
_SMESSAGE = b"$8\r\nsmessage\r\n"


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(b), b)


class PubSub:
    """The server's subscription tables: channel/pattern -> subscribers."""

    __slots__ = ("channels", "patterns", "shard_channels", "_matchers")

    def __init__(self) -> None:
        self.channels: dict[bytes, dict[Any, None]] = {}
        self.patterns: dict[bytes, dict[Any, None]] = {}
        self.shard_channels: dict[bytes, dict[Any, None]] = {}
        self._matchers: dict[bytes, Callable[[bytes], bool]] = {}

    # -- subscriptions ---------------------------------------------------------
    def subscribe(self, client: Any, channel: bytes, shard: bool = False) -> bool:
        """pubsubSubscribeChannel: False when ``client`` was already subscribed."""
        mine = client.shard_channels if shard else client.channels
        if channel in mine:
            return False
        mine[channel] = None
        table = self.shard_channels if shard else self.channels
        table.setdefault(channel, {})[client] = None
        return True

    def unsubscribe(self, client: Any, channel: bytes, shard: bool = False) -> bool:
        mine = client.shard_channels if shard else client.channels
        if channel not in mine:
            return False
        del mine[channel]
        table = self.shard_channels if shard else self.channels
        subs = table.get(channel)
        if subs is not None:
            subs.pop(client, None)
            if not subs:
                del table[channel]
        return True

    def psubscribe(self, client: Any, pattern: bytes) -> bool:
        if pattern in client.patterns:
            return False
        client.patterns[pattern] = None
        subs = self.patterns.get(pattern)
        if subs is None:
            subs = self.patterns[pattern] = {}
            self._matchers[pattern] = compile_pattern(pattern)
        subs[client] = None
        return True

    def punsubscribe(self, client: Any, pattern: bytes) -> bool:
        if pattern not in client.patterns:
            return False
        del client.patterns[pattern]
        subs = self.patterns.get(pattern)
        if subs is not None:
            subs.pop(client, None)
            if not subs:
                del self.patterns[pattern]
                self._matchers.pop(pattern, None)
        return True

    def forget(self, client: Any) -> None:
        """Drop every subscription of a client that went away (no notifications)."""
        for channel in list(client.channels):
            self.unsubscribe(client, channel)
        for channel in list(client.shard_channels):
            self.unsubscribe(client, channel, shard=True)
        for pattern in list(client.patterns):
            self.punsubscribe(client, pattern)

    # -- publishing ------------------------------------------------------------
    def publish(self, channel: bytes, message: bytes) -> int:
        """pubsubPublishMessage: deliver to the channel's subscribers, then to every
        pattern that matches it; returns how many deliveries were made."""
        receivers = 0
        subs = self.channels.get(channel)
        chan = _bulk(channel)
        msg = _bulk(message)
        if subs:
            body = _MESSAGE + chan + msg
            f2, f3 = b"*3\r\n" + body, b">3\r\n" + body
            for c in tuple(subs):
                c.push_raw(f2, f3)
                receivers += 1
        if self.patterns:
            for pattern, clients in tuple(self.patterns.items()):
                if not self._matchers[pattern](channel):
                    continue
                body = _PMESSAGE + _bulk(pattern) + chan + msg
                f2, f3 = b"*4\r\n" + body, b">4\r\n" + body
                for c in tuple(clients):
                    c.push_raw(f2, f3)
                    receivers += 1
        return receivers

    def spublish(self, channel: bytes, message: bytes) -> int:
        subs = self.shard_channels.get(channel)
        if not subs:
            return 0
        body = _SMESSAGE + _bulk(channel) + _bulk(message)
        f2, f3 = b"*3\r\n" + body, b">3\r\n" + body
        for c in tuple(subs):
            c.push_raw(f2, f3)
        return len(subs)

    # -- introspection (PUBSUB) ------------------------------------------------
    def active_channels(self, pattern: bytes | None, shard: bool = False) -> list[bytes]:
        table = self.shard_channels if shard else self.channels
        if pattern is None:
            return list(table)
        match = compile_pattern(pattern)
        return [c for c in table if match(c)]

    def numsub(self, channel: bytes, shard: bool = False) -> int:
        subs = (self.shard_channels if shard else self.channels).get(channel)
        return len(subs) if subs else 0
