"""Every operation and the kazoo recipes through kazoo, against polystack in-process."""

from __future__ import annotations

import threading
import uuid

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    NoAuthError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
)
from kazoo.security import ACL, Id, make_digest_acl

from polystack.testing import serve


@pytest.fixture(scope="module")
def server():
    with serve(zookeeper=True) as s:
        yield s


@pytest.fixture
def zk(server):
    client = KazooClient(server.zookeeper_hosts, timeout=10)
    client.start(timeout=10)
    yield client
    client.stop()
    client.close()


@pytest.fixture
def root(zk):
    path = "/t-" + uuid.uuid4().hex[:8]
    zk.create(path)
    return path


def test_crud_and_stat(zk, root):
    p = root + "/node"
    assert zk.create(p, b"v1") == p
    data, stat = zk.get(p)
    assert data == b"v1" and stat.version == 0 and stat.dataLength == 2
    assert stat.czxid == stat.mzxid == stat.pzxid
    stat2 = zk.set(p, b"v22")
    assert stat2.version == 1 and stat2.mzxid > stat.mzxid and stat2.czxid == stat.czxid
    with pytest.raises(BadVersionError):
        zk.set(p, b"x", version=0)
    with pytest.raises(NodeExistsError):
        zk.create(p)
    with pytest.raises(NoNodeError):
        zk.create(root + "/missing/child")
    with pytest.raises(NotEmptyError):
        zk.create(p + "/c")
        zk.delete(p)
    zk.delete(p, recursive=True)
    assert zk.exists(p) is None
    parent = zk.exists(root)
    assert parent.numChildren == 0 and parent.cversion == 2  # one create, one delete


def test_create_and_get_with_stat(zk, root):
    path, stat = zk.create(root + "/c2", b"abc", include_data=True)
    assert path == root + "/c2" and stat.dataLength == 3
    children, pstat = zk.get_children(root, include_data=True)
    assert children == ["c2"] and pstat.numChildren == 1


def test_sequential_and_ephemeral(zk, root, server):
    names = [zk.create(root + "/s-", sequence=True) for _ in range(3)]
    assert names == [root + f"/s-{i:010d}" for i in range(3)]
    e = zk.create(root + "/e", ephemeral=True)
    assert zk.exists(e).ephemeralOwner == zk.client_id[0]
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(e + "/x")
    other = KazooClient(server.zookeeper_hosts)
    other.start()
    other.create(root + "/other-e", ephemeral=True)
    seen = threading.Event()
    zk.exists(root + "/other-e", watch=lambda ev: seen.set())
    other.stop()  # closeSession deletes its ephemerals and fires the watch
    assert seen.wait(5)
    assert zk.exists(root + "/other-e") is None
    other.close()


def wait_until(pred, timeout=10.0):
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if pred():
            return True
        done.wait(0.02)
    return pred()


def test_watches_order_and_types(zk, root, server):
    events = []
    zk.get(root, watch=lambda e: events.append(("data", e.type, e.path)))
    zk.get_children(root, watch=lambda e: events.append(("child", e.type, e.path)))
    other = KazooClient(server.zookeeper_hosts)
    other.start()
    other.create(root + "/k")
    other.set(root, b"changed")
    # kazoo runs watch callbacks on its own thread: wait for them
    assert wait_until(lambda: len(events) == 2)
    assert sorted(events) == [("child", "CHILD", root), ("data", "CHANGED", root)]
    events.clear()
    zk.exists(root + "/k", watch=lambda e: events.append(e.type))
    other.delete(root + "/k")
    assert wait_until(lambda: events == ["DELETED"])
    # one-shot: a second change fires nothing more
    other.create(root + "/k")
    zk.sync(root)
    assert events == ["DELETED"]
    other.stop()
    other.close()


def test_transaction_commit_and_rollback(zk, root):
    t = zk.transaction()
    t.create(root + "/a", b"1")
    t.create(root + "/b")
    t.set_data(root + "/a", b"2")
    t.check(root + "/b", 0)
    assert t.commit() == [root + "/a", root + "/b", zk.exists(root + "/a"), True]
    t = zk.transaction()
    t.create(root + "/c")
    t.delete(root + "/missing")
    t.set_data(root + "/a", b"3")
    res = t.commit()
    assert isinstance(res[0], RolledBackError) and isinstance(res[1], NoNodeError)
    assert zk.exists(root + "/c") is None and zk.get(root + "/a")[0] == b"2"


