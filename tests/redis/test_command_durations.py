"""The session records each call's duration on its command and folds them into INFO
commandstats' usec and the latency histogram when read: the fold must give exactly what adding
each call as it ran gave (bucket k: the duration in units of 1.024 us, truncated, has bit
length k)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from polystack.redis.commands import HIST_BUCKETS, Command, fold_all

_BOUNDS = [(1 << k) / 976562.5 for k in range(12)]
durations = st.lists(
    st.one_of(
        st.floats(min_value=0.0, max_value=100.0, allow_nan=False),
        st.sampled_from(_BOUNDS),  # exactly at a bucket's bound
    ),
    max_size=300,
)


def _command() -> Command:
    cmd = Command("get", 2, frozenset(), 1, 1, 1, lambda c, a: None, "string", "1.0.0", "")
    cmd.durations = []
    cmd.usec, cmd.hist = 0.0, [0] * HIST_BUCKETS
    return cmd


@given(durations, st.lists(st.integers(min_value=0, max_value=300), max_size=4))
def test_folded_durations_match_the_call_by_call_histogram(
    samples: list[float], reads: list[int]
) -> None:
    cmd = _command()
    hist = [0] * HIST_BUCKETS
    usec = 0.0
    for i, took in enumerate(samples):
        cmd.durations.append(took)
        usec += took
        hist[int(took * 976562.5).bit_length()] += 1
        if i in reads:  # a reader in between folds what was recorded so far
            assert sum(cmd.hist or ()) == i + 1
    assert cmd.hist == hist
    assert abs(cmd.usec - usec) <= 1e-9 * max(1.0, usec)
    assert cmd.durations == []


def test_reset_and_cron_fold() -> None:
    cmd = _command()
    cmd.durations += [2e-6, 3e-6]
    cmd.usec = 0.0  # CONFIG RESETSTAT folds first, then zeroes
    hist = cmd.hist
    assert hist is not None and sum(hist) == 2
    hist[:] = [0] * HIST_BUCKETS
    cmd.durations.append(5e-6)
    sub = _command()
    sub.durations.append(1e-3)
    cmd.subcommands = {b"x": sub}
    fold_all({b"get": cmd})
    assert cmd.durations == [] and sub.durations == []
    assert cmd._usec == 5e-6 and sub._usec == 1e-3
