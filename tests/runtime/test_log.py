"""runtime/log.py: framing, torn-tail recovery, group commit, journal compaction."""

from __future__ import annotations

import asyncio
import os
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.runtime import log as logmod
from polystack.runtime.log import Journal, RecordLog, frame, scan


def test_frame_is_length_crc32c_payload():
    # CRC32C("123456789") = 0xE3069283 (the standard check value of Castagnoli's CRC).
    data = frame(b"123456789")
    assert data == struct.pack("<II", 9, 0xE3069283) + b"123456789"


@given(st.lists(st.binary(max_size=300), max_size=30))
@settings(max_examples=100)
def test_scan_round_trip(records):
    blob = b"".join(frame(r) for r in records)
    got, valid = scan(blob)
    assert got == records
    assert valid == len(blob)


@given(st.lists(st.binary(min_size=1, max_size=50), min_size=1, max_size=10), st.data())
@settings(max_examples=100)
def test_scan_stops_at_any_torn_tail(records, data):
    blob = b"".join(frame(r) for r in records)
    cut = data.draw(st.integers(0, len(blob) - 1))
    got, valid = scan(blob[:cut])
    assert got == records[: len(got)]
    assert valid <= cut


def test_reopen_replays_records(tmp_path):
    lg = RecordLog(tmp_path / "a.log", "always")
    assert lg.open() == []
    for i in range(5):
        lg.append(b"rec%d" % i)
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
    assert "torn or corrupt tail" in caplog.text
    assert path.stat().st_size == len(frame(b"one") + frame(b"two"))
    lg.append(b"four")
    lg.close()
    lg = RecordLog(path, "everysec")
    assert lg.open() == [b"one", b"two", b"four"]
    lg.close()


def test_corrupt_crc_in_the_middle_truncates_from_there(tmp_path):
    path = tmp_path / "a.log"
    bad = bytearray(frame(b"two"))
    bad[-1] ^= 0xFF
    path.write_bytes(frame(b"one") + bytes(bad) + frame(b"three"))
    lg = RecordLog(path, "no")
    assert lg.open() == [b"one"]
    lg.close()


def test_group_commit_one_fsync_per_loop_turn(tmp_path, monkeypatch):
    calls = []
    real = os.fsync

    def counting_fsync(fd):
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(logmod.os, "fsync", counting_fsync)

    async def main():
        lg = RecordLog(tmp_path / "g.log", "always")
        lg.open()
        done = asyncio.Event()
        for i in range(200):
            lg.append(b"x%d" % i)
        assert lg.durable_seq == 0  # nothing is durable before the fsync
        lg.when_durable(done.set)
        await asyncio.wait_for(done.wait(), 10)
        assert lg.durable_seq == 200
        n = len(calls)
        lg.close()
        return n

    assert asyncio.run(main()) == 1


def test_everysec_is_durable_once_written(tmp_path):
    async def main():
        lg = RecordLog(tmp_path / "e.log", "everysec")
        lg.open()
        seq = lg.append(b"a")
        fired = []
        lg.when_durable(lambda: fired.append(1))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert fired == [1]
        assert lg.written_seq == seq
        lg.close()

    asyncio.run(main())


def test_bad_policy_is_rejected(tmp_path):
    try:
        RecordLog(tmp_path / "x", "sometimes")
    except ValueError as e:
        assert "always, everysec, no" in str(e)
    else:
        raise AssertionError("accepted a bad policy")


def test_journal_compaction(tmp_path):
    j = Journal(tmp_path, "always", "t")
    assert j.open() == (None, [])
    j.append(b"a")
    j.append(b"b")
    j.compact(b"STATE(a,b)")
    j.append(b"c")
    j.close()
    logs = sorted(p.name for p in tmp_path.iterdir())
    assert logs == ["t.log.00000001", "t.snapshot"]
    j2 = Journal(tmp_path, "always", "t")
    assert j2.open() == (b"STATE(a,b)", [b"c"])
    j2.close()


def test_journal_crash_between_snapshot_and_new_log(tmp_path):
    j = Journal(tmp_path, "always", "t")
    j.open()
    j.append(b"a")
    j.compact(b"S1")
    j.close()
    # Simulate a crash that left an old generation behind: it must be ignored and removed.
    (tmp_path / "t.log.00000000").write_bytes(frame(b"stale"))
    j2 = Journal(tmp_path, "always", "t")
    assert j2.open() == (b"S1", [])
    assert not (tmp_path / "t.log.00000000").exists()
    j2.close()