def test_acls_and_digest_auth(server, root):
    acl = make_digest_acl("alice", "pw", all=True)
    owner = KazooClient(server.zookeeper_hosts, auth_data=[("digest", "alice:pw")])
    owner.start()
    owner.create(root + "/secret", b"s", acl=[acl])
    stranger = KazooClient(server.zookeeper_hosts)
    stranger.start()
    with pytest.raises(NoAuthError):
        stranger.get(root + "/secret")
    stranger.add_auth("digest", "alice:pw")
    assert stranger.get(root + "/secret")[0] == b"s"
    acls, _ = owner.get_acls(root + "/secret")
    assert acls == [acl]
    owner.set_acls(root + "/secret", [ACL(1, Id("world", "anyone"))])
    with pytest.raises(NoAuthError):
        owner.set(root + "/secret", b"x")
    owner.stop()
    stranger.stop()


def test_kazoo_recipes(server, root):
    clients = [KazooClient(server.zookeeper_hosts) for _ in range(3)]
    for c in clients:
        c.start()
    try:
        # Lock
        order = []
        lock_a = clients[0].Lock(root + "/lock", "a")
        lock_b = clients[1].Lock(root + "/lock", "b")
        lock_a.acquire()
        got_b = threading.Event()

        def take_b():
            with lock_b:
                order.append("b")
                got_b.set()

        th = threading.Thread(target=take_b)
        th.start()
        # b's contender node is created by the thread: wait for it (not for a fixed time)
        assert wait_until(lambda: lock_a.contenders() == ["a", "b"])
        order.append("a")
        lock_a.release()
        assert got_b.wait(10)
        th.join()
        assert order == ["a", "b"]
        # Counter
        counter = clients[0].Counter(root + "/counter")
        counter += 5
        clients[1].Counter(root + "/counter").__add__(2)
        counter.__add__(0)
        assert clients[2].Counter(root + "/counter").value == 7
        # Queue and LockingQueue
        q = clients[0].Queue(root + "/queue")
        q.put(b"one")
        q.put(b"two")
        assert clients[1].Queue(root + "/queue").get() == b"one"
        lq = clients[0].LockingQueue(root + "/lqueue")
        lq.put(b"job")
        consumer = clients[1].LockingQueue(root + "/lqueue")
        assert consumer.get(timeout=5) == b"job"
        assert consumer.consume()
        # Party
        p1 = clients[0].Party(root + "/party", "p1")
        p2 = clients[1].Party(root + "/party", "p2")
        p1.join()
        p2.join()
        assert sorted(clients[2].Party(root + "/party")) == ["p1", "p2"]
        p2.leave()
        assert list(clients[2].Party(root + "/party")) == ["p1"]
        # Semaphore
        sem1 = clients[0].Semaphore(root + "/sem", max_leases=1)
        sem2 = clients[1].Semaphore(root + "/sem", max_leases=1)
        assert sem1.acquire(timeout=5)
        assert not sem2.acquire(blocking=False)
        sem1.release()
        assert sem2.acquire(timeout=5)
        sem2.release()
        # Barrier
        barrier = clients[0].Barrier(root + "/barrier")
        barrier.create()
        released = threading.Event()
        threading.Thread(
            target=lambda: (clients[1].Barrier(root + "/barrier").wait(10), released.set())
        ).start()
        barrier.remove()
        assert released.wait(10)
        # Election
        elected = threading.Event()
        election = clients[0].Election(root + "/election", "leader-1")
        th = threading.Thread(target=lambda: election.run(elected.set))
        th.start()
        assert elected.wait(10)
        th.join(10)
        # ChildrenWatch and DataWatch
        seen_children = []
        seen_data = []
        clients[0].ensure_path(root + "/watched")
        clients[0].ChildrenWatch(root + "/watched", lambda ch: seen_children.append(sorted(ch)))
        clients[0].DataWatch(root + "/watched", lambda d, s: seen_data.append(d))
        clients[1].create(root + "/watched/x")
        clients[1].set(root + "/watched", b"new")
        for _ in range(100):
            if ["x"] in seen_children and b"new" in seen_data:
                break
            threading.Event().wait(0.05)
        assert ["x"] in seen_children and b"new" in seen_data
    finally:
        for c in clients:
            c.stop()
            c.close()


def test_gevent_handler(server, root):
    gevent_handler = pytest.importorskip("kazoo.handlers.gevent")
    client = KazooClient(server.zookeeper_hosts, handler=gevent_handler.SequentialGeventHandler())
    client.start(timeout=10)
    try:
        client.create(root + "/g", b"gevent")
        assert client.get(root + "/g")[0] == b"gevent"
        lock = client.Lock(root + "/glock")
        with lock:
            assert client.get_children(root + "/glock")
    finally:
        client.stop()
        client.close()


