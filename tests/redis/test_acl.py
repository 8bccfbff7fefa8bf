"""ACL: users, the rule language, selectors, key/channel permissions, AUTH, ACL LOG, DRYRUN,
the ACL file; through redis-py and against Redis 7.0 (replies compared byte for byte, except
where Redis lists single-command rules or CAT in its random hash order)."""

from __future__ import annotations

import re
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import polystack.testing
from polystack.redis import wire
from polystack.redis.acl import ACL, ACLError, CommandTable
from tests.redis import realredis, scenario

NO_RETRY = Retry(NoBackoff(), 0)  # a refused AUTH is a ConnectionError redis-py would retry

# -- the model ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acl() -> ACL:
    return ACL(CommandTable())


def user(acl: ACL, *ops: str):
    u = acl.new_user(b"u")
    for op in ops:
        acl.set_user(u, op.encode())
    return u


def test_describe_chooses_categories_like_redis(acl) -> None:
    u = user(acl, "on", "+@all", "-@dangerous", "+flushdb", "+config|get")
    text = acl.describe_user(u)
    assert text.startswith("on resetchannels +@all -@admin ")
    assert set(text.split()[4:]) == {
        "+config|get", "-info", "-restore", "-restore-asking", "-keys", "-sort_ro", "-swapdb",
        "-flushall", "-migrate", "-sort",
    }  # fmt: skip
    assert acl.describe_user(acl.default) == "on nopass ~* &* +@all"
    assert acl.describe_user(user(acl, "+select|0")) == "off resetchannels -@all +select|0"


def test_rule_errors(acl) -> None:
    for op, text in [
        ("+nosuch", "Unknown command"), ("-@nosuch", "Unknown command"), ("bogus", "Syntax"),
        ("#abc", "password hash"), ("<nope", "does not exist"), ("+config|get|x", "first-arg"),
        ("%X~k", "Syntax"), ("~a b", "Syntax"),
    ]:  # fmt: skip
        with pytest.raises(ACLError, match=text):
            user(acl, op)
    with pytest.raises(ACLError, match="'allkeys'"):
        user(acl, "allkeys", "~k")
    with pytest.raises(ACLError, match="'allchannels'"):
        user(acl, "allchannels", "&k")


def test_check_keys_channels_and_selectors(acl) -> None:
    u = user(acl, "on", "+@all", "%R~r*", "%W~w*", "&news*", "(+set ~sel*)")
    t = acl.table
    get, set_ = t.ids["get"], t.ids["set"]
    assert acl.check(u, get, [b"get", b"r1"], lambda: [(1, 1)], None)[0] == 0
    assert acl.check(u, get, [b"get", b"w1"], lambda: [(1, 1)], None) == (2, 1)
    assert acl.check(u, set_, [b"set", b"sel1"], lambda: [(1, 2)], None)[0] == 0
    pub = t.ids["publish"]
    assert acl.check(u, pub, [b"publish", b"newsx", b"m"], None, (1, 1, False))[0] == 0
    assert acl.check(u, pub, [b"publish", b"other", b"m"], None, (1, 1, False))[0] == 4


# -- through redis-py -----------------------------------------------------------------------------


def test_users_and_auth_through_redis_py(server, r) -> None:
    try:
        assert r.acl_setuser("app", enabled=True, passwords=["+secret"], keys=["app:*"],
                             commands=["+get", "+set", "+acl|whoami"])  # fmt: skip
        assert "app" in [u for u in r.acl_users()]
        c = redis.Redis(port=server.redis_port, username="app", password="secret")
        assert c.set("app:1", "v") and c.get("app:1") == b"v"
        with pytest.raises(redis.exceptions.NoPermissionError):
            c.set("other", "v")
        with pytest.raises(redis.exceptions.NoPermissionError):
            c.incr("app:n")
        assert c.acl_whoami() == "app"
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(
                port=server.redis_port, username="app", password="bad", retry=NO_RETRY
            ).ping()
        entries = r.acl_log()
        assert {e["reason"] for e in entries} >= {"key", "command", "auth"}
        c.close()
        assert r.acl_deluser("app") == 1
    finally:
        r.acl_deluser("app")
        r.acl_log_reset()


