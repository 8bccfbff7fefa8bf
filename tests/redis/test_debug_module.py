"""DEBUG ERROR / DEBUG LOG (what client libraries' tests use to meet every kind of error
reply) and MODULE (polystack loads no modules), against a real redis-server 7.0 and through
redis-py."""

from __future__ import annotations

import pytest
import redis

import polystack.testing
from tests.redis import realredis
from tests.redis.scenarios import check

DEBUG_ERRORS = [
    ["CONFIG", "RESETSTAT"],
    ["DEBUG", "ERROR", "LOADING fake message"],
    ["DEBUG", "ERROR", "READONLY You can't write against a read only replica."],
    ["DEBUG", "ERROR", "a\r\nb\rc\nd"],
    ["DEBUG", "ERROR", ""],
    ["DEBUG", "ERROR"],
    ["DEBUG", "ERROR", "a", "b"],
    ["DEBUG", "error", "x", "y"],
    ["MULTI"],
    ["DEBUG", "ERROR", "OOM inside"],
    ["EXEC"],
    ["DEBUG", "LOG", "hello from the differential test"],
    ["DEBUG", "LOG"],
    ["INFO", "errorstats"],
]

MODULES = [
    ["MODULE", "LIST"],
    ["MODULE", "LIST", "x"],
    ["MODULE", "LOAD", "/nonexistent/module.so"],
    ["MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "a", "b", "ARGS", "c"],
    ["MODULE", "UNLOAD", "search"],
    ["MODULE", "UNLOAD"],
    ["MODULE", "BOGUS"],
    ["MODULE"],
    ["MODULE", "HELP"],
    ["COMMAND", "INFO", "module", "module|list", "module|load", "module|loadex"],
    ["COMMAND", "INFO", "module|unload", "module|help"],
    ["COMMAND", "DOCS", "module|list", "module|load", "module|loadex", "module|unload"],
    ["COMMAND", "DOCS", "module|help"],
    ["INFO", "modules"],
]


@pytest.mark.differential
@pytest.mark.parametrize("resp", [2, 3])
def test_debug_error_like_redis(differ, resp: int) -> None:
    check(differ, DEBUG_ERRORS, resp)


@pytest.mark.differential
@pytest.mark.parametrize("resp", [2, 3])
def test_module_like_redis(differ, resp: int) -> None:
    # Redis lists a container's subcommands in its dict's order, which a random hash seed
    # picks per process: compared as collections
    check(differ, MODULES, resp, loose={"COMMAND"})


@pytest.mark.differential
def test_module_commands_when_enabled(tmp_path) -> None:
    """With ``enable-module-command yes`` a LOAD is attempted, and fails: polystack has no
    module to load, as a Redis has none at a path that does not exist."""
    if not realredis.available():
        pytest.skip("redis-server is not installed (scripts/install-test-deps installs it)")
    conf = tmp_path / "redis.conf"
    conf.write_text("enable-module-command yes\n")
    cmds = MODULES[:9]
    real = realredis.RealRedis("--enable-module-command", "yes")
    try:
        theirs = realredis.exchange(real.port, cmds)
    finally:
        real.stop()
    with polystack.testing.serve(
        redis=True, data_dir=tmp_path / "d", config_overrides={"redis.redis_config": str(conf)}
    ) as s:
        ours = realredis.exchange(s.redis_port, cmds)
    assert ours == theirs


def test_debug_error_through_redis_py(r) -> None:
    """redis-py maps each error code to its exception class, as its own suite checks."""
    with pytest.raises(redis.BusyLoadingError):
        r.execute_command("DEBUG", "ERROR", "LOADING fake message")
    with pytest.raises(redis.ReadOnlyError):
        r.execute_command("DEBUG", "ERROR", "READONLY You can't write against a read only replica.")
    with pytest.raises(redis.OutOfMemoryError):
        r.execute_command(
            "DEBUG", "ERROR", "OOM command not allowed when used memory > 'maxmemory'."
        )
    assert r.ping()
    assert r.module_list() == []
    with pytest.raises(redis.ResponseError, match="MODULE command not allowed"):
        r.module_load("/nonexistent.so")
