"""Routing structures: the topic trie against a reference regex translation (hypothesis), and
headers matching."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.amqp.exchange import Binding, Exchange, HeadersMatch, TopicTrie, topic_matches


def reference(pattern: str, key: str) -> bool:
    """RabbitMQ's topic rule as a regex over ".word.word": ``*`` one word, ``#`` zero or more."""
    words = pattern.split(".") if pattern else []
    rx = ""
    for w in words:
        if w == "#":
            rx += r"(?:\.[^.]*)*"
        elif w == "*":
            rx += r"\.[^.]*"
        else:
            rx += r"\." + re.escape(w)
    subject = "." + key if key else ""
    return re.fullmatch(rx, subject) is not None


word = st.sampled_from(["a", "b", "c", "", "ab"])
pattern_word = st.sampled_from(["a", "b", "c", "", "*", "#", "ab"])
keys = st.lists(word, max_size=6).map(".".join)
patterns = st.lists(pattern_word, max_size=6).map(".".join)


@settings(max_examples=800)
@given(patterns, keys)
def test_topic_trie_matches_reference(pattern, key):
    assert topic_matches(pattern, key) == reference(pattern, key)


@settings(max_examples=300)
@given(st.lists(patterns, min_size=1, max_size=12, unique=True), keys)
def test_topic_trie_with_many_bindings_selects_exactly_the_matching_ones(pats, key):
    trie = TopicTrie()
    bindings = {}
    for i, p in enumerate(pats):
        b = Binding("x", f"q{i}", "queue", p, {})
        trie.add(p, b)
        bindings[p] = b
    got = {b.routing_key for b in trie.match(key)}
    assert got == {p for p in pats if reference(p, key)}
    # removal keeps the structure consistent
    for p in pats[::2]:
        trie.remove(p, bindings[p])
    got = {b.routing_key for b in trie.match(key)}
    assert got == {p for p in pats[1::2] if reference(p, key)}


def test_many_hashes_stay_fast():
    t = TopicTrie()
    t.add("#.#.#.#.#.#.#.#.z", Binding("x", "q", "queue", "#.#.#.#.#.#.#.#.z", {}))
    assert not t.match(".".join(["a"] * 120))
    assert t.match(".".join(["a"] * 120) + ".z")


def test_headers_match_modes():
    h = {"a": 1, "b": "x", "x-extra": 5}
    assert HeadersMatch({"x-match": "all", "a": 1, "b": "x"}).matches(h)
    assert not HeadersMatch({"x-match": "all", "a": 1, "c": None}).matches(h)
    assert HeadersMatch({"x-match": "all", "a": 1, "b": None}).matches(h)  # void matches any
    assert HeadersMatch({"x-match": "any", "a": 2, "b": "x"}).matches(h)
    assert not HeadersMatch({"x-match": "any", "a": 2}).matches(h)
    assert HeadersMatch({"x-match": "all"}).matches({})
    assert not HeadersMatch({"x-match": "any"}).matches(h)
    assert HeadersMatch({"x-match": "all", "x-extra": 99}).matches({})  # x- keys ignored
    assert not HeadersMatch({"x-match": "all-with-x", "x-extra": 99}).matches(h)
    assert HeadersMatch({"x-match": "any-with-x", "x-extra": 5}).matches(h)
    assert not HeadersMatch({"x-match": "all", "a": True}).matches({"a": 1})  # typed compare


def test_direct_and_fanout_index():
    x = Exchange("d", "direct")
    b1 = Binding("d", "q1", "queue", "k", {})
    b2 = Binding("d", "q2", "queue", "k", {})
    assert (
        x.add_binding(b1)
        and x.add_binding(b2)
        and not x.add_binding(Binding("d", "q1", "queue", "k", {}))
    )
    assert {b.destination for b in x.route("k", lambda: None)} == {"q1", "q2"}
    x.remove_binding(b1.key)
    assert [b.destination for b in x.route("k", lambda: None)] == ["q2"]
    f = Exchange("f", "fanout")
    f.add_binding(Binding("f", "q1", "queue", "ignored", {}))
    assert len(f.route("anything", lambda: None)) == 1
