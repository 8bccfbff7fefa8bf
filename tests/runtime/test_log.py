"""runtime/log.py and records.py: framing, torn tails (cut short, damaged, zero-filled), mid-log
corruption, group commit, per-record fsync, policy changes, failing writes and fsyncs."""

from __future__ import annotations

import asyncio
import errno
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.runtime import log as logmod
from polystack.runtime.log import LogGroup, RecordLog
from polystack.runtime.records import LogCorruption, LogReader, classify_tail, frame, repair, scan


def test_frame_is_length_crc32c_payload():
    # CRC32C("123456789") = 0xE3069283 (the standard check value of Castagnoli's CRC).
    data = frame(b"123456789")
    assert data == struct.pack("<II", 9, 0xE3069283) + b"123456789"


def test_empty_records_are_refused(tmp_path):
    with pytest.raises(ValueError):
        frame(b"")
    lg = RecordLog(tmp_path / "a.log", "no")
    lg.open()
    with pytest.raises(ValueError):
        lg.append(b"")
    lg.close()


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=30))
@settings(max_examples=100)
def test_scan_round_trip(records):
    blob = b"".join(frame(r) for r in records)
    got, valid = scan(blob)
    assert got == records
    assert valid == len(blob)


@given(st.lists(st.binary(min_size=1, max_size=50), min_size=1, max_size=10), st.data())
@settings(max_examples=100)
def test_any_cut_is_a_torn_tail(records, data):
    """A crash can cut the file anywhere: what is left is a torn tail, never corruption."""
    blob = b"".join(frame(r) for r in records)
    cut = data.draw(st.integers(0, len(blob) - 1))
    got, valid = scan(blob[:cut])
    assert got == records[: len(got)]
    assert valid <= cut
    if valid < cut:
        torn, _ = classify_tail(blob[valid:cut])
        assert torn


@given(
    st.lists(st.binary(min_size=1, max_size=50), min_size=1, max_size=10),
    st.integers(1, 4096),
    st.data(),
)
@settings(max_examples=100)
def test_any_cut_then_zero_fill_is_a_torn_tail(records, zeros, data):
    blob = b"".join(frame(r) for r in records)
    cut = data.draw(st.integers(0, len(blob)))
    tail_start = scan(blob[:cut])[1]
    torn, _ = classify_tail(blob[tail_start:cut] + bytes(zeros))
    assert torn


def _log_file(path, records, tail=b""):
    path.write_bytes(b"".join(frame(r) for r in records) + tail)


def test_reopen_replays_records(tmp_path):
    lg = RecordLog(tmp_path / "a.log", "always")
    assert lg.open() == []
    for i in range(5):
        assert lg.append(b"rec%d" % i) == i + 1
    lg.close()
    lg2 = RecordLog(tmp_path / "a.log", "always")
    assert lg2.open() == [b"rec%d" % i for i in range(5)]
    lg2.close()


def test_torn_tail_is_truncated_and_reported(tmp_path, caplog):
    path = tmp_path / "a.log"
    path.write_bytes(frame(b"one") + frame(b"two") + frame(b"three")[:-2])
    lg = RecordLog(path, "everysec")
    with caplog.at_level("WARNING"):
        assert lg.open() == [b"one", b"two"]
    assert "truncated a torn tail" in caplog.text
    assert path.stat().st_size == len(frame(b"one") + frame(b"two"))
    lg.append(b"four")
    lg.close()
    lg = RecordLog(path, "everysec")
    assert lg.open() == [b"one", b"two", b"four"]
    lg.close()


@pytest.mark.parametrize("zeros", [8, 16, 4096, 1 << 20])
def test_zero_filled_tail_is_a_torn_tail(tmp_path, zeros):
    """A power loss after the file grew but before its blocks were written leaves zeros; they
    are not empty records (and not an error)."""
    path = tmp_path / "z.log"
    _log_file(path, [b"a", b"bb"], bytes(zeros))
    lg = RecordLog(path, "no")
    assert lg.open() == [b"a", b"bb"]
    assert lg.truncated_bytes == zeros
    lg.append(b"ccc")
    lg.close()
    assert RecordLog(path, "no").open() == [b"a", b"bb", b"ccc"]


