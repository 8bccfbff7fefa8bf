"""Containers and TTL nodes, zoo.cfg, the AdminServer routes, four-letter
words over a socket."""

from __future__ import annotations

import json
import socket
import urllib.request

from kazoo.client import KazooClient

from polystack.runtime.clock import ManualClock
from polystack.testing import serve
from polystack.zookeeper import zoocfg

from . import zkproto
from .harness import make_server, session


def test_failed_writes_take_a_zxid_like_zookeeper():
    zk = make_server()
    c, _ = session(zk)
    h1, _ = c.call(zkproto.create(1, "/x", b""))
    h2, _ = c.call(zkproto.create(2, "/x", b""))  # NodeExists, still a transaction
    h3, _ = c.call(zkproto.exists(3, "/x"))
    assert h2[2] == -110 and h2[1] == h1[1] + 1 and h3[1] == h2[1]


def test_containers_and_ttl_nodes_are_reaped():
    zk = make_server(container_check_interval_ms=60000)
    c, _ = session(zk)
    c.call(zkproto.create(1, "/cont", b"", flags=4, op=19))
    assert zk.check_containers() == 0  # never had a child: kept
    c.call(zkproto.create(2, "/cont/a", b""))
    c.call(zkproto.delete(3, "/cont/a"))
    assert zk.check_containers() == 1 and zk.tree.get("/cont") is None
    from polystack.zookeeper.records import CreateTTLRequest

    rec = CreateTTLRequest("/ttl", b"", zkproto.OPEN_ACL, 5, 1000)
    h, _ = c.call(zkproto.packet(4, 21, rec.encode()))
    assert h[2] == 0
    assert zk.check_containers() == 0
    zk.clock.advance(2)
    assert zk.check_containers() == 1 and zk.tree.get("/ttl") is None


def test_container_reaped_by_the_service_timer():
    clock = ManualClock()
    with serve(zookeeper=True, clock=clock) as s:
        raw = zkproto.RawClient("127.0.0.1", s.zookeeper_port)
        h, _, _ = raw.call(zkproto.create, "/box", b"", 4, None, 19)  # createContainer
        assert h[2] == 0
        raw.call(zkproto.create, "/box/item", b"")
        raw.call(zkproto.delete, "/box/item")
        for _ in range(3):  # keep the session alive while the clock moves past the check
            s.advance(20.5)
            raw.call(zkproto.sync, "/")
        h, _, _ = raw.call(zkproto.exists, "/box")
        assert h[2] == -101  # NoNode: the empty container was removed
        raw.close()


def test_zoo_cfg_parsing(tmp_path):
    cfg = zoocfg.parse(
        "# comment\ntickTime=500\nclientPort : 2999\ndataDir /tmp/x\n"
        "4lw.commands.whitelist=ruok, srvr\nserver.1=a:2888:3888\nsslQuorum=true\n"
    )
    assert cfg.get_int("tickTime") == 500 and cfg.get_int("clientPort") == 2999
    assert cfg.get("dataDir") == "/tmp/x"
    assert cfg.ignored == ["server.1", "sslQuorum"]


def test_serve_with_zoo_cfg(tmp_path):
    data = tmp_path / "zkdata"
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(
        f"tickTime=300\ndataDir={data}\nmaxSessionTimeout=1500\n"
        "4lw.commands.whitelist=ruok,conf\nquorumListenOnAllIPs=true\n"
    )
    with serve(zookeeper=True, config_overrides={"zookeeper.zoo_cfg": str(cfg)}) as s:
        raw = zkproto.RawClient("127.0.0.1", s.zookeeper_port, timeout=30000)
        assert raw.session.timeout == 1500  # maxSessionTimeout from zoo.cfg
        raw.close()
        c = KazooClient(s.zookeeper_hosts, timeout=30)
        c.start()
        c.create("/fromcfg")
        conf = c.command(b"conf")
        assert "tickTime=300" in conf and f"dataDir={data}" in conf
        assert c.command(b"ruok") == "imok"
        c.stop()
    assert any(data.iterdir())


def _four(port: int, word: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(word)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def test_four_letter_words_and_admin_server():
    overrides = {"zookeeper.four_letter_whitelist": "*"}
    with serve(zookeeper=True, config_overrides=overrides) as s:
        c = KazooClient(s.zookeeper_hosts)
        c.start()
        c.create("/eph", ephemeral=True)
        c.get("/eph", watch=lambda e: None)
        port = s.zookeeper_port
        assert _four(port, b"ruok") == b"imok"
        assert _four(port, b"isro") == b"rw"
        srvr = _four(port, b"srvr").decode()
        assert srvr.startswith("Zookeeper version: 3.8.0") and "Mode: standalone\n" in srvr
        mntr = dict(line.split("\t", 1) for line in _four(port, b"mntr").decode().splitlines())
        assert mntr["zk_server_state"] == "standalone" and mntr["zk_ephemerals_count"] == "1"
        assert "zookeeper.version=3.8.0" in _four(port, b"envi").decode()
        assert _four(port, b"wchs").decode().endswith("Total watches:1\n")
        assert "/eph" in _four(port, b"wchp").decode()
        assert "sid=0x" in _four(port, b"cons").decode()
        assert "Sessions with Ephemerals (1):" in _four(port, b"dump").decode()
        assert _four(port, b"dirs").decode().startswith("datadir_size: ")
        assert _four(port, b"srst") == b"Server stats reset.\n"
        assert _four(port, b"crst") == b"Connection stats reset.\n"
        base = s.admin_url
        for name in ("ruok", "monitor", "mntr", "stats", "conf", "cons", "wchs", "envi"):
            with urllib.request.urlopen(f"{base}/commands/{name}") as r:
                body = json.loads(r.read())
                assert body["error"] is None
        with urllib.request.urlopen(f"{base}/commands/monitor") as r:
            body = json.loads(r.read())
            assert body["command"] == "monitor" and body["server_state"] == "standalone"
        with urllib.request.urlopen(f"{base}/commands") as r:
            assert b'<a href="/commands/ruok">ruok</a>' in r.read()
        c.stop()


def test_max_client_cnxns_per_ip():
    with serve(zookeeper=True, config_overrides={"zookeeper.max_client_cnxns": 2}) as s:
        clients = [zkproto.RawClient("127.0.0.1", s.zookeeper_port) for _ in range(2)]
        third = socket.create_connection(("127.0.0.1", s.zookeeper_port))
        try:
            third.sendall(zkproto.connect())
            got = third.recv(100)
        except ConnectionError:
            got = b""
        assert got == b""  # closed: "Too many connections from /127.0.0.1 - max is 2"
        third.close()
        for c in clients:
            c.close()
