"""What the read commands (find, aggregate, explain, getMore) share: the expression context of
a command's ``let``, its ``maxTimeMS`` budget, cursor registration and the explain output's
serverInfo."""

from __future__ import annotations

from typing import Any

from ..cursors import Cursor, TimeBudget
from ..errors import MongoError
from ..expr import ExprContext
from .context import CommandContext


def expr_context(ctx: CommandContext, let: Any) -> ExprContext:
    import datetime

    if let is not None and not isinstance(let, dict):
        raise MongoError(14, "BSON field 'let' is the wrong type, expected type 'object'")
    ms = ctx.server.clock.time_ms()
    now = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    variables: dict[str, Any] = {}
    ectx = ExprContext(variables, now=now, cluster_time=ctx.storage.cluster.timestamp())
    if let:
        from ..expr import compile_expression
        from ..expr.misc_ops import check_var_name

        for k, v in let.items():
            check_var_name(k)
            variables[k] = compile_expression(v, ectx)({}, ectx.initial_vars())
    return ectx


def _budget(ctx: CommandContext, cmd: dict) -> TimeBudget | None:
    ms = cmd.get("maxTimeMS")
    if ms is None or isinstance(ms, bool) or not isinstance(ms, int | float) or ms <= 0:
        return None
    return TimeBudget(ctx.server.clock, int(ms))


def _register(ctx: CommandContext, cursor: Cursor) -> int:
    cursor.id = ctx.server.cursors.new_id()
    cursor.lsid = ctx.request.body.get("lsid")
    ctx.server.cursors.register(cursor)
    return cursor.id


def _server_info(ctx: CommandContext) -> dict:
    from ..mongod import GIT_VERSION, VERSION

    s = ctx.server.settings
    return {
        "host": ctx.server.host_name,
        "port": s.port,
        "version": VERSION,
        "gitVersion": GIT_VERSION,
    }
