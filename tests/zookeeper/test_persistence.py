"""Durability: graceful restart, SIGKILL and restart, snapshots + log replay, session expiry
after restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from kazoo.client import KazooClient
from kazoo.security import ACL, Id

from polystack.runtime.clock import ManualClock
from polystack.testing import serve
from polystack.zookeeper.persist import decode_snapshot, encode_snapshot
from polystack.zookeeper.tree import DataTree

SERVER_SCRIPT = r"""
import sys, time
from polystack.testing import serve
with serve(zookeeper=True, data_dir=sys.argv[1], admin=False,
           config_overrides={"zookeeper.tick_time": 100}) as s:
    print(s.zookeeper_port, flush=True)
    while True:
        time.sleep(1)
"""


def start_server(data_dir):
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(proc.stdout.readline())
    return proc, f"127.0.0.1:{port}"


def wait_for(pred, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_sigkill_and_restart_keeps_acknowledged_writes(tmp_path):
    proc, hosts = start_server(tmp_path)
    try:
        zk = KazooClient(hosts, timeout=1.0)
        zk.start()
        zk.create("/app", b"cfg")
        seqs = [zk.create("/app/job-", b"", sequence=True) for _ in range(5)]
        zk.delete(seqs[0])
        zk.set("/app", b"cfg2")
        zk.create("/app/eph", ephemeral=True)
        t = zk.transaction()
        t.create("/app/m1")
        t.set_data("/app", b"cfg3")
        t.commit()
        before = zk.exists("/app")
        last_zxid = zk.exists("/app/m1").czxid
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    proc, hosts = start_server(tmp_path)
    try:
        zk2 = KazooClient(hosts)
        zk2.start()
        assert zk2.get("/app")[0] == b"cfg3"
        assert zk2.exists("/app") == before
        assert zk2.exists("/app/m1").czxid == last_zxid
        # the sequence counter continues: it counts child creations, and the cversion shown
        # is creations + deletions = 2 * creations - numChildren (DataNode.copyStat)
        creations = (before.cversion + before.numChildren) // 2
        assert zk2.create("/app/job-", sequence=True) == f"/app/job-{creations:010d}"
        # the ephemeral's session was restored and expires since nobody resumes it
        assert zk2.exists("/app/eph") is not None
        assert wait_for(lambda: zk2.exists("/app/eph") is None)
        assert zk2.exists("/").czxid == 0
        zk2.stop()
        zk.stop()
    finally:
        proc.terminate()
        proc.wait()


def test_graceful_restart_uses_snapshot(tmp_path):
    with serve(zookeeper=True, data_dir=tmp_path, admin=False) as s:
        zk = KazooClient(s.zookeeper_hosts)
        zk.start()
        for i in range(50):
            zk.create(f"/n{i}", str(i).encode())
        zk.set_acls("/n1", [ACL(1, Id("world", "anyone"))])
        stat = zk.exists("/n49")
        zk.stop()
        s.restart()
        assert (tmp_path / "zookeeper" / "zookeeper.snapshot").exists()
        zk = KazooClient(s.zookeeper_hosts)
        zk.start()
        assert zk.get("/n49") == (b"49", stat)
        assert zk.get_acls("/n1")[0][0].perms == 1
        zk.create("/after")
        zk.stop()
        s.restart()
        zk = KazooClient(s.zookeeper_hosts)
        zk.start()
        assert zk.exists("/after").czxid > stat.czxid
        zk.stop()


def test_snapshot_round_trip():
    from polystack.zookeeper.zkserver import Settings, ZooKeeperServer

    zk = ZooKeeperServer(Settings(), ManualClock())
    tree = zk.tree
    tree.create_node("/a", b"x", tree.nodes["/"].acl, 0, 0, 5, 100)
    tree.create_node("/a/b", None, tree.nodes["/"].acl, 77, 1, 6, 101)
    tree.last_processed_zxid = 6
    data = encode_snapshot(tree, {77: 5000})
    restored, sessions = decode_snapshot(data)
    assert sessions == {77: 5000}
    assert restored.last_processed_zxid == 6
    for path in ("/", "/a", "/a/b", "/zookeeper", "/zookeeper/config"):
        assert restored.nodes[path].stat() == tree.nodes[path].stat()
        assert restored.nodes[path].acl == tree.nodes[path].acl
    assert restored.ephemerals == {77: {"/a/b"}}
    assert isinstance(restored, DataTree)


def test_txn_records_round_trip_and_replay():
    from polystack.zookeeper.acl import OPEN_ACL_UNSAFE
    from polystack.zookeeper.persist import apply_changes, decode_txn, encode_txn
    from polystack.zookeeper.wire import ACL as JACL
    from polystack.zookeeper.wire import Id as JId

    acl = (JACL(1, JId("digest", "u:x")),)
    txns = [
        (5, 100, [(-10, 77, 4000)]),
        (6, 101, [(1, "/a", b"x", OPEN_ACL_UNSAFE, 0, 1)]),
        (7, 102, [(1, "/a/e", None, OPEN_ACL_UNSAFE, 77, 1)]),
        (8, 103, [(5, "/a", b"yy", 1)]),
        (9, 104, [(7, "/a", acl, 1)]),
        (10, 105, []),  # an error transaction only moves the zxid
        (11, 106, [(1, "/b", b"", OPEN_ACL_UNSAFE, 0, 3), (2, "/b")]),
        (12, 107, [(2, "/a/e"), (-11, 77)]),
    ]
    live = DataTree()
    sessions: dict[int, int] = {}
    for zxid, time_, changes in txns:
        raw = encode_txn(zxid, time_, changes)
        assert decode_txn(raw) == (zxid, time_, changes)
        apply_changes(live, zxid, time_, changes, sessions)
    assert sessions == {}
    assert live.last_processed_zxid == 12
    a = live.nodes["/a"]
    assert (a.data, a.version, a.aversion, a.acl, a.mzxid, a.pzxid) == (b"yy", 1, 1, acl, 8, 12)
    assert "/b" not in live.nodes and "/a/e" not in live.nodes
    assert live.nodes["/"].cversion == 3  # /a and /b were created under the root
