"""The parser's one-request read (querybuf.RequestParser.feed): a read shorter than
ONE_REQUEST_MAX that splits at its CRLFs into one canonical request of two to five bulk
strings is taken without hiredis; anything else (a CRLF inside an item, a partial or
pipelined read, an inline command, a non-canonical header, a parser holding part of an
earlier request) falls back to the general path.  Whatever the bytes, the result is what
Redis's processInputBuffer (QueryBuffer alone) gives."""

from __future__ import annotations

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis.querybuf import ONE_REQUEST_MAX, ProtocolError, QueryBuffer, RequestParser


def _reference(blob: bytes) -> tuple[list, str | None, int]:
    q = QueryBuffer()
    q.buf += blob
    out: list = []
    try:
        while (argv := q.next_request(512 * 1024 * 1024)) is not None:
            if argv:
                out.append(argv)
    except ProtocolError as exc:
        return out, str(exc), -1
    return out, None, q.size()


def _parse(blob: bytes, parser: RequestParser | None = None) -> tuple[list, str | None, int]:
    p = parser if parser is not None else RequestParser()
    try:
        got = p.feed(blob)
    except ProtocolError as exc:
        return exc.requests, str(exc), -1
    return got, None, p.buffered


def _multibulk(items: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%b\r\n" % (len(x), x) for x in items)


# items full of the bytes that matter to a split at CRLF
item = st.binary(max_size=20) | st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"x", b"$3", b"*2"]), max_size=6).map(b"".join)  # fmt: skip
one = st.lists(item, min_size=1, max_size=5).map(_multibulk)


@given(one)
@settings(max_examples=500, deadline=None)
def test_one_whole_request_is_read_as_redis_reads_it(blob: bytes) -> None:
    assert _parse(blob) == _reference(blob)


@given(one, st.data())
@settings(max_examples=300, deadline=None)
def test_a_request_with_bytes_changed_is_read_as_redis_reads_it(blob: bytes, data) -> None:
    """Headers padded, cut or miscounted, CRLFs moved: never taken as a different request."""
    i = data.draw(st.integers(0, len(blob) - 1))
    b = data.draw(st.sampled_from([b"\r", b"\n", b"0", b"3", b"+", b"-", b"$", b"*", b" "]))
    for changed in (
        blob[:i] + b + blob[i + 1 :],
        blob[:i] + b + blob[i:],
        blob[:i] + blob[i + 1 :],
    ):
        assert _parse(changed) == _reference(changed)


@given(one, st.data())
@settings(max_examples=200, deadline=None)
def test_a_request_cut_in_two_reads(blob: bytes, data) -> None:
    cut = data.draw(st.integers(1, len(blob) - 1))
    p = RequestParser()
    assert p.feed(blob[:cut]) == []
    assert p.feed(blob[cut:]) == _reference(blob)[0]
    assert p.buffered == 0
    assert p.feed(blob) == _reference(blob)[0]  # and the next whole read is read alone


@pytest.mark.parametrize(
    "blob",
    [
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nxxx\r\n",
        b"*3\r\n$3\r\nsEt\r\n$0\r\n\r\n$0\r\n\r\n",  # mixed case, empty items
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
        b"*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n",
        b"*3\r\n$3\r\nSET\r\n$3\r\na\r\n\r\n$1\r\nv\r\n",  # a CRLF inside the key
        b"*3\r\n$3\r\nSET\r\n$2\r\nk\r\r\n$1\r\nv\r\n",  # a CR at the item's end
        b"*3\r\n$3\r\nSET\r\n$2\r\n\nk\r\n$1\r\nv\r\n",  # an LF at its start
        b"*3\r\n$3\r\nSET\r\n$01\r\nk\r\n$1\r\nv\r\n",  # a padded header
        b"*3\r\n$3\r\nSET\r\n$+1\r\nk\r\n$1\r\nv\r\n",
        b"*3\r\n$3\r\nSET\r\n$2\r\nk\r\n$1\r\nv\r\n",  # a header longer than its item
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nxx",  # bytes after the request
        b"*3\r\n$3\r\nSET\r\n+k\r\n$1\r\nv\r\n",  # a simple string item
        b"*3\r\n$3\r\nSET\r\n:1\r\n$1\r\nv\r\n",  # an integer item
        b"*03\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",  # two requests
        b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
        b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",  # fewer items than the count
        b"SET k v\r\n",  # inline
        b"SET k\r\n$1\r\nk\r\n\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r",  # partial
        b"*0\r\n\r\n\r\n\r\n\r\n",
        b"PING\r\n" * 20,  # more CRLFs than the split takes
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" * 5,
        b"*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n\r\n",
        b"*2\r\n*1\r\n$1\r\nk\r\n\r\n",
    ],
)
def test_reads_near_the_one_request_shape(blob: bytes) -> None:
    assert _parse(blob) == _reference(blob)


def test_an_item_at_the_size_limit_and_past_it() -> None:
    for size in (ONE_REQUEST_MAX - 40, ONE_REQUEST_MAX, 5000, 40000):  # both sides of the limit
        blob = _multibulk([b"SET", b"k", b"v" * size])
        assert _parse(blob) == ([[b"SET", b"k", b"v" * size]], None, 0)


def test_the_parser_holding_part_of_a_request_is_not_bypassed() -> None:
    """After a read of just a multibulk header the next read continues that request: a
    whole-looking request there is an item Redis refuses ("expected '$', got '*'")."""
    p = RequestParser()
    assert p.feed(b"*1\r\n") == []
    blob = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    assert _parse(blob, p) == ([], "expected '$', got '*'", -1)
    p = RequestParser()
    assert p.feed(b"*3\r\n$3\r\nSET\r\n") == []
    assert p.feed(b"$1\r\nk\r\n$1\r\nv\r\n") == [[b"SET", b"k", b"v"]]


def test_before_auth_one_request_at_a_time() -> None:
    p = RequestParser()
    p.unauthenticated = True
    blob = _multibulk([b"AUTH", b"pw"])
    assert p.feed(blob) == [[b"AUTH", b"pw"]] and p.buffered == 0
    p.unauthenticated = False
    assert p.feed(_multibulk([b"GET", b"k"])) == [[b"GET", b"k"]]


def test_through_redis_py(r: redis.Redis) -> None:
    """The client's one-request reads, with CRLFs and headers' digits inside the values."""
    values = [b"", b"x", b"\r\n", b"a\r\n$1\r\nb", b"*2\r\n", b"\r", b"\n", b"v" * 600]
    for i, v in enumerate(values):
        assert r.set(b"k%d" % i, v) is True
        assert r.get(b"k%d" % i) == v
        assert r.hset(b"h", b"f%d" % i, v) == 1
        assert r.hget(b"h", b"f%d" % i) == v
    assert r.execute_command("sEt", "mixed", "case") is True
    assert r.execute_command("GeT", "mixed") == b"case"
