"""fromToml against real Helm 4.2 (BurntSushi/toml v1.6, TOML 1.1).

Each case is a TOML document and what Helm renders for
``{{ $m := fromToml DOC }}{{ if hasKey $m "Error" }}ERR {{ $m.Error }}{{ else }}OK {{ $m }}{{ end }}``:
BurntSushi's parse error text (``toml: line N (last key "k"): ...``) or the
decoded map printed with %v (int64, float64, time.Time in the local-date
zones ...).  The expectations were recorded from the reference renderer
(helm-python-sdk); `test_live_oracle` re-renders them all when it loads.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import pytest

from polystack.helm.encoding.tomlgo import TableArray
from polystack.helm.funcs.helm import from_toml
from polystack.helm.golang import fmt as gofmt
from polystack.helm.golang import time as gotime
from polystack.helm.golang.calendar import FixedZone
from polystack.helm.golang.types import Int64, type_of

TEMPLATE = (
    '{{ $m := fromToml (.Files.Get "t/%03d.toml") }}'
    '{{ if hasKey $m "Error" }}ERR {{ $m.Error }}{{ else }}OK {{ $m }}{{ end }}'
)

TOML_CASES: list[tuple[str, str]] = [
    ("a = }", "ERR toml: line 1 (last key \"a\"): expected value but found '}' instead"),
    ("a = ", 'ERR toml: line 1 (last key "a"): unexpected EOF; expected value'),
    ("a =", 'ERR toml: line 1 (last key "a"): unexpected EOF; expected value'),
    ("a", "ERR toml: line 1: unexpected EOF; expected key separator '='"),
    ('a = "abc', 'ERR toml: line 1 (last key "a"): unexpected EOF; expected \'"\''),
    ('a = "ab\nc"', 'ERR toml: line 1 (last key "a"): strings cannot contain newlines'),
    ("a = 1\na = 2", "ERR toml: line 2 (last key \"a\"): Key 'a' has already been defined."),
    ("[t]\nx=1\n[t]\ny=2", "ERR toml: line 3: Key 't' has already been defined."),
    ("[a", "ERR toml: line 1: expected '.' or ']' to end table name, but got '\\x00' instead"),
    ("[]", "ERR toml: line 1: unexpected end of table name (table names cannot be empty)"),
    ("[a.]", "ERR toml: line 1: unexpected end of table name (table names cannot be empty)"),
    (
        "[[a]",
        "ERR toml: line 1: expected end of table array name delimiter ']', but got '\\x00' instead",
    ),
    ('a = "\\q"', "ERR toml: line 1 (last key \"a\"): invalid escape in string '\\q'"),
    ('a = "\\x41"', "OK map[a:A]"),
    ('a = "\\e"', "OK map[a:\x1b]"),
    ("a b = 1", "ERR toml: line 1: expected '.' or '=', but got 'b' instead"),
    ("a@b = 1", "ERR toml: line 1: expected '.' or '=', but got '@' instead"),
    ("ü = 1", "ERR toml: line 1: expected '.' or '=', but got 'ü' instead"),
    (
        "a = 1 b = 2",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got 'b' instead",
    ),
    ("a = tru", 'ERR toml: line 1 (last key "a"): expected value but found "tru" instead'),
    ("a = foo", 'ERR toml: line 1 (last key "a"): expected value but found "foo" instead'),
    ("a = 01", 'ERR toml: line 1 (last key "a"): Invalid integer "01": cannot have leading zeroes'),
    (
        "a = 1__2",
        'ERR toml: line 1 (last key "a"): Invalid integer "1__2": underscores must be surrounded by digits',
    ),
    (
        "a = 1.",
        'ERR toml: line 1 (last key "a"): Invalid float "1.": \'.\' must be followed by one or more digits',
    ),
    ("a = .5", "ERR toml: line 1 (last key \"a\"): floats must start with a digit, not '.'"),
    ("a = 0x", "ERR toml: line 1 (last key \"a\"): not a hexadecimal number: '0x\x00'"),
    (
        "a = +0x10",
        "ERR toml: line 1 (last key \"a\"): cannot use sign with non-decimal numbers: '+0x'",
    ),
    (
        "a = 99999999999999999999",
        'ERR toml: line 1 (last key "a"): 99999999999999999999 is out of range for int64',
    ),
    (
        "a = 1979-05-27T25:00:00Z",
        'ERR toml: line 1 (last key "a"): invalid datetime: "1979-05-27T25:00:00Z"',
    ),
    ("a = [1,,2]", 'ERR toml: line 1 (last key "a"): unexpected comma'),
    (
        "a = [1 2]",
        "ERR toml: line 1 (last key \"a\"): expected a comma (',') or array terminator (']'), but got '2'",
    ),
    ("a = [1,", 'ERR toml: line 1 (last key "a"): unexpected EOF; expected value'),
    ("a = {x=1,}", "OK map[a:map[x:1]]"),
    ("a = {x=1\n}", "OK map[a:map[x:1]]"),
    ("a = {x=1, x=2}", "ERR toml: line 1 (last key \"a.x\"): Key 'a.x' has already been defined."),
    ("a = 'abc", 'ERR toml: line 1 (last key "a"): unexpected EOF; expected "\'"'),
    ('a = """abc', 'ERR toml: line 1 (last key "a"): unexpected EOF; expected \'"""\''),
    ("a = '''abc", 'ERR toml: line 1 (last key "a"): unexpected EOF; expected "\'\'\'"'),
    (
        'a = "\\u12"',
        'ERR toml: line 1 (last key "a"): expected four hexadecimal digits after \'\\u\', but got "\\\\u12\\"" instead',
    ),
    (
        'a = "\\uD800"',
        "ERR toml: line 1 (last key \"a\"): Escaped character '\\uD800' is not valid UTF-8.",
    ),
    ("x = 1\n[x]\ny = 2", "ERR toml: line 2: Key 'x' has already been defined."),
    (
        "[x]\ny=1\n[[x]]",
        "ERR toml: line 3: Key 'x' was already created and cannot be used as an array.",
    ),
    (
        "a = [1]\n[[a]]",
        "ERR toml: line 2: Key 'a' was already created and cannot be used as an array.",
    ),
    ("a.b = 1\na = 2", "OK map[a:map[b:1]]"),
    ("= 1", "ERR toml: line 1: unexpected '=': key name appears blank"),
    (".a = 1", "ERR toml: line 1: unexpected '.': keys cannot start with a '.'"),
    ("a. = 1", "ERR toml: line 1: unexpected '='"),
    (
        'a = "\x01"',
        "ERR toml: line 1 (last key \"a\"): TOML files cannot contain control characters: '0x01'",
    ),
    (
        'a = 1\n\nb = "abc\nc = 3',
        'ERR toml: line 3 (last key "b"): strings cannot contain newlines',
    ),
    (
        '[tbl]\nkey = "val"\nkey2 = }',
        "ERR toml: line 3 (last key \"tbl.key2\"): expected value but found '}' instead",
    ),
    (
        "a = 1 # c\n[b]\nc = d",
        'ERR toml: line 3 (last key "b.c"): expected value but found "d" instead',
    ),
    ("a = inf\nb = -nan\nc = +inf", "OK map[a:+Inf b:NaN c:+Inf]"),
    (
        "a = -inf_",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got '_' instead",
    ),
    ("a = 1e", 'ERR toml: line 1 (last key "a"): Invalid float value: "1e"'),
    (
        "a = 1_",
        'ERR toml: line 1 (last key "a"): Invalid integer "1_": underscores must be surrounded by digits',
    ),
    ("a = _1", "ERR toml: line 1 (last key \"a\"): expected value but found '_' instead"),
    (
        "a = 0b102",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got '2' instead",
    ),
    ("a = 0o8", "ERR toml: line 1 (last key \"a\"): not an octal number: '0o8'"),
    (
        "a = nan1",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got '1' instead",
    ),
    ("a = -", "ERR toml: line 1 (last key \"a\"): expected a digit but got '\\x00'"),
    ("a = 1979-05-27", "OK map[a:1979-05-27 00:00:00 +0000 date-local]"),
    ("a = 07:32", "OK map[a:0000-01-01 07:32:00 +0000 time-local]"),
    ("a = 1979-05-27 07:32:00", "OK map[a:1979-05-27 07:32:00 +0000 datetime-local]"),
    ("a = 1979-5-27", 'ERR toml: line 1 (last key "a"): invalid datetime: "1979-5-27"'),
    ('a = 1\nb = "abc', 'ERR toml: line 2 (last key "b"): unexpected EOF; expected \'"\''),
    ('a = 1\nb = "abc\n', 'ERR toml: line 2 (last key "b"): strings cannot contain newlines'),
    ("a = 1\nb = 'abc", 'ERR toml: line 2 (last key "b"): unexpected EOF; expected "\'"'),
    ("a = 1\nb = 'abc\n", 'ERR toml: line 2 (last key "b"): strings cannot contain newlines'),
    ("a = 1\nb = ", 'ERR toml: line 2 (last key "b"): unexpected EOF; expected value'),
    ("a = 1\nb =\n", "ERR toml: line 2 (last key \"b\"): expected value but found '\\n' instead"),
    ("a = 1\nb\n", "ERR toml: line 2: expected '.' or '=', but got '\\n' instead"),
    (
        "a = 1\n[b",
        "ERR toml: line 2: expected '.' or ']' to end table name, but got '\\x00' instead",
    ),
    (
        "a = 1\n[b\n",
        "ERR toml: line 3: expected '.' or ']' to end table name, but got '\\n' instead",
    ),
    (
        "a = 1\n[[b]\n",
        "ERR toml: line 3: expected end of table array name delimiter ']', but got '\\n' instead",
    ),
    ("a = 1\nb = [1,\n2,\n", 'ERR toml: line 3 (last key "b"): unexpected EOF; expected value'),
    (
        "a = 1\nb = {x = 1,\n",
        "ERR toml: line 3 (last key \"b.x\"): unexpected '=': key name appears blank",
    ),
    ('a = 1\nb = """x\ny', 'ERR toml: line 3 (last key "b"): unexpected EOF; expected \'"""\''),
    (
        'x = 1\n\n\n# c\ny = "\\q"',
        "ERR toml: line 5 (last key \"y\"): invalid escape in string '\\q'",
    ),
    ("[a]\nb.c = 1\n[a.b]\nd = 2", "OK map[a:map[b:map[c:1 d:2]]]"),
    ("[a.b]\nc=1\n[a]\nd=2", "OK map[a:map[b:map[c:1] d:2]]"),
    ("[a]\n[a.b]\n[a]", "ERR toml: line 3: Key 'a' has already been defined."),
    ("[a.b]\n[a.b]", "ERR toml: line 2 (last key \"a\"): Key 'a.b' has already been defined."),
    ("a = {b = 1}\n[a]\nc = 2", "ERR toml: line 2: Key 'a' has already been defined."),
    ("a = {b = 1}\na.c = 2", "OK map[a:map[b:1 c:2]]"),
    ("[[a]]\nb = 1\n[a.c]\nd = 2\n[[a]]\nb = 2", "OK map[a:[map[b:1 c:map[d:2]] map[b:2]]]"),
    ("[[a.b]]\nx=1\n[a]\ny=2", "OK map[a:map[b:[map[x:1]] y:2]]"),
    ("a = [{b=1}, {b=2, c={d=3}}]", "OK map[a:[map[b:1] map[b:2 c:map[d:3]]]]"),
    (
        "a = [{b=1}, {b=1, b=2}]",
        "ERR toml: line 1 (last key \"a.b\"): Key 'a.b' has already been defined.",
    ),
    (
        '"a.b" = 1\n"a.b" = 2',
        'ERR toml: line 2 (last key "a.b"): Key \'"a.b"\' has already been defined.',
    ),
    (
        '"a b".c = 1\n"a b".c = 2',
        'ERR toml: line 2 (last key "\\"a b\\".c"): Key \'"a b".c\' has already been defined.',
    ),
    (
        '["x y"]\nz = }',
        'ERR toml: line 2 (last key "\\"x y\\".z"): expected value but found \'}\' instead',
    ),
    (
        '[a]\n"q\\"k" = }',
        'ERR toml: line 2 (last key "a.q\\"k"): expected value but found \'}\' instead',
    ),
    ("a.b.c = }", "ERR toml: line 1 (last key \"a.b.c\"): expected value but found '}' instead"),
    ("a = {b = }", "ERR toml: line 1 (last key \"a.b\"): expected value but found '}' instead"),
    ("a = [1, }", "ERR toml: line 1 (last key \"a\"): expected value but found '}' instead"),
    (
        "a = {b.c = 1, b.d = }",
        "ERR toml: line 1 (last key \"a.b.d\"): expected value but found '}' instead",
    ),
    ("a = 1\n\r\nb = 2", "OK map[a:1 b:2]"),
    (
        "a = 1\rb = 2",
        "ERR toml: line 1 (last key \"a\"): TOML files cannot contain control characters: '0x0d'",
    ),
    ('a = "x\ty"', "OK map[a:x\ty]"),
    (
        'a = "x\x7fy"',
        "ERR toml: line 1 (last key \"a\"): TOML files cannot contain control characters: '0x7f'",
    ),
    ('a = "\\ "', "ERR toml: line 1 (last key \"a\"): invalid escape: '\\ '"),
    ('a = """\\ x"""', "ERR toml: line 1 (last key \"a\"): invalid escape: '\\ '"),
    ('a = """x\\   \n  y"""', "OK map[a:xy]"),
    ('a = """x""""""', 'ERR toml: line 1 (last key "a"): unexpected \'""""""\''),
    ('a = """x"""""', 'OK map[a:x""]'),
    ("a = '''x''''''", "ERR toml: line 1 (last key \"a\"): unexpected \"''''''\""),
    ("a = '''x'''''", "OK map[a:x'']"),
    (
        'a = "\\U00110000"',
        "ERR toml: line 1 (last key \"a\"): Escaped character '\\u00110000' is not valid UTF-8.",
    ),
    ('a = "\\U0001F600"', "OK map[a:😀]"),
    (
        'a = "\\x4"',
        'ERR toml: line 1 (last key "a"): expected two hexadecimal digits after \'\\x\', but got "\\\\x4\\"" instead',
    ),
    (
        'a = "\\uZZZZ"',
        'ERR toml: line 1 (last key "a"): expected four hexadecimal digits after \'\\u\', but got "\\\\uZ" instead',
    ),
    ("a = -inf\nb = +nan\nc = -0", "OK map[a:-Inf b:NaN c:0]"),
    ("a = 1e400", 'ERR toml: line 1 (last key "a"): 1e400 is out of range for float64'),
    ("a = -1e400", 'ERR toml: line 1 (last key "a"): -1e400 is out of range for float64'),
    ("a = 1e-400", "OK map[a:0]"),
    (
        "a = 9223372036854775807\nb = -9223372036854775808",
        "OK map[a:9223372036854775807 b:-9223372036854775808]",
    ),
    (
        "a = 9223372036854775808",
        'ERR toml: line 1 (last key "a"): 9223372036854775808 is out of range for int64',
    ),
    (
        "a = 0xFFFFFFFFFFFFFFFFF",
        'ERR toml: line 1 (last key "a"): 0xFFFFFFFFFFFFFFFFF is out of range for int64',
    ),
    ("a = 0x_1", "ERR toml: line 1 (last key \"a\"): not a hexadecimal number: '0x_'"),
    ("a = 0b", "ERR toml: line 1 (last key \"a\"): not a binary number: '0b\x00'"),
    ("a = 0o", "ERR toml: line 1 (last key \"a\"): not an octal number: '0o\x00'"),
    ("a = 1.5.5", 'ERR toml: line 1 (last key "a"): Invalid float value: "1.5.5"'),
    ("a = 1e5e5", 'ERR toml: line 1 (last key "a"): Invalid float value: "1e5e5"'),
    (
        "a = 1.e5",
        'ERR toml: line 1 (last key "a"): Invalid float "1.e5": \'.\' must be followed by one or more digits',
    ),
    (
        "a = 01.5",
        'ERR toml: line 1 (last key "a"): Invalid float "01.5": cannot have leading zeroes',
    ),
    (
        "a = 1_.5",
        'ERR toml: line 1 (last key "a"): Invalid float "1_.5": underscores must be surrounded by digits',
    ),
    (
        "a = -01",
        'ERR toml: line 1 (last key "a"): Invalid integer "-01": cannot have leading zeroes',
    ),
    ("a = +1", "OK map[a:1]"),
    ("a = 3.14_15", "OK map[a:3.1415]"),
    (
        "a = truefalse",
        'ERR toml: line 1 (last key "a"): expected value but found "truefalse" instead',
    ),
    ("a = True", 'ERR toml: line 1 (last key "a"): expected value but found "True" instead'),
    ("a = iNf", 'ERR toml: line 1 (last key "a"): expected value but found "iNf" instead'),
    (
        "a = -nan_",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got '_' instead",
    ),
    ("a = 1979-05-27T07:32:00", "OK map[a:1979-05-27 07:32:00 +0000 datetime-local]"),
    ("a = 1979-05-27T07:32", "OK map[a:1979-05-27 07:32:00 +0000 datetime-local]"),
    ("a = 1979-05-27T07:32Z", "OK map[a:1979-05-27 07:32:00 +0000 UTC]"),
    ("a = 1979-05-27t07:32:00z", "OK map[a:1979-05-27 07:32:00 +0000 UTC]"),
    (
        "a = 1979-05-27T07:32:60Z",
        'ERR toml: line 1 (last key "a"): invalid datetime: "1979-05-27T07:32:60Z"',
    ),
    ("a = 1979-02-30", 'ERR toml: line 1 (last key "a"): invalid datetime: "1979-02-30"'),
    (
        "a = 1979-05-27T07:32:00+25:00",
        'ERR toml: line 1 (last key "a"): invalid datetime: "1979-05-27T07:32:00+25:00"',
    ),
    (
        "a = 1979-05-27T7:32:00",
        'ERR toml: line 1 (last key "a"): invalid datetime: "1979-05-27T7:32:00"',
    ),
    ("a = 07:32:00.", 'ERR toml: line 1 (last key "a"): invalid datetime: "07:32:00."'),
    ("a = 1979-05-27 # c", "OK map[a:1979-05-27 00:00:00 +0000 date-local]"),
    (
        "a = 1979-05-27 b",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got 'b' instead",
    ),
    ("\ufeffa = 1", "OK map[a:1]"),
    ("a = 1\n\x00", "ERR toml: line 2: TOML files cannot contain control characters: '0x00'"),
    ("a = [\n  1, # one\n  2, # two\n]", "OK map[a:[1 2]]"),
    ("a = {\n  x = 1, # c\n  y = 2,\n}", "OK map[a:map[x:1 y:2]]"),
    ("a = {,}", 'ERR toml: line 1 (last key "a"): unexpected comma'),
    ("a = {x=1,,}", 'ERR toml: line 1 (last key "a.x"): unexpected comma'),
    ("a = [,]", 'ERR toml: line 1 (last key "a"): unexpected comma'),
    ("a = [1,,]", 'ERR toml: line 1 (last key "a"): unexpected comma'),
    ("[ a . b ]\nc = 1", "OK map[a:map[b:map[c:1]]]"),
    (
        "[a]]",
        "ERR toml: line 1 (last key \"a\"): expected a top-level item to end with a newline, comment, or EOF, but got ']' instead",
    ),
    (
        "[[a]]]",
        "ERR toml: line 1 (last key \"a\"): expected a top-level item to end with a newline, comment, or EOF, but got ']' instead",
    ),
    (
        "[a] b",
        "ERR toml: line 1 (last key \"a\"): expected a top-level item to end with a newline, comment, or EOF, but got 'b' instead",
    ),
    ("[a b]", "ERR toml: line 1: expected '.' or ']' to end table name, but got 'b' instead"),
    ("[a.'b'.\"c\"]\nd=1", "OK map[a:map[b:map[c:map[d:1]]]]"),
    ("a = 1 # comment\n# comment\n", "OK map[a:1]"),
    (
        "a=1\n\n\n\n[b]\n\n\nc",
        "ERR toml: line 8 (last key \"b\"): unexpected EOF; expected key separator '='",
    ),
    (
        "a.'b c'.d = 1\na.'b c'.d = 2",
        'ERR toml: line 2 (last key "a.\\"b c\\".d"): Key \'a."b c".d\' has already been defined.',
    ),
    ('a = """\n"""', "OK map[a:]"),
    ("a = '''\r\nx'''", "OK map[a:x]"),
    ('"""a""" = 1', "ERR toml: line 1: expected '.' or '=', but got '\"' instead"),
    (
        "a = []\n[[a]]",
        "ERR toml: line 2: Key 'a' was already created and cannot be used as an array.",
    ),
    ("[[a]]\n[a]", "ERR toml: line 2: Key 'a' has already been defined."),
    ('a = [[1, 2], ["a"]]', "OK map[a:[[1 2] [a]]]"),
    ("a = { b = [ { c = 1 } ] }", "OK map[a:map[b:[map[c:1]]]]"),
    ("k = v\n", 'ERR toml: line 1 (last key "k"): expected value but found "v" instead'),
    (
        'k = "v" "w"',
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got '\"' instead",
    ),
    (
        "k = 'v' x",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got 'x' instead",
    ),
    (
        "k = {a=1} x",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got 'x' instead",
    ),
    (
        "k = [1] x",
        "ERR toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got 'x' instead",
    ),
    ("a = 1\nb = -\n", "ERR toml: line 3 (last key \"b\"): expected a digit but got '\\n'"),
    ("a = 1\nb = -", "ERR toml: line 2 (last key \"b\"): expected a digit but got '\\x00'"),
    (
        "a = 1\n[a.\n",
        "ERR toml: line 3: expected '.' or ']' to end table name, but got '\\n' instead",
    ),
    ("a = 1\n[a.", "ERR toml: line 2: unexpected end of table name (table names cannot be empty)"),
    (
        "a = 1\nc = {x\n",
        "ERR toml: line 2 (last key \"c\"): expected '.' or '=', but got '\\n' instead",
    ),
    (
        "a = 1\nc = {x",
        "ERR toml: line 2 (last key \"c\"): unexpected EOF; expected key separator '='",
    ),
    (
        "a = 1\nc = [1\n",
        "ERR toml: line 2 (last key \"c\"): expected a comma (',') or array terminator (']'), but got end of file",
    ),
    (
        "a = 1\nc = [1",
        "ERR toml: line 2 (last key \"c\"): expected a comma (',') or array terminator (']'), but got end of file",
    ),
    ("a = 1\nc = tr\n", 'ERR toml: line 2 (last key "c"): expected value but found "tr" instead'),
    ("a = 1\nc = tr", 'ERR toml: line 2 (last key "c"): expected value but found "tr" instead'),
    ('a = 1\nc = "x\\', "ERR toml: line 1 (last key \"c\"): invalid escape in string '\\\x00'"),
    ('a = 1\nc = "x\\\n', "ERR toml: line 3 (last key \"c\"): invalid escape in string '\\\n'"),
    (
        'a = 1\nc = "\\u12\n',
        'ERR toml: line 3 (last key "c"): expected four hexadecimal digits after \'\\u\', but got "\\\\u12\\n" instead',
    ),
    (
        'a = 1\nc = "\\u12',
        'ERR toml: line 2 (last key "c"): expected four hexadecimal digits after \'\\u\', but got "\\\\u12" instead',
    ),
    ("a = 1\nc = 0x\n", "ERR toml: line 2 (last key \"c\"): not a hexadecimal number: '0x\n'"),
    (
        "a = 1\nc = +0b1\n",
        "ERR toml: line 2 (last key \"c\"): cannot use sign with non-decimal numbers: '+0b'",
    ),
    ("a = 1\nc = nax\n", 'ERR toml: line 2 (last key "c"): expected value but found "ax" instead'),
    ("a = 1\nc = -nax\n", "ERR toml: line 2 (last key \"c\"): invalid float: '-na'"),
    (
        "a = 1\nc = 1 2\n",
        "ERR toml: line 2: expected a top-level item to end with a newline, comment, or EOF, but got '2' instead",
    ),
    (
        "a = 1\n[[c]\n\n",
        "ERR toml: line 3: expected end of table array name delimiter ']', but got '\\n' instead",
    ),
    ('a = 1\n"c\n', "ERR toml: line 2: strings cannot contain newlines"),
    ("a = 1\n'c\n", "ERR toml: line 2: strings cannot contain newlines"),
    ('a = 1\n"c', "ERR toml: line 2: unexpected EOF; expected '\"'"),
    ("a = 1\nc.\n", "ERR toml: line 2: expected '.' or '=', but got '\\n' instead"),
    ("a = 1\nc.", "ERR toml: line 2: unexpected '='"),
    ("a = 1\n=\n", "ERR toml: line 2: unexpected '=': key name appears blank"),
    ("a = 1\n.\n", "ERR toml: line 2: unexpected '.': keys cannot start with a '.'"),
    (
        "a = 1\nc = .\n",
        "ERR toml: line 2 (last key \"c\"): floats must start with a digit, not '.'",
    ),
    (
        "a = 1\nc = {x=1 y=2}\n",
        "ERR toml: line 2 (last key \"c.x\"): expected a comma or an inline table terminator '}', but got 'y' instead",
    ),
    (
        "a = 1\nc = {x=1\n\n",
        "ERR toml: line 3 (last key \"c.x\"): expected a comma or an inline table terminator '}', but got end of file instead",
    ),
    ("a = 1\nc = [1,\n", 'ERR toml: line 2 (last key "c"): unexpected EOF; expected value'),
    ("a = 1\nc = [\n", 'ERR toml: line 2 (last key "c"): unexpected EOF; expected value'),
    ("a = 1\nc = {\n", "ERR toml: line 3 (last key \"c\"): unexpected '=': key name appears blank"),
    ('a = 1\nc = """\n', 'ERR toml: line 2 (last key "c"): unexpected EOF; expected \'"""\''),
    ("a = 1\nc = '''\n", 'ERR toml: line 2 (last key "c"): unexpected EOF; expected "\'\'\'"'),
    (
        "a = 1\nc = 1979-05-27T\n",
        'ERR toml: line 2 (last key "c"): invalid datetime: "1979-05-27T"',
    ),
    (
        "a = 1\nc = 1__0\n",
        'ERR toml: line 2 (last key "c"): Invalid integer "1__0": underscores must be surrounded by digits',
    ),
    (
        "a = 1\nc = 1\r",
        "ERR toml: line 2 (last key \"c\"): TOML files cannot contain control characters: '0x0d'",
    ),
    (
        "a = 1\r\nc = \r\n",
        "ERR toml: line 2 (last key \"c\"): expected value but found '\\r' instead",
    ),
    ("a = 1\r\nc\r\n", "ERR toml: line 2: expected '.' or '=', but got '\\r' instead"),
    (
        "a = 1\n\n\nc = 1\nc = 2\n",
        "ERR toml: line 5 (last key \"c\"): Key 'c' has already been defined.",
    ),
    ("a = 1\n[x]\n\n\n[x]\n", "ERR toml: line 5: Key 'x' has already been defined."),
    (
        "a = 1\n[x]\n\n\ny = 1\ny = 2\n",
        "ERR toml: line 6 (last key \"x.y\"): Key 'x.y' has already been defined.",
    ),
    (
        "a = 1\nx = {y=1,\n\ny=2}\n",
        "ERR toml: line 4 (last key \"x.y\"): Key 'x.y' has already been defined.",
    ),
    (
        "a = 1\n[x]\ny = [\n1,\n2,\n3\n}\n",
        "ERR toml: line 7 (last key \"x.y\"): expected a comma (',') or array terminator (']'), but got '}'",
    ),
    (
        'title = "TOML Example"\n\n[owner]\nname = "Tom"\ndob = 1979-05-27T07:32:00-08:00\n\n[database]\nenabled = true\nports = [ 8000, 8001, 8002 ]\ndata = [ ["delta", "phi"], [3.14] ]\ntemp_targets = { cpu = 79.5, case = 72.0 }\n\n[servers]\n\n[servers.alpha]\nip = "10.0.0.1"\nrole = "frontend"\n\n[servers.beta]\nip = "10.0.0.2"\nrole = "backend"\n',
        "OK map[database:map[data:[[delta phi] [3.14]] enabled:true ports:[8000 8001 8002] temp_targets:map[case:72 cpu:79.5]] owner:map[dob:1979-05-27 07:32:00 -0800 -0800 name:Tom] servers:map[alpha:map[ip:10.0.0.1 role:frontend] beta:map[ip:10.0.0.2 role:backend]] title:TOML Example]",
    ),
    (
        '[[products]]\nname = "Hammer"\nsku = 738594937\n\n[[products]]  # empty table within the array\n\n[[products]]\nname = "Nail"\nsku = 284758393\n\ncolor = "gray"',
        "OK map[products:[map[name:Hammer sku:738594937] map[] map[color:gray name:Nail sku:284758393]]]",
    ),
    (
        '[[fruits]]\nname = "apple"\n\n[fruits.physical]\ncolor = "red"\nshape = "round"\n\n[[fruits.varieties]]\nname = "red delicious"\n\n[[fruits.varieties]]\nname = "granny smith"\n\n[[fruits]]\nname = "banana"\n\n[[fruits.varieties]]\nname = "plantain"',
        "OK map[fruits:[map[name:apple physical:map[color:red shape:round] varieties:[map[name:red delicious] map[name:granny smith]]] map[name:banana varieties:[map[name:plantain]]]]]",
    ),
    (
        "points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n           { x = 2, y = 4, z = 8 } ]",
        "OK map[points:[map[x:1 y:2 z:3] map[x:7 y:8 z:9] map[x:2 y:4 z:8]]]",
    ),
    ("a = [{b = {c = 1}}, {b = {d = 2}}]", "OK map[a:[map[b:map[c:1]] map[b:map[d:2]]]]"),
    ("a.b.c = 1\na.b.d = 2\na.e = 3", "OK map[a:map[b:map[c:1 d:2] e:3]]"),
    ("[a]\nb.c = 1\nb.d = 2", "OK map[a:map[b:map[c:1 d:2]]]"),
    ("x = {a.b = 1, a.c = 2}", "OK map[x:map[a:map[b:1 c:2]]]"),
    ("x = {}\ny = []", "OK map[x:map[] y:[]]"),
    (
        'str1 = """\nRoses are red\nViolets are blue"""\nstr2 = """\\\n  The quick \\\n  brown fox.\\\n  """',
        "OK map[str1:Roses are red\nViolets are blue str2:The quick brown fox.]",
    ),
    ('s = "\\b\\t\\n\\f\\r\\"\\\\\\e\\x41"', 'OK map[s:\x08\t\n\x0c\r"\\\x1bA]'),
    (
        "int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nhex1 = 0xDEADBEEF\noct1 = 0o755\nbin1 = 0b11010110",
        "OK map[bin1:214 hex1:3735928559 int1:99 int2:42 int3:0 int4:-17 int5:1000 oct1:493]",
    ),
    (
        "flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\nflt7 = 6.626e-34\nflt8 = 224_617.445_991_228",
        "OK map[flt1:1 flt2:3.1415 flt3:-0.01 flt4:5e+22 flt5:1e+06 flt6:-0.02 flt7:6.626e-34 flt8:224617.445991228]",
    ),
    ('a = [1, 2.5, "x", true, [], {}]', "OK map[a:[1 2.5 x true [] map[]]]"),
    ("[a]\n[a.b]\n[a.b.c]\nd = 1", "OK map[a:map[b:map[c:map[d:1]]]]"),
    ("[a.b.c]\nd = 1\n[a]\ne = 2", "OK map[a:map[b:map[c:map[d:1]] e:2]]"),
    ("[a]\nb = [1]\n[[a.c]]\n", "OK map[a:map[b:[1] c:[map[]]]]"),
    ('"" = 1\n[""]\nx = 2', "ERR toml: line 2: Key '\"\"' has already been defined."),
    (
        "a = 1979-05-27\nb = 07:32\nc = 1979-05-27T07:32:00Z\nd = 1979-05-27T07:32:00-08:00\ne = 1979-05-27T07:32:00.999\nf = 1979-05-27 07:32:00.5+01:30\ng = 07:32:01.123456789123",
        "OK map[a:1979-05-27 00:00:00 +0000 date-local b:0000-01-01 07:32:00 +0000 time-local c:1979-05-27 07:32:00 +0000 UTC d:1979-05-27 07:32:00 -0800 -0800 e:1979-05-27 07:32:00.999 +0000 datetime-local f:1979-05-27 07:32:00.5 +0130 +0130 g:0000-01-01 07:32:01.123456789 +0000 time-local]",
    ),
    (
        "a = 1979-05-27T00:32:00.999999-07:00\nb = 1979-05-27T07:32:00+00:00",
        "OK map[a:1979-05-27 00:32:00.999999 -0700 -0700 b:1979-05-27 07:32:00 +0000 UTC]",
    ),
    (
        "i = 1\nf = 1.5\nb = true\ns = 's'\nh = 0xff\no = 0o17\nbi = 0b11\nn = nan\nin = -inf\nz = -0.0\nbig = 1e300\ne = 1_000",
        "OK map[b:true bi:3 big:1e+300 e:1000 f:1.5 h:255 i:1 in:-Inf n:NaN o:15 s:s z:-0]",
    ),
    ("a = 1979-13-01", 'ERR toml: line 1 (last key "a"): invalid datetime: "1979-13-01"'),
    (
        "a = 1979-05-27T24:00:00",
        'ERR toml: line 1 (last key "a"): invalid datetime: "1979-05-27T24:00:00"',
    ),
    ("a = 1979-05-27T07:32:00+24:00", "OK map[a:1979-05-27 07:32:00 +2400 +2400]"),
    (
        "a = 1979-05-27T07:32:00.Z",
        'ERR toml: line 1 (last key "a"): invalid datetime: "1979-05-27T07:32:00.Z"',
    ),
    (
        "a = 2000-02-29\nb = 2001-02-29",
        'ERR toml: line 2 (last key "b"): invalid datetime: "2001-02-29"',
    ),
]