def test_recipes_with_gevent_handler(server):
    pytest.importorskip("gevent")
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).with_name("gevent_recipes.py")
    out = subprocess.run(
        [sys.executable, str(script), server.zookeeper_hosts],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


def test_server_version_and_four_letter_words(zk):
    # default whitelist: only srvr
    assert zk.command(b"srvr").startswith("Zookeeper version: 3.8.0")
    assert zk.command(b"ruok") == "ruok is not executed because it is not in the whitelist.\n"
    with serve(zookeeper=True, config_overrides={"zookeeper.four_letter_whitelist": "*"}) as s:
        c = KazooClient(s.zookeeper_hosts)
        c.start()
        try:
            assert c.server_version()[:2] == (3, 8)
            assert c.command(b"ruok") == "imok"
            assert "Mode: standalone" in c.command(b"stat")
        finally:
            c.stop()
            c.close()


def test_more_recipes(server, root):
    from kazoo.recipe.cache import TreeCache, TreeEvent
    from kazoo.recipe.lease import NonBlockingLease
    from kazoo.recipe.partitioner import SetPartitioner

    a = KazooClient(server.zookeeper_hosts)
    b = KazooClient(server.zookeeper_hosts)
    a.start()
    b.start()
    try:
        # ReadLock / WriteLock
        r1 = a.ReadLock(root + "/rw")
        r2 = b.ReadLock(root + "/rw")
        assert r1.acquire(timeout=5) and r2.acquire(timeout=5)
        w = b.WriteLock(root + "/rw")
        assert not w.acquire(blocking=False)
        r1.release()
        r2.release()
        assert w.acquire(timeout=5)
        w.release()
        # DoubleBarrier with two participants
        entered = []

        def enter(client, name):
            db = client.DoubleBarrier(root + "/db", 2, identifier=name)
            db.enter()
            entered.append(name)
            db.leave()

        ts = [threading.Thread(target=enter, args=(c, n)) for c, n in ((a, "a"), (b, "b"))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(20)
        assert sorted(entered) == ["a", "b"]
        # ShallowParty
        p = a.ShallowParty(root + "/sp", "one")
        p.join()
        assert len(b.ShallowParty(root + "/sp")) == 1
        # NonBlockingLease
        import datetime

        lease = NonBlockingLease(a, root + "/lease", datetime.timedelta(seconds=30), "a")
        assert lease
        other = NonBlockingLease(b, root + "/lease", datetime.timedelta(seconds=30), "b")
        assert not other
        # TreeCache sees creations and changes below its root
        events = []
        cache = TreeCache(a, root + "/tree")
        cache.listen(
            lambda ev: events.append((ev.event_type, ev.event_data and ev.event_data.path))
        )
        a.ensure_path(root + "/tree")
        cache.start()
        b.create(root + "/tree/leaf", b"1")
        deadline = threading.Event()
        for _ in range(200):
            if (TreeEvent.NODE_ADDED, root + "/tree/leaf") in events:
                break
            deadline.wait(0.05)
        assert (TreeEvent.NODE_ADDED, root + "/tree/leaf") in events
        b.set(root + "/tree/leaf", b"2")
        for _ in range(200):
            if (TreeEvent.NODE_UPDATED, root + "/tree/leaf") in events:
                break
            deadline.wait(0.05)
        assert (TreeEvent.NODE_UPDATED, root + "/tree/leaf") in events
        assert cache.get_data(root + "/tree/leaf").data == b"2"
        cache.close()
        # SetPartitioner with one member acquires every item
        part = a.SetPartitioner(root + "/part", set=("x", "y", "z"), time_boundary=0.1)
        for _ in range(200):
            if part.acquired:
                break
            part.wait_for_acquire(0.1) if part.allocating else deadline.wait(0.05)
        assert part.acquired and sorted(part) == ["x", "y", "z"]
        part.finish()
        assert isinstance(part, SetPartitioner)
    finally:
        a.stop()
        b.stop()
        a.close()
        b.close()


def test_reconfig_is_disabled(zk):
    from kazoo.exceptions import ZookeeperError

    with pytest.raises(ZookeeperError):
        zk.reconfig(joining=None, leaving="1", new_members=None)


def test_large_data_and_limits(zk, root):
    big = b"z" * (1024 * 1023)
    zk.create(root + "/big", big)
    assert zk.get(root + "/big")[0] == big
