"""hello/isMaster (with awaitable hello), buildInfo, ping and the other connection commands."""

from __future__ import annotations

from typing import Any

from bson.int64 import Int64

from ..errors import MongoError
from ..mongod import (
    LOGICAL_SESSION_TIMEOUT_MINUTES,
    MAX_WIRE_VERSION,
    MIN_WIRE_VERSION,
)
from ..oplog import to_timestamp
from . import command
from .context import CommandContext, Deferred

MAX_AWAIT_TIME_MS_LIMIT = 2**31 - 1


# a hello that answers only when the topology changes or ``maxAwaitTimeMS`` passes
AwaitHello = Deferred


def hello_reply(ctx: CommandContext, legacy: bool, cmd: dict) -> dict[str, Any]:
    server = ctx.server
    settings = server.settings
    me = server.me
    last = server.storage.cluster.last
    op_ts = to_timestamp(last) if last else server.storage.cluster.timestamp()
    write_date = server.local_time().replace(microsecond=0)
    reply: dict[str, Any] = {
        "topologyVersion": server.topology_version(),
        "hosts": [me],
        "setName": settings.set_name,
        "setVersion": 1,
    }
    if legacy:
        reply["ismaster"] = True
    else:
        reply["isWritablePrimary"] = True
    reply.update(
        {
            "secondary": False,
            "primary": me,
            "me": me,
            "electionId": server.election_id,
            "lastWrite": {
                "opTime": {"ts": op_ts, "t": Int64(1)},
                "lastWriteDate": write_date,
                "majorityOpTime": {"ts": op_ts, "t": Int64(1)},
                "majorityWriteDate": write_date,
            },
            "maxBsonObjectSize": settings.max_bson_object_size,
            "maxMessageSizeBytes": settings.max_message_size,
            "maxWriteBatchSize": settings.max_write_batch_size,
            "localTime": server.local_time(),
            "logicalSessionTimeoutMinutes": LOGICAL_SESSION_TIMEOUT_MINUTES,
            "connectionId": ctx.client.conn_id,
            "minWireVersion": MIN_WIRE_VERSION,
            "maxWireVersion": MAX_WIRE_VERSION,
            "readOnly": False,
        }
    )
    if ctx.client.compressors:
        reply["compression"] = list(ctx.client.compressors)
    if cmd.get("helloOk") is True:
        # the client may use "hello" from now on (drivers send helloOk with isMaster)
        reply["helloOk"] = True
    mechs = cmd.get("saslSupportedMechs")
    if isinstance(mechs, str):
        reply["saslSupportedMechs"] = []
    return reply


def _hello(ctx: CommandContext, cmd: dict, legacy: bool) -> Any:
    client = ctx.client
    meta = cmd.get("client")
    if meta is not None:
        if client.hello_done and client.metadata is not None:
            raise MongoError(
                186, "The client metadata document may only be sent in the first hello"
            )
        if not isinstance(meta, dict):
            raise MongoError(
                14, "BSON field 'hello.client' is the wrong type, expected type 'object'"
            )
        client.metadata = meta
    if not client.hello_done:
        comps = cmd.get("compression")
        if isinstance(comps, list):
            allowed = ctx.server.settings.compressors
            client.compressors = [c for c in comps if isinstance(c, str) and c in allowed]
    client.hello_done = True
    tv = cmd.get("topologyVersion")
    max_await = cmd.get("maxAwaitTimeMS")
    if tv is not None or max_await is not None:
        if tv is None:
            raise MongoError(
                9, "A request with a 'maxAwaitTimeMS' must also include a 'topologyVersion'"
            )
        if max_await is None:
            raise MongoError(
                9, "A request with a 'topologyVersion' must also include a 'maxAwaitTimeMS'"
            )
        if not isinstance(tv, dict) or "processId" not in tv or "counter" not in tv:
            raise MongoError(
                40414, "BSON field 'TopologyVersion.processId' is missing but a required field"
            )
        wait = int(max_await)
        if wait < 0:
            raise MongoError(31373, "maxAwaitTimeMS must be a non-negative integer")
        server = ctx.server
        if tv["processId"] == server.process_id:
            counter = int(tv["counter"])
            if counter > server.topology_counter:
                raise MongoError(
                    2,
                    f"Received a topology version with the same process ID and a higher counter "
                    f"than the server's. Received: {counter}, server's: "
                    f"{server.topology_counter}",
                )
            if counter == server.topology_counter:
                return AwaitHello(wait / 1000.0, lambda: hello_reply(ctx, legacy, cmd))
    return hello_reply(ctx, legacy, cmd)


