"""The parser's per-read path (querybuf.RequestParser._hiredis): a read of whole requests of
bulk strings is taken in one hiredis loop and checked once per read; any other read is read
again request by request.  Whatever the bytes, a read gives the requests (and the refusal)
Redis's processInputBuffer gives for them, which QueryBuffer alone reproduces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.redis.querybuf import ProtocolError, QueryBuffer, RequestParser


def _reference(blob: bytes) -> tuple[list, str | None, int]:
    """QueryBuffer alone: (requests, the protocol error's text or None, bytes left over)."""
    q = QueryBuffer()
    q.buf += blob
    out: list = []
    try:
        while (argv := q.next_request(512 * 1024 * 1024)) is not None:
            if argv:
                out.append(argv)
    except ProtocolError as e:
        return out, str(e), -1
    return out, None, q.size()


def _parse(blob: bytes) -> tuple[list, str | None, int]:
    p = RequestParser()
    try:
        got = p.feed(blob)
    except ProtocolError as e:
        return e.requests, str(e), -1
    return got, None, p.buffered


def _multibulk(items: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%b\r\n" % (len(x), x) for x in items)


requests = st.lists(st.binary(max_size=12), min_size=1, max_size=5).map(_multibulk)
# fragments a whole-read check must catch: items that are not bulk strings, empty and nested
# multibulks, a CRLF inside a bulk whose length says otherwise, inline commands, the bytes
# the per-read check feeds hiredis itself, a count hiredis would allocate up front
oddities = st.sampled_from(
    [
        b"*0\r\n",
        b"*-1\r\n",
        b"*-5\r\n",
        b"*1\r\n*0\r\n",
        b"*2\r\n$3\r\nGET\r\n*0\r\n",
        b"*2\r\n$3\r\nGET\r\n*1\r\n$1\r\nk\r\n",
        b"*2\r\n$3\r\nGET\r\n:5\r\n",
        b"*2\r\n$3\r\nGET\r\n$-1\r\n",
        b"*2\r\n$3\r\nGET\r\n_\r\n",
        b"*2\r\n$3\r\nGET\r\n,1.5\r\n",
        b"*2\r\n$3\r\nGET\r\n#t\r\n",
        b"*2\r\n$3\r\nGET\r\n-ERR x\r\n",
        b"*2\r\n$3\r\nGET\r\n+OK\r\n",
        b"*1\r\n$0\r\n\r\n",
        b"*2\r\n$0\r\n\r\n$0\r\n\r\n",
        b"*1\r\n$5\r\na\r\nb\r\n",
        b"*1\r\n$3\r\na\r\nb\r\n",
        b"*1\r\n$04\r\nPING\r\n",
        b"*1\r\n$4\r\nPINGxx",
        b"PING\r\n",
        b"*2147483647\r\n",
        b"*1\r\n*1234567\r\n",
        b"\r\n",
        b"*",
        b"*1\r",
        b"$4\r\n",
    ]
)
reads = st.lists(st.one_of(requests, requests, oddities), min_size=1, max_size=10).map(b"".join)


@given(reads, st.binary(max_size=6))
@settings(max_examples=400, deadline=None)
def test_one_read_gives_what_the_query_buffer_gives(blob, tail):
    """A whole read, and the same read cut anywhere by a few stray bytes at its end."""
    assert _parse(blob) == _reference(blob)
    assert _parse(blob + tail) == _reference(blob + tail)


@given(st.lists(requests, min_size=2, max_size=16).map(b"".join), st.data())
@settings(max_examples=200, deadline=None)
def test_a_pipeline_cut_anywhere_then_whole_reads(blob, data):
    """A pipeline split into two reads: the first hands its cut request to the query buffer,
    the second finishes it; then whole reads take the per-read path again."""
    cut = data.draw(st.integers(0, len(blob)))
    want = _reference(blob)[0]
    p = RequestParser()
    got = p.feed(blob[:cut]) + p.feed(blob[cut:])
    assert got == want and p.buffered == 0
    assert p.feed(blob) == want and p.buffered == 0


@given(st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_any_bytes_after_a_multibulk_start(noise):
    blob = b"*" + noise
    assert _parse(blob) == _reference(blob)


def test_a_read_of_whole_requests_leaves_the_reader_clean():
    p = RequestParser()
    pipeline = b"".join(_multibulk([b"GET", b"key:%d" % i]) for i in range(16))
    for _ in range(3):
        assert p.feed(pipeline) == [[b"GET", b"key:%d" % i] for i in range(16)]
        assert p.buffered == 0
    assert p.feed(_multibulk([b"PING"])) == [[b"PING"]]
