"""The server's state shared by every connection: storage, cursors, parameters, counters.

It knows no wire and no sockets; commands receive it through their context.  Settings that a
real mongod reports (version, limits, replica-set identity) live here so that ``hello``,
``buildInfo`` and ``serverStatus`` agree with each other.
"""

from __future__ import annotations

import datetime
import os
import platform
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bson.objectid import ObjectId

from . import memory
from .cursors import CursorManager
from .storage import Storage
from .wire import MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE, MAX_WRITE_BATCH_SIZE

VERSION = "8.0.4"
VERSION_ARRAY = [8, 0, 4, 0]
GIT_VERSION = "polystack"
MAX_WIRE_VERSION = 25  # MongoDB 8.0
MIN_WIRE_VERSION = 0
SET_NAME = "rs0"
LOGICAL_SESSION_TIMEOUT_MINUTES = 30


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 27017
    set_name: str = SET_NAME
    max_bson_object_size: int = MAX_BSON_OBJECT_SIZE
    max_message_size: int = MAX_MESSAGE_SIZE
    max_write_batch_size: int = MAX_WRITE_BATCH_SIZE
    compressors: list[str] = field(default_factory=lambda: ["snappy", "zstd", "zlib"])
    cursor_timeout_ms: int = 10 * 60 * 1000
    ttl_monitor_sleep_secs: int = 60
    data_dir: str = ""
    fsync: str = "everysec"

    @property
    def me(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port}"


# server parameters getParameter/setParameter know (name -> (default, settable at runtime))
PARAMETERS: dict[str, tuple[Any, bool]] = {
    "featureCompatibilityVersion": ({"version": "8.0"}, False),
    "internalQueryMaxBlockingSortMemoryUsageBytes": (100 * 1024 * 1024, True),
    "internalDocumentSourceGroupMaxMemoryBytes": (100 * 1024 * 1024, True),
    "allowDiskUseByDefault": (True, True),
    "cursorTimeoutMillis": (10 * 60 * 1000, True),
    "ttlMonitorEnabled": (True, True),
    "ttlMonitorSleepSecs": (60, False),
    "logLevel": (0, True),
    "notablescan": (False, True),
    "transactionLifetimeLimitSeconds": (60, True),
    "maxTransactionLockRequestTimeoutMillis": (5, True),
    "authenticationMechanisms": (["SCRAM-SHA-1", "SCRAM-SHA-256"], False),
    "enableTestCommands": (False, False),
    "internalQueryExecMaxBlockingSortBytes": (100 * 1024 * 1024, True),
    "maxBSONDepth": (200, False),
    "quiet": (False, True),
    "tlsMode": ("disabled", False),
    "javascriptProtection": (False, False),
    "disableJavaScriptJIT": (True, True),
    "writePeriodicNoops": (True, True),
    "oplogMinRetentionHours": (0.0, True),
}


class MongoServer:
    """What a mongod holds besides its connections."""

    def __init__(self, settings: Settings, clock: Any, oplog_window: int = 10_000) -> None:
        self.settings = settings
        self.clock = clock
        self.storage = Storage(clock, oplog_window)
        self.cursors = CursorManager(clock)
        self.parameters: dict[str, Any] = {k: v for k, (v, _) in PARAMETERS.items()}
        self.started = clock.time()
        self.started_mono = clock.monotonic()
        self.process_id = ObjectId()
        self.election_id = ObjectId("7fffffff0000000000000001")
        self.topology_counter = 0
        self.command_counts: Counter[str] = Counter()
        self.command_failures: Counter[str] = Counter()
        self.opcounters: Counter[str] = Counter(
            {"insert": 0, "query": 0, "update": 0, "delete": 0, "getmore": 0, "command": 0}
        )
        self.connections: dict[int, Any] = {}  # connection id -> session
        self.total_connections = 0
        self.next_op_id = 1
        self.sessions: dict[bytes, int] = {}  # lsid bytes -> last use (ms)
        # retryable writes: lsid -> (txnNumber, the reply sent for it)
        self.retryable: dict[bytes, tuple[int, bytes]] = {}
        self.hello_waiters: list[Any] = []
        self.shutting_down = False
        self.last_write_ts = 0
        self.log_lines: list[dict[str, Any]] = []
        self.host_name = socket.gethostname()
        self.pid = os.getpid()
        self._trim_pending = False
        # set while the log cannot be written (disk full): writes answer with an error
        self.log_error = ""

    def schedule_trim(self) -> None:
        """Return freed heap pages to the OS shortly after a large request (once its buffers,
        the log's included, are gone)."""
        if self._trim_pending:
            return
        self._trim_pending = True

        def run() -> None:
            self._trim_pending = False
            memory.trim()

        try:
            self.clock.call_later(0.2, run)
        except RuntimeError:  # no running loop (unit tests drive the session directly)
            self._trim_pending = False

    def expire_sessions(self) -> int:
        """Forget logical sessions idle for longer than logicalSessionTimeoutMinutes."""
        cutoff = self.clock.time_ms() - LOGICAL_SESSION_TIMEOUT_MINUTES * 60_000
        dead = [k for k, last in self.sessions.items() if last < cutoff]
        for k in dead:
            del self.sessions[k]
            self.retryable.pop(k, None)
        return len(dead)

    # -- identity ------------------------------------------------------------------------------
    @property
    def me(self) -> str:
        return self.settings.me

    def uptime(self) -> float:
        return self.clock.monotonic() - self.started_mono

    def local_time(self) -> datetime.datetime:
        ms = self.clock.time_ms()
        return datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)

    def new_op_id(self) -> int:
        op = self.next_op_id
        self.next_op_id += 1
        return op

    def topology_version(self) -> dict[str, Any]:
        from bson.int64 import Int64

        return {"processId": self.process_id, "counter": Int64(self.topology_counter)}

    def build_info(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "gitVersion": GIT_VERSION,
            "allocator": "system",
            "javascriptEngine": "none",
            "sysInfo": "deprecated",
            "versionArray": VERSION_ARRAY,
            "openssl": {"running": "disabled", "compiled": "disabled"},
            "buildEnvironment": {
                "distmod": "polystack",
                "distarch": platform.machine(),
                "target_os": platform.system().lower(),
                "target_arch": platform.machine(),
            },
            "bits": 64,
            "debug": False,
            "maxBsonObjectSize": self.settings.max_bson_object_size,
            "storageEngines": ["polystack"],
            "modules": [],
            "ok": 1.0,
        }