def test_damaged_last_record_is_a_torn_tail(tmp_path):
    path = tmp_path / "a.log"
    bad = bytearray(frame(b"three"))
    bad[-1] ^= 0xFF
    _log_file(path, [b"one", b"two"], bytes(bad) + bytes(100))
    assert RecordLog(path, "no").open() == [b"one", b"two"]


def test_corruption_in_the_middle_stops_start_up(tmp_path):
    """A bad record followed by good ones: refusing to start beats dropping what follows."""
    path = tmp_path / "a.log"
    bad = bytearray(frame(b"two"))
    bad[-1] ^= 0xFF
    good = frame(b"one")
    path.write_bytes(good + bytes(bad) + frame(b"three") + frame(b"four"))
    size = path.stat().st_size
    with pytest.raises(LogCorruption) as e:
        RecordLog(path, "no").open()
    assert e.value.offset == len(good)
    assert str(path) in str(e.value) and f"offset {len(good)}" in str(e.value)
    assert "polystack repair-log" in str(e.value)
    assert path.stat().st_size == size  # nothing was dropped


def test_garbage_between_records_stops_start_up(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(frame(b"one") + b"\x99garbage\x01" + frame(b"two"))
    with pytest.raises(LogCorruption):
        list(LogReader(path))


def test_repair_truncates_at_the_bad_record(tmp_path):
    path = tmp_path / "a.log"
    bad = bytearray(frame(b"two"))
    bad[4] ^= 0xFF  # the CRC
    path.write_bytes(frame(b"one") + bytes(bad) + frame(b"three"))
    kept, kept_bytes, removed = repair(path)
    assert (kept, kept_bytes) == (1, len(frame(b"one")))
    assert removed == len(bad) + len(frame(b"three"))
    assert RecordLog(path, "no").open() == [b"one"]


def test_reader_streams_without_loading_the_file(tmp_path):
    path = tmp_path / "big.log"
    recs = [os.urandom(1000) for _ in range(3000)]
    _log_file(path, recs)
    reader = LogReader(path, chunk=4096)  # a small read size: records span chunk boundaries
    assert list(reader) == recs
    assert reader.valid_end == path.stat().st_size


def test_group_commit_one_fsync_per_loop_turn(tmp_path, monkeypatch):
    calls = []
    real = os.fsync
    monkeypatch.setattr(logmod, "fsync", lambda fd: (calls.append(fd), real(fd)))

    async def main():
        lg = RecordLog(tmp_path / "g.log", "always")
        lg.open()
        done = asyncio.Event()
        for i in range(200):
            lg.append(b"x%d" % i)
        assert lg.synced_seq == 0  # nothing is durable before the fsync
        lg.when_synced(200, done.set)
        await asyncio.wait_for(done.wait(), 10)
        assert lg.synced_seq == 200
        n = len(calls)
        lg.close()
        return n

    assert asyncio.run(main()) == 1


@pytest.mark.parametrize("policy", ["everysec", "no"])
def test_when_synced_forces_an_fsync_under_any_policy(tmp_path, monkeypatch, policy):
    calls = []
    real = os.fsync
    monkeypatch.setattr(logmod, "fsync", lambda fd: (calls.append(fd), real(fd)))

    async def main():
        lg = RecordLog(tmp_path / "p.log", policy)
        lg.open()
        fired = []
        seqs = [lg.append(b"r%d" % i) for i in range(50)]
        for s in seqs:
            lg.when_synced(s, lambda s=s: fired.append(s))
        for _ in range(100):
            if len(fired) == 50:
                break
            await asyncio.sleep(0.01)
        lg.close()
        return fired

    fired = asyncio.run(main())
    assert fired == list(range(1, 51))  # in order
    assert len(calls) <= 2  # one group commit (plus the close)


def test_everysec_is_written_before_the_turn_ends(tmp_path):
    async def main():
        lg = RecordLog(tmp_path / "e.log", "everysec")
        lg.open()
        seq = lg.append(b"a")
        fired = []
        lg.when_written(seq, lambda: fired.append(1))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert fired == [1]
        assert lg.written_seq == seq and lg.synced_seq == 0
        lg.close()

    asyncio.run(main())


def test_set_policy(tmp_path):
    async def main():
        lg = RecordLog(tmp_path / "s.log", "everysec", barrier=True)
        lg.open()
        group = lg.group
        lg.append(b"a")
        assert group.barrier == []  # a barrier only under "always"
        lg.set_policy("always")
        assert lg.synced_seq == 1  # what was written under the old policy is fsynced
        lg.append(b"b")
        assert group.barrier == [lg]
        done = asyncio.Event()
        lg.when_synced(2, done.set)
        await asyncio.wait_for(done.wait(), 5)
        assert group.barrier == []
        lg.set_policy("no")
        lg.append(b"c")
        assert group.barrier == []
        with pytest.raises(ValueError, match="always, everysec, no"):
            lg.set_policy("sometimes")
        lg.close()

    asyncio.run(main())


def test_bad_policy_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="always, everysec, no"):
        RecordLog(tmp_path / "x", "sometimes")


