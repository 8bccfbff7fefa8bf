"""Property tests: the lexer/parser and fmt never fail with anything but Go's errors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.golang.fmt import sprintf
from polystack.helm.template import ExecError, ParseError, TemplateSet

ACTION_ALPHABET = st.sampled_from(
    list("{}()|.$:=,-+ \n\t\"'`/*0123456789abcdexyzi_")
    + ["{{", "}}", "{{-", "-}}", "if", "end", "else", "range", "with", "define", "nil"]
    + ["len", "eq", "print", "and", "break", "continue", "template", "block", "$x"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ACTION_ALPHABET, max_size=30).map("".join))
def test_parse_and_execute_fail_only_with_go_errors(text: str) -> None:
    ts = TemplateSet({}, missingkey="zero")
    try:
        ts.parse("t", text)
    except ParseError as e:
        assert e.message.startswith("template: t:")
        return
    try:
        ts.execute("t", {"a": [1, 2], "b": {"c": None}})
    except ExecError as e:
        assert e.message.startswith("template: ")


FMT_ALPHABET = st.sampled_from(list("%dvsqxXobeEfFgGtTcU+-# 0123456789.*[]!z") + ["%%", "%v"])
ARGS = st.lists(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(),
        st.text(max_size=5),
        st.lists(st.integers(0, 9), max_size=3),
        st.dictionaries(st.text(max_size=2), st.integers(0, 9), max_size=2),
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(FMT_ALPHABET, max_size=12).map("".join), ARGS)
def test_sprintf_total(fmt: str, args: list[object]) -> None:
    assert isinstance(sprintf(fmt, *args), str)
