"""The sans-I/O pieces of replication with raw bytes: the backlog (property tests), the
replica's handshake, RDB transfer (``$<len>`` and ``$EOF:``) and stream parsing with exact
offsets (a MULTI counted at its EXEC), and a fuzz test of what a master may send."""

from __future__ import annotations

import random
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from polystack.redis.replication.backlog import Backlog
from polystack.redis.replication.link import (
    CONNECTED,
    RECEIVE_CAPA_REPLY,
    RECEIVE_PING_REPLY,
    RECEIVE_PORT_REPLY,
    RECEIVE_PSYNC_REPLY,
    MasterLink,
    ReplicaSide,
    command_size,
)
from polystack.redis.replication.state import ReplicationState, encode_command
from polystack.runtime.clock import ManualClock


# -- the backlog ------------------------------------------------------------------------------
@given(st.lists(st.binary(min_size=1, max_size=50), max_size=40), st.integers(1, 200))
def test_backlog_keeps_the_last_bytes_with_their_offsets(chunks, size):
    b = Backlog(size, 100)
    stream = b"".join(chunks)
    for c in chunks:
        b.feed(c)
    assert b.offset == 100 + len(stream)
    assert b.histlen == min(size, len(stream))
    first = b.first_byte_offset
    for psync in range(first, b.offset + 2):
        assert b.covers(psync)
        assert b.since(psync) == stream[psync - 101 :]
    assert not b.covers(first - 1) or b.histlen == 0 and first - 1 == b.offset
    assert not b.covers(b.offset + 2)


def test_command_size_is_the_multibulk_length():
    for argv in ([b"PING"], [b"SET", b"k", b"v" * 300], [b"x" * 10000, b""]):
        assert command_size(argv) == len(encode_command(argv))


# -- the replica's link ---------------------------------------------------------------------------
class FakePeer:
    def __init__(self) -> None:
        self.sent = b""
        self.closed = False
        self.aborted = False

    def write_stateless(self, data: bytes) -> None:
        self.sent += data

    def abort(self) -> None:
        self.aborted = self.closed = True


class FakeServer:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.config = SimpleNamespace(
            masterauth="secret", masteruser="", replica_announce_port=0, replica_announce_ip="",
            repl_timeout=60,
        )  # fmt: skip
        self.applied: list[tuple[int, list[bytes]]] = []
        self.loaded: list[bytes] = []
        self.load_ok = True

    def listening_port(self) -> int:
        return 6380

    def load_synced_rdb(self, payload: bytes) -> bool:
        self.loaded.append(payload)
        return self.load_ok

    def replicas_must_resync(self) -> None:
        pass

    def apply_from_master(self, batch) -> None:
        self.applied.extend(batch)

    def master_link_up(self, peer) -> None:
        pass

    def master_link_down(self) -> None:
        pass

    def update_write_denied(self) -> None:
        pass


def linked(state: ReplicationState | None = None) -> tuple[MasterLink, FakePeer, FakeServer]:
    server = FakeServer()
    st_ = state or ReplicationState(1 << 20)
    side = ReplicaSide(server, st_)
    side.master_host, side.master_port = "127.0.0.1", 6379
    side.psync_id, side.psync_offset = st_.replid, st_.offset + 1
    peer = FakePeer()
    link = MasterLink(side, peer)
    return link, peer, server


