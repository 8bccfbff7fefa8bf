"""sigs.k8s.io/yaml exactness: values read as Helm reads them and written back
with toYaml / toJson / fromYaml / fromJson, compared with real Helm."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.helm import render_chart
from polystack.helm.encoding import jsongo, yamlgo, yamlresolve
from polystack.helm.golang.strconv import format_float_g

VALUES_DOCS = [
    "a: 1\nb: 1.5\nc: 1000000\nd: 1e-7\ne: 1e21\nf: 123456789\ng: 0.000001\nh: -0.0\n",
    "s1: 'yes'\ns2: 'no'\ns3: 'on'\ns4: 'y'\ns5: 'null'\ns6: '~'\ns7: ''\ns8: '0x1F'\n"
    "s9: '0o17'\ns10: '017'\ns11: '1_000'\ns12: '12:30'\ns13: '2024-01-02'\ns14: '.inf'\n"
    "s15: '1e3'\ns16: '-'\ns17: '+1'\ns18: '.5'\ns19: 'True'\ns20: '<<'\n",
    "y: 1\nn: 2\nyes: 3\non: 4\n'y2': 5\n",
    "k10: 1\nk9: 2\nkB: 3\nk_: 4\nk-: 5\nK: 6\nk01: 7\nk1: 8\n",
    'm: |\n  line1\n  line2\nm2: |-\n  x\n   y\nm3: "trail \\nx"\nm4: "  lead\\n"\nm5: "x\\n\\n"\n',
    "long: this is a very long string with spaces that goes past eighty columns for sure"
    " and then some more words and more\n",
    "c1: 'a: b'\nc2: 'a #b'\nc3: '#x'\nc4: '- x'\nc5: '[x]'\nc6: '{x}'\nc7: '@x'\nc8: '`x'\n"
    "c9: 'x:'\nc10: '*x'\nc11: '&x'\nc12: '!x'\nc13: '%x'\nc14: '|x'\nc15: '>x'\nc16: '?x'\n",
    'u: héllo ☃\nctl: "a\\tb"\nbell: "\\a"\nnbsp: "a\\u00a0b"\nls: "a\\u2028b"\n',
    "l: [1, '2', {x: 1}, [], {}, null, true]\nnested: {a: {b: [], c: {}}}\nempty: {}\n",
    "d1: 2024-01-02\nd2: 2024-01-02T10:00:00Z\no: 0o17\nx: 0x1f\nh: 017\nu: 1_000\n"
    "1: a\n1.5: b\ntrue: c\n",
    "anch: &a {p: 1}\nuse:\n  <<: *a\n  q: 2\n",
    "html: '<a href=\"x\">&</a>'\n",
]


def _chart(tmp: str, values: str, tpl: str) -> str:
    os.makedirs(os.path.join(tmp, "templates"), exist_ok=True)
    with open(os.path.join(tmp, "Chart.yaml"), "w") as f:
        f.write("apiVersion: v2\nname: t\nversion: 0.1.0\n")
    with open(os.path.join(tmp, "values.yaml"), "w", encoding="utf-8") as f:
        f.write(values)
    with open(os.path.join(tmp, "templates", "t.yaml"), "w", encoding="utf-8") as f:
        f.write(tpl)
    return tmp


TPL = "{{ toYaml .Values }}\n---\n{{ toJson .Values }}\n---\n{{ .Values }}"


def _ours(path: str) -> tuple[str, str]:
    try:
        return "ok", render_chart(path, {}, name="r")["t/templates/t.yaml"]
    except Exception as e:  # noqa: BLE001
        return "err", str(e)


def _theirs(helm: Any, path: str) -> tuple[str, str]:
    try:
        return "ok", helm.Chart.load(path).render(values={}, name="r")["t/templates/t.yaml"]
    except helm.HelmError as e:
        return "err", str(e)


@pytest.mark.parametrize("doc", VALUES_DOCS)
def test_values_roundtrip_oracle(helm_oracle: Any, tmp_path: Any, doc: str) -> None:
    path = _chart(str(tmp_path), doc, TPL)
    assert _ours(path) == _theirs(helm_oracle, path)


@pytest.mark.parametrize(
    "expr",
    [
        '{{ fromYaml "a: [1\\nb: 2" }}',
        '{{ fromYaml "- 1" }}',
        '{{ fromYamlArray "a: 1" }}',
        '{{ fromYamlArray "- 1\\n- b" }}',
        '{{ fromJson "{\\"a\\": nope}" }}',
        '{{ fromJson "{\\"a\\": [1, 2.5, \\"x\\"]}" }}',
        '{{ fromJsonArray "{}" }}',
        '{{ fromJson "[1" }}',
        '{{ fromJson "{\\"a\\":1}x" }}',
        '{{ toYaml (fromYaml "b: 2\\na: [1, {c: d}]") }}',
        '{{ toJson (fromJson "{\\"z\\": 1e21, \\"y\\": 0.1}") }}',
        '{{ toYamlPretty (fromYaml "a: [1, 2]\\nb: {c: \\"x\\\\ny\\"}") }}',
        '{{ toJson (fromToml "a = 1\\nb = \\"x\\"\\n[c]\\nd = 1.5") }}',
        '{{ toToml (fromYaml "a: 1\\nb: {c: x}\\nl: [1, 2]") }}',
        '{{ lookup "v1" "Pod" "ns" "n" }}',
        '{{ toToml (dict "a" 1.5 "b" (list 1 "x" true) "c" (dict "d" (dict "e" 1))'
        ' "f" (list (dict "g" 1) (dict "g" 2)) "h" "q\\"uo\\nte" "i" 1e21) }}',
        '{{ toToml (dict "n" nil "e" (dict) "l" (list)) }}{{ toToml (list 1 2) }}',
        '{{ toToml (dict "x" (dict "y" (list (dict "z" 1))) "a b" 1) }}',
        '{{ toToml (fromYaml "n: 1000000\\nf: 0.5\\nk: 1e-7") }}',
        # a float out of float64's range is a string (ParseFloat's range error)
        '{{ fromYaml "a: 1e999\\nb: -1e999\\nc: 1e-999\\nd: 1_0e999" | toJson }}',
    ],
)
def test_yaml_funcs_oracle(helm_oracle: Any, tmp_path: Any, expr: str) -> None:
    path = _chart(str(tmp_path), "", expr)
    assert _ours(path) == _theirs(helm_oracle, path)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("- 1\n", "cannot unmarshal array into Go value of type map[string]interface {}"),
        ("~: d\n", 'unsupported map key of type: %!s(<nil>), key: <nil>, value: "d"'),
        ("a: [1\n", "did not find expected ',' or ']'"),
    ],
)
def test_bad_values_file(helm_oracle: Any, tmp_path: Any, doc: str, message: str) -> None:
    path = _chart(str(tmp_path), doc, "x")
    ours, theirs = _ours(path), _theirs(helm_oracle, path)
    assert ours[0] == theirs[0] == "err"
    assert message in theirs[1]
    assert ours[1] == theirs[1]


# ------------------------------------------------------------ unit cases


def test_float_out_of_range_is_a_string() -> None:
    # goyaml.v2 resolve: strconv.ParseFloat fails with ErrRange, so the plain
    # scalar stays a string (Helm: `fromYaml "a: 1e999"` -> {"a":"1e999"})
    assert yamlgo.unmarshal("a: 1e999\nb: 1e-999") == {"a": "1e999", "b": 0.0}


@pytest.mark.parametrize(
    ("f", "g", "j"),
    [
        (1e6, "1e+06", "1000000"),
        (100000.0, "100000", "100000"),
        (1.5e-7, "1.5e-07", "1.5e-7"),
        (1e-5, "1e-05", "0.00001"),
        (123456789.0, "1.23456789e+08", "123456789"),
        (-0.0, "-0", "-0"),
        (1e21, "1e+21", "1e+21"),
        (1e20, "1e+20", "100000000000000000000"),
    ],
)
def test_go_float_formats(f: float, g: str, j: str) -> None:
    # strconv.FormatFloat(f, 'g', -1, 64) and encoding/json's float encoding
    assert format_float_g(f) == g
    assert jsongo.json_float(f) == j


def test_key_order_is_natural() -> None:
    # goyaml.v2 keyList.Less: digits compare numerically, non-letters first
    keys = ["b10", "b9", "aB", "a_", "a1", "a01"]
    assert yamlresolve.sorted_keys(keys) == ["a_", "a1", "a01", "aB", "b9", "b10"]


_JSONABLE = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda kids: (
        st.lists(kids, max_size=4)
        # "<<" is YAML's merge key: goyaml emits it plain and reads it back as a
        # merge, so a map holding it does not round-trip in Go either
        | st.dictionaries(st.text(max_size=6).filter(lambda k: k != "<<"), kids, max_size=4)
    ),
    max_leaves=12,
)


def _norm(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return {k: _norm(x) for k, x in v.items()}


@settings(max_examples=200, deadline=None)  # no timing in an assertion (flaky under load)
@given(_JSONABLE)
def test_to_yaml_reads_back(v: Any) -> None:
    """Whatever toYaml writes, Helm's YAML reader reads back as the same JSON value."""
    text = yamlgo.marshal_yaml(v)
    assert _norm(yamlgo.unmarshal(text)) == _norm(v)