def test_two_groups_share_nothing(tmp_path):
    a, b = LogGroup(name="a"), LogGroup(name="b")
    la = a.record_log(tmp_path / "a.log", "always", barrier=True)
    lb = b.record_log(tmp_path / "b.log", "always", barrier=True)

    async def main():
        la.open()
        lb.open()
        la.append(b"x")
        assert a.barrier == [la] and b.barrier == [] and b.dirty == []
        await asyncio.sleep(0.05)
        la.close()
        lb.close()

    asyncio.run(main())


class FailingFsync:
    """An fsync that fails (EIO) while ``failing`` is set."""

    def __init__(self) -> None:
        self.failing = True
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        if self.failing:
            raise OSError(errno.EIO, "Input/output error")
        self.real(fd)


def test_failed_fsync_is_reported_held_and_retried(tmp_path, monkeypatch):
    fake = FailingFsync()
    monkeypatch.setattr(logmod, "fsync", fake)
    monkeypatch.setattr(logmod, "RETRY_SECONDS", 0.05)

    async def main():
        group = LogGroup(name="t")
        events = []
        group.subscribe_failures(lambda lg, e: events.append(None if e is None else e.errno))
        lg = group.record_log(tmp_path / "f.log", "always")
        lg.open()
        seq = lg.append(b"rec")
        synced = []
        lg.when_synced(seq, lambda: synced.append(seq))
        for _ in range(20):
            await asyncio.sleep(0.02)
        assert synced == [] and lg.error is not None and events == [errno.EIO]
        assert group.health() and "fsync failed" in group.health()[0]
        fake.failing = False
        for _ in range(50):
            if synced:
                break
            await asyncio.sleep(0.02)
        assert synced == [seq] and lg.error is None and events == [errno.EIO, None]
        assert group.health() == []
        lg.close()

    asyncio.run(main())


