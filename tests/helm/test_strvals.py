"""`--set` parsers: cases from Helm's pkg/strvals/parser_test.go and
literal_parser_test.go, plus differential checks against real Helm."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.helm.chart import strvals
from polystack.helm.golang.types import Int64

# (input, expected) from TestParseSet; None means "must fail".
PARSE_CASES: list[tuple[str, Any]] = [
    ("name1=null,f=false,t=true", {"name1": None, "f": False, "t": True}),
    ("name1=value1", {"name1": "value1"}),
    ("name1=value1,name2=value2", {"name1": "value1", "name2": "value2"}),
    ("name1=value1,name2=value2,", {"name1": "value1", "name2": "value2"}),
    ("name1=value1,,,,name2=value2,", None),
    ("name1=,name2=value2", {"name1": "", "name2": "value2"}),
    ("leading_zeros=00009", {"leading_zeros": "00009"}),
    ("zero_int=0", {"zero_int": 0}),
    ("long_int=1234567890", {"long_int": 1234567890}),
    ("boolean=true", {"boolean": True}),
    ("is_null=null", {"is_null": None}),
    ("name1,name2=", None),
    ("name1,name2=value2", None),
    ("name1,name2=value2\\", None),
    ("name1,name2", None),
    ("name1=one\\,two,name2=three\\,four", {"name1": "one,two", "name2": "three,four"}),
    ("name1=one\\=two,name2=three\\=four", {"name1": "one=two", "name2": "three=four"}),
    (
        "name1=one two three,name2=three two one",
        {"name1": "one two three", "name2": "three two one"},
    ),
    ("outer.inner=value", {"outer": {"inner": "value"}}),
    ("outer.middle.inner=value", {"outer": {"middle": {"inner": "value"}}}),
    (
        "outer.inner1=value,outer.inner2=value2",
        {"outer": {"inner1": "value", "inner2": "value2"}},
    ),
    (
        "outer.inner1=value,outer.middle.inner=value",
        {"outer": {"inner1": "value", "middle": {"inner": "value"}}},
    ),
    ("name1.name2", None),
    ("name1.name2,name1.name3", None),
    ("name1.name2=", {"name1": {"name2": ""}}),
    ("name1.=name2", None),
    ("name1.,name2", None),
    ("name1={value1,value2}", {"name1": ["value1", "value2"]}),
    (
        "name1={value1,value2},name2={value1,value2}",
        {"name1": ["value1", "value2"], "name2": ["value1", "value2"]},
    ),
    ("name1={1021,902}", {"name1": [1021, 902]}),
    ("name1.name2={value1,value2}", {"name1": {"name2": ["value1", "value2"]}}),
    ("name1={1021,902", None),
    ("list[0]=foo", {"list": ["foo"]}),
    ("list[0].foo=bar", {"list": [{"foo": "bar"}]}),
    ("list[0].foo=bar,list[0].hello=world", {"list": [{"foo": "bar", "hello": "world"}]}),
    ("list[0].foo=bar,list[-30].hello=world", None),
    ("list[0]=foo,list[1]=bar", {"list": ["foo", "bar"]}),
    ("list[0]=foo,list[1]=bar,", {"list": ["foo", "bar"]}),
    ("list[0]=foo,list[3]=bar", {"list": ["foo", None, None, "bar"]}),
    ("list[0]=foo,list[-20]=bar", None),
    ("illegal[0]name.foo=bar", None),
    ("noval[0]", {"noval": []}),
    ("noval[0]=", {"noval": [""]}),
    ("nested[0][0]=1", {"nested": [[1]]}),
    ("nested[1][1]=1", {"nested": [None, [None, 1]]}),
    (
        "name1.name2[0].foo=bar,name1.name2[1].foo=bar",
        {"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}},
    ),
    (
        "name1.name2[1].foo=bar,name1.name2[0].foo=bar",
        {"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}},
    ),
    ("name1.name2[1].foo=bar", {"name1": {"name2": [None, {"foo": "bar"}]}}),
    ("]={}].", None),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse(text: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(strvals.StrvalsError):
            strvals.parse(text)
    else:
        assert strvals.parse(text) == expected


def test_integers_are_int64() -> None:
    v = strvals.parse("a=5,b={1,2}")
    assert type(v["a"]) is Int64
    assert all(type(x) is Int64 for x in v["b"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("long_int_string=1234567890", {"long_int_string": "1234567890"}),
        ("boolean=true", {"boolean": "true"}),
        ("is_null=null", {"is_null": "null"}),
        ("zero=0", {"zero": "0"}),
    ],
)
def test_parse_string(text: str, expected: Any) -> None:
    assert strvals.parse_string(text) == expected


def test_parse_into() -> None:
    # TestParseInto
    got = {"outer": {"inner1": "overwrite", "inner2": "value2"}}
    strvals.parse_into("outer.inner1=value1,outer.inner3=value3,outer.inner4=4", got)
    assert got == {
        "outer": {"inner1": "value1", "inner2": "value2", "inner3": "value3", "inner4": 4}
    }
    got2: dict[str, Any] = {}
    strvals.parse_into("listOuter[0][0].type=listValue", got2)
    strvals.parse_into("listOuter[0][0].status=alive", got2)
    assert got2 == {"listOuter": [[{"type": "listValue", "status": "alive"}]]}
    got3: dict[str, Any] = {"listOuter": [[[{"exited": "old"}]]]}
    strvals.parse_into("listOuter[0][1][0].type=listValue", got3)
    strvals.parse_into("listOuter[0][0][1].status=alive", got3)
    assert got3 == {
        "listOuter": [[[{"exited": "old"}, {"status": "alive"}], [{"type": "listValue"}]]]
    }


def test_parse_into_string() -> None:
    got = {"outer": {"inner1": "overwrite", "inner2": "value2"}}
    strvals.parse_into_string("outer.inner1=1,outer.inner3=3", got)
    assert got == {"outer": {"inner1": "1", "inner2": "value2", "inner3": "3"}}


def test_parse_json() -> None:
    # TestParseJSON: scalars, objects and arrays, null and empty
    got: dict[str, Any] = {"outer": {"inner1": "overwrite", "inner2": "value2"}}
    strvals.parse_json('outer.inner1="1",outer.inner3=3,outer.inner4=true,outer.inner5="true"', got)
    assert got == {
        "outer": {
            "inner1": "1",
            "inner2": "value2",
            "inner3": 3.0,
            "inner4": True,
            "inner5": "true",
        }
    }
    got = {"outer": {"inner1": {"x": "overwrite"}, "inner2": "value2"}}
    strvals.parse_json(
        'outer.inner1=,outer.inner3={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner3.cc[1]=null', got
    )
    assert got == {
        "outer": {
            "inner1": None,
            "inner2": "value2",
            "inner3": {"aa": "1", "bb": 2.0, "cc": [1.0, None, 3.0]},
        }
    }
    with pytest.raises(strvals.StrvalsError):
        strvals.parse_json(
            'outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner5={"A":"1","B":2,"C":[1,2,3]}]',
            {},
        )


def test_parse_file() -> None:
    assert strvals.parse_file("name1=path1", lambda rs: "value1" if rs == "path1" else "") == {
        "name1": "value1"
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name=value", {"name": "value"}),
        ("long_int_string=1234567890", {"long_int_string": "1234567890"}),
        ("boolean=true", {"boolean": "true"}),
        ("name1=value1,name2=value2", {"name1": "value1,name2=value2"}),
        ("outer.inner=value", {"outer": {"inner": "value"}}),
        ("list[0]=foo", {"list": ["foo"]}),
        ("list[0].foo=bar", {"list": [{"foo": "bar"}]}),
        ("nested[1][1]=1", {"nested": [None, [None, "1"]]}),
        ("name1=one\\,two", {"name1": "one\\,two"}),
    ],
)
def test_parse_literal(text: str, expected: Any) -> None:
    assert strvals.parse_literal(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name1,name2", 'key "name1" has no value (cannot end with ,)'),
        ("a", 'key "a" has no value'),
        ("name1.=name2", 'key map "name1" has no value'),
        ("a[abc]=1", 'error parsing index: strconv.Atoi: parsing "abc": invalid syntax'),
        ("a[-1]=1", "negative -1 index not allowed"),
        ("a[65537]=1", "index of 65537 is greater than maximum supported index of 65536"),
        ("illegal[0]name.foo=bar", "unexpected data at end of array index: ['n' 'a' 'm' 'e']"),
        (
            "x=1,x.y=2",
            "unable to parse key: interface conversion: interface {} is int64, not "
            "map[string]interface {}",
        ),
        ("name1={1021,902", "list must terminate with '}'"),
    ],
)
def test_error_messages(text: str, message: str) -> None:
    with pytest.raises(strvals.StrvalsError) as ei:
        strvals.parse(text)
    assert str(ei.value) == message


def test_nested_level_limit() -> None:
    with pytest.raises(strvals.StrvalsError, match="maximum supported nested level of 30"):
        strvals.parse(".".join("a" * 1 for _ in range(32)) + "=1")


ORACLE_INPUTS = [
    "a=1,b.c=two,ports={80,443}",
    "name1=value1,,,,name2=value2,",
    "list[0]=foo,list[3]=bar",
    "]={}].",
    "a=b\\,c,d=e\\.f",
    "x[0]=1,x.y=2",
    "a=-5,b=+5,c=1.5,d=99999999999999999999,e=0x10,f=007",
    "a={},b={x},c={,}",
    "illegal[0]name.foo=bar",
]


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    return v


def _both(fn_ours: Any, fn_helm: Any, text: str) -> tuple[Any, Any]:
    try:
        ours: Any = ("ok", _plain(fn_ours(text)))
    except strvals.StrvalsError as e:
        ours = ("err", str(e))
    try:
        theirs: Any = ("ok", fn_helm(text))
    except Exception as e:  # noqa: BLE001
        theirs = ("err", str(e))
    return ours, theirs


@pytest.mark.parametrize("text", ORACLE_INPUTS)
def test_oracle_set(helm_oracle: Any, text: str) -> None:
    ours, theirs = _both(strvals.parse, helm_oracle.parse_set_string, text)
    assert ours == theirs


@pytest.mark.parametrize("text", ['a={"b":[1,2]}', "a=,b=2", "a=[1", 'a.b[1]="x"'])
def test_oracle_set_json(helm_oracle: Any, text: str) -> None:
    def ours(t: str) -> dict[str, Any]:
        d: dict[str, Any] = {}
        strvals.parse_json(t, d)
        return d

    o, t = _both(ours, helm_oracle.parse_set_json, text)
    if o[0] == "ok":
        # the SDK hands numbers back through JSON; compare numerically
        assert o[0] == t[0] and o[1] == t[1]
    else:
        assert o == t


@pytest.mark.parametrize("text", ["a=b,c=d", "a.b=1", "a[1]=x", "a", "a.b.c[0][1]=q,w"])
def test_oracle_set_literal(helm_oracle: Any, text: str) -> None:
    ours, theirs = _both(strvals.parse_literal, helm_oracle.parse_set_literal, text)
    assert ours == theirs


_KEY = st.text(alphabet="abcxyz", min_size=1, max_size=4)
_VAL = st.text(alphabet="abc01 -_", min_size=0, max_size=6)


@given(st.dictionaries(_KEY, _VAL, min_size=1, max_size=4))
def test_string_roundtrip(d: dict[str, str]) -> None:
    """Any simple k=v list given to --set-string parses back to the same strings."""
    text = ",".join(f"{k}={v}" for k, v in d.items())
    assert strvals.parse_string(text) == d


_SET_PIECES = st.sampled_from(list("ab.=,[]{}\\0123 -xn") + ["null", "true", "[1]", "[0]"])


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_SET_PIECES, max_size=12).map("".join))
def test_random_set_lines_match_helm(helm_oracle: Any, text: str) -> None:
    """Differential property: --set, --set-string and --set-literal on random lines."""
    for ours, theirs in (
        (strvals.parse, helm_oracle.parse_set_string),
        (strvals.parse_string, helm_oracle.parse_set_string_values),
        (strvals.parse_literal, helm_oracle.parse_set_literal),
    ):
        mine, helms = _both(ours, theirs, text)
        assert mine == helms
