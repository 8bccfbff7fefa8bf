"""LOLWUT against a real redis-server 7.0: the version line, Schotter drawings that involve
no randomness (two rows of squares or fewer) byte for byte, the random ones and the skyline
by shape, errors and limits; and through redis-py as its own suite calls it."""

from __future__ import annotations

import pytest

from polystack.redis.version import REDIS_VERSION
from tests.redis.scenarios import check

EXACT = [
    ["LOLWUT"],
    ["LOLWUT", "5"],
    ["LOLWUT", "VERSION"],
    ["LOLWUT", "VERSION", "5", "6", "7", "2"],
    ["LOLWUT", "VERSION", "5", "66", "8", "2"],
    ["LOLWUT", "VERSION", "5", "1", "1", "1"],
    ["LOLWUT", "VERSION", "5", "3", "2", "1"],
    ["LOLWUT", "VERSION", "5", "200", "13", "2"],
    ["LOLWUT", "VERSION", "5", "-5", "0", "-3"],
    ["LOLWUT", "VERSION", "5", "5000", "1", "1"],
    ["LOLWUT", "VERSION", "4294967301", "5", "1", "1"],
    ["LOLWUT", "VERSION", "-1"],
    ["LOLWUT", "VERSION", "7"],
    ["LOLWUT", "VERSION", "x"],
    ["LOLWUT", "VERSION", "5", "x"],
    ["LOLWUT", "VERSION", "6", "10", "x"],
    ["COMMAND", "INFO", "LOLWUT"],
    ["COMMAND", "DOCS", "LOLWUT"],
]

RANDOM = [
    ["LOLWUT", "VERSION", "5"],
    ["LOLWUT", "VERSION", "5", "40", "5", "9"],
    ["LOLWUT", "VERSION", "6"],
    ["LOLWUT", "VERSION", "6", "33", "7"],
    ["LOLWUT", "VERSION", "5.9"],
]


@pytest.mark.differential
@pytest.mark.parametrize("resp", [2, 3])
def test_lolwut_like_redis(differ, resp: int) -> None:
    check(differ, EXACT, resp)


def _shape(reply: bytes) -> tuple:
    text = reply.split(b"\r\n", 1)[1] if reply[:1] in (b"$", b"=") else reply
    lines = text.split(b"\n")
    # a line's width in characters (Braille) or in terminal cells (escape-coloured spaces)
    widths = [line.count(b"\x1b[0m") or len(line.decode()) for line in lines[:-3]]
    return len(lines), widths, lines[-3:]


@pytest.mark.differential
def test_random_drawings_have_redis_shape(differ) -> None:
    ours, theirs = differ(RANDOM)
    for cmd, a, b in zip(RANDOM, ours, theirs, strict=True):
        if a.startswith(b"-"):
            assert a == b, cmd
            continue
        assert _shape(a) == _shape(b), cmd


def test_lolwut_through_redis_py(r) -> None:
    assert "Redis ver." in r.lolwut().decode()
    assert "Redis ver." in r.lolwut(5, 6, 7, 8).decode()
    assert "Plaguemon" in r.lolwut(6, 20, 5).decode()


def test_huge_schotter_is_bounded(r) -> None:
    from polystack.redis.commands.lolwut import MAX_BRAILLE_CELLS

    text = r.execute_command("LOLWUT", "VERSION", "5", "1000", "1", "200").decode()
    assert text.endswith(f"Redis ver. {REDIS_VERSION}\n")
    assert len(text) < 4 * MAX_BRAILLE_CELLS
