"""kubectl's JSONPath (polystack.helm.encoding.jsonpath) and `show values --jsonpath`.

The helm-python-sdk oracle's `show` takes no JSONPath, so the expectations are
client-go's own: the cases below are those of k8s.io/client-go/util/jsonpath's
jsonpath_test.go (TestTypesInput, TestStructInput, TestJSONInput, TestKubernetes,
TestEmptyRange, TestNestedRanges, TestFilterPartialMatchesSometimesMissingAnnotations,
TestNegativeIndex, TestStep) and parser_test.go's failures, with the inputs as
JSON-like values. Where a case's input is a Go struct, it is written as a map; the
few whose output depends on struct field order or Go's random map order are
adapted (keys in sorted order) and marked.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.cli import helm_group
from polystack.helm.encoding.jsonpath import JSONPath, JSONPathError


def jp(template: str, data: Any, allow_missing_keys: bool = False) -> str:
    return JSONPath.parse(template, allow_missing_keys=allow_missing_keys).execute(data)


TYPES = {
    "bools": [True, False, True, False],
    "integers": [1, 2, 3, 4],
    "floats": [1.0, 2.2, 3.3, 4.0],
    "strings": ["one", "two", "three", "four"],
    "interfaces": [True, "one", 1, 1.1],
    "maps": [
        {"name": "one", "value": 1},
        {"name": "two", "value": 2.02},
        {"name": "three", "value": 3.03},
        {"name": "four", "value": 4.04},
    ],
}

MAPS = (
    '[{"name":"one","value":1},{"name":"two","value":2.02},{"name":"three","value":3.03},'
    '{"name":"four","value":4.04}]'
)


@pytest.mark.parametrize(
    ("template", "expect"),
    [
        ("{ .bools }", "[true,false,true,false]"),
        ("{ .bools[0] }", "true"),
        ("{ .bools[-1] }", "false"),
        ("{ .bools[0:2] }", "true false"),
        ("{ .bools[:2] }", "true false"),
        ("{ .bools[:4:2] }", "true true"),
        ("{ .integers }", "[1,2,3,4]"),
        ("{ .integers[0] }", "1"),
        ("{ .integers[-2] }", "3"),
        ("{ .integers[0:2] }", "1 2"),
        ("{ .integers[:4:2] }", "1 3"),
        ("{ .floats }", "[1,2.2,3.3,4]"),
        ("{ .floats[0] }", "1"),
        ("{ .floats[-2] }", "3.3"),
        ("{ .floats[:4:2] }", "1 3.3"),
        ("{ .strings }", '["one","two","three","four"]'),
        ("{ .strings[-2] }", "three"),
        ("{ .strings[:4:2] }", "one three"),
        ("{ .interfaces }", '[true,"one",1,1.1]'),
        ("{ .interfaces[-2] }", "1"),
        ("{ .interfaces[0:2] }", "true one"),
        ("{ .interfaces[:4:2] }", "true 1"),
        ("{ .maps }", MAPS),
        ("{ .maps[0] }", '{"name":"one","value":1}'),
        ("{ .maps[-2] }", '{"name":"three","value":3.03}'),
        ("{ .maps[0:2] }", '{"name":"one","value":1} {"name":"two","value":2.02}'),
        ("{ .maps[::2] }", '{"name":"one","value":1} {"name":"three","value":3.03}'),
        ("{ .maps[1::2] }", '{"name":"two","value":2.02} {"name":"four","value":4.04}'),
    ],
)
def test_types_input(template: str, expect: str) -> None:
    assert jp(template, TYPES) == expect


STORE = {
    "Name": "jsonpath",
    "Book": [
        {"Category": "reference", "Author": "Nigel Rees", "Title": "Sayings of the Centurey",
         "Price": 8.95},
        {"Category": "fiction", "Author": "Evelyn Waugh", "Title": "Sword of Honour",
         "Price": 12.99},
        {"Category": "fiction", "Author": "Herman Melville", "Title": "Moby Dick", "Price": 8.99},
    ],
    "Bicycle": [
        {"Color": "red", "Price": 19.95, "IsNew": True},
        {"Color": "green", "Price": 20.01, "IsNew": False},
    ],
    "Labels": {"engieer": 10, "web/html": 15, "k8s-app": 20},
    "Employees": {"jason": "manager", "dan": "clerk"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("template", "data", "expect"),
    [
        ("hello jsonpath", None, "hello jsonpath"),
        ("{..}", [1, 2, 3], "[1,2,3]"),
        ("{[?(@<5)]}", [2, 6, 3, 7], "2 3"),
        ('{"{"}', None, "{"),
        ("{[1,3,4]}", [0, 1, 2, 3, 4], "1 3 4"),
        ("{[0:2]}", ["Monday", "Tudesday"], "Monday Tudesday"),
        ("hello {.Name}", STORE, "hello jsonpath"),
        ("{$.Labels.web/html}", STORE, "15"),
        ("{$.Employees.jason}", STORE, "manager"),
        ("{$.Employees.dan}", STORE, "clerk"),
        ("{.Labels.k8s-app}", STORE, "20"),
        ("{.Bicycle[*].Color}", STORE, "red green"),
        ("{.Book[*].Author}", STORE, "Nigel Rees Evelyn Waugh Herman Melville"),
        # adapted: a map's fields come in key order (Go: struct field order)
        ('{range .Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}', STORE,
         "{red true 19.95} {green false 20.01} "),
        ("{..Price}", STORE, "19.95 20.01 8.95 12.99 8.99"),  # adapted: Bicycle < Book
        ("{...Price}", STORE, "19.95 20.01 8.95 12.99 8.99"),  # adapted likewise
        ("{.Bicycle}", STORE,
         '[{"Color":"red","IsNew":true,"Price":19.95},{"Color":"green","IsNew":false,'
         '"Price":20.01}]'),  # adapted: encoding/json sorts map keys
        ("{.Book[-1:]}", STORE,
         '{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}'),
        ("{..Book[2]}", STORE,
         '{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}'),
        ("{.Bicycle[?(@.IsNew==true)]}", STORE, '{"Color":"red","IsNew":true,"Price":19.95}'),
    ],
)  # fmt: skip
def test_struct_input(template: str, data: Any, expect: str) -> None:
    assert jp(template, data) == expect


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{hello}", "unrecognized identifier hello"),
        ("{.hello}", "hello is not found"),
        ("{.Labels[0]}", "map[string]interface {} is not array or slice"),
        ("{.Book[?(@.Price<>10)]}", "unrecognized filter operator <>"),
        ("{range .Labels.*}{@}{end}{end}", "not in range, nothing to end"),
    ],
)
def test_struct_input_failures(template: str, error: str) -> None:
    with pytest.raises(JSONPathError) as e:
        jp(template, STORE)
    assert str(e.value) == error
    assert jp("{.hello}", STORE, allow_missing_keys=True) == ""


POINTS = json.loads(
    '[{"id": "i1", "x":4, "y":-5}, {"id": "i2", "x":-2, "y":-5, "z":1},'
    ' {"id": "i3", "x":  8, "y":  3 }, {"id": "i4", "x": -6, "y": -1 },'
    ' {"id": "i5", "x":  0, "y":  2, "z": 1 }, {"id": "i6", "x":  1, "y":  4 }]'
)


def test_json_input() -> None:
    assert jp("{[?(@.z)].id}", POINTS) == "i2 i5"
    assert jp("{[0]['id']}", POINTS) == "i1"


NODES = json.loads("""{
  "kind": "List",
  "items": [
    {"kind": "None", "metadata": {"name": "127.0.0.1",
      "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
     "status": {"capacity": {"cpu": "4"}, "ready": true,
      "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
    {"kind": "None", "metadata": {"name": "127.0.0.2",
      "labels": {"kubernetes.io/hostname": "127.0.0.2"}},
     "status": {"capacity": {"cpu": "8"}, "ready": false,
      "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                    {"type": "another", "address": "127.0.0.3"}]}}
  ],
  "users": [{"name": "myself", "user": {}},
            {"name": "e2e", "user": {"username": "admin", "password": "secret"}}]
}""")


@pytest.mark.parametrize(
    ("template", "expect"),
    [
        ("{range .items[*]}{.metadata.name}, {end}{.kind}", "127.0.0.1, 127.0.0.2, List"),
        ('{range .items[*]}{.metadata.name}{"\\t"}{end}', "127.0.0.1\t127.0.0.2\t"),
        ("{.items[*].status.addresses[*].address}", "127.0.0.1 127.0.0.2 127.0.0.3"),
        ("{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}",
         "127.0.0.1, 127.0.0.2, 127.0.0.3, "),
        ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
        ("{.items[*]['metadata.name', 'status.capacity']}",
         '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'),
        ("{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
         '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '),
        ('{.users[?(@.name=="e2e")].user.password}', "secret"),
        ("{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1"),
        ('{.items[?(@.metadata.labels.kubernetes\\.io/hostname=="127.0.0.1")].kind}', "None"),
        ("{.items[?(@..ready==true)].metadata.name}", "127.0.0.1"),
        ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),  # Go: any order; sorted there
    ],
)  # fmt: skip
def test_kubernetes(template: str, expect: str) -> None:
    assert jp(template, NODES) == expect


def test_empty_range() -> None:
    empty = {"items": []}
    assert jp("{range .items[*]}{.metadata.name}{end}", empty, True) == ""
    t = '{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}'
    assert jp(t, empty, True) == ""


PODS = {
    "items": [
        {"metadata": {"name": "pod1"}, "spec": {"containers": [
            {"name": "foo", "another": [{"name": "value1"}, {"name": "value2"}]},
            {"name": "bar", "another": [{"name": "value1"}, {"name": "value2"}]}]}},
        {"metadata": {"name": "pod2"}, "spec": {"containers": [
            {"name": "baz", "another": [{"name": "value1"}, {"name": "value2"}]}]}},
    ]
}  # fmt: skip


def test_nested_ranges() -> None:
    t = '{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}'
    assert jp(t, PODS) == "pod1:foo,bar,+pod2:baz,+"
    t = (
        '{range .items[*]}{.metadata.name}{"~"}{range @.spec.containers[*]}{.name}{":"}'
        '{range @.another[*]}{.name}{","}{end}{"+"}{end}{"#"}{end}'
    )
    assert jp(t, PODS) == "pod1~foo:value1,value2,+bar:value1,value2,+#pod2~baz:value1,value2,+#"
    t = (
        '{range .items[*]}{.metadata.name}{"\\t"}{range @.spec.containers[*]}{.name}{" "}{end}'
        '{"\\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\\n"}{end}'
    )
    assert jp(t, PODS) == "pod1\tfoo bar \tfoo bar \npod2\tbaz \tbaz \n"


def test_filter_partial_matches() -> None:
    items = {"items": [
        {"kind": "Pod", "metadata": {"name": "pod1", "annotations": {"color": "blue"}}},
        {"kind": "Pod", "metadata": {"name": "pod2"}},
        {"kind": "Pod", "metadata": {"name": "pod3", "annotations": {"color": "green"}}},
        {"kind": "Pod", "metadata": {"name": "pod4", "annotations": {"color": "blue"}}},
    ]}  # fmt: skip
    t = '{.items[?(@.metadata.annotations.color=="blue")].metadata.name}'
    assert jp(t, items, allow_missing_keys=True) == "pod1 pod4"
    with pytest.raises(JSONPathError):
        jp(t, items)


CONTAINERS = {"spec": {"containers": [{"name": f"fake{i}"} for i in range(6)]}}


@pytest.mark.parametrize(
    ("index", "expect"),
    [
        # TestNegativeIndex (four containers)
        ("[0]", "fake0"), ("[0:0]", ""), ("[0:-1]", "fake0 fake1 fake2"), ("[-1:0]", None),
        ("[-1]", "fake3"), ("[-1:]", "fake3"), ("[-2]", "fake2"), ("[-2:]", "fake2 fake3"),
        ("[-3]", "fake1"), ("[-4]", "fake0"), ("[-4:]", "fake0 fake1 fake2 fake3"),
        ("[-5]", None), ("[5:5]", ""), ("[-5:-5]", ""), ("[3:1]", None), ("[-1:-2]", None),
    ],
)  # fmt: skip
def test_negative_index(index: str, expect: str | None) -> None:
    data = {"spec": {"containers": CONTAINERS["spec"]["containers"][:4]}}
    t = "{.spec.containers" + index + ".name}"
    if expect is None:
        with pytest.raises(JSONPathError):
            jp(t, data)
    else:
        assert jp(t, data) == expect


@pytest.mark.parametrize(
    ("index", "expect"),
    [
        ("[0:]", "fake0 fake1 fake2 fake3 fake4 fake5"),
        ("[0:6:]", "fake0 fake1 fake2 fake3 fake4 fake5"),
        ("[0:6:1]", "fake0 fake1 fake2 fake3 fake4 fake5"),
        ("[0:6:0]", None), ("[0:6:-1]", None),
        ("[1:4:2]", "fake1 fake3"), ("[1:4:3]", "fake1"), ("[1:4:4]", "fake1"),
        ("[0:6:2]", "fake0 fake2 fake4"), ("[0:6:3]", "fake0 fake3"),
        ("[0:6:5]", "fake0 fake5"), ("[0:6:6]", "fake0"),
    ],
)  # fmt: skip
def test_step(index: str, expect: str | None) -> None:
    t = "{.spec.containers" + index + ".name}"
    if expect is None:
        with pytest.raises(JSONPathError) as e:
            jp(t, CONTAINERS)
        assert str(e.value) == "step must be > 0"
    else:
        assert jp(t, CONTAINERS) == expect


@pytest.mark.parametrize(
    ("template", "error"),
    [
        # parser_test.go's TestFailParser
        ("{.hello", "unclosed action"),
        ("{*}", "unrecognized character in action: U+002A '*'"),
        ("{+12.3.0}", "cannot parse number +12.3.0"),
        ("{[1}", "unterminated array"),
        ("{[?(.price]}", "unterminated filter"),
        ("{........}", "invalid multiple recursive descent"),
        # and the other parse errors of parser.go
        ("{[a]}", "invalid array index a"),
        ('{"abc}', "unterminated quoted string"),
        ('{"a\\q"}', 'unquote string "a\\q" error invalid syntax'),
        ("{[?(@.a==1)x}", "unclosed array expect ]"),
    ],
)
def test_parse_errors(template: str, error: str) -> None:
    with pytest.raises(JSONPathError) as e:
        JSONPath.parse(template)
    assert str(e.value) == error


def test_go_value_semantics() -> None:
    vals = {"port": 80.0, "big": 1e6, "small": 0.0001, "nothing": None, "name": "web"}
    # fmt.Fprint of float64 (%v), nil, and a string's bytes through `*`
    assert jp("{.port} {.big} {.small} {.nothing}", vals) == "80 1e+06 0.0001 <nil>"
    assert jp("{.name.*}", vals) == "119 101 98"
    # YAML numbers are float64 and an integer literal is a Go int: no comparison
    with pytest.raises(JSONPathError) as e:
        jp("{[?(@.port==80)].name}", [vals])
    assert str(e.value) == "incompatible types for comparison"
    assert jp("{[?(@.port==80.0)].name}", [vals]) == "web"
    assert jp('{[?(@.name!="db")].port}', [vals]) == "80"
    # a whole map as Go's encoding/json writes it (sorted keys, HTML escaping)
    assert jp("{@}", {"b": "<x>", "a": [1.5, True]}) == '{"a":[1.5,true],"b":"\\u003cx\\u003e"}'


# ---------------------------------------------------------------- show values --jsonpath


VALUES = """\
replicaCount: 1
image:
  repository: nginx
  tag: "1.25"
ports:
  - name: http
    port: 80
  - name: metrics
    port: 9090
empty: null
"""


@pytest.fixture
def chart_dir(tmp_path: Any) -> str:
    d = tmp_path / "jp"
    (d / "templates").mkdir(parents=True)
    (d / "Chart.yaml").write_text("apiVersion: v2\nname: jp\nversion: 0.1.0\n")
    (d / "values.yaml").write_text(VALUES)
    return str(d)


def show_values(*args: str) -> Any:
    return CliRunner().invoke(helm_group, ["show", "values", *args], catch_exceptions=False)


def test_show_values_jsonpath(chart_dir: str) -> None:
    def out(t: str) -> str:
        r = show_values(chart_dir, "--jsonpath", t)
        assert r.exit_code == 0, r.output
        return r.output

    # printed without a trailing newline, as JSONPathPrinter.Execute writes it
    assert out("{.image.repository}") == "nginx"
    assert out("{.image}") == '{"repository":"nginx","tag":"1.25"}'
    assert out("{.replicaCount}") == "1"
    assert out("{.ports[*].name}") == "http metrics"
    assert out("{.ports[-1].port}") == "9090"
    assert out('{.ports[?(@.name=="metrics")].port}') == "9090"
    assert out('{range .ports[*]}{.name}={.port}{"\\n"}{end}') == "http=80\nmetrics=9090\n"
    assert out("{.empty}") == "<nil>"
    assert out("{..name}") == "http metrics"
    assert out("name: {.image.repository}:{.image.tag}") == "name: nginx:1.25"
    # execution errors are ignored by `helm show values` (nothing is printed)
    assert out("{.missing}") == ""
    assert out("{.ports[7]}") == ""
    assert out("{[?(@.port==80)]}") == ""


def test_show_values_jsonpath_parse_error(chart_dir: str) -> None:
    r = show_values(chart_dir, "--jsonpath", "{.image")
    assert r.exit_code == 1
    assert r.output == "Error: error parsing jsonpath {.image: unclosed action\n"


def test_jsonpath_is_a_show_values_flag(chart_dir: str) -> None:
    r = CliRunner().invoke(helm_group, ["show", "chart", chart_dir, "--jsonpath", "{.name}"])
    assert r.exit_code == 1 and r.output == "Error: unknown flag: --jsonpath\n"
    # without values.yaml Helm's Show prints no values at all
    os.remove(os.path.join(chart_dir, "values.yaml"))
    assert show_values(chart_dir, "--jsonpath", "{@}").output == ""
