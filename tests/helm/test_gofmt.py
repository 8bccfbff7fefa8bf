"""Go fmt (Sprint/Sprintln/Sprintf) and strconv float formatting.

Expected strings are cases of Go's src/fmt/fmt_test.go (``fmtTests``) and
src/strconv/ftoa_test.go unless stated otherwise.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polystack.helm.golang.fmt import format_value, print_value, sprint, sprintf, sprintln
from polystack.helm.golang.strconv import (
    can_backquote,
    format_float,
    quote,
    quote_ascii,
    quote_rune,
)
from polystack.helm.golang.types import GoStruct, Int64, StringList

# (format, arg, expected) from fmt_test.go
FMT_CASES = [
    ("%d", 12345, "12345"),
    ("%v", 12345, "12345"),
    ("%t", True, "true"),
    # strings
    ("%s", "abc", "abc"),
    ("%q", "abc", '"abc"'),
    ("%x", "abc", "616263"),
    ("%x", "xyz", "78797a"),
    ("%X", "xyz", "78797A"),
    ("% x", "xyz", "78 79 7a"),
    ("%#x", "xyz", "0x78797a"),
    ("%# x", "xyz", "0x78 0x79 0x7a"),
    ("%x", "", ""),
    ("%5s", "abc", "  abc"),
    ("%-5s", "abc", "abc  "),
    ("%05s", "abc", "00abc"),
    ("%.5s", "abcdefghijklmnopqrstuvwxyz", "abcde"),
    ("%.0s", "日本語日本語", ""),
    ("%.5s", "日本語日本語", "日本語日本"),
    ("%q", '"', '"\\""'),
    ("%#q", "abc", "`abc`"),
    ("%#q", "`", '"`"'),
    ("%q", '\a\b\f\n\r\t\v"\\', '"\\a\\b\\f\\n\\r\\t\\v\\"\\\\"'),
    ("%+q", "☺", '"\\u263a"'),
    ("%q", "☺", '"☺"'),
    ("%10q", "⌘", '       "⌘"'),
    ("%-10q", "⌘", '"⌘"       '),
    ("%010q", "⌘", '0000000"⌘"'),
    # runes / integers as characters
    ("%c", ord("x"), "x"),
    ("%c", 0x65E5, "日"),
    ("%3c", ord("⌘"), "  ⌘"),
    ("%-3c", ord("⌘"), "⌘  "),
    ("%q", ord("x"), "'x'"),
    ("%q", ord("\n"), "'\\n'"),
    ("%+q", 0x263A, "'\\u263a'"),
    ("%U", 0x1F600, "U+1F600"),
    ("%U", 0x41, "U+0041"),
    ("%#U", ord("⌘"), "U+2318 '⌘'"),
    ("%#.2U", ord("⌘"), "U+2318 '⌘'"),
    ("%.8U", 0x41, "U+00000041"),
    # integers
    ("%d", -12345, "-12345"),
    ("%+d", 12345, "+12345"),
    ("%+d", -12345, "-12345"),
    ("% d", 12345, " 12345"),
    ("%.2d", 12345, "12345"),
    ("%.6d", -12345, "-012345"),
    ("%08d", -12345, "-0012345"),
    ("%010d", 12345, "0000012345"),
    ("%-10d", 12345, "12345     "),
    ("%-010d", -12345, "-12345    "),
    ("%.0d", 0, ""),
    ("%5.0d", 0, "     "),
    ("%b", 5, "101"),
    ("%#b", 5, "0b101"),
    ("%o", 8, "10"),
    ("%#o", 8, "010"),
    ("%O", 8, "0o10"),
    ("%x", 255, "ff"),
    ("%X", 255, "FF"),
    ("%#x", 255, "0xff"),
    ("%#X", 255, "0XFF"),
    ("%x", -255, "-ff"),
    ("%+.3d", 7, "+007"),
    # floats
    ("%e", 1.0, "1.000000e+00"),
    ("%E", 1.0, "1.000000E+00"),
    ("%f", 1.0, "1.000000"),
    ("%g", 1.0, "1"),
    ("%g", 100000.0, "100000"),
    ("%g", 1e6, "1e+06"),
    ("%G", 1e-7, "1E-07"),
    ("%.3g", 1234.0, "1.23e+03"),
    ("%.4f", 1.0, "1.0000"),
    ("%+.3e", 0.0, "+0.000e+00"),
    ("%+.3e", 1.0, "+1.000e+00"),
    ("%+.3f", -1.0, "-1.000"),
    ("% .3f", 1.0, " 1.000"),
    ("%8.2f", 3.14159, "    3.14"),
    ("%-8.2f|", 3.14159, "3.14    |"),
    ("%08.2f", -3.14159, "-0003.14"),
    ("%#g", 1.0, "1.00000"),
    ("%#g", 123456.0, "123456."),
    ("%#g", 1230000.0, "1.23000e+06"),
    ("%#.4g", 1.0, "1.000"),
    ("%#.0f", 1.0, "1."),
    ("%#.0e", 1.0, "1.e+00"),
    ("%x", 1.0, "0x1p+00"),
    ("%x", 3.0, "0x1.8p+01"),
    ("%.1x", 1.0, "0x1.0p+00"),
    ("%b", 1.0, "4503599627370496p-52"),
    ("%v", 1e21, "1e+21"),
    ("%v", 1e20, "1e+20"),
    ("%v", 123456789.0, "1.23456789e+08"),
    ("%v", 0.0001, "0.0001"),
    ("%v", 0.00001, "1e-05"),
    ("%f", math.inf, "+Inf"),
    ("%v", -math.inf, "-Inf"),
    ("%v", math.nan, "NaN"),
    ("%+f", math.nan, "+NaN"),
    ("%+v", math.nan, "NaN"),
    ("%5.2f", math.inf, " +Inf"),
    ("%05.2f", -math.inf, " -Inf"),
    # booleans and bad verbs
    ("%d", True, "%!d(bool=true)"),
    ("%d", "x", "%!d(string=x)"),
    ("%s", 3, "%!s(int=3)"),
    ("%z", 3, "%!z(int=3)"),
    ("%d", None, "%!d(<nil>)"),
    ("%v", None, "<nil>"),
    ("%T", None, "<nil>"),
    ("%s", 1.5, "%!s(float64=1.5)"),
]


@pytest.mark.parametrize("fmt,arg,want", FMT_CASES)
def test_sprintf_cases(fmt: str, arg: object, want: str) -> None:
    assert sprintf(fmt, arg) == want


def test_sprintf_argument_errors() -> None:
    # fmt_test.go: reorderTests and "%!(EXTRA", "MISSING", "BADWIDTH", "BADPREC", "NOVERB"
    assert sprintf("%d %d", 1) == "1 %!d(MISSING)"
    assert sprintf("%d", 1, 2) == "1%!(EXTRA int=2)"
    assert sprintf("%d", 1, "a", None) == "1%!(EXTRA string=a, <nil>)"
    assert sprintf("%") == "%!(NOVERB)"
    assert sprintf("%!") == "%!!(MISSING)"
    assert sprintf("%*d", "x", 5) == "%!(BADWIDTH)5"
    assert sprintf("%.*d", "x", 5) == "%!(BADPREC)5"
    assert sprintf("%*d", 4, 5) == "   5"
    assert sprintf("%-*d|", 4, 5) == "5   |"
    assert sprintf("%*d|", -4, 5) == "5   |"
    assert sprintf("%.*f", 2, 3.14159) == "3.14"
    assert sprintf("%[2]d %[1]d", 1, 2) == "2 1"
    assert sprintf("%[3]d", 1, 2) == "%!d(BADINDEX)"
    assert sprintf("%[1]d %d", 1, 2) == "1 2"
    assert sprintf("%d %d %#[1]x %#x", 16, 17) == "16 17 0x10 0x11"
    assert sprintf("%%") == "%"
    assert sprintf("%5%") == "%"
    assert sprintf("abc") == "abc"
    assert sprintf("a%%b%dc", 1) == "a%b1c"


def test_composite_values() -> None:
    assert sprintf("%v", [1, "a", None]) == "[1 a <nil>]"
    assert sprintf("%d", [1, 2]) == "[1 2]"
    assert sprintf("%s", [1, "a"]) == "[%!s(int=1) a]"
    assert sprintf("%5v", [1, 2]) == "[    1     2]"
    assert sprintf("%v", {"b": 2, "a": [1]}) == "map[a:[1] b:2]"
    assert sprintf("%v", {}) == "map[]"
    assert sprintf("%#v", {"a": 1, "b": "x"}) == 'map[string]interface {}{"a":1, "b":"x"}'
    assert sprintf("%#v", [1, "a", None]) == '[]interface {}{1, "a", interface {}(nil)}'
    assert sprintf("%#v", StringList(["a"])) == '[]string{"a"}'
    assert sprintf("%T", StringList()) == "[]string"
    assert sprintf("%T", Int64(3)) == "int64"
    assert sprintf("%T", b"x") == "[]uint8"
    assert sprintf("%v", b"\x01\x02") == "[1 2]"
    assert sprintf("%s", b"hi") == "hi"
    assert sprintf("%x", b"hi") == "6869"
    assert sprintf("%q", ["a", "b"]) == '["a" "b"]'
    assert sprintf("%x", "hi") == "6869"


class _Meta(GoStruct):
    go_type_name = "*chart.Metadata"
    go_fields = ("Name", "Version")

    def __init__(self) -> None:
        self.Name = "c"
        self.Version = "1.0"


class _KubeVersion(GoStruct):
    go_type_name = "*chart.KubeVersion"
    go_fields = ("Version", "Major", "Minor")

    def __init__(self) -> None:
        self.Version = "v1.20.0"
        self.Major = "1"
        self.Minor = "20"

    def String(self) -> str:  # noqa: N802 - Go method name
        return self.Version


def test_structs_and_stringers() -> None:
    m = _Meta()
    assert sprintf("%v", m) == "&{c 1.0}"
    assert sprintf("%+v", m) == "&{Name:c Version:1.0}"
    assert sprintf("%T", m) == "*chart.Metadata"
    assert print_value(m) == "{c 1.0}"  # templates indirect pointers before printing
    kv = _KubeVersion()
    assert sprintf("%v|%s", kv, kv) == "v1.20.0|v1.20.0"
    assert print_value(kv) == "v1.20.0"
    assert sprint(kv) == "v1.20.0"


def test_sprint_spacing() -> None:
    # print.go doPrint: a space between operands when neither is a string
    assert sprint(1, 2) == "1 2"
    assert sprint("a", 1, 2, "b", "c") == "a1 2bc"
    assert sprint(1, None) == "1 <nil>"
    assert sprint() == ""
    assert sprintln(1, "a", None) == "1 a <nil>\n"
    assert sprintln() == "\n"


def test_format_value_floats() -> None:
    # %v uses strconv 'g' with shortest precision and %e for exp < -4 || exp >= 21
    assert format_value(1e6) == "1e+06"
    assert format_value(100000.0) == "100000"
    assert format_value(1.5e-7) == "1.5e-07"
    assert format_value(-0.0) == "-0"
    assert format_value(3.0) == "3"
    assert format_value(0.1) == "0.1"
    assert format_value(2.5) == "2.5"
    assert format_value(True) == "true"
    assert format_value(None) == "<nil>"


FTOA_CASES = [
    # ftoa_test.go ftoatests (value, fmt, prec, expected)
    (1, "e", 5, "1.00000e+00"),
    (1, "f", 5, "1.00000"),
    (1, "g", 5, "1"),
    (1, "g", -1, "1"),
    (20, "g", -1, "20"),
    (1234567.8, "g", -1, "1.2345678e+06"),
    (200000, "g", -1, "200000"),
    (2000000, "g", -1, "2e+06"),
    (1e10, "g", -1, "1e+10"),
    (400, "g", 2, "4e+02"),
    (40, "g", 2, "40"),
    (4, "g", 2, "4"),
    (0, "e", 5, "0.00000e+00"),
    (0, "f", 5, "0.00000"),
    (0, "g", 5, "0"),
    (0, "g", -1, "0"),
    (-1, "e", 5, "-1.00000e+00"),
    (-1, "g", -1, "-1"),
    (12, "e", 5, "1.20000e+01"),
    (123456700, "e", 5, "1.23457e+08"),
    (1.2345e6, "e", 5, "1.23450e+06"),
    (1e23, "e", 17, "9.99999999999999916e+22"),
    (1e23, "f", -1, "100000000000000000000000"),
    (1e23, "g", -1, "1e+23"),
    (100, "x", -1, "0x1.9p+06"),
    (100, "y", -1, None),
    (0.5, "f", 0, "0"),
    (1.5, "f", 0, "2"),
    (2.5, "f", 0, "2"),
    (5e-324, "g", -1, "5e-324"),
    (1.7976931348623157e308, "g", -1, "1.7976931348623157e+308"),
    (32, "g", -1, "32"),
    (32, "g", 0, "3e+01"),
    (100, "x", 1, "0x1.9p+06"),
    (-1, "b", -1, "-4503599627370496p-52"),
]


@pytest.mark.parametrize("v,fmt,prec,want", FTOA_CASES)
def test_format_float(v: float, fmt: str, prec: int, want: str | None) -> None:
    if want is None:
        with pytest.raises(ValueError):
            format_float(float(v), fmt, prec)
    else:
        assert format_float(float(v), fmt, prec) == want


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_shortest_round_trips(v: float) -> None:
    # strconv: shortest 'g'/'e' output parses back to the same float64
    for fmt in ("g", "e", "f"):
        assert float(format_float(v, fmt, -1)) == v


def test_quote() -> None:
    # strconv quote_test.go quotetests
    assert quote("\a\b\f\r\n\t\v") == '"\\a\\b\\f\\r\\n\\t\\v"'
    assert quote("\\") == '"\\\\"'
    assert quote("abc\xffdef") == '"abc\\u00ffdef"'.replace("\\u00ff", "ÿ")
    assert quote("\u263a") == '"☺"'
    assert quote("\U0010ffff") == '"\\U0010ffff"'
    assert quote("\x04") == '"\\x04"'
    assert quote("!\u00a0!\u2000!\u3000!") == '"!\\u00a0!\\u2000!\\u3000!"'
    assert quote("\x7f") == '"\\x7f"'
    assert quote_ascii("\u263a") == '"\\u263a"'
    assert quote_ascii("\U0001f600") == '"\\U0001f600"'
    assert quote(b"abc\xffdef".decode("utf-8", "surrogateescape")) == '"abc\\xffdef"'
    assert quote_rune(ord("a")) == "'a'"
    assert quote_rune(ord("'")) == "'\\''"
    assert quote_rune(ord('"')) == "'\"'"
    assert can_backquote("abc") and not can_backquote("a`b") and not can_backquote("a\nb")
    assert can_backquote("a\tb") and not can_backquote("\ufeff")
