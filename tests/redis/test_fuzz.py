"""Fuzzing the request path: random and truncated RESP, inline garbage and huge lengths go
to one connection while another keeps getting correct answers.  The bad connection gets
Redis's protocol error (and is closed) or nothing; the server and everyone else carry on."""

from __future__ import annotations

import itertools
import socket

import hiredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.redis import wire
from tests.redis.realredis import RawClient

PROTOCOL_ERRORS = (
    b"-ERR Protocol error: invalid multibulk length\r\n",
    b"-ERR Protocol error: invalid bulk length\r\n",
    b"-ERR Protocol error: unbalanced quotes in request\r\n",
    b"-ERR Protocol error: too big inline request\r\n",
    b"-ERR Protocol error: too big query buffer\r\n",
)

args = st.lists(st.binary(max_size=40), min_size=1, max_size=6)


def blob_bytes(min_size: int = 0, max_size: int = 200) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=min_size, max_size=max_size).map(lambda b: b or b"?")


def encode(argv: list[bytes]) -> bytes:
    return wire.encode_command(*argv)


@st.composite
def hostile(draw) -> bytes:
    """Byte strings a broken or malicious client might send."""
    kind = draw(st.sampled_from(["random", "truncated", "inline", "huge", "mixed", "badtype"]))
    if kind == "random":
        return draw(blob_bytes(1, 200))
    if kind == "truncated":
        data = b"".join(encode(a) for a in draw(st.lists(args, min_size=1, max_size=3)))
        return data[: draw(st.integers(1, max(1, len(data) - 1)))]
    if kind == "inline":
        line = draw(blob_bytes(0, 100).filter(lambda b: not b.startswith(b"*")))
        return line + draw(st.sampled_from([b"\r\n", b"\n", b""]))
    if kind == "huge":
        n = draw(st.sampled_from([2**31, 2**40, 10**30, 1024 * 1024 * 1024 * 4]))
        return draw(st.sampled_from([b"*%d\r\n" % n, b"*1\r\n$%d\r\n" % n, b"*1\r\n$%dx\r\n" % n]))
    if kind == "badtype":
        return b"*2\r\n$3\r\nGET\r\n" + draw(st.sampled_from([b":1\r\n", b"+x\r\n", b"*1\r\n"]))
    good = encode(draw(args))
    return good + draw(blob_bytes(1, 50))


def replies(data: bytes) -> list:
    reader = hiredis.Reader()
    reader.feed(data)
    out = []
    while True:
        got = reader.gets()
        if got is False:
            return out
        out.append(got)


