"""redis.conf as a drop-in: Redis's own file format (quoting, include, repeated directives,
units), the one warning line naming what polystack does not apply, CONFIG REWRITE of that file
as Redis rewrites it (compared with a real redis-server's rewrite), and Debian's stock
/etc/redis/redis.conf starting cleanly."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

import polystack.testing
from polystack.redis import conf
from tests.processes import ServeProcess, free_port
from tests.redis.repl_support import real_server


def serve_with(path: Path, tmp_path: Path, **overrides):
    return polystack.testing.serve(
        redis=True,
        data_dir=tmp_path / "data",
        config_overrides={"redis.redis_config": str(path), **overrides},
    )


# -- the format -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, args",
    [
        ("port 6380", ["port", "6380"]),
        ('requirepass "a b"', ["requirepass", "a b"]),
        ("requirepass 'it\\'s'", ["requirepass", "it's"]),
        ('x "\\x41\\n\\t"', ["x", "A\n\t"]),
        ('save ""', ["save", ""]),
        ("  spaced   out  ", ["spaced", "out"]),
        ('x "open', None),
        ('x "a"b', None),
        ("x 'a", None),
    ],
)
def test_split_args_as_sdssplitargs(line, args):
    assert conf.split_args(line) == args


@given(st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=5))
def test_quote_round_trips_through_split_args(words):
    line = " ".join(conf.quote(w) for w in words)
    assert conf.split_args(line) == words


@pytest.mark.parametrize(
    "value, n", [("100mb", 100 << 20), ("1gb", 1 << 30), ("5k", 5000), ("7", 7), ("2GB", 2 << 30)]
)
def test_memory_units(value, n):
    assert conf.memtoull(value) == n


def test_unknown_directive_is_an_error_naming_file_and_line(tmp_path):
    p = tmp_path / "redis.conf"
    p.write_text("port 7000\n\nnot-a-directive yes\n")
    with pytest.raises(conf.ConfigFileError, match=r"redis.conf:3: .*Bad directive"):
        conf.read(str(p))
    p.write_text('requirepass "unbalanced\n')
    with pytest.raises(conf.ConfigFileError, match="Unbalanced quotes"):
        conf.read(str(p))


def test_file_is_applied_with_include_repeats_units_and_warning(tmp_path, caplog):
    inc = tmp_path / "conf.d"
    inc.mkdir()
    (inc / "a.conf").write_text("maxmemory 2mb\n")
    (inc / "b.conf").write_text("hz 20\n")
    p = tmp_path / "redis.conf"
    p.write_text(
        "# a comment\n"
        "daemonize yes\n"
        "pidfile /run/x.pid\n"
        "save 900 1\n"
        "save 300 10\n"
        "SLAVE-READ-ONLY yes\n"
        'requirepass "pa ss"\n'
        f"include {inc}/*.conf\n"
        "maxmemory-policy allkeys-lru\n"
        "client-output-buffer-limit pubsub 64mb 16mb 90\n"
        "notify-keyspace-events Ex\n"
        "rename-command FLUSHALL ''\n"
    )
    caplog.set_level(logging.WARNING)
    with serve_with(p, tmp_path) as s:
        r = redis.Redis(port=s.redis_port, password="pa ss")
        got = r.config_get("*")
        assert got["save"] == "900 1 300 10"
        assert got["maxmemory"] == str(2 << 20)
        assert got["hz"] == "20"
        assert got["maxmemory-policy"] == "allkeys-lru"
        assert got["appendonly"] == "no"  # Redis's default, not polystack's
        assert "pubsub 67108864 16777216 90" in got["client-output-buffer-limit"]
        assert got["notify-keyspace-events"] == "xE"
        assert r.info("server")["config_file"] == str(p)
    warnings = [m for m in caplog.messages if "does not support" in m]
    assert len(warnings) == 1
    assert "daemonize" in warnings[0] and "pidfile" in warnings[0]
    assert "rename-command" in warnings[0]


def test_flags_and_polystack_config_override_the_file(tmp_path):
    p = tmp_path / "redis.conf"
    p.write_text("hz 20\nappendfsync no\nmaxclients 50\n")
    with serve_with(p, tmp_path, **{"redis.appendfsync": "always"}) as s:
        got = redis.Redis(port=s.redis_port).config_get("*")
        assert got["appendfsync"] == "always"
        assert got["hz"] == "20" and got["maxclients"] == "50"


def test_debian_stock_redis_conf_starts_cleanly(tmp_path):
    stock = Path("/etc/redis/redis.conf")
    if not stock.exists():
        pytest.skip("Debian's redis-server is not installed")
    text = stock.read_text()
    text = re.sub(r"(?m)^port 6379$", "port 0", text)
    text = re.sub(r"(?m)^dir /var/lib/redis$", f"dir {tmp_path / 'rdb'}", text)
    (tmp_path / "rdb").mkdir()
    p = tmp_path / "redis.conf"
    p.write_text(text)
    proc = ServeProcess(tmp_path / "data", "--redis-config", str(p)).start()
    try:
        r = redis.Redis(port=proc.ports["redis"])
        r.set("k", "v")
        assert r.config_get("dir")["dir"] == str(tmp_path / "rdb")
        assert r.config_get("save")["save"] == conf.REDIS_DEFAULT_SAVE
        assert r.save() is True
        assert (tmp_path / "rdb" / "dump.rdb").exists()
    finally:
        out = proc.terminate()
    assert "failed" not in out and "Traceback" not in out
    warning = [line for line in out.splitlines() if "does not support" in line]
    assert len(warning) == 1 and "daemonize" in warning[0]


# -- CONFIG REWRITE ---------------------------------------------------------------------------
def _rewrite_both(tmp_path: Path, original: str, commands: list[list[str]]) -> tuple[str, str]:
    """The same file rewritten by a real redis-server and by polystack after the same CONFIG
    SETs."""
    port = free_port()
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real_conf = real_dir / "redis.conf"
    real_conf.write_text(original.replace("PORT", str(port)))
    ours_conf = tmp_path / "ours.conf"
    ours_conf.write_text(original.replace("PORT", "0"))
    with real_server(config=str(real_conf), dir=str(real_dir), port=port) as real:
        rr = real.client()
        for cmd in commands:
            rr.execute_command(*cmd)
        rr.config_rewrite()
    with serve_with(ours_conf, tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        for cmd in commands:
            r.execute_command(*cmd)
        r.config_rewrite()
    return real_conf.read_text(), ours_conf.read_text()


def _managed(text: str, names: set[str]) -> tuple[list[str], set[str]]:
    """The lines of the options both servers manage, blank lines and comments, in file order;
    the lines appended after the signature as a set (Redis appends them in its config dict's
    order)."""
    head, _, tail = text.partition(conf.REWRITE_SIGNATURE)

    def keep(part: str) -> list[str]:
        out = []
        for line in part.splitlines():
            args = conf.split_args(line.strip()) or [""]
            if line.startswith("#") or not line.strip() or args[0].lower() in names:
                out.append(line)
        return out

    return keep(head), set(keep(tail)) - {""}


def test_config_rewrite_matches_real_redis(tmp_path):
    original = (
        "# my redis\n"
        "port PORT\n"
        "save 900 1\n"
        "save 300 10\n"
        "# memory\n"
        "maxmemory 100mb\n"
        "hz 15\n"
        "timeout 0\n"
    )
    commands = [
        ["CONFIG", "SET", "maxmemory", "2gb"],
        ["CONFIG", "SET", "save", "60 5"],
        ["CONFIG", "SET", "hz", "10"],
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        ["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        ["CONFIG", "SET", "timeout", "30"],
    ]
    theirs, ours = _rewrite_both(tmp_path, original, commands)
    names = {"save", "maxmemory", "hz", "timeout", "maxmemory-policy", "notify-keyspace-events"}
    assert _managed(ours, names) == _managed(theirs, names)
    assert "# Generated by CONFIG REWRITE" in ours


def test_config_set_save_and_rewrite_survive_restart(tmp_path):
    p = tmp_path / "redis.conf"
    p.write_text("appendonly yes\n")
    with serve_with(p, tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        r.config_set("save", "120 7")
        r.config_set("maxmemory", "3mb")
        assert r.config_rewrite() in (True, b"OK")
    with serve_with(p, tmp_path) as s:
        got = redis.Redis(port=s.redis_port).config_get("*")
        assert got["save"] == "120 7" and got["maxmemory"] == str(3 << 20)
    assert "maxmemory 3mb" in p.read_text()


def test_rewrite_of_a_read_only_directory_fails_cleanly(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    p = d / "redis.conf"
    p.write_text("hz 10\n")
    with serve_with(p, tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        shutil.rmtree(d)
        with pytest.raises(redis.ResponseError, match="Rewriting config file"):
            r.config_rewrite()
        assert r.ping()
