"""yamlload's fast construction against PyYAML's constructor machinery.

Documents are built in one walk when they hold only plain maps, sequences and
resolved scalars; anything else goes back to ``construct_document``. Either way
the value (and the error) must be what ``construct_document`` alone gives, and the
depth check must still run wherever a document could break goyaml's limits."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.encoding import yamlgo, yamlload
from polystack.helm.encoding.errors import EncodingError


def slow_documents(text: str) -> list[Any]:
    """What _load_documents gave before the fast walk: construct_document only."""
    loader = yamlload._GoLoader(text)
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            yamlload.check_go_depth(node)
            docs.append(loader.construct_document(node))
        return docs
    finally:
        loader.dispose()


def outcome(fn: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", fn(text)
    except (yaml.YAMLError, EncodingError) as e:
        return type(e).__name__, str(e)


def fast_documents(text: str) -> list[Any]:
    return yamlload._load_documents(text, first_only=False)


def same(text: str) -> None:
    a = outcome(slow_documents, text)
    b = outcome(fast_documents, text)
    assert a == b
    if a[0] == "ok":
        assert [_types(d) for d in a[1]] == [_types(d) for d in b[1]]


def _types(v: Any) -> Any:
    """The value with every leaf's exact type (1 == 1.0 == True in Python)."""
    if isinstance(v, dict):
        return {k: _types(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_types(x) for x in v]
    return (type(v).__name__, repr(v))


DOCS = [
    "a: 1\nb: 1.5\nc: true\nd: ~\ne: 2024-01-02\nf: 0x1f\ng: .inf\nh: -.nan\ni: '1'\n",
    "1: a\n1.5: b\ntrue: c\n2024-01-02: d\n0x10: e\n",
    "l: [1, '2', {x: 1}, [], {}, null, true]\nnested: {a: {b: [], c: {}}}\n",
    # merge keys, explicit and unknown tags, binary: PyYAML's constructor builds them
    "anch: &a {p: 1}\nuse:\n  <<: *a\n  q: 2\n",
    "a: !!str 1\nb: !!int '2'\nc: !custom {x: 1}\nd: !!binary aGVsbG8=\ne: !x [1]\n",
    "s: !!set {a, b}\no: !!omap [{a: 1}]\np: !!pairs [{a: 1}]\n",
    "a: !!binary '%%%'\n",
    # aliases share one object; a recursive alias is PyYAML's error
    "a: &x {k: [1, 2]}\nb: *x\nc: &y [3]\nd: *y\n",
    "a: &x [*x]\n",
    "a: &x {b: *x}\n",
    # keys the JSON step cannot take, and complex keys
    "~: 1\n",
    "null: 1\n",
    "? [a]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "a: 1\na: 2\n",
    "--- 1\n--- [a]\n--- {a: b}\n---\n",
    "!!map {a: 1}\n",
    "!!seq [1]\n",
    "<<: {a: 1}\nb: <<\n",
    "=: 1\n",
]


@pytest.mark.parametrize("text", DOCS)
def test_fast_walk_matches_construct_document(text: str) -> None:
    same(text)


def test_aliases_share_one_object() -> None:
    doc = fast_documents("a: &x {k: [1]}\nb: *x\n")[0]
    assert doc["a"] is doc["b"]


def test_the_walk_hands_back_what_it_does_not_build() -> None:
    node = yaml.compose("a: !!binary aGVsbG8=\n", Loader=yamlload._GoLoader)
    with pytest.raises(yamlload._Slow):
        yamlload._construct_fast(node, {})
    node = yaml.compose("a: 1\nb: [x, {c: 2.5}]\n", Loader=yamlload._GoLoader)
    assert yamlload._construct_fast(node, {}) == {"a": 1, "b": ["x", {"c": 2.5}]}


def test_depth_check_still_runs_on_deep_documents() -> None:
    deep_flow = "a: " + "[" * (yamlload.GO_MAX_DEPTH + 1) + "]" * (yamlload.GO_MAX_DEPTH + 1)
    assert yamlload._may_nest_too_deep(deep_flow)
    with pytest.raises(EncodingError, match="exceeded max depth of 10000"):
        yamlgo.load_all_raw(deep_flow)
    assert not yamlload._may_nest_too_deep("a: [[1]]\n" * 10)
    long_line = "a: " + "x" * yamlload.GO_MAX_DEPTH
    assert yamlload._may_nest_too_deep(long_line)


_scalar = st.one_of(
    st.sampled_from(
        ["1", "-2", "0x1f", "0o17", "1.5", ".inf", "-.Inf", ".nan", "1e3", "true", "no", "y"]
        + ["~", "null", "", "'1'", '"x"', "2024-01-02", "<<", "a b", "1_000", "12:30", "!!str 3"]
        + ["!!int 4", "!t x", "&a 1", "*a", "!!binary aGk=", "!!float 1"]
    ),
    st.from_regex(r"[a-z0-9.+-]{1,6}", fullmatch=True),
)


def _flow(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return _scalar
    inner = _flow(depth - 1)
    return st.one_of(
        _scalar,
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(_scalar, inner), max_size=4).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        ),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_scalar, _flow(3)), min_size=1, max_size=6))
def test_fast_walk_matches_construct_document_on_generated_documents(
    kvs: list[tuple[str, str]],
) -> None:
    text = "".join(f"{k}: {v}\n" for k, v in kvs)
    same(text)


def test_json_depth_is_still_checked_where_the_text_could_reach_it() -> None:
    # 6000 block sequences on one line, then 5000 flow ones: within goyaml's
    # limits (each under 10000), but 11000 deep as JSON
    deep = "- " * 6000 + "[" * 5000 + "]" * 5000 + "\n"
    assert not yamlload.json_depth_bounded(deep)
    with pytest.raises(EncodingError, match="exceeded max depth"):
        yamlgo.unmarshal(deep)
    assert yamlload.json_depth_bounded("a: [[1]]\n")
    assert not yamlload.json_depth_bounded("a: &x [1]\n" + "b: *x\n" * 2000)
