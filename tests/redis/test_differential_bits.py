"""Bitmaps and HyperLogLog against a real redis-server 7.0: replies byte for byte (RESP2 and
RESP3), the strings they leave behind (HLL sparse/dense layouts included, compared with GET),
random BITCOUNT/BITPOS ranges and BITFIELD operations."""

from __future__ import annotations

import random

import pytest

from tests.redis.scenarios import check

pytestmark = pytest.mark.differential

SCENARIOS: dict[str, list[list]] = {
    "bitmaps": [
        ["SETBIT", "b", "7", "1"],
        ["GET", "b"],
        ["SETBIT", "b", "7", "1"],
        ["SETBIT", "b", "7", "0"],
        ["SETBIT", "b", "100", "1"],
        ["GET", "b"],
        ["STRLEN", "b"],
        ["SETBIT", "b", "-1", "1"],
        ["SETBIT", "b", "x", "1"],
        ["SETBIT", "b", "1", "2"],
        ["SETBIT", "b", "1", "-1"],
        ["SETBIT", "b", "1", "x"],
        ["SETBIT", "b", "4294967296", "1"],
        ["GETBIT", "b", "7"],
        ["GETBIT", "b", "100"],
        ["GETBIT", "b", "100000"],
        ["GETBIT", "nokey", "1"],
        ["GETBIT", "b", "-1"],
        ["OBJECT", "ENCODING", "b"],
        ["SET", "s", "foobar"],
        ["BITCOUNT", "s"],
        ["BITCOUNT", "s", "0", "0"],
        ["BITCOUNT", "s", "1", "1"],
        ["BITCOUNT", "s", "1", "1", "BYTE"],
        ["BITCOUNT", "s", "5", "30", "BIT"],
        ["BITCOUNT", "s", "-2", "-1"],
        ["BITCOUNT", "s", "-1", "-2"],
        ["BITCOUNT", "s", "0", "-100"],
        ["BITCOUNT", "s", "0"],
        ["BITCOUNT", "s", "0", "1", "FOO"],
        ["BITCOUNT", "s", "0", "1", "BIT", "extra"],
        ["BITCOUNT", "nokey", "0"],
        ["BITCOUNT", "s", "x", "1"],
        ["SET", "z", b"\xff\xf0\x00"],
        ["BITPOS", "z", "0"],
        ["BITPOS", "z", "1"],
        ["BITPOS", "z", "0", "1"],
        ["BITPOS", "z", "1", "2"],
        ["BITPOS", "z", "0", "2", "-1"],
        ["BITPOS", "z", "1", "2", "-1", "BYTE"],
        ["BITPOS", "z", "0", "7", "15", "BIT"],
        ["BITPOS", "z", "1", "7", "15", "BIT"],
        ["BITPOS", "z", "0", "0", "7", "BIT"],
        ["BITPOS", "z", "1", "17", "23", "BIT"],
        ["BITPOS", "z", "0", "3", "10", "BIT"],
        ["BITPOS", "z", "2"],
        ["BITPOS", "nokey", "1"],
        ["BITPOS", "nokey", "0"],
        ["BITPOS", "z", "1", "0", "1", "FOO"],
        ["SET", "ones", b"\xff\xff"],
        ["BITPOS", "ones", "0"],
        ["BITPOS", "ones", "0", "0", "-1"],
        ["BITPOS", "ones", "0", "0"],
        ["SET", "zero", b"\x00\x00"],
        ["BITPOS", "zero", "1"],
        ["SET", "a", "abc"],
        ["SET", "b2", "xyzw"],
        ["BITOP", "AND", "d", "a", "b2"],
        ["GET", "d"],
        ["BITOP", "OR", "d", "a", "b2"],
        ["GET", "d"],
        ["BITOP", "XOR", "d", "a", "b2", "nokey"],
        ["GET", "d"],
        ["BITOP", "NOT", "d", "a"],
        ["GET", "d"],
        ["BITOP", "NOT", "d", "a", "b2"],
        ["BITOP", "FOO", "d", "a"],
        ["BITOP", "AND", "d", "nokey", "nokey2"],
        ["EXISTS", "d"],
        ["LPUSH", "l", "x"],
        ["BITOP", "AND", "d", "a", "l"],
        ["BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0", "INCRBY", "u8", "0", "10"],
        [
            "BITFIELD",
            "bf",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "u8",
            "0",
            "1000",
            "OVERFLOW",
            "FAIL",
            "INCRBY",
            "u8",
            "0",
            "1",
        ],
        [
            "BITFIELD",
            "bf",
            "SET",
            "i8",
            "#1",
            "-100",
            "GET",
            "i8",
            "#1",
            "GET",
            "u4",
            "8",
            "GET",
            "i64",
            "0",
            "GET",
            "u63",
            "0",
        ],
        ["BITFIELD", "bf", "INCRBY", "i5", "100", "1", "GET", "i5", "100"],
        [
            "BITFIELD",
            "bf",
            "OVERFLOW",
            "WRAP",
            "INCRBY",
            "i8",
            "0",
            "200",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i8",
            "0",
            "-1000",
        ],
        ["BITFIELD", "bf", "SET", "u64", "0", "1"],
        ["BITFIELD", "bf", "SET", "i65", "0", "1"],
        ["BITFIELD", "bf", "SET", "x8", "0", "1"],
        ["BITFIELD", "bf", "SET", "u8", "-1", "1"],
        ["BITFIELD", "bf", "SET", "u8", "0"],
        ["BITFIELD", "bf", "OVERFLOW", "MAYBE"],
        ["BITFIELD", "bf", "FOO"],
        ["GET", "bf"],
        ["BITFIELD", "nokey", "GET", "u8", "0"],
        ["EXISTS", "nokey"],
        ["BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10"],
        ["EXISTS", "new"],
        ["GET", "new"],
        ["BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i16", "4"],
        ["BITFIELD_RO", "bf", "SET", "u8", "0", "1"],
        ["BITFIELD_RO", "nokey", "GET", "u8", "0"],
        ["BITFIELD", "l", "GET", "u8", "0"],
        ["COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0"],
        ["COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "INCRBY", "u8", "0", "1"],
        ["COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "FOO"],
    ],
    "hyperloglog": [
        ["PFADD", "h", "a", "b", "c"],
        ["GET", "h"],
        ["PFCOUNT", "h"],
        ["GET", "h"],
        ["PFADD", "h", "a"],
        ["PFADD", "h", "d"],
        ["GET", "h"],
        ["OBJECT", "ENCODING", "h"],
        ["PFADD", "h2"],
        ["GET", "h2"],
        ["PFADD", "h2"],
        ["PFCOUNT", "nokey"],
        ["PFCOUNT", "h", "h2", "nokey"],
        ["PFMERGE", "m", "h", "h2"],
        ["GET", "m"],
        ["PFCOUNT", "m"],
        ["PFDEBUG", "ENCODING", "h"],
        ["PFDEBUG", "DECODE", "h"],
        ["PFDEBUG", "TODENSE", "h"],
        ["PFDEBUG", "ENCODING", "h"],
        ["PFDEBUG", "TODENSE", "h"],
        ["PFDEBUG", "DECODE", "h"],
        ["PFCOUNT", "h"],
        ["PFDEBUG", "FOO", "h"],
        ["PFDEBUG", "ENCODING", "nokey"],
        ["SET", "s", "notanhll"],
        ["PFADD", "s", "a"],
        ["PFCOUNT", "s"],
        ["PFMERGE", "s", "h"],
        ["LPUSH", "l", "a"],
        ["PFADD", "l", "a"],
        ["PFCOUNT", "l"],
        ["PFMERGE", "d", "h", "m"],
        ["GET", "d"],
        ["PFCOUNT", "d"],
        ["PFDEBUG", "GETREG", "m"],
    ],
}


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenarios(differ, name: str, resp: int) -> None:
    check(differ, SCENARIOS[name], resp)


def _bit_commands(seed: int) -> list[list]:
    rng = random.Random(seed)
    cmds: list[list] = []
    for _ in range(15):
        value = bytes(rng.choice([0, 255, rng.randrange(256)]) for _ in range(rng.randint(0, 6)))
        cmds.append(["SET", "k", value])
        for _ in range(8):
            a, b = str(rng.randint(-20, 20)), str(rng.randint(-20, 20))
            unit = rng.choice([[], ["BIT"], ["BYTE"]])
            cmds.append(["BITCOUNT", "k", a, b, *unit])
            bit = str(rng.randint(0, 1))
            form = rng.randint(0, 3)
            tail = [[], [a], [a, b], [a, b, rng.choice(["BIT", "BYTE"])]][form]
            cmds.append(["BITPOS", "k", bit, *tail])
        for _ in range(4):
            ops: list[str] = []
            for _ in range(rng.randint(1, 4)):
                t = rng.choice("iu") + str(rng.randint(1, 63))
                off = str(rng.randint(0, 80)) if rng.random() < 0.7 else f"#{rng.randint(0, 5)}"
                big = rng.random() < 0.3
                num = str(rng.randint(-(2**63), 2**63 - 1) if big else rng.randint(-300, 300))
                kind = rng.random()
                if kind < 0.2:
                    ops += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"])]
                if kind < 0.5:
                    ops += ["GET", t, off]
                elif kind < 0.75:
                    ops += ["SET", t, off, num]
                else:
                    ops += ["INCRBY", t, off, num]
            cmds += [["BITFIELD", "k", *ops], ["GET", "k"]]
    return cmds


@pytest.mark.parametrize("seed", range(6))
def test_random_bit_ranges_and_bitfields(differ, seed: int) -> None:
    check(differ, _bit_commands(seed))


@pytest.mark.parametrize("seed", range(3))
def test_hll_layout_through_sparse_and_dense(differ, seed: int) -> None:
    rng = random.Random(seed)
    cmds: list[list] = []
    for _ in range(40):
        batch = [
            f"e{rng.randint(0, 10**9)}" for _ in range(rng.randint(1, rng.choice([3, 30, 300])))
        ]
        cmds += [["PFADD", "h", *batch], ["PFCOUNT", "h"], ["GET", "h"]]
        if rng.random() < 0.15:
            cmds += [["PFADD", "g", *batch[:5]], ["PFMERGE", "h", "g", "h"], ["GET", "h"]]
            cmds += [["PFCOUNT", "h", "g"], ["PFDEBUG", "ENCODING", "h"]]
    check(differ, cmds)


def test_hll_config_and_restore(differ) -> None:
    cmds = [
        ["CONFIG", "SET", "hll-sparse-max-bytes", "30"],
        ["PFADD", "h", *[f"x{i}" for i in range(10)]],
        ["PFDEBUG", "ENCODING", "h"],
        ["GET", "h"],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
        ["CONFIG", "GET", "hll-sparse-max-bytes"],
        ["DUMP", "h"],
        ["PFADD", "s", "a"],
        ["DUMP", "s"],
        ["OBJECT", "ENCODING", "s"],
        ["DEBUG", "RELOAD"],
        ["PFCOUNT", "h", "s"],
        ["GET", "s"],
    ]
    check(differ, cmds)


def test_command_info_and_docs(differ) -> None:
    names = [
        "setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro",
        "pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest",
    ]  # fmt: skip
    for resp in (2, 3):
        check(differ, [["COMMAND", "INFO", n] for n in names], resp)
        check(differ, [["COMMAND", "DOCS", n] for n in names], resp)
