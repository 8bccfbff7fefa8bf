"""Messages and the entries queues hold.

A :class:`Message` keeps the publisher's property bytes unchanged (deliveries reuse them), the
content-header payload built once, and the body — or, when the body was paged to disk, the place
where it lives.  A message routed to several queues is one object with a reference count; each
queue holds an :class:`Entry` with its own position, redelivered flag, expiry and delivery count.
"""

from __future__ import annotations

from typing import Any

from .wire import CONTENT_HEADER_S, PropertySummary, decode_properties, summarize


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
    ) -> None:
        self.id = id
        self.exchange = exchange
        self.routing_key = routing_key
        self.props = props
        self.body: bytes | None = body
        self.size = len(body)
        self.header = CONTENT_HEADER_S.pack(60, 0, self.size) + props
        s = summarize(props)
        self.summary: PropertySummary = s
        self.persistent = s.delivery_mode == 2
        self.refs = 0
        if xname is None:
            raw = exchange.encode()
            xname = bytes((len(raw),)) + raw
        if rkname is None:
            raw = routing_key.encode()
            rkname = bytes((len(raw),)) + raw
        self.xname = xname
        self.rkname = rkname
        self.location: Any = None  # where the body lives on disk when paged out (store's key)
        self.stored = False  # a persistent copy is in the message log
        self._decoded: Any = None

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

    def __init__(self, msg: Message, seq: int, expires: int = 0, priority: int = 0) -> None:
        self.msg = msg
        self.seq = seq
        self.redelivered = False
        self.expires = expires  # monotonic ms, 0 = never
        self.deliveries = 0  # returns to the queue (quorum queues' x-delivery-count)
        self.priority = priority
