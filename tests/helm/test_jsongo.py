"""The one encoding/json codec (polystack.helm.encoding.jsongo) behind Helm's and
Sprig's JSON functions and --set-json, against real Helm 4.2.

CASES were recorded from the reference renderer (helm-python-sdk); each is a
place where one of the two former codecs (helm/jsongo.py for Helm's
toJson/fromJson, funcs/sprig/gojson.py for Sprig's) differed from Go.
`test_live_oracle` re-renders them when the oracle loads.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm import render_chart
from polystack.helm.chart import strvals
from polystack.helm.encoding import jsongo
from polystack.helm.encoding.yamlgo import EncodingError

DEEP = "[" * 10001

CASES: list[tuple[str, str, str]] = [
    # "null" leaves fromJson's map (fromJsonArray's slice) nil: printed empty,
    # JSON/YAML null, %#v (nil), and Go panics on an assignment to a nil map
    (
        '{{ fromJson "null" }}|{{ fromJson "null" | toJson }}|{{ fromJson "null" | toYaml }}|'
        '{{ fromJson "null" | typeOf }}|{{ fromJson "null" | len }}|{{ fromJson "null" | empty }}|'
        '{{ printf "%#v" (fromJson "null") }}|{{ printf "%#v" (fromJsonArray "null") }}|'
        '{{ fromJsonArray "null" }}|{{ fromJsonArray "null" | toJson }}|'
        '{{ fromJsonArray "null" | toYaml }}|{{ fromJsonArray "null" | typeOf }}',
        "ok",
        "map[]|null|null|map[string]interface {}|0|true|map[string]interface {}(nil)|"
        "[]interface {}(nil)|[]|null|null|[]interface {}",
    ),
    (
        '{{ merge (fromJson "null") (dict "a" 1) | toJson }}|{{ hasKey (fromJson "null") "a" }}|'
        '{{ dig "a" "d" (fromJson "null") }}|{{ unset (fromJson "null") "a" | toJson }}|'
        '{{ append (fromJsonArray "null") 1 | toJson }}|'
        '{{ range fromJson "null" }}x{{ else }}empty{{ end }}',
        "ok",
        '{"a":1}|false|d|null|[1]|empty',
    ),
    (
        '{{ toYamlPretty (fromJsonArray "null") }}|{{ toYamlPretty (fromJson "null") }}|'
        '{{ toYamlPretty (dict "a" (fromJsonArray "null") "b" (fromJson "null")) }}|'
        '{{ toYaml (dict "a" (fromJsonArray "null") "b" (fromJson "null")) }}|'
        '{{ toJson (list (fromJson "null")) }}|{{ toPrettyJson (fromJson "null") }}|'
        '{{ toRawJson (fromJsonArray "null") }}',
        "ok",
        "[]|{}|a: []\nb: {}|a: null\nb: null|[null]|null|null",
    ),
    (
        '{{ $m := fromJson "null" }}{{ $_ := set $m "a" 1 }}',
        "err",
        "assignment to entry in nil map",
    ),
    # Go structs keep their field order under every JSON function
    (
        "{{ toPrettyJson .Capabilities.KubeVersion }}",
        "ok",
        '{\n  "Version": "v1.36.0",\n  "Major": "1",\n  "Minor": "36"\n}',
    ),
    (
        "{{ toRawJson .Capabilities.KubeVersion }}",
        "ok",
        '{"Version":"v1.36.0","Major":"1","Minor":"36"}',
    ),
    ('{{ toJson (genCA "x" 1) | fromJson | keys | sortAlpha }}', "ok", "[Cert Key]"),
    # a nil map[string]string (no annotations) is null for Sprig's functions too
    ("{{ toRawJson .Chart.Annotations }}", "ok", "null"),
    # invalid UTF-8 is written as \ufffd, one per byte
    ('{{ toJson "a\\xed\\xa0\\x80b" }}', "ok", '"a\\ufffd\\ufffd\\ufffdb"'),
    ('{{ toJson (dict "\\xff" 1 "a" 2) }}', "ok", '{"a":2,"\\ufffd":1}'),
    # Sprig's toRawJson panics where toJson and toPrettyJson return ""
    ('{{ toRawJson (float64 "NaN") }}', "err", "json: unsupported value: NaN"),
    ('{{ toPrettyJson (float64 "NaN") }}', "ok", ""),
    # the scanner names the offending byte, not the rune
    ('{{ mustFromJson "é" }}', "err", "invalid character 'Ã' looking for beginning of value"),
    ('{{ mustFromJson "\\xff" }}', "err", "invalid character 'ÿ' looking for beginning of value"),
    (
        '{{ mustFromJson "\\ufeff1" }}',
        "err",
        "invalid character 'ï' looking for beginning of value",
    ),
    ('{{ fromJson "1²" }}', "ok", "map[Error:invalid character 'Â' after top-level value]"),
    ('{{ fromJsonArray "-٣" }}', "ok", "[invalid character 'Ù' in numeric literal]"),
    # at the end of the input Go's scanner steps a space
    ('{{ mustFromJson "\\"\\\\" }}', "err", "invalid character ' ' in string escape code"),
    (
        '{{ fromJsonArray "\\"\\\\u12" }}',
        "ok",
        "[invalid character ' ' in \\u hexadecimal character escape]",
    ),
    (
        "{{ fromJsonArray %s }}" % ('"' + DEEP + '"'),
        "ok",
        "[invalid character '[' exceeded max depth]",
    ),
    # numbers beyond float64: syntax errors first, then Go keeps the rest
    (
        '{{ mustFromJson "[1e999, x]" }}',
        "err",
        "invalid character 'x' looking for beginning of value",
    ),
    (
        '{{ mustFromJson "{\\"a\\":1e999}" }}',
        "err",
        "json: cannot unmarshal number 1e999 into Go value of type float64",
    ),
    (
        '{{ fromJson "{\\"a\\":[1e999, 2], \\"b\\": 1e999, \\"c\\": {\\"d\\": -1e400, \\"e\\": 1}}" }}',
        "ok",
        "map[Error:json: cannot unmarshal number 1e999 into Go value of type float64"
        " a:[<nil> 2] b:<nil> c:map[d:<nil> e:1]]",
    ),
    (
        '{{ fromJsonArray "[1e999]" }}',
        "ok",
        "[json: cannot unmarshal number 1e999 into Go value of type float64]",
    ),
    (
        '{{ fromJson "1e999" }}',
        "ok",
        "map[Error:json: cannot unmarshal number into Go value of type map[string]interface {}]",
    ),
    # escaped lone surrogates and invalid bytes decode to U+FFFD
    ('{{ mustFromJson "\\"\\\\ud800\\\\ud800\\\\udc00x\\\\udc00\\"" | toJson }}', "ok", '"�𐀀x�"'),
    ('{{ mustFromJson "\\"\\xff\\"" | toJson }}', "ok", '"�"'),
]

SET_JSON: list[tuple[str, Any]] = [
    ("a=1e999", ("err", "json: cannot unmarshal number 1e999 into Go value of type float64")),
    ("a=[1e999, x]", ("err", "invalid character 'x' looking for beginning of value")),
    ('a="\\ud800"', ("ok", {"a": "\ufffd"})),
    ("a=é", ("err", "invalid character 'Ã' looking for beginning of value")),
    ("a=" + DEEP, ("err", "invalid character '[' exceeded max depth")),
    ('a="\\u12', ("err", "unexpected EOF")),
]


def _chart(template: str) -> str:
    d = tempfile.mkdtemp()
    os.makedirs(f"{d}/c/templates")
    with open(f"{d}/c/Chart.yaml", "w") as f:
        f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    with open(f"{d}/c/templates/t.txt", "w") as f:
        f.write(template)
    return d


def _failure(msg: str) -> str:
    m = re.search(r"error calling \w+: (.*)$", msg, re.S)
    return m.group(1) if m else msg


def render_ours(template: str) -> tuple[str, str]:
    d = _chart(template)
    try:
        return "ok", render_chart(f"{d}/c", {}, name="rel")["c/templates/t.txt"]
    except Exception as e:  # noqa: BLE001 - compared with Helm's error text
        return "err", _failure(str(e))
    finally:
        shutil.rmtree(d)


def render_helm(helm: Any, template: str) -> tuple[str, str]:
    d = _chart(template)
    try:
        return "ok", helm.Chart.load(f"{d}/c").render(values={}, name="rel")["c/templates/t.txt"]
    except helm.HelmError as e:
        return "err", _failure(str(e))
    finally:
        shutil.rmtree(d)


def set_json_ours(text: str) -> tuple[str, Any]:
    d: dict[str, Any] = {}
    try:
        strvals.parse_json(text, d)
    except strvals.StrvalsError as e:
        return "err", str(e)
    return "ok", d


@pytest.mark.parametrize(("template", "kind", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_case(template: str, kind: str, expected: str) -> None:
    assert render_ours(template) == (kind, expected)


@pytest.mark.parametrize(("text", "expected"), SET_JSON, ids=[t[:30] for t, _ in SET_JSON])
def test_set_json(text: str, expected: Any) -> None:
    assert set_json_ours(text) == expected


def test_live_oracle(helm_oracle: Any) -> None:
    for template, kind, expected in CASES:
        assert render_helm(helm_oracle, template) == (kind, expected), template
    for text, expected in SET_JSON:
        try:
            got: Any = ("ok", helm_oracle.parse_set_json(text))
        except Exception as e:  # noqa: BLE001
            got = ("err", str(e))
        assert got == expected, text


# ---------------------------------------------------------------- the codec itself


def test_marshal_parameters() -> None:
    v = {"b": [1, 2.5, None], "a": "<&>\u2028", "c": {}, "d": []}
    assert (
        jsongo.marshal(v) == '{"a":"\\u003c\\u0026\\u003e\\u2028","b":[1,2.5,null],"c":{},"d":[]}'
    )
    assert (
        jsongo.marshal(v, escape_html=False) == '{"a":"<&>\\u2028","b":[1,2.5,null],"c":{},"d":[]}'
    )
    assert jsongo.marshal(v, indent="  ") == (
        '{\n  "a": "\\u003c\\u0026\\u003e\\u2028",\n  "b": [\n    1,\n    2.5,\n    null\n  ],\n'
        '  "c": {},\n  "d": []\n}'
    )


def test_marshal_go_values() -> None:
    assert jsongo.marshal(jsongo.Struct(z=1, a=2)) == '{"z":1,"a":2}'
    assert jsongo.marshal({"m": jsongo.StringMap(nil=True)}) == '{"m":null}'
    assert jsongo.marshal({2: "x", 10: "y"}) == '{"10":"y","2":"x"}'
    assert jsongo.marshal(b"\x00\xff") == '"AP8="'
    with pytest.raises(EncodingError, match="json: unsupported value: NaN"):
        jsongo.marshal([float("nan")])
    with pytest.raises(EncodingError, match="json: unsupported type: func"):
        jsongo.marshal({"f": len})


def test_decode_reads_one_value() -> None:
    assert jsongo.decode('{"a":1} ,b=2') == ({"a": 1.0}, 7)
    assert jsongo.decode("12x") == (12.0, 2)
    for text, err in (("  ", "EOF"), ("tr", "unexpected EOF"), ("[1,", "unexpected EOF")):
        with pytest.raises(EncodingError, match=f"^{err}$"):
            jsongo.decode(text)


def test_unmarshal_into() -> None:
    assert jsongo.unmarshal("null", into=dict) is None
    assert jsongo.unmarshal(' {"a": [1]} ', into=dict) == {"a": [1.0]}
    with pytest.raises(jsongo.UnmarshalTypeError, match="cannot unmarshal object into Go value"):
        jsongo.unmarshal("{}", into=list)
    with pytest.raises(jsongo.UnmarshalTypeError) as e:
        jsongo.unmarshal('{"a": 1e400, "b": true}')
    assert e.value.value == {"a": None, "b": True}
    assert jsongo.go_json_error('{"a": 1e400}') is None
    assert jsongo.go_json_error("[1,]") == "invalid character ']' looking for beginning of value"


_TREE = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_TREE, st.sampled_from([None, "  ", "\t"]))
def test_scanner_agrees_with_fast_path(v: Any, indent: str | None) -> None:
    """The Go scanner (used for errors, surrogates, overflow, depth) decodes what
    the C fast path decodes."""
    text = jsongo.marshal(v, indent=indent)
    expected = jsongo.unmarshal(text)  # (also compiles the scanner's patterns)
    value, end, bad = jsongo._scan(text, 0)
    assert (value, end, bad) == (expected, len(text), None)
