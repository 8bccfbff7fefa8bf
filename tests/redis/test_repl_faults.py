"""Replication faults: a master sending a corrupt RDB or a stream the replica cannot parse (the
replica logs why, drops the link, retries, never crashes and never serves a half-loaded
dataset); a replica that never reads (the master drops it at the replica class's output limit
and keeps serving); a SIGKILLed master under ``appendfsync always`` loses no acknowledged write,
and a replica promoted after it holds every write WAIT confirmed."""

from __future__ import annotations

import logging
import socket
import threading
import time

import hiredis
import pytest
import redis

import polystack.testing
from polystack.redis import rdbfile
from polystack.redis.rdbfile import SaveOptions
from polystack.redis.store import Keyspace
from tests.processes import ServeProcess
from tests.redis.repl_support import dataset, wait_for


class FakeMaster:
    """Answers a replica's handshake and then sends what the test says (``payload``)."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.syncs = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._replica, args=(conn,), daemon=True).start()

    def _replica(self, conn: socket.socket) -> None:
        reader = hiredis.Reader()
        conn.settimeout(5)
        try:
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                reader.feed(chunk)
                while (cmd := reader.gets()) is not False:
                    name = cmd[0].upper()
                    if name == b"PING":
                        conn.sendall(b"+PONG\r\n")
                    elif name != b"PSYNC":
                        conn.sendall(b"+OK\r\n")
                    else:
                        self.syncs += 1
                        conn.sendall(b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n" + self.payload)
                        while not self.stop:
                            try:
                                if not conn.recv(4096):
                                    return
                            except TimeoutError:
                                continue
                        return
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.sock.close()


def _rdb(n: int = 10) -> bytes:
    ks = Keyspace(16)
    for i in range(n):
        ks.dbs[0].data[b"from-master-%d" % i] = b"v"
    return rdbfile.dump_bytes(ks, SaveOptions())


@pytest.mark.parametrize(
    "payload, reason",
    [
        (lambda rdb: b"$%d\r\n" % len(rdb) + rdb[:-3] + b"xyz", "Wrong RDB checksum"),
        (lambda rdb: b"$%d\r\n" % (len(rdb) - 20) + rdb[:-20], "Short read"),
        (lambda rdb: b"$%d\r\n" % len(rdb) + rdb + b"*1\r\n$3\r\nSET\r\n:5\r\n", "Protocol"),
        (lambda rdb: b"$%d\r\n" % len(rdb) + rdb + b"\x00garbage\r\n", "Protocol"),
    ],
)
def test_replica_refuses_a_corrupt_sync_and_keeps_serving(payload, reason, caplog) -> None:
    caplog.set_level(logging.WARNING)
    fake = FakeMaster(payload(_rdb()))
    try:
        with polystack.testing.serve(redis=True) as s:
            r = redis.Redis(port=s.redis_port)
            r.set("mine", "kept")
            r.replicaof("127.0.0.1", fake.port)
            wait_for(lambda: fake.syncs >= 2, 20, "the replica to retry the sync")
            assert r.ping()
            data = dataset(r)
            if reason == "Protocol":
                # The RDB itself was good: it replaced the dataset; the bad stream only
                # dropped the link.
                assert (0, b"from-master-0") in data
            else:
                assert data.keys() == {(0, b"mine")}  # never a half-loaded dataset
            assert r.info("replication")["master_link_status"] == "down"
    finally:
        fake.close()
    assert any(reason in m for m in caplog.messages), caplog.messages


def test_a_replica_that_never_reads_is_dropped_at_the_output_limit() -> None:
    with polystack.testing.serve(
        redis=True, config_overrides={"redis.repl_diskless_sync_delay": 0}
    ) as s:
        r = redis.Redis(port=s.redis_port)
        r.config_set("client-output-buffer-limit", "replica 1mb 0 0")
        lazy = socket.create_connection(("127.0.0.1", s.redis_port))
        lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lazy.sendall(b"*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n9999\r\n")
        lazy.sendall(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        wait_for(lambda: r.info("replication")["connected_slaves"] == 1, 10, "the replica")
        value = b"x" * 10_000
        for i in range(3000):  # 30 MB for a replica that reads nothing
            r.set(f"k{i % 100}", value)
        wait_for(lambda: r.info("replication")["connected_slaves"] == 0, 20, "the drop")
        assert r.get("k99") == value  # the master kept serving
        lazy.close()


@pytest.mark.slow
def test_sigkill_master_with_appendfsync_always_and_wait(tmp_path) -> None:
    master = ServeProcess(tmp_path / "m", "--appendfsync", "always").start()
    replica = ServeProcess(tmp_path / "r").start()
    try:
        m = redis.Redis(port=master.ports["redis"], socket_timeout=10)
        m.config_set("repl-diskless-sync-delay", "0")
        rep = redis.Redis(port=replica.ports["redis"], socket_timeout=10)
        rep.replicaof("127.0.0.1", master.ports["redis"])
        wait_for(lambda: rep.info("replication")["master_link_status"] == "up", 20, "link")
        acked: list[bytes] = []
        confirmed: list[bytes] = []
        stop = threading.Event()

        def writer() -> None:
            c = redis.Redis(port=master.ports["redis"], socket_timeout=10)
            i = 0
            while not stop.is_set():
                key = b"w%d" % i
                try:
                    c.set(key, b"v%d" % i)
                    acked.append(key)
                    if c.execute_command("WAIT", 1, 1000) >= 1:
                        confirmed.append(key)
                except redis.ConnectionError:
                    return
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        wait_for(lambda: len(confirmed) >= 300, 60, "confirmed writes")
        master.kill9()
        stop.set()
        t.join(10)
        rep.replicaof("no", "one")
        missing = [k for k in confirmed if rep.get(k) is None]
        assert missing == []
        master.start()
        m = redis.Redis(port=master.ports["redis"], socket_timeout=10)
        lost = [k for k in acked if m.get(k) is None]
        assert lost == []
    finally:
        for p in (master, replica):
            if p.proc is not None and p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait(10)
        time.sleep(0)
