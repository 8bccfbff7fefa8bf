"""toYaml's direct emitter (funcs/yamlemit.py) against the PyYAML path
(encoding/yamlgo.marshal_yaml, itself compared with Helm's output elsewhere):
whenever it writes a value, it writes exactly the same text, and it writes the
common values of charts (it is not a path that always steps aside)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from polystack.helm.encoding import yamlgo
from polystack.helm.funcs import yamlemit
from polystack.helm.funcs.helm import Values, to_yaml
from polystack.helm.golang.types import Int64, NilList, NilMap, StringList

# strings that sit on libyaml's and goyaml's decisions: indicators first and
# inside, Go-resolvable text (bools, numbers, null, timestamps, base 60), spaces
# at the ends and around ":" and "#", quotes and backslashes, documents markers
_EDGES = [
    "",
    " ",
    "a",
    "-",
    "-a",
    "- a",
    "--a",
    "---",
    "...",
    "..a",
    ".a",
    "?",
    "?a",
    "? a",
    ":",
    ":a",
    ": a",
    "a:",
    "a:b",
    "a: b",
    "a #b",
    "a#b",
    "#a",
    "a ",
    " a",
    "a  b",
    "true",
    "True",
    "yes",
    "on",
    "y",
    "n",
    "null",
    "~",
    "1",
    "-1",
    "+1",
    "0x1F",
    "0o17",
    "017",
    "1.5",
    ".5",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "1_000",
    "1:30",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "<<",
    "=",
    '"a"',
    'a"b',
    "a\\b",
    "'a'",
    "a'b",
    "@a",
    "`a",
    "%a",
    "&a",
    "*a",
    "!a",
    "|a",
    ">a",
    "[a]",
    "{a}",
    "a,b",
    "a[b]",
    "a\tb",
    "a\nb",
    "é",
    "nginx:1.25",
    "100m",
    "128Mi",
    "--collector.systemd",
    "^/(dev|proc|sys)($|/)",
    "IfNotPresent",
    "app.kubernetes.io/name",
]

_words = st.sampled_from(_EDGES) | st.text(
    alphabet=st.sampled_from("ab -:#.\"'\\/_01eE+{}[],?|>!&*%@`~\t\né"), max_size=12
)
# long strings with spaces: libyaml folds plain and double-quoted scalars at a
# space past column 80
_long = st.lists(st.sampled_from(["word", "x", "true", "1", "a:b", "-x"]), max_size=30).map(
    " ".join
)
_strings = _words | _long
_scalars = (
    _strings
    | st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.0, 1.0, 0.1, 1e21, 1e-7, 123456789.0, 2.5e-5])
)
_keys = _strings | st.text(alphabet="ab", min_size=118, max_size=132)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_keys, inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
    ),
    max_leaves=25,
)


def _slow(v: Any) -> str | Exception:
    try:
        return yamlgo.marshal_yaml(v)
    except yamlgo.EncodingError as e:
        return e


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values)
@example({"a": {"b": [1, {"c": []}], "d": {}}, "e": [[1, 2], [], [{}]]})
@example(["x" * 70 + " y"])
@example({"k" * 60: "a b c d e f g h i j k l m n o p"})
def test_direct_emitter_writes_what_pyyaml_writes(v: Any) -> None:
    try:
        fast = yamlemit.emit_plain(v)
    except yamlgo.EncodingError as e:
        slow = _slow(v)
        assert isinstance(slow, yamlgo.EncodingError) and str(slow) == str(e)
        return
    if fast is not None:
        assert fast == _slow(v)
    assert to_yaml(v) == yamlgo.to_yaml(v)


@pytest.mark.parametrize("s", _EDGES)
def test_edge_strings_as_values_keys_and_items(s: str) -> None:
    for v in ({s: s}, [s], {"k": [s, {s: [s]}]}, s):
        fast = yamlemit.emit_plain(v)
        if fast is not None:
            assert fast == yamlgo.marshal_yaml(v), v


COMMON = [
    {"limits": {"cpu": "100m", "memory": "128Mi"}, "requests": {"cpu": 0.1, "memory": "64Mi"}},
    {"httpGet": {"path": "/", "port": "http"}},
    {"app.kubernetes.io/name": "big", "app.kubernetes.io/instance": "x", "tier": "1"},
    [{"name": "regcred"}],
    [{"key": "dedicated", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
    {"runAsNonRoot": True, "runAsUser": 1000.0, "capabilities": {"drop": ["ALL"]}},
    {"annotations": {}, "args": ["--collector.systemd", "--web.listen-address=:9100"]},
    {"nodeSelector": {"kubernetes.io/os": "linux"}, "replicas": Int64(3), "x": None},
    Values({"image": {"repository": "nginx", "tag": "1.25", "pullPolicy": "IfNotPresent"}}),
    StringList(["a", "b"]),
    {"a": NilMap(), "b": NilList(), "c": ()},
    "plain",
    12,
    1.5,
]


@pytest.mark.parametrize("v", COMMON, ids=range(len(COMMON)))
def test_common_chart_values_are_written_directly(v: Any) -> None:
    fast = yamlemit.emit_plain(v)
    assert fast is not None
    assert fast == yamlgo.marshal_yaml(v)


def test_what_it_leaves_to_pyyaml() -> None:
    # line breaks (literal blocks), non-ASCII, a long line with spaces, a long
    # key, non-string keys, bytes: all still written, by the PyYAML path
    for v in (
        {"a": "x\ny"},
        {"a": "é"},
        {"a": "word " * 20},
        {"k" * 121: 1},
        {1: "a"},
        {"a": b"xy"},
    ):
        assert yamlemit.emit_plain(v) is None
        assert to_yaml(v) == yamlgo.to_yaml(v) != ""


def test_errors_and_bounds_as_before() -> None:
    # a float JSON cannot hold: "" from toYaml, as before
    assert to_yaml({"a": math.inf}) == "" == yamlgo.to_yaml({"a": math.inf})
    # a value that contains itself, and one nested deeper than the emitter goes
    loop: list[Any] = []
    loop.append(loop)
    assert yamlemit.emit_plain(loop) is None
    assert to_yaml(loop) == yamlgo.to_yaml(loop) == ""
    deep: Any = "x"
    for _ in range(yamlemit.MAX_DEPTH + 5):
        deep = [deep]
    assert yamlemit.emit_plain(deep) is None
    assert to_yaml(deep) == yamlgo.to_yaml(deep)
    # more nodes than a walk may visit (shared parts counted each time)
    row = list(range(1000))
    wide = [row] * 600
    assert yamlemit.emit_plain(wide) is None
    with pytest.raises(Exception) as fast_err:
        to_yaml(wide)
    with pytest.raises(Exception) as slow_err:
        yamlgo.to_yaml(wide)
    assert str(fast_err.value) == str(slow_err.value)
