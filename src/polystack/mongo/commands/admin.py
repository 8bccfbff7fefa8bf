"""serverStatus, getParameter/setParameter, listCommands, currentOp/killOp, replSetGetStatus,
fsync and friends."""

from __future__ import annotations

from typing import Any

from bson.int64 import Int64

from ..errors import MongoError
from ..mongod import PARAMETERS, VERSION
from ..oplog import to_timestamp
from . import TABLE, command
from .context import CommandContext, get_bool, op_document


@command("serverStatus", "returns lots of administrative server statistics", read=True)
def server_status(ctx: CommandContext, cmd: dict) -> dict:
    server = ctx.server
    storage = server.storage
    up = server.uptime()
    commands = {
        name: {
            "failed": Int64(server.command_failures.get(name, 0)),
            "total": Int64(server.command_counts.get(name, 0)),
        }
        for name in sorted(set(server.command_counts) | set(server.command_failures))
    }
    return {
        "host": f"{server.host_name}:{server.settings.port}",
        "version": VERSION,
        "process": "mongod",
        "pid": Int64(server.pid),
        "uptime": float(int(up)),
        "uptimeMillis": Int64(int(up * 1000)),
        "uptimeEstimate": Int64(int(up)),
        "localTime": server.local_time(),
        "asserts": {"regular": 0, "warning": 0, "msg": 0, "user": 0, "rollovers": 0},
        "connections": {
            "current": len(server.connections),
            "available": 1_000_000 - len(server.connections),
            "totalCreated": server.total_connections,
            "active": 1,
        },
        "opcounters": {k: Int64(v) for k, v in server.opcounters.items()},
        "opcountersRepl": {k: Int64(0) for k in server.opcounters},
        "metrics": {
            "commands": commands,
            "cursor": {
                "open": {
                    "total": Int64(len(server.cursors.cursors)),
                    "noTimeout": Int64(
                        sum(1 for c in server.cursors.cursors.values() if c.no_timeout)
                    ),
                },
                "timedOut": Int64(server.cursors.timed_out),
                "totalOpened": Int64(server.cursors.total_opened),
            },
            "document": {k: Int64(v) for k, v in storage.stats.items()},
            "ttl": {
                "deletedDocuments": Int64(storage.ttl_deleted),
                "passes": Int64(storage.ttl_passes),
            },
        },
        "repl": {
            "hosts": [server.me],
            "setName": server.settings.set_name,
            "setVersion": 1,
            "isWritablePrimary": True,
            "secondary": False,
            "primary": server.me,
            "me": server.me,
            "electionId": server.election_id,
        },
        "storageEngine": {"name": "polystack", "supportsCommittedReads": True, "persistent": True},
        "mem": {"bits": 64, "resident": _rss_mb(), "virtual": 0, "supported": True},
    }


def _rss_mb() -> int:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return 0


@command("getParameter", "get administrative option(s)", admin_only=True)
def get_parameter(ctx: CommandContext, cmd: dict) -> dict:
    params = ctx.server.parameters
    arg = cmd.get("getParameter")
    if arg == "*" or (isinstance(arg, dict) and arg.get("allParameters")):
        return dict(params)
    out: dict[str, Any] = {}
    for k in cmd:
        if k in ("getParameter", "$db", "lsid", "$clusterTime", "$readPreference", "comment"):
            continue
        if k not in params:
            raise MongoError(72, "no option found to get")
        out[k] = params[k]
    if not out:
        raise MongoError(72, "no option found to get")
    return out


@command("setParameter", "set administrative option(s)", admin_only=True)
def set_parameter(ctx: CommandContext, cmd: dict) -> dict:
    params = ctx.server.parameters
    out: dict[str, Any] = {}
    found = False
    for k, v in cmd.items():
        if k in ("setParameter", "$db", "lsid", "$clusterTime", "$readPreference", "comment"):
            continue
        spec = PARAMETERS.get(k)
        if spec is None:
            raise MongoError(
                72, f"attempted to set unrecognized parameter [{k}], use help:true to see options "
            )
        if not spec[1]:
            raise MongoError(72, f"not allowed to change [{k}] at runtime")
        default = spec[0]
        if isinstance(default, bool):
            v = bool(v)
        elif isinstance(default, int):
            try:
                v = int(v)
            except (TypeError, ValueError):
                raise MongoError(2, f"Invalid value for parameter {k}: {v}") from None
        out["was"] = params.get(k)
        params[k] = v
        found = True
        if k == "cursorTimeoutMillis":
            ctx.server.settings.cursor_timeout_ms = int(v)
    if not found:
        raise MongoError(2, "no option found to set, use help:true to see options ")
    return out


@command("listCommands", "get a list of all db commands", requires_auth=False)
def list_commands(ctx: CommandContext, cmd: dict) -> dict:
    out: dict[str, Any] = {}
    for name in sorted(TABLE):
        spec = TABLE[name]
        out[name] = {
            "help": spec.help,
            "requiresAuth": spec.requires_auth,
            "secondaryOk": spec.secondary_ok,
            "adminOnly": spec.admin_only,
            "apiVersions": [],
            "deprecatedApiVersions": [],
        }
    return {"commands": out}


