"""Sprig's quote and trunc, and the template's printf, answer the common cases without
their general paths: property tests that both give what the general path gives
(Go's strconv.Quote; trunc's byte slicing) for any text and count."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.funcs.sprig import strings
from polystack.helm.golang.strconv import quote as go_quote

_TEXT = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=40),
    st.text(max_size=40),
    st.sampled_from(["", "a", '"', "\\", "a b", "\x7f", "\t", "é", "\udc80x", "日本"]),
)


def _trunc_general(c: int, s: str) -> str:
    b = strings._b(s)
    if c < 0 and len(b) + c > 0:
        return strings._s(b[len(b) + c :])
    if c >= 0 and len(b) > c:
        return strings._s(b[:c])
    return s


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_quote_is_strconv_quote(s: str) -> None:
    assert strings.quote(s) == go_quote(s)
    assert strings.quote(s, s) == go_quote(s) + " " + go_quote(s)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-50, max_value=50), _TEXT)
def test_trunc_is_byte_slicing(c: int, s: str) -> None:
    assert strings.trunc(c, s) == _trunc_general(c, s)


def test_examples() -> None:
    assert strings.quote("a-b.c") == '"a-b.c"'
    assert strings.quote('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert strings.quote("\x7f") == '"\\x7f"'
    assert strings.trunc(3, "abcdef") == "abc"
    assert strings.trunc(-2, "abcdef") == "ef"
    assert strings.trunc(-9, "abc") == "abc"
    assert strings.trunc(63, "short") == "short"


_FORMAT = st.lists(
    st.one_of(st.sampled_from(["%s", "%", "%%", "%d", "%v", "%-3s", "-", "%s%s"]), _TEXT),
    max_size=6,
).map("".join)
_ARG = st.one_of(_TEXT, st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2))


@settings(max_examples=300, deadline=None)
@given(_FORMAT, st.lists(_ARG, max_size=4))
def test_printf_is_fmt_sprintf(format: str, args: list) -> None:
    """The template's printf (a %s-only format of strings answered directly) is
    Go's fmt.Sprintf for any format and arguments."""
    from polystack.helm.golang import fmt as gofmt
    from polystack.helm.template.builtins import printf

    assert printf(format, *args) == gofmt.sprintf(format, *args)
    strs = [a if isinstance(a, str) else "x" for a in args]
    assert printf("%s" * len(strs), *strs) == gofmt.sprintf("%s" * len(strs), *strs)
    assert printf("a-%s-b" * len(strs), *strs) == gofmt.sprintf("a-%s-b" * len(strs), *strs)
