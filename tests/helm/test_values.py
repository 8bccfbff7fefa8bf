"""Values: coalescing, globals, null deletion, dependencies enabled by
condition/tags, import-values, and the -f/--set* command-line sources."""

from __future__ import annotations

import os
from typing import Any

import pytest

from polystack.helm.action.values import ValueOptions
from polystack.helm.chart import strvals
from polystack.helm.chart.chart import load
from polystack.helm.chart.values import (
    ValuesError,
    coalesce_tables,
    coalesce_values,
    merge_values,
    path_value,
    process_dependencies,
)

from .conftest import CHARTS_DIR

USER_VALUES = [
    {},
    {"sub1": {"removed": None}, "global": {"env": None, "extra": 1.0}},
    {"image": {"tag": "x", "pullPolicy": None}, "config": {"b": None, "new": [1.0]}},
    {"second": {"size": 9.0}, "global": {"labels": {"team": "other", "x": "y"}}},
    {"sub1": "not-a-table"},
]


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


@pytest.mark.parametrize("user", USER_VALUES)
def test_coalesce_matches_helm(helm_oracle: Any, user: dict[str, Any]) -> None:
    path = os.path.join(CHARTS_DIR, "parent")
    try:
        theirs: Any = ("ok", helm_oracle.Chart.load(path).merge_values(user))
    except helm_oracle.HelmError as e:
        theirs = ("err", str(e))
    try:
        ours: Any = ("ok", _plain(coalesce_values(load(path), user)))
    except ValuesError as e:
        ours = ("err", str(e))
    assert ours == theirs


def test_null_semantics() -> None:
    # chart default nulls are dropped; a user null deletes a default; a user null
    # for a key without default is kept (Helm 4.2)
    dst = {"b": {"c": None, "d": {"e": None, "f": None}}, "z": None}
    assert coalesce_tables(dst, {"b": {"c": 2, "d": {"e": 1}}}) == {
        "b": {"d": {"f": None}},
        "z": None,
    }


def test_merge_keeps_nulls() -> None:
    c = load(os.path.join(CHARTS_DIR, "parent"))
    v = merge_values(c, {"image": {"tag": None}})
    assert v["image"]["tag"] is None


def test_globals_flow_down() -> None:
    c = load(os.path.join(CHARTS_DIR, "parent"))
    v = coalesce_values(c, {"global": {"env": "qa"}})
    assert v["sub1"]["global"]["env"] == "qa"
    assert v["sub1"]["global"]["subOnly"] is True
    assert v["sub2"]["global"]["labels"] == {"team": "core"}


def test_conditions_tags_alias() -> None:
    c = load(os.path.join(CHARTS_DIR, "parent"))
    process_dependencies(c, {"tags": {"backend": False}})
    assert sorted(d.name() for d in c.dependencies()) == ["lib", "sub1"]
    c = load(os.path.join(CHARTS_DIR, "parent"))
    process_dependencies(c, {"third": {"enabled": True}})
    assert sorted(d.name() for d in c.dependencies()) == ["lib", "second", "sub1", "third"]


def test_import_values() -> None:
    c = load(os.path.join(CHARTS_DIR, "parent"))
    process_dependencies(c, {})
    assert c.values["childData"] == "exported-by-sub1"
    assert c.values["imported"] == {"key": "value", "num": 7.0}


def test_path_value() -> None:
    v = {"a": {"b": {"c": 1}}, "x": 2}
    assert path_value(v, "a.b.c") == 1
    assert path_value(v, "x") == 2


def test_value_options_order(tmp_path: Any) -> None:
    f1 = tmp_path / "a.yaml"
    f1.write_text("a: 1\nm: {x: 1, q: 2}\nl: [1]\n")
    f2 = tmp_path / "b.yaml"
    f2.write_text("m: {q: 3}\n")
    data = tmp_path / "data.txt"
    data.write_text("file-content\n")
    opts = ValueOptions(
        value_files=[str(f1), str(f2)],
        json_values=['j={"k":[1,2]}', '{"top": true}'],
        values=["a=5,m.z=true"],
        string_values=["s=007"],
        file_values=[f"f={data}"],
        literal_values=["lit=a,b=c"],
    )
    v = opts.merge_values()
    assert v == {
        "a": 5,
        "m": {"x": 1.0, "q": 3.0, "z": True},
        "l": [1.0],
        "j": {"k": [1.0, 2.0]},
        "top": True,
        "s": "007",
        "f": "file-content\n",
        "lit": "a,b=c",
    }


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"values": ["a"]}, 'failed parsing --set data: key "a" has no value'),
        (
            {"string_values": ["a[x]=1"]},
            'failed parsing --set-string data: error parsing index: strconv.Atoi: parsing "x": invalid syntax',
        ),
        ({"json_values": ["a=nope"]}, "failed parsing --set-json data a=nope"),
        ({"json_values": ["{bad"]}, "failed parsing --set-json data JSON: {bad"),
        (
            {"value_files": ["/nonexistent/x.yaml"]},
            "open /nonexistent/x.yaml: no such file or directory",
        ),
    ],
)
def test_value_options_errors(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValuesError) as ei:
        ValueOptions(**kw).merge_values()
    assert str(ei.value) == message


def test_set_matches_oracle(helm_oracle: Any) -> None:
    spec = "a.b[1].c=x,d={1,2},e=null,f=true"
    assert _plain(strvals.parse(spec)) == helm_oracle.parse_set_string(spec)
