"""Sentinel's decisions without sockets: votes (one per epoch, first come first served), the
leader needing a majority and the quorum, hellos (new Sentinels, newer epochs, a newer
configuration switching the master), SDOWN/ODOWN and replica selection."""

from __future__ import annotations

from polystack.redis.sentinel.core import Sentinel
from polystack.redis.sentinel.instance import parse_info, replicas_in_info
from polystack.runtime.clock import ManualClock


def sentinel() -> tuple[Sentinel, list[tuple[bytes, bytes]]]:
    events: list[tuple[bytes, bytes]] = []
    s = Sentinel(
        ManualClock(),
        connect=lambda *a: None,
        publish=lambda ch, msg: events.append((ch, msg)),
        flush_config=lambda: None,
        myid="a" * 40,
    )
    return s, events


def test_one_vote_per_epoch_first_come_first_served():
    s, _ = sentinel()
    m = s.monitor("mymaster", "127.0.0.1", 6379, 2)
    assert s.vote_leader(m, 1, "b" * 40) == ("b" * 40, 1)
    assert s.vote_leader(m, 1, "c" * 40) == ("b" * 40, 1)  # already voted in epoch 1
    assert s.current_epoch == 1
    assert s.vote_leader(m, 2, "c" * 40) == ("c" * 40, 2)
    assert s.vote_leader(m, 1, "d" * 40) == ("c" * 40, 2)  # an old epoch changes nothing


def test_leader_needs_a_majority_and_the_quorum():
    s, _ = sentinel()
    m = s.monitor("mymaster", "127.0.0.1", 6379, 2)
    others = [s.add_sentinel(m, "127.0.0.1", 26380 + i, chr(ord("b") + i) * 40) for i in range(4)]
    s.current_epoch = 1
    # Only ourselves: 1 vote of 5 voters is no majority.
    assert s.get_leader(m, 1) == ""
    m.leader_epoch = 0
    s.current_epoch = 2
    for o in others[:2]:
        o.leader, o.leader_epoch = s.myid, 2
    assert s.get_leader(m, 2) == s.myid  # 3 of 5


def test_hellos_add_sentinels_raise_epochs_and_switch_the_master():
    s, events = sentinel()
    m = s.monitor("mymaster", "127.0.0.1", 6379, 2)
    hello = "127.0.0.1,26390,{},{},mymaster,127.0.0.1,6379,0".format("b" * 40, 3)
    s.process_hello(hello, m)
    assert list(m.sentinels) == ["127.0.0.1:26390"] and s.current_epoch == 3
    assert (
        b"+sentinel",
        b"sentinel " + b"b" * 40 + b" 127.0.0.1 26390 @ mymaster 127.0.0.1 6379",
    ) in events
    s.process_hello(hello.replace(",6379,0", ",6380,4"), m)  # a newer configuration
    assert (m.host, m.port, m.config_epoch) == ("127.0.0.1", 6380, 4)
    assert (b"+switch-master", b"mymaster 127.0.0.1 6379 127.0.0.1 6380") in events
    assert "127.0.0.1:6379" in m.replicas  # the old master becomes a replica
    s.process_hello(hello.replace("b" * 40, s.myid), m)  # our own hello: ignored
    assert len(m.sentinels) == 1


def test_sdown_then_odown_with_agreeing_sentinels():
    s, events = sentinel()
    m = s.monitor("mymaster", "127.0.0.1", 6379, 2)
    m.down_after = 1000
    o = s.add_sentinel(m, "127.0.0.1", 26390, "b" * 40)
    s.clock.advance(1.5)  # no link, no reply for longer than down-after
    s.check_sdown(m)
    assert "s_down" in m.flags
    s.check_odown(m)
    assert "o_down" not in m.flags  # quorum 2, only we think so
    o.flags.add("master_down")
    s.check_odown(m)
    assert "o_down" in m.flags
    assert [ch for ch, _ in events][-2:] == [b"+sdown", b"+odown"]


def test_replica_selection_by_priority_offset_and_run_id():
    s, _ = sentinel()
    m = s.monitor("mymaster", "127.0.0.1", 6379, 1)
    now = s.now()
    for port, prio, off, runid in ((1, 100, 5, "z"), (2, 10, 1, "y"), (3, 10, 9, "x"),
                                   (4, 0, 99, "w"), (5, 10, 9, "a")):  # fmt: skip
        r = s.add_replica(m, "127.0.0.1", port)
        r.cc = object()
        r.info_refresh = r.last_avail_time = now
        r.slave_priority, r.slave_repl_offset, r.runid = prio, off, runid
    assert s.select_replica(m).port == 5  # priority 10, offset 9, smallest run id


def test_info_parsing():
    info = parse_info(
        "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
        "slave0:ip=127.0.0.1,port=6380,state=online,offset=10,lag=0\r\n"
        "slave1:ip=10.0.0.2,port=6381,state=wait_bgsave,offset=0,lag=1\r\n"
    )
    assert info["role"] == "master"
    assert replicas_in_info(info) == [("127.0.0.1", 6380), ("10.0.0.2", 6381)]