@command("currentOp", "list the operations in progress", admin_only=True)
def current_op(ctx: CommandContext, cmd: dict) -> dict:
    ops = [op_document(ctx, ctx.request.body)]
    for conn_id, sess in list(ctx.server.connections.items()):
        if sess.client is ctx.client:
            continue
        info = getattr(sess, "client", None)
        op = getattr(info, "current_op", None) if info is not None else None
        if op is None:
            if not get_bool(cmd, "$all") and not get_bool(cmd, "idleConnections"):
                continue
            ops.append(
                {
                    "type": "op",
                    "active": False,
                    "connectionId": conn_id,
                    "client": info.remote if info else "",
                }
            )
            continue
        ops.append(dict(op))
    return {"inprog": ops}


@command("killOp", "kill an operation", admin_only=True)
def kill_op(ctx: CommandContext, cmd: dict) -> dict:
    op = cmd.get("op")
    if op is None:
        raise MongoError(4, 'Did not provide "op" field')
    # every command runs to completion on the event loop: only waiting operations can be killed
    for sess in list(ctx.server.connections.values()):
        info = getattr(sess, "client", None)
        current = getattr(info, "current_op", None)
        if current is not None and current.get("opid") == op:
            kill = getattr(sess, "kill_current", None)
            if kill is not None:
                kill()
    return {"info": "attempting to kill op"}


@command("replSetGetStatus", "report replica set status", admin_only=True)
def repl_set_get_status(ctx: CommandContext, cmd: dict) -> dict:
    server = ctx.server
    last = server.storage.cluster.last
    ts = to_timestamp(last) if last else server.storage.cluster.timestamp()
    optime = {"ts": ts, "t": Int64(1)}
    now = server.local_time()
    up = int(server.uptime())
    return {
        "set": server.settings.set_name,
        "date": now,
        "myState": 1,
        "term": Int64(1),
        "syncSourceHost": "",
        "syncSourceId": -1,
        "heartbeatIntervalMillis": Int64(2000),
        "majorityVoteCount": 1,
        "writeMajorityCount": 1,
        "votingMembersCount": 1,
        "writableVotingMembersCount": 1,
        "optimes": {
            "lastCommittedOpTime": optime,
            "lastCommittedWallTime": now,
            "readConcernMajorityOpTime": optime,
            "appliedOpTime": optime,
            "durableOpTime": optime,
            "lastAppliedWallTime": now,
            "lastDurableWallTime": now,
        },
        "members": [
            {
                "_id": 0,
                "name": server.me,
                "health": 1.0,
                "state": 1,
                "stateStr": "PRIMARY",
                "uptime": up,
                "optime": optime,
                "optimeDate": now,
                "lastAppliedWallTime": now,
                "lastDurableWallTime": now,
                "syncSourceHost": "",
                "syncSourceId": -1,
                "infoMessage": "",
                "electionTime": ts,
                "electionDate": now,
                "configVersion": 1,
                "configTerm": 1,
                "self": True,
                "lastHeartbeatMessage": "",
            }
        ],
    }


@command("replSetGetConfig", "return the replica set configuration", admin_only=True)
def repl_set_get_config(ctx: CommandContext, cmd: dict) -> dict:
    server = ctx.server
    return {
        "config": {
            "_id": server.settings.set_name,
            "version": 1,
            "term": 1,
            "members": [
                {
                    "_id": 0,
                    "host": server.me,
                    "arbiterOnly": False,
                    "buildIndexes": True,
                    "hidden": False,
                    "priority": 1.0,
                    "tags": {},
                    "secondaryDelaySecs": Int64(0),
                    "votes": 1,
                }
            ],
            "protocolVersion": Int64(1),
            "writeConcernMajorityJournalDefault": True,
            "settings": {"chainingAllowed": True, "electionTimeoutMillis": 10000},
        }
    }


@command("replSetInitiate", "initiate the replica set", admin_only=True)
def repl_set_initiate(ctx: CommandContext, cmd: dict) -> dict:
    raise MongoError(23, "already initialized", "AlreadyInitialized")


@command("fsync", "flush all pending writes to disk", admin_only=True)
def fsync(ctx: CommandContext, cmd: dict) -> dict:
    if get_bool(cmd, "lock"):
        raise MongoError(115, "fsync with lock is not supported by polystack")
    log = ctx.storage.log
    if log is not None:
        log.flush(sync=True)
    return {"numFiles": 1}


@command("features", "return build level feature settings", requires_auth=False)
def features(ctx: CommandContext, cmd: dict) -> dict:
    return {"oidMachine": 0}


@command("getDefaultRWConcern", "get the default read and write concern", admin_only=True)
def get_default_rw_concern(ctx: CommandContext, cmd: dict) -> dict:
    return {
        "defaultReadConcern": {"level": "local"},
        "defaultWriteConcern": {"w": "majority", "wtimeout": 0},
        "defaultReadConcernSource": "implicit",
        "defaultWriteConcernSource": "implicit",
    }


@command("getFreeMonitoringStatus", "removed in 7.0", admin_only=True)
def free_monitoring(ctx: CommandContext, cmd: dict) -> dict:
    return {"state": "disabled"}


@command("shutdown", "shut down the server", admin_only=True)
def shutdown(ctx: CommandContext, cmd: dict) -> dict:
    raise MongoError(
        13,
        "shutdown is not allowed through the wire protocol on polystack; stop the "
        "polystack process instead",
        "Unauthorized",
    )
