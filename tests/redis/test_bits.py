"""Bitmaps and HyperLogLog through redis-py (sync and asyncio), the HLL error bound, and the
bit field and HLL primitives as units."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import hyperloglog as hll
from polystack.redis.commands.bitmaps import _bitpos, get_field, set_field


def test_bitmap_commands(r) -> None:
    assert r.setbit("b", 7, 1) == 0
    assert r.getbit("b", 7) == 1
    assert r.get("b") == b"\x01"
    assert r.bitcount("b") == 1
    r.set("s", "foobar")
    assert r.bitcount("s", 1, 1) == 6
    assert r.bitcount("s", 5, 30, "BIT") == 17
    assert r.bitpos("s", 1) == 1
    assert r.bitop("AND", "d", "s", "b") == 6
    bf = r.bitfield("f")
    assert bf.set("u8", 0, 200).incrby("u8", 0, 100).get("u8", 0).execute() == [0, 44, 44]
    assert r.bitfield("f").overflow("FAIL").incrby("u8", 0, 300).execute() == [None]
    assert r.bitfield_ro("f", "u8", 0, items=[("u4", 4)]) == [44, 12]


def test_hll_commands(r, r3) -> None:
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a") == 0
    assert r.pfcount("h") == 3
    assert r.pfadd("g", "d") == 1
    assert r.pfmerge("m", "h", "g") is True
    assert r.pfcount("m") == 4
    assert r.pfcount("h", "g") == 4
    assert r3.pfcount("m") == 4
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="not a valid HyperLogLog"):
        r.pfadd("s", "a")
    payload = r.dump("m")
    r.restore("m2", 0, payload)
    assert r.pfcount("m2") == 4


@pytest.mark.slow
def test_hll_standard_error_is_about_0_81_percent(r) -> None:
    """Redis's bound: 16384 registers, standard error 1.04/sqrt(m) = 0.81%."""
    errors = []
    for trial in range(2):
        n = 30_000
        pipe = r.pipeline(transaction=False)
        for i in range(0, n, 1000):
            pipe.pfadd(f"e{trial}", *[f"t{trial}-{j}" for j in range(i, i + 1000)])
        pipe.execute()
        errors.append(abs(r.pfcount(f"e{trial}") - n) / n)
    assert max(errors) < 3 * 0.0081


def test_asyncio(server) -> None:
    async def main() -> None:
        c = redis.asyncio.Redis(port=server.redis_port)
        try:
            await c.delete("ab", "ah")
            assert await c.setbit("ab", 3, 1) == 0
            assert await c.bitcount("ab") == 1
            assert await c.pfadd("ah", "x") == 1
            assert await c.pfcount("ah") == 1
        finally:
            await c.aclose()

    asyncio.run(main())


# -- units ---------------------------------------------------------------------------------------
def test_pattern_lengths_match_redis() -> None:
    # (register, count) as redis-server 7.0 sets them: PFADD x <e>; PFDEBUG GETREG x
    assert hll.pat_len(b"a") == (12711, 2)
    assert hll.pat_len(b"hello") == (9216, 1)
    assert hll.pat_len(b"polystack") == (10115, 1)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=8, max_size=16), st.integers(0, 63), st.integers(1, 64), st.integers())
def test_bitfield_set_then_get(data, offset, bits, value) -> None:
    buf = bytearray(data)
    if (offset + bits - 1) >> 3 >= len(buf):
        buf += bytes(((offset + bits - 1) >> 3) + 1 - len(buf))
    set_field(buf, offset, bits, value)
    assert get_field(buf, offset, bits, False) == value & ((1 << bits) - 1)
    signed = get_field(buf, offset, bits, True)
    assert signed % (1 << bits) == value % (1 << bits)
    assert -(1 << (bits - 1)) <= signed < (1 << (bits - 1))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=20), st.integers(0, 1))
def test_bitpos_matches_bit_by_bit(data, bit) -> None:
    bits = [(b >> (7 - i)) & 1 for b in data for i in range(8)]
    want = bits.index(bit) if bit in bits else (-1 if bit else len(bits))
    assert _bitpos(data, bit) == want


def test_hll_dense_registers_round_trip() -> None:
    dense = bytearray(hll.HLL_DENSE_SIZE)
    for i in range(0, hll.HLL_REGISTERS, 7):
        hll.dense_set_raw(dense, hll.HLL_HDR_SIZE, i, i % 64)
    for i in range(0, hll.HLL_REGISTERS, 7):
        assert hll.dense_get(dense, hll.HLL_HDR_SIZE, i) == i % 64
