"""Durability: graceful restart, SIGKILL mid-stream and restart, a torn log tail."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pytest
from bson import Int64

from polystack.testing import serve
from tests import processes


class MongoProcess:
    """``polystack serve --only mongo`` as a real process on free ports."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = processes.free_port()
        self.admin = processes.free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> MongoProcess:
        argv = [
            sys.executable,
            "-m",
            "polystack.cli",
            "serve",
            "--only",
            "mongo",
            "--data-dir",
            str(self.data_dir),
            "--mongo-port",
            str(self.port),
            "--admin-port",
            str(self.admin),
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
        )
        holder = processes.ServeProcess.__new__(processes.ServeProcess)
        holder.proc = self.proc
        processes.LIVE.append(holder)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read() if self.proc.stdout else "exited")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("polystack did not start") from None
                time.sleep(0.05)

    def client(self) -> pymongo.MongoClient:
        return pymongo.MongoClient(
            f"mongodb://127.0.0.1:{self.port}/", serverSelectionTimeoutMS=10000
        )

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.communicate(timeout=30)


def test_graceful_restart_keeps_everything(tmp_path):
    with serve(mongo=True, data_dir=tmp_path) as s:
        url = f"mongodb://127.0.0.1:{s.ports['mongo']}/"
        c = pymongo.MongoClient(url)
        db = c.shop
        db.items.insert_many([{"_id": i, "sku": f"s{i}", "n": i} for i in range(100)])
        db.items.create_index("sku", unique=True)
        db.items.update_many({"n": {"$lt": 10}}, {"$set": {"low": True}})
        db.items.delete_many({"n": {"$gte": 90}})
        db.create_collection("capped", capped=True, size=8192)
        db.command("create", "v", viewOn="items", pipeline=[{"$match": {"low": True}}])
        c.close()
        s.restart()
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{s.ports['mongo']}/")
        db = c.shop
        assert db.items.count_documents({}) == 90
        assert db.items.count_documents({"low": True}) == 10
        assert "sku_1" in db.items.index_information()
        assert db.items.index_information()["sku_1"]["unique"] is True
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            db.items.insert_one({"sku": "s1"})
        assert db.capped.options()["capped"] is True
        assert db.v.count_documents({}) == 10
        c.close()


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_journaled_write(tmp_path):
    p = MongoProcess(tmp_path).start()
    try:
        c = p.client()
        coll = c.test.get_collection("c", write_concern=pymongo.WriteConcern(j=True))
        coll.insert_many([{"_id": i, "v": 0} for i in range(200)])
        coll.create_index("v")
        for i in range(50):
            coll.update_one({"_id": i}, {"$inc": {"v": 1}})
        coll.delete_one({"_id": 199})
        c.test.other.insert_one({"x": Int64(5)})  # w:1, then the j:true write below
        coll.insert_one({"_id": "last"})
        c.close()
        p.kill9()
        p2 = MongoProcess(tmp_path)
        p2.port = p.port
        p2.start()
        c = p2.client()
        coll = c.test.c
        assert coll.count_documents({}) == 200
        assert coll.count_documents({"v": 1}) == 50
        assert coll.find_one({"_id": "last"}) is not None
        assert c.test.other.find_one()["x"] == Int64(5)
        assert "v_1" in coll.index_information()
        c.close()
        p2.stop()
    finally:
        p.stop()


def test_torn_log_tail_is_truncated_not_fatal(tmp_path):
    with serve(mongo=True, data_dir=tmp_path) as s:
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{s.ports['mongo']}/")
        c.test.c.insert_many([{"_id": i} for i in range(10)])
        c.close()
        s.stop()
        logs = sorted((tmp_path / "mongo").glob("mongo.log.*"))
        assert logs
        with open(logs[-1], "ab") as f:
            f.write(b"\x40\x00\x00\x00\x12\x34")  # a partial record header
        s.start()
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{s.ports['mongo']}/")
        assert c.test.c.count_documents({}) == 10
        c.close()


def test_snapshot_compaction_and_recovery(tmp_path):
    from polystack.mongo import persist

    with serve(mongo=True, data_dir=tmp_path) as s:
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{s.ports['mongo']}/")
        c.test.c.insert_many([{"_id": i, "v": i} for i in range(50)])
        c.test.c.create_index([("v", -1)])
        svc = s.service("mongo")
        s.call(lambda: svc.server.storage.log.compact(svc.server.storage))
        c.test.c.insert_one({"_id": 50, "v": 50})
        c.test.c.delete_one({"_id": 0})
        c.close()
        s.restart()
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{s.ports['mongo']}/")
        assert c.test.c.count_documents({}) == 50
        assert list(c.test.c.find({"v": {"$gt": 47}}).sort("v", -1)) == [
            {"_id": 50, "v": 50},
            {"_id": 49, "v": 49},
            {"_id": 48, "v": 48},
        ]
        assert "v_-1" in c.test.c.index_information()
        c.close()
    assert persist.SNAP_VERSION == 1