def test_requirepass_is_the_default_users_password(server) -> None:
    r = redis.Redis(port=server.redis_port)
    try:
        assert r.config_set("requirepass", "pw")
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=server.redis_port, retry=NO_RETRY).ping()
        assert redis.Redis(port=server.redis_port, password="pw").ping()
        assert "#" in r.acl_list()[0]
    finally:
        r.config_set("requirepass", "")
    assert redis.Redis(port=server.redis_port).ping()


def test_aclfile_load_and_save(tmp_path) -> None:
    aclfile = tmp_path / "users.acl"
    aclfile.write_text("user default on nopass ~* &* +@all\nuser bob on >pw ~b* +get\n")
    conf = tmp_path / "redis.conf"
    conf.write_text(f"port 0\naclfile {aclfile}\n")
    with polystack.testing.serve(
        redis=True, data_dir=tmp_path / "d", config_overrides={"redis.redis_config": str(conf)}
    ) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.acl_users() == ["bob", "default"]
        bob = redis.Redis(port=s.redis_port, username="bob", password="pw")
        assert bob.get("b1") is None
        assert r.acl_setuser("carol", enabled=True, nopass=True)
        assert r.acl_save()
        assert "user carol on nopass" in aclfile.read_text()
        aclfile.write_text("user default on nopass ~* &* +@all\n")
        assert r.acl_load()
        assert r.acl_users() == ["default"]
        bob.connection_pool.connection_kwargs["retry"] = NO_RETRY
        with pytest.raises(redis.ConnectionError):
            bob.get("b1")  # its user is gone: the connection was closed
        aclfile.write_text("user x bogus\n")
        with pytest.raises(redis.ResponseError, match="no change to the previously active"):
            r.acl_load()


# -- against the real server ----------------------------------------------------------------------

_SINGLES = re.compile(rb"(?<= )[+-](?!@)[^ ()\r\n]+(?: [+-](?!@)[^ ()\r\n]+)*")


def normalize(reply: bytes) -> bytes:
    """Single-command rules sorted within each run (Redis emits them in hash order)."""
    return _SINGLES.sub(lambda m: b" ".join(sorted(m.group(0).split(b" "))), reply)


def _both(server, real_redis, steps: list, setup: tuple = ()) -> tuple[list, list]:
    out = []
    for port in (server.redis_port, real_redis.port):
        realredis.exchange(port, [["FLUSHALL"], *setup])
        try:
            out.append(scenario.run(port, steps))
        finally:
            _cleanup(port)
    return out[0], out[1]


def _cleanup(port: int) -> None:
    c = realredis.RawClient(port)
    try:
        c.call("AUTH", "default", "pw")  # when a scenario set a password
        c.call("CONFIG", "SET", "requirepass", "")
        c.call("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all")
        users = wire.decode_reply(c.call("ACL", "USERS"))
        for u in users:
            if u != b"default":
                c.call("ACL", "DELUSER", u)
        c.call("ACL", "LOG", "RESET")
    finally:
        c.close()


SETUSERS = [
    ["on", ">pw", "~k*", "+@all", "-@dangerous", "+flushdb", "+config|get"],
    ["+get", "+@string", "-set", "+client|id", "-@all", "+set", "%R~r*", "%W~w*", "&ch*",
     "(+get ~sel*)"],
    ["+select|0", "+select|1", "+SELECT|0"], ["allkeys", "allchannels", "allcommands"],
    ["on", "nopass", "+@read", "-@slow", "+@hash"], ["+@all", "-@write", "-@admin"],
    ["+@all", "-@keyspace", "+del"], ["-@all", "+@pubsub", "+@connection", "-ping"],
    ["%RW~x", "%R~x", "%W~y", "%WR~z", "~q", "resetkeys", "~a"],
    ["&a", "&b", "&a", "resetchannels", "&c"], ["(~x +get)", "(", "~y", "+set", ")"],
    ["(~x +get)", "clearselectors"], ["on", "off", "skip-sanitize-payload"],
    ["reset"], ["sanitize-payload", "#" + "a" * 64, "!" + "a" * 64],
    [">a", ">b", ">a", "<a"], ["nopass", ">x", "resetpass"], ["", "+acl|whoami", "-acl"],
    ["+@all", "-client|kill", "-debug", "+debug|digest"], ["+@geo", "+@bitmap", "+@hyperloglog"],
    ["+@stream", "+@list", "-@blocking"], ["+@scripting", "+@transaction", "-eval"],
    ["+@sortedset", "+@set", "-@fast"], ["+@admin", "-@dangerous"], ["+@all", "-@fast"],
    ["nocommands", "+cluster|info", "+config"], ["+@all", "-config", "+config|get"],
]  # fmt: skip
SETUSER_ERRORS = [
    ["+nosuch"], ["-@nosuch"], ["bogus"], ["#abc"], ["<nope"], ["!" + "b" * 64],
    ["+config|get|x"], ["+config|nosuch"], ["+select|"], ["-select|0"], ["%X~k"], ["%~k"],
    ["~a b"], ["allkeys", "~k"], ["allchannels", "&k"], ["(~x", "+get"], ["(on)"], ["(+nosuch)"],
    ["+@all", "(", ")"], ["+get|x|y"], ["()"], ["&a b"], ["+acl|"], ["on", "+nosuch"],
]  # fmt: skip


