"""Messages and the entries queues hold.

A :class:`Message` keeps the publisher's property bytes unchanged (deliveries reuse them), the
content-header payload built once, and the body — or, when the body was paged to disk, the place
where it lives.  A message routed to several queues is one object with a reference count; each
queue holds an :class:`Entry` with its own position, redelivered flag, expiry and delivery count.
"""

from __future__ import annotations

from typing import Any

from .wire import CONTENT_HEADER_S, PropertySummary, decode_properties, summarize

LOCATION_SHIFT = 40  # a body on disk: (segment number << 40) | file offset

_interned: dict[bytes, bytes] = {}


def intern_bytes(b: bytes) -> bytes:
    """One shared copy of a small value many messages repeat (properties, headers, keys)."""
    got = _interned.get(b)
    if got is not None:
        return got
    if len(b) <= 512:
        if len(_interned) >= 65536:
            _interned.clear()
        _interned[b] = b
    return b


class Message:
    __slots__ = (
        "id",
        "exchange",
        "routing_key",
        "props",
        "header",
        "body",
        "size",
        "persistent",
        "summary",
        "refs",
        "xname",
        "rkname",
        "location",
        "stored",
        "_decoded",
    )

    def __init__(
        self,
        id: int,
        exchange: str,
        routing_key: str,
        props: bytes,
        body: bytes,
        xname: bytes | None = None,
        rkname: bytes | None = None,
        header: bytes | None = None,
        summary: PropertySummary | None = None,
    ) -> None:
        self.id = id
        self.exchange = exchange
        self.routing_key = routing_key
        self.props = props
        self.body: bytes | None = body
        self.size = len(body)
        # the publisher's own content header payload when its size matches the body (callers
        # on the hot path pass interned header and names: a backlog shares one copy)
        self.header = header or CONTENT_HEADER_S.pack(60, 0, self.size) + props
        s = summary if summary is not None else summarize(props)
        self.summary: PropertySummary = s
        self.persistent = s.delivery_mode == 2
        self.refs = 0
        if xname is None:
            raw = exchange.encode()
            xname = bytes((len(raw),)) + raw
        if rkname is None:
            raw = routing_key.encode()
            rkname = intern_bytes(bytes((len(raw),)) + raw)
        self.xname = xname
        self.rkname = rkname
        self.location: int | None = None  # where the body is on disk (store's segment/offset)
        self.stored = False  # a persistent copy is in the message log
        self._decoded: Any = None

    @classmethod
    def recovered(
        cls,
        id: int,
        exchange: str,
        routing_key: str,
        props: bytes,
        size: int,
        location: int,
        xname: bytes,
        rkname: bytes,
        header: bytes,
        summary: PropertySummary,
    ) -> Message:
        """A persistent message read back from the store: its body stays on disk."""
        m = cls.__new__(cls)
        m.id = id
        m.exchange = exchange
        m.routing_key = routing_key
        m.props = props
        m.body = None
        m.size = size
        m.header = header
        m.summary = summary
        m.persistent = True
        m.refs = 0
        m.xname = xname
        m.rkname = rkname
        m.location = location
        m.stored = True
        m._decoded = None
        return m

    @property
    def properties(self) -> Any:
        p = self._decoded
        if p is None:
            p = self._decoded = decode_properties(self.props)
        return p

    def headers(self) -> dict[str, Any] | None:
        if not self.summary.has_headers:
            return None
        return self.properties.headers


class Entry:
    """One message's place in one queue."""

    __slots__ = ("msg", "seq", "redelivered", "expires", "deliveries", "priority")

    def __init__(self, msg: Message, seq: int, expires: int = 0, priority: int = 0) -> None:  # noqa: D107
        self.msg = msg
        self.seq = seq
        self.redelivered = False
        self.expires = expires  # monotonic ms, 0 = never
        self.deliveries = 0  # returns to the queue (quorum queues' x-delivery-count)
        self.priority = priority
