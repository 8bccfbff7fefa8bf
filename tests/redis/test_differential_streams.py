"""Streams against a real redis-server 7.0: replies byte for byte (RESP2 and RESP3) with
their error texts, the node layout (XINFO's radix-tree counters, DUMP payloads byte for byte,
DEBUG RELOAD) under random XADD/XDEL/XTRIM workloads with small node limits, consumer groups
(PELs, claims, lags; delivery and idle times masked), blocking XREAD/XREADGROUP with several
clients, and COMMAND INFO/DOCS."""

from __future__ import annotations

import random
from typing import Any

import pytest

from polystack.redis import rdb
from polystack.redis.stream_rdb import read_stream, write_rdb
from tests.redis.scenarios import check, parse
from tests.redis.test_blocking import Session, _both

pytestmark = pytest.mark.differential

BASIC: list[list] = [
    ["XADD", "s", "1-1", "a", "1", "b", "2"],
    ["XADD", "s", "1-2", "a", "3", "b", "4"],
    ["XADD", "s", "1-*", "a", "5", "b", "6"],
    ["XADD", "s", "2-*", "c", "7"],
    ["XADD", "s", "2-5", "a", "1"],
    ["XADD", "s", "1-0", "a", "1"],
    ["XADD", "s", "0-0", "a", "1"],
    ["XADD", "s2", "0-0", "a", "1"],
    ["EXISTS", "s2"],
    ["XADD", "s", "3-1", "a"],
    ["XADD", "s"],
    ["XADD", "s", "3-1"],
    ["XADD", "s", "NOMKSTREAM", "3-1", "a", "1"],
    ["XADD", "nos", "NOMKSTREAM", "3-1", "a", "1"],
    ["XADD", "s", "MAXLEN", "2", "3-2", "a", "1"],
    ["XADD", "s", "MAXLEN", "~", "2", "3-3", "a", "1"],
    ["XADD", "s", "MAXLEN", "=", "2", "3-4", "a", "1"],
    ["XADD", "s", "MAXLEN", "-1", "3-5", "a", "1"],
    ["XADD", "s", "MAXLEN", "2", "MINID", "1", "3-5", "a", "1"],
    ["XADD", "s", "LIMIT", "10", "3-5", "a", "1"],
    ["XADD", "s", "MAXLEN", "2", "LIMIT", "10", "3-5", "a", "1"],
    ["XADD", "s", "MAXLEN", "~", "2", "LIMIT", "10", "3-5", "a", "1"],
    ["XADD", "s", "MAXLEN", "~", "2", "LIMIT", "-1", "3-6", "a", "1"],
    ["XADD", "s", "abc", "a", "1"],
    ["XADD", "s", "18446744073709551615-18446744073709551615", "a", "1"],
    ["XADD", "s", "18446744073709551615-*", "a", "1"],
    ["XADD", "s", "5", "a", "1"],
    ["XLEN", "s"],
    ["XRANGE", "s", "-", "+"],
    ["XREVRANGE", "s", "+", "-"],
    ["XRANGE", "s", "(3-3", "+"],
    ["XRANGE", "s", "-", "(3-4"],
    ["XRANGE", "s", "-", "+", "COUNT", "1"],
    ["XRANGE", "s", "-", "+", "COUNT", "0"],
    ["XRANGE", "s", "-", "+", "COUNT", "-5"],
    ["XRANGE", "s", "-", "+", "COUNT"],
    ["XRANGE", "s", "-", "+", "FOO", "1"],
    ["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"],
    ["XRANGE", "s", "-", "(0-0"],
    ["XRANGE", "s", "(", "+"],
    ["XRANGE", "s", "abc", "+"],
    ["XRANGE", "s", "3", "3"],
    ["XRANGE", "nokey", "-", "+"],
    ["XLEN", "nokey"],
    ["XDEL", "s", "3-4", "3-5", "9-9"],
    ["XDEL", "s", "abc"],
    ["XDEL", "nokey", "abc"],
    ["XLEN", "s"],
    ["XTRIM", "s", "MAXLEN", "1"],
    ["XTRIM", "s"],
    ["XTRIM", "s", "FOO"],
    ["XTRIM", "s", "MINID", "3-6"],
    ["XTRIM", "s", "MINID", "~", "0"],
    ["XTRIM", "nokey", "MAXLEN", "0"],
    ["XRANGE", "s", "-", "+"],
    ["XINFO", "STREAM", "s"],
    ["XINFO", "STREAM", "s", "FULL"],
    ["XINFO", "STREAM", "s", "FULL", "COUNT", "1"],
    ["XINFO", "STREAM", "s", "FULLX"],
    ["XINFO", "STREAM", "nokey"],
    ["XINFO", "HELP"],
    ["XGROUP", "HELP"],
    ["SET", "str", "x"],
    ["XADD", "str", "*", "a", "1"],
    ["XLEN", "str"],
    ["XRANGE", "str", "-", "+"],
    ["XINFO", "STREAM", "str"],
    ["OBJECT", "ENCODING", "s"],
    ["TYPE", "s"],
    ["XSETID", "s", "1-1"],
    ["XSETID", "s", "99-0"],
    ["XSETID", "s", "99-0", "ENTRIESADDED", "0"],
    ["XSETID", "s", "99-0", "ENTRIESADDED", "10", "MAXDELETEDID", "100-0"],
    ["XSETID", "s", "99-0", "ENTRIESADDED", "10", "MAXDELETEDID", "3-0"],
    ["XSETID", "nokey", "1-1"],
    ["XINFO", "STREAM", "s"],
]

