"""Randomized differential tests against a real redis-server 7.0: seeded random command
sequences over strings and the keyspace, INCRBYFLOAT's long double arithmetic on random
numbers, LCS on longer strings and complete SCAN iterations, compared byte for byte (relative
deadlines within the run time)."""

from __future__ import annotations

import pytest

from tests.redis import realredis
from tests.redis.test_differential_data import FAR, FAR_MS, _parse


def _random_sequence(seed: int, n: int) -> list[list]:
    import random

    rng = random.Random(seed)
    keys = ["a", "b", "c", "n", "f"]
    values = [
        "",
        "0",
        "1",
        "-1",
        "42",
        "007",
        "3.14",
        "-2.5e3",
        "1e400",
        "abc",
        "x" * 50,
        "9223372036854775807",
        "-9223372036854775808",
        "hello world",
        "\x00\xff",
        "12 ",
        "0x1A",
        "inf",
        "-0",
        " 5",
        "1e-3",
        "100000000000000000000",
    ]
    ints = [
        "0",
        "1",
        "-1",
        "5",
        "-5",
        "100",
        "-100",
        "x",
        "",
        "9223372036854775807",
        "-9223372036854775808",
        "3.0",
        "07",
    ]
    floats = [
        "0",
        "1.5",
        "-0.1",
        "1e10",
        "-1e-10",
        "abc",
        "inf",
        "nan",
        "0.3333333333333333",
        "123456789.123456789",
        "5e-324",
        "1e4931",
        "-7",
    ]
    ops = [
        lambda: ["SET", rng.choice(keys), rng.choice(values)],
        lambda: ["GET", rng.choice(keys)],
        lambda: ["APPEND", rng.choice(keys), rng.choice(values)],
        lambda: ["SETRANGE", rng.choice(keys), rng.choice(ints + ["3", "60"]), rng.choice(values)],
        lambda: ["GETRANGE", rng.choice(keys), rng.choice(ints), rng.choice(ints)],
        lambda: ["INCRBY", rng.choice(keys), rng.choice(ints)],
        lambda: ["DECRBY", rng.choice(keys), rng.choice(ints)],
        lambda: ["INCR", rng.choice(keys)],
        lambda: ["INCRBYFLOAT", rng.choice(keys), rng.choice(floats)],
        lambda: ["STRLEN", rng.choice(keys)],
        lambda: [
            "LCS",
            rng.choice(keys),
            rng.choice(keys),
            *rng.choice(
                [
                    [],
                    ["LEN"],
                    ["IDX"],
                    ["IDX", "WITHMATCHLEN"],
                    ["IDX", "MINMATCHLEN", rng.choice(ints)],
                ]
            ),
        ],
        lambda: ["GETSET", rng.choice(keys), rng.choice(values)],
        lambda: ["GETDEL", rng.choice(keys)],
        lambda: ["MSETNX", rng.choice(keys), rng.choice(values), rng.choice(keys), "v"],
        lambda: ["DEL", rng.choice(keys), rng.choice(keys)],
        lambda: ["EXISTS", rng.choice(keys), rng.choice(keys)],
        lambda: ["RENAME", rng.choice(keys), rng.choice(keys)],
        lambda: ["COPY", rng.choice(keys), rng.choice(keys), *rng.choice([[], ["REPLACE"]])],
        lambda: ["OBJECT", "ENCODING", rng.choice(keys)],
        lambda: ["OBJECT", "REFCOUNT", rng.choice(keys)],
        lambda: ["DUMP", rng.choice(keys)],
        lambda: [
            "SET",
            rng.choice(keys),
            rng.choice(values),
            *rng.choice([["NX"], ["XX"], ["GET"], ["NX", "GET"], ["XX", "GET"], ["KEEPTTL"]]),
        ],
        lambda: ["TYPE", rng.choice(keys)],
    ]
    return [rng.choice(ops)() for _ in range(n)]


