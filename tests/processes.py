"""Running `polystack serve` as a real process (for SIGKILL tests and CLI tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LIVE: list[ServeProcess] = []


def kill_all() -> None:
    """Kill every server a test started and did not stop (called after each test)."""
    while LIVE:
        p = LIVE.pop()
        if p.proc is not None and p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait(10)


class ServeProcess:
    def __init__(
        self, data_dir: Path, *args: str, only: str = "redis", fsize: int | None = None
    ) -> None:
        self.data_dir = data_dir
        self.args = args
        self.only = only
        # RLIMIT_FSIZE soft limit (a full disk: writes past it fail with EFBIG); the hard
        # limit stays unlimited so a test can lift it again with resource.prlimit.
        self.fsize = fsize
        self.ports = {"redis": free_port(), "zookeeper": free_port(), "admin": free_port()}
        self.proc: subprocess.Popen | None = None
        self.output = ""

    def start(self, timeout: float = 30) -> ServeProcess:
        argv = [
            sys.executable, "-m", "polystack.cli", "serve",
            "--data-dir", str(self.data_dir),
            *(["--only", self.only] if self.only else []),
            "--redis-port", str(self.ports["redis"]),
            "--zookeeper-port", str(self.ports["zookeeper"]),
            "--admin-port", str(self.ports["admin"]),
            *self.args,
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSTACK_")}
        preexec = None
        if self.fsize is not None:
            import resource

            limit = self.fsize

            def preexec() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            preexec_fn=preexec,
        )
        LIVE.append(self)
        port = self.ports[(self.only or "redis").split(",")[0]]
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.output = self.proc.stdout.read() if self.proc.stdout else ""
                raise RuntimeError(f"polystack exited with {self.proc.returncode}: {self.output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("polystack did not start") from None
                time.sleep(0.05)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()

    def set_fsize(self, limit: int) -> None:
        """Change the running server's RLIMIT_FSIZE (``resource.RLIM_INFINITY``: the disk
        has room again)."""
        import resource

        assert self.proc is not None
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    def rss(self) -> int:
        """Resident memory of the server process, in bytes."""
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def terminate(self) -> str:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        return out or ""
