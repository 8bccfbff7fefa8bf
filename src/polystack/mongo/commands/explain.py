"""explain: a find, aggregate, count, distinct, update, delete or findAndModify, planned and not
run."""

from __future__ import annotations

from typing import Any

from ..errors import MongoError
from . import command
from .aggregate import aggregate
from .context import CommandContext
from .query import run_find


@command(
    "explain",
    "explain a find, aggregate, count, distinct, update, delete or findAndModify",
    read=True,
)
def explain(ctx: CommandContext, cmd: dict) -> Any:
    inner = cmd.get("explain")
    if not isinstance(inner, dict) or not inner:
        raise MongoError(
            14,
            "BSON field 'explain.explain' is the wrong type, expected type 'object'"
            if not isinstance(inner, dict)
            else "explain command requires a nested object",
        )
    verbosity = cmd.get("verbosity", "allPlansExecution")
    if verbosity not in ("queryPlanner", "executionStats", "allPlansExecution"):
        raise MongoError(
            2,
            f"Enumeration value '{verbosity}' for field 'explain.verbosity' is not a valid value.",
        )
    name = next(iter(inner))
    inner = dict(inner)
    inner.setdefault("$db", ctx.db)
    if name == "find":
        return run_find(ctx, inner, explain=verbosity)
    if name == "aggregate":
        inner["explain"] = True
        return aggregate(ctx, inner)
    if name in ("count", "distinct"):
        q = inner.get("query") or {}
        return run_find(ctx, {"find": inner[name], "filter": q}, explain=verbosity)
    if name in ("update", "delete", "findAndModify", "findandmodify"):
        if name == "update":
            st = (inner.get("updates") or [{}])[0]
            q = st.get("q", {})
        elif name == "delete":
            st = (inner.get("deletes") or [{}])[0]
            q = st.get("q", {})
        else:
            q = inner.get("query", {})
        return run_find(ctx, {"find": inner[name], "filter": q}, explain=verbosity)
    raise MongoError(59, f"Explain failed due to unknown command: {name}", "CommandNotFound")
