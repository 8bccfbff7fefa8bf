"""Set expressions over arrays: $setUnion $setIntersection $setDifference $setEquals
$setIsSubset $anyElementTrue $allElementsTrue."""

from __future__ import annotations

from typing import Any

from ..bsontypes import truthy, type_name
from ..errors import MongoError
from ..keystring import encode_key
from .core import ExprContext, Fn, arity, compile_args, nullish, operator


def _keyed(name: str, v: Any, code: int) -> dict[bytes, Any] | None:
    if nullish(v):
        return None
    if type(v) is not list:
        raise MongoError(
            code, f"All operands of {name} must be arrays. One argument is of type: {type_name(v)}"
        )
    out: dict[bytes, Any] = {}
    for e in v:
        out.setdefault(encode_key(e), e)
    return out


@operator("$setUnion")
def _union(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def union(root: Any, vars: dict) -> Any:
        out: dict[bytes, Any] = {}
        for f in fns:
            s = _keyed("$setUnion", f(root, vars), 17043)
            if s is None:
                return None
            for k, v in s.items():
                out.setdefault(k, v)
        return list(out.values())

    return union


@operator("$setIntersection")
def _intersection(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def inter(root: Any, vars: dict) -> Any:
        result: dict[bytes, Any] | None = None
        for f in fns:
            s = _keyed("$setIntersection", f(root, vars), 17047)
            if s is None:
                return None
            result = s if result is None else {k: v for k, v in result.items() if k in s}
        return list((result or {}).values())

    return inter


@operator("$setDifference")
def _difference(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$setDifference", args, 2), ctx)

    def diff(root: Any, vars: dict) -> Any:
        x = _keyed("$setDifference", a(root, vars), 17048)
        y = _keyed("$setDifference", b(root, vars), 17049)
        if x is None or y is None:
            return None
        return [v for k, v in x.items() if k not in y]

    return diff


@operator("$setEquals")
def _equals(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)
    if len(fns) < 2:
        raise MongoError(17045, f"$setEquals needs at least two arguments had: {len(fns)}")

    def equals(root: Any, vars: dict) -> Any:
        sets = []
        for f in fns:
            v = f(root, vars)
            if type(v) is not list:
                raise MongoError(
                    17044,
                    f"All operands of $setEquals must be arrays. One argument "
                    f"is of type: {type_name(v)}",
                )
            sets.append({encode_key(e) for e in v})
        return all(s == sets[0] for s in sets)

    return equals


@operator("$setIsSubset")
def _subset(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$setIsSubset", args, 2), ctx)

    def subset(root: Any, vars: dict) -> Any:
        x, y = a(root, vars), b(root, vars)
        if type(x) is not list:
            raise MongoError(
                17046,
                f"both operands of $setIsSubset must be arrays. First "
                f"argument is of type: {type_name(x)}",
            )
        if type(y) is not list:
            raise MongoError(
                17042,
                f"both operands of $setIsSubset must be arrays. Second "
                f"argument is of type: {type_name(y)}",
            )
        return {encode_key(e) for e in x} <= {encode_key(e) for e in y}

    return subset


@operator("$anyElementTrue")
def _any(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$anyElementTrue", args, 1), ctx)

    def any_(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if type(v) is not list:
            raise MongoError(
                5159200, f"$anyElementTrue's argument must be an array, but is {type_name(v)}"
            )
        return any(truthy(e) for e in v)

    return any_


@operator("$allElementsTrue")
def _all(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$allElementsTrue", args, 1), ctx)

    def all_(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if type(v) is not list:
            raise MongoError(
                5159200, f"$allElementsTrue's argument must be an array, but is {type_name(v)}"
            )
        return all(truthy(e) for e in v)

    return all_
