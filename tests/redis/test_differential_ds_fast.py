"""The one-element forms the handlers run inline (LPUSH/RPUSH/LPOP/RPOP of one element, ZADD
of one score and member, HSET of one field, LRANGE/ZRANGE by rank without options) against a
real redis-server: the same replies and DUMP bytes for random sequences (hypothesis), so the
inline paths keep quicklist node sizes, listpack conversions and member order exact."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.redis import realredis

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


def test_one_element_forms_beside_expiring_keys(server, real_redis) -> None:
    """The inline forms with keys that have a deadline in the database (the handlers look at
    the deadline of their own key only): a key past its deadline is gone (a new one is made,
    without a deadline), one before it keeps it, and the others are left alone."""
    kinds = {
        b"s": [
            [b"SADD", b"s", b"m"],
            [b"SADD", b"s", b"n"],
            [b"SCARD", b"s"],
            [b"SISMEMBER", b"s", b"m"],
        ],
        b"l": [[b"LPUSH", b"l", b"x"], [b"RPUSH", b"l", b"y"], [b"LPOP", b"l"], [b"RPOP", b"l"]],
        b"h": [[b"HSET", b"h", b"f", b"v"], [b"HGET", b"h", b"f"], [b"HGET", b"h", b"g"]],
        b"z": [[b"ZADD", b"z", b"1", b"m"], [b"ZADD", b"z", b"2", b"n"], [b"ZCARD", b"z"]],
    }
    setup = [[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"], [b"SET", b"other", b"v", b"EX", b"100"]]
    for key, ops in kinds.items():
        setup += [ops[0], [b"PEXPIRE", key, b"1"]]  # past its deadline after the sleep
        setup += [[c[0], key + b"2", *c[2:]] for c in ops[:1]]
        setup += [[b"EXPIRE", key + b"2", b"100"]]  # before its deadline
    check = []
    for key, ops in kinds.items():
        check += ops + [[b"PTTL", key], [b"EXISTS", key]]
        check += [[c[0], key + b"2", *c[2:]] for c in ops] + [[b"TTL", key + b"2"]]
    check += [[b"TTL", b"other"], [b"DBSIZE"], [b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1"]]
    out = []
    for port in (server.redis_port, real_redis.port):
        realredis.exchange(port, [[b"FLUSHALL"]])
        realredis.exchange(port, setup)
        time.sleep(0.05)
        out.append(realredis.exchange(port, check))
    assert out[0] == out[1]


def test_range_replies_follow_every_change(differ) -> None:
    """LRANGE and ZRANGE by rank answer an unchanged range from their last reply: every kind
    of change in between (a value replaced in place, by an equal or a longer one, a push, a
    pop, a score that moves a member, another key with the same elements) shows."""
    commands: list[list] = [[b"RPUSH", b"l", b"a", b"b", b"c", b"d"]]
    lr = [b"LRANGE", b"l", b"0", b"2"]
    commands += [lr, lr, [b"LSET", b"l", b"1", b"x"], lr, [b"LSET", b"l", b"1", b"x"], lr]
    commands += [[b"LSET", b"l", b"1", b"xyz"], lr, [b"LPUSH", b"l", b"z"], lr]
    commands += [
        [b"RPOP", b"l"],
        lr,
        [b"LPOP", b"l"],
        lr,
        [b"LINSERT", b"l", b"BEFORE", b"c", b"q"],
    ]
    commands += [lr, [b"RPUSH", b"l2", b"a", b"xyz", b"q"], [b"LRANGE", b"l2", b"0", b"2"], lr]
    commands += [[b"LRANGE", b"l", b"0", b"-1"], [b"LREM", b"l", b"0", b"q"], lr]
    zr = [b"ZRANGE", b"z", b"0", b"2"]
    commands += [[b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c"], zr, zr]
    commands += [[b"ZADD", b"z", b"5", b"a"], zr, [b"ZINCRBY", b"z", b"-10", b"c"], zr]
    commands += [[b"ZADD", b"z", b"0", b"d"], zr, [b"ZREM", b"z", b"d"], zr]
    commands += [
        [b"ZADD", b"z2", b"1", b"c", b"2", b"b", b"3", b"a"],
        [b"ZRANGE", b"z2", b"0", b"2"],
    ]
    commands += [zr, [b"DEL", b"z"], zr, [b"ZADD", b"z", b"1", b"c"], zr]
    ours, theirs = differ(commands, 3)
    assert ours == theirs
    ours, theirs = differ(commands, 2)
    assert ours == theirs