@pytest.mark.differential
@pytest.mark.parametrize("hello3", [False, True])
def test_setuser_getuser_list_like_redis(server, real_redis, hello3) -> None:
    steps: list = [("a", "hello3")] if hello3 else []
    for i, rules in enumerate(SETUSERS):
        name = f"u{i}"
        steps += [("a", "ACL", "SETUSER", name, *rules), ("a", "ACL", "GETUSER", name)]
    for i, rules in enumerate(SETUSER_ERRORS):
        steps += [("a", "ACL", "SETUSER", f"e{i}", *rules)]
    steps += [("a", "ACL", "SETUSER", "bad user"), ("a", "ACL", "GETUSER", "nosuch"),
              ("a", "ACL", "LIST"), ("a", "ACL", "USERS"), ("a", "ACL", "GETUSER", "default"),
              ("a", "ACL", "DELUSER", "u1", "u2", "nosuch"), ("a", "ACL", "DELUSER", "default"),
              ("a", "ACL", "USERS"), ("a", "ACL", "WHOAMI"), ("a", "ACL", "HELP"),
              ("a", "ACL", "CAT"), ("a", "ACL", "CAT", "nosuch"), ("a", "ACL", "CAT", "a", "b"),
              ("a", "ACL", "GENPASS", "0"), ("a", "ACL", "GENPASS", "4097"),
              ("a", "ACL", "GENPASS", "x"), ("a", "ACL", "NOSUCH"), ("a", "ACL"),
              ("a", "ACL", "LOAD"), ("a", "ACL", "SAVE"), ("a", "ACL", "LOG", "x"),
              ("a", "ACL", "LOG", "1", "2"), ("a", "ACL", "DRYRUN", "nosuch", "get", "x"),
              ("a", "ACL", "DRYRUN", "default", "nosuch")]  # fmt: skip
    ours, theirs = _both(server, real_redis, steps)
    for step, a, b in zip(steps[1:] if hello3 else steps, ours, theirs, strict=True):
        assert normalize(a) == normalize(b), step


@pytest.mark.differential
def test_acl_cat_lists_like_redis(server, real_redis) -> None:
    from polystack.redis.aclcommands import CATEGORIES

    for cat in CATEGORIES:
        ours, theirs = _both(server, real_redis, [("a", "ACL", "CAT", cat)])
        assert sorted(wire.decode_reply(ours[0])) == sorted(wire.decode_reply(theirs[0])), cat


