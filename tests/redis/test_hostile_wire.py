"""Hostile clients on the Redis port: cross-protocol (HTTP) requests, floods before AUTH, huge
lengths, items that are not bulk strings.  Each is refused as Redis >= 6.2.6 refuses it, from
raw sockets, and compared with a real redis-server where Debian has one."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

import polystack.testing
from polystack.redis import querybuf
from polystack.redis.querybuf import ProtocolError, QueryBuffer, RequestParser
from tests.redis import realredis
from tests.redis.realredis import RawClient

PASSWORD = "s3cret"


def exchange(port: int, blob: bytes, wait: float = 0.5) -> tuple[bytes, bool]:
    """Send ``blob`` in one write; (what came back, whether the server closed)."""
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.sendall(blob)
        s.settimeout(wait)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return data, True
                data += chunk
        except TimeoutError:
            return data, False
        except ConnectionResetError:
            return data, True
    finally:
        s.close()


@pytest.fixture(scope="module")
def locked():
    """polystack with a Redis password (requirepass)."""
    with polystack.testing.serve(redis=True, config_overrides={"redis.requirepass": PASSWORD}) as s:
        yield s


@pytest.fixture(scope="module")
def real_locked():
    if not realredis.available():
        pytest.skip("redis-server is not installed (scripts/install-test-deps installs it)")
    rr = realredis.RealRedis("--requirepass", PASSWORD)
    yield rr
    rr.stop()


def _client(port: int) -> redis.Redis:
    return redis.Redis(port=port, password=PASSWORD)


# -- 1. cross-protocol requests ---------------------------------------------------------------

CURL_POST = (
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1:6379\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
    b"Content-Length: 47\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
    b"SET pwned yes\r\nCONFIG SET appendfsync no\r\n"
)


def test_http_post_body_is_not_executed(server, r, caplog):
    """curl --data-binary $'SET pwned yes\\r\\nCONFIG SET appendfsync no\\r\\n' to the Redis
    port: the connection is dropped at the request line, nothing after it runs."""
    before = r.config_get("appendfsync")["appendfsync"]
    with caplog.at_level(logging.WARNING, logger="polystack.redis.session"):
        data, closed = exchange(server.redis_port, CURL_POST)
    assert (data, closed) == (b"", True)
    assert r.get("pwned") is None
    assert r.config_get("appendfsync")["appendfsync"] == before
    assert any("Possible SECURITY ATTACK detected" in m for m in caplog.messages)


def test_host_header_drops_the_connection_and_earlier_replies(server, r):
    """A browser's GET: 'GET / HTTP/1.1' runs (an arity error) but the Host: line closes the
    connection; as in Redis, nothing of that read is answered and nothing after it runs."""
    blob = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\nSET pwned yes\r\n"
    assert exchange(server.redis_port, blob) == (b"", True)
    assert r.get("pwned") is None


def test_security_warning_is_logged_once_a_minute(server, r, caplog):
    svc = server.service("redis")
    server.call(lambda: setattr(svc, "security_warning_at", float("-inf")))
    with caplog.at_level(logging.WARNING, logger="polystack.redis.session"):
        for _ in range(3):
            assert exchange(server.redis_port, b"post /\r\n") == (b"", True)
    assert sum("Possible SECURITY ATTACK" in m for m in caplog.messages) == 1


def test_cross_protocol_before_auth(locked):
    data, closed = exchange(locked.redis_port, CURL_POST.replace(b"SET", b"AUTH " + b"x"))
    assert (data, closed) == (b"", True)


@pytest.mark.differential
@pytest.mark.parametrize(
    "blob",
    [
        CURL_POST,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"PING\r\nHOST: x\r\nPING\r\n",
        b"*1\r\n$4\r\nPOST\r\n*1\r\n$4\r\nPING\r\n",
        b"*2\r\n$5\r\nhost:\r\n$1\r\nx\r\n",
        b"POSTX / HTTP/1.1\r\n",
        b"MULTI\r\nPOST\r\n",
    ],
)
def test_cross_protocol_like_redis(server, real_redis, blob):
    assert exchange(server.redis_port, blob) == exchange(real_redis.port, blob)


# -- 2. limits before authentication (CVE-2021-32675) -------------------------------------------


@pytest.mark.parametrize(
    "blob, reply",
    [
        (b"*11\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
        (b"*2147483647\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
        (b"*1\r\n$16385\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n"),
        (b"*1\r\n$200000000\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n"),
        (
            b"*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n*1\r\n$20000\r\n",
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
            b"-ERR Protocol error: unauthenticated bulk length\r\n",
        ),
    ],
)
def test_unauthenticated_limits(locked, blob, reply):
    assert exchange(locked.redis_port, blob) == (reply, True)


def test_unauthenticated_stream_is_refused_before_it_arrives(locked):
    """The 200 MB claimed bulk is refused at its header: the server closes the connection
    while the client is still sending."""
    s = socket.create_connection(("127.0.0.1", locked.redis_port))
    s.settimeout(10)
    s.sendall(b"*1\r\n$200000000\r\n")
    sent, chunk = 0, b"x" * 65536
    with pytest.raises(OSError):
        while sent < 200_000_000:
            s.sendall(chunk)
            sent += len(chunk)
    assert sent < 50_000_000
    s.close()
    assert _client(locked.redis_port).ping()


def test_limits_lift_after_auth_in_the_same_packet(locked):
    """A request pipelined after AUTH is judged as the authenticated client's (Redis reads
    one request at a time)."""
    big = b"v" * 20000
    blob = (
        b"*2\r\n$4\r\nAUTH\r\n$6\r\n%b\r\n" % PASSWORD.encode()
        + b"*12\r\n$6\r\nEXISTS\r\n"
        + b"".join(b"$1\r\n%d\r\n" % (i % 10) for i in range(11))
        + b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000\r\n%b\r\n" % big
        + b"*2\r\n$6\r\nSTRLEN\r\n$1\r\nk\r\n"
    )
    _client(locked.redis_port).delete("k")
    _client(locked.redis_port).set("3", "x")
    data, closed = exchange(locked.redis_port, blob)
    assert data == b"+OK\r\n:1\r\n+OK\r\n:20000\r\n" and not closed


def test_pre_auth_pipeline_of_small_requests_is_answered(locked):
    blob = b"PING\r\n" * 50 + b"*1\r\n$4\r\nPING\r\n" * 50
    data, closed = exchange(locked.redis_port, blob)
    assert data == b"-NOAUTH Authentication required.\r\n" * 100 and not closed


@pytest.mark.differential
@pytest.mark.parametrize(
    "blob",
    [
        b"*11\r\n",
        b"*10\r\n$16384\r\n",
        b"*10\r\n$16385\r\n",
        b"*1\r\n$100000000\r\n",
        b"*2\r\n$4\r\nPING\r\n$300000\r\n",
        b"*-5\r\n*0\r\nPING\r\n*11\r\n",
        b"AUTH %b\r\n*11\r\n$4\r\nECHO\r\n" % PASSWORD.encode(),
        b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%b\r\n*1\r\n$600000000\r\n"
        % (len(PASSWORD), PASSWORD.encode()),
        b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%b\r\n*4294967295\r\n" % (len(PASSWORD), PASSWORD.encode()),
        b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%b\r\n*2147483648\r\n" % (len(PASSWORD), PASSWORD.encode()),
        b"HELLO 3 AUTH default %b\r\n*20\r\n" % PASSWORD.encode(),
    ],
)
def test_unauthenticated_like_redis(locked, real_locked, blob):
    ours = exchange(locked.redis_port, blob)
    theirs = exchange(real_locked.port, blob)
    assert ours[1] == theirs[1]
    if blob.startswith(b"HELLO"):  # the HELLO map names the server and its version
        assert ours[0].split(b"\r\n")[-2:] == theirs[0].split(b"\r\n")[-2:]
    else:
        assert ours[0] == theirs[0]


# -- lengths checked when they are read, for everyone -------------------------------------------


def test_bulk_length_checked_at_the_header_after_a_big_item(server, r):
    """proto-max-bulk-len is checked when a header is read, however much came before it in
    the same request."""
    blob = b"*4\r\n$4\r\nMSET\r\n$1\r\nk\r\n$2000000\r\n" + b"x" * 2000000 + b"\r\n$600000000\r\n"
    data, closed = exchange(server.redis_port, blob, wait=10)
    assert (data, closed) == (b"-ERR Protocol error: invalid bulk length\r\n", True)


def test_huge_multibulk_count_reserves_nothing(server, r):
    """*2147483647 is accepted (as Redis does) but costs only what arrives: the process's
    virtual memory does not grow by the 16 GB an up-front argv would take."""

    def vm_kb() -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1])
        return 0

    before = vm_kb()
    socks = []
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", server.redis_port))
        s.sendall(b"*2147483647\r\n$3\r\nSET\r\n$1\r\nk\r\n")
        socks.append(s)
    assert r.ping()  # the server read those headers
    grown = vm_kb() - before
    for s in socks:
        s.close()
    assert grown < 1024 * 1024  # KiB: well under 1 GiB


@pytest.mark.parametrize(
    "blob, reply",
    [
        (b"*4294967295\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*99999999999999999999999\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*2\r\n$3\r\nGET\r\n:5\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
        (b"*2\r\n$3\r\nGET\r\n+5\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
        (b"*2\r\n$6\r\nEXISTS\r\n*1\r\n", b"-ERR Protocol error: expected '$', got '*'\r\n"),
        # RESP3 items hiredis would hand over as bulk strings (a verbatim string, a big number)
        (
            b"*2\r\n$3\r\nGET\r\n=7\r\ntxt:abc\r\n",
            b"-ERR Protocol error: expected '$', got '='\r\n",
        ),
        (b"*2\r\n$3\r\nGET\r\n(123\r\n", b"-ERR Protocol error: expected '$', got '('\r\n"),
        (
            b"*3\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n:0\r\n",
            b"-ERR Protocol error: expected '$', got ':'\r\n",
        ),
    ],
)
def test_bad_lengths_and_items(server, r, blob, reply):
    assert exchange(server.redis_port, blob) == (reply, True)


@pytest.mark.differential
@pytest.mark.parametrize(
    "blob",
    [
        b"*2\r\n$3\r\nGET\r\n:5\r\n",
        b"*2\r\n$3\r\nGET\r\n+5\r\n",
        b"*2\r\n$3\r\nGET\r\n=7\r\ntxt:abc\r\n",
        b"*2\r\n$3\r\nGET\r\n(123\r\n",
        b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n-e\r\n",
        b"*2\r\n$6\r\nSTRLEN\r\n*0\r\n",
        b"*4294967295\r\n",
        b"*1\r\n$4\r\nPING\r\n" * 3 + b"*0\r\n" * 100 + b"*1\r\n$4\r\nPING\r\n",
    ],
)
def test_bad_items_like_redis(server, real_redis, blob):
    assert exchange(server.redis_port, blob) == exchange(real_redis.port, blob)


# -- the parser itself ---------------------------------------------------------------------------


def test_a_request_split_across_reads_is_not_parsed_again():
    """The query buffer keeps only what is not parsed yet (the argv grows as items come)."""
    p = RequestParser()
    assert p.feed(b"*2147483647\r\n") == []
    for i in range(1000):
        assert p.feed(b"$4\r\n%04d\r\n" % i) == []
        assert p.buffered == (i + 1) * (4 + querybuf._ITEM_OVERHEAD)
        assert len(p._query.buf) == 0


def test_query_buffer_limit_counts_the_argv():
    p = RequestParser(max_query=10_000)
    with pytest.raises(ProtocolError, match="too big query buffer"):
        p.feed(b"*1000000\r\n")
        for _ in range(1000):
            p.feed(b"$10\r\n0123456789\r\n")


def test_unauthenticated_parser_returns_one_request_at_a_time():
    p = RequestParser()
    p.unauthenticated = True
    assert p.feed(b"PING\r\n*1\r\n$4\r\nPING\r\n*0\r\nPING\r\n") == [[b"PING"]]
    assert p.feed(b"") == [[b"PING"]]
    assert p.feed(b"") == [[b"PING"]]
    assert p.feed(b"") == [] and p.buffered == 0


blobs = st.lists(
    st.one_of(
        st.lists(st.binary(max_size=30), min_size=1, max_size=12).map(
            lambda a: b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%b\r\n" % (len(x), x) for x in a)
        ),
        st.sampled_from(
            [
                b"*0\r\n",
                b"*-1\r\n",
                b"PING\r\n",
                b"set a 'b c'\r\n",
                b"*2\r\n$3\r\nGET\r\n:5\r\n",
                b"*1\r\n+x\r\n",
                b"*1\r\n$17000\r\n" + b"y" * 17000 + b"\r\n",
                b"*2147483647\r\n",
                b"*2\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n",
                b"$5\r\n",
                b"*1\r\n$04\r\nPING\r\n",
                b"\r\n",
            ]
        ),  # fmt: skip
    ),
    min_size=1,
    max_size=12,
)


def _reference(blob: bytes, unauth: bool) -> tuple[list, str | None]:
    q = QueryBuffer()
    q.buf += blob
    out: list = []
    try:
        while (argv := q.next_request(512 * 1024 * 1024, unauth)) is not None:
            if argv:
                out.append(argv)
    except ProtocolError as e:
        return out, str(e)
    return out, None


@given(blobs, st.data(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_fast_path_and_query_buffer_agree_on_any_split(parts, data, unauth):
    """However the bytes are cut into reads, the parser returns what Redis's
    processInputBuffer reads from the whole stream, and refuses it at the same request."""
    blob = b"".join(parts)
    want, error = _reference(blob, unauth)
    p = RequestParser()
    p.unauthenticated = unauth
    got: list = []
    pos = 0
    raised = None
    try:
        while pos < len(blob):
            step = data.draw(st.integers(1, max(1, len(blob) - pos)))
            got += p.feed(blob[pos : pos + step])
            pos += step
            while unauth and (more := p.feed(b"")):
                got += more
    except ProtocolError as e:
        got += e.requests
        raised = str(e)
    assert raised == error
    assert got == want


@given(
    st.lists(st.lists(st.integers(0, 3000), min_size=1, max_size=4), min_size=1, max_size=120),
    st.lists(st.integers(1, 9000), min_size=1, max_size=40),
)
@settings(max_examples=150, deadline=None)
def test_long_pipelines_cut_anywhere(shapes, cuts):
    """Pipelines long enough for hiredis to drop consumed bytes between requests, cut into
    reads of any size: every request comes out once, whole, in order."""
    commands = [[b"%d" % i + b"x" * n for n in shape] for i, shape in enumerate(shapes)]
    blob = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%b\r\n" % (len(x), x) for x in c)
                    for c in commands)  # fmt: skip
    p = RequestParser()
    got: list = []
    pos = 0
    for cut in cuts * (len(blob) // sum(cuts) + 1):
        if pos >= len(blob):
            break
        got += p.feed(blob[pos : pos + cut])
        pos += cut
    assert got == commands and p.buffered == 0


# -- a flood before AUTH does not hurt anyone else ---------------------------------------------


def test_pre_auth_flood_leaves_other_clients_alone(locked):
    good = RawClient(locked.redis_port)
    good.call("AUTH", PASSWORD)
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            try:
                exchange(locked.redis_port, b"*1\r\n$16385\r\n" + b"z" * 16385, wait=0.05)
            except OSError:
                pass

    threads = [threading.Thread(target=flood) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(50):
            assert good.call("SET", "f", str(i)) == b"+OK\r\n"
            assert good.call("GET", "f") == b"$%d\r\n%d\r\n" % (len(str(i)), i)
    finally:
        stop.set()
        for t in threads:
            t.join()
        good.close()
