"""Lexer and parser of text/template.

Cases follow Go's src/text/template/parse/lex_test.go (``lexTests``) and
parse_test.go (``parseTests`` and ``errorTests``); the expected ``String()`` forms
are the ones listed there.
"""

from __future__ import annotations

import pytest

from polystack.helm.template import ParseError
from polystack.helm.template.lexer import ItemType as T
from polystack.helm.template.lexer import Lexer
from polystack.helm.template.parse import UnquoteError, go_unquote, new_number, parse


def lex(text: str) -> list[tuple[T, str]]:
    lx = Lexer("t", text)
    out = []
    while True:
        item = lx.next_item()
        out.append((item.typ, item.val))
        if item.typ in (T.EOF, T.ERROR):
            return out


def test_lex_basic() -> None:
    # lexTests "empty", "spaces", "text", "text with comment"
    assert lex("") == [(T.EOF, "")]
    assert lex(" \t\n") == [(T.TEXT, " \t\n"), (T.EOF, "")]
    assert lex("now is the time") == [(T.TEXT, "now is the time"), (T.EOF, "")]
    assert lex("hello-{{/* this is a comment */}}-world") == [
        (T.TEXT, "hello-"),
        (T.TEXT, "-world"),
        (T.EOF, ""),
    ]


def test_lex_punctuation_and_keywords() -> None:
    # lexTests "punctuation", "keywords"
    assert lex("{{,@% }}") == [
        (T.LEFT_DELIM, "{{"),
        (T.CHAR, ","),
        (T.CHAR, "@"),
        (T.CHAR, "%"),
        (T.SPACE, " "),
        (T.RIGHT_DELIM, "}}"),
        (T.EOF, ""),
    ]
    toks = lex("{{range if else end with}}")
    assert [t for t, _ in toks] == [
        T.LEFT_DELIM,
        T.RANGE,
        T.SPACE,
        T.IF,
        T.SPACE,
        T.ELSE,
        T.SPACE,
        T.END,
        T.SPACE,
        T.WITH,
        T.RIGHT_DELIM,
        T.EOF,
    ]


def test_lex_values() -> None:
    # lexTests "quote", "raw quote", "numbers", "characters", "bools", "dot", "nil", "dots"
    assert lex('{{"abc \\n\\t\\" "}}')[1] == (T.STRING, '"abc \\n\\t\\" "')
    assert lex('{{`abc\n\\t\\" `}}')[1] == (T.RAW_STRING, '`abc\n\\t\\" `')
    nums = lex("{{1 02 0x14 0X14 -7.2i 1e3 1E3 +1.2e-4 4.2i 1+2i 1_2 0x1.e_fp4 0X1.E_FP4}}")
    assert [v for t, v in nums if t in (T.NUMBER, T.COMPLEX)] == [
        "1",
        "02",
        "0x14",
        "0X14",
        "-7.2i",
        "1e3",
        "1E3",
        "+1.2e-4",
        "4.2i",
        "1+2i",
        "1_2",
        "0x1.e_fp4",
        "0X1.E_FP4",
    ]
    chars = lex("{{'a' '\\n' '\\'' '\\\\' '\\u00FF' '\\xFF' '本'}}")
    assert [v for t, v in chars if t == T.CHAR_CONSTANT] == [
        "'a'",
        "'\\n'",
        "'\\''",
        "'\\\\'",
        "'\\u00FF'",
        "'\\xFF'",
        "'本'",
    ]
    assert [t for t, _ in lex("{{true false}}")][1:4] == [T.BOOL, T.SPACE, T.BOOL]
    assert lex("{{.}}")[1] == (T.DOT, ".")
    assert lex("{{nil}}")[1] == (T.NIL, "nil")
    assert [v for t, v in lex("{{.x . .2 .x.y.z}}") if t not in (T.SPACE,)] == [
        "{{",
        ".x",
        ".",
        ".2",
        ".x",
        ".y",
        ".z",
        "}}",
        "",
    ]


