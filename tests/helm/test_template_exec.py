"""Execution semantics of text/template (Go's src/text/template/exec_test.go cases).

Differential checks against real Helm live in test_template_oracle.py; these cover
what Helm cannot show: missingkey modes, Go structs and methods, typed function
parameters, the Go ``slice`` builtin (Helm replaces it with Sprig's), ``call``,
the TemplateSet API and exec error locations.
"""

from __future__ import annotations

from typing import Any

import pytest

from polystack.helm.golang.types import (
    GoStruct,
    Int64,
    StringList,
    kind_of,
    signature,
    truth,
    type_of,
)
from polystack.helm.template import ExecError, FuncError, ParseError, TemplateSet


def run(
    text: str, data: Any = None, funcs: dict[str, Any] | None = None, mk: str = "default"
) -> str:
    ts = TemplateSet(funcs or {}, missingkey=mk)
    ts.parse("t", text)
    return ts.execute("t", data)


def err(
    text: str, data: Any = None, funcs: dict[str, Any] | None = None, mk: str = "default"
) -> str:
    with pytest.raises(ExecError) as e:
        run(text, data, funcs, mk)
    return e.value.message


class Release(GoStruct):
    go_type_name = "*release.Info"
    go_fields = ("Name", "Revision", "Labels")

    def __init__(self) -> None:
        self.Name = "rel"
        self.Revision = 3
        self.Labels = {"a": "b"}

    def Upper(self, s: str) -> str:  # noqa: N802 - Go method name
        return s.upper()

    def Fail(self) -> str:  # noqa: N802
        raise FuncError("it broke")

    @signature("int", "string")
    def Rep(self, n: int, s: str) -> str:  # noqa: N802
        return s * n


def test_missingkey_modes() -> None:
    # exec_test.go TestMissingMapKey
    data = {"x": 1}
    assert run("{{.x}} {{.y}}", data) == "1 <no value>"
    assert run("{{.x}} {{.y}}", data, mk="zero") == "1 <no value>"
    assert err("{{.x}} {{.y}}", data, mk="error") == (
        'template: t:1:9: executing "t" at <.y>: map has no entry for key "y"'
    )
    # invalid receiver: missing key then a field
    assert run("{{.y.z}}", data) == "<no value>"
    assert err("{{.y.z}}", data, mk="zero") == (
        'template: t:1:4: executing "t" at <.y.z>: nil pointer evaluating interface {}.z'
    )
    assert err("{{.y.z}}", data, mk="error") == (
        'template: t:1:4: executing "t" at <.y.z>: map has no entry for key "y"'
    )
    assert err("{{.z}}", None, mk="error") == (
        'template: t:1:2: executing "t" at <.z>: nil data; no entry for key "z"'
    )
    with pytest.raises(ValueError):
        TemplateSet({}, missingkey="bogus")


def test_structs_fields_and_methods() -> None:
    r = Release()
    assert run("{{.Name}}-{{.Revision}}-{{.Labels.a}}", r) == "rel-3-b"
    assert run('{{.Upper "x"}} {{"y" | .Upper}}', r) == "X Y"
    assert run("{{.}}", r) == "{rel 3 map[a:b]}"
    assert run('{{printf "%v %T" . .}}', r) == "&{rel 3 map[a:b]} *release.Info"
    assert err("{{.Nope}}", r) == (
        'template: t:1:2: executing "t" at <.Nope>: can\'t evaluate field Nope in type *release.Info'
    )
    assert err("{{.Name 1}}", r) == (
        'template: t:1:2: executing "t" at <.Name>: Name has arguments but cannot be invoked as function'
    )
    assert err("{{.Fail}}", r) == (
        'template: t:1:2: executing "t" at <.Fail>: error calling Fail: it broke'
    )
    assert err("{{.Upper}}", r) == (
        'template: t:1:2: executing "t" at <.Upper>: wrong number of args for Upper: want 1 got 0'
    )
    assert run('{{.Rep 3 "ab"}}', r) == "ababab"
    assert err('{{.Rep 1.5 "ab"}}', r) == (
        'template: t:1:7: executing "t" at <1.5>: expected integer; found 1.5'
    )
    assert err('{{.Rep "x" "ab"}}', r) == (
        'template: t:1:7: executing "t" at <"x">: expected integer; found "x"'
    )


