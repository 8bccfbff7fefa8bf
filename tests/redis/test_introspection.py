"""COMMAND and its subcommands: generated from the declarative table."""

from __future__ import annotations

import hiredis
import pytest

from polystack.redis.commands import COMMANDS
from polystack.redis.commands.introspection import info_entry, lookup_full_name
from polystack.redis.commands.keyspecs import specs_for
from tests.redis.realredis import RawClient


class Err(Exception):
    pass


@pytest.fixture
def call(server):
    """Raw calls parsed by hiredis (redis-py rewrites every COMMAND reply with its own parser)."""
    clients: dict[int, RawClient] = {}

    def run(*args, resp: int = 2):
        c = clients.get(resp)
        if c is None:
            c = clients[resp] = RawClient(server.redis_port)
            if resp == 3:
                c.call("HELLO", "3")
        reader = hiredis.Reader(replyError=Err)
        reader.feed(c.call(*args))
        reply = reader.gets()
        if isinstance(reply, Err):
            raise reply
        return reply

    yield run
    for c in clients.values():
        c.close()


def test_command_count_and_full_listing(r, call):
    assert r.command_count() == len(COMMANDS)
    raw = call("COMMAND")
    assert len(raw) == len(COMMANDS)
    assert all(len(entry) == 10 for entry in raw)
    names = {entry[0] for entry in raw}
    assert {b"get", b"set", b"config", b"client", b"command"} <= names


def test_command_info_entry_shape(call):
    get, missing, cfg = call("COMMAND", "INFO", "get", "nosuch", "config|get")
    assert get[:6] == [b"get", 2, [b"readonly", b"fast"], 1, 1, 1]
    assert get[6] == [b"@read", b"@string", b"@fast"]
    assert missing is None
    assert cfg[0] == b"config|get" and cfg[2] == [b"admin", b"noscript", b"loading", b"stale"]
    container = call("COMMAND", "INFO", "config")[0]
    subs = {entry[0] for entry in container[9]}
    assert subs == {b"config|get", b"config|set", b"config|resetstat", b"config|rewrite",
                    b"config|help"}  # fmt: skip


def test_redis_py_command_parser(r):
    # redis-py parses COMMAND to find key positions (used by cluster clients).
    parsed = r.command()
    assert parsed["get"]["arity"] == 2 and parsed["set"]["first_key_pos"] == 1


def test_command_docs(call):
    docs = call("COMMAND", "DOCS", "config", "nosuch", "ping", resp=3)
    assert set(docs) == {b"config", b"ping"}
    cfg = docs[b"config"]
    assert cfg[b"group"] == b"server" and cfg[b"since"] == b"2.0.0"
    assert b"config|get" in cfg[b"subcommands"]
    assert cfg[b"subcommands"][b"config|get"][b"summary"]


def test_command_list_filters(call):
    every = call("COMMAND", "LIST")
    assert b"config|get" in every and b"get" in every
    assert len(every) == sum(1 + len(c.subcommands) for c in COMMANDS.values())
    pattern = call("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG|*")
    assert sorted(pattern) == [b"config|get", b"config|help", b"config|resetstat",
                               b"config|rewrite", b"config|set"]  # fmt: skip
    admin = call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin")
    assert b"config|set" in admin and b"get" not in admin
    assert call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch") == []
    assert call("COMMAND", "LIST", "FILTERBY", "MODULE", "any") == []
    with pytest.raises(Err, match="syntax error"):
        call("COMMAND", "LIST", "FILTERBY", "PATTERN")


def test_getkeys(call):
    assert call("COMMAND", "GETKEYS", "SET", "k", "v", "EX", "5") == [b"k"]
    flags = call("COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v", "GET")
    assert flags == [[b"k", [b"RW", b"access", b"update"]]]
    with pytest.raises(Err, match="The command has no key arguments"):
        call("COMMAND", "GETKEYS", "PING", "x")
    with pytest.raises(Err, match="Invalid command specified"):
        call("COMMAND", "GETKEYS", "NOSUCH", "x")
    with pytest.raises(Err, match="Invalid number of arguments"):
        call("COMMAND", "GETKEYS", "GET", "a", "b")


def test_command_help(call):
    lines = call("COMMAND", "HELP")
    assert lines[0].startswith(b"COMMAND <subcommand>") and lines[-2:] == [
        b"HELP",
        b"    Prints this help.",
    ]


def test_every_registered_command_has_a_consistent_entry():
    for cmd in COMMANDS.values():
        for c in (cmd, *cmd.subcommands.values()):
            entry = info_entry(c)
            assert entry[0] == c.full_name and entry[1] == c.arity
            assert lookup_full_name(c.full_name.upper().encode()) is c
            assert c.summary and c.since and c.group
            for spec in specs_for(c):
                assert spec[1][0] in ("index", "keyword", "unknown")
