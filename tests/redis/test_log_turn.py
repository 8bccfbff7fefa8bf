"""The journal's one record per loop turn: every client's writes of a turn are gathered
(RedisService.log_commands) and appended as one record just before the turn's write, the
replies after it; whatever else uses the journal (a snapshot, FLUSHALL, a policy change)
appends what was gathered first, so the log keeps the order the writes ran in."""

from __future__ import annotations

import asyncio
import marshal
from pathlib import Path

from polystack.runtime.log import RecordLog
from tests.runtime.test_connection import _RecordingTransport


async def _service(data: Path, fsync: str = "everysec"):
    from polystack import systems
    from polystack.runtime.alarms import ResourceAlarms
    from polystack.runtime.clock import ManualClock
    from polystack.runtime.connection import ListenerState
    from polystack.runtime.http import Routes
    from polystack.runtime.log import LogGroup
    from polystack.runtime.metrics import new_registry
    from polystack.runtime.service import ServerContext

    clock = ManualClock()
    spec = systems.specs()["redis"]
    section = spec.config()
    section.appendfsync = fsync
    group = LogGroup(clock, "redis")
    ctx = ServerContext(
        "redis", section, data, "127.0.0.1", clock, group, new_registry(),
        ResourceAlarms(clock, data), Routes(), lambda reason: None,
    )  # fmt: skip
    svc = spec.service_class()(ctx)
    await svc.recover()
    return svc, ListenerState("redis", svc.new_client, 100, b"", logs=group)


def _records(svc) -> list:
    return [marshal.loads(r) for r in RecordLog(svc.journal.log.path).open()]


def _set(key: bytes, value: bytes) -> bytes:
    return b"*3\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(key), key, len(value), value)


def test_a_turns_writes_are_one_record_written_before_their_replies(tmp_path) -> None:
    from polystack.runtime.connection import Peer

    async def main() -> None:
        svc, listener = await _service(tmp_path)
        sent: list = []
        peers = []
        for name in "abc":
            p = Peer(listener)
            p.connection_made(_RecordingTransport(svc.journal.log, name, sent))
            peers.append(p)
        seq = svc.journal.log.written_seq
        peers[0].data_received(_set(b"k1", b"1"))
        peers[1].data_received(_set(b"k2", b"2") + b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n")
        peers[2].data_received(b"*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n")  # reads what a wrote
        assert sent == [] and svc.journal.log.last_seq == seq
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        # one record more, written before any of the replies
        assert sent == [
            ("a", b"+OK\r\n", seq + 1),
            ("b", b"+OK\r\n:1\r\n", seq + 1),
            ("c", b"$1\r\n1\r\n", seq + 1),
        ]
        # a snapshot (BGREWRITEAOF) in the middle of a turn: the writes before it are in
        # the log it ends, not replayed on top of it
        peers[0].data_received(b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n")
        svc.save()
        peers[0].data_received(_set(b"k4", b"4"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        for p in peers:
            p.transport = None
        await svc.stop()
        assert _records(svc) == [[(0, [b"SET", b"k4", b"4"])]]  # the log after the snapshot
        again, _ = await _service(tmp_path)  # and everything back, nothing applied twice
        data = again.keyspace.dbs[0].data
        assert {k: data[k] for k in (b"k1", b"k2", b"k4", b"n")} == {
            b"k1": b"1", b"k2": b"2", b"k4": b"4", b"n": b"2",
        }  # fmt: skip
        await again.stop()

    asyncio.run(main())


def test_under_appendfsync_always_each_read_is_its_own_record(tmp_path) -> None:
    from polystack.runtime.connection import Peer

    async def main() -> None:
        svc, listener = await _service(tmp_path, "always")
        sent: list = []
        p = Peer(listener)
        p.connection_made(_RecordingTransport(svc.journal.log, "a", sent))
        seq = svc.journal.log.last_seq
        p.data_received(_set(b"k1", b"1"))
        assert svc.journal.log.last_seq == seq + 1  # appended at once: the barrier holds it
        q = Peer(listener)
        q.connection_made(_RecordingTransport(svc.journal.log, "b", sent))
        q.data_received(_set(b"k2", b"2"))
        assert svc.journal.log.last_seq == seq + 2
        for _ in range(20):
            await asyncio.sleep(0.01)
            if len(sent) == 2:
                break
        assert sorted(s[:2] for s in sent) == [("a", b"+OK\r\n"), ("b", b"+OK\r\n")]
        p.transport = q.transport = None
        await svc.stop()

    asyncio.run(main())