def test_lex_variables_and_declarations() -> None:
    # lexTests "variable", "variable invocation", "declaration", "2 declarations"
    assert lex("{{$c := printf $ $hello $23 $ $var.Field .Method}}")[1:4] == [
        (T.VARIABLE, "$c"),
        (T.SPACE, " "),
        (T.DECLARE, ":="),
    ]
    assert lex("{{$x = 1}}")[3] == (T.ASSIGN, "=")
    toks = lex("{{$v , $w := 3}}")
    assert (T.CHAR, ",") in toks


def test_lex_trim_markers() -> None:
    # lexTests "trimming spaces before and after", "trimming spaces before and after comment"
    assert lex("hello- {{- 3 -}} -world") == [
        (T.TEXT, "hello-"),
        (T.LEFT_DELIM, "{{"),
        (T.NUMBER, "3"),
        (T.RIGHT_DELIM, "}}"),
        (T.TEXT, "-world"),
        (T.EOF, ""),
    ]
    assert lex("hello- {{- /* hello */ -}} -world") == [
        (T.TEXT, "hello-"),
        (T.TEXT, "-world"),
        (T.EOF, ""),
    ]
    # "{{-3}}" is the number -3, not a trim marker
    assert lex("{{-3}}")[1] == (T.NUMBER, "-3")


def test_lex_errors() -> None:
    # lexTests "badchar", "unclosed action", "EOF in action", "unclosed quote",
    # "unclosed raw quote", "unclosed char constant", "bad number", "unclosed paren"
    assert lex("#{{\x01}}")[-1] == (T.ERROR, "unrecognized character in action: U+0001")
    assert lex("{{")[-1] == (T.ERROR, "unclosed action")
    assert lex("{{range")[-1] == (T.ERROR, "unclosed action")
    assert lex('{{"\n"}}')[-1] == (T.ERROR, "unterminated quoted string")
    assert lex("{{`xx}}")[-1] == (T.ERROR, "unterminated raw quoted string")
    assert lex("{{'\n}}")[-1] == (T.ERROR, "unterminated character constant")
    assert lex("{{3k}}")[-1] == (T.ERROR, 'bad number syntax: "3k"')
    assert lex("{{(3}}")[-1] == (T.ERROR, "unclosed left paren")
    assert lex("{{3)}}")[-1] == (T.ERROR, "unexpected right paren")
    assert lex("{{/* x")[-1] == (T.ERROR, "unclosed comment")
    assert lex("{{/* x */ }}")[-1] == (T.ERROR, "comment ends before closing delimiter")


def _has(name: str) -> bool:
    return name in {"printf", "print", "len", "html", "and", "or", "not", "index", "eq"}