def handshake(link: MasterLink, peer: FakePeer) -> None:
    assert peer.sent == encode_command([b"PING"]) and link.state == RECEIVE_PING_REPLY
    peer.sent = b""
    link.feed(b"-NOAUTH Authentication required.\r\n")  # an AUTH follows: not an error
    assert peer.sent == (
        encode_command([b"AUTH", b"secret"])
        + encode_command([b"REPLCONF", b"listening-port", b"6380"])
        + encode_command([b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
    )
    peer.sent = b""
    link.feed(b"+OK\r\n")
    assert link.state == RECEIVE_PORT_REPLY
    link.feed(b"+OK\r\n")
    assert link.state == RECEIVE_CAPA_REPLY
    link.feed(b"+OK\r\n")
    assert link.state == RECEIVE_PSYNC_REPLY
    assert peer.sent.startswith(b"*3\r\n$5\r\nPSYNC\r\n$40\r\n")


def test_full_sync_with_a_length_prefixed_rdb_then_the_stream():
    link, peer, server = linked()
    handshake(link, peer)
    replid = b"b" * 40
    rdb = b"REDIS0010" + b"x" * 50
    stream = encode_command([b"SELECT", b"3"]) + encode_command([b"SET", b"k", b"v"])
    # keep-alive newlines, then the reply, then the RDB and the stream in odd-sized pieces
    data = b"\n\n+FULLRESYNC " + replid + b" 1000\r\n\n$%d\r\n" % len(rdb) + rdb + stream
    for i in range(0, len(data), 7):
        link.feed(data[i : i + 7])
    assert server.loaded == [rdb]
    assert link.state == CONNECTED
    assert server.applied == [(3, [b"SET", b"k", b"v"])]
    st_ = link.side.state
    assert st_.replid == replid.decode() and st_.offset == 1000 + len(stream)
    assert st_.backlog is not None and st_.backlog.since(1001) == stream


def test_diskless_eof_transfer_and_multi_counted_at_exec():
    link, peer, server = linked()
    handshake(link, peer)
    mark = b"m" * 40
    rdb = b"REDIS0010" + mark[:39] + b"tail"
    link.feed(b"+FULLRESYNC " + b"c" * 40 + b" 0\r\n$EOF:" + mark + b"\r\n" + rdb + mark)
    assert server.loaded == [rdb]
    st_ = link.side.state
    multi = encode_command([b"MULTI"]) + encode_command([b"INCR", b"a"])
    link.feed(multi)
    assert st_.offset == 0 and server.applied == []  # not counted before EXEC
    exec_ = encode_command([b"INCR", b"b"]) + encode_command([b"EXEC"])
    link.feed(exec_)
    assert [argv for _, argv in server.applied] == [[b"INCR", b"a"], [b"INCR", b"b"]]
    assert st_.offset == len(multi) + len(exec_)


def test_getack_is_answered_with_the_offset_before_it():
    link, peer, server = linked()
    handshake(link, peer)
    link.feed(b"+FULLRESYNC " + b"d" * 40 + b" 10\r\n$9\r\nREDIS0010")
    peer.sent = b""
    set_cmd = encode_command([b"SET", b"a", b"1"])
    link.feed(set_cmd + encode_command([b"REPLCONF", b"GETACK", b"*"]))
    assert peer.sent == encode_command([b"REPLCONF", b"ACK", b"%d" % (10 + len(set_cmd))])


def test_partial_resync_takes_the_new_id_and_keeps_the_old_as_replid2():
    state = ReplicationState(1 << 20)
    state.offset = 500
    old = state.replid
    link, peer, server = linked(state)
    handshake(link, peer)
    assert peer.sent == encode_command([b"PSYNC", old.encode(), b"501"])
    link.feed(b"+CONTINUE " + b"e" * 40 + b"\r\n")
    assert link.state == CONNECTED
    assert state.replid == "e" * 40 and state.replid2 == old
    assert state.second_replid_offset == 501 and server.loaded == []


def test_a_refused_rdb_or_a_bad_stream_drops_the_link():
    link, peer, server = linked()
    server.load_ok = False
    handshake(link, peer)
    link.feed(b"+FULLRESYNC " + b"f" * 40 + b" 0\r\n$3\r\nabc")
    assert peer.aborted and link.closed
    link, peer, server = linked()
    handshake(link, peer)
    link.feed(b"+FULLRESYNC " + b"f" * 40 + b" 0\r\n$0\r\n")
    link.feed(b"*1\r\n:5\r\n")  # not a command
    assert peer.aborted


def test_fuzzed_master_bytes_never_raise():
    rnd = random.Random(5)
    for _ in range(300):
        link, peer, server = linked()
        handshake(link, peer)
        link.feed(b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$0\r\n")
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200)))
        if rnd.random() < 0.5:
            junk = encode_command([b"SET", b"k", b"v"]) + junk
        link.feed(junk)  # must not raise: a bad stream drops the link
        assert link.state == CONNECTED or peer.aborted
