"""What a Redis client may do to the server and to the other systems of the process:
DEBUG and the protected configs (enable-debug-command / enable-protected-configs), protected
mode, and SHUTDOWN's scope.  A client "from another address" connects from 127.0.0.2 (not
local to Redis, which only counts 127.0.0.1 and ::1) to the server on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest
import redis
from kazoo.client import KazooClient

import polystack.testing
from polystack.redis.security import DEBUG_NOT_ALLOWED, DENIED
from tests.redis import realredis

DEBUG_ERROR = DEBUG_NOT_ALLOWED[1:].decode()


def talk(
    port: int, blob: bytes, source: str = "127.0.0.1", wait: float = 0.5, until: bytes = b""
) -> bytes:
    """Connect from ``source``, read what the server says first (-DENIED comes at once),
    send ``blob`` if still connected, and return everything received (as soon as it holds
    ``until`` when that is given, else what came within ``wait`` seconds)."""
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    data = b""
    try:
        s.settimeout(0.2)
        try:
            while chunk := s.recv(65536):
                data += chunk
            return data  # closed before we said anything
        except TimeoutError:
            pass
        s.sendall(blob)
        s.settimeout(wait)
        try:
            while chunk := s.recv(65536):
                data += chunk
                if until and until in data:
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return data
    finally:
        s.close()


def _can_use_127_0_0_2() -> bool:
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return True
    except OSError:
        return False


needs_second_loopback = pytest.mark.skipif(
    not _can_use_127_0_0_2(), reason="127.0.0.2 is not usable on this machine"
)


@pytest.fixture(scope="module")
def default():
    """polystack's Redis as configured out of the box."""
    with polystack.testing.serve(redis=True) as s:
        yield s


# -- enable-debug-command -------------------------------------------------------------------


def test_debug_is_refused_by_default(default):
    r = redis.Redis(port=default.redis_port)
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("DEBUG", "SLEEP", "8")
    assert str(e.value) == DEBUG_ERROR.removeprefix("ERR ")
    assert r.config_get("enable-debug-command") == {"enable-debug-command": "no"}
    # the arity error comes first, as in processCommand
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'debug'"):
        r.execute_command("DEBUG")
    # refused at queueing time inside MULTI, which dooms the transaction
    raw = talk(default.redis_port, b"MULTI\r\nDEBUG SLEEP 0\r\nEXEC\r\n")
    assert raw == (
        b"+OK\r\n" + DEBUG_NOT_ALLOWED + b"\r\n"
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    )


def test_debug_is_refused_before_auth_is_checked():
    with polystack.testing.serve(redis=True, config_overrides={"redis.requirepass": "pw"}) as s:
        assert talk(s.redis_port, b"DEBUG SLEEP 0\r\n") == DEBUG_NOT_ALLOWED + b"\r\n"


@needs_second_loopback
def test_debug_local_only_from_127_0_0_1():
    with polystack.testing.serve(
        redis=True,
        config_overrides={"redis.enable_debug_command": "local", "redis.protected_mode": False},
    ) as s:
        assert talk(s.redis_port, b"DEBUG SLEEP 0\r\n") == b"+OK\r\n"
        assert talk(s.redis_port, b"DEBUG SLEEP 0\r\n", "127.0.0.2") == DEBUG_NOT_ALLOWED + b"\r\n"


def test_debug_enabled_from_the_environment(tmp_path):
    """POLYSTACK_REDIS_ENABLE_DEBUG_COMMAND=yes, as a test suite written for Redis sets it."""
    from polystack import config

    cfg = config.load(None, {}, environ={"POLYSTACK_REDIS_ENABLE_DEBUG_COMMAND": "yes"})
    assert cfg.section("redis").enable_debug_command == "yes"
    with pytest.raises(config.ConfigError, match="redis.enable_debug_command"):
        config.load(None, {}, environ={"POLYSTACK_REDIS_ENABLE_DEBUG_COMMAND": "maybe"})


