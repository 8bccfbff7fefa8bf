"""Projections: find's ``projection`` and the aggregation ``$project`` stage.

Inclusion (``{a: 1, "b.c": 1}``) and exclusion (``{a: 0}``) trees, ``$slice``, ``$elemMatch``,
the positional ``a.$`` and (in inclusion projections) computed fields from the expression
language, with MongoDB's errors for mixing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..bsontypes import is_numeric
from ..errors import MongoError
from ..keystring import MISSING


@dataclass(slots=True, eq=False)
class ProjNode:
    children: dict[str, ProjNode] = field(default_factory=dict)
    include: bool | None = None  # leaf: True include / False exclude
    expr: Callable[..., Any] | None = None  # computed value
    slice: tuple[int, int | None] | None = None
    elem_match: Any = None
    positional: bool = False


class Projection:
    __slots__ = ("root", "inclusion", "include_id", "positional_path", "has_slice_only", "spec")

    def __init__(self, spec: dict, inclusion: bool, include_id: bool, root: ProjNode) -> None:
        self.spec = spec
        self.inclusion = inclusion
        self.include_id = include_id
        self.root = root
        self.positional_path: str | None = None
        self.has_slice_only = False

    def apply(self, doc: dict, position: int | None = None, variables: Any = None) -> dict:
        if self.inclusion:
            out = _include(self.root, doc, doc, position, variables, top=True)
            if self.include_id and "_id" in doc and "_id" not in out:
                out = {"_id": doc["_id"], **out}
            return out
        out = _exclude(self.root, doc, doc, position, variables)
        if not self.include_id:
            out.pop("_id", None)
        return out


def _is_truthy_number(v: Any) -> bool | None:
    """1/true -> True, 0/false -> False, anything else -> None (an expression)."""
    if isinstance(v, bool):
        return v
    if is_numeric(v):
        from ..bsontypes import truthy

        return truthy(v)
    return None


def compile_projection(
    spec: dict, ctx: Any = None, allow_expressions: bool = True, stage: str = "find"
) -> Projection:
    if not isinstance(spec, dict):
        raise MongoError(2, "projection must be an object")
    root = ProjNode()
    inclusion: bool | None = None
    include_id = True
    positional_seen = False
    if not spec and stage == "$project":
        raise MongoError(51272, "projection specification must have at least one field")

    def set_mode(is_inclusion: bool, path: str) -> None:
        nonlocal inclusion
        if inclusion is None:
            inclusion = is_inclusion
        elif inclusion != is_inclusion:
            if inclusion:
                raise MongoError(
                    31254, f"Cannot do exclusion on field {path} in inclusion projection"
                )
            raise MongoError(31253, f"Cannot do inclusion on field {path} in exclusion projection")

    def walk(prefix: str, sub: dict, node: ProjNode) -> None:
        nonlocal include_id, positional_seen
        for key, v in sub.items():
            path = prefix + key
            if key.startswith("$") and not (prefix == "" and key == "$"):
                raise MongoError(
                    31395 if stage == "$project" else 2,
                    "FieldPath field names may not start with '$'. Consider using $getField or "
                    "$setField.",
                )
            parts = key.split(".")
            if key.endswith(".$"):
                if positional_seen:
                    raise MongoError(
                        31255, "Cannot specify more than one positional proj. per query."
                    )
                positional_seen = True
                set_mode(True, path)
                target = _descend(node, parts[:-1])
                target.include = True
                target.positional = True
                continue
            if "$" in parts:
                raise MongoError(
                    31394,
                    "As of 4.4, it's illegal to specify positional operator in the middle of a "
                    "path.Positional projection may only be used at the end, for example: a.b.$. "
                    "If the query previously used a form like a.b.$.d, remove the parts following "
                    "the '$' and the results will be equivalent.",
                )
            if path == "_id" and _is_truthy_number(v) is not None:
                include_id = bool(_is_truthy_number(v))
                if include_id:
                    target = _descend(node, parts)
                    target.include = True
                continue
            flag = _is_truthy_number(v)
            if flag is not None:
                set_mode(flag, path)
                target = _descend(node, parts)
                if target.children:
                    raise MongoError(31250, f"Path collision at {path}")
                target.include = flag
                continue
            if isinstance(v, dict) and v and next(iter(v)).startswith("$"):
                op = next(iter(v))
                if op == "$slice" and len(v) == 1 and stage == "find":
                    target = _descend(node, parts)
                    target.slice = _slice_arg(v["$slice"])
                    continue
                if op == "$elemMatch" and len(v) == 1 and stage == "find":
                    from .matcher import compile_filter

                    if "." in key:
                        raise MongoError(
                            31275, "Cannot use $elemMatch projection on a nested field."
                        )
                    arg = v["$elemMatch"]
                    if not isinstance(arg, dict):
                        raise MongoError(31274, "elemMatch: Invalid argument, object required.")
                    target = _descend(node, parts)
                    target.elem_match = compile_filter({"x": {"$elemMatch": arg}}, ctx)
                    continue
                if op == "$meta":
                    raise MongoError(17308, f"Unsupported $meta operator: {v['$meta']}")
                if not allow_expressions:
                    raise MongoError(2, f"Unsupported projection option: {key}: {v}")
                from ..expr import compile_expression

                set_mode(True, path)
                target = _descend(node, parts)
                target.expr = compile_expression(v, ctx)
                continue
            if isinstance(v, dict):
                if not v:
                    raise MongoError(
                        51282 if stage == "$project" else 2,
                        "An empty sub-projection is not a valid value. Found empty object at path",
                    )
                target = _descend(node, parts)
                walk(path + ".", v, target)
                continue
            if not allow_expressions:
                raise MongoError(2, f"Unsupported projection option: {key}")
            from ..expr import compile_expression

            set_mode(True, path)
            target = _descend(node, parts)
            target.expr = compile_expression(v, ctx)

    walk("", spec, root)
    if inclusion is None:
        # only _id or $slice: an exclusion projection keeping everything else; an $elemMatch
        # (or a lone {_id: 1}) projects like an inclusion
        only_id = bool(spec) and set(root.children) <= {"_id"} and include_id and "_id" in spec
        inclusion = _has_elem_match(root) or only_id
    proj = Projection(spec, inclusion, include_id, root)
    if positional_seen:
        proj.positional_path = next((k[:-2] for k in _flat_keys(spec) if k.endswith(".$")), None)
    return proj


def _flat_keys(spec: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in spec.items():
        if isinstance(v, dict) and v and not next(iter(v)).startswith("$"):
            out.extend(_flat_keys(v, prefix + k + "."))
        else:
            out.append(prefix + k)
    return out


def _has_elem_match(node: ProjNode) -> bool:
    return any(c.elem_match is not None or _has_elem_match(c) for c in node.children.values())


def _descend(node: ProjNode, parts: list[str]) -> ProjNode:
    for p in parts:
        if node.include is not None and node is not None and node.children == {}:
            if node.include is not None and not node.children and parts:
                pass
        child = node.children.get(p)
        if child is None:
            child = ProjNode()
            node.children[p] = child
        elif child.include is not None or child.expr is not None:
            raise MongoError(31250, f"Path collision at {'.'.join(parts)}")
        node = child
    return node


def _slice_arg(v: Any) -> tuple[int, int | None]:
    if is_numeric(v) and not isinstance(v, bool):
        return (int(v), None)
    if isinstance(v, list):
        if len(v) != 2:
            raise MongoError(28724, "First argument to $slice must be an array")
        skip, limit = v
        if not is_numeric(skip) or not is_numeric(limit):
            raise MongoError(28724, "First argument to $slice must be an array")
        if int(limit) <= 0:
            raise MongoError(28724, "Second argument to $slice must be a positive number")
        return (int(skip), int(limit))
    raise MongoError(28724, "Argument to $slice must be a number or an array")


def _apply_slice(value: Any, s: tuple[int, int | None]) -> Any:
    if type(value) is not list:
        return value
    n, limit = s
    if limit is None:
        return value[:n] if n >= 0 else value[n:]
    start = n if n >= 0 else max(0, len(value) + n)
    return value[start : start + limit]


def _include(
    node: ProjNode, doc: Any, root: dict, position: int | None, variables: Any, top: bool = False
) -> Any:
    out: dict[str, Any] = {}
    if top and "_id" in node.children and node.children["_id"].include:
        if "_id" in doc:
            out["_id"] = doc["_id"]
    for key, value in doc.items():
        child = node.children.get(key)
        if child is None:
            continue
        if child.expr is not None:
            continue
        if child.positional:
            if type(value) is list:
                if position is None or position >= len(value):
                    raise MongoError(
                        2,
                        "Executor error during find command :: caused by :: positional operator "
                        "'.$' element mismatch",
                    )
                out[key] = [value[position]]
            continue
        if child.include:
            if child.slice is not None:
                value = _apply_slice(value, child.slice)
            out[key] = value
        elif child.elem_match is not None:
            m = _elem_match(child, value)
            if m is not MISSING:
                out[key] = m
        elif child.slice is not None:
            out[key] = _apply_slice(value, child.slice)
        elif child.children:
            if type(value) is dict:
                out[key] = _include(child, value, root, position, variables)
            elif type(value) is list:
                out[key] = [
                    _include(child, e, root, position, variables)
                    for e in value
                    if type(e) in (dict, list)
                ]
    for key, child in node.children.items():
        if child.expr is not None:
            v = child.expr(root, variables) if variables is not None else child.expr(root, {})
            if v is not MISSING:
                out[key] = v
        elif child.children and _has_expr(child) and key not in out:
            sub = _include(child, {}, root, position, variables)
            if sub:
                out[key] = sub
        elif child.elem_match is not None and key not in doc:
            pass
    return out


def _has_expr(node: ProjNode) -> bool:
    return any(c.expr is not None or _has_expr(c) for c in node.children.values())


def _elem_match(child: ProjNode, value: Any) -> Any:
    if type(value) is not list:
        return MISSING
    from .matcher import compile_filter

    flt = child.elem_match
    for e in value:
        if flt.match({"x": [e]}):
            return [e]
    _ = compile_filter
    return MISSING


def _exclude(node: ProjNode, doc: Any, root: dict, position: int | None, variables: Any) -> Any:
    if type(doc) is list:
        return [
            _exclude(node, e, root, position, variables) if type(e) in (dict, list) else e
            for e in doc
        ]
    out: dict[str, Any] = {}
    for key, value in doc.items():
        child = node.children.get(key)
        if child is None:
            out[key] = value
            continue
        if child.include is False:
            continue
        if child.elem_match is not None:
            m = _elem_match(child, value)
            if m is not MISSING:
                out[key] = m
            continue
        if child.slice is not None:
            out[key] = _apply_slice(value, child.slice)
            continue
        if child.children and type(value) in (dict, list):
            out[key] = _exclude(child, value, root, position, variables)
        else:
            out[key] = value
    return out