@settings(max_examples=200)
@given(_JSONABLE)
def test_to_json_reads_back(v: Any) -> None:
    text = jsongo.marshal(v)
    assert jsongo.go_json_error(text) is None
    assert _norm(jsongo.unmarshal(text)) == _norm(v)


_TEXT = st.text(
    alphabet=st.sampled_from(list("ab :#-'\"\n\t{}[],&*!|>%@`?~é☃ 0123.eE+_/\\")), max_size=20
)
_LEAF = (
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(10**7), 10**7).map(float)
    | _TEXT
)
_VALUES = st.recursive(
    _LEAF,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(_TEXT, kids, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def fuzz_chart(tmp_path_factory: Any) -> str:
    root = tmp_path_factory.mktemp("fuzz")
    return _chart(
        str(root),
        "",
        "{{ toYaml .Values.v }}\n---\n{{ toJson .Values.v }}\n---\n{{ .Values.v }}\n---\n"
        "{{ toYamlPretty .Values.v }}",
    )


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(_VALUES)
def test_random_values_match_helm(helm_oracle: Any, fuzz_chart: str, v: Any) -> None:
    """Differential property: toYaml, toJson, %v and toYamlPretty of random values."""
    doc = {"v": v}
    ours = render_chart(fuzz_chart, doc)["t/templates/t.yaml"]
    theirs = helm_oracle.Chart.load(fuzz_chart).render(values=doc)["t/templates/t.yaml"]
    assert ours == theirs


_DOC_PIECES = st.sampled_from(
    list('{}[]":,-.0123eE+ tfnrulas\\\n\t#&*|>%@?~')
    + ["true", "null", '"a"', "1.5", "- ", ": ", "\n  ", "---", "...", "<<: *a", "&a ", "'x'"]
    + ["yes", "0o7", "2024-01-01"]
)


@pytest.fixture(scope="module")
def parse_chart(tmp_path_factory: Any) -> str:
    root = tmp_path_factory.mktemp("parse")
    return _chart(
        str(root),
        "",
        "{{ fromJson .Values.s }}|{{ fromJsonArray .Values.s }}|{{ fromYaml .Values.s }}|"
        "{{ fromYamlArray .Values.s }}",
    )


# Error texts where goyaml's scanner lookahead differs from libyaml's (yamlorder.py;
# expected texts recorded from Helm 4.2).
LOOKAHEAD_CASES = [
    ("{]%", "yaml: did not find expected node content"),
    ("{]&", "yaml: did not find expected node content"),
    ("[}%", "yaml: did not find expected node content"),
    ("{:&", "yaml: did not find expected alphabetic or numeric character"),
    ("{f11.5f]-", "yaml: block sequence entries are not allowed in this context"),
]


@pytest.mark.parametrize(("doc", "message"), LOOKAHEAD_CASES)
def test_parse_error_follows_goyaml_lookahead(doc: str, message: str) -> None:
    with pytest.raises(yamlgo.EncodingError) as e:
        yamlgo.unmarshal(doc)
    assert str(e.value) == "error converting YAML to JSON: " + message


def test_parse_error_lookahead_cases_match_helm(helm_oracle: Any, parse_chart: str) -> None:
    for doc, message in LOOKAHEAD_CASES:
        out = helm_oracle.Chart.load(parse_chart).render(values={"s": doc})["t/templates/t.yaml"]
        # the third of parse_chart's four outputs is fromYaml's
        assert out.split("|")[2] == f"map[Error:error converting YAML to JSON: {message}]", doc


# derandomized: the same examples on every run. Random exploration still finds
# rare error texts where the scanners differ in other ways (for example
# `[.:,\\1.5`: goyaml's parser error, libyaml's scanner error), listed as a known
# gap in docs/helm-compatibility.md.
@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_DOC_PIECES, max_size=10).map("".join))
def test_random_documents_parse_like_helm(helm_oracle: Any, parse_chart: str, s: str) -> None:
    """Differential property: fromJson/fromYaml results and error texts on random input."""
    doc = {"s": s}
    ours = render_chart(parse_chart, doc)["t/templates/t.yaml"]
    theirs = helm_oracle.Chart.load(parse_chart).render(values=doc)["t/templates/t.yaml"]
    assert ours == theirs


@given(
    st.one_of(st.text(alphabet="+-0123456789xXoObB_a.\u0663", max_size=10), st.integers().map(str))
)
def test_plain_scalar_ints_resolve_as_goyamls_pattern(s: str) -> None:
    """yamlresolve._parse_go_int (decimal integers without a regular expression)
    is strconv.ParseInt(s, 0, 64)'s grammar, as the pattern states it."""
    import re

    m = re.fullmatch(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", s)
    expected = None
    if m is not None:
        sign, body = m.groups()
        low = body.lower()
        base = {"0x": 16, "0o": 8, "0b": 2}.get(low[:2])
        if base:
            v = int(body[2:], base)
        elif len(body) > 1 and body[0] == "0":
            v = int(body[1:], 8)
        else:
            v = int(body)
        expected = -v if sign == "-" else v
    assert yamlresolve._parse_go_int(s) == expected
