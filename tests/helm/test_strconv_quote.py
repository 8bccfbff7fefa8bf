"""strconv.Quote/QuoteToASCII's fast path for printable ASCII (golang/strconv.py
_quote_with) gives what the general, per-character quoting gives, for every
string and both quote characters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.golang import strconv

ASCIIISH = st.text(
    alphabet=st.one_of(
        st.sampled_from("\"\\'`abc \t\n\x7f\x00~"),
        st.characters(max_codepoint=0x7F),
        st.characters(),
    ),
    max_size=40,
)


@settings(max_examples=600, deadline=None)
@given(ASCIIISH, st.sampled_from(['"', "'"]), st.booleans())
def test_fast_quoting_is_the_per_character_quoting(s: str, quote: str, ascii_only: bool) -> None:
    assert strconv._quote_with(s, quote, ascii_only) == strconv._quote_with_loop(
        s, quote, ascii_only
    )


def test_known_quotes() -> None:
    assert strconv.quote('a"b\\c') == '"a\\"b\\\\c"'
    assert strconv.quote("plain text") == '"plain text"'
    assert strconv.quote("tab\there") == '"tab\\there"'
    assert strconv.quote("") == '""'
    assert strconv.quote_ascii("é") == '"\\u00e9"'
    assert strconv.quote("\udcff") == '"\\xff"'