def test_failed_write_keeps_records_cuts_the_partial_write_and_retries(tmp_path, monkeypatch):
    """A write that fails half-way (a full disk) leaves no partial record: the file is cut back,
    the records stay buffered and are written when the disk has room again."""
    monkeypatch.setattr(logmod, "RETRY_SECONDS", 0.05)
    path = tmp_path / "w.log"
    real_write = os.write
    state = {"full": True}

    def write(fd, data):
        if state["full"] and fd == lg.fileno():
            n = real_write(fd, bytes(data[:5]))  # some bytes get in, then the disk is full
            if n:
                state["partial"] = True
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    async def main():
        lg.open()
        lg.append(b"first")
        await asyncio.sleep(0.01)
        assert lg.written_seq == 1
        monkeypatch.setattr(logmod.os, "write", write)
        seq = lg.append(b"second")
        written = []
        lg.when_written(seq, lambda: written.append(seq))
        await asyncio.sleep(0.1)
        assert lg.error is not None and lg.error.errno == errno.ENOSPC and written == []
        assert path.stat().st_size == len(frame(b"first"))  # the partial write was cut off
        state["full"] = False
        for _ in range(50):
            if written:
                break
            await asyncio.sleep(0.02)
        assert written == [seq] and lg.error is None
        lg.close()

    lg = RecordLog(path, "everysec")
    asyncio.run(main())
    assert state.get("partial")
    assert RecordLog(path, "no").open() == [b"first", b"second"]


def test_journal_compaction(tmp_path):
    from polystack.runtime.journal import Journal

    j = Journal(tmp_path, "always", "t")
    snap, records = j.open()
    assert snap is None and list(records) == []
    j.append(b"a")
    j.append(b"b")
    j.compact([b"STATE(a,b)", b"more"])
    j.append(b"c")
    j.close()
    logs = sorted(p.name for p in tmp_path.iterdir())
    assert logs == ["t.log.00000001", "t.snapshot"]
    j2 = Journal(tmp_path, "always", "t")
    snap, records = j2.open()
    assert list(snap) == [b"STATE(a,b)", b"more"] and list(records) == [b"c"]
    j2.close()


def test_journal_crash_between_snapshot_and_new_log(tmp_path):
    from polystack.runtime.journal import Journal

    j = Journal(tmp_path, "always", "t")
    list(j.open()[1])
    j.append(b"a")
    j.compact([b"S1"])
    j.close()
    # Simulate a crash that left an old generation behind: it must be ignored and removed.
    (tmp_path / "t.log.00000000").write_bytes(frame(b"stale"))
    j2 = Journal(tmp_path, "always", "t")
    snap, records = j2.open()
    assert list(snap) == [b"S1"] and list(records) == []
    assert not (tmp_path / "t.log.00000000").exists()
    j2.close()


def test_truncated_snapshot_is_refused(tmp_path):
    from polystack.runtime.journal import Journal, SnapshotError

    j = Journal(tmp_path, "always", "t")
    list(j.open()[1])
    j.compact([b"x" * 1000, b"y" * 1000])
    j.close()
    path = tmp_path / "t.snapshot"
    path.write_bytes(path.read_bytes()[:-20])
    snap, _ = Journal(tmp_path, "always", "t").open()
    with pytest.raises(SnapshotError, match="truncated or corrupt"):
        list(snap)


def test_background_compaction_writes_off_the_loop(tmp_path, monkeypatch):
    """The snapshot file is written and fsynced on the group's thread; appends go on."""
    import threading

    from polystack.runtime import snapshot as snapmod
    from polystack.runtime.journal import Journal

    threads = []
    real = snapmod.write_atomic

    def spy(path, data):
        threads.append(threading.current_thread().name)
        return real(path, data)

    monkeypatch.setattr(snapmod, "write_atomic", spy)

    async def main():
        j = Journal(tmp_path, "everysec", "t")
        list(j.open()[1])
        j.append(b"a")
        fut = j.compact_in_background(iter([b"S(a)"]))
        j.append(b"b")  # to the new generation, while the snapshot is written
        await fut
        j.close()

    asyncio.run(main())
    assert threads and threads[0] != threading.main_thread().name
    j = Journal(tmp_path, "everysec", "t")
    snap, records = j.open()
    assert list(snap) == [b"S(a)"] and list(records) == [b"b"]
    j.close()