PARSE_CASES = [
    # parseTests: (input, String() of the tree)
    ("", ""),
    ("{{/*\n\n\n*/}}", ""),
    (" \t\n", " \t\n"),
    ("some text", "some text"),
    ("{{.X}}", "{{.X}}"),
    ("{{printf}}", "{{printf}}"),
    ("{{$}}", "{{$}}"),
    ("{{with $x := 3}}{{$x 23}}{{end}}", "{{with $x := 3}}{{$x 23}}{{end}}"),
    ("{{$.I}}", "{{$.I}}"),
    ("{{$x := .X | .Y}}", "{{$x := .X | .Y}}"),
    ("{{$x, $y := .X}}", ""),  # error: too many declarations
    ("{{.X.Y.Z}}", "{{.X.Y.Z}}"),
    ("{{(.X).Y}}", "{{(.X).Y}}"),
    ("{{(.X 1 2).Y}}", "{{(.X 1 2).Y}}"),
    ("{{.X 1 2 .Y}}", "{{.X 1 2 .Y}}"),
    ("{{.X | .Y | .Z}}", "{{.X | .Y | .Z}}"),
    ("{{if .X}}hello{{end}}", '{{if .X}}"hello"{{end}}'.replace('"', "")),
    ("{{if .X}}true{{else}}false{{end}}", "{{if .X}}true{{else}}false{{end}}"),
    (
        "{{if .X}}true{{else if .Y}}false{{end}}",
        "{{if .X}}true{{else}}{{if .Y}}false{{end}}{{end}}",
    ),
    (
        "{{with .X}}a{{else with .Y}}b{{end}}",
        "{{with .X}}a{{else}}{{with .Y}}b{{end}}{{end}}",
    ),
    ("{{range .X}}hello{{end}}", "{{range .X}}hello{{end}}"),
    ("{{range .X.Y.Z}}hello{{end}}", "{{range .X.Y.Z}}hello{{end}}"),
    ("{{range .X}}true{{else}}false{{end}}", "{{range .X}}true{{else}}false{{end}}"),
    ("{{range $x := .SI}}{{.}}{{end}}", "{{range $x := .SI}}{{.}}{{end}}"),
    ("{{range $x, $y := .SI}}{{.}}{{end}}", "{{range $x, $y := .SI}}{{.}}{{end}}"),
    ("{{range .SI}}{{.}}{{break}}{{end}}", "{{range .SI}}{{.}}{{break}}{{end}}"),
    ("{{range .SI}}{{.}}{{continue}}{{end}}", "{{range .SI}}{{.}}{{continue}}{{end}}"),
    ('{{range .X | .M}}"true"{{end}}', '{{range .X | .M}}"true"{{end}}'),
    ('{{template "x"}}', '{{template "x"}}'),
    ('{{template "x" .Y}}', '{{template "x" .Y}}'),
    ("{{.X | len}}", "{{.X | len}}"),
    ('{{"x" | printf}}', '{{"x" | printf}}'),
    ("{{(printf .X).Y}}", "{{(printf .X).Y}}"),
    ("{{3 2}}", "{{3 2}}"),
    ('{{printf "%d" ( 1 ) }}', '{{printf "%d" (1)}}'),
    ("{{ 'x' }}", "{{'x'}}"),
    ("{{ 0x10 }}", "{{0x10}}"),
]


@pytest.mark.parametrize("text,want", PARSE_CASES)
def test_parse_string_forms(text: str, want: str) -> None:
    if want == "" and text.startswith("{{$x, $y"):
        with pytest.raises(ParseError, match="too many declarations in command"):
            parse("t", text, _has)
        return
    trees = parse("t", text, _has)
    assert str(trees["t"].root) == want


ERROR_CASES = [
    # errorTests: (input, expected message)
    ("{{end}}", "template: t:1: unexpected {{end}}"),
    ("{{else}}", "template: t:1: unexpected {{else}}"),
    ("{{if .X}}", "template: t:1: unexpected EOF"),
    ("{{range .X}}{{else}}{{else}}{{end}}", "template: t:1: expected end; found {{else}}"),
    ("{{undefined}}", 'template: t:1: function "undefined" not defined'),
    ("{{$x}}", 'template: t:1: undefined variable "$x"'),
    ("{{with $x := 4}}{{end}}{{$x}}", 'template: t:1: undefined variable "$x"'),
    ("{{template $v}}", 'template: t:1: unexpected "$v" in template clause'),
    ("{{printf 3, 4}}", 'template: t:1: unexpected "," in operand'),
    ("{{(3)}}", ""),
    ("{{nil}}", ""),
    ("{{.X|3}}", "template: t:1: non executable command in pipeline stage 2"),
    ("{{3|.X|nil}}", "template: t:1: non executable command in pipeline stage 3"),
    ("{{$x := 23}}{{$x.y := 23}}", 'template: t:1: unexpected ":=" in operand'),
    ("{{range $k, $v, $w := .}}{{end}}", "template: t:1: too many declarations in range"),
    ("{{range $k, 3}}{{end}}", "template: t:1: range can only initialize variables"),
    ("{{true.any}}", 'template: t:1: unexpected . after term "true"'),
    ("{{'c'.any}}", "template: t:1: unexpected . after term \"'c'\""),
    ("{{`x`.any}}", 'template: t:1: unexpected . after term "`x`"'),
    ("{{nil.any}}", 'template: t:1: unexpected . after term "nil"'),
    ("{{.}}{{.x.}}", "template: t:1: unexpected <.> in operand"),
    ("{{break}}", "template: t:1: {{break}} outside {{range}}"),
    ("{{continue}}", "template: t:1: {{continue}} outside {{range}}"),
    ("{{range .}}{{break 1}}{{end}}", 'template: t:1: unexpected "1" in {{break}}'),
    (
        '{{define "a"}}a{{end}}{{define "a"}}b{{end}}',
        'template: t:1: template: multiple definition of template "a"',
    ),
    ("{{define 3}}{{end}}", 'template: t:1: unexpected "3" in define clause'),
    ("x\n{{if}}", "template: t:2: missing value for if"),
    ("{{\n.X\n", "template: t:3: unclosed action started at t:1"),
    ("\n{{.X\n\n\n", "template: t:5: unclosed action started at t:2"),
    ('{{"\\q"}}', "template: t:1: invalid syntax"),
]