def test_typed_parameters() -> None:
    # exec.go evalArg/validateType messages for functions declaring Go types
    @signature("string", "int")
    def rep(s: str, n: int) -> str:
        return s * n

    @signature("float64")
    def half(f: float) -> float:
        return f / 2

    @signature("int64")
    def inc(n: int) -> Int64:
        return Int64(n + 1)

    f = {"rep": rep, "half": half, "inc": inc}
    assert run('{{rep "ab" 2}}', None, f) == "abab"
    assert run("{{half 3}}", None, f) == "1.5"
    assert run('{{inc 1 | printf "%T"}}', None, f) == "int64"
    assert err('{{rep "ab" .n}}', {"n": 2.0}, f) == (
        'template: t:1:11: executing "t" at <.n>: wrong type for value; expected int; got float64'
    )
    assert err('{{rep "ab" .n}}', {}, f) == (
        'template: t:1:11: executing "t" at <.n>: invalid value; expected int'
    )
    assert err("{{rep 1 2}}", None, f) == (
        'template: t:1:6: executing "t" at <1>: expected string; found 1'
    )
    assert err('{{rep "a" nil}}', None, f) == (
        'template: t:1:10: executing "t" at <nil>: cannot assign nil to int'
    )
    assert err('{{rep "a"}}', None, f) == (
        'template: t:1:2: executing "t" at <rep>: wrong number of args for rep: want 2 got 1'
    )
    assert err('{{3 | rep "a" 1}}', None, f) == (
        'template: t:1:6: executing "t" at <rep>: wrong number of args for rep: want 2 got 3'
    )
    assert run('{{2 | rep "a"}}', None, f) == "aa"


def test_untyped_python_functions() -> None:
    def join(*parts: Any) -> str:
        return "-".join(str(p) for p in parts)

    def two(a: Any, b: Any) -> str:
        return f"{a}{b}"

    def boom() -> None:
        raise FuncError("bad thing")

    def crash() -> None:
        raise RuntimeError("runtime error: index out of range [3] with length 1")

    f = {"join": join, "two": two, "boom": boom, "crash": crash}
    assert run('{{join 1 "a" .x}}', {"x": None}, f) == "1-a-None"
    assert run("{{join .missing}}", {}, f) == "None"  # missing key -> nil interface
    assert err("{{two 1}}", None, f) == (
        'template: t:1:2: executing "t" at <two>: wrong number of args for two: want 2 got 1'
    )
    assert err("{{boom}}", None, f) == (
        'template: t:1:2: executing "t" at <boom>: error calling boom: bad thing'
    )
    assert err("{{1 | crash}}", None, f) == (
        'template: t:1:6: executing "t" at <crash>: wrong number of args for crash: want 0 got 1'
    )
    assert err("{{crash}}", None, f) == (
        'template: t:1:2: executing "t" at <crash>: error calling crash: '
        "runtime error: index out of range [3] with length 1"
    )


def test_user_functions_override_builtins_and_late_binding() -> None:
    ts = TemplateSet({"len": lambda x: "mine"})
    ts.parse("t", "{{len 1}}")
    assert ts.execute("t", None) == "mine"
    ts = TemplateSet({})
    with pytest.raises(ParseError, match='function "late" not defined'):
        ts.parse("t", "{{late}}")
    ts.funcs["late"] = lambda: "bound after creation"
    ts.parse("t", "{{late}}")
    assert ts.execute("t", None) == "bound after creation"


def test_slice_builtin() -> None:
    # funcs.go slice (exec_test.go "slice[:]", "slice[1:]", "slice[1:2]", errors)
    d = {"s": [1, 2, 3], "str": "hello"}
    assert run("{{slice .s}} {{slice .s 1}} {{slice .s 1 2}} {{slice .s 1 2 3}}", d) == (
        "[1 2 3] [2 3] [2] [2]"
    )
    assert run("{{slice .str 1}} {{slice .str 1 3}}", d) == "ello el"
    assert err("{{slice .s 2 1}}", d).endswith("error calling slice: invalid slice index: 2 > 1")
    assert err("{{slice .s 0 4}}", d).endswith("error calling slice: index out of range: 4")
    assert err("{{slice .str 1 2 3}}", d).endswith(
        "error calling slice: cannot 3-index slice a string"
    )
    assert err("{{slice 3 1}}", d).endswith("error calling slice: can't slice item of type int")
    assert err("{{slice nil}}", d).endswith("error calling slice: slice of untyped nil")
    assert err("{{slice .s 1 2 3 4}}", d).endswith("error calling slice: too many slice indexes: 4")


