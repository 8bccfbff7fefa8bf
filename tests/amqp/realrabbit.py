"""Starting a real rabbitmq-server from Debian (isolated ports, temp dirs) for differential tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
EPMD = shutil.which("epmd") or "/usr/bin/epmd"


def available() -> bool:
    return os.path.exists(SERVER)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealRabbit:
    """rabbitmq-server on spare loopback ports, with the management plugin on its own port."""

    def __init__(self, management: bool = True) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="real-rabbit-"))
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.management_port = free_port()
        self.node = f"ps{self.port}@localhost"
        (self.dir / "mnesia").mkdir()
        (self.dir / "log").mkdir()
        plugins = "[rabbitmq_management]." if management else "[]."
        (self.dir / "enabled_plugins").write_text(plugins)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.dir),
            "LANG": "C.UTF-8",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(self.dir / "mnesia" / "feature_flags"),
            "RABBITMQ_SERVER_START_ARGS": (
                f"-rabbitmq_management listener [{{port,{self.management_port}}},"
                f'{{ip,"127.0.0.1"}}]'
            ),
        }
        argv = [SERVER]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "rabbitmq", "rabbitmq")
            for p in self.dir.rglob("*"):
                shutil.chown(p, "rabbitmq", "rabbitmq")
            argv = ["runuser", "-u", "rabbitmq", "--", SERVER]
        self.proc = subprocess.Popen(
            argv,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait(self, timeout: float = 60) -> RealRabbit:
        deadline = time.monotonic() + timeout
        ports = [self.port] + ([self.management_port] if self.management_port else [])
        for port in ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        self.stop()
                        raise RuntimeError("rabbitmq-server did not start") from None
                    time.sleep(0.2)
        return self

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        # runuser exits first; the beam shuts down gracefully in the same process group
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            time.sleep(0.5)
        subprocess.run(
            [EPMD, "-kill"],
            env={**self.env, "ERL_EPMD_PORT": str(self.epmd_port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
        )
        shutil.rmtree(self.dir, ignore_errors=True)
