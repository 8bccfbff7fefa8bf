"""values.schema.json validation with the error text of Helm 4 (which uses
santhosh-tekuri/jsonschema v6): `- at '/port': got string, want integer`.

Validation itself is done by the `jsonschema` package; its errors are
rearranged into v6's tree (one subschema's failures grouped under
`validation failed`) and worded as v6 words them.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from jsonschema import exceptions as jse

from polystack.helm.golang.strconv import format_float_g

_CHILD_ONE = {
    "items",
    "additionalProperties",
    "additionalItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
}
_CHILD_TWO = {
    "properties",
    "patternProperties",
    "dependencies",
    "dependentSchemas",
    "prefixItems",
    "allOf",
    "anyOf",
    "oneOf",
    "$defs",
    "definitions",
}


def _quote(s: str) -> str:
    from polystack.helm.golang.strconv import quote

    q = quote(s)
    q = q.replace('\\"', '"').replace("'", "\\'")
    return "'" + q[1:-1] + "'"


def _num(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_float_g(v)
    if isinstance(v, int):
        return format_float_g(float(v))
    return str(v)


def _display(v: Any) -> str:
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, (list, dict)):
        return "value"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _num(v)
    return str(v)


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _pointer(path: Any) -> str:
    out = []
    for p in path:
        s = str(p).replace("~", "~0").replace("/", "~1")
        out.append("/" + s)
    return "".join(out)


def _message(e: jse.ValidationError) -> str:
    k = e.validator
    inst = e.instance
    want = e.validator_value
    if k == "type":
        w = [want] if isinstance(want, str) else list(want)
        return f"got {_json_type(inst)}, want {' or '.join(sorted(w))}"
    if k == "required":
        present = set(inst) if isinstance(inst, dict) else set()
        missing = [p for p in want if p not in present]
        if len(missing) == 1:
            return f"missing property {_quote(missing[0])}"
        return "missing properties " + ", ".join(_quote(m) for m in missing)
    if k in ("minLength", "maxLength"):
        return f"{k}: got {len(inst)}, want {want}"
    if k in ("minItems", "maxItems", "minProperties", "maxProperties"):
        return f"{k}: got {len(inst)}, want {want}"
    if k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        return f"{k}: got {_num(inst)}, want {_num(want)}"
    if k == "enum":
        if all(not isinstance(x, (list, dict)) for x in want):
            if len(want) == 1:
                return f"value must be {_display(want[0])}"
            return "value must be one of " + ", ".join(_display(x) for x in want)
        return "enum failed"
    if k == "const":
        if isinstance(want, (list, dict)):
            return "const failed"
        return f"value must be {_display(want)}"
    if k == "pattern":
        return f"{_quote(str(inst))} does not match pattern {_quote(want)}"
    if k == "additionalProperties":
        extra = _extra_props(e)
        return "additional properties " + ", ".join(_quote(x) for x in extra) + " not allowed"
    if k == "uniqueItems":
        for i in range(len(inst)):
            for j in range(i + 1, len(inst)):
                if inst[i] == inst[j] and type(inst[i]) is type(inst[j]):
                    return f"items at {i} and {j} are equal"
        return "items are not unique"
    if k == "format":
        return f"{_display(inst)} is not valid {_quote(want)}"
    if k == "anyOf":
        return "anyOf failed"
    if k == "allOf":
        return "allOf failed"
    if k == "oneOf":
        return (
            "oneOf failed, none matched" if e.context else "oneOf failed, subschemas 0, 1 matched"
        )
    if k == "not":
        return "not failed"
    if k == "contains":
        return "no items match contains schema"
    if k == "propertyNames":
        return f"invalid property {_quote(str(inst))}"
    if k == "dependentRequired" or k == "dependencies":
        return e.message
    if k is None or k is False:
        return "false schema"
    return e.message


def _extra_props(e: jse.ValidationError) -> list[str]:
    inst = e.instance if isinstance(e.instance, dict) else {}
    schema = e.schema if isinstance(e.schema, dict) else {}
    props = schema.get("properties", {}) or {}
    pats = list(schema.get("patternProperties") or {})
    return [k for k in inst if k not in props and not any(_re2_search(p, k) for p in pats)]


# ---------------------------------------------------------------- RE2 patterns
# Helm's validator (santhosh-tekuri/jsonschema) matches "pattern" and
# "patternProperties" with Go's regexp: RE2 syntax, linear time. jsonschema's
# own keywords use Python's backtracking re, so these three are replaced.


def _re2_search(pattern: str, s: str) -> bool:
    from polystack.helm.golang.regexp import RegexpError, compile_re2

    try:
        return compile_re2(pattern).match_string(s)
    except RegexpError as e:
        raise jse.SchemaError(str(e)) from None


def _pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not _re2_search(patrn, instance):
        yield jse.ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator: Any, pattern_props: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_props.items():
        for k, v in instance.items():
            if _re2_search(pattern, k):
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _additional_properties(validator: Any, ap: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    props = schema.get("properties", {})
    pats = list(schema.get("patternProperties", {}))
    extras = {k for k in instance if k not in props and not any(_re2_search(p, k) for p in pats)}
    if validator.is_type(ap, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], ap, path=extra)
    elif not ap and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield jse.ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            extra = sorted(extras, key=str)
            verb = "was" if len(extra) == 1 else "were"
            yield jse.ValidationError(
                "Additional properties are not allowed"
                f" ({', '.join(repr(x) for x in extra)} {verb} unexpected)"
            )


def _re2_validator(cls: Any) -> Any:
    return jsonschema.validators.extend(
        cls,
        {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )


class _Node:
    __slots__ = ("loc", "msg", "children")

    def __init__(self, loc: str, msg: str, children: list[_Node] | None = None) -> None:
        self.loc = loc
        self.msg = msg
        self.children = children or []

    def render(self, indent: int, out: list[str]) -> None:
        out.append(f"{'  ' * indent}- at {_quote(self.loc)}: {self.msg}\n")
        for c in self.children:
            c.render(indent + 1, out)


def _parent(
    spath: tuple[Any, ...], ipath: tuple[Any, ...]
) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """The enclosing subschema evaluation of (subschema path, instance path)."""
    if not spath:
        return None
    last = spath[-1]
    prev = spath[-2] if len(spath) >= 2 else None
    if prev in ("properties", "patternProperties"):
        return spath[:-2], ipath[:-1]
    if prev in ("items", "prefixItems") and isinstance(last, int):
        return spath[:-2], ipath[:-1]
    if last in (
        "items",
        "additionalProperties",
        "additionalItems",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
    ):
        return spath[:-1], ipath[:-1]
    if prev in ("allOf", "dependentSchemas", "dependencies", "$defs", "definitions"):
        return spath[:-2], ipath
    if last in ("not", "if", "then", "else", "$ref", "$dynamicRef", "propertyNames"):
        return spath[:-1], ipath
    return spath[:-1], ipath


def _tree(errors: list[jse.ValidationError], base_schema: tuple[Any, ...]) -> list[_Node]:
    """Group leaf errors by the subschema evaluation that produced them (v6's tree)."""
    groups: dict[tuple[tuple[Any, ...], tuple[Any, ...]], list[_Node]] = {}
    order: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []

    def add(k: tuple[tuple[Any, ...], tuple[Any, ...]], n: _Node) -> None:
        if k not in groups:
            groups[k] = []
            order.append(k)
        groups[k].append(n)

    seen_required: set[tuple[Any, ...]] = set()
    for e in errors:
        if e.validator == "required":
            rk = (tuple(e.relative_schema_path), tuple(e.absolute_path))
            if rk in seen_required:
                continue
            seen_required.add(rk)
        children = _branch_nodes(e) if e.context else []
        node = _Node(_pointer(e.absolute_path), _message(e), children)
        add((tuple(e.relative_schema_path)[:-1], tuple(e.absolute_path)), node)
    base_len = len(base_schema)
    while True:
        deepest = [k for k in order if k in groups and len(k[0]) > base_len]
        if not deepest:
            break
        k = max(deepest, key=lambda x: len(x[0]))
        nodes = groups.pop(k)
        par = _parent(k[0], k[1])
        if par is None:
            groups[k] = nodes
            break
        folded = nodes[0] if len(nodes) == 1 else _Node(_pointer(k[1]), "validation failed", nodes)
        add(par, folded)
    out: list[_Node] = []
    for k in order:
        out.extend(groups.get(k, []))
    return out


def _branch_nodes(e: jse.ValidationError) -> list[_Node]:
    by_branch: dict[int, list[jse.ValidationError]] = {}
    for c in e.context:
        idx = c.schema_path[0] if c.schema_path else 0
        by_branch.setdefault(int(idx), []).append(c)
    out: list[_Node] = []
    for idx in sorted(by_branch):
        sub = _tree(by_branch[idx], (idx,))
        if len(sub) == 1:
            out.append(sub[0])
        elif sub:
            out.append(_Node(sub[0].loc, "validation failed", sub))
    return out


_ORDER = {
    k: i
    for i, k in enumerate(
        (
            "type const enum minProperties maxProperties required dependentRequired properties"
            " patternProperties additionalProperties propertyNames dependencies dependentSchemas"
            " minItems maxItems uniqueItems prefixItems items additionalItems contains"
            " minLength maxLength pattern minimum maximum exclusiveMinimum exclusiveMaximum"
            " multipleOf format $ref allOf anyOf oneOf not if then else"
        ).split()
    )
}


def _rank(e: jse.ValidationError) -> tuple[int, ...]:
    return tuple(
        _ORDER.get(p, 50) if isinstance(p, str) and p in _ORDER else 60
        for p in e.relative_schema_path
    )


def validate_single(values: dict[str, Any], schema_json: bytes) -> str:
    """ValidateAgainstSingleSchema: '' when valid, else the error text."""
    try:
        schema = json.loads(schema_json)
    except json.JSONDecodeError as e:
        return f"{e}"
    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        validator = _re2_validator(cls)(schema, format_checker=cls.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(values), key=_rank)
    except jse.SchemaError as e:
        return f"jsonschema: invalid schema: {e.message}"
    except Exception as e:  # noqa: BLE001 - Helm recovers panics the same way
        return f"unable to validate schema: {e}"
    if not errors:
        return ""
    nodes = _tree(errors, ())
    out: list[str] = []
    for n in nodes:
        n.render(0, out)
    return "".join(out)
