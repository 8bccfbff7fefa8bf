"""``$jsonSchema``: MongoDB's JSON Schema draft-4 subset with ``bsonType``.

Keywords apply only to values of their kind (``minimum`` to numbers, ``minLength`` to strings,
``required`` to objects), as JSON Schema says; ``integer`` is not a ``type`` (use
``bsonType: "int"``/``"long"``), ``$ref``, ``default``, ``definitions``, ``format`` and
``id`` are refused as MongoDB refuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..bsontypes import TYPE_ALIASES, bson_type, is_numeric
from ..errors import MongoError
from ..keystring import MISSING, compare, encode_key
from .regex import compile_regex

Check = Callable[[Any], bool]
JSON_TYPES = {
    "object": {3},
    "array": {4},
    "number": {1, 16, 18, 19},
    "boolean": {8},
    "string": {2},
    "null": {10},
}
KNOWN = frozenset(
    {"bsonType", "type", "properties", "required", "additionalProperties", "patternProperties",
     "minProperties", "maxProperties", "dependencies", "enum", "minimum", "maximum",
     "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern",
     "items", "additionalItems", "minItems", "maxItems", "uniqueItems", "allOf", "anyOf",
     "oneOf", "not", "title", "description", "encrypt", "encryptMetadata"}
)  # fmt: skip
UNSUPPORTED = frozenset({"$ref", "$schema", "default", "definitions", "format", "id"})


def _fail(msg: str, code: int = 2) -> MongoError:
    return MongoError(code, msg)


def compile_schema(schema: dict) -> Callable[[dict], bool]:
    check = _compile(schema, top=True)
    return check


def _type_set(value: Any, keyword: str) -> set[int]:
    names = value if isinstance(value, list) else [value]
    if not names:
        raise _fail(f"{keyword} must include at least one type")
    out: set[int] = set()
    for n in names:
        if keyword == "type":
            if n == "integer":
                raise _fail("$jsonSchema type 'integer' is not currently supported.", 2)
            if n not in JSON_TYPES:
                raise _fail(f"Unknown type name alias: {n}")
            out |= JSON_TYPES[n]
        else:
            if n == "number":
                out |= {1, 16, 18, 19}
            elif isinstance(n, str) and n in TYPE_ALIASES:
                out.add(TYPE_ALIASES[n])
            else:
                raise _fail(f"Unknown type name alias: {n}")
    return out


def _number(value: Any, keyword: str) -> Any:
    if not is_numeric(value) or isinstance(value, bool):
        raise _fail(f"$jsonSchema keyword '{keyword}' must be a number", 14)
    return value


def _count(value: Any, keyword: str) -> int:
    if not is_numeric(value) or isinstance(value, bool) or value < 0 or int(value) != value:
        raise _fail(
            f"$jsonSchema keyword '{keyword}' must be a representable as a positive integer", 2
        )
    return int(value)


def _type_check(types: set[int]) -> Check:
    return lambda v: v is MISSING or bson_type(v) in types


def _all_of(fns: list[Check]) -> Check:
    return lambda v: all(f(v) for f in fns)


def _any_of(fns: list[Check]) -> Check:
    return lambda v: any(f(v) for f in fns)


def _one_of(fns: list[Check]) -> Check:
    return lambda v: sum(1 for f in fns if f(v)) == 1


def _has_fields(names: list[Any]) -> Check:
    return lambda v: all(x in v for x in names)


def _compile(schema: Any, top: bool = False) -> Check:
    if not isinstance(schema, dict):
        raise _fail("$jsonSchema must be an object", 14)
    checks: list[Check] = []
    for k in schema:
        if k in UNSUPPORTED:
            raise _fail(f"$jsonSchema keyword '{k}' is not currently supported", 2)
        if k not in KNOWN:
            raise _fail(f"Unknown $jsonSchema keyword: {k}", 9)
    if "type" in schema and "bsonType" in schema:
        raise _fail("Cannot specify both $jsonSchema keywords 'type' and 'bsonType'", 9)
    for keyword in ("type", "bsonType"):
        if keyword in schema:
            types = _type_set(schema[keyword], keyword)
            checks.append(_type_check(types))
    if "enum" in schema:
        options = schema["enum"]
        if not isinstance(options, list) or not options:
            raise _fail("$jsonSchema keyword 'enum' must be a non-empty array", 2)
        keys = {encode_key(o) for o in options}
        checks.append(lambda v: v is MISSING or encode_key(v) in keys)
    _numeric(schema, checks)
    _strings(schema, checks)
    _objects(schema, checks, top)
    _arrays(schema, checks)
    for keyword in ("allOf", "anyOf", "oneOf"):
        if keyword in schema:
            subs = schema[keyword]
            if not isinstance(subs, list) or not subs:
                raise _fail(f"$jsonSchema keyword '{keyword}' must be a non-empty array", 2)
            fns = [_compile(x) for x in subs]
            if keyword == "allOf":
                checks.append(_all_of(fns))
            elif keyword == "anyOf":
                checks.append(_any_of(fns))
            else:
                checks.append(_one_of(fns))
    if "not" in schema:
        inner = _compile(schema["not"])
        checks.append(lambda v: not inner(v))

    def check(v: Any) -> bool:
        for c in checks:
            if not c(v):
                return False
        return True

    return check


def _numeric(schema: dict, checks: list[Check]) -> None:
    def num(v: Any) -> bool:
        return is_numeric(v) and not isinstance(v, bool)

    if "minimum" in schema:
        lo = _number(schema["minimum"], "minimum")
        excl = bool(schema.get("exclusiveMinimum", False))
        checks.append(lambda v: not num(v) or (compare(v, lo) > 0 if excl else compare(v, lo) >= 0))
    elif "exclusiveMinimum" in schema:
        raise _fail(
            "$jsonSchema keyword 'minimum' must be a present if exclusiveMinimum is present", 9
        )
    if "maximum" in schema:
        hi = _number(schema["maximum"], "maximum")
        excl = bool(schema.get("exclusiveMaximum", False))
        checks.append(lambda v: not num(v) or (compare(v, hi) < 0 if excl else compare(v, hi) <= 0))
    elif "exclusiveMaximum" in schema:
        raise _fail(
            "$jsonSchema keyword 'maximum' must be a present if exclusiveMaximum is present", 9
        )
    if "multipleOf" in schema:
        m = _number(schema["multipleOf"], "multipleOf")
        if m <= 0:
            raise _fail("$jsonSchema keyword 'multipleOf' must have a positive value", 2)
        from .. import arith

        mf = arith.as_float(m)
        checks.append(lambda v: not num(v) or (arith.as_float(v) / mf).is_integer())


def _strings(schema: dict, checks: list[Check]) -> None:
    if "minLength" in schema:
        n = _count(schema["minLength"], "minLength")
        checks.append(lambda v: type(v) is not str or len(v) >= n)
    if "maxLength" in schema:
        n2 = _count(schema["maxLength"], "maxLength")
        checks.append(lambda v: type(v) is not str or len(v) <= n2)
    if "pattern" in schema:
        p = schema["pattern"]
        if not isinstance(p, str):
            raise _fail("$jsonSchema keyword 'pattern' must be a string", 14)
        rx = compile_regex(p, "")
        checks.append(lambda v: type(v) is not str or rx.search(v) is not None)


def _objects(schema: dict, checks: list[Check], top: bool) -> None:
    props: dict[str, Check] = {}
    if "properties" in schema:
        if not isinstance(schema["properties"], dict):
            raise _fail("$jsonSchema keyword 'properties' must be an object", 14)
        props = {k: _compile(v) for k, v in schema["properties"].items()}

        def properties(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for k, f in props.items():
                x = v.get(k, MISSING)
                if x is not MISSING and not f(x):
                    return False
            return True

        checks.append(properties)
    patterns: list[tuple[Any, Check]] = []
    if "patternProperties" in schema:
        for p, sub in schema["patternProperties"].items():
            patterns.append((compile_regex(p, ""), _compile(sub)))

        def pattern_props(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for k, x in v.items():
                for rx, f in patterns:
                    if rx.search(k) is not None and not f(x):
                        return False
            return True

        checks.append(pattern_props)
    if "additionalProperties" in schema:
        ap = schema["additionalProperties"]
        extra: Check | None = None
        allowed = ap if isinstance(ap, bool) else True
        if isinstance(ap, dict):
            extra = _compile(ap)
        elif not isinstance(ap, bool):
            raise _fail(
                "$jsonSchema keyword 'additionalProperties' must be either an object or a boolean",
                14,
            )

        def additional(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for k, x in v.items():
                if k in props or any(rx.search(k) is not None for rx, _ in patterns):
                    continue
                if extra is not None:
                    if not extra(x):
                        return False
                elif not allowed:
                    return False
            return True

        checks.append(additional)
    if "required" in schema:
        req = schema["required"]
        if not isinstance(req, list) or not req or not all(isinstance(r, str) for r in req):
            raise _fail("$jsonSchema keyword 'required' must be a non-empty array of strings", 2)
        checks.append(lambda v: type(v) is not dict or all(r in v for r in req))
    if "minProperties" in schema:
        n = _count(schema["minProperties"], "minProperties")
        checks.append(lambda v: type(v) is not dict or len(v) >= n)
    if "maxProperties" in schema:
        n2 = _count(schema["maxProperties"], "maxProperties")
        checks.append(lambda v: type(v) is not dict or len(v) <= n2)
    if "dependencies" in schema:
        deps = schema["dependencies"]
        fns: list[tuple[str, Check]] = []
        for k, d in deps.items():
            if isinstance(d, list):
                fns.append((k, _has_fields(d)))
            else:
                sub = _compile(d)
                fns.append((k, sub))
        checks.append(lambda v: type(v) is not dict or all(f(v) for k, f in fns if k in v))


def _arrays(schema: dict, checks: list[Check]) -> None:
    if "items" in schema:
        items = schema["items"]
        if isinstance(items, dict):
            f = _compile(items)
            checks.append(lambda v: type(v) is not list or all(f(e) for e in v))
        elif isinstance(items, list):
            fns = [_compile(x) for x in items]
            add = schema.get("additionalItems", True)
            add_fn = _compile(add) if isinstance(add, dict) else None

            def tuple_items(v: Any) -> bool:
                if type(v) is not list:
                    return True
                for i, e in enumerate(v):
                    if i < len(fns):
                        if not fns[i](e):
                            return False
                    elif add_fn is not None:
                        if not add_fn(e):
                            return False
                    elif add is False:
                        return False
                return True

            checks.append(tuple_items)
        else:
            raise _fail("$jsonSchema keyword 'items' must be an array or an object", 14)
    if "minItems" in schema:
        n = _count(schema["minItems"], "minItems")
        checks.append(lambda v: type(v) is not list or len(v) >= n)
    if "maxItems" in schema:
        n2 = _count(schema["maxItems"], "maxItems")
        checks.append(lambda v: type(v) is not list or len(v) <= n2)
    if schema.get("uniqueItems"):
        checks.append(lambda v: type(v) is not list or len({encode_key(e) for e in v}) == len(v))
