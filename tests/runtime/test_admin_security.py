"""The admin HTTP port against hostile callers: loopback by default, Host validation (DNS
rebinding), state changes on POST only, optional token or Basic auth (admin_auth), and the
start-up warning for systems listening beyond loopback without authentication."""

from __future__ import annotations

import base64
import http.client
import json
import logging

import pytest
from kazoo.client import KazooClient

import polystack.testing
from polystack import config
from polystack.runtime.admin import AdminGuard, is_loopback, parse_admin_auth
from polystack.runtime.http import HttpRequest


def request(
    port: int, method: str, path: str, host: str | None = None, headers: dict | None = None
) -> tuple[int, bytes, dict]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        hdrs = dict(headers or {})
        if host is not None:
            c.putrequest(method, path, skip_host=True)
            c.putheader("Host", host)
        else:
            c.putrequest(method, path)
        for k, v in hdrs.items():
            c.putheader(k, v)
        c.putheader("Content-Length", "0")
        c.endheaders()
        r = c.getresponse()
        return r.status, r.read(), dict(r.getheaders())
    finally:
        c.close()


@pytest.fixture(scope="module")
def open_admin():
    with polystack.testing.serve(zookeeper=True) as s:
        yield s


def test_admin_listens_on_loopback_by_default():
    cfg = config.load(None, {"bind": "0.0.0.0"}, environ={})
    assert cfg.admin_bind == "127.0.0.1"
    assert config.server_settings(cfg).admin_bind == "127.0.0.1"
    cfg = config.load(None, {}, environ={"POLYSTACK_ADMIN_BIND": "0.0.0.0"})
    assert config.server_settings(cfg).admin_bind == "0.0.0.0"


def test_server_binds_the_admin_port_to_admin_bind(open_admin):
    ep = next(e for e in open_admin.server.endpoints if e.name == "admin")
    assert ep.host == "127.0.0.1"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "rebind.attacker.net"])
def test_foreign_host_header_is_refused(open_admin, host):
    """DNS rebinding: a page on evil.example resolves its own name to 127.0.0.1; the browser
    then sends Host: evil.example to the admin port."""
    status, body, _ = request(open_admin.ports["admin"], "GET", "/commands/cons", host)
    assert (status, body) == (403, b"invalid Host header\n")


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8080", "localhost:8080", "[::1]:8080", "10.1.2.3"]
)
def test_address_and_localhost_hosts_are_accepted(open_admin, host):
    status, body, _ = request(open_admin.ports["admin"], "GET", "/commands/ruok", host)
    assert status == 200 and json.loads(body)["command"] == "ruok"


def test_allowed_host_names():
    with polystack.testing.serve(
        zookeeper=True, config_overrides={"admin_allowed_hosts": "zk-admin.internal, other"}
    ) as s:
        port = s.ports["admin"]
        assert request(port, "GET", "/healthz", "zk-admin.internal:8080")[0] == 200
        assert request(port, "GET", "/healthz", "evil.example")[0] == 403


def test_statistics_reset_only_on_post(open_admin):
    port = open_admin.ports["admin"]
    zk = KazooClient(hosts=open_admin.zookeeper_hosts)
    zk.start()
    zk.get_children("/")
    zk.stop()
    zk.close()
    zk_server = open_admin.service("zookeeper").zk

    def received() -> int:
        return open_admin.call(lambda: zk_server.stats.packets_received)

    assert received() > 0
    for path in ("/commands/stat_reset", "/commands/srst", "/commands/crst"):
        status, _, headers = request(port, "GET", path)
        assert status == 405 and headers["Allow"] == "POST"
    assert received() > 0
    status, body, _ = request(port, "POST", "/commands/srst")
    assert status == 200 and json.loads(body)["command"] == "stat_reset"
    assert received() == 0


# -- admin_auth --------------------------------------------------------------------------------


def _basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    "auth, good, bad",
    [
        ("bearer:s3cr3t-token", {"Authorization": "Bearer s3cr3t-token"},
         {"Authorization": "Bearer wrong"}),
        ("basic:admin:pa55", _basic("admin", "pa55"), _basic("admin", "nope")),
    ],
)  # fmt: skip
def test_admin_auth_covers_everything_but_the_probes(auth, good, bad):
    with polystack.testing.serve(
        zookeeper=True, redis=True, config_overrides={"admin_auth": auth}
    ) as s:
        port = s.ports["admin"]
        zk = KazooClient(hosts=s.zookeeper_hosts)
        zk.start()
        try:
            sid = f"0x{zk.client_id[0]:x}"
            for path in ("/commands/cons", "/commands/dump", "/commands/envi", "/metrics", "/"):
                for headers in ({}, bad):
                    status, body, hdrs = request(port, "GET", path, headers=headers)
                    assert status == 401 and sid.encode() not in body
                    assert hdrs["WWW-Authenticate"].split()[0] in ("Bearer", "Basic")
            status, body, _ = request(port, "GET", "/commands/cons", headers=good)
            assert status == 200 and sid in body.decode()
            assert request(port, "GET", "/commands/envi", headers=good)[0] == 200
            assert request(port, "POST", "/commands/crst", headers=bad)[0] == 401
            for probe in ("/healthz", "/readyz"):
                assert request(port, "GET", probe)[0] == 200
            # the Host check comes first, credentials or not
            assert request(port, "GET", "/commands/cons", "evil.example", good)[0] == 403
        finally:
            zk.stop()
            zk.close()


def test_admin_auth_is_validated():
    with pytest.raises(config.ConfigError, match="admin_auth: must be"):
        config.load(None, {"admin_auth": "letmein"}, environ={})
    assert parse_admin_auth("basic:u:p:with:colons") == ("basic", "u", "p:with:colons")
    assert parse_admin_auth("Bearer:t") == ("bearer", "t", "")


def test_credentials_are_compared_in_constant_time(monkeypatch):
    import hmac

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    guard = AdminGuard(auth="basic:u:p")
    req = HttpRequest("GET", "/metrics", {}, {"authorization": _basic("u", "x")["Authorization"]})
    assert guard.check(req).status == 401
    assert len(calls) == 2  # user and password, both compared whatever the first gave


# -- warnings at start ---------------------------------------------------------------------------


def test_warning_for_each_system_beyond_loopback_without_auth(caplog, tmp_path):
    overrides = {"bind": "0.0.0.0", "admin_bind": "0.0.0.0", "redis.protected_mode": True}
    with caplog.at_level(logging.WARNING, logger="polystack.runtime.server"):
        handle = polystack.testing.ServerHandle(
            ("redis", "zookeeper"), tmp_path, None, overrides, True
        )
        handle.start()
        handle.stop()
    lines = [m for m in caplog.messages if "beyond loopback" in m]
    assert any(m.startswith("redis listens on 0.0.0.0") for m in lines)
    assert any(m.startswith("zookeeper listens on 0.0.0.0") for m in lines)
    assert any(m.startswith("the admin port listens on 0.0.0.0") for m in lines)
    assert len(lines) == 3


def test_no_warning_with_passwords_or_loopback(caplog, tmp_path):
    overrides = {"bind": "0.0.0.0", "redis.requirepass": "pw", "admin_auth": "bearer:t"}
    with caplog.at_level(logging.WARNING, logger="polystack.runtime.server"):
        handle = polystack.testing.ServerHandle(("redis",), tmp_path, None, overrides, True)
        handle.start()
        handle.stop()
    assert not [m for m in caplog.messages if "beyond loopback" in m]


def test_is_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.3.4.5")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.0.0.1")
