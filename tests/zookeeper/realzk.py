"""Start Debian's ZooKeeper 3.8 standalone for differential tests and the benchmark."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

JAVA_DIR = Path("/usr/share/java")
JARS = [
    "zookeeper.jar",
    "zookeeper-jute.jar",
    "netty-codec.jar",
    "netty-handler.jar",
    "netty-transport.jar",
    "netty-common.jar",
    "netty-buffer.jar",
    "netty-resolver.jar",
    "netty-transport-native-epoll.jar",
    "netty-transport-native-unix-common.jar",
    "servlet-api.jar",
    "slf4j-api.jar",
    "slf4j-log4j12.jar",
    "log4j-1.2.jar",
    "commons-cli.jar",
    "commons-io.jar",
    "jackson-databind.jar",
    "jackson-core.jar",
    "jackson-annotations.jar",
    "metrics-core.jar",
    "snappy-java.jar",
    "audience-annotations.jar",
]


def missing_reason() -> str | None:
    if shutil.which("java") is None:
        return "java is not installed (apt-get install default-jre-headless)"
    if not (JAVA_DIR / "zookeeper.jar").exists():
        return "Debian's zookeeper package is not installed (/usr/share/java/zookeeper.jar)"
    return None


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RealZooKeeper:
    def __init__(self, extra: dict[str, str] | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="realzk-"))
        self.port = free_port()
        cfg = {
            "tickTime": "2000",
            "dataDir": str(self.dir / "data"),
            "clientPort": str(self.port),
            "clientPortAddress": "127.0.0.1",
            "admin.enableServer": "false",
            "4lw.commands.whitelist": "*",
            "maxClientCnxns": "0",
        }
        cfg.update(extra or {})
        (self.dir / "zoo.cfg").write_text("".join(f"{k}={v}\n" for k, v in cfg.items()))
        cp = ":".join(str(JAVA_DIR / j) for j in JARS if (JAVA_DIR / j).exists())
        self.log = open(self.dir / "zk.log", "wb")
        self.proc = subprocess.Popen(
            [
                "java",
                "-Xmx512m",
                "-Dzookeeper.extendedTypesEnabled=true",
                "-Dzookeeper.admin.enableServer=false",
                "-cp",
                cp,
                "org.apache.zookeeper.server.ZooKeeperServerMain",
                str(self.dir / "zoo.cfg"),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.dir / "zk.log").read_text()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    # srvr answers "not currently serving requests" until the server is ready
                    s.sendall(b"srvr")
                    if b"Mode: standalone" in s.recv(4096):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("real ZooKeeper did not start")

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - manual use
    z = RealZooKeeper()
    print(z.hosts, os.getpid())
    try:
        time.sleep(3600)
    finally:
        z.stop()
