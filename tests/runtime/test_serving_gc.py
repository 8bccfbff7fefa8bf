"""The serving process's cyclic collector (runtime/server.tune_gc_for_serving)."""

from __future__ import annotations

import gc

from polystack.runtime import server as servermod


def test_serving_gc_freezes_start_up_and_raises_the_youngest_threshold() -> None:
    before = gc.get_threshold()
    try:
        made_at_start_up = [[i] for i in range(100)]
        servermod.tune_gc_for_serving()
        assert gc.get_freeze_count() >= len(made_at_start_up)
        assert gc.get_threshold() == (servermod.SERVING_GC_THRESHOLD, before[1], before[2])
        assert servermod.SERVING_GC_THRESHOLD > before[0]
        # cycles made while serving are still collected
        cycle: list = []
        cycle.append(cycle)
        assert gc.is_tracked(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_serve_tunes_the_collector_once_started() -> None:
    """``polystack serve`` calls it after the servers started (and only there: an
    embedding application keeps its own collector settings)."""
    import inspect

    from polystack import cli_click, testing

    source = inspect.getsource(cli_click._serve)
    assert source.index("srv.start()") < source.index("tune_gc_for_serving()")
    assert "tune_gc_for_serving" not in inspect.getsource(testing)
