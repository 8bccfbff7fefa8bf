"""`polystack serve` as a process: banner, busy port, bad config, redis-cli ping, SIGTERM."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys

import pytest

from tests.processes import ServeProcess, free_port


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "polystack.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_version():
    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("polystack ")


def test_busy_port_names_port_and_flag(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = run_cli(
            "serve", "--only", "redis", "--redis-port", str(port), "--admin-port", "0",
            "--data-dir", str(tmp_path),
        )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1
    assert (
        f"port {port}" in lines[0] and "already in use" in lines[0] and "--redis-port" in lines[0]
    )


def test_bad_config_value(tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text('[redis]\nappendfsync = "sometimes"\n')
    out = run_cli("serve", "--config", str(cfg), "--data-dir", str(tmp_path))
    assert out.returncode == 2
    assert (
        "configuration error: redis.appendfsync: must be one of always, everysec, no" in out.stderr
    )


def test_unknown_system(tmp_path):
    out = run_cli("serve", "--only", "redis,memcached", "--data-dir", str(tmp_path))
    assert out.returncode == 2 and "unknown system 'memcached'" in out.stderr


def test_banner_ping_and_graceful_stop(tmp_path):
    proc = ServeProcess(tmp_path, only="redis,amqp").start()
    port = proc.ports["redis"]
    if shutil.which("redis-cli"):
        ping = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, timeout=10
        )
        assert ping.stdout.strip() == "PONG"
    out = proc.terminate()
    assert "ready" in out
    assert f"redis://127.0.0.1:{port}/" in out
    assert "amqp" in out and "not available yet" in out
    assert proc.proc is not None and proc.proc.returncode == 0


@pytest.mark.parametrize("system", ["redis", "zookeeper"])
def test_each_server_keeps_its_own_subdirectory(tmp_path, system):
    proc = ServeProcess(tmp_path, only=system).start()
    proc.terminate()
    assert (tmp_path / system).is_dir()


def test_free_port_helper_is_not_a_default_port():
    assert free_port() not in (6379, 2181, 5672, 27017, 8080)
