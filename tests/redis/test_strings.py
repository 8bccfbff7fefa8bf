"""String commands through redis-py (RESP2 and RESP3), plus the handlers' propagation forms
and the long double arithmetic of INCRBYFLOAT as units."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis.commands import strings
from polystack.redis.errors import RedisError
from polystack.redis.store import Keyspace


def test_get_set(r) -> None:
    assert r.get("k") is None
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.set("k", b"\x00\xff") is True
    assert r.get("k") == b"\x00\xff"


def test_set_options(r) -> None:
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.set("k", "3", xx=True) is True
    assert r.set("missing", "3", xx=True) is None
    assert r.set("k", "4", get=True) == b"3"
    assert r.set("new", "x", nx=True, get=True) is None
    assert r.get("new") == b"x"
    assert r.set("new", "y", nx=True, get=True) == b"x"
    assert r.get("new") == b"x"
    assert r.set("k", "v", ex=1000) is True
    assert r.ttl("k") == 1000
    assert r.set("k", "v2", keepttl=True) is True
    assert r.ttl("k") == 1000
    assert r.set("k", "v3") is True
    assert r.ttl("k") == -1
    assert r.set("k", "v", px=5_000_000) is True
    assert r.ttl("k") == 5000
    assert r.set("k", "v", exat=4102444800) is True
    assert r.expiretime("k") == 4102444800
    assert r.set("k", "v", pxat=4102444800123) is True
    assert r.pexpiretime("k") == 4102444800123


@pytest.mark.parametrize(
    "args,message",
    [
        (["SET", "k", "v", "NX", "XX"], "syntax error"),
        (["SET", "k", "v", "EX", "10", "PX", "10"], "syntax error"),
        (["SET", "k", "v", "KEEPTTL", "EX", "10"], "syntax error"),
        (["SET", "k", "v", "EX", "0"], "invalid expire time in 'set' command"),
        (["SET", "k", "v", "EX", "x"], "value is not an integer or out of range"),
        (["SET", "k", "v", "EX", "9223372036854776"], "invalid expire time in 'set' command"),
        (["SETEX", "k", "0", "v"], "invalid expire time in 'setex' command"),
        (["PSETEX", "k", "-1", "v"], "invalid expire time in 'psetex' command"),
        (["GETEX", "k", "EX", "0"], "invalid expire time in 'getex' command"),
        (["MSET", "a", "1", "b"], "wrong number of arguments for 'mset' command"),
        (["MSETNX", "a"], "wrong number of arguments for 'msetnx' command"),
        (["INCRBYFLOAT", "k", "abc"], "value is not a valid float"),
        (["SETRANGE", "k", "-1", "x"], "offset is out of range"),
        (
            ["SETRANGE", "k", "536870912", "x"],
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ),
        (["DECRBY", "k", "-9223372036854775808"], "decrement would overflow"),
        (["LCS", "a", "b", "LEN", "IDX"], "If you want both the length and indexes"),
    ],
)
def test_errors(r, args, message) -> None:
    r.set("k", "1")
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    assert str(info.value).startswith(message)


def test_setnx_setex_psetex(r) -> None:
    assert r.setnx("k", "a") is True
    assert r.setnx("k", "b") is False
    assert r.get("k") == b"a"
    assert r.execute_command("SETEX", "k", 1000, "c") is True
    assert r.ttl("k") == 1000
    assert r.execute_command("PSETEX", "k", 2_000_000, "d") is True
    assert r.ttl("k") == 2000
    assert r.get("k") == b"d"


def test_getex_getdel_getset(r) -> None:
    assert r.getex("k") is None
    r.set("k", "v")
    assert r.getex("k", ex=1000) == b"v"
    assert r.ttl("k") == 1000
    assert r.getex("k", persist=True) == b"v"
    assert r.ttl("k") == -1
    assert r.getex("k", exat=1) == b"v"
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.getdel("k") == b"v"
    assert r.getdel("k") is None
    assert r.getset("k", "1") is None
    r.expire("k", 1000)
    assert r.getset("k", "2") == b"1"
    assert r.ttl("k") == -1


def test_mget_mset_msetnx(r) -> None:
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b", "c") == [b"1", b"2", None]
    assert r.msetnx({"a": "x", "c": "3"}) is False
    assert r.get("c") is None
    assert r.msetnx({"c": "3", "d": "4"}) is True
    assert r.mget("c", "d") == [b"3", b"4"]


def test_mset_stores_every_pair_in_order(r) -> None:
    """A key given twice keeps its last value; an overwrite replaces any kind of value and
    drops its TTL; every key is stamped as accessed now (OBJECT IDLETIME)."""
    r.rpush("l", "x")
    r.set("t", "old", ex=1000)
    assert r.execute_command("MSET", "k", "1", "l", "2", "k", "3", "t", "4") is True
    assert r.mget("k", "l", "t") == [b"3", b"2", b"4"]
    assert r.type("l") == b"string"
    assert r.ttl("t") == -1
    assert r.object("idletime", "k") == 0
    r.set("e", "v", ex=1000)
    assert r.execute_command("MSET", "e", "w", "f", "z") is True  # (with a TTL in the db)
    assert r.mget("e", "f") == [b"w", b"z"] and r.ttl("e") == -1


def test_append_strlen_ranges(r) -> None:
    assert r.append("k", "Hello") == 5
    assert r.append("k", " World") == 11
    assert r.strlen("k") == 11
    assert r.strlen("nokey") == 0
    assert r.getrange("k", 0, 4) == b"Hello"
    assert r.getrange("k", -5, -1) == b"World"
    assert r.getrange("k", 5, 1) == b""
    assert r.getrange("nokey", 0, -1) == b""
    assert r.substr("k", 0, 0) == b"H"
    assert r.setrange("k", 6, "Redis") == 11
    assert r.get("k") == b"Hello Redis"
    assert r.setrange("pad", 3, "x") == 4
    assert r.get("pad") == b"\x00\x00\x00x"
    assert r.setrange("empty", 10, "") == 0
    assert r.exists("empty") == 0


def test_counters(r) -> None:
    assert r.incr("c") == 1
    assert r.incrby("c", 10) == 11
    assert r.decr("c") == 10
    assert r.decrby("c", 20) == -10
    r.set("c", "9223372036854775807")
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        r.incr("c")
    r.set("s", "abc")
    with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
        r.incr("s")
    r.set("t", "5", ex=1000)
    r.incr("t")
    assert r.ttl("t") == 1000


@pytest.mark.parametrize(
    "stored, result",
    [
        (b"0", 1),
        (b"41", 42),
        (b"-1", 0),
        (b"999999999999999999", 1000000000000000000),
        (b"9223372036854775806", 9223372036854775807),
        (b"007", None),
        (b"+5", None),
        (b" 5", None),
        (b"5 ", None),
        (b"1_0", None),
        (b"", None),
        (b"-0", None),
        (b"\xd9\xa3", None),
        (b"99999999999999999999", None),
    ],
)
def test_incr_reads_the_value_as_string2ll_does(r, stored, result) -> None:
    """Only the canonical decimal form of a 64-bit integer counts (no sign but '-', no
    leading zeros, no spaces or underscores), whatever path reads it."""
    r.set("n", stored)
    if result is None:
        with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
            r.incr("n")
        assert r.get("n") == stored
    else:
        assert r.incr("n") == result
        assert r.get("n") == b"%d" % result


def test_incrbyfloat(r) -> None:
    assert r.incrbyfloat("f", 10.5) == 10.5
    assert r.incrbyfloat("f", "0.1") == 10.6
    assert r.get("f") == b"10.6"
    assert r.incrbyfloat("f", "-5") == 5.6
    assert r.get("f") == b"5.6"
    r.set("g", "5.0e3")
    assert r.incrbyfloat("g", "2.0e2") == 5200
    assert r.get("g") == b"5200"
    with pytest.raises(redis.ResponseError, match="increment would produce NaN or Infinity"):
        r.execute_command("INCRBYFLOAT", "g", "inf")
    with pytest.raises(redis.ResponseError, match="value is not a valid float"):
        r.execute_command("INCRBYFLOAT", "g", "nan")


def test_lcs(r) -> None:
    r.mset({"key1": "ohmytext", "key2": "mynewtext"})
    assert r.lcs("key1", "key2") == b"mytext"
    assert r.lcs("key1", "key2", len=True) == 6
    assert r.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == [
        b"matches",
        [[[4, 7], [5, 8], 4]],
        b"len",
        6,
    ]


def test_resp3_replies(r3) -> None:
    assert r3.get("nokey") is None
    r3.set("k", "v")
    assert r3.set("k", "w", get=True) == b"v"
    assert r3.mget("k", "nokey") == [b"w", None]
    r3.mset({"key1": "ohmytext", "key2": "mynewtext"})
    reply = r3.execute_command("LCS", "key1", "key2", "IDX")
    assert reply[b"len"] == 6
    assert reply[b"matches"][0] == [[4, 7], [5, 8]]
    assert r3.incrbyfloat("f", "1.5") == 1.5
    assert r3.getex("nokey") is None


def test_wrongtype(server, r) -> None:
    class Other(list):
        pass

    from polystack.redis.store import TYPE_NAMES

    TYPE_NAMES.setdefault(Other, "list")
    svc = server.service("redis")
    server.call(lambda: svc.keyspace.dbs[0].data.__setitem__(b"L", Other()))
    for args in (["GET", "L"], ["APPEND", "L", "x"], ["INCR", "L"], ["GETRANGE", "L", "0", "1"]):
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE Operation against a key"):
            r.execute_command(*args)
    assert r.mget("L") == [None]
    with pytest.raises(redis.ResponseError, match="The specified keys must contain string values"):
        r.lcs("L", "x")


# -- units: propagation forms and long double arithmetic -------------------------------------
class _Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def time_ms(self) -> int:
        return self.ms


def _client(now_ms: int = 1_000_000) -> SimpleNamespace:
    ks = Keyspace(16)
    config = SimpleNamespace(
        proto_max_bulk_len=512 * 1024 * 1024, maxmemory=0, maxmemory_policy="noeviction"
    )
    server = SimpleNamespace(
        keyspace=ks,
        config=config,
        loading=False,
        key_listeners=(),
        notify_keyspace_events=0,
        lfu=False,
        lruclock=0,
        lru_until=1,
    )
    return SimpleNamespace(
        db=ks.dbs[0], ks=ks, server=server, propagate=None, now_ms=lambda: now_ms
    )


def test_propagation_forms() -> None:
    c = _client()
    strings.set_(c, [b"SET", b"k", b"v", b"EX", b"10"])
    assert c.propagate == [[b"SET", b"k", b"v", b"PXAT", b"1010000"]]
    strings.setex(c, [b"SETEX", b"k", b"5", b"v"])
    assert c.propagate == [[b"SET", b"k", b"v", b"PXAT", b"1005000"]]
    strings.incrbyfloat(c, [b"INCRBYFLOAT", b"f", b"1.5"])
    assert c.propagate == [[b"SET", b"f", b"1.5", b"KEEPTTL"]]
    strings.getex(c, [b"GETEX", b"k", b"PX", b"100"])
    assert c.propagate == [[b"PEXPIREAT", b"k", b"1000100"]]
    strings.getex(c, [b"GETEX", b"k", b"PERSIST"])
    assert c.propagate == [[b"PERSIST", b"k"]]
    strings.getdel(c, [b"GETDEL", b"k"])
    assert c.propagate == [[b"DEL", b"k"]]
    dirty = c.ks.dirty
    strings.getex(c, [b"GETEX", b"nokey", b"PERSIST"])
    assert c.ks.dirty == dirty


@pytest.mark.parametrize(
    "a,b,expected",
    [
        (b"10.5", b"0.1", b"10.6"),
        (b"0.1", b"0.2", b"0.3"),
        (b"3.0e3", b"200", b"3200"),
        (b"1", b"1e30", b"1000000000000000000024696061952"),  # as Redis answers
        (b"-0.0000000000000000001", b"0", b"0"),
        (b"1e-30", b"0", b"0"),
        (b"-1e-30", b"0", b"0"),
        (b"0x10", b"0x1p-1", b"16.5"),
        (b"5", b"-5", b"0"),
    ],
)
def test_long_double(a: bytes, b: bytes, expected: bytes) -> None:
    total = strings.ld_add(strings.parse_long_double(a), strings.parse_long_double(b))
    assert total is not None
    assert strings.format_long_double(total) == expected


def test_long_double_rejects() -> None:
    for text in (b"", b" 1", b"1 ", b"nan", b"1e5000", b"1e-5000", b"0x", b".", b"1e", b"a"):
        with pytest.raises(RedisError):
            strings.parse_long_double(text)
    assert strings.ld_add(strings.parse_long_double(b"inf"), Fraction(1)) is None
    big = strings.parse_long_double(b"1e4932")
    assert strings.ld_add(big, big) is None


def test_parse_int_strictness() -> None:
    assert strings.parse_int(b"0") == 0
    assert strings.parse_int(b"-9223372036854775808") == -(1 << 63)
    for text in (b"", b"-0", b"01", b"+1", b" 1", b"1 ", b"1_0", b"9223372036854775808", b"1.0"):
        with pytest.raises(RedisError):
            strings.parse_int(text)


def _lcs_reference(a: bytes, b: bytes) -> list[list[int]]:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40), st.binary(max_size=40))
def test_lcs_bit_parallel_table_matches_dynamic_programming(a: bytes, b: bytes) -> None:
    a, b = bytes(x % 4 for x in a), bytes(x % 4 for x in b)
    rows = strings.lcs_rows(a, b)
    table = _lcs_reference(a, b)
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            assert strings._lcs_cell(rows, i, j) == table[i][j]
