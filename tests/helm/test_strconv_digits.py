"""strconv.shortest_digits (the digits Go's 'g'/'e'/'f' formatting starts from)
against the decimal module's reading of the same shortest repr."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.golang.strconv import shortest_digits


def reference(v: float) -> tuple[str, int]:
    if v == 0:
        return "", 0
    _, digits, exp = Decimal(repr(abs(v))).as_tuple()
    ds = "".join(map(str, digits))
    return ds.rstrip("0"), len(ds) + int(exp)


def test_known_values() -> None:
    assert shortest_digits(0.0) == ("", 0)
    assert shortest_digits(100.0) == ("1", 3)
    assert shortest_digits(0.001) == ("1", -2)
    assert shortest_digits(1e-7) == ("1", -6)
    assert shortest_digits(-1.2345e21) == ("12345", 22)
    for v in (5e-324, 1.7976931348623157e308, 123456789.0, 0.1, 1e16, 1e15, 12.5):
        assert shortest_digits(v) == reference(v)


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_matches_decimal(v: float) -> None:
    assert not math.isnan(v)
    assert shortest_digits(v) == reference(v)
