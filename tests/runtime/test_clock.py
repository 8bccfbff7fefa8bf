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
