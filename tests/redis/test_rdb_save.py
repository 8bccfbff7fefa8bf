"""SAVE, BGSAVE (a forked child), SHUTDOWN SAVE, save points and loading dump.rdb at start-up,
checked with redis-check-rdb and a real redis-server loading the file."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import redis

import polystack.testing
from tests.processes import ServeProcess
from tests.redis.realredis import RawClient
from tests.redis.repl_support import check_rdb, dataset, real_server, wait_for

pytestmark = pytest.mark.differential


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def info(r: redis.Redis, section: str = "persistence") -> dict:
    return r.info(section)


def fill(r: redis.Redis, n: int = 200) -> None:
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"key:{i}", f"value-{i}" * (i % 7 + 1))
    pipe.hset("h", mapping={"a": 1, "b": 2})
    pipe.sadd("s", 1, 2, 3)
    pipe.zadd("z", {"m": 1.5})
    pipe.set("ttl", "x", ex=1000)
    pipe.execute()
    r.execute_command("SELECT", 3)
    r.set("in-db-3", "yes")
    r.execute_command("SELECT", 0)


def same_in_real_redis(path: Path, expected: dict) -> None:
    checked = check_rdb(str(path))
    assert checked.returncode == 0 and "RDB looks OK" in checked.stdout, checked.stdout
    d = path.parent / "real"
    d.mkdir(exist_ok=True)
    shutil.copy(path, d / "dump.rdb")
    with real_server(dir=str(d)) as real:
        assert dataset(real.client()) == expected


def test_save_and_bgsave_write_dump_rdb(tmp_path: Path) -> None:
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        fill(r)
        expected = dataset(r)
        before = r.lastsave()
        assert r.save() is True
        path = Path(r.config_get("dir")["dir"]) / "dump.rdb"
        assert path.exists()
        same_in_real_redis(path, expected)
        path.unlink()
        r.set("after", "save")
        expected = dataset(r)
        assert r.bgsave() is True
        wait_for(lambda: info(r)["rdb_bgsave_in_progress"] == 0 and path.exists(), what="bgsave")
        p = info(r)
        assert p["rdb_last_bgsave_status"] == "ok"
        assert p["rdb_saves"] == 2
        assert p["rdb_changes_since_last_save"] == 0
        assert r.lastsave() >= before
        same_in_real_redis(path, expected)


def test_bgsave_while_a_child_runs_is_refused(tmp_path: Path) -> None:
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        fill(r, 20000)
        r.bgsave()
        errors = []
        for cmd in ("BGSAVE", "SAVE"):
            try:
                r.execute_command(cmd)
            except redis.ResponseError as e:
                errors.append(str(e))
        wait_for(lambda: info(r)["rdb_bgsave_in_progress"] == 0, what="bgsave")
        # The child may finish before the second command: whatever was refused, was refused
        # with Redis's words.
        assert all(e == "Background save already in progress" for e in errors)


def test_bgsave_is_a_consistent_view_of_the_fork_moment(tmp_path: Path) -> None:
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        r = redis.Redis(port=s.redis_port)
        fill(r, 5000)
        expected = dataset(r)
        r.bgsave()
        r.set("written-after-the-fork", "1")
        r.delete("key:1")
        wait_for(lambda: info(r)["rdb_bgsave_in_progress"] == 0, what="bgsave")
        path = Path(r.config_get("dir")["dir"]) / "dump.rdb"
        same_in_real_redis(path, expected)


def test_dump_rdb_of_a_real_server_is_loaded_at_start_up(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    with real_server(dir=str(real_dir)) as real:
        rr = real.client()
        fill(rr)
        expected = dataset(rr)
        rr.save()
    for appendonly in (False, True):
        data = tmp_path / f"ps-{appendonly}"
        (data / "redis").mkdir(parents=True)
        shutil.copy(real_dir / "dump.rdb", data / "redis" / "dump.rdb")
        overrides = {"redis.appendonly": appendonly}
        with polystack.testing.serve(redis=True, data_dir=data, config_overrides=overrides) as s:
            r = redis.Redis(port=s.redis_port)
            assert dataset(r) == expected
            assert info(r)["rdb_last_load_keys_loaded"] == len(expected)
            r.set("new", "write")
        if appendonly:
            # The next start reads the journal (which began from the file), not the file.
            (data / "redis" / "dump.rdb").unlink()
            with polystack.testing.serve(
                redis=True, data_dir=data, config_overrides=overrides
            ) as s:
                r = redis.Redis(port=s.redis_port)
                assert r.get("new") == b"write"
                assert r.dbsize() == sum(1 for db, _ in expected if db == 0) + 1


def test_a_corrupt_dump_rdb_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "dump.rdb").write_bytes(b"REDIS0010\xfe\x00\x00\x05")
    proc = ServeProcess(tmp_path)
    with pytest.raises(RuntimeError) as e:
        proc.start()
    assert "dump.rdb" in str(e.value) and "redis failed to start" in str(e.value)


def test_save_points_and_shutdown_save(tmp_path: Path) -> None:
    conf = tmp_path / "polystack.toml"
    conf.write_text('[redis]\nshutdown_scope = "process"\n')  # SHUTDOWN ends the process
    proc = ServeProcess(tmp_path, "--config", str(conf)).start()
    r = redis.Redis(port=proc.ports["redis"])
    r.config_set("save", "1 1")
    assert r.config_get("save") == {"save": "1 1"}
    r.set("a", "1")
    path = tmp_path / "redis" / "dump.rdb"
    wait_for(path.exists, what="a save point's BGSAVE")
    wait_for(lambda: info(r)["rdb_changes_since_last_save"] == 0, what="the save to finish")
    r.set("b", "2")
    try:
        r.shutdown(save=True)
    except redis.ConnectionError:
        pass
    # SHUTDOWN stops the Redis service (shutdown_scope "redis"): its port closes.
    wait_for(lambda: not _listening(proc.ports["redis"]), 30, "the Redis service to stop")
    proc.terminate()
    checked = check_rdb(str(path))
    assert checked.returncode == 0, checked.stdout
    with real_server(dir=str(path.parent)) as real:
        rr = real.client()
        assert (rr.get("a"), rr.get("b")) == (b"1", b"2")


def test_a_failed_bgsave_stops_writes_like_redis(tmp_path: Path) -> None:
    """stop-writes-on-bgsave-error with save points: writes (and PING) get Redis's -MISCONF
    until a save succeeds again; reads go on."""
    rdb_dir = tmp_path / "rdb"
    rdb_dir.mkdir()
    overrides = {"redis.dir": str(rdb_dir), "redis.save": "3600 1"}
    with polystack.testing.serve(
        redis=True, data_dir=tmp_path / "d", config_overrides=overrides
    ) as s:
        r = redis.Redis(port=s.redis_port)
        r.set("k", "v")
        shutil.rmtree(rdb_dir)
        rdb_dir.write_text("not a directory")  # the child cannot create its temp file
        r.bgsave()
        wait_for(lambda: info(r)["rdb_last_bgsave_status"] == "err", 20, "the failed BGSAVE")
        with pytest.raises(redis.ResponseError, match="MISCONF Redis is configured to save RDB"):
            r.set("k", "w")
        assert r.get("k") == b"v"
        r.config_set("stop-writes-on-bgsave-error", "no")
        wait_for(lambda: r.set("k", "w"), 5, "writes accepted again")
        r.config_set("stop-writes-on-bgsave-error", "yes")
        rdb_dir.unlink()
        rdb_dir.mkdir()
        r.bgsave()
        wait_for(lambda: info(r)["rdb_last_bgsave_status"] == "ok", 20, "a good BGSAVE")
        assert r.set("k", "x")


def _info_fields(port: int, section: str) -> list[str]:
    c = RawClient(port)
    try:
        text = c.call("INFO", section).decode()
    finally:
        c.close()
    return [line.split(":")[0] for line in text.splitlines()[2:] if line]


@pytest.mark.parametrize("appendonly", ["yes", "no"])
def test_info_persistence_fields_as_redis_prints_them(tmp_path: Path, appendonly: str) -> None:
    with real_server("--appendonly", appendonly) as real:
        theirs = _info_fields(real.port, "persistence")
    overrides = {"redis.appendonly": appendonly == "yes"}
    with polystack.testing.serve(redis=True, data_dir=tmp_path, config_overrides=overrides) as s:
        ours = _info_fields(s.redis_port, "persistence")
    assert ours == theirs
