"""$literal, $let, $mergeObjects, $getField/$setField/$unsetField, $rand, $meta and friends."""

from __future__ import annotations

import random
from typing import Any

from ..bsontypes import type_name
from ..errors import MongoError
from ..keystring import MISSING
from .core import ExprContext, Fn, arity, compile_args, compile_expression, nullish, operator


@operator("$literal")
def _literal(args: Any, ctx: ExprContext) -> Fn:
    return lambda root, vars: args


@operator("$let")
def _let(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict):
        raise MongoError(16874, "$let only supports an object as its argument")
    for k in args:
        if k not in ("vars", "in"):
            raise MongoError(16875, f"Unrecognized parameter to $let: {k}")
    if "vars" not in args:
        raise MongoError(16876, "Missing 'vars' parameter to $let")
    if "in" not in args:
        raise MongoError(16877, "Missing 'in' parameter to $let")
    var_specs = args["vars"]
    if not isinstance(var_specs, dict):
        raise MongoError(10065, "invalid parameter: expected an object (vars)")
    bindings = []
    for name, spec in var_specs.items():
        _check_var_name(name)
        bindings.append((name, compile_expression(spec, ctx)))
    body = compile_expression(args["in"], ctx.child(list(var_specs)))

    def let(root: Any, vars: dict) -> Any:
        inner = dict(vars)
        for name, f in bindings:
            inner[name] = f(root, vars)
        if "CURRENT" in inner:
            inner.setdefault("ROOT", root)
            return body(inner.pop("CURRENT"), inner)
        return body(root, inner)

    return let


def _check_var_name(name: str) -> None:
    if name == "CURRENT":
        return
    if not name:
        raise MongoError(16866, "empty variable names are not allowed")
    first = name[0]
    if not (first.islower() or not first.isascii()):
        if first == "_":
            raise MongoError(
                16867, f"'{name}' starts with an invalid character for a user variable name"
            )
        raise MongoError(
            16867, f"'{name}' starts with an invalid character for a user variable name"
        )
    for ch in name:
        if not (ch.isalnum() or ch == "_" or not ch.isascii()):
            raise MongoError(
                16868, f"'{name}' contains an invalid character for a variable name: '{ch}'"
            )


check_var_name = _check_var_name


@operator("$mergeObjects")
def _merge_objects(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def merge(root: Any, vars: dict) -> Any:
        out: dict[str, Any] = {}
        for f in fns:
            v = f(root, vars)
            if nullish(v):
                continue
            if type(v) is not dict:
                raise MongoError(
                    40400,
                    f"$mergeObjects requires object inputs, but input {_display(v)} is of type "
                    f"{type_name(v)}",
                )
            out.update(v)
        return out

    return merge


def _display(v: Any) -> str:
    from ..display import value

    return value(v)


def _field_arg(args: Any, ctx: ExprContext, name: str) -> tuple[Fn, Fn]:
    if isinstance(args, dict) and "field" in args:
        f = args["field"]
        if not isinstance(f, str) and not (isinstance(f, dict) and "$literal" in f):
            raise MongoError(
                5654602 if name == "$getField" else 4161106,
                f"{name} requires 'field' to evaluate to type String, but got {type_name(f)}",
            )
        field_fn = compile_expression(f if not isinstance(f, str) else {"$literal": f}, ctx)
        inp = compile_expression(args.get("input", "$$CURRENT"), ctx)
        return field_fn, inp
    if isinstance(args, dict) and name == "$getField":
        raise MongoError(3041702, "$getField requires 'field' to be specified")
    return compile_expression({"$literal": args}, ctx), compile_expression("$$CURRENT", ctx)


@operator("$getField")
def _get_field(args: Any, ctx: ExprContext) -> Fn:
    field_fn, inp = _field_arg(args, ctx, "$getField")

    def get_field(root: Any, vars: dict) -> Any:
        name = field_fn(root, vars)
        obj = inp(root, vars)
        if nullish(obj):
            return MISSING if obj is MISSING else None
        if type(obj) is not dict:
            return MISSING
        return obj.get(name, MISSING)

    return get_field


@operator("$setField")
def _set_field(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict) or not {"field", "input", "value"} <= set(args):
        raise MongoError(4161102, "$setField requires 'field', 'input' and 'value'")
    field_fn, inp = _field_arg(args, ctx, "$setField")
    val = compile_expression(args["value"], ctx)

    def set_field(root: Any, vars: dict) -> Any:
        obj = inp(root, vars)
        if nullish(obj):
            return None
        if type(obj) is not dict:
            raise MongoError(4161105, "$setField requires 'input' to evaluate to type Object")
        out = dict(obj)
        v = val(root, vars)
        name = field_fn(root, vars)
        if v is MISSING:
            out.pop(name, None)
        else:
            out[name] = v
        return out

    return set_field


@operator("$unsetField")
def _unset_field(args: Any, ctx: ExprContext) -> Fn:
    if not isinstance(args, dict) or not {"field", "input"} <= set(args):
        raise MongoError(4161102, "$unsetField requires 'field' and 'input'")
    field_fn, inp = _field_arg(args, ctx, "$unsetField")

    def unset_field(root: Any, vars: dict) -> Any:
        obj = inp(root, vars)
        if nullish(obj):
            return None
        out = dict(obj)
        out.pop(field_fn(root, vars), None)
        return out

    return unset_field


@operator("$rand")
def _rand(args: Any, ctx: ExprContext) -> Fn:
    if args not in ({}, []):
        raise MongoError(10065, "$rand does not currently accept arguments")
    return lambda root, vars: random.random()


@operator("$meta")
def _meta(args: Any, ctx: ExprContext) -> Fn:
    if args not in (
        "textScore",
        "indexKey",
        "searchScore",
        "searchHighlights",
        "randVal",
        "sortKey",
        "recordId",
        "geoNearDistance",
        "geoNearPoint",
    ):
        raise MongoError(17308, f"Unsupported argument to $meta: {args}")
    return lambda root, vars: MISSING


@operator("$toHashedIndexKey")
def _hashed(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$toHashedIndexKey", args, 1), ctx)

    def hashed(root: Any, vars: dict) -> Any:
        import hashlib

        from bson.int64 import Int64

        from ..keystring import encode_key

        v = a(root, vars)
        h = hashlib.md5(encode_key(None if v is MISSING else v)).digest()
        return Int64(int.from_bytes(h[:8], "little", signed=True))

    return hashed
