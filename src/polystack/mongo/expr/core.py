"""Parsing expressions: literals, field paths, variables, objects, arrays and operator calls."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import MongoError
from ..keystring import MISSING

Fn = Callable[[Any, dict], Any]
OPERATORS: dict[str, Callable[[Any, ExprContext], Fn]] = {}

SYSTEM_VARIABLES = frozenset(
    {
        "ROOT",
        "CURRENT",
        "NOW",
        "CLUSTER_TIME",
        "REMOVE",
        "DESCEND",
        "PRUNE",
        "KEEP",
        "SEARCH_META",
        "USER_ROLES",
    }
)


@dataclass(slots=True)
class ExprContext:
    """What expressions are compiled against: user variables in scope, the clock."""

    variables: dict[str, Any] = field(default_factory=dict)  # the command's ``let`` values
    scope: set[str] = field(default_factory=set)  # names bound by $let/$map/$filter ...
    now: datetime.datetime | None = None
    cluster_time: Any = None
    collection: Any = None  # resolves $lookup / $unionWith namespaces (set by the pipeline)

    def child(self, names: set[str] | list[str]) -> ExprContext:
        return ExprContext(
            self.variables, self.scope | set(names), self.now, self.cluster_time, self.collection
        )

    def initial_vars(self) -> dict[str, Any]:
        out = dict(self.variables)
        if self.now is not None:
            out["NOW"] = self.now
        if self.cluster_time is not None:
            out["CLUSTER_TIME"] = self.cluster_time
        return out


def operator(*names: str) -> Callable:
    def register(fn: Callable[[Any, ExprContext], Fn]) -> Callable:
        for n in names:
            OPERATORS[n] = fn
        return fn

    return register


def _ctx(ctx: Any) -> ExprContext:
    if ctx is None:
        return ExprContext()
    if isinstance(ctx, ExprContext):
        return ctx
    return ExprContext(dict(ctx))


def compile_expression(spec: Any, ctx: Any = None) -> Fn:
    """Compile an aggregation expression."""
    return _compile(spec, _ctx(ctx))


def compile_args(args: Any, ctx: ExprContext) -> list[Fn]:
    if isinstance(args, list):
        return [_compile(a, ctx) for a in args]
    return [_compile(args, ctx)]


def _const(v: Any) -> Fn:
    def const(root: Any, vars: dict) -> Any:
        return v

    # the attribute marks a constant expression (is_constant): mypy has no type for attributes
    # set on a function, and a callable object instead would slow every evaluation
    const.constant = v  # type: ignore[attr-defined]
    return const


def is_constant(fn: Fn) -> bool:
    return hasattr(fn, "constant")


def _compile(spec: Any, ctx: ExprContext) -> Fn:
    t = type(spec)
    if t is str:
        if spec.startswith("$$"):
            return _variable(spec[2:], ctx)
        if spec.startswith("$"):
            if spec == "$":
                raise MongoError(16872, "'$' by itself is not a valid FieldPath")
            return field_path_getter(spec[1:])
        return _const(spec)
    if t is dict:
        if len(spec) >= 1:
            first = next(iter(spec))
            if first.startswith("$"):
                if len(spec) > 1:
                    raise MongoError(
                        15983,
                        "An object representing an expression must have exactly one field: "
                        + _display(spec),
                    )
                op = OPERATORS.get(first)
                if op is None:
                    raise MongoError(
                        168, f"Unrecognized expression '{first}'", "InvalidPipelineOperator"
                    )
                return op(spec[first], ctx)
        return _object(spec, ctx)
    if t is list:
        fns = [_compile(x, ctx) for x in spec]
        if all(is_constant(f) for f in fns):
            values = [f.constant for f in fns]  # type: ignore[attr-defined]  # set by _const
            return _const([None if v is MISSING else v for v in values])

        def array(root: Any, vars: dict) -> Any:
            out = []
            for f in fns:
                v = f(root, vars)
                out.append(None if v is MISSING else v)
            return out

        return array
    return _const(spec)


def _display(v: Any) -> str:
    from ..display import value

    return value(v)


def _object(spec: dict, ctx: ExprContext) -> Fn:
    items = []
    for k, v in spec.items():
        if k.startswith("$"):
            raise MongoError(
                16410,
                "FieldPath field names may not start with '$'. Consider using $getField or "
                "$setField.",
            )
        if "." in k:
            raise MongoError(
                16412,
                "FieldPath field names may not contain '.'. Consider using $getField or $setField.",
            )
        items.append((k, _compile(v, ctx)))

    def obj(root: Any, vars: dict) -> Any:
        out = {}
        for k, f in items:
            v = f(root, vars)
            if v is not MISSING:
                out[k] = v
        return out

    return obj


def _variable(name: str, ctx: ExprContext) -> Fn:
    base, _, rest = name.partition(".")
    parts = tuple(rest.split(".")) if rest else ()
    if base == "CURRENT" or base == "ROOT":
        if base == "ROOT":

            def root_fn(root: Any, vars: dict) -> Any:
                r = vars.get("ROOT", root)
                return agg_get(r, parts) if parts else r

            return root_fn

        def current_fn(root: Any, vars: dict) -> Any:
            return agg_get(root, parts) if parts else root

        return current_fn
    if base == "REMOVE":
        return _const(MISSING)
    if base in ("DESCEND", "PRUNE", "KEEP"):
        return _const("$$" + base)
    if base == "NOW":

        def now_fn(root: Any, vars: dict) -> Any:
            v = vars.get("NOW")
            if v is None:
                v = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
                v = v.replace(microsecond=v.microsecond // 1000 * 1000)
            return agg_get(v, parts) if parts else v

        return now_fn
    if base == "CLUSTER_TIME":
        return lambda root, vars: vars.get("CLUSTER_TIME", MISSING)
    if base in SYSTEM_VARIABLES:
        raise MongoError(17276, f"Use of undefined variable: {base}")
    if base not in ctx.scope and base not in ctx.variables:
        if not base or not (base[0].islower() or base[0] == "_" or not base[0].isascii()):
            raise MongoError(17276, f"Use of undefined variable: {base}")
        raise MongoError(17276, f"Use of undefined variable: {base}")

    def var_fn(root: Any, vars: dict) -> Any:
        v = vars.get(base, MISSING)
        return agg_get(v, parts) if parts else v

    return var_fn


def field_path_getter(path: str) -> Fn:
    if not path:
        raise MongoError(16872, "'$' by itself is not a valid FieldPath")
    parts = tuple(path.split("."))
    for p in parts:
        if not p:
            raise MongoError(15998, "FieldPath field names may not be empty strings.")
        if p.startswith("$"):
            raise MongoError(
                16410,
                "FieldPath field names may not start with '$'. Consider using "
                "$getField or $setField.",
            )
    if len(parts) == 1:
        key = parts[0]

        def top(root: Any, vars: dict) -> Any:
            if type(root) is dict:
                return root.get(key, MISSING)
            return MISSING

        return top

    def deep(root: Any, vars: dict) -> Any:
        return agg_get(root, parts)

    return deep


def agg_get(value: Any, parts: tuple[str, ...]) -> Any:
    """Aggregation field-path semantics: arrays map the rest of the path over their elements."""
    for i, p in enumerate(parts):
        t = type(value)
        if t is dict:
            value = value.get(p, MISSING)
            if value is MISSING:
                return MISSING
        elif t is list:
            rest = parts[i:]
            out = []
            for e in value:
                if type(e) in (dict, list):
                    v = agg_get(e, rest)
                    if v is not MISSING:
                        out.append(v)
            return out
        else:
            return MISSING
    return value


def arity(name: str, args: Any, lo: int, hi: int | None = None) -> list:
    """The argument list of an operator, checked for its count."""
    hi = lo if hi is None else hi
    lst = args if isinstance(args, list) else [args]
    if not lo <= len(lst) <= hi:
        if lo == hi:
            raise MongoError(
                16020,
                f"Expression {name} takes exactly {lo} arguments. {len(lst)} were passed in.",
            )
        if len(lst) < lo:
            raise MongoError(
                16020,
                f"Expression {name} takes at least {lo} arguments, and at most {hi}. "
                f"{len(lst)} were passed in.",
            )
        raise MongoError(
            16020,
            f"Expression {name} takes at least {lo} arguments, and at most {hi}. "
            f"{len(lst)} were passed in.",
        )
    return lst


def nullish(v: Any) -> bool:
    return v is None or v is MISSING
