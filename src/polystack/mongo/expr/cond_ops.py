"""Comparison, boolean and conditional expressions."""

from __future__ import annotations

from typing import Any

from ..bsontypes import truthy
from ..errors import MongoError
from ..keystring import MISSING, compare
from .core import ExprContext, Fn, arity, compile_args, nullish, operator


def _cmp_value(v: Any) -> Any:
    return None if v is MISSING else v


def _comparison(name: str, test: Any) -> None:
    @operator(name)
    def compile_cmp(args: Any, ctx: ExprContext) -> Fn:
        a, b = compile_args(arity(name, args, 2), ctx)

        def cmp_fn(root: Any, vars: dict) -> Any:
            x, y = a(root, vars), b(root, vars)
            # a missing value compares below null in expressions
            if x is MISSING or y is MISSING:
                if x is MISSING and y is MISSING:
                    c = 0
                elif x is MISSING:
                    c = -1
                else:
                    c = 1
            else:
                c = compare(x, y)
            return test(c)

        return cmp_fn


_comparison("$eq", lambda c: c == 0)
_comparison("$ne", lambda c: c != 0)
_comparison("$gt", lambda c: c > 0)
_comparison("$gte", lambda c: c >= 0)
_comparison("$lt", lambda c: c < 0)
_comparison("$lte", lambda c: c <= 0)
_comparison("$cmp", lambda c: c)


@operator("$and")
def _and(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def and_fn(root: Any, vars: dict) -> Any:
        for f in fns:
            if not truthy(f(root, vars)):
                return False
        return True

    return and_fn


@operator("$or")
def _or(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def or_fn(root: Any, vars: dict) -> Any:
        for f in fns:
            if truthy(f(root, vars)):
                return True
        return False

    return or_fn


@operator("$not")
def _not(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$not", args, 1), ctx)
    return lambda root, vars: not truthy(a(root, vars))


@operator("$cond")
def _cond(args: Any, ctx: ExprContext) -> Fn:
    if isinstance(args, dict):
        for k in args:
            if k not in ("if", "then", "else"):
                raise MongoError(17083, f"Unrecognized parameter to $cond: {k}")
        for k in ("if", "then", "else"):
            if k not in args:
                raise MongoError(
                    17080 + ("if", "then", "else").index(k), f"Missing '{k}' parameter to $cond"
                )
        lst = [args["if"], args["then"], args["else"]]
    else:
        lst = arity("$cond", args, 3)
    c, t, e = compile_args(lst, ctx)

    def cond(root: Any, vars: dict) -> Any:
        return t(root, vars) if truthy(c(root, vars)) else e(root, vars)

    return cond


@operator("$ifNull")
def _if_null(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, list) or len(args) < 2:
        raise MongoError(
            1257300,
            "$ifNull needs at least two arguments, had: "
            f"{len(args) if isinstance(args, list) else 1}",
        )
    fns = compile_args(args, ctx)

    def if_null(root: Any, vars: dict) -> Any:
        for f in fns[:-1]:
            v = f(root, vars)
            if not nullish(v):
                return v
        return fns[-1](root, vars)

    return if_null


@operator("$switch")
def _switch(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(40060, "$switch requires an object as an argument")
    branches = args.get("branches")
    if not isinstance(branches, list):
        raise MongoError(40061, "$switch expected an array for 'branches'")
    compiled = []
    for b in branches:
        if not isinstance(b, dict):
            raise MongoError(40062, "$switch expected each branch to be an object")
        if "case" not in b:
            raise MongoError(40064, "$switch requires each branch have a 'case' expression")
        if "then" not in b:
            raise MongoError(40065, "$switch requires each branch have a 'then' expression")
        compiled.append(tuple(compile_args([b["case"], b["then"]], ctx)))
    for k in args:
        if k not in ("branches", "default"):
            raise MongoError(40067, f"$switch found an unknown argument: {k}")
    default = compile_args(args["default"], ctx)[0] if "default" in args else None

    def switch(root: Any, vars: dict) -> Any:
        for c, t in compiled:
            if truthy(c(root, vars)):
                return t(root, vars)
        if default is None:
            raise MongoError(
                40066,
                "$switch could not find a matching branch for an input, and no default "
                "was specified.",
            )
        return default(root, vars)

    return switch
