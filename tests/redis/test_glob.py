"""Redis glob matching: unit cases, a property test against an independent reference
(tokenize the pattern by Redis's rules, then match by dynamic programming), and the real
server's KEYS on random patterns."""

from __future__ import annotations

import hiredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.redis.glob import compile_pattern, stringmatch
from tests.redis import realredis

CASES = [
    (b"*", b"", False),  # KEYS and SCAN skip matching for a lone "*" (see compile_pattern)
    (b"**", b"", False),  # Redis only short-cuts a lone '*'; stringmatchlen("**", "") is 0
    (b"", b"", True),
    (b"", b"a", False),
    (b"h?llo", b"hello", True),
    (b"h?llo", b"hllo", False),
    (b"h*llo", b"hllo", True),
    (b"h*llo", b"heeeello", True),
    (b"h[ae]llo", b"hello", True),
    (b"h[ae]llo", b"hillo", False),
    (b"h[^e]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hbllo", True),
    (b"h[a-b]llo", b"hcllo", False),
    (b"h[b-a]llo", b"hallo", True),  # reversed ranges are swapped
    (b"a\\*b", b"a*b", True),
    (b"a\\*b", b"axb", False),
    (b"[\\]]", b"]", True),
    (b"[\\", b"\\", True),
    (b"[", b"x", False),
    (b"[^", b"x", True),  # an unterminated negated empty class matches any byte
    (b"[ab", b"b", True),
    (b"[a-]", b"]", True),  # 'a-]' is a range up to ']', the class is unterminated
    (b"\\", b"\\", True),
    (b"a*", b"a", True),
    (b"a*?", b"a", False),
    (b"*a*b*c", b"xxaxxbxxc", True),
    (b"*a*b*c", b"xxaxxcxxb", False),
    (b"[\x80-\xff]", b"\x90", True),
    (b"[a-\xff]", b"b", False),  # signed chars: \xff is -1, so the range is -1..'a'
    (b"[a-\xff]", b"\x00", True),
]


def test_cases() -> None:
    for pattern, key, expected in CASES:
        assert stringmatch(pattern, key) is expected, (pattern, key)
        if pattern != b"*":
            assert compile_pattern(pattern)(key) is expected, (pattern, key)


def test_nocase() -> None:
    assert stringmatch(b"HeLLo", b"hello", nocase=True)
    assert stringmatch(b"h[A-Z]llo", b"hello", nocase=True)
    assert not stringmatch(b"HeLLo", b"hello")
    assert compile_pattern(b"H*O", nocase=True)(b"hello")


def test_nesting_guard() -> None:
    pattern = b"a*" * 1100 + b"b"
    assert not stringmatch(pattern, b"a" * 1100 + b"b")


def test_many_stars_are_linear() -> None:
    key = b"a" * 5000
    assert not compile_pattern(b"*a*a*a*a*a*a*b")(key)


# -- an independent reference ---------------------------------------------------------------
def _signed(c: int) -> int:
    return c - 256 if c >= 128 else c


def _tokens(p: bytes) -> list[tuple]:
    """Redis's reading of a pattern as a list of tokens."""
    out: list[tuple] = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == ord("*"):
            out.append(("star",))
            i += 1
        elif c == ord("?"):
            out.append(("any",))
            i += 1
        elif c == ord("["):
            i += 1
            neg = i < n and p[i] == ord("^")
            if neg:
                i += 1
            items: list[tuple[int, int]] = []
            while True:
                if i < n and p[i] == ord("\\") and n - i >= 2:
                    items.append((_signed(p[i + 1]), _signed(p[i + 1])))
                    i += 2
                elif i < n and p[i] == ord("]"):
                    i += 1
                    break
                elif i >= n:
                    break
                elif n - i >= 3 and p[i + 1] == ord("-"):
                    a, b = sorted((_signed(p[i]), _signed(p[i + 2])))
                    items.append((a, b))
                    i += 3
                else:
                    items.append((_signed(p[i]), _signed(p[i])))
                    i += 1
            out.append(("class", neg, [(a, b) for a, b in items]))
        elif c == ord("\\") and n - i >= 2:
            out.append(("lit", p[i + 1]))
            i += 2
        else:
            out.append(("lit", c))
            i += 1
    return out


def _in_class_item(item: tuple[int, int], ch: int) -> bool:
    a, b = item
    return a <= _signed(ch) <= b


def reference(pattern: bytes, s: bytes) -> bool:
    if not s:
        return not pattern
    toks = _tokens(pattern)
    n = len(s)
    # dp[i] = the prefix s[:i] can be matched by the tokens seen so far
    dp = [True] + [False] * n
    for tok in toks:
        new = [False] * (n + 1)
        if tok[0] == "star":
            seen = False
            for i in range(n + 1):
                seen = seen or dp[i]
                new[i] = seen
        else:
            for i in range(n):
                if not dp[i]:
                    continue
                ch = s[i]
                if tok[0] == "any":
                    ok = True
                elif tok[0] == "lit":
                    ok = ch == tok[1]
                else:
                    ok = any(_in_class_item(item, ch) for item in tok[2])
                    if tok[1]:
                        ok = not ok
                new[i + 1] = ok
        dp = new
    return dp[n]


PATTERN_BYTES = st.sampled_from([b"a", b"b", b"*", b"?", b"[", b"]", b"^", b"-", b"\\", b"\xe9"])
KEY_BYTES = st.sampled_from([b"a", b"b", b"]", b"-", b"^", b"\\", b"*", b"\xe9", b"c"])
patterns = st.lists(PATTERN_BYTES, max_size=8).map(b"".join)
keys = st.lists(KEY_BYTES, max_size=8).map(b"".join)


@settings(max_examples=3000, deadline=None)
@given(patterns, keys)
def test_matches_reference(pattern: bytes, key: bytes) -> None:
    expected = reference(pattern, key)
    assert stringmatch(pattern, key) is expected
    if pattern != b"*":
        assert compile_pattern(pattern)(key) is expected


KEYSET = sorted(
    {
        b"",
        b"a",
        b"b",
        b"ab",
        b"ba",
        b"aab",
        b"a]b",
        b"a-b",
        b"a^",
        b"\\",
        b"a\\b",
        b"*",
        b"a*b",
        b"\xe9",
        b"a\xe9b",
        b"abcabc",
        b"[a]",
        b"cc",
    }
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pattern=patterns)
def test_keys_agrees_with_real_server(server, real_redis, pattern: bytes) -> None:
    results = []
    for port in (server.redis_port, real_redis.port):
        client = realredis.RawClient(port)
        try:
            client.call("FLUSHALL")
            client.call("MSET", *[x for k in KEYSET for x in (k, b"1")])
            reader = hiredis.Reader()
            reader.feed(client.call("KEYS", pattern))
            results.append(sorted(reader.gets()))
        finally:
            client.close()
    assert results[0] == results[1]
