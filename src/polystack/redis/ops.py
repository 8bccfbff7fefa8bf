"""What Redis keeps for its operators: the slow log (slowlog.c), the latency monitor
(latency.c), and the MONITOR feed's line format (replicationFeedMonitors).

The session times every command (``time.perf_counter`` around the handler): INFO
commandstats' ``usec``, SLOWLOG (``slowlog-log-slower-than``, ``slowlog-max-len``) and the
latency monitor's ``command``/``fast-command`` events (``latency-monitor-threshold``) come
from those timings.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

SLOWLOG_ENTRY_MAX_ARGC = 32
SLOWLOG_ENTRY_MAX_STRING = 128
LATENCY_TS_LEN = 160
REDACTED = b"(redacted)"


def update_timing(server: Any) -> None:
    """The command duration (seconds) past which the session reports a command: the smaller
    of slowlog-log-slower-than and latency-monitor-threshold that is on."""
    cfg = server.extra_config
    slow_us = cfg.get("slowlog-log-slower-than", 10000)
    latency_ms = cfg.get("latency-monitor-threshold", 0)
    limits = []
    if slow_us >= 0:
        limits.append(slow_us / 1e6)
    if latency_ms > 0:
        limits.append(latency_ms / 1e3)
    server.timing_threshold = min(limits) if limits else float("inf")


def redacted_argv(cmd: Any, argv: list[bytes]) -> list[bytes]:
    """The arguments Redis hides from SLOWLOG and MONITOR (redactClientCommandArgument):
    AUTH's credentials, HELLO's AUTH pair, ACL SETUSER's rules, MIGRATE's AUTH."""
    name = cmd.full_name if cmd is not None else ""
    if name == "auth":
        return [argv[0]] + [REDACTED] * (len(argv) - 1)
    if name == "hello":
        out = list(argv)
        for j in range(2, len(argv)):
            if argv[j].lower() == b"auth" and j + 2 < len(argv):
                out[j + 1] = out[j + 2] = REDACTED
        return out
    if name == "acl|setuser":
        return argv[:3] + [REDACTED] * (len(argv) - 3)
    if name == "migrate":
        out = list(argv)
        for j in range(6, len(argv)):
            low = argv[j].lower()
            if low == b"auth" and j + 1 < len(argv):
                out[j + 1] = REDACTED
            elif low == b"auth2" and j + 2 < len(argv):
                out[j + 1] = out[j + 2] = REDACTED
        return out
    return argv


@dataclass
class SlowlogEntry:
    id: int
    time: int
    duration: int  # microseconds
    argv: list[bytes]
    peerid: bytes
    cname: bytes


class SlowLog:
    def __init__(self) -> None:
        self.entries: deque[SlowlogEntry] = deque()
        self.next_id = 0

    def push(
        self, argv: list[bytes], duration_us: int, now_s: int, peer: bytes, name: bytes, keep: int
    ) -> None:
        """slowlogCreateEntry: at most 32 arguments of at most 128 bytes each."""
        args: list[bytes] = []
        n = len(argv)
        shown = min(n, SLOWLOG_ENTRY_MAX_ARGC)
        for j in range(shown):
            if shown != n and j == shown - 1:
                args.append(b"... (%d more arguments)" % (n - shown + 1))
                break
            a = argv[j]
            if len(a) > SLOWLOG_ENTRY_MAX_STRING:
                a = a[:SLOWLOG_ENTRY_MAX_STRING] + b"... (%d more bytes)" % (
                    len(a) - SLOWLOG_ENTRY_MAX_STRING
                )
            args.append(a)
        self.entries.appendleft(SlowlogEntry(self.next_id, now_s, duration_us, args, peer, name))
        self.next_id += 1
        while len(self.entries) > keep:
            self.entries.pop()


class LatencyMonitor:
    """latency.c: per event, the last 160 samples (one a second, the worst of the second)
    and the all-time maximum."""

    def __init__(self) -> None:
        self.events: dict[bytes, dict[str, Any]] = {}

    def add(self, event: bytes, now_s: int, latency_ms: int) -> None:
        ts = self.events.get(event)
        if ts is None:
            ts = self.events[event] = {"samples": deque(maxlen=LATENCY_TS_LEN), "max": 0}
        samples = ts["samples"]
        if latency_ms > ts["max"]:
            ts["max"] = latency_ms
        if samples and samples[-1][0] == now_s:
            if latency_ms > samples[-1][1]:
                samples[-1] = (now_s, latency_ms)
            return
        samples.append((now_s, latency_ms))

    def reset(self, events: list[bytes] | None) -> int:
        if events is None:
            n = len(self.events)
            self.events.clear()
            return n
        n = 0
        for e in events:
            if self.events.pop(e, None) is not None:
                n += 1
        return n


def monitor_line(now: float, db_id: int, who: bytes, argv: list[bytes]) -> bytes:
    """replicationFeedMonitors: ``+<time> [<db> <client>] "arg" ...`` (sdscatrepr quoting)."""
    parts = b" ".join(repr_bytes(a) for a in argv)
    return b"+%.6f [%d %b] %b\r\n" % (now, db_id, who, parts)


def repr_bytes(s: bytes) -> bytes:
    """sdscatrepr: a quoted string with \\n \\r \\t \\a \\b \\" \\\\ and \\xHH escapes."""
    out = bytearray(b'"')
    for c in s:
        if c == 0x5C:
            out += b"\\\\"
        elif c == 0x22:
            out += b'\\"'
        elif c == 0x0A:
            out += b"\\n"
        elif c == 0x0D:
            out += b"\\r"
        elif c == 0x09:
            out += b"\\t"
        elif c == 0x07:
            out += b"\\a"
        elif c == 0x08:
            out += b"\\b"
        elif 0x20 <= c < 0x7F:
            out.append(c)
        else:
            out += b"\\x%02x" % c
    out += b'"'
    return bytes(out)
