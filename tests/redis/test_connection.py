"""Connection commands and CLIENT through redis-py (RESP2 and RESP3) and raw sockets."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import polystack.testing
from tests.redis.realredis import RawClient


def test_ping_echo(r, r3):
    assert r.ping() is True
    assert r.echo("hi") == b"hi"
    assert r.execute_command("ECHO", "") == b""
    assert r3.ping() is True
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'ping'"):
        r.execute_command("PING", "a", "b")


def test_select_isolates_databases(r, server):
    r.set("k", "db0")
    other = redis.Redis(port=server.redis_port, db=3)
    assert other.get("k") is None
    other.set("k", "db3")
    assert r.get("k") == b"db0"
    assert other.get("k") == b"db3"
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.execute_command("SELECT", "16")
    other.close()


def test_quit_closes_after_reply(server):
    c = RawClient(server.redis_port)
    assert c.call("QUIT") == b"+OK\r\n"
    assert c.read_reply() == b""  # the server closed the connection
    c.close()


def test_hello_switches_protocol_and_sets_name(server):
    c = RawClient(server.redis_port)
    reply = c.call("HELLO", "3", "SETNAME", "conn-a")
    assert reply.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15")
    assert b"$5\r\nproto\r\n:3\r\n" in reply
    assert c.call("CLIENT", "GETNAME") == b"$6\r\nconn-a\r\n"
    assert c.call("GET", "missing-key") == b"_\r\n"
    assert c.call("HELLO", "2").startswith(b"*14\r\n")
    assert c.call("GET", "missing-key") == b"$-1\r\n"
    assert c.call("HELLO").startswith(b"*14\r\n")  # no version: keeps the current protocol
    c.close()


def test_reset_restores_a_fresh_connection(server):
    c = RawClient(server.redis_port)
    c.call("HELLO", "3")
    c.call("SELECT", "2")
    c.call("CLIENT", "SETNAME", "before")
    c.call("CLIENT", "NO-EVICT", "on")
    assert b"flags=e" in c.call("CLIENT", "INFO")
    assert c.call("RESET") == b"+RESET\r\n"
    info = c.call("CLIENT", "INFO")
    assert info.startswith(b"$")  # back to RESP2: a bulk string, not verbatim
    assert b" db=0 " in info and b" name= " in info and b"resp=2" in info and b"flags=N" in info
    c.close()


@pytest.fixture(scope="module")
def protected():
    with polystack.testing.serve(redis=True, config_overrides={"redis.requirepass": "s3cret"}) as s:
        yield s


def test_requirepass(protected):
    c = RawClient(protected.redis_port)
    assert c.call("GET", "a") == b"-NOAUTH Authentication required.\r\n"
    assert c.call("PING") == b"-NOAUTH Authentication required.\r\n"
    assert c.call("AUTH", "wrong") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    )
    assert c.call("HELLO", "3").startswith(b"-NOAUTH HELLO must be called with the client")
    assert c.call("AUTH", "s3cret") == b"+OK\r\n"
    assert c.call("PING") == b"+PONG\r\n"
    assert c.call("RESET") == b"+RESET\r\n"
    assert c.call("PING") == b"-NOAUTH Authentication required.\r\n"
    assert c.call("HELLO", "3", "AUTH", "default", "s3cret").startswith(b"%7\r\n")
    assert c.call("PING") == b"+PONG\r\n"
    c.close()
    rp = redis.Redis(port=protected.redis_port, password="s3cret", protocol=3)
    assert rp.ping() is True
    rp.close()
    no_retry = Retry(NoBackoff(), 0)
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=protected.redis_port, password="nope", retry=no_retry).ping()


def test_client_id_name_info(r, server):
    cid = r.client_id()
    assert isinstance(cid, int) and cid > 0
    assert r.client_getname() is None
    assert r.client_setname("worker-1") is True
    assert r.client_getname() == "worker-1"
    info = r.client_info()
    assert int(info["id"]) == cid and info["name"] == "worker-1" and int(info["db"]) == 0
    assert info["cmd"] == "client|info" and info["user"] == "default"
    with pytest.raises(redis.ResponseError, match="Client names cannot contain spaces"):
        r.client_setname("a b")


def test_client_list_and_filters(r, server):
    other = redis.Redis(port=server.redis_port)
    other.client_setname("the-other")
    other_id = other.client_id()
    listed = {c["name"]: c for c in r.client_list()}
    assert "the-other" in listed and int(listed["the-other"]["id"]) == other_id
    by_id = r.client_list(client_id=[other_id])
    assert [c["name"] for c in by_id] == ["the-other"]
    assert all(c["flags"] == "N" for c in r.client_list(_type="normal"))
    assert r.client_list(_type="pubsub") == []
    other.close()


def test_client_setinfo(r):
    assert r.execute_command("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"OK"
    assert r.execute_command("CLIENT", "SETINFO", "lib-ver", "1.2.3") == b"OK"
    info = r.client_info()
    assert info["lib-name"] == "mylib" and info["lib-ver"] == "1.2.3"
    with pytest.raises(redis.ResponseError, match="Unrecognized option 'foo'"):
        r.execute_command("CLIENT", "SETINFO", "foo", "x")
    with pytest.raises(redis.ResponseError, match="cannot contain spaces"):
        r.execute_command("CLIENT", "SETINFO", "lib-name", "a b")


def test_client_kill_forms(r, server):
    victim = RawClient(server.redis_port)
    vid = int(victim.call("CLIENT", "ID")[1:-2])
    assert r.client_kill_filter(_id=vid) == 1
    assert victim.read_reply() == b""
    victim.close()

    victim = RawClient(server.redis_port)
    assert victim.call("PING") == b"+PONG\r\n"
    host, port = victim.sock.getsockname()
    assert r.client_kill(f"{host}:{port}") is True
    assert victim.read_reply() == b""
    victim.close()
    with pytest.raises(redis.ResponseError, match="No such client"):
        r.client_kill("10.0.0.1:1")

    # SKIPME yes (the default) spares the caller; LADDR and USER filter too.
    me = r.client_id()
    laddr = r.client_info()["laddr"]
    spared = r.execute_command("CLIENT", "KILL", "ID", str(me))
    assert spared == 0 and r.ping()
    victim = RawClient(server.redis_port)
    assert victim.call("PING") == b"+PONG\r\n"  # the server has accepted it before the kill
    killed = r.execute_command("CLIENT", "KILL", "LADDR", laddr, "USER", "default")
    assert killed >= 1
    assert victim.read_reply() == b""
    victim.close()
    assert r.ping()


def test_client_kill_self_with_skipme_no(server):
    c = RawClient(server.redis_port)
    cid = c.call("CLIENT", "ID")[1:-2]
    assert c.call("CLIENT", "KILL", "ID", cid, "SKIPME", "no") == b":1\r\n"
    assert c.read_reply() == b""
    c.close()


def test_client_no_evict_and_help(r):
    assert r.execute_command("CLIENT", "NO-EVICT", "on") == b"OK"
    assert "e" in r.client_info()["flags"]
    assert r.execute_command("CLIENT", "NO-EVICT", "off") == b"OK"
    help_lines = r.execute_command("CLIENT", "HELP")
    assert help_lines[0].startswith(b"CLIENT <subcommand>")
    assert b"HELP" in help_lines


def test_client_list_is_verbatim_in_resp3(server):
    c = RawClient(server.redis_port)
    c.call("HELLO", "3")
    assert c.call("CLIENT", "INFO").startswith(b"=")
    c.close()
