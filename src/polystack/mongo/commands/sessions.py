"""Logical sessions and (not yet supported) transactions."""

from __future__ import annotations

import uuid
from typing import Any

from bson.binary import Binary

from ..errors import MongoError
from . import command
from .context import CommandContext


def _lsid_key(lsid: Any) -> bytes | None:
    if isinstance(lsid, dict):
        i = lsid.get("id")
        if isinstance(i, Binary | bytes):
            return bytes(i)
    return None


def touch_session(ctx: CommandContext, lsid: Any) -> None:
    key = _lsid_key(lsid)
    if key is not None:
        ctx.server.sessions[key] = ctx.now_ms()


@command("startSession", "start a logical session", requires_auth=False)
def start_session(ctx: CommandContext, cmd: dict) -> dict:
    sid = Binary(uuid.uuid4().bytes, 4)
    ctx.server.sessions[bytes(sid)] = ctx.now_ms()
    return {"id": {"id": sid}, "timeoutMinutes": 30}


def _session_list(cmd: dict, name: str) -> list:
    v = cmd.get(name)
    if not isinstance(v, list):
        raise MongoError(14, f"BSON field '{name}.{name}' is the wrong type, expected type 'array'")
    return v


@command("endSessions", "end a set of logical sessions", requires_auth=False)
def end_sessions(ctx: CommandContext, cmd: dict) -> dict:
    for lsid in _session_list(cmd, "endSessions"):
        key = _lsid_key(lsid)
        if key is not None:
            ctx.server.sessions.pop(key, None)
    return {}


@command("refreshSessions", "renew a set of logical sessions", requires_auth=False)
def refresh_sessions(ctx: CommandContext, cmd: dict) -> dict:
    for lsid in _session_list(cmd, "refreshSessions"):
        touch_session(ctx, lsid)
    return {}


@command("killSessions", "kill a logical session and its operations")
def kill_sessions(ctx: CommandContext, cmd: dict) -> dict:
    for lsid in _session_list(cmd, "killSessions"):
        key = _lsid_key(lsid)
        if key is not None:
            ctx.server.sessions.pop(key, None)
            for cid in [
                c.id for c in ctx.server.cursors.cursors.values() if _lsid_key(c.lsid) == key
            ]:
                ctx.server.cursors.kill(cid)
    return {}


@command("killAllSessions", "kill all logical sessions")
def kill_all_sessions(ctx: CommandContext, cmd: dict) -> dict:
    ctx.server.sessions.clear()
    return {}


@command("commitTransaction", "commit a transaction", admin_only=True, in_transaction=True)
def commit_transaction(ctx: CommandContext, cmd: dict) -> dict:
    txn = cmd.get("txnNumber")
    if txn is None:
        raise MongoError(
            50768,
            "commitTransaction must be run within a transaction",
            "NotARetryableWriteCommand",
        )
    raise MongoError(
        251,
        f"Given transaction number {int(txn)} does not match any in-progress transactions. "
        "The active transaction number is -1",
        extra={"errorLabels": ["TransientTransactionError"]},
    )


@command("abortTransaction", "abort a transaction", admin_only=True, in_transaction=True)
def abort_transaction(ctx: CommandContext, cmd: dict) -> dict:
    txn = cmd.get("txnNumber")
    if txn is None:
        raise MongoError(
            50768,
            "abortTransaction must be run within a transaction",
            "NotARetryableWriteCommand",
        )
    raise MongoError(
        251,
        f"Given transaction number {int(txn)} does not match any in-progress transactions. "
        "The active transaction number is -1",
        extra={"errorLabels": ["TransientTransactionError"]},
    )