@command("hello", "Check if this server is primary for a replica set", requires_auth=False)
def hello(ctx: CommandContext, cmd: dict) -> Any:
    return _hello(ctx, cmd, legacy=False)


@command(
    "isMaster",
    "Check if this server is primary for a replica set (legacy name)",
    aliases=("ismaster",),
    requires_auth=False,
)
def is_master(ctx: CommandContext, cmd: dict) -> Any:
    return _hello(ctx, cmd, legacy=True)


@command("ping", "a way to check that the server is alive", requires_auth=False)
def ping(ctx: CommandContext, cmd: dict) -> dict:
    return {}


@command("buildInfo", "get version #, etc.", aliases=("buildinfo",), requires_auth=False)
def build_info(ctx: CommandContext, cmd: dict) -> dict:
    out = ctx.server.build_info()
    out.pop("ok", None)
    return out


@command("whatsmyuri", "{whatsmyuri:1}", requires_auth=False)
def whatsmyuri(ctx: CommandContext, cmd: dict) -> dict:
    return {"you": ctx.client.remote}


@command("connectionStatus", "Returns connection-specific information such as logged-in users")
def connection_status(ctx: CommandContext, cmd: dict) -> dict:
    info: dict[str, Any] = {"authenticatedUsers": [], "authenticatedUserRoles": []}
    if cmd.get("showPrivileges"):
        info["authenticatedUserPrivileges"] = []
    return {"authInfo": info}


@command("getCmdLineOpts", "get argv", admin_only=True)
def get_cmd_line_opts(ctx: CommandContext, cmd: dict) -> dict:
    s = ctx.server.settings
    return {
        "argv": ["polystack", "serve", "--mongo-port", str(s.port)],
        "parsed": {
            "net": {"bindIp": s.host, "port": s.port},
            "replication": {"replSet": s.set_name},
            "storage": {"dbPath": s.data_dir},
        },
    }


@command("hostInfo", "returns information about the daemon's host")
def host_info(ctx: CommandContext, cmd: dict) -> dict:
    import os
    import platform

    try:
        mem_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        mem_mb = 0
    return {
        "system": {
            "currentTime": ctx.server.local_time(),
            "hostname": ctx.server.host_name,
            "cpuAddrSize": 64,
            "memSizeMB": Int64(mem_mb),
            "memLimitMB": Int64(mem_mb),
            "numCores": os.cpu_count() or 1,
            "cpuArch": platform.machine(),
            "numaEnabled": False,
        },
        "os": {
            "type": platform.system(),
            "name": platform.platform(),
            "version": platform.release(),
        },
        "extra": {
            "versionString": platform.version(),
            "pageSize": Int64(os.sysconf("SC_PAGE_SIZE")),
        },
    }


@command("getLog", "return recent log messages", admin_only=True)
def get_log(ctx: CommandContext, cmd: dict) -> dict:
    which = cmd.get("getLog")
    if which == "*":
        return {"names": ["global", "startupWarnings"]}
    if which not in ("global", "startupWarnings"):
        raise MongoError(2, f"No log named '{which}'")
    lines = [] if which == "startupWarnings" else [str(x) for x in ctx.server.log_lines[-1024:]]
    return {"totalLinesWritten": len(lines), "log": lines}


@command("logout", "de-authenticate", requires_auth=False)
def logout(ctx: CommandContext, cmd: dict) -> dict:
    return {}


@command("saslStart", "Start a SASL authentication dialog", requires_auth=False)
def sasl_start(ctx: CommandContext, cmd: dict) -> dict:
    raise MongoError(
        334,
        f"Received authentication for mechanism {cmd.get('mechanism')} which is not enabled",
        "MechanismUnavailable",
    )


@command("saslContinue", "Subsequent steps in a SASL authentication dialog", requires_auth=False)
def sasl_continue(ctx: CommandContext, cmd: dict) -> dict:
    raise MongoError(17, "No SASL session state found")


@command("authenticate", "internal", requires_auth=False)
def authenticate(ctx: CommandContext, cmd: dict) -> dict:
    raise MongoError(
        334,
        f"Received authentication for mechanism {cmd.get('mechanism')} which is not enabled",
        "MechanismUnavailable",
    )