def test_index_and_len_builtins() -> None:
    # exec_test.go "map[one]", "slice[0]", "nested", "out of range" ...
    d = {"m": {"one": 1, "n": {"k": "v"}}, "s": ["a", "b"], "str": "héllo"}
    assert run('{{index .m "one"}} {{index .m "n" "k"}} {{index .s 1}}', d) == "1 v b"
    assert run("{{index .str 1}}", d) == "195"  # a byte of the UTF-8 encoding
    assert run('{{index .m "zz"}}', d) == "<no value>"
    assert err("{{index .s 2}}", d).endswith(
        "error calling index: reflect: slice index out of range"
    )
    assert err("{{index .s 3}}", d).endswith("error calling index: index out of range: 3")
    assert err('{{index .s "x"}}', d).endswith(
        "error calling index: cannot index slice/array with type string"
    )
    assert err("{{index .m 1}}", d).endswith(
        "error calling index: value has type int; should be string"
    )
    assert err("{{index .m nil}}", d).endswith(
        "error calling index: value is nil; should be of type string"
    )
    assert err("{{index 3 1}}", d).endswith("error calling index: can't index item of type int")
    assert run("{{len .str}} {{len .s}} {{len .m}}", d) == "6 2 2"
    assert err("{{len .zz}}", d).endswith(
        "error calling len: reflect: call of reflect.Value.Type on zero Value"
    )
    assert err("{{len 3}}", d).endswith("error calling len: len of type int")


def test_call_builtin() -> None:
    # exec_test.go "call" cases; funcs.go call
    d = {"f": lambda a, b: a + b, "g": lambda: "x", "notfn": 3}
    assert run("{{call .f 1 2}} {{call .g}}", d) == "3 x"
    assert err("{{call .notfn}}", d).endswith("error calling call: non-function .notfn of type int")
    assert err("{{call .zz}}", d).endswith("error calling call: call of nil")
    assert err("{{call .f 1}}", d).endswith(
        "error calling call: wrong number of args for .f: got 1 want 2"
    )


def test_comparisons() -> None:
    # exec_test.go cmpTests
    assert run("{{eq 1 1}} {{eq 1 2}} {{eq 1.5 1.5}} {{eq true true}} {{eq `x` `x`}}") == (
        "true false true true true"
    )
    assert run("{{eq 1 3 2 1}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt 2 1}} {{ge 1 2}}") == (
        "true true true true true false"
    )
    assert run("{{eq .i .j}}", {"i": Int64(3), "j": 3}) == "true"
    assert run("{{eq .x nil}} {{eq nil nil}}", {"x": None}) == "true true"
    assert err("{{eq 1 true}}").endswith(
        "error calling eq: incompatible types for comparison: int and bool"
    )
    assert err("{{lt true false}}").endswith("error calling lt: invalid type for comparison")
    assert err("{{lt .m .m}}", {"m": {}}).endswith("error calling lt: invalid type for comparison")
    assert err("{{eq .m .m}}", {"m": [1]}).endswith(
        "error calling eq: non-comparable type [%!s(int=1)]: []interface {}"
    )
    assert err("{{eq 1}}").endswith("error calling eq: missing argument for comparison")


def test_and_or_short_circuit() -> None:
    # Go 1.18: and/or stop evaluating at the deciding argument
    calls: list[int] = []

    def mark(n: int) -> int:
        calls.append(n)
        return n

    f = {"mark": mark}
    assert run("{{and (mark 1) (mark 0) (mark 2)}}", None, f) == "0"
    assert calls == [1, 0]
    calls.clear()
    assert run("{{or (mark 0) (mark 3) (mark 4)}}", None, f) == "3"
    assert calls == [0, 3]
    assert run("{{and 1 2}} {{or 0 false}} {{and .x}}", {}) == "2 false <no value>"


def test_control_flow_and_variables() -> None:
    d = {"l": [1, 2, 3], "m": {"b": 2, "a": 1}}
    assert run("{{range $i, $e := .l}}{{$i}}{{$e}}{{end}}", d) == "011223"
    assert run("{{range $k, $v := .m}}{{$k}}{{$v}}{{end}}", d) == "a1b2"
    assert run("{{range .l}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", d) == "13"
    assert run("{{range .l}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", d) == "1"
    assert run("{{range 3}}{{.}}{{end}}|{{range $i := 2}}{{$i}}{{end}}") == "012|01"
    assert run('{{range .I}}{{printf "%T" .}}{{end}}', {"I": Int64(1)}) == "int64"
    assert run("{{$x := 0}}{{range .l}}{{$x = .}}{{end}}{{$x}}", d) == "3"
    assert run("{{with $x := .m.a}}{{$x}}{{.}}{{end}}", d) == "11"
    assert run("{{$i := 9}}{{$e := 0}}{{range $i, $e = .l}}{{end}}{{$i}}{{$e}}", d) == "23"
    assert run("{{range StringList}}{{end}}", None, {"StringList": lambda: StringList(["x"])}) == ""
    assert err("{{range .f}}{{end}}", {"f": 1.5}).endswith("range can't iterate over 1.5")
    assert err("{{range $a, $b := 3}}{{end}}").endswith(
        "can't use 3 to iterate over more than one variable"
    )


