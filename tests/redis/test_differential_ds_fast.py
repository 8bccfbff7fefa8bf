"""The one-element forms the handlers run inline (LPUSH/RPUSH/LPOP/RPOP of one element, ZADD
of one score and member, HSET of one field, LRANGE/ZRANGE by rank without options) against a
real redis-server: the same replies and DUMP bytes for random sequences (hypothesis), so the
inline paths keep quicklist node sizes, listpack conversions and member order exact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_VALUES = st.one_of(
    st.sampled_from([b"", b"x", b"xxx", b"0", b"12", b"-5", b"007", b"+1", b" a", b"9z"]),
    st.binary(min_size=60, max_size=66),  # around listpack's 63-byte short-string limit
    st.binary(max_size=8),
)
_LIST_OPS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from([b"LPUSH", b"RPUSH"]), _VALUES),
        st.tuples(st.sampled_from([b"LPOP", b"RPOP"]), st.none()),
        st.tuples(st.just(b"LRANGE"), st.tuples(st.integers(-8, 8), st.integers(-8, 120))),
    ),
    max_size=160,
)
_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(ops=_LIST_OPS, fill=st.sampled_from([b"-1", b"-2", b"4"]))
def test_list_one_element_forms(differ, ops, fill) -> None:
    commands: list[list] = [[b"CONFIG", b"SET", b"list-max-listpack-size", fill]]
    for name, arg in ops:
        if arg is None:
            commands.append([name, b"l"])
        elif name == b"LRANGE":
            commands.append([name, b"l", b"%d" % arg[0], b"%d" % arg[1]])
        else:
            commands.append([name, b"l", arg])
    commands += [[b"DUMP", b"l"], [b"LRANGE", b"l", b"0", b"-1"], [b"OBJECT", b"ENCODING", b"l"]]
    ours, theirs = differ(commands)
    assert ours == theirs


_MEMBERS = st.sampled_from([b"a", b"b", b"c", b"m" * 70, b"d"])
_SCORES = st.sampled_from([b"0", b"-0", b"1", b"2.5", b"-3", b"1e3", b"inf", b"-inf", b"7"])


@_SETTINGS
@given(
    adds=st.lists(st.tuples(_SCORES, _MEMBERS), max_size=30),
    ranges=st.lists(st.tuples(st.integers(-7, 7), st.integers(-7, 7)), max_size=4),
    entries=st.sampled_from([b"3", b"128"]),
)
def test_zadd_one_and_zrange(differ, adds, ranges, entries) -> None:
    commands: list[list] = [[b"CONFIG", b"SET", b"zset-max-listpack-entries", entries]]
    commands += [[b"ZADD", b"z", s, m] for s, m in adds]
    commands += [[b"ZRANGE", b"z", b"%d" % a, b"%d" % b] for a, b in ranges]
    commands += [
        [b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"],
        [b"DUMP", b"z"],
        [b"OBJECT", b"ENCODING", b"z"],
    ]
    ours, theirs = differ(commands)
    assert ours == theirs


@_SETTINGS
@given(
    sets=st.lists(st.tuples(_MEMBERS, _VALUES), max_size=20),
    entries=st.sampled_from([b"2", b"512"]),
)
def test_hset_one_field(differ, sets, entries) -> None:
    commands: list[list] = [[b"CONFIG", b"SET", b"hash-max-listpack-entries", entries]]
    commands += [[b"HSET", b"h", f, v] for f, v in sets]
    commands += [[b"HMSET", b"h", b"f", b"v"], [b"OBJECT", b"ENCODING", b"h"], [b"HLEN", b"h"]]
    fields = {f for f, _ in sets} | {b"f"}
    if len(fields) <= int(entries) and all(len(f) <= 64 and len(v) <= 64 for f, v in sets):
        commands.append([b"DUMP", b"h"])  # (a hashtable's order is its hash seed's: not compared)
    ours, theirs = differ(commands)
    assert ours == theirs


def test_wrong_type_and_missing_keys(differ) -> None:
    commands = [
        [b"SET", b"s", b"v"],
        [b"LPUSH", b"s", b"x"],
        [b"LPOP", b"s"],
        [b"ZADD", b"s", b"1", b"a"],
        [b"HSET", b"s", b"f", b"v"],
        [b"LRANGE", b"s", b"0", b"1"],
        [b"ZRANGE", b"s", b"0", b"1"],
        [b"LPOP", b"none"],
        [b"LRANGE", b"none", b"0", b"-1"],
        [b"ZRANGE", b"none", b"0", b"-1"],
        [b"ZRANGE", b"z", b"x", b"1"],
        [b"LRANGE", b"l", b"1", b"x"],
        [b"RPUSH", b"l", b"a"],
        [b"RPOP", b"l"],
        [b"EXISTS", b"l"],
    ]
    ours, theirs = differ(commands)
    assert ours == theirs


def test_script_calls_through_the_lean_lookup(differ) -> None:
    """redis.call by the name as sent and otherwise: lower/upper/mixed case, a container's
    subcommand, a command refused to scripts, an unknown one, a wrong arity, and the effects
    replicated as the script's commands."""
    script = (
        b"local out = {}"
        b" out[1] = redis.call('rpush', KEYS[1], 'a')"
        b" out[2] = redis.call('RPUSH', KEYS[1], 'b')"
        b" out[3] = redis.call('RpUsH', KEYS[1], 'c')"
        b" out[4] = redis.call('object', 'encoding', KEYS[1])"
        b" out[5] = redis.pcall('multi')"
        b" out[6] = redis.pcall('nosuchcommand')"
        b" out[7] = redis.pcall('lpop')"
        b" out[8] = redis.pcall('object', 'nosuch', KEYS[1])"
        b" out[9] = redis.pcall('client', 'setname', 'x')"
        b" return out"
    )
    commands = [[b"EVAL", script, b"1", b"l"], [b"LRANGE", b"l", b"0", b"-1"]]
    ours, theirs = differ(commands)
    assert ours == theirs
