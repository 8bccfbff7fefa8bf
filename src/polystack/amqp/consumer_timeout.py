"""``consumer_timeout``: a channel that holds a delivery unacknowledged too long is closed.

RabbitMQ 3.10 closes such a channel with ``406 PRECONDITION_FAILED - delivery acknowledgement on
channel N timed out. Timeout value used: T ms. ...`` (its deliveries go back to their queues, as
with every channel close); the default is 30 minutes, and the check runs periodically, so a
delivery may live up to one check interval longer than the timeout.

No timestamp is kept per delivery: at every check each channel with unacknowledged deliveries
notes the time and its last delivery tag.  The oldest unacknowledged delivery was made no later
than the first note whose tag reaches its own; once that note is older than the timeout, so is
the delivery.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .errors import AMQPError

MAX_INTERVAL = 60.0  # seconds between checks (RabbitMQ checks on its channel tick)


def interval(timeout_ms: int) -> float:
    """Seconds between checks: a tenth of the timeout, at most a minute."""
    return min(MAX_INTERVAL, max(0.05, timeout_ms / 10_000))


def check(broker: Any) -> None:
    timeout = broker.settings.consumer_timeout
    now = broker.now_ms()
    for conn in list(broker.connections):
        for ch in list(conn.channels.values()):
            unacked = ch.unacked
            if not unacked:
                ch.tag_marks = None
                continue
            marks = ch.tag_marks
            if marks is None:
                marks = ch.tag_marks = deque()
            oldest = next(iter(unacked))
            while marks and marks[0][1] < oldest:
                marks.popleft()  # every delivery before it is settled
            if marks and marks[0][0] <= now - timeout:
                conn.channel_error(
                    ch,
                    AMQPError(
                        406,
                        f"delivery acknowledgement on channel {ch.number} timed out. Timeout "
                        f"value used: {timeout} ms. This timeout value can be configured, see "
                        "consumers doc guide to learn more",
                    ),
                )
                continue
            if not marks or marks[-1][1] != ch.next_tag:
                marks.append((now, ch.next_tag))
