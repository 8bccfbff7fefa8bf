"""zkCli.sh from Debian's zookeeper package, one-shot, against polystack."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from polystack.testing import serve

ZKCLI = Path("/usr/share/zookeeper/bin/zkCli.sh")

pytestmark = pytest.mark.skipif(
    not ZKCLI.exists() or shutil.which("java") is None,
    reason="zkCli.sh needs Debian's zookeeper package and java (scripts/install-test-deps)",
)


@pytest.fixture(scope="module")
def server():
    with serve(zookeeper=True) as s:
        yield s


def zkcli(hosts: str, *cmd: str) -> str:
    out = subprocess.run(
        [str(ZKCLI), "-server", hosts, *cmd],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout + out.stderr


def zkcli_stdout(hosts: str, *cmd: str) -> list[str]:
    out = subprocess.run(
        [str(ZKCLI), "-server", hosts, *cmd], capture_output=True, text=True, timeout=120
    )
    return [line for line in out.stdout.splitlines() if line.strip()]


def test_zkcli_one_shot_commands(server):
    h = server.zookeeper_hosts
    assert "Created /cli" in zkcli(h, "create", "/cli", "hello")
    assert "hello" in zkcli(h, "get", "/cli")
    zkcli(h, "create", "-s", "/cli/seq-", "x")
    zkcli(h, "create", "-e", "/cli/eph", "x")
    zkcli(h, "set", "/cli", "world")
    stat = zkcli(h, "stat", "/cli")
    assert "dataVersion = 1" in stat and "numChildren = " in stat
    ls = zkcli(h, "ls", "/cli")
    assert "seq-0000000000" in ls
    assert "[cli, zookeeper]" in zkcli(h, "ls", "/")
    assert "Node does not exist: /nope" in zkcli(h, "get", "/nope")
    assert "Node already exists: /cli" in zkcli(h, "create", "/cli")
    zkcli(h, "setAcl", "/cli/seq-0000000000", "world:anyone:r")
    assert "'world,'anyone\n: r" in zkcli(h, "getAcl", "/cli/seq-0000000000")
    assert "Insufficient permission" in zkcli(h, "set", "/cli/seq-0000000000", "x")
    zkcli(h, "deleteall", "/cli")
    c = KazooClient(h)
    c.start()
    try:
        assert c.exists("/cli") is None
    finally:
        c.stop()


def test_zkcli_whoami_and_ephemerals(server):
    h = server.zookeeper_hosts
    out = zkcli(h, "whoami")
    assert "Auth scheme: User" in out and "ip: 127.0.0.1" in out
    lines = zkcli_stdout(h, "getAllChildrenNumber", "/")
    assert lines[-1].strip().isdigit()


def _clean(text: str) -> list[str]:
    keep = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(("SLF4J", "log4j", "Connecting to", "WATCHER::")):
            continue
        if "WatchedEvent state:SyncConnected type:None path:null" in line:
            continue
        if line.startswith(("ctime = ", "mtime = ")):
            continue
        keep.append(line)
    return keep


@pytest.mark.differential
def test_zkcli_output_matches_real_zookeeper():
    from .realzk import RealZooKeeper, missing_reason

    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    script = [
        ["create", "/d", "data"],
        ["create", "-s", "/d/s-", "x"],
        ["create", "-e", "/d/e", "x"],
        ["create", "-c", "/c", "x"],
        ["create", "-t", "5000", "/t", "x"],
        ["create", "/d"],
        ["create", "/nope/x"],
        ["get", "-s", "/d"],
        ["set", "-s", "/d", "v2"],
        ["set", "-v", "7", "/d", "v3"],
        ["stat", "/d"],
        ["ls", "/d"],
        ["ls", "-s", "/"],
        ["getAcl", "/d"],
        ["setAcl", "/d", "world:anyone:cdrw"],
        ["getAcl", "-s", "/d"],
        ["delete", "/d"],
        ["delete", "-v", "3", "/c"],
        ["getAllChildrenNumber", "/"],
        ["getEphemerals", "/"],
        ["whoami"],
        ["sync", "/"],
        ["get", "/zookeeper/config"],
        ["deleteall", "/d"],
        ["ls", "-R", "/"],
    ]
    real = RealZooKeeper()
    try:
        with serve(zookeeper=True) as s:
            for cmd in script:
                want = _clean(zkcli(real.hosts, *cmd))
                got = _clean(zkcli(s.zookeeper_hosts, *cmd))
                assert got == want, cmd
    finally:
        real.stop()
