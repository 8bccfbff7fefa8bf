"""The last reply of a range read (LRANGE, ZRANGE by rank), kept with the elements it lists.

Reading the same range of an unchanged list or sorted set again (a page of a feed, a
leaderboard's top 100, redis-benchmark's LRANGE_100) lists the same element objects: one
comparison of the new slice with the remembered one (pointer equality, element by element,
in C) stands in for encoding the reply again.  The comparison is by value, so whatever
changed in between (a push, LSET of an equal or different value, another key), an equal
slice always has the same reply: nothing needs to invalidate it.  Only small replies are
kept (the memo holds its elements and its bytes until the next different read).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from polystack.redis.wire import Raw, bulk_array

# The largest reply kept: elements and bytes.
MAX_ITEMS = 1024
MAX_BYTES = 64 * 1024

_member = itemgetter(1)  # of a sorted set's (score, member) entry


class RangeMemo:
    """One range command's last reply (the same in RESP2 and RESP3: an array of bulk
    strings)."""

    __slots__ = ("items", "reply")

    def __init__(self) -> None:
        self.items: list[Any] | None = None
        self.reply = Raw(b"*0\r\n")

    def bulk_array(self, items: list[bytes]) -> Raw:
        """:func:`wire.bulk_array` of ``items``."""
        if items == self.items:
            return self.reply
        reply = bulk_array(items)
        if len(items) <= MAX_ITEMS and len(reply) <= MAX_BYTES:
            self.items = items
            self.reply = reply
        return reply

    def members(self, entries: list[tuple[float, bytes]]) -> Raw:
        """The members of sorted-set ``entries`` as an array (ZRANGE without WITHSCORES)."""
        if entries == self.items:
            return self.reply
        reply = bulk_array(list(map(_member, entries)))
        if len(entries) <= MAX_ITEMS and len(reply) <= MAX_BYTES:
            self.items = entries
            self.reply = reply
        return reply
