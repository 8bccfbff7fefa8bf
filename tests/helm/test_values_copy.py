"""chart/values.deep_copy: a values tree copied by marshal is the element-wise
copy golang.types.deep_copy makes (the same types and values, no map or list
shared with the original or within the copy), and any other tree falls back to
the element-wise copy."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from polystack.helm.chart import values
from polystack.helm.golang import types

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
)
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(), kids, max_size=4)
    ),
    max_leaves=30,
)


def _containers(v: Any, out: list[int]) -> list[int]:
    if isinstance(v, dict):
        out.append(id(v))
        for x in v.values():
            _containers(x, out)
    elif isinstance(v, list):
        out.append(id(v))
        for x in v:
            _containers(x, out)
    return out


def _typed(v: Any) -> Any:
    """v with the type of every element made part of it (1 == True == 1.0 in Python)."""
    if isinstance(v, dict):
        return ("map", [(k, _typed(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ("list", [_typed(x) for x in v])
    return (type(v).__name__, v)


@given(trees)
def test_copy_is_the_element_wise_copy(tree: Any) -> None:
    shared = [tree, tree] if isinstance(tree, (dict, list)) else tree  # one object twice
    for v in (tree, {"a": shared}):
        got = values.deep_copy(v)
        assert _typed(got) == _typed(types.deep_copy(v))
        ids = _containers(got, [])
        assert len(ids) == len(set(ids))  # nothing shared within the copy
        assert not set(ids) & set(_containers(v, []))  # nor with the original


def test_other_values_are_copied_element_wise() -> None:
    class Odd(dict):  # (marshal writes plain maps only)
        pass

    nan = float("nan")
    odd = Odd(a=[1, {"b": types.Int64(2)}])
    got = values.deep_copy({"x": odd, "n": nan, "i": types.Int64(3)})
    assert type(got["x"]) is Odd and got["x"] == odd and got["x"]["a"] is not odd["a"]
    assert type(got["i"]) is types.Int64 and got["i"] == 3
    assert got["n"] is nan  # (a leaf: shared, as the element-wise copy shares it)
