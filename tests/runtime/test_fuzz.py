"""Property and fuzz tests: the HTTP route matcher, the HTTP request parser (malformed input
gets a 400 or a closed connection and the server keeps serving), and the log reader (any bytes
give a valid prefix plus a torn tail, or LogCorruption — never another exception)."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.runtime.http import HttpServer, Routes
from polystack.runtime.records import LogCorruption, LogReader, frame

segment = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@given(st.lists(segment, min_size=1, max_size=4), st.data())
@settings(max_examples=200)
def test_route_params_round_trip(values, data):
    names = [f"p{i}" for i in range(len(values))]
    pattern = "/api/" + "/".join("{" + n + "}" for n in names)
    routes = Routes()
    routes.add("GET", pattern, lambda r: (200, "text/plain", b""), owner="t")
    raw = "/api/" + "/".join(quote(v, safe="") for v in values)
    route, params, allowed = routes.match("admin", "GET", raw)
    assert route is not None and params == dict(zip(names, values, strict=True))
    assert routes.match("admin", "PUT", raw)[0] is None and allowed == ["GET"]
    assert routes.match("admin", "GET", raw + "/extra")[0] is None


@given(st.lists(st.sampled_from(["GET", "PUT", "DELETE"]), min_size=1, max_size=6), segment)
@settings(max_examples=100)
def test_a_route_registered_twice_is_a_conflict(methods, name):
    routes = Routes()
    for m in methods:
        routes.add(m, f"/x/{{{name}}}", lambda r: (200, "", b""), owner="a")
    assert bool(routes.conflicts) == (len(set(methods)) < len(methods))


def _serve_http():
    routes = Routes()
    routes.add("GET", "/ok", lambda r: (200, "text/plain", b"ok"), owner="t")
    server = HttpServer(routes)
    loop = asyncio.new_event_loop()
    srv = loop.run_until_complete(
        asyncio.start_server(server.handle, "127.0.0.1", 0, limit=64 * 1024)
    )
    port = srv.sockets[0].getsockname()[1]
    import threading

    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    return loop, srv, port


def _exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        return out


def test_http_parser_fuzz():
    loop, srv, port = _serve_http()
    try:

        @given(st.binary(max_size=400))
        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        def check(junk):
            out = _exchange(port, junk)
            assert out == b"" or out.startswith(b"HTTP/1.1 ")
            assert b" 500 " not in out.split(b"\r\n", 1)[0]

        check()
        assert _exchange(port, b"GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n").endswith(b"ok")
    finally:
        loop.call_soon_threadsafe(srv.close)
        loop.call_soon_threadsafe(loop.stop)


@given(
    st.lists(st.binary(min_size=1, max_size=40), max_size=8),
    st.binary(max_size=60),
    st.integers(0, 400),
)
@settings(max_examples=300, deadline=None)
def test_log_reader_fuzz(tmp_path_factory, records, junk, where):
    """Bytes spliced anywhere into a log: the reader yields a prefix of the records and then
    either stops at a torn tail or raises LogCorruption."""
    blob = b"".join(frame(r) for r in records)
    where = min(where, len(blob))
    path = tmp_path_factory.mktemp("fz") / "x.log"
    path.write_bytes(blob[:where] + junk + blob[where:])
    reader = LogReader(path)
    got = []
    try:
        for rec in reader:
            got.append(rec)
    except LogCorruption as e:
        assert e.offset == reader.valid_end
    else:
        assert reader.valid_end + reader.torn == path.stat().st_size
    # The records wholly before the splice are read back exactly.
    k, end = 0, 0
    for r in records:
        end += 8 + len(r)
        if end > where:
            break
        k += 1
    assert got[:k] == records[:k]
