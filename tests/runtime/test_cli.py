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
    proc = ServeProcess(tmp_path, only="redis").start()
    port = proc.ports["redis"]
    if shutil.which("redis-cli"):
        ping = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, timeout=10
        )
        assert ping.stdout.strip() == "PONG"
    out = proc.terminate()
    assert "ready" in out
    assert f"redis://127.0.0.1:{port}/" in out
    assert proc.proc is not None and proc.proc.returncode == 0


@pytest.mark.parametrize("system", ["redis", "zookeeper"])
def test_each_server_keeps_its_own_subdirectory(tmp_path, system):
    proc = ServeProcess(tmp_path, only=system).start()
    proc.terminate()
    assert (tmp_path / system).is_dir()


def test_free_port_helper_is_not_a_default_port():
    assert free_port() not in (6379, 2181, 5672, 27017, 8080)


def test_zoo_cfg_drop_in(tmp_path):
    """`polystack serve --zookeeper-config zoo.cfg` takes ports, address and dirs from zoo.cfg."""
    import json
    import os
    import time
    import urllib.request

    zk_port, admin_port = free_port(), free_port()
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(
        f"tickTime=2000\ndataDir={tmp_path / 'zkdata'}\nclientPort={zk_port}\n"
        f"clientPortAddress=127.0.0.1\nadmin.serverPort={admin_port}\n"
        "4lw.commands.whitelist=ruok,srvr\nserver.1=zk1:2888:3888\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "polystack.cli", "serve", "--only", "zookeeper",
         "--zookeeper-config", str(cfg), "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", zk_port), timeout=1)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        s.sendall(b"ruok")
        assert s.recv(10) == b"imok"
        s.close()
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/commands/ruok", timeout=5) as r:
            assert json.load(r)["command"] == "ruok"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "server.1 is not supported by polystack and is ignored" in out
    assert "clientPortAddress" not in out
    assert (tmp_path / "zkdata").exists()


def test_second_serve_on_the_same_data_dir_exits_2_naming_dir_and_pid(tmp_path):
    first = ServeProcess(tmp_path, only="redis").start()
    try:
        other = ServeProcess(tmp_path, only="redis")  # other ports, same data directory
        out = run_cli(
            "serve", "--only", "redis", "--data-dir", str(tmp_path),
            "--redis-port", str(other.ports["redis"]), "--admin-port", str(other.ports["admin"]),
        )  # fmt: skip
    finally:
        first.terminate()
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert str(tmp_path.resolve()) in lines[0]
    assert first.proc is not None and f"process {first.proc.pid}" in lines[0]


def test_every_busy_port_is_reported_at_once(tmp_path):
    socks = []
    for _ in range(3):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        socks.append(s)
    redis_port, zk_port, admin_port = (s.getsockname()[1] for s in socks)
    try:
        out = run_cli(
            "serve", "--data-dir", str(tmp_path), "--redis-port", str(redis_port),
            "--zookeeper-port", str(zk_port), "--admin-port", str(admin_port),
        )  # fmt: skip
    finally:
        for s in socks:
            s.close()
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 3, out.stderr
    assert f"redis port {redis_port}" in lines[0] and "--redis-port" in lines[0]
    assert f"zookeeper port {zk_port}" in lines[1] and "--zookeeper-port" in lines[1]
    assert f"admin port {admin_port}" in lines[2] and "--admin-port" in lines[2]


def test_repair_log(tmp_path):
    from polystack.runtime.records import frame

    path = tmp_path / "x.log"
    path.write_bytes(frame(b"one") + frame(b"two"))
    out = run_cli("repair-log", str(path))
    assert out.returncode == 0 and "no damage found (2 records" in out.stdout
    bad = bytearray(frame(b"three"))
    bad[-1] ^= 1
    path.write_bytes(frame(b"one") + bytes(bad) + frame(b"four"))
    out = run_cli("repair-log", str(path))
    assert out.returncode == 0
    assert f"kept 1 records ({len(frame(b'one'))} bytes)" in out.stdout
    assert path.read_bytes() == frame(b"one")


def test_make_run_passes_args():
    out = subprocess.run(
        ["make", "-n", "run", "ARGS=--redis-port 7000 --only redis"],
        capture_output=True,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )
    if out.returncode != 0:
        pytest.skip(f"make is not usable here: {out.stderr.strip()}")
    assert "polystack serve --redis-port 7000 --only redis" in out.stdout
