"""A read made of one request repeated (shaperead.py): SADD, ZADD, LPUSH/RPUSH, LPOP/RPOP and
HSET answered ``k`` at a time, without the parser and the batch, in their handlers' common
case; any other read, or any condition the per-read answer does not cover, goes the general
way with nothing done.  Replies, the data (DUMP, OBJECT ENCODING), the log's records, dirty,
commandstats and the keyspace stats must be what the general path gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis.querybuf import parse_all
from polystack.redis.shaperead import parse_request, split_same


def _cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


# -- the shape (sans-I/O) -------------------------------------------------------------------------
def test_split_same_takes_one_request_repeated() -> None:
    req = _cmd(b"SADD", b"myset", b"element:__rand_int__")
    assert split_same(req * 16) == ((b"SADD", b"myset", b"element:__rand_int__"), 16)
    assert split_same(_cmd(b"LPOP", b"l") * 2) == ((b"LPOP", b"l"), 2)
    assert split_same(_cmd(b"X", b"a\r\nb", b"") * 3) == ((b"X", b"a\r\nb", b""), 3)
    assert split_same(req) is None  # one request: the session's _run_one
    assert split_same(req * 16 + req[:5]) is None  # cut by the end of the read
    assert split_same(req + _cmd(b"SADD", b"myset", b"element:__rand_int_X")) is None
    assert split_same(b"PING\r\nPING\r\n") is None  # inline
    assert split_same(b"*1\r\n$4\r\nPING\r\n" * 4) == ((b"PING",), 4)
    assert split_same(b"*01\r\n$4\r\nPING\r\n" * 4) is None  # not written as Redis writes
    assert split_same(b"*1\r\n$04\r\nPING\r\n" * 4) is None
    assert split_same(b"*1\r\n$+4\r\nPING\r\n" * 4) is None
    assert split_same(b"*1\r\n$3\r\nPING\r\n" * 4) is None
    assert split_same(b"*2\r\n$4\r\nPING\r\n" * 4) is None  # two requests' worth per "copy"
    assert split_same(_cmd(b"A", b"B") + _cmd(b"A", b"C")) is None


def test_parse_request_refuses_what_is_not_one_request() -> None:
    assert parse_request(_cmd(b"GET", b"k")) == (b"GET", b"k")
    assert parse_request(_cmd(b"GET", b"k") * 2) == ()
    assert parse_request(_cmd(*[b"a"] * 9)) == ()  # more arguments than it takes
    assert parse_request(b"*0\r\n") == ()
    assert parse_request(b"*1\r\n$1\r\nab\r\n") == ()
    assert parse_request(b"*1\r\n$-1\r\n") == ()


_ARG = st.binary(max_size=12) | st.sampled_from([b"SADD", b"*1\r\n", b"$3\r\n", b"\r\n", b"x"])


@st.composite
def repeated(draw: st.DrawFn) -> bytes:
    """One request repeated, maybe damaged (a byte changed, cut, extended, another request)."""
    args = draw(st.lists(_ARG, min_size=1, max_size=9))
    data = _cmd(*args) * draw(st.integers(1, 20))
    change = draw(st.sampled_from(["none", "byte", "cut", "extend", "other"]))
    if change == "byte" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    elif change == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    elif change == "extend":
        data += draw(st.binary(max_size=30))
    elif change == "other":
        data += _cmd(*draw(st.lists(_ARG, min_size=1, max_size=4)))
    return data


@settings(max_examples=600, deadline=None)
@given(repeated())
def test_split_same_agrees_with_the_parser(data: bytes) -> None:
    """Whatever split_same takes is exactly what the parser reads from those bytes: ``k``
    whole requests, all equal, and nothing left over."""
    got = split_same(data)
    if got is None:
        return
    args, k = got
    assert k >= 2
    assert parse_all(data) == [list(args)] * k
    assert b"".join([_cmd(*args)] * k) == data


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=200))
def test_split_same_on_any_bytes(data: bytes) -> None:
    got = split_same(data)
    if got is not None:
        args, k = got
        assert parse_all(data) == [list(args)] * k
