"""RESP codec unit tests: raw bytes in, raw bytes out (no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis import querybuf, wire
from polystack.redis.errors import RedisError
from polystack.redis.wire import (
    NULL_ARRAY,
    OK,
    ProtocolError,
    Push,
    Raw,
    RequestParser,
    Verbatim,
    encode_command,
    encode_one,
    split_inline,
)


@pytest.mark.parametrize(
    "value, resp2, resp3",
    [
        (b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
        (b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
        (OK, b"+OK\r\n", b"+OK\r\n"),
        (42, b":42\r\n", b":42\r\n"),
        (-1, b":-1\r\n", b":-1\r\n"),
        (None, b"$-1\r\n", b"_\r\n"),
        (NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
        (True, b":1\r\n", b"#t\r\n"),
        (False, b":0\r\n", b"#f\r\n"),
        (1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
        (3.0, b"$1\r\n3\r\n", b",3\r\n"),
        (float("inf"), b"$3\r\ninf\r\n", b",inf\r\n"),
        (float("-inf"), b"$4\r\n-inf\r\n", b",-inf\r\n"),
        ([b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
        ([], b"*0\r\n", b"*0\r\n"),
        ({b"k": b"v"}, b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n", b"%1\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        ({b"x"}, b"*1\r\n$1\r\nx\r\n", b"~1\r\n$1\r\nx\r\n"),
        (Verbatim(b"hi"), b"$2\r\nhi\r\n", b"=6\r\ntxt:hi\r\n"),
        (
            Push([b"message", b"c"]),
            b"*2\r\n$7\r\nmessage\r\n$1\r\nc\r\n",
            b">2\r\n$7\r\nmessage\r\n$1\r\nc\r\n",
        ),
        (
            RedisError("WRONGTYPE", "Operation"),
            b"-WRONGTYPE Operation\r\n",
            b"-WRONGTYPE Operation\r\n",
        ),
        (Raw(b"+X\r\n"), b"+X\r\n", b"+X\r\n"),
    ],
)
def test_encode(value, resp2, resp3):
    assert encode_one(value, resp3=False) == resp2
    assert encode_one(value, resp3=True) == resp3


def test_error_text_cannot_break_framing():
    assert RedisError("ERR", "a\r\nb").encode() == b"-ERR a  b\r\n"


def test_format_double_matches_redis():
    assert wire.format_double(0.1) == b"0.10000000000000001"
    assert wire.format_double(1e20) == b"1e+20"
    assert wire.format_human_double(10.5) == b"10.5"
    assert wire.format_human_double(3.0) == b"3"
    assert wire.format_human_double(5.0e3) == b"5000"


def test_parser_multibulk_split_anywhere():
    data = encode_command("SET", "key", "va\r\nlue") + encode_command("GET", "key")
    for cut in range(len(data) + 1):
        p = RequestParser()
        got = p.feed(data[:cut]) + p.feed(data[cut:])
        assert got == [[b"SET", b"key", b"va\r\nlue"], [b"GET", b"key"]]


def test_parser_inline():
    p = RequestParser()
    assert p.feed(b"PING\r\nset a 'b c'\n") == [[b"PING"], [b"set", b"a", b"b c"]]
    assert p.feed(b"GET") == []
    assert p.feed(b" x\r\n") == [[b"GET", b"x"]]


def test_parser_empty_inline_line_is_ignored():
    assert RequestParser().feed(b"\r\n\r\nPING\r\n") == [[b"PING"]]


@pytest.mark.parametrize(
    "line, args",
    [
        (b'set "a b" c', [b"set", b"a b", b"c"]),
        (b'"\\x41\\n"', [b"A\n"]),
        (b"'it\\'s'", [b"it's"]),
        (b"  a   b  ", [b"a", b"b"]),
        (b'""', [b""]),
    ],
)
def test_split_inline(line, args):
    assert split_inline(line) == args


@pytest.mark.parametrize("line", [b'"abc', b"'abc", b'"a"b'])
def test_split_inline_unbalanced(line):
    with pytest.raises(ProtocolError, match="unbalanced quotes in request"):
        split_inline(line)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"*x\r\n", "invalid multibulk length"),
        (b"*1\r\n$-5\r\n", "invalid bulk length"),
    ],
)
def test_parser_protocol_errors(data, message):
    with pytest.raises(ProtocolError) as e:
        RequestParser().feed(data)
    assert message in str(e.value)
    assert e.value.reply().startswith(b"-ERR Protocol error: ")


@pytest.mark.parametrize("item, char", [(b":5", ":"), (b"+5", "+"), (b"*0", "*"), (b"-x", "-")])
def test_non_bulk_items_are_refused_by_the_parser(item, char):
    """Redis refuses an item that is not a bulk string while reading the request, whatever
    the command (GET as well as SET)."""
    for cmd in (b"SET", b"GET"):
        with pytest.raises(ProtocolError) as e:
            RequestParser().feed(b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\n%b\r\n%b\r\n" % (cmd, item))
        assert e.value.reply() == b"-ERR Protocol error: expected '$', got '%b'\r\n" % char.encode()
        assert e.value.requests == [[b"PING"]]
    assert wire.non_bulk_error([b"GET", 5]).reply().endswith(b"got ':'\r\n")
    assert wire.non_bulk_error([b"GET", b"k"]) is None


def test_requests_before_a_protocol_error_are_kept():
    with pytest.raises(ProtocolError) as e:
        RequestParser().feed(encode_command("PING") + b"*x\r\n")
    assert e.value.requests == [[b"PING"]]


def test_inline_too_big():
    with pytest.raises(ProtocolError, match="too big inline request"):
        RequestParser().feed(b"a" * (70 * 1024))


@given(
    st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=6), min_size=1, max_size=8),
    st.data(),
)
@settings(max_examples=200)
def test_round_trip_any_split(commands, data):
    blob = b"".join(encode_command(*c) for c in commands)
    p = RequestParser()
    got: list = []
    pos = 0
    while pos < len(blob):
        step = data.draw(st.integers(1, max(1, len(blob) - pos)))
        got += p.feed(blob[pos : pos + step])
        pos += step
    assert got == commands


@given(
    st.recursive(
        st.one_of(st.binary(max_size=20), st.integers(-(2**63), 2**63 - 1), st.none()),
        lambda children: st.lists(children, max_size=4),
        max_leaves=20,
    )
)
@settings(max_examples=200)
def test_encoded_replies_parse_back_with_hiredis(value):
    import hiredis

    for resp3 in (False, True):
        r = hiredis.Reader()
        r.feed(encode_one(value, resp3))
        assert r.gets() == value


@given(
    st.lists(
        st.one_of(
            st.lists(st.binary(max_size=30), min_size=1, max_size=5).map(
                lambda a: encode_command(*a)
            ),
            st.sampled_from([b"*0\r\n", b"*-1\r\n", b"PING\r\n", b"set a 'b c'\r\n"]),
        ),
        min_size=1,
        max_size=10,
    ),
    st.data(),
)
@settings(max_examples=100, deadline=None)
def test_exact_parser_and_hiredis_agree(parts, data):
    """The exact (processMultibulkBuffer) parser and the hiredis path split any stream of
    requests, empty multibulks and inline commands the same way."""
    blob = b"".join(parts)
    exact = querybuf.parse_all(blob)
    p = RequestParser()
    got: list = []
    pos = 0
    while pos < len(blob):
        step = data.draw(st.integers(1, max(1, len(blob) - pos)))
        got += p.feed(blob[pos : pos + step])
        pos += step
    assert got == exact


def test_huge_multibulk_count_is_not_allocated_up_front():
    p = RequestParser()
    assert p.feed(b"*1\r\n$4\r\nPING\r\n*2000000000\r\n$4\r\nECHO\r\n") == [[b"PING"]]
    with pytest.raises(ProtocolError, match="invalid multibulk length"):
        RequestParser().feed(b"*3000000000\r\n")
    with pytest.raises(ProtocolError, match="invalid bulk length"):
        RequestParser(max_bulk=1 << 20).feed(b"*1\r\n$1048577\r\n")


_TRICKY = st.sampled_from([b"\r\n", b"\r", b"\n", b"$3", b"*1", b"+OK", b":1", b"\r\n$1\r\n"])


@given(
    st.lists(
        st.lists(st.one_of(st.binary(max_size=12), _TRICKY), min_size=1).map(b"".join),
        min_size=1,
        max_size=9,
    ),
    st.one_of(
        st.just(b""),
        _TRICKY,
        st.binary(max_size=6),
        st.just(encode_command("PING")),
    ),
    st.sampled_from([None, (b"$", b"+"), (b"$", b":"), (b"$1", b"$01"), (b"*", b"*0")]),
)
@settings(max_examples=300, deadline=None)
def test_one_request_reads_parse_as_the_exact_parser_does(argv, tail, damage):
    """A read holding one request of up to nine items (the one-request fast path, which splits
    at CRLFs) reads exactly as processMultibulkBuffer reads it: items holding CRLFs or
    headers, bytes after the request, a damaged header."""
    blob = encode_command(*argv) + tail
    if damage is not None:
        blob = blob.replace(damage[0], damage[1], 1)
    try:
        exact: object = querybuf.parse_all(blob)
    except ProtocolError as e:
        exact = ("error", str(e))
    try:
        got: object = RequestParser().feed(blob)
    except ProtocolError as e:
        got = ("error", str(e))
    assert got == exact


_TYPES = st.sampled_from(
    [b"~1\r\n$1\r\na\r\n", b"%1\r\n$1\r\na\r\n$1\r\nb\r\n", b">1\r\n$1\r\na\r\n", b"+OK\r\n"]
    + [b":1\r\n", b"_\r\n", b",1.5\r\n", b"#t\r\n", b"(12\r\n", b"=7\r\ntxt:abc\r\n"]
    + [b"$-1\r\n", b"*-1\r\n", b"*0\r\n", b"-ERR x\r\n", b"*1\r\n*1\r\n$1\r\na\r\n"]
)


@given(
    st.lists(
        st.one_of(
            st.lists(st.binary(max_size=12), min_size=1, max_size=4).map(
                lambda a: encode_command(*a)
            ),
            _TYPES,
            _TYPES.map(lambda t: b"*2\r\n$3\r\nGET\r\n" + t),
        ),
        min_size=2,
        max_size=12,
    )
)
@settings(max_examples=300, deadline=None)
def test_pipelined_reads_parse_as_the_exact_parser_does(parts):
    """A read of several requests (the pipelined fast path, which lets hiredis read them all
    and checks them after) reads exactly as processMultibulkBuffer and processInlineBuffer
    read it, whatever reply type stands where a request or an item should."""
    blob = b"".join(parts)
    try:
        exact: object = querybuf.parse_all(blob)
    except ProtocolError as e:
        exact = ("error", str(e))
    try:
        got: object = RequestParser().feed(blob)
    except ProtocolError as e:
        got = ("error", str(e))
    assert got == exact


def test_a_set_where_a_request_starts_is_an_inline_command():
    """A RESP3 set (``~``) where a request starts is read as Redis reads any line not starting
    with ``*``: an inline command (hiredis alone would return its items as a request)."""
    blob = encode_command("PING") + b"~1\r\n$4\r\nPING\r\n"
    assert RequestParser().feed(blob) == [[b"PING"], [b"~1"], [b"$4"], [b"PING"]]
