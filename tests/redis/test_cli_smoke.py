"""Debian's redis-cli against polystack: one-shot commands and a piped session."""

from __future__ import annotations

import shutil
import subprocess

import pytest

REDIS_CLI = shutil.which("redis-cli")
pytestmark = pytest.mark.skipif(
    REDIS_CLI is None, reason="redis-cli (redis-tools) is not installed"
)


def cli(port: int, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [REDIS_CLI, "-p", str(port), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_one_shot_commands(r, server):
    port = server.redis_port
    assert cli(port, "ping") == "PONG\n"
    assert cli(port, "set", "a", "1") == "OK\n"
    assert cli(port, "get", "a") == "1\n"
    assert cli(port, "echo", "hello world") == "hello world\n"
    assert cli(port, "dbsize") == "1\n"
    assert cli(port, "-n", "3", "set", "b", "2") == "OK\n"
    assert cli(port, "-n", "3", "get", "b") == "2\n"
    assert cli(port, "config", "get", "maxmemory") == "maxmemory\n0\n"
    assert "redis_version:7.0.15" in cli(port, "info", "server")
    assert cli(port, "nosuch", "x").startswith(
        "ERR unknown command 'nosuch', with args beginning with: 'x'"
    )
    assert cli(port, "-3", "get", "a") == "1\n"


def test_piped_session(r, server):
    out = cli(server.redis_port, stdin="SET a 1\nGET a\nINCRBYFLOAT nosuchcmd\nPING\n")
    lines = out.splitlines()
    assert lines[:2] == ["OK", "1"] and lines[-1] == "PONG"


def test_piped_session_with_quotes(r, server):
    out = cli(server.redis_port, stdin='SET "key with space" "a value"\nGET "key with space"\n')
    assert out == "OK\na value\n"


def test_client_commands_through_the_cli(r, server):
    port = server.redis_port
    assert cli(port, "client", "setname", "cli-test") == "OK\n"
    assert "cmd=client|list" in cli(port, "client", "list")
    assert cli(port, "command", "getkeys", "set", "k", "v") == "k\n"


def test_pipe_mode(r, server):
    """redis-cli --pipe (mass insertion): raw protocol in, then an inline "\r\n" and an ECHO
    whose reply it waits for."""
    data = "".join(f"*3\r\n$3\r\nSET\r\n$5\r\npipe{i}\r\n$1\r\n{i}\r\n" for i in range(10))
    out = cli(server.redis_port, "--pipe", stdin=data)
    assert "errors: 0, replies: 10" in out
    assert r.get("pipe9") == b"9"