@pytest.mark.parametrize("seed", range(24))
def test_random_string_sequences(differ, seed: int) -> None:
    commands = _random_sequence(seed, 150)
    ours, theirs = differ(commands, resp=2 if seed % 2 else 3)
    for cmd, a, b in zip(commands, ours, theirs, strict=True):
        assert a == b, f"{cmd!r}: polystack {a!r} != redis {b!r}"


def _random_keyspace_sequence(seed: int, n: int) -> list[list]:
    import random

    rng = random.Random(1000 + seed)
    keys = ["a", "b", "c", "d"]
    secs = ["1000", "5000", "-1", "0", "x", "9223372036854775807", "100000"]
    abs_s = [FAR, "1", "4102444801", "0"]
    abs_ms = [FAR_MS, "1", "4102444800999"]
    flags = [[], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"], ["GT", "LT"], ["XX", "GT"], ["BAD"]]
    # GT/LT between two deadlines both relative to "now" depend on each server's timing
    rel_flags = [[], ["NX"], ["XX"], ["NX", "XX"], ["GT", "LT"], ["BAD"]]
    dbs = ["0", "1", "2", "16", "-1", "x"]
    ops = [
        lambda: ["SET", rng.choice(keys), rng.choice(["1", "v", "12345", "x" * 60])],
        lambda: ["SET", rng.choice(keys), "v", "EX", rng.choice(secs)],
        lambda: ["EXPIRE", rng.choice(keys), rng.choice(secs), *rng.choice(rel_flags)],
        lambda: ["PEXPIRE", rng.choice(keys), rng.choice(secs) + "000", *rng.choice(rel_flags)],
        lambda: ["EXPIREAT", rng.choice(keys), rng.choice(abs_s), *rng.choice(flags)],
        lambda: ["PEXPIREAT", rng.choice(keys), rng.choice(abs_ms), *rng.choice(flags)],
        lambda: ["TTL", rng.choice(keys)],
        lambda: ["EXPIRETIME", rng.choice(keys)],
        lambda: ["PEXPIRETIME", rng.choice(keys)],
        lambda: ["PERSIST", rng.choice(keys)],
        lambda: ["EXISTS", *rng.sample(keys, 2)],
        lambda: ["DEL", rng.choice(keys)],
        lambda: ["UNLINK", *rng.sample(keys, 2)],
        lambda: ["RENAME", rng.choice(keys), rng.choice(keys)],
        lambda: ["RENAMENX", rng.choice(keys), rng.choice(keys)],
        lambda: [
            "COPY",
            rng.choice(keys),
            rng.choice(keys),
            *rng.choice(
                [[], ["REPLACE"], ["DB", rng.choice(dbs)], ["DB", rng.choice(dbs), "REPLACE"]]
            ),
        ],
        lambda: ["MOVE", rng.choice(keys), rng.choice(dbs)],
        lambda: ["SELECT", rng.choice(["0", "1", "2"])],
        lambda: ["TYPE", rng.choice(keys)],
        lambda: ["TOUCH", *rng.sample(keys, 3)],
        lambda: [
            "GETEX",
            rng.choice(keys),
            *rng.choice(
                [
                    [],
                    ["PERSIST"],
                    ["EX", rng.choice(secs)],
                    ["EXAT", rng.choice(abs_s)],
                    ["PXAT", rng.choice(abs_ms)],
                ]
            ),
        ],
        lambda: ["OBJECT", "ENCODING", rng.choice(keys)],
        lambda: ["DBSIZE"],
        lambda: ["INCR", rng.choice(keys)],
        lambda: ["APPEND", rng.choice(keys), "zz"],
    ]
    return [rng.choice(ops)() for _ in range(n)]


@pytest.mark.parametrize("seed", range(24))
def test_random_keyspace_sequences(differ, seed: int) -> None:
    commands = _random_keyspace_sequence(seed, 150) + [["SELECT", "0"]]
    ours, theirs = differ(commands, resp=2 if seed % 2 else 3)
    for cmd, a, b in zip(commands, ours, theirs, strict=True):
        if a != b and cmd[0] in ("EXPIRETIME", "PEXPIRETIME", "TTL", "PTTL"):
            # a deadline set relative to each server's own clock (or a TTL read a moment
            # later on the other server): equal within the run time
            x, y = _parse(a), _parse(b)
            slack = 5 if cmd[0] in ("EXPIRETIME", "TTL") else 5000
            assert min(x, y) > 0 and abs(x - y) <= slack, f"{cmd!r}: {a!r} != {b!r}"
            continue
        assert a == b, f"{cmd!r}: polystack {a!r} != redis {b!r}"


def _random_floats(seed: int, n: int) -> list[str]:
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.randrange(6)
        if kind == 0:
            out.append(repr(rng.uniform(-1e6, 1e6)))
        elif kind == 1:
            out.append(f"{rng.uniform(-1, 1):.{rng.randint(1, 25)}f}")
        elif kind == 2:
            out.append(f"{rng.uniform(1, 10):.{rng.randint(1, 20)}f}e{rng.randint(-4950, 4940)}")
        elif kind == 3:
            out.append(str(rng.randint(-(10**25), 10**25)))
        elif kind == 4:
            out.append(f"{rng.choice(['', '-'])}0x{rng.getrandbits(60):x}p{rng.randint(-80, 80)}")
        else:
            out.append(
                rng.choice(
                    [
                        "0.1",
                        "0.2",
                        "0.3",
                        "1e-17",
                        "-1e-18",
                        "123.456",
                        "1e20",
                        "-99999999999999999.99",
                        "0.00000000000000001",
                        "5e-4951",
                    ]
                )
            )
    return out


@pytest.mark.parametrize("seed", range(4))
def test_incrbyfloat_long_double_arithmetic(differ, seed: int) -> None:
    values = _random_floats(seed, 120)
    incrs = _random_floats(seed + 100, 120)
    commands: list[list] = []
    for v, inc in zip(values, incrs, strict=True):
        commands += [["SET", "f", v], ["INCRBYFLOAT", "f", inc], ["INCRBYFLOAT", "g", inc]]
    ours, theirs = differ(commands, resp=3 if seed % 2 else 2)
    for cmd, a, b in zip(commands, ours, theirs, strict=True):
        assert a == b, f"{cmd!r}: polystack {a!r} != redis {b!r}"


def test_full_scan_iterations_agree(server, real_redis) -> None:
    names = [f"user:{i}" for i in range(300)] + [f"item:{i}" for i in range(200)]
    results = []
    for port in (server.redis_port, real_redis.port):
        client = realredis.RawClient(port)
        try:
            client.call("FLUSHALL")
            client.call("MSET", *[x for n in names for x in (n, "1")])
            seen = []
            for args in ((), ("MATCH", "user:*"), ("TYPE", "string", "MATCH", "item:1*")):
                cursor = b"0"
                keys: list[bytes] = []
                while True:
                    cursor, batch = _parse(client.call("SCAN", cursor, "COUNT", "7", *args))
                    keys += batch
                    if cursor == b"0":
                        break
                seen.append(sorted(set(keys)))
            results.append(seen)
        finally:
            client.close()
    assert results[0] == results[1]
    assert len(results[0][0]) == 500


@pytest.mark.parametrize("seed", range(3))
def test_lcs_on_longer_strings(differ, seed: int) -> None:
    import random

    rng = random.Random(seed)
    commands: list[list] = []
    for _ in range(8):
        alphabet = rng.choice(["ab", "acgt", "abcdefghij"])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        commands += [
            ["MSET", "a", a, "b", b],
            ["LCS", "a", "b"],
            ["LCS", "a", "b", "LEN"],
            ["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
            ["LCS", "b", "a", "IDX", "MINMATCHLEN", str(rng.randint(0, 6))],
        ]
    ours, theirs = differ(commands, resp=2 + seed % 2)
    for cmd, x, y in zip(commands, ours, theirs, strict=True):
        assert x == y, cmd[:2]