def test_templates_and_errors_in_definitions() -> None:
    ts = TemplateSet({})
    ts.parse("file.tpl", 'a{{define "T1"}}ONE{{end}}{{define "T2"}}\n  {{.x.y}}{{end}}')
    ts.parse("main", '{{template "T1"}}-{{template "T2" .}}')
    assert ts.lookup("T1") and ts.lookup("file.tpl") and not ts.lookup("zz")
    assert ts.names() == ["T1", "T2", "file.tpl", "main"]
    with pytest.raises(ExecError) as e:
        ts.execute("main", {"x": None})
    # location: the file the definition was parsed from; name: the executing template
    assert e.value.message == (
        'template: file.tpl:2:6: executing "T2" at <.x.y>: nil pointer evaluating interface {}.y'
    )
    with pytest.raises(ExecError) as e:
        ts.execute("nope", None)
    assert e.value.message == 'template: no template "nope" associated with template "gotpl"'
    # redefinition in a later parse replaces; an empty body does not
    ts.parse("other", '{{define "T1"}}NEW{{end}}{{define "T2"}} {{end}}')
    assert ts.execute("main", {"x": {"y": 1}}) == "NEW-\n  1"
    clone = ts.clone()
    clone.parse("x", '{{define "T1"}}CLONE{{end}}')
    assert ts.execute("T1", None) == "NEW" and clone.execute("T1", None) == "CLONE"


def test_template_recursion_limit() -> None:
    ts = TemplateSet({})
    ts.parse("t", '{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}')
    with pytest.raises(ExecError) as e:
        ts.execute("t", None)
    assert e.value.message == (
        'template: t:1:25: executing "r" at <{{template "r" .}}>: '
        "exceeded maximum template depth (100000)"
    )


def test_error_columns_count_bytes() -> None:
    # ErrorContext reports byte offsets within the line
    assert err("é {{nil}}") == 'template: t:1:5: executing "t" at <nil>: nil is not a command'
    assert err("a\nbc {{nil}}") == 'template: t:2:5: executing "t" at <nil>: nil is not a command'


def test_printing_rules() -> None:
    d = {"f": 1e6, "g": 0.5, "i": 7, "l": [1, "a"], "m": {"k": [1]}, "n": None, "b": b"hi"}
    assert run("{{.f}} {{.g}} {{.i}} {{.l}} {{.m}} {{.n}} {{.b}}", d) == (
        "1e+06 0.5 7 [1 a] map[k:[1]] <no value> [104 105]"
    )
    assert run('{{html .l}} {{js "<x>"}} {{urlquery "a b"}} {{html .n}}', d) == (
        "[1 a] \\u003Cx\\u003E a+b &lt;no value&gt;"
    )


def test_gotypes() -> None:
    assert [type_of(v) for v in (None, True, 1, Int64(1), 1.5, "s", [1], {}, b"x")] == [
        "<nil>",
        "bool",
        "int",
        "int64",
        "float64",
        "string",
        "[]interface {}",
        "map[string]interface {}",
        "[]uint8",
    ]
    assert type_of(StringList()) == "[]string" and type_of(Release()) == "*release.Info"
    assert [kind_of(v) for v in (None, True, 1, Int64(1), 1.5, "s", [1], {}, Release())] == [
        "invalid",
        "bool",
        "int",
        "int64",
        "float64",
        "string",
        "slice",
        "map",
        "ptr",
    ]
    assert [truth(v) for v in (None, False, 0, 0.0, "", [], {}, Release(), 1, "x", [0])] == [
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def test_escapers() -> None:
    # exec_test.go "html", "html pipeline", "js", "urlquery" cases
    assert run('{{html "<script>alert(\\"XSS\\");</script>"}}') == (
        "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"
    )
    assert run('{{printf "<script>alert(\\"XSS\\");</script>" | html}}') == (
        "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"
    )
    assert run("{{js .}}", "It'd be nice.") == "It\\'d be nice."
    assert run('{{js "a=b&c\\x01\\u2028é"}}') == "a\\u003Db\\u0026c\\u0001\\u2028é"
    assert run('{{"http://www.example.org/"|urlquery}}') == "http%3A%2F%2Fwww.example.org%2F"
    assert run('{{urlquery "a b" "~_.-"}}') == "a+b~_.-"
    assert run("{{html 1 2 .}}", "x") == "1 2x"


def test_parse_trees_are_shareable() -> None:
    a = TemplateSet({"f": lambda: "A"})
    b = TemplateSet({"f": lambda: "B"})
    trees = a.parse_trees("t", '{{define "d"}}{{f}}{{end}}{{template "d"}}')
    a.add_parse_trees("t", trees)
    b.add_parse_trees("t", trees)
    assert a.execute("t", None) == "A"
    assert b.execute("t", None) == "B"  # compiled code looks functions up per set
    b.add_parse_trees("u", b.parse_trees("u", '{{define "d"}} {{end}}'))
    assert b.execute("t", None) == "B"  # an empty redefinition does not replace