def ours(doc: str) -> str:
    m = from_toml(doc)
    if "Error" in m:
        return "ERR " + m["Error"]
    return "OK " + gofmt.format_value(m)


def test_table_is_large() -> None:
    assert len(TOML_CASES) >= 200
    assert sum(e.startswith("ERR") for _, e in TOML_CASES) >= 150


@pytest.mark.parametrize(("doc", "expected"), TOML_CASES, ids=[d[:40] for d, _ in TOML_CASES])
def test_case(doc: str, expected: str) -> None:
    assert ours(doc) == expected


def test_go_types_of_values() -> None:
    m = from_toml("i = 1\nf = 1.5\n[[t]]\na = [{b = 1}]\nd = 1979-05-27")
    assert type(m["i"]) is Int64
    assert type_of(m["f"]) == "float64"
    assert isinstance(m["t"], TableArray)
    assert type_of(m["t"]) == "[]map[string]interface {}"
    assert type_of(m["t"][0]["a"]) == "[]interface {}"
    assert type_of(m["t"][0]["d"]) == "time.Time"


def test_z_offset_is_utc_in_any_location() -> None:
    # Go's time.Parse gives UTC for a "Z" (or "UTC") zone whatever the location
    # it parses in, even one whose offset is also 0 (BurntSushi's date-local ...)
    t = gotime.go_parse(
        "2006-01-02T15:04:05Z07:00", "1979-05-27T07:32:00Z", FixedZone("date-local", 0)
    )
    assert t.String() == "1979-05-27 07:32:00 +0000 UTC"


def test_live_oracle(helm_oracle: Any) -> None:
    d = tempfile.mkdtemp()
    cwd = os.getcwd()
    try:
        os.makedirs(f"{d}/c/templates")
        os.makedirs(f"{d}/c/t")
        with open(f"{d}/c/Chart.yaml", "w") as f:
            f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
        for i, (doc, _) in enumerate(TOML_CASES):
            with open(f"{d}/c/t/{i:03d}.toml", "w") as f:
                f.write(doc)
            with open(f"{d}/c/templates/{i:03d}.txt", "w") as f:
                f.write(TEMPLATE % i)
        os.chdir(tempfile.gettempdir())
        out = helm_oracle.Chart.load(f"{d}/c").render(values={}, name="rel")
    finally:
        os.chdir(cwd)
        shutil.rmtree(d)
    for i, (doc, expected) in enumerate(TOML_CASES):
        assert out[f"c/templates/{i:03d}.txt"] == expected, doc