PERMISSIONS = [
    ("a", "ACL", "SETUSER", "alice", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&news*", "+@all",
     "-flushall", "-@dangerous", "+select|0", "-select"),
    ("b", "AUTH", "alice", "pw"), ("b", "SET", "k1", "v"), ("b", "GET", "k1"),
    ("b", "SET", "other", "v"), ("b", "GET", "r1"), ("b", "SET", "r1", "v"), ("b", "SET", "w1", "v"),
    ("b", "GET", "w1"), ("b", "APPEND", "w1", "x"), ("b", "RENAME", "k1", "k2"),
    ("b", "COPY", "k1", "w2"), ("b", "COPY", "k1", "r2"), ("b", "MSET", "k1", "a", "x", "b"),
    ("b", "MGET", "k1", "r1", "w1"), ("b", "FLUSHALL"), ("b", "KEYS", "*"), ("b", "SELECT", "0"),
    ("b", "SELECT", "1"), ("b", "PUBLISH", "newsx", "m"), ("b", "PUBLISH", "other", "m"),
    ("b", "SPUBLISH", "other", "m"), ("b", "+2", "SUBSCRIBE", "newsa", "newsb"),
    ("b", "SUBSCRIBE", "x"), ("b", "PSUBSCRIBE", "news*"), ("b", "PSUBSCRIBE", "newsa*"),
    ("b", "+2", "UNSUBSCRIBE", "newsa", "newsb"), ("c", "AUTH", "alice", "pw"), ("c", "MULTI"), ("c", "SET", "k1", "1"),
    ("c", "SET", "zz", "1"), ("c", "EXEC"), ("c", "MULTI"), ("c", "SET", "k1", "2"),
    ("c", "GET", "k1"), ("a", "ACL", "SETUSER", "alice", "-set", "resetkeys", "~k1"),
    ("c", "EXEC"), ("c", "EVAL", "return redis.call('get', KEYS[1])", "1", "k1"),
    ("c", "EVAL", "return redis.call('get', 'zz')", "0"),
    ("c", "EVAL", "return redis.call('set', 'k1', 'x')", "0"),
    ("c", "EVAL", "return redis.call('publish', 'nope', 'x')", "0"),
    ("c", "EVAL", "return redis.pcall('flushall')", "0"),
    ("c", "EVAL", "return redis.call('multi')", "0"),
    ("c", "EVAL", "return {redis.acl_check_cmd('set','k1','v'), redis.acl_check_cmd('get','k1'),"
     " redis.acl_check_cmd('get','zz')}", "0"),
    ("a", "ACL", "DRYRUN", "alice", "get", "k1"), ("a", "ACL", "DRYRUN", "alice", "get", "zz"),
    ("a", "ACL", "DRYRUN", "alice", "set", "k1", "v"), ("a", "ACL", "DRYRUN", "alice", "publish",
     "x", "m"), ("a", "ACL", "DRYRUN", "alice", "publish", "newsx", "m"),
    ("a", "ACL", "DRYRUN", "alice", "config", "get", "x"), ("a", "ACL", "DRYRUN", "alice", "get"),
    ("c", "ACL", "WHOAMI"), ("c", "AUTH", "alice", "bad"), ("c", "ACL", "WHOAMI"),
    ("c", "AUTH", "nosuch", "pw"), ("c", "HELLO", "2", "AUTH", "alice", "bad"),
    ("a", "ACL", "SETUSER", "alice", "off"), ("d", "AUTH", "alice", "pw"),
    ("a", "ACL", "SETUSER", "alice", "on", "nopass"), ("d", "AUTH", "alice", "anything"),
    ("d", "ACL", "WHOAMI"), ("d", "RESET"), ("d", "ACL", "WHOAMI"),
    ("a", "ACL", "DELUSER", "alice"), ("c", "read"),
    ("a", "AUTH", "x"), ("a", "AUTH", "a", "b", "c"), ("a", "CONFIG", "SET", "requirepass", "pw"),
    ("e", "GET", "k1"), ("e", "AUTH", "wrong"), ("e", "AUTH", "pw"), ("e", "GET", "k1"),
    ("f", "HELLO", "3"), ("f", "HELLO", "2", "AUTH", "default", "pw"), ("f", "RESET"),
    ("f", "PING"), ("a", "ACL", "SETUSER", "default", "nopass"), ("f", "PING"),
    ("a", "ACL", "SETUSER", "default", "resetpass", ">pw"),
]  # fmt: skip


@pytest.mark.differential
def test_permissions_like_redis(server, real_redis) -> None:
    ours, theirs = _both(server, real_redis, PERMISSIONS)
    steps = [s for s in PERMISSIONS if s[0] != "sleep"]
    replies = []
    for s in steps:
        n = int(s[1][1:]) if isinstance(s[1], str) and s[1].startswith("+") else 1
        replies += [s] * n
    for step, a, b in zip(replies, ours, theirs, strict=True):
        if step[1:3] == ("HELLO", "2") and a.startswith(b"*"):
            a, b = scenario.mask_ids([a])[0], scenario.mask_ids([b])[0]
            a = re.sub(rb"7\.0\.\d+", b"7.0.x", a)
            b = re.sub(rb"7\.0\.\d+", b"7.0.x", b)
        assert a == b, step