@pytest.mark.parametrize("text,want", ERROR_CASES)
def test_parse_errors(text: str, want: str) -> None:
    if not want:
        parse("t", text, _has)  # parses; fails only when executed
        return
    with pytest.raises(ParseError) as e:
        parse("t", text, _has)
    assert e.value.message == want


def test_numbers() -> None:
    # parse_test.go numberTests
    n = new_number(0, "0", T.NUMBER)
    assert (n.is_int, n.is_uint, n.is_float) == (True, True, True)
    n = new_number(0, "-1", T.NUMBER)
    assert (n.is_int, n.is_uint, n.is_float, n.int64) == (True, False, True, -1)
    n = new_number(0, "1.5", T.NUMBER)
    assert (n.is_int, n.is_float, n.float64) == (False, True, 1.5)
    n = new_number(0, "1e9", T.NUMBER)
    assert (n.is_int, n.int64, n.is_float) == (True, 1_000_000_000, True)
    n = new_number(0, "0x10", T.NUMBER)
    assert n.int64 == 16
    n = new_number(0, "0b1011", T.NUMBER)
    assert n.int64 == 11
    n = new_number(0, "0o17", T.NUMBER)
    assert n.int64 == 15
    n = new_number(0, "017", T.NUMBER)
    assert n.int64 == 15
    n = new_number(0, "1_000", T.NUMBER)
    assert n.int64 == 1000
    n = new_number(0, "0x_1p-2", T.NUMBER)
    assert n.float64 == 0.25 and not n.is_int
    n = new_number(0, "'a'", T.CHAR_CONSTANT)
    assert (n.int64, n.float64) == (97, 97.0)
    n = new_number(0, "18446744073709551615", T.NUMBER)
    assert (n.is_int, n.is_uint) == (False, True)
    with pytest.raises(ValueError, match="illegal number syntax"):
        new_number(0, "0x", T.NUMBER)


def test_unquote() -> None:
    # strconv unquote_test.go unquotetests / misquoted
    assert go_unquote('""') == ""
    assert go_unquote('"a"') == "a"
    assert go_unquote('"abc"') == "abc"
    assert go_unquote('"☺"') == "☺"
    assert go_unquote('"\\u263a"') == "☺"
    assert go_unquote('"\\U0010ffff"') == "\U0010ffff"
    assert go_unquote('"\\x41\\101\\a\\b"') == "AA\a\b"
    assert go_unquote("`a\\nb`") == "a\\nb"
    assert go_unquote("`a\r\nb`") == "a\nb"
    assert go_unquote("'\\''") == "'"
    for bad in ('"', '"a', "'ab'", '"\\q"', '"\\x4"', '"\\400"', "'\\\"' ".strip(), '"\\\'"'):
        with pytest.raises(UnquoteError):
            go_unquote(bad)