def test_debug_enabled_by_a_redis_conf_line(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("enable-debug-command yes\nenable-protected-configs local\n")
    with polystack.testing.serve(
        redis=True, config_overrides={"redis.redis_config": str(conf)}
    ) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.execute_command("DEBUG", "SLEEP", "0") == b"OK"
        assert r.config_get("enable-protected-configs") == {"enable-protected-configs": "local"}
        with pytest.raises(redis.ResponseError, match="can't set immutable config"):
            r.config_set("enable-debug-command", "no")


@pytest.mark.differential
@needs_second_loopback
@pytest.mark.parametrize("setting", ["no", "yes", "local"])
def test_debug_setting_like_redis(setting):
    if not realredis.available():
        pytest.skip("redis-server is not installed")
    real = realredis.RealRedis("--enable-debug-command", setting, "--protected-mode", "no")
    try:
        with polystack.testing.serve(
            redis=True,
            config_overrides={
                "redis.enable_debug_command": setting,
                "redis.protected_mode": False,
            },
        ) as s:
            for source in ("127.0.0.1", "127.0.0.2"):
                blob = b"DEBUG SLEEP 0\r\nDEBUG\r\nCONFIG GET enable-debug-command\r\n"
                assert talk(s.redis_port, blob, source) == talk(real.port, blob, source)
    finally:
        real.stop()


# -- enable-protected-configs ---------------------------------------------------------------


def test_protected_configs_refused_by_default(default, tmp_path):
    """CONFIG SET dir + dbfilename + SAVE is how an attacker writes ~/.ssh/authorized_keys
    through an open Redis: refused unless enable-protected-configs allows it."""
    r = redis.Redis(port=default.redis_port)
    for name, value in (("dir", str(tmp_path)), ("dbfilename", "authorized_keys")):
        with pytest.raises(redis.ResponseError, match="can't set protected config"):
            r.config_set(name, value)
    assert r.config_get("dbfilename") == {"dbfilename": "dump.rdb"}


@needs_second_loopback
def test_protected_configs_local(tmp_path):
    with polystack.testing.serve(
        redis=True,
        config_overrides={"redis.enable_protected_configs": "local", "redis.protected_mode": False},
    ) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.config_set("dir", str(tmp_path))
        assert r.config_set("dbfilename", "elsewhere.rdb")
        assert r.config_get("dir") == {"dir": str(tmp_path)}
        r.set("k", "v")
        assert r.save()
        assert (tmp_path / "elsewhere.rdb").exists()
        with pytest.raises(redis.ResponseError, match="No such file or directory"):
            r.config_set("dir", str(tmp_path / "missing"))
        with pytest.raises(redis.ResponseError, match="can't be a path"):
            r.config_set("dbfilename", "../x.rdb")
        # (the reply awaited for up to 10 s: a loaded machine may take more than 0.5 s)
        remote = talk(s.redis_port, b"CONFIG SET dbfilename x.rdb\r\n", "127.0.0.2", 10, b"\r\n")
        assert b"can't set protected config" in remote


@pytest.mark.differential
@needs_second_loopback
def test_protected_configs_like_redis(tmp_path):
    if not realredis.available():
        pytest.skip("redis-server is not installed")
    real = realredis.RealRedis("--enable-protected-configs", "local", "--protected-mode", "no")
    try:
        with polystack.testing.serve(
            redis=True,
            config_overrides={
                "redis.enable_protected_configs": "local",
                "redis.protected_mode": False,
            },
        ) as s:
            for source in ("127.0.0.1", "127.0.0.2"):
                blob = (
                    b"CONFIG SET dbfilename a/b\r\nCONFIG SET dbfilename x.rdb\r\n"
                    b"CONFIG GET dbfilename\r\nCONFIG SET dir /nonexistent/dir\r\n"
                    b"CONFIG SET dbfilename dump.rdb\r\n"
                )
                assert talk(s.redis_port, blob, source) == talk(real.port, blob, source)
    finally:
        real.stop()


# -- protected mode ---------------------------------------------------------------------------


@needs_second_loopback
def test_protected_mode_denies_other_addresses(default):
    """No password: a client that is not on 127.0.0.1/::1 gets -DENIED and is disconnected."""
    assert talk(default.redis_port, b"SET pwned yes\r\n", "127.0.0.2") == DENIED
    r = redis.Redis(port=default.redis_port)
    assert r.get("pwned") is None
    assert r.info("stats")["rejected_connections"] >= 1


@needs_second_loopback
def test_protected_mode_lifts_with_a_password_or_config_set():
    with polystack.testing.serve(redis=True) as s:
        r = redis.Redis(port=s.redis_port)
        assert r.config_get("protected-mode") == {"protected-mode": "yes"}
        r.config_set("requirepass", "pw")
        assert talk(s.redis_port, b"PING\r\n", "127.0.0.2") == (
            b"-NOAUTH Authentication required.\r\n"
        )
        r.execute_command("AUTH", "pw")
        r.config_set("requirepass", "")
        assert talk(s.redis_port, b"PING\r\n", "127.0.0.2") == DENIED
        r.config_set("protected-mode", "no")
        assert talk(s.redis_port, b"PING\r\n", "127.0.0.2") == b"+PONG\r\n"
    with polystack.testing.serve(redis=True, config_overrides={"redis.protected_mode": False}) as s:
        assert talk(s.redis_port, b"PING\r\n", "127.0.0.2") == b"+PONG\r\n"


@pytest.mark.differential
@needs_second_loopback
def test_protected_mode_like_redis(default):
    if not realredis.available():
        pytest.skip("redis-server is not installed")
    real = realredis.RealRedis()
    try:
        for source in ("127.0.0.1", "127.0.0.2"):
            blob = b"PING\r\n"
            assert talk(default.redis_port, blob, source) == talk(real.port, blob, source)
    finally:
        real.stop()


# -- one system does not stop or freeze another ---------------------------------------------


def test_shutdown_stops_redis_alone_by_default(tmp_path):
    """SHUTDOWN from a Redis client stops the Redis service (its port closes, its data is
    saved); ZooKeeper keeps its sessions and ephemeral znodes."""
    with polystack.testing.serve(redis=True, zookeeper=True, data_dir=tmp_path) as s:
        zk = KazooClient(hosts=s.zookeeper_hosts, timeout=4)
        zk.start()
        try:
            zk.create("/leader", b"me", ephemeral=True)
            r = redis.Redis(port=s.redis_port)
            r.set("k", "v")
            r.shutdown()  # redis-py returns once the server closed the connection
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", s.redis_port), timeout=1).close()
                except ConnectionRefusedError:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the Redis port still accepts connections")
            assert zk.get("/leader")[0] == b"me"
            zk.set("/leader", b"still me")
            status = s.call(s.server.status)
            assert status["services"]["redis"] == {"stopped": "SHUTDOWN"}
            assert status["status"] == "ok"
        finally:
            zk.stop()
            zk.close()
        assert s._thread.is_alive()
    # what Redis held was saved: it is back on the next start
    with polystack.testing.serve(redis=True, data_dir=tmp_path) as s:
        assert redis.Redis(port=s.redis_port).get("k") == b"v"


def test_shutdown_scope_process(tmp_path):
    overrides = {"redis.shutdown_scope": "process"}
    with polystack.testing.serve(
        redis=True, zookeeper=True, data_dir=tmp_path, config_overrides=overrides
    ) as s:
        redis.Redis(port=s.redis_port).shutdown()
        s._thread.join(timeout=30)
        assert not s._thread.is_alive()


def test_debug_sleep_refused_keeps_zookeeper_sessions(default):
    """The reproduction: DEBUG SLEEP 8 from any Redis client no longer freezes the process
    (a 4 s ZooKeeper session and its ephemeral znode survive)."""
    with polystack.testing.serve(redis=True, zookeeper=True) as s:
        zk = KazooClient(hosts=s.zookeeper_hosts, timeout=4)
        zk.start()
        try:
            zk.create("/lock", b"", ephemeral=True)
            with pytest.raises(redis.ResponseError, match="DEBUG command not allowed"):
                redis.Redis(port=s.redis_port).execute_command("DEBUG", "SLEEP", "8")
            assert zk.exists("/lock") is not None
        finally:
            zk.stop()
            zk.close()


def test_auth_compares_passwords_in_constant_time(monkeypatch):
    import hashlib
    import hmac

    calls: list[tuple] = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    with polystack.testing.serve(redis=True, config_overrides={"redis.requirepass": "pw"}) as s:
        assert talk(s.redis_port, b"AUTH guess\r\nAUTH pw\r\n") == (
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n"
        )
    # as Redis does: the SHA-256 digests of the given and the stored password, compared in
    # constant time (the ACL keeps only digests)
    guess, pw = (hashlib.sha256(x).hexdigest() for x in (b"guess", b"pw"))
    assert (guess, pw) in calls and (pw, pw) in calls


def test_debug_sleep_when_enabled_stops_redis_but_not_zookeeper():
    """With enable-debug-command yes, DEBUG SLEEP stops the Redis server (another Redis
    client's PING is answered after the sleeper's +OK) while ZooKeeper keeps serving (a
    request made during the sleep is answered before it ends)."""
    import threading

    with polystack.testing.serve(
        redis=True, zookeeper=True, config_overrides={"redis.enable_debug_command": "yes"}
    ) as s:
        zk = KazooClient(hosts=s.zookeeper_hosts, timeout=4)
        zk.start()
        order: list[str] = []
        try:
            zk.create("/lock", b"", ephemeral=True)
            sleeper = redis.Redis(port=s.redis_port)
            other = redis.Redis(port=s.redis_port)
            other.ping()
            t = threading.Thread(
                target=lambda: order.append(
                    "sleep:" + str(sleeper.execute_command("DEBUG", "SLEEP", "5"))
                )
            )
            t.start()
            svc = s.service("redis")
            deadline = time.monotonic() + 10
            while not s.call(lambda: any(c.blocked == "sleep" for c in svc.clients.values())):
                assert time.monotonic() < deadline
                time.sleep(0.01)
            p = threading.Thread(target=lambda: order.append(f"ping:{other.ping()}"))
            p.start()
            zk.set("/lock", b"during the sleep")
            order.append("zookeeper")
            # Redis answers nobody during DEBUG SLEEP: the PING is still waiting (the two
            # replies come in one turn once the sleep ends, so the threads may record them in
            # either order)
            waiting = p.is_alive() and t.is_alive()
            t.join(30)
            p.join(30)
            assert waiting
            assert order[0] == "zookeeper"
            assert sorted(order[1:]) == ["ping:True", "sleep:b'OK'"]
            assert zk.get("/lock")[0] == b"during the sleep"
        finally:
            zk.stop()
            zk.close()
