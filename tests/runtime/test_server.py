"""runtime/server.py and http.py: the admin port (routes, 400s, /readyz, /metrics), route
conflicts, the data-directory lock, every busy port at once, clean failure at start."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from polystack.runtime.http import RouteConflict
from polystack.runtime.lock import DataDirInUse
from polystack.runtime.server import PortInUse, StartupError

from .toy import HTTP_TOY, LineClient, ToyService, in_thread, port_of, toy_server


def http(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def raw_http(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def serve_toy(tmp_path, body, spec=None, **cfg):
    async def main():
        srv = toy_server(tmp_path, **({"spec": spec} if spec else {}), **cfg)
        await srv.start()
        try:
            return await body(srv)
        finally:
            await srv.stop()

    return asyncio.run(main())


def test_admin_routes_methods_bodies_and_bad_requests(tmp_path):
    async def body(srv):
        admin = port_of(srv, "admin")

        def work():
            out = {}
            out["get"] = http(admin, "GET", "/toy/a%2Fb")
            out["put"] = http(
                admin, "PUT", "/toy/x", b'{"a": 1}', {"Authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="}
            )
            out["405"] = http(admin, "DELETE", "/toy/x")
            out["404"] = http(admin, "GET", "/nope")
            out["ready"] = http(admin, "GET", "/readyz")
            out["health"] = http(admin, "GET", "/healthz")
            out["garbage"] = raw_http(admin, b"\x00\x01garbage\r\n\r\n")
            out["badlen"] = raw_http(admin, b"GET /healthz HTTP/1.1\r\nContent-Length: x\r\n\r\n")
            out["badhdr"] = raw_http(admin, b"GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n")
            out["badpct"] = raw_http(admin, b"GET /%ff%fe HTTP/1.1\r\n\r\n")
            out["keepalive"] = raw_http(
                admin,
                b"GET /readyz HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\nConnection: close\r\n\r\n",
            )
            return out

        return await in_thread(work)

    out = serve_toy(tmp_path, body, policy="no", barrier=False)
    assert out["get"][:2] == (200, b"toy a/b")
    assert out["put"][:2] == (201, b"{\"a\": 1} PUT ('guest', 'guest')")
    assert out["405"][0] == 405 and out["405"][2]["Allow"] == "GET, PUT"
    assert out["404"][0] == 404
    assert out["ready"][:2] == (200, b'{"ready": true}')
    assert out["health"][0] == 200
    for key in ("garbage", "badlen", "badhdr", "badpct"):
        assert out[key].startswith(b"HTTP/1.1 400 Bad Request\r\n"), key
    assert out["keepalive"].count(b"HTTP/1.1 200 OK") == 2


def test_system_http_port(tmp_path):
    async def body(srv):
        port = port_of(srv, "toy-http")
        return await in_thread(http, port, "GET", "/toy/z")

    out = serve_toy(
        tmp_path, body, spec=HTTP_TOY, policy="no", barrier=False, route_port="toy-http"
    )
    assert out[:2] == (200, b"toy z")


def test_two_registrations_of_a_route_fail_the_start(tmp_path):
    async def main():
        srv = toy_server(tmp_path, routes=[("GET", "/metrics")])
        with pytest.raises(RouteConflict, match="GET /metrics .* registered twice"):
            await srv.start()

    asyncio.run(main())


def test_metrics_parse_with_prometheus_client(tmp_path):
    async def body(srv):
        port = port_of(srv, "toy")
        c = LineClient(port)
        c.send(b"SET a 1")
        await in_thread(c.line)
        status, text, headers = await in_thread(http, port_of(srv, "admin"), "GET", "/metrics")
        c.close()
        return status, text.decode(), headers

    status, text, headers = serve_toy(tmp_path, body, policy="always")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    for name in (
        "polystack_connections",
        "polystack_connections_accepted",
        "polystack_received_bytes",
        "polystack_sent_bytes",
        "polystack_log_appends",
        "polystack_log_fsync_seconds",
        "polystack_log_size_bytes",
        "polystack_resource_alarm",
        "polystack_memory_high_watermark_bytes",
        "polystack_disk_free_limit_bytes",
        "polystack_ready",
    ):
        assert name in fams, name
    appends = {s.labels["system"]: s.value for s in fams["polystack_log_appends"].samples}
    assert appends == {"toy": 1.0}
    count = [s for s in fams["polystack_log_fsync_seconds"].samples if s.name.endswith("_count")]
    assert count and count[0].value >= 1
    alarm = {s.labels["resource"]: s.value for s in fams["polystack_resource_alarm"].samples}
    assert alarm == {"memory": 0.0, "disk": 0.0}


def test_data_directory_lock(tmp_path):
    async def main():
        first = toy_server(tmp_path, policy="no", barrier=False)
        await first.start()
        second = toy_server(tmp_path, policy="no", barrier=False)
        try:
            with pytest.raises(DataDirInUse) as e:
                await second.start()
        finally:
            await first.stop()
        third = toy_server(tmp_path, policy="no", barrier=False)
        await third.start()  # free again once the first stopped
        await third.stop()
        return str(e.value)

    import os

    msg = asyncio.run(main())
    assert str(tmp_path.resolve()) in msg and f"process {os.getpid()}" in msg


def test_every_busy_port_is_reported_at_once(tmp_path):
    socks = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        socks.append(s)
    toy_port, admin_port = (s.getsockname()[1] for s in socks)

    async def main():
        srv = toy_server(tmp_path, port=toy_port)
        srv.settings.admin_port = admin_port
        with pytest.raises(PortInUse) as e:
            await srv.start()
        return e.value.problems

    try:
        problems = asyncio.run(main())
    finally:
        for s in socks:
            s.close()
    assert len(problems) == 2
    assert f"toy port {toy_port}" in problems[0] and "--toy-port" in problems[0]
    assert f"admin port {admin_port}" in problems[1] and "--admin-port" in problems[1]


class FailingToy(ToyService):
    async def recover(self) -> None:
        raise ValueError("the toy data is corrupt")


def test_failure_at_start_closes_everything(tmp_path, monkeypatch):
    import tests.runtime.toy as toymod

    monkeypatch.setattr(toymod, "ToyService", FailingToy)

    async def main():
        srv = toy_server(tmp_path, policy="no", barrier=False)
        with pytest.raises(StartupError) as e:
            await srv.start()
        ports = [ep.port for ep in srv.endpoints]
        return str(e.value), ports, srv

    msg, ports, srv = asyncio.run(main())
    assert msg == "polystack: toy failed to start: the toy data is corrupt"
    for port in ports:  # every listener was closed again
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    assert srv.contexts["toy"].logs.logs == []  # and every log
    monkeypatch.undo()

    async def again():  # and the data directory lock
        ok = toy_server(tmp_path, policy="no", barrier=False)
        await ok.start()
        await ok.stop()

    asyncio.run(again())


class SlowToy(ToyService):
    release: asyncio.Event | None = None

    async def recover(self) -> None:
        SlowToy.release = asyncio.Event()
        await SlowToy.release.wait()


def test_readyz_is_503_until_every_service_recovered(tmp_path, monkeypatch):
    import tests.runtime.toy as toymod

    monkeypatch.setattr(toymod, "ToyService", SlowToy)

    async def main():
        srv = toy_server(tmp_path, policy="no", barrier=False)
        task = asyncio.ensure_future(srv.start())
        while SlowToy.release is None:
            await asyncio.sleep(0.01)
        admin = port_of(srv, "admin")
        during = await in_thread(http, admin, "GET", "/readyz")
        SlowToy.release.set()
        await task
        after = await in_thread(http, admin, "GET", "/readyz")
        await srv.stop()
        return during[0], after[0]

    assert asyncio.run(main()) == (503, 200)


def test_healthz_reports_a_stalled_loop(tmp_path):
    import time

    async def main():
        srv = toy_server(tmp_path, policy="no", barrier=False)
        srv.health_monitor.stall_threshold = 0.3
        await srv.start()
        admin = port_of(srv, "admin")
        before = await in_thread(http, admin, "GET", "/healthz")
        await asyncio.sleep(0.3)
        time.sleep(0.8)  # something blocks the loop
        await asyncio.sleep(0.3)
        after = await in_thread(http, admin, "GET", "/healthz")
        await srv.stop()
        return before, after

    before, after = asyncio.run(main())
    assert before[0] == 200
    assert after[0] == 503 and b"event loop stalled" in after[1]


def test_each_systems_metric_families():
    import redis
    from kazoo.client import KazooClient

    from polystack.testing import serve

    with serve(redis=True, zookeeper=True) as s:
        r = redis.Redis(port=s.redis_port)
        r.set("a", "1")
        r.get("a")
        # the client's own handshake may already have drawn errors (redis-py 8 tries
        # CLIENT MAINT_NOTIFICATIONS, which Redis 7.0 does not know): count from here
        errors_before = r.info("errorstats").get("errorstat_ERR", {}).get("count", 0)
        try:
            r.execute_command("NOSUCHCOMMAND")
        except redis.ResponseError:
            pass
        zk = KazooClient(hosts=s.zookeeper_hosts)
        zk.start(10)
        zk.create("/m", b"x")
        zk.get("/m", watch=lambda e: None)
        status, text, _ = http(s.port("admin"), "GET", "/metrics")
        zk.stop()
        zk.close()
    assert status == 200
    fams = {f.name: f for f in text_string_to_metric_families(text.decode())}

    def samples(name):
        return {tuple(sorted(x.labels.items())): x.value for x in fams[name].samples}

    assert samples("redis_commands")[(("command", "set"),)] == 1
    assert samples("redis_keys")[(("db", "0"),)] == 1
    assert samples("redis_errors")[(("kind", "ERR"),)] == errors_before + 1
    assert samples("zookeeper_requests")[(("op", "create"),)] == 1
    assert samples("zookeeper_znodes")[()] >= 3
    assert samples("zookeeper_sessions")[()] == 1
    assert samples("zookeeper_watches")[(("kind", "data"),)] == 1
    conns = samples("polystack_connections")
    assert conns[(("listener", "redis"), ("system", "redis"))] >= 1
    assert conns[(("listener", "zookeeper"), ("system", "zookeeper"))] == 1
    appends = samples("polystack_log_appends")
    assert appends[(("system", "redis"),)] >= 1 and appends[(("system", "zookeeper"),)] >= 2
    assert any(
        k[0] == ("file", "appendonly.log.00000000") for k in samples("polystack_log_size_bytes")
    )


def test_a_forked_child_does_not_keep_the_data_directory_lock(tmp_path):
    """Redis's BGSAVE forks: the child must not hold the lock after the server stopped."""
    import os

    async def main():
        srv = toy_server(tmp_path, policy="no", barrier=False)
        await srv.start()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child outlives the server's stop for a while
            os.close(w)
            os.read(r, 1)
            os._exit(0)
        os.close(r)
        await srv.stop()
        again = toy_server(tmp_path, policy="no", barrier=False)
        try:
            await again.start()  # free although the child is still running
            await again.stop()
        finally:
            os.write(w, b"x")
            os.close(w)
            os.waitpid(pid, 0)

    asyncio.run(main())