def read_available(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except (TimeoutError, ConnectionResetError):
        return data, False


# -- sans-I/O properties of the request parser ------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(args, min_size=1, max_size=8), st.data())
def test_any_chunking_parses_the_same_requests(commands, data):
    stream = b"".join(encode(c) for c in commands)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    parser = wire.RequestParser()
    got: list[list[bytes]] = []
    try:
        for a, b in itertools.pairwise([0, *cuts, len(stream)]):
            got.extend(parser.feed(stream[a:b]))
    except wire.ProtocolError:
        got.append([b"<protocol error>"])
    assert got == [list(c) for c in commands]


def test_one_byte_at_a_time():
    stream = encode([b"SET", b"k", b"v"]) + encode([b"GET", b"k"])
    parser = wire.RequestParser()
    got: list[list[bytes]] = []
    try:
        for i in range(len(stream)):
            got.extend(parser.feed(stream[i : i + 1]))
    except wire.ProtocolError:
        pytest.fail("a request split inside its header was refused")
    assert got == [[b"SET", b"k", b"v"], [b"GET", b"k"]]


_NUL_PROBE = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from polystack.redis import wire
print(wire.split_inline(b"GET a\\x00b c"))
"""


def test_inline_nul_ends_the_line():
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-c", _NUL_PROBE], capture_output=True, text=True, timeout=5
        )
    except subprocess.TimeoutExpired:
        pytest.fail("split_inline did not return")
    assert done.stdout.strip() == "[b'GET', b'a']"


@settings(max_examples=300, deadline=None)
@given(hostile())
def test_parser_only_raises_protocol_errors(blob):
    # Items that are not bulk strings pass the parser; the session refuses them (non_bulk_error).
    parser = wire.RequestParser(max_query=1 << 20)
    try:
        for req in parser.feed(blob):
            assert req and type(req) is list
            bad = wire.non_bulk_error(req)
            assert bad is None or bad.reply().startswith(b"-ERR Protocol error: expected '$'")
    except wire.ProtocolError as e:
        assert e.reply().startswith(b"-ERR Protocol error: ")
        assert all(req and type(req) is list for req in e.requests)


# -- the server under fire ----------------------------------------------------------------


@pytest.fixture
def good(r, server):
    c = RawClient(server.redis_port)
    yield c
    c.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(blob=hostile(), n=st.integers(0, 10**6))
def test_bad_client_does_not_disturb_a_good_one(server, good, blob, n):
    bad = socket.create_connection(("127.0.0.1", server.redis_port))
    try:
        bad.sendall(blob)
        value = b"v%d" % n
        assert good.call("SET", "fuzz", value) == b"+OK\r\n"
        assert good.call("GET", "fuzz") == b"$%d\r\n%b\r\n" % (len(value), value)
        data, closed = read_available(bad, 0.02)
        parsed = replies(data)
        errors = [p for p in parsed if isinstance(p, hiredis.ReplyError)]
        for e in errors[:-1]:
            assert not str(e).startswith("Protocol error")
        if errors and str(errors[-1]).startswith("Protocol error"):
            assert data.endswith(b"\r\n")
            assert any(data.endswith(p) for p in PROTOCOL_ERRORS) or b"expected '" in data
    finally:
        bad.close()


@pytest.mark.parametrize(
    ("blob", "reply"),
    [
        (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1024x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$" + b"9" * 30 + b"\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
        (b'SET "a\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b"SET 'a\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b'"a"b\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b"x" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
        (
            b"*1\r\n$4\r\nPING\r\n*x\r\n",
            b"+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n",
        ),
    ],
)
def test_protocol_errors_close_only_the_bad_connection(server, good, blob, reply):
    bad = socket.create_connection(("127.0.0.1", server.redis_port))
    bad.sendall(blob)
    data, closed = read_available(bad, 5.0)
    bad.close()
    assert data == reply and closed
    assert good.call("PING") == b"+PONG\r\n"


@pytest.mark.differential
@pytest.mark.parametrize(
    "blob",
    [
        # Redis refuses a bulk longer than proto-max-bulk-len as soon as it reads the header.
        b"*1\r\n$999999999999\r\n",
        b"*1\r\n$536870913\r\n",
        b"*2\r\n$3\r\nGET\r\n$536870913\r\n",
        # Redis skips empty multibulks (*0, *-1, *-10) and reads on, inline commands too.
        b"*0\r\nPING\r\n",
        b"*-10\r\nPING\r\n",
        b"*-1\r\n*1\r\n$4\r\nPING\r\n",
        b"*0\r\n*0\r\n*1\r\n$4\r\nPING\r\n",
        b"*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
        # Redis names the byte it found instead of '$'.
        b"*1\r\nx\r\n",
        b"*2\r\n$4\r\nSET\r\n*0\r\n",
        b"*2\r\n$4\r\nECHO\r\n-x\r\n",
        # the two bytes after a bulk are skipped unread
        b"*2\r\n$4\r\nECHO\r\n$1\r\naXX*1\r\n$4\r\nPING\r\n",
        b"*1\r\n$04\r\nPING\r\n",
        b"*3000000000\r\n",
    ],
)
def test_request_parsing_like_redis(server, real_redis, blob):
    def talk(port: int) -> bytes:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(blob)
        data, _ = read_available(s, 0.5)
        s.close()
        return data

    assert talk(server.redis_port) == talk(real_redis.port)


@pytest.mark.parametrize(
    ("blob", "reply"),
    [
        # Redis skips empty multibulks (*0) and reads on.
        (b"*0\r\nPING\r\n", b"+PONG\r\n"),
        # An inline command right after multibulk requests in the same read (redis-cli --pipe
        # ends its input with "\r\n" and an ECHO): Redis decides request by request.
        (
            b"*1\r\n$4\r\nPING\r\n\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
            b"+PONG\r\n$2\r\nhi\r\n",
        ),
        (
            b"*1\r\n$4\r\nPING\r\n+x y\r\nPING\r\n",
            b"+PONG\r\n-ERR unknown command '+x', with args beginning with: 'y' \r\n+PONG\r\n",
        ),
    ],
)
def test_inline_and_multibulk_mixed_in_one_read(server, blob, reply):
    bad = socket.create_connection(("127.0.0.1", server.redis_port))
    bad.sendall(blob)
    data, _ = read_available(bad, 0.5)
    bad.close()
    assert data == reply


def test_no_connection_leaks_after_fuzzing(server, good):
    """The fuzzed connections themselves are gone once their clients hang up (other tests'
    clients on the shared server may come and go meanwhile, so count only these)."""
    import time

    svc = server.service("redis")
    fuzzed = set()
    for blob in (b"*abc\r\n", b"*1\r\n$3\r\nGE", b"\x00\xff" * 10, b"*1\r\n$999999999999\r\n"):
        s = socket.create_connection(("127.0.0.1", server.redis_port))
        fuzzed.add(s.getsockname())
        s.sendall(blob)
        s.close()
    assert good.call("PING") == b"+PONG\r\n"

    def still_open() -> list:
        return [
            (c.id, c.peer.peername, c.last_cmd, c.slow, c.peer.closed)
            for c in svc.clients.values()
            if c.peer.peername is not None and tuple(c.peer.peername[:2]) in fuzzed
        ]

    deadline = time.monotonic() + 10  # the server sees each close when its loop gets to it
    while server.call(still_open) and time.monotonic() < deadline:
        good.call("PING")
        time.sleep(0.01)
    left = server.call(still_open)
    assert left == [], left


def test_mass_insertion_ending_inline(server):
    """redis-cli --pipe's shape at scale: 20000 multibulk requests written in 64 KiB blocks
    (so reads rarely end at a request boundary), then "\\r\\n" and an ECHO: every request
    answered, the ECHO too, quickly (finding where the inline part starts is linear)."""
    import threading

    data = (
        b"".join(encode([b"HSET", b"mass:%d" % i, b"f", b"v%d" % i]) for i in range(20000))
        + b"\r\n*2\r\n$4\r\nECHO\r\n$4\r\ndone\r\n"
    )
    c = socket.create_connection(("127.0.0.1", server.redis_port))
    got = bytearray()

    def reader() -> None:
        c.settimeout(30)
        while not got.endswith(b"$4\r\ndone\r\n"):
            chunk = c.recv(65536)
            if not chunk:
                break
            got.extend(chunk)

    t = threading.Thread(target=reader)
    t.start()
    for i in range(0, len(data), 65536):
        c.sendall(data[i : i + 65536])
    t.join()
    c.close()
    assert got == b":1\r\n" * 20000 + b"$4\r\ndone\r\n"