GROUPS: list[list] = [
    ["XADD", "s", "1-1", "a", "1"],
    ["XADD", "s", "2-1", "b", "2"],
    ["XADD", "s", "3-1", "c", "3"],
    ["XGROUP", "CREATE", "s", "g", "0"],
    ["XGROUP", "CREATE", "s", "g", "0"],
    ["XGROUP", "CREATE", "s", "g2", "$"],
    ["XGROUP", "CREATE", "nokey", "g", "0"],
    ["XGROUP", "CREATE", "nokey", "g", "0", "MKSTREAM"],
    ["XGROUP", "CREATE", "nokey2", "g", "$", "MKSTREAM", "ENTRIESREAD", "5"],
    ["XGROUP", "CREATE", "nokey3", "g", "$", "MKSTREAM", "ENTRIESREAD", "-2"],
    ["XGROUP", "CREATE", "s", "g3", "0", "FOO"],
    ["XGROUP", "CREATE", "s", "g3", "abc"],
    ["XGROUP", "CREATE", "s", "g3", "-"],
    ["XGROUP", "CREATE", "s", "g3", "0", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM"],
    ["XINFO", "GROUPS", "s"],
    ["XINFO", "GROUPS", "nokey2"],
    ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"],
    ["XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "nokeyx", ">"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s"],
    ["XREADGROUP", "STREAMS", "s", ">"],
    ["XREAD", "GROUP", "g", "a", "STREAMS", "s", "0"],
    ["XREAD", "NOACK", "STREAMS", "s", "0"],
    ["XREAD", "STREAMS", "s", ">"],
    ["XREAD", "STREAMS", "s", "0"],
    ["XREAD", "COUNT", "2", "STREAMS", "s", "0"],
    ["XREAD", "STREAMS", "s", "$"],
    ["XREAD", "STREAMS", "s", "s", "0", "1"],
    ["XREAD", "STREAMS", "s", "nokey", "0", "0"],
    ["XREAD", "STREAMS", "s", "abc"],
    ["XREAD", "COUNT", "-1", "STREAMS", "s", "0"],
    ["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"],
    ["XREAD", "BLOCK", "abc", "STREAMS", "s", "0"],
    ["XREAD", "FOO", "STREAMS", "s", "0"],
    ["XREAD", "COUNT", "1"],
    ["XINFO", "GROUPS", "s"],
    ["XPENDING", "s", "g"],
    ["XPENDING", "s", "g", "-", "+", "10"],
    ["XPENDING", "s", "g", "-", "+", "10", "alice"],
    ["XPENDING", "s", "g", "-", "+", "10", "nobody"],
    ["XPENDING", "s", "g", "(1-1", "+", "10"],
    ["XPENDING", "s", "g", "IDLE", "0", "-", "+", "10"],
    ["XPENDING", "s", "g", "IDLE", "0", "-", "+"],
    ["XPENDING", "s", "g", "-", "+", "abc"],
    ["XPENDING", "s", "nog"],
    ["XPENDING", "nokey4", "g"],
    ["XPENDING", "s", "g", "-", "+"],
    ["XACK", "s", "g", "1-1", "9-9"],
    ["XACK", "s", "g", "1-1"],
    ["XACK", "s", "g", "abc"],
    ["XACK", "s", "nog", "1-1"],
    ["XACK", "nokey5", "g", "1-1"],
    ["XPENDING", "s", "g"],
    ["XCLAIM", "s", "g", "bob", "0", "2-1", "JUSTID"],
    ["XCLAIM", "s", "g", "bob", "0", "2-1", "3-1", "RETRYCOUNT", "5"],
    ["XPENDING", "s", "g", "-", "+", "10"],
    ["XCLAIM", "s", "g", "bob", "0", "2-1", "FOO"],
    ["XCLAIM", "s", "g", "bob", "abc", "2-1"],
    ["XCLAIM", "s", "nog", "bob", "0", "2-1"],
    ["XCLAIM", "s", "g", "carol", "0", "1-1", "FORCE", "JUSTID"],
    ["XCLAIM", "s", "g", "carol", "0", "1-1", "FORCE"],
    ["XPENDING", "s", "g", "-", "+", "10"],
    ["XDEL", "s", "2-1"],
    ["XCLAIM", "s", "g", "carol", "0", "2-1"],
    ["XPENDING", "s", "g", "-", "+", "10"],
    ["XAUTOCLAIM", "s", "g", "dave", "0", "0"],
    ["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "1"],
    ["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "0"],
    ["XAUTOCLAIM", "s", "g", "dave", "0", "0", "JUSTID"],
    ["XAUTOCLAIM", "s", "g", "dave", "0", "0", "FOO"],
    ["XAUTOCLAIM", "s", "nog", "dave", "0", "0"],
    ["XINFO", "CONSUMERS", "s", "nog"],
    ["XGROUP", "CREATECONSUMER", "s", "g", "eve"],
    ["XGROUP", "CREATECONSUMER", "s", "g", "eve"],
    ["XGROUP", "CREATECONSUMER", "s", "nog", "eve"],
    ["XGROUP", "DELCONSUMER", "s", "g", "eve"],
    ["XGROUP", "DELCONSUMER", "s", "g", "dave"],
    ["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
    ["XPENDING", "s", "g"],
    ["XGROUP", "SETID", "s", "g", "0"],
    ["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "3"],
    ["XGROUP", "SETID", "s", "g", "-"],
    ["XGROUP", "SETID", "s", "nog", "0"],
    ["XGROUP", "SETID", "s", "g", "0", "FOO", "1"],
    ["XINFO", "GROUPS", "s"],
    ["XGROUP", "DESTROY", "s", "g"],
    ["XGROUP", "DESTROY", "s", "g"],
    ["XGROUP", "DESTROY", "nokey6", "g"],
    ["XGROUP", "FOO", "s", "g"],
    ["XGROUP", "CREATE", "s"],
    ["XINFO", "STREAM", "s"],
    ["XINFO", "GROUPS", "s"],
    ["XINFO", "STREAM", "nokey"],
    ["XINFO", "FOO", "s"],
    ["XINFO", "GROUPS"],
    ["XADD", "s", "4-1", "d", "4"],
    ["XDEL", "s", "3-1"],
    ["XINFO", "GROUPS", "s"],
    ["XINFO", "STREAM", "s"],
    ["XREADGROUP", "GROUP", "g2", "x", "STREAMS", "s", ">"],
    ["XINFO", "GROUPS", "s"],
    ["XSETID", "s", "4-1", "ENTRIESADDED", "2"],
    ["XSETID", "s", "3-1"],
    ["XINFO", "STREAM", "s"],
]

_TIME_KEYS = (b"idle", b"seen-time")


def _mask(cmd: list, v: Any) -> Any:
    """Delivery times, seen times and idle times (which differ between two servers) as "T"."""
    name = str(cmd[0]).upper()
    if isinstance(v, dict):
        return {k: "T" if k in _TIME_KEYS else _mask(cmd, x) for k, x in v.items()}
    if isinstance(v, list):
        out = [_mask(cmd, x) for x in v]
        for i in range(1, len(out)):
            if v[i - 1] in _TIME_KEYS:
                out[i] = "T"
        if name == "XPENDING" and len(v) == 4 and isinstance(v[2], int) and isinstance(v[1], bytes):
            out[2] = "T"
        return out
    if isinstance(v, int) and v > 10**12:
        return "T"
    return v


def _stream_dump(payload: bytes) -> tuple[bytes, bytes]:
    """A stream's DUMP payload as (its bytes up to the consumer groups, exact; the groups
    re-encoded with their times zeroed)."""
    reader = rdb.Reader(payload, 1)
    for _ in range(reader.load_plain_len()):
        reader.load_string()
        reader.load_string()
    for _ in range(8):
        reader.load_plain_len()
    head = payload[: reader.pos]
    s = read_stream(rdb.Reader(payload, 1), None)  # type: ignore[arg-type]
    for g in s.groups.values():
        for nack in g.pel.values():
            nack.delivery_time = 0
        for c in g.consumers.values():
            c.seen_time = 0
    return head, write_rdb(s, compress=False)


def _compare(differ: Any, commands: list[list], resp: int = 2) -> None:
    ours, theirs = differ(commands, resp)
    for cmd, a, b in zip(commands, ours, theirs, strict=True):
        if a == b:
            continue
        pa, pb = parse(a), parse(b)
        if str(cmd[0]).upper() == "DUMP" and isinstance(pa, bytes) and isinstance(pb, bytes):
            if _stream_dump(pa) == _stream_dump(pb):
                continue
        elif a[:1] == b[:1] and _mask(cmd, pa) == _mask(cmd, pb):
            continue
        raise AssertionError(f"{cmd!r}: polystack {a!r} != redis {b!r}")


@pytest.mark.parametrize("resp", [2, 3])
def test_basic_scenario(differ, resp: int) -> None:
    check(differ, BASIC, resp)


@pytest.mark.parametrize("resp", [2, 3])
def test_groups_scenario(differ, resp: int) -> None:
    _compare(differ, GROUPS, resp)


def _layout_commands(seed: int) -> list[list]:
    """XADD (same and other fields than the node's master entry, explicit and <ms>-* IDs,
    MAXLEN/MINID trims with = ~ LIMIT), XDEL, XTRIM, reads, XINFO and DUMP, under random
    stream-node-max-bytes/entries."""
    rng = random.Random(seed)
    cmds: list[list] = [
        ["CONFIG", "SET", "stream-node-max-bytes", str(rng.choice([0, 1, 60, 200, 4096]))],
        ["CONFIG", "SET", "stream-node-max-entries", str(rng.choice([0, 1, 3, 10, 100]))],
    ]
    ms = 1
    fieldsets = [["a"], ["a", "b"], ["b", "a"], ["x"], ["1", "2"], ["a", "b", "c"]]
    for _ in range(rng.randint(20, 200)):
        r = rng.random()
        if r < 0.6:
            ms += rng.choice([0, 1, 1, 5, 1000])
            vals: list[str] = []
            for f in rng.choice(fieldsets):
                v = rng.choice(
                    ["1", "v", "12345", "-7", str(rng.randrange(10**6)), "x" * rng.randint(0, 80)]
                )
                vals += [f, v]
            trim: list[str] = []
            if rng.random() < 0.15:
                how = rng.choice(["MAXLEN", "MINID"])
                trim = [how] + ([rng.choice(["~", "="])] if rng.random() < 0.7 else [])
                trim.append(
                    str(rng.randint(0, 50))
                    if how == "MAXLEN"
                    else f"{max(0, ms - rng.randint(0, 3000))}-0"
                )
                if "~" in trim and rng.random() < 0.5:
                    trim += ["LIMIT", str(rng.randint(0, 30))]
            idarg = f"{ms}-*" if rng.random() < 0.5 else f"{ms}-{rng.randint(0, 3)}"
            cmds.append(["XADD", "s", *trim, idarg, *vals])
        elif r < 0.75:
            ids = [f"{rng.randint(1, ms)}-{rng.randint(0, 3)}" for _ in range(rng.randint(1, 4))]
            cmds.append(["XDEL", "s", *ids])
        elif r < 0.8:
            how = rng.choice(["MAXLEN", "MINID"])
            t = [how] + ([rng.choice(["~", "="])] if rng.random() < 0.5 else [])
            t.append(
                str(rng.randint(0, 40))
                if how == "MAXLEN"
                else str(max(0, ms - rng.randint(0, 2000)))
            )
            if "~" in t and rng.random() < 0.5:
                t += ["LIMIT", str(rng.randint(0, 30))]
            cmds.append(["XTRIM", "s", *t])
        elif r < 0.85:
            cmds.append(
                ["XRANGE", "s", str(rng.randint(0, ms)), "+", "COUNT", str(rng.randint(1, 5))]
            )
            cmds.append(
                ["XREVRANGE", "s", "+", str(rng.randint(0, ms)), "COUNT", str(rng.randint(1, 5))]
            )
        elif r < 0.9:
            cmds.append(["XINFO", "STREAM", "s"])
        elif r < 0.95:
            cmds.append(["DUMP", "s"])
        else:
            cmds.append(["XREAD", "COUNT", "3", "STREAMS", "s", f"{rng.randint(0, ms)}-0"])
    cmds += [["XINFO", "STREAM", "s", "FULL"], ["DUMP", "s"], ["XRANGE", "s", "-", "+"]]
    cmds += [["DEBUG", "RELOAD"], ["XINFO", "STREAM", "s"], ["DUMP", "s"], ["XLEN", "s"]]
    return cmds


@pytest.mark.parametrize("seed", range(8))
def test_random_node_layouts(differ, seed: int) -> None:
    check(differ, _layout_commands(seed))


def _group_commands(seed: int) -> list[list]:
    rng = random.Random(1000 + seed)
    cmds: list[list] = [["CONFIG", "SET", "stream-node-max-entries", str(rng.choice([2, 5, 100]))]]
    ms = 0
    groups = ["g1", "g2"]
    consumers = ["alice", "bob", "carol"]
    for _ in range(6):
        ms += 1
        cmds.append(["XADD", "s", f"{ms}-0", "f", str(ms)])
    cmds.append(["XGROUP", "CREATE", "s", "g1", "0"])
    cmds.append(["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", str(rng.randint(-1, 6))])

    def some_id() -> str:
        return f"{rng.randint(1, max(1, ms))}-0"

    for _ in range(rng.randint(30, 80)):
        g, c = rng.choice(groups), rng.choice(consumers)
        r = rng.random()
        if r < 0.2:
            ms += rng.randint(1, 3)
            cmds.append(["XADD", "s", f"{ms}-0", "f", str(ms)])
        elif r < 0.4:
            where = ">" if rng.random() < 0.7 else rng.choice(["0", some_id()])
            opts = ["COUNT", str(rng.randint(1, 4))] if rng.random() < 0.7 else []
            if rng.random() < 0.1:
                opts.append("NOACK")
            cmds.append(["XREADGROUP", "GROUP", g, c, *opts, "STREAMS", "s", where])
        elif r < 0.5:
            cmds.append(["XACK", "s", g, *[some_id() for _ in range(rng.randint(1, 3))]])
        elif r < 0.6:
            opts = [o for o in ("JUSTID", "FORCE") if rng.random() < 0.3]
            if rng.random() < 0.3:
                opts += ["RETRYCOUNT", str(rng.randint(0, 9))]
            if rng.random() < 0.2:
                opts += ["LASTID", some_id()]
            cmds.append(
                ["XCLAIM", "s", g, c, "0", *[some_id() for _ in range(rng.randint(1, 3))], *opts]
            )
        elif r < 0.67:
            opts = ["COUNT", str(rng.randint(1, 5))] + (["JUSTID"] if rng.random() < 0.3 else [])
            cmds.append(["XAUTOCLAIM", "s", g, c, "0", rng.choice(["0", some_id()]), *opts])
        elif r < 0.75:
            cmds.append(["XDEL", "s", some_id()])
        elif r < 0.78:
            cmds.append(["XTRIM", "s", "MAXLEN", str(rng.randint(2, 8))])
        elif r < 0.82:
            cmds.append(["XGROUP", "SETID", "s", g, rng.choice(["0", "$", some_id()])])
        elif r < 0.85:
            cmds.append(["XGROUP", rng.choice(["CREATECONSUMER", "DELCONSUMER"]), "s", g, c])
        elif r < 0.9:
            cmds.append(["XPENDING", "s", g])
            cmds.append(["XPENDING", "s", g, "-", "+", "10", c])
        elif r < 0.95:
            cmds.append(["XINFO", "GROUPS", "s"])
            cmds.append(["XINFO", "STREAM", "s", "FULL"])
        else:
            cmds.append(["DUMP", "s"])
    cmds += [["XINFO", "STREAM", "s", "FULL"], ["DUMP", "s"], ["DEBUG", "RELOAD"]]
    cmds += [["XINFO", "GROUPS", "s"], ["XPENDING", "s", "g1"], ["DUMP", "s"]]
    return cmds


@pytest.mark.parametrize("seed", range(6))
def test_random_consumer_groups(differ, seed: int) -> None:
    _compare(differ, _group_commands(seed), 3 if seed % 2 else 2)


def test_command_info_and_docs(differ) -> None:
    names = (
        "xadd xrange xrevrange xlen xdel xtrim xsetid xread xreadgroup xack xpending xclaim "
        "xautoclaim xgroup|create xgroup|setid xgroup|destroy xgroup|createconsumer "
        "xgroup|delconsumer xgroup|help xinfo|stream xinfo|groups xinfo|consumers xinfo|help"
    ).split()
    for resp in (2, 3):
        check(differ, [["COMMAND", "INFO", n] for n in names], resp)
        check(differ, [["COMMAND", "DOCS", n] for n in names], resp)
    for container in ("xgroup", "xinfo"):  # subcommands in Redis's (seeded) dict order
        ours, theirs = differ([["COMMAND", "INFO", container], ["COMMAND", "DOCS", container]])
        a, b = parse(ours[0])[0], parse(theirs[0])[0]
        assert a[:9] == b[:9] and sorted(a[9]) == sorted(b[9])
        da, db = parse(ours[1]), parse(theirs[1])
        sa, sb = da[1][-1], db[1][-1]
        assert da[1][:-1] == db[1][:-1]
        pairs = lambda flat: sorted(zip(flat[0::2], map(repr, flat[1::2]), strict=True))  # noqa: E731
        assert pairs(sa) == pairs(sb)
    check(
        differ,
        [
            ["COMMAND", "GETKEYS", "XREAD", "COUNT", "1", "STREAMS", "a", "b", "c", "1", "2", "3"],
            ["COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", "1", "2"],
            ["COMMAND", "GETKEYS", "XGROUP", "CREATE", "k", "g", "$"],
            ["COMMAND", "GETKEYS", "XINFO", "STREAM", "k"],
        ],
    )


# -- blocking ---------------------------------------------------------------------------------
def test_xread_block_served_in_arrival_order(server, real_redis) -> None:
    def script(s: Session) -> list:
        s.send("a", "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        s.wait_blocked(1)
        s.send("b", "XREAD", "BLOCK", "0", "COUNT", "1", "STREAMS", "other", "s", "$", "$")
        s.wait_blocked(2)
        out = [s.call("p", "XADD", "s", "1-1", "f", "v"), s.read("a"), s.read("b")]
        out.append(s.call("p", "XADD", "s", "1-2", "f", "w"))
        s.send("a", "XREAD", "BLOCK", "0", "STREAMS", "s", "1-0")
        out.append(s.read("a"))  # served at once: 1-1 and 1-2 are past 1-0
        s.send("a", "XREAD", "BLOCK", "0", "STREAMS", "s", "s", "$", "9-9")  # first ID wins
        s.wait_blocked(1)
        out += [s.call("p", "XADD", "s", "2-1", "x", "y"), s.read("a")]
        s.send("a", "XREAD", "BLOCK", "0", "STREAMS", "s", "+")
        out.append(s.read("a"))
        s.send("a", "XREAD", "BLOCK", "30", "STREAMS", "s", "$")
        out.append(s.read("a"))  # the timeout's null reply
        out.append(s.call("p", "XADD", "gone", "5-5", "a", "1"))
        s.send("a", "XREAD", "BLOCK", "0", "STREAMS", "gone", "$")
        s.wait_blocked(1)
        out.append(s.call("p", "DEL", "gone"))
        s.wait_blocked(1)  # a deleted stream leaves XREAD waiting
        out.append(s.call("p", "XADD", "gone", "1-1", "b", "2"))
        s.wait_blocked(1)  # ... for entries past 5-5, even in a new stream
        out += [s.call("p", "XADD", "gone", "6-0", "c", "3"), s.read("a")]
        return out

    got = _both(server, real_redis, script)
    assert got[1].startswith(b"*1\r\n*2\r\n$1\r\ns\r\n")


def test_xreadgroup_block(server, real_redis) -> None:
    def script(s: Session) -> list:
        out = [s.call("p", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")]
        s.send("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        s.wait_blocked(1)
        s.send("b", "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
        s.wait_blocked(2)
        out += [s.call("p", "XADD", "s", "1-1", "f", "v"), s.read("a")]
        out += [s.call("p", "XADD", "s", "1-2", "f", "w"), s.read("b")]
        out.append(s.call("p", "XPENDING", "s", "g"))
        s.send("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "NOACK", "STREAMS", "s", ">")
        s.wait_blocked(1)
        out += [s.call("p", "XADD", "s", "1-3", "f", "x"), s.read("a")]
        out.append(s.call("p", "XPENDING", "s", "g"))
        s.send("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        s.wait_blocked(1)
        out += [s.call("p", "XGROUP", "DESTROY", "s", "g"), s.read("a")]
        out.append(s.call("p", "XGROUP", "CREATE", "s", "g", "$"))
        s.send("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        s.wait_blocked(1)
        out += [s.call("p", "DEL", "s"), s.read("a")]
        out.append(s.call("p", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"))
        s.send("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
        s.wait_blocked(1)
        out += [s.call("p", "SET", "s", "now a string"), s.read("a")]
        out.append(s.call("p", "XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"))
        s.send("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "30", "STREAMS", "t", ">")
        out.append(s.read("a"))
        s.send("a", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "t", ">")
        s.wait_blocked(1)
        out += [s.call("p", "FLUSHALL"), s.read("a")]
        return out

    got = _both(server, real_redis, script)
    assert got[10].startswith(b"-NOGROUP") and got[-1].startswith(b"-UNBLOCKED")
    assert got[13].startswith(b"-UNBLOCKED") and got[16].startswith(b"-UNBLOCKED")
