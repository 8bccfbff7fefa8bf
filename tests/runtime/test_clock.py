from polystack.runtime.clock import ManualClock


def test_manual_clock_runs_due_timers_in_order():
    c = ManualClock(start=1000.0)
    fired = []
    c.call_later(2, lambda: fired.append(("b", c.time())))
    c.call_later(1, lambda: fired.append(("a", c.time())))
    h = c.call_later(1.5, lambda: fired.append(("x", c.time())))
    h.cancel()
    c.advance(0.5)
    assert fired == []
    c.advance(2)
    assert fired == [("a", 1001.0), ("b", 1002.0)]
    assert c.time() == 1002.5
    assert c.time_ms() == 1002500


def test_timer_scheduled_by_timer_fires_in_same_advance():
    c = ManualClock(start=0.0)
    fired = []
    c.call_later(1, lambda: c.call_later(1, lambda: fired.append(c.time())))
    c.advance(5)
    assert fired == [2.0]


# -- time only from the clock: the everysec timer, uptime, the expiry budget, alarms ----------
import asyncio  # noqa: E402

import pytest  # noqa: E402

from polystack.runtime.alarms import DISK, MEMORY, ResourceAlarms, parse_size, parse_watermark  # noqa: E402
from polystack.runtime.log import LogGroup  # noqa: E402


def test_everysec_fsync_runs_on_the_clock(tmp_path):
    clock = ManualClock()

    async def main():
        group = LogGroup(clock, "t")
        lg = group.record_log(tmp_path / "e.log", "everysec")
        lg.open()
        lg.append(b"a")
        await asyncio.sleep(0.01)
        assert lg.written_seq == 1 and lg.synced_seq == 0
        await asyncio.sleep(0.05)
        assert lg.synced_seq == 0  # real time passing does nothing
        clock.advance(1.0)
        for _ in range(100):
            if lg.synced_seq:
                break
            await asyncio.sleep(0.01)
        assert lg.synced_seq == 1 and group.fsyncs == 1
        lg.close()

    asyncio.run(main())


def test_expiry_budget_uses_the_clock():
    from polystack.redis.store import Keyspace

    ks = Keyspace(1)
    db = ks.dbs[0]
    for i in range(10_000):
        db.data[b"k%d" % i] = b"v"
        db.set_expire(b"k%d" % i, 1000)
    ticks = iter(range(10**9))
    removed = ks.active_expire_cycle(2000, 0.010, lambda: next(ticks) / 1000)  # 1 ms per read
    assert 0 < removed < 10_000  # stopped by the 10 ms budget of the given clock
    assert ks.active_expire_cycle(2000, 100.0, lambda: 0.0) == 10_000 - removed


def test_redis_uptime_and_healthz_uptime_follow_the_clock():
    import json
    import urllib.request

    import redis

    from polystack.testing import serve

    clock = ManualClock(start=1_000_000.0)
    with serve(redis=True, clock=clock) as s:
        s.advance(100)
        info = redis.Redis(port=s.redis_port).info("server")
        with urllib.request.urlopen(s.admin_url + "/healthz", timeout=10) as r:
            health = json.load(r)
    assert info["uptime_in_seconds"] == 100
    assert health["uptime_seconds"] == 100


def test_sizes_and_watermarks():
    assert parse_size("50MB") == 50_000_000
    assert parse_size("1GiB") == 1 << 30
    assert parse_size("123") == 123
    assert parse_watermark("0.4", 1000) == 400
    assert parse_watermark("2KiB", 1000) == 2048
    with pytest.raises(ValueError, match="512MB"):
        parse_size("lots")


def test_resource_alarms_on_the_clock(tmp_path):
    clock = ManualClock()
    alarms = ResourceAlarms(clock, tmp_path, "1000", "500")
    mem = {"rss": 10}
    disk = {"free": 10_000}
    alarms.measure_memory = lambda: mem["rss"]
    alarms.measure_disk = lambda path: disk["free"]
    events = []
    alarms.subscribe(lambda resource, on: events.append((resource, on)))
    alarms.start()
    assert events == [] and not alarms.any_active
    mem["rss"] = 2000
    clock.advance(0.5)
    assert events == []  # checked once a second
    clock.advance(0.5)
    assert events == [(MEMORY, True)]
    disk["free"] = 100
    clock.advance(1)
    assert events[-1] == (DISK, True) and alarms.active == {MEMORY: True, DISK: True}
    mem["rss"] = 10
    disk["free"] = 10_000
    clock.advance(1)
    assert events[-2:] == [(MEMORY, False), (DISK, False)]
    alarms.stop()
