"""Differential scenarios over several connections (pub/sub, WATCH, tracking ...).

A scenario is a list of steps run in order against one server:

``("a", "SET", "k", "v")``       connection ``a`` sends a command and reads one reply
``("a", "+3", "SUBSCRIBE", ...)`` ... and reads three replies
``("a", "read")``                 connection ``a`` reads one more reply (a push)
``("a", "hello3")``               connection ``a`` switches to RESP3 (HELLO 3, reply dropped)
``("sleep", 0.05)``               wait

:func:`run` returns every reply read, as raw bytes, in order; :func:`compare` runs the same
scenario on polystack and on the real redis-server and returns both transcripts.
"""

from __future__ import annotations

import re
import time

from tests.redis import realredis

Step = tuple


def run(port: int, steps: list[Step]) -> list[bytes]:
    conns: dict[str, realredis.RawClient] = {}
    out: list[bytes] = []
    try:
        for step in steps:
            who = step[0]
            if who == "sleep":
                time.sleep(step[1])
                continue
            conn = conns.get(who)
            if conn is None:
                conn = conns[who] = realredis.RawClient(port)
            rest = list(step[1:])
            if rest == ["read"]:
                out.append(conn.read_reply())
                continue
            if rest == ["hello3"]:
                conn.call("HELLO", "3")
                continue
            count = 1
            if rest and isinstance(rest[0], str) and rest[0].startswith("+"):
                count = int(rest[0][1:])
                rest = rest[1:]
            conn.send_raw(realredis._encode(rest))
            for _ in range(count):
                out.append(conn.read_reply())
    finally:
        for c in conns.values():
            c.close()
    return out


def compare(ours_port: int, theirs_port: int, steps: list[Step]) -> tuple[list, list]:
    for port in (ours_port, theirs_port):
        realredis.exchange(port, [["FLUSHALL"], ["CONFIG", "SET", "notify-keyspace-events", ""]])
    ours = run(ours_port, steps)
    theirs = run(theirs_port, steps)
    return ours, theirs


_ID = re.compile(rb":\d+\r\n")


def mask_ids(replies: list[bytes]) -> list[bytes]:
    return [_ID.sub(b":ID\r\n", r) for r in replies]