def _health(admin_port: int) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/healthz", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.slow
def test_full_disk_fails_writes_and_loses_nothing_acknowledged(tmp_path):
    import resource
    import threading

    port = processes.free_port()
    proc = processes.ServeProcess(
        tmp_path, "--mongo-port", str(port), only="mongo", fsize=256 * 1024
    )
    proc.ports["mongo"] = port
    proc.start()
    url = f"mongodb://127.0.0.1:{port}/"
    c1 = pymongo.MongoClient(url, socketTimeoutMS=60000, retryWrites=False)
    acked: list[int] = []
    blocked = threading.Event()

    def writer() -> None:
        for i in range(2000):
            try:
                c1.test.c.insert_one({"_id": i, "pad": "x" * 1000})
            except pymongo.errors.PyMongoError:
                return
            acked.append(i)
            if blocked.is_set():
                return

    t = threading.Thread(target=writer)
    t.start()
    deadline = time.monotonic() + 60
    while _health(proc.ports["admin"]) != 503:
        assert time.monotonic() < deadline, "the full disk was never reported"
        time.sleep(0.1)
    blocked.set()
    c2 = pymongo.MongoClient(url, socketTimeoutMS=20000, retryWrites=False)
    with pytest.raises(pymongo.errors.OperationFailure) as e:
        c2.test.other.insert_one({"x": 1})
    assert e.value.code == 14031
    assert c2.test.c.find_one({"_id": 0}) is not None  # reads still work
    proc.set_fsize(resource.RLIM_INFINITY)
    t.join(60)
    assert not t.is_alive()
    deadline = time.monotonic() + 30
    while _health(proc.ports["admin"]) != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    c2.test.other.insert_one({"x": 2})
    n = len(acked)
    c1.close()
    c2.close()
    proc.kill9()
    proc.start()
    c = pymongo.MongoClient(url)
    assert c.test.c.count_documents({}) >= n
    assert all(c.test.c.find_one({"_id": i}) for i in acked)
    assert c.test.other.count_documents({"x": 2}) == 1
    c.close()
    proc.terminate()


class BlockingFsync:
    def __init__(self) -> None:
        import threading

        self.gate = threading.Event()
        self.entered = threading.Event()
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        self.entered.set()
        self.gate.wait(30)
        self.real(fd)


def test_j_true_reply_waits_for_its_fsync_and_only_it(monkeypatch, tmp_path):
    import threading

    from polystack.runtime import log as logmod

    with serve(mongo=True, data_dir=tmp_path) as s:
        url = f"mongodb://127.0.0.1:{s.ports['mongo']}/"
        a = pymongo.MongoClient(url)
        b = pymongo.MongoClient(url)
        a.test.c.insert_one({"_id": 0})
        fake = BlockingFsync()
        monkeypatch.setattr(logmod, "fsync", fake)
        done = threading.Event()

        def journaled() -> None:
            a.test.get_collection("c", write_concern=pymongo.WriteConcern(j=True)).insert_one(
                {"_id": 1}
            )
            done.set()

        t = threading.Thread(target=journaled)
        try:
            t.start()
            assert fake.entered.wait(10)
            assert not done.wait(0.5)  # the j:true reply waits for the fsync
            # other clients, and w:1 writes, are not held
            b.test.c.insert_one({"_id": 2})
            assert b.test.c.find_one({"_id": 1}) == {"_id": 1}
            fake.gate.set()
            assert done.wait(10)
        finally:
            fake.gate.set()
            t.join(10)
            a.close()
            b.close()


def test_client_that_never_reads_is_paused_and_others_are_served(mongo_url, mongo_server):
    import bson

    from tests.mongo.fakepeer import op_msg

    c = pymongo.MongoClient(mongo_url)
    c.test.big.drop()
    c.test.big.insert_one({"_id": 1, "pad": "x" * 100_000})
    sock = socket.create_connection(("127.0.0.1", mongo_server.ports["mongo"]))
    sock.settimeout(5)
    req = op_msg({"find": "big", "filter": {}, "$db": "test"})
    sent = 0
    try:
        for _ in range(2000):  # ~200 MB of replies if all were produced
            sock.sendall(req)
            sent += 1
    except (TimeoutError, OSError):
        pass
    # the server stopped reading that client; everyone else is served
    assert c.admin.command("ping")["ok"] == 1.0
    assert c.test.big.find_one({"_id": 1}, {"_id": 1}) == {"_id": 1}
    sock.close()
    c.test.big.drop()
    c.close()
    _ = bson


@pytest.mark.slow
def test_sigkill_mid_write_stream_loses_nothing_acknowledged(tmp_path):
    import threading

    p = MongoProcess(tmp_path).start()
    acked: list[int] = []
    stop = threading.Event()

    def writer(base: int, batched: bool) -> None:
        c = pymongo.MongoClient(
            f"mongodb://127.0.0.1:{p.port}/",
            retryWrites=False,
            serverSelectionTimeoutMS=2000,
            socketTimeoutMS=5000,
        )
        i = 0
        try:
            while not stop.is_set():
                ids = [base + i + k for k in range(20 if batched else 1)]
                try:
                    if batched:
                        c.test.c.insert_many([{"_id": x, "v": x} for x in ids])
                    else:
                        c.test.c.update_one({"_id": ids[0]}, {"$set": {"v": ids[0]}}, upsert=True)
                except pymongo.errors.PyMongoError:
                    return
                acked.extend(ids)
                i += len(ids)
        finally:
            c.close()

    threads = [
        threading.Thread(target=writer, args=(0, True)),
        threading.Thread(target=writer, args=(10_000_000, False)),
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
    p.kill9()  # in the middle of the stream: some writes are in flight
    stop.set()
    for t in threads:
        t.join(20)
    n = len(acked)
    assert n >= 100
    p2 = MongoProcess(tmp_path)
    p2.port = p.port
    p2.start()
    c = p2.client()
    present = {d["_id"] for d in c.test.c.find({}, {"_id": 1})}
    missing = [x for x in acked[:n] if x not in present]
    assert missing == []
    c.close()
    p2.stop()
