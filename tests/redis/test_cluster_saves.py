"""nodes.conf saves (cluster/link.py): written off the loop, one write per node in flight, the
saves asked for meanwhile coalesced into one more write of the latest state; a disk that stalls
never holds the node's clients.  CLUSTER SAVECONFIG still writes before it answers."""

from __future__ import annotations

import threading
import time

import pytest
import redis

import polystack.testing
from polystack.redis.cluster import nodesconf


@pytest.fixture
def node():
    with polystack.testing.serve(redis=True, config_overrides={"redis.cluster_nodes": 1}) as handle:
        svc = handle.service("redis")
        port = svc.listening_port()
        r = redis.Redis(port=port, decode_responses=True)
        deadline = time.monotonic() + 30
        while r.execute_command("CLUSTER INFO").get("cluster_state") != "ok":
            assert time.monotonic() < deadline, "cluster_state never ok"
            time.sleep(0.1)
        yield svc, r


def test_a_stalled_nodes_conf_write_never_holds_the_clients(node, monkeypatch) -> None:
    svc, r = node
    release = threading.Event()
    started = threading.Event()
    writes: list[tuple[bytes, bool]] = []
    real_write = nodesconf.write

    def stalled_write(path, data, fsync, lock=None):
        writes.append((data, fsync))
        started.set()
        assert release.wait(30), "never released"
        real_write(path, data, fsync, lock)

    monkeypatch.setattr(nodesconf, "write", stalled_write)
    assert r.execute_command("CLUSTER DELSLOTS", 16383)  # asks for a save
    assert started.wait(10), "no nodes.conf write started"
    # the disk is stalled: the node still answers, and more saves only mark one more write
    for slot in (16382, 16381, 16380):
        assert r.execute_command("CLUSTER ADDSLOTS", slot + 1)
        assert r.execute_command("CLUSTER DELSLOTS", slot)
        assert r.ping()
    assert len(writes) == 1
    release.set()
    deadline = time.monotonic() + 10
    while len(writes) < 2 or svc.cluster._save_busy:
        assert time.monotonic() < deadline, "the coalesced save never ran"
        time.sleep(0.05)
    assert len(writes) == 2
    mine = next(line for line in open(svc.cluster.path) if "myself" in line)
    assert mine.split()[8:] == ["0-16379", "16381-16383"]  # the latest state, written last
    assert r.execute_command("CLUSTER ADDSLOTS", 16380)


def test_saveconfig_writes_before_it_answers(node, monkeypatch) -> None:
    svc, r = node
    calls: list[bool] = []
    real_write = nodesconf.write

    def counting_write(path, data, fsync, lock=None):
        calls.append(fsync)
        real_write(path, data, fsync, lock)

    monkeypatch.setattr(nodesconf, "write", counting_write)
    assert r.execute_command("CLUSTER SAVECONFIG")
    assert calls == [True]