def _log_fields(reply: bytes) -> list:
    out = []
    for e in wire.decode_reply(reply):
        d = dict(zip(e[::2], e[1::2], strict=True)) if isinstance(e, list) else e
        out.append((d[b"count"], d[b"reason"], d[b"context"], d[b"object"], d[b"username"]))
    return out


@pytest.mark.differential
def test_acl_log_like_redis(server, real_redis) -> None:
    steps = [
        ("a", "ACL", "SETUSER", "eve", "on", ">pw", "~e*", "+get", "+set", "+multi", "+exec",
         "+eval", "&c1"),
        ("b", "AUTH", "eve", "pw"), ("b", "GET", "x"), ("b", "GET", "x"), ("b", "INCR", "e1"),
        ("b", "AUTH", "eve", "no"), ("b", "MULTI"), ("b", "GET", "y"), ("b", "EXEC"),
        ("b", "EVAL", "return redis.call('get', 'z')", "0"), ("b", "PUBLISH", "c2", "m"),
        ("a", "ACL", "LOG"), ("a", "ACL", "LOG", "2"), ("a", "ACL", "LOG", "-5"),
        ("a", "CONFIG", "SET", "acllog-max-len", "2"), ("a", "ACL", "LOG"),
        ("a", "CONFIG", "SET", "acllog-max-len", "128"), ("a", "ACL", "LOG", "RESET"),
        ("a", "ACL", "LOG"),
    ]  # fmt: skip
    ours, theirs = _both(server, real_redis, steps)
    for step, a, b in zip(steps, ours, theirs, strict=True):
        if step[1:3] == ("ACL", "LOG") and a.startswith(b"*") and a != b"*0\r\n":
            assert _log_fields(a) == _log_fields(b), step
            continue
        assert a == b, step


def _killed_transcript(port: int) -> list[bytes]:
    admin = realredis.RawClient(port)
    try:
        admin.call("ACL", "SETUSER", "sub", "on", "nopass", "+@all", "~*", "&a*", "&b")
        s = realredis.RawClient(port)
        out = [s.call("AUTH", "sub", "x"), s.call("SUBSCRIBE", "b")]
        out.append(admin.call("ACL", "SETUSER", "sub", "resetchannels", "&a*"))
        time.sleep(0.1)
        out.append(s.read_reply())  # the connection was closed: b""
        s.close()
        return out
    finally:
        admin.close()


@pytest.mark.differential
def test_subscriber_losing_a_channel_is_disconnected_like_redis(server, real_redis) -> None:
    try:
        assert _killed_transcript(server.redis_port) == _killed_transcript(real_redis.port)
    finally:
        _cleanup(server.redis_port)
        _cleanup(real_redis.port)


@pytest.mark.differential
def test_config_rewrite_writes_users_like_redis(tmp_path) -> None:
    from tests.redis.test_redis_conf import _managed, _rewrite_both

    if not realredis.available():
        pytest.skip("redis-server is not installed")
    original = "port PORT\nuser alice on >a ~a* +get\n"
    commands = [["ACL", "SETUSER", "bob", "on", ">pw", "~b*", "+@read", "-keys"],
                ["ACL", "SETUSER", "alice", "+set"]]  # fmt: skip
    theirs, ours = _rewrite_both(tmp_path, original, commands)
    head_ours, tail_ours = _managed(ours, {"user"})
    head_theirs, tail_theirs = _managed(theirs, {"user"})
    assert [normalize(x.encode()) for x in head_ours] == [
        normalize(x.encode()) for x in head_theirs
    ]
    assert {normalize(x.encode()) for x in tail_ours} == {
        normalize(x.encode()) for x in tail_theirs
    }


def test_redis_conf_users_load_at_startup(tmp_path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text("port 0\nuser default on nopass ~* +@all\nuser ann on >x ~ann:* +get +set\n")
    with polystack.testing.serve(
        redis=True, data_dir=tmp_path / "d", config_overrides={"redis.redis_config": str(conf)}
    ) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.acl_users() == ["ann", "default"]
        ann = redis.Redis(port=s.redis_port, username="ann", password="x")
        assert ann.set("ann:1", "v")
        with pytest.raises(redis.exceptions.NoPermissionError):
            ann.set("bob:1", "v")
