"""Session tracking and expiry (ZooKeeper's SessionTrackerImpl), sans-I/O.

Sessions expire in tick-sized buckets: a touched session's deadline is ``now + timeout`` rounded up
to the next multiple of ``tickTime`` (ExpiryQueue.roundToNextInterval). ``expired(now)`` returns the
sessions whose deadline has passed; the owner turns each into a closeSession transaction.
Session ids follow SessionTrackerImpl.initializeNextSessionId; passwords follow
ZooKeeperServer.generatePasswd (java.util.Random seeded with ``id ^ superSecret``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

SUPER_SECRET = 0xB3415C00
_MASK48 = (1 << 48) - 1


def java_random_bytes(seed: int, n: int) -> bytes:
    """``new java.util.Random(seed).nextBytes(new byte[n])``."""
    s = (seed ^ 0x5DEECE66D) & _MASK48
    out = bytearray()
    while len(out) < n:
        s = (s * 0x5DEECE66D + 0xB) & _MASK48
        r = s >> 16  # next(32), as an unsigned 32-bit value
        for _ in range(min(4, n - len(out))):
            out.append(r & 0xFF)
            r >>= 8
    return bytes(out)


def generate_passwd(session_id: int) -> bytes:
    return java_random_bytes((session_id ^ SUPER_SECRET) & 0xFFFFFFFFFFFFFFFF, 16)


def initial_session_id(now_ms: int, server_id: int = 0) -> int:
    """SessionTrackerImpl.initializeNextSessionId: time in the middle bits, server id on top."""
    nxt = ((now_ms << 24) & 0xFFFFFFFFFFFFFFFF) >> 8
    nxt |= server_id << 56
    if nxt >= 1 << 63:
        nxt -= 1 << 64
    return nxt


class SessionOwner(Protocol):
    """The live connection a session is attached to (the session's ServerCnxn)."""

    def session_expired(self) -> None: ...

    def session_moved(self) -> None: ...


@dataclass(slots=True, eq=False)
class SessionInfo:
    session_id: int
    timeout: int  # negotiated, milliseconds
    expire_at: int = 0  # ms, monotonic scale
    closing: bool = False
    owner: SessionOwner | None = None  # the live connection, if any


class SessionTracker:
    def __init__(self, tick_time: int, now_ms: int) -> None:
        self.tick_time = tick_time
        self.sessions: dict[int, SessionInfo] = {}
        self.next_session_id = initial_session_id(now_ms)

    def round_to_interval(self, t: int) -> int:
        tick = self.tick_time
        return (t // tick + 1) * tick

    def new_session_id(self) -> int:
        sid = self.next_session_id
        self.next_session_id += 1
        return sid

    def add(self, session_id: int, timeout: int, now_ms: int) -> SessionInfo:
        s = self.sessions.get(session_id)
        if s is None:
            s = self.sessions[session_id] = SessionInfo(session_id, timeout)
        s.timeout = timeout
        s.expire_at = self.round_to_interval(now_ms + timeout)
        return s

    def touch(self, session_id: int, now_ms: int, timeout: int | None = None) -> bool:
        s = self.sessions.get(session_id)
        if s is None or s.closing:
            return False
        if timeout is not None:
            s.timeout = timeout
        s.expire_at = self.round_to_interval(now_ms + s.timeout)
        return True

    def touch_info(self, s: SessionInfo, now_ms: int) -> None:
        s.expire_at = self.round_to_interval(now_ms + s.timeout)

    def remove(self, session_id: int) -> SessionInfo | None:
        return self.sessions.pop(session_id, None)

    def get(self, session_id: int) -> SessionInfo | None:
        return self.sessions.get(session_id)

    def is_valid(self, session_id: int) -> bool:
        s = self.sessions.get(session_id)
        return s is not None and not s.closing

    def expired(self, now_ms: int) -> list[SessionInfo]:
        return [s for s in self.sessions.values() if not s.closing and s.expire_at <= now_ms]
