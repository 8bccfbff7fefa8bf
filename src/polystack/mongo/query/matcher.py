"""The filter matcher: a query document compiled once into a tree of nodes and closures.

``compile_filter({...})`` returns a :class:`Filter` whose ``match(doc)`` runs closures built at
parse time (no per-document interpretation of the query).  The node tree stays available for the
planner (which predicates an index can answer), for the positional ``$`` operator (which array
element matched) and for ``explain``.

Semantics follow MongoDB's MatchExpression: comparisons only between values of the same canonical
type (numbers across int32/int64/double/decimal), ``null`` matching missing fields, implicit array
traversal on paths and on leaf arrays, ``$ne``/``$nin``/``$not`` negating the whole path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bson.int64 import Int64
from bson.regex import Regex

from .. import paths
from ..errors import MongoError
from ..keystring import (
    MISSING,
    RANK_ARRAY,
)
from .predicates import (
    _bits_pred,
    _cmp_pred,
    _eq_pred,
    _exists_pred,
    _in_pred,
    _mod_pred,
    _regex_value_pred,
    _size_pred,
    _type_pred,
)
from .predicates import is_operator_object as _is_operator_object
from .regex import check_options, regex_flags_string

Pred = Callable[[Any], bool]
DocPred = Callable[[dict], bool]

_FAST_NUM = (int, float, Int64)


def _bad(msg: str) -> MongoError:
    return MongoError(2, msg)


# ---------------------------------------------------------------------------------------------
# nodes


@dataclass(slots=True, eq=False)
class Node:
    fn: DocPred = field(repr=False)


@dataclass(slots=True, eq=False)
class AndNode(Node):
    children: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class OrNode(Node):
    children: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class NorNode(Node):
    children: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class PathNode(Node):
    """A predicate on one path: ``op`` is the operator ($eq, $gt, $in, $regex ...)."""

    path: str = ""
    op: str = ""
    arg: Any = None
    value_pred: Pred | None = field(default=None, repr=False)  # on one (expanded) value
    negated: bool = False  # $ne / $nin / $not
    expand: bool = True  # leaf arrays are expanded for value_pred


@dataclass(slots=True, eq=False)
class OtherNode(Node):
    """$expr, $jsonSchema, $where, $text, always-true/false."""

    op: str = ""
    arg: Any = None


class Filter:
    """A compiled query filter.

    ``needles``: byte strings of which every matching document's BSON contains at least one
    per group (from string equalities the whole filter requires) — a scan tests them on the
    stored bytes before it pays for decoding a document.
    """

    __slots__ = ("root", "match", "spec", "needles")

    def __init__(self, root: Node, spec: dict) -> None:
        self.root = root
        self.match: DocPred = root.fn
        self.spec = spec
        self.needles = _needles(root)

    @property
    def is_empty(self) -> bool:
        return isinstance(self.root, AndNode) and not self.root.children


def compile_filter(spec: Any, ctx: Any = None) -> Filter:
    """Parse a filter document.  ``ctx`` carries ``$$variables`` (``let``) and the clock for $expr."""
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise _bad("filter must be an object")
    return Filter(_parse_and(spec, ctx, top=True), spec)


# ---------------------------------------------------------------------------------------------
# parsing


def _parse_and(spec: dict, ctx: Any, top: bool = False) -> Node:
    children: list[Node] = []
    for key, value in spec.items():
        if key.startswith("$"):
            children.append(_parse_top_operator(key, value, ctx))
        else:
            children.extend(_parse_path(key, value, ctx))
    return _and(children)


def _and(children: list[Node]) -> Node:
    if len(children) == 1:
        return children[0]
    fns = [c.fn for c in children]
    if not fns:
        return AndNode(_always_true, [])
    if len(fns) == 2:
        f0, f1 = fns

        def fn2(doc: dict) -> bool:
            return f0(doc) and f1(doc)

        return AndNode(fn2, children)

    def fn(doc: dict) -> bool:
        for f in fns:
            if not f(doc):
                return False
        return True

    return AndNode(fn, children)


def _always_true(doc: Any) -> bool:
    return True


def _always_false(doc: Any) -> bool:
    return False


def _clauses(op: str, value: Any, ctx: Any) -> list[Node]:
    if not isinstance(value, list):
        raise _bad(f"{op} must be an array")
    if not value:
        raise _bad("$and/$or/$nor must be a nonempty array")
    out = []
    for clause in value:
        if not isinstance(clause, dict):
            raise _bad("$or/$and/$nor entries need to be full objects")
        out.append(_parse_and(clause, ctx))
    return out


def _parse_top_operator(key: str, value: Any, ctx: Any) -> Node:
    if key == "$and":
        return _and(_clauses(key, value, ctx))
    if key == "$or":
        children = _clauses(key, value, ctx)
        if len(children) == 1:
            return children[0]
        fns = [c.fn for c in children]

        def any_fn(doc: dict) -> bool:
            for f in fns:
                if f(doc):
                    return True
            return False

        return OrNode(any_fn, children)
    if key == "$nor":
        children = _clauses(key, value, ctx)
        fns = [c.fn for c in children]

        def none_fn(doc: dict) -> bool:
            for f in fns:
                if f(doc):
                    return False
            return True

        return NorNode(none_fn, children)
    if key == "$comment":
        return AndNode(_always_true, [])
    if key == "$expr":
        from ..bsontypes import truthy
        from ..expr import ExprContext, compile_expression

        ectx = ctx if isinstance(ctx, ExprContext) else ExprContext(dict(ctx or {}))
        expr = compile_expression(value, ectx)
        variables = ectx.initial_vars()

        def expr_fn(doc: dict) -> bool:
            return truthy(expr(doc, variables))

        return OtherNode(expr_fn, "$expr", value)
    if key == "$jsonSchema":
        from .jsonschema import compile_schema

        if not isinstance(value, dict):
            raise _bad("$jsonSchema must be an object")
        return OtherNode(compile_schema(value), "$jsonSchema", value)
    if key == "$where":
        raise MongoError(2, "no globalScriptEngine in $where parsing")
    if key == "$text":
        raise MongoError(27, "text index required for $text query")
    if key == "$alwaysTrue":
        return OtherNode(_always_true, key, value)
    if key == "$alwaysFalse":
        return OtherNode(_always_false, key, value)
    if key == "$sampleRate":
        raise MongoError(2, "$sampleRate is not supported")
    raise _bad(
        f"unknown top level operator: {key}. If you have a field name that starts with a '$' "
        "symbol, consider using $getField or $setField."
    )


def _parse_path(path: str, value: Any, ctx: Any) -> list[Node]:
    if _is_operator_object(value):
        if "$ref" in value or "$id" in value or "$db" in value:
            if all(k in ("$ref", "$id", "$db") for k in value) or "$ref" in value:
                return [_path_node(path, "$eq", value, _eq_pred(value))]
        nodes: list[Node] = []
        regex_options = value.get("$options")
        for op, arg in value.items():
            if op == "$options":
                if "$regex" not in value:
                    raise _bad("$options needs a $regex")
                continue
            nodes.append(_parse_operator(path, op, arg, ctx, regex_options, value))
        return nodes
    if type(value) is Regex:
        return [_regex_node(path, value.pattern, regex_flags_string(value.flags))]
    return [_path_node(path, "$eq", value, _eq_pred(value))]


def _path_node(
    path: str, op: str, arg: Any, pred: Pred, negated: bool = False, expand: bool = True
) -> PathNode:
    fn = _path_fn(paths.split(path), pred, expand)
    if negated:
        inner = fn

        def fn(doc: dict) -> bool:
            return not inner(doc)

    return PathNode(fn, path, op, arg, pred, negated, expand)


def _path_fn(parts: tuple[str, ...], pred: Pred, expand: bool) -> DocPred:
    """Apply ``pred`` to whatever ``parts`` reaches; leaf arrays also offer their elements."""
    if len(parts) == 1:
        key = parts[0]
        if expand:

            def one(doc: dict) -> bool:
                v = doc.get(key, MISSING)
                if pred(v):
                    return True
                if type(v) is list:
                    for e in v:
                        if pred(e):
                            return True
                return False

            return one

        def one_noexpand(doc: dict) -> bool:
            return pred(doc.get(key, MISSING))

        return one_noexpand
    collect = paths.collect

    def many(doc: dict) -> bool:
        out: list = []
        collect(doc, parts, 0, out)
        if not out:
            return pred(MISSING)
        for v in out:
            if pred(v):
                return True
            if expand and type(v) is list:
                for e in v:
                    if pred(e):
                        return True
        return False

    return many


def _parse_operator(
    path: str, op: str, arg: Any, ctx: Any, regex_options: Any, whole: dict
) -> PathNode:
    if op == "$eq":
        return _path_node(path, op, arg, _eq_pred(arg))
    if op == "$ne":
        return _path_node(path, op, arg, _eq_pred(arg), negated=True)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return _path_node(path, op, arg, _cmp_pred(op, arg))
    if op == "$in":
        if not isinstance(arg, list):
            raise _bad("$in needs an array")
        return _path_node(path, op, arg, _in_pred(arg))
    if op == "$nin":
        if not isinstance(arg, list):
            raise _bad("$nin needs an array")
        return _path_node(path, op, arg, _in_pred(arg), negated=True)
    if op == "$exists":
        want = _truthy_arg(arg)
        return _path_node(path, op, arg, _exists_pred, negated=not want, expand=False)
    if op == "$type":
        return _path_node(path, op, arg, _type_pred(arg), expand=True)
    if op == "$regex":
        options = regex_options if regex_options is not None else ""
        if type(arg) is Regex:
            if regex_options is not None and arg.flags:
                raise _bad("options set in both $regex and $options")
            pattern, options = arg.pattern, regex_flags_string(arg.flags) or options
        elif isinstance(arg, str):
            pattern = arg
        else:
            raise _bad("$regex has to be a string")
        if not isinstance(options, str):
            raise _bad("$options has to be a string")
        return _regex_node(path, pattern, options)
    if op == "$size":
        return _path_node(path, op, arg, _size_pred(arg), expand=False)
    if op == "$all":
        return _all_node(path, arg, ctx)
    if op == "$elemMatch":
        return _elem_match_node(path, arg, ctx)
    if op == "$mod":
        return _path_node(path, op, arg, _mod_pred(arg))
    if op == "$not":
        return _not_node(path, arg, ctx)
    if op in ("$bitsAllSet", "$bitsAnySet", "$bitsAllClear", "$bitsAnyClear"):
        return _path_node(path, op, arg, _bits_pred(op, arg))
    if op == "$comment":
        return PathNode(_always_true, path, op, arg, None)
    if op in ("$near", "$nearSphere", "$geoNear"):
        raise MongoError(
            291,
            "error processing query: ns=? planner returned error :: caused by :: unable to "
            "find index for $geoNear query",
            "NoQueryExecutionPlans",
        )
    if op in ("$geoWithin", "$geoIntersects", "$within"):
        raise MongoError(2, f"{op} is not supported by polystack")
    if op == "$options":
        raise _bad("$options needs a $regex")
    if op == "$text":
        raise MongoError(27, "text index required for $text query")
    if op == "$where":
        raise MongoError(2, "$where cannot be applied to a field")
    if op == "$expr":
        raise MongoError(2, "unknown operator: $expr")
    raise _bad(f"unknown operator: {op}")


def _truthy_arg(v: Any) -> bool:
    from ..bsontypes import truthy

    return truthy(v)


def _regex_node(path: str, pattern: str, options: str) -> PathNode:
    check_options(options)
    return _path_node(path, "$regex", (pattern, options), _regex_value_pred(pattern, options))


def _all_node(path: str, arg: Any, ctx: Any) -> PathNode:
    if not isinstance(arg, list):
        raise _bad("$all needs an array")
    if not arg:
        return _path_node(path, "$all", arg, lambda v: False)
    preds: list[DocPred] = []
    parts = paths.split(path)
    if all(isinstance(x, dict) and "$elemMatch" in x for x in arg):
        for x in arg:
            if len(x) != 1:
                raise _bad("$all/$elemMatch has to be consistent")
            preds.append(_elem_match_node(path, x["$elemMatch"], ctx).fn)
    else:
        for x in arg:
            if isinstance(x, dict) and "$elemMatch" in x:
                raise _bad("$all/$elemMatch has to be consistent")
            if isinstance(x, dict) and _is_operator_object(x):
                raise _bad("no $ expressions in $all")
            if type(x) is Regex:
                p = _regex_value_pred(x.pattern, regex_flags_string(x.flags))
            else:
                p = _eq_pred(x)
            preds.append(_path_fn(parts, p, True))

    def all_fn(doc: dict) -> bool:
        for f in preds:
            if not f(doc):
                return False
        return True

    return PathNode(all_fn, path, "$all", arg, None)


def _as_element_pred(fn: DocPred) -> Pred:
    """An $elemMatch operator compiled against the path ``x``, applied to one element."""
    return lambda e: fn({"x": e})


def _elem_match_node(path: str, arg: Any, ctx: Any) -> PathNode:
    if not isinstance(arg, dict):
        raise _bad("$elemMatch needs an Object")
    is_value = _is_operator_object(arg) and not any(
        k in ("$and", "$or", "$nor", "$expr", "$where", "$text", "$comment", "$jsonSchema")
        for k in arg
    )
    if is_value:
        nodes = [
            _parse_operator("x", op, a, ctx, arg.get("$options"), arg)
            for op, a in arg.items()
            if op != "$options"
        ]
        checks: list[Pred] = []
        for n in nodes:
            vp = n.value_pred
            if vp is not None and n.expand and not n.negated:
                checks.append(vp)
            else:
                checks.append(_as_element_pred(n.fn))

        def elem_value(v: Any) -> bool:
            if type(v) is not list:
                return False
            for e in v:
                for c in checks:
                    if not c(e):
                        break
                else:
                    return True
            return False

        return _path_node(path, "$elemMatch", arg, elem_value, expand=False)
    sub = _parse_and(arg, ctx)
    sub_fn = sub.fn

    def elem_doc(v: Any) -> bool:
        if type(v) is not list:
            return False
        for e in v:
            if type(e) is dict and sub_fn(e):
                return True
        return False

    return _path_node(path, "$elemMatch", arg, elem_doc, expand=False)


def _not_node(path: str, arg: Any, ctx: Any) -> PathNode:
    if type(arg) is Regex:
        inner = _regex_node(path, arg.pattern, regex_flags_string(arg.flags))
    elif isinstance(arg, dict):
        if not arg:
            raise _bad("$not cannot be empty")
        if not _is_operator_object(arg):
            raise _bad("$not needs a regex or a document")
        sub = _parse_path(path, arg, ctx)
        inner_fn = _and(list(sub)).fn
        return PathNode(lambda doc: not inner_fn(doc), path, "$not", arg, None, True)
    else:
        raise _bad("$not needs a regex or a document")
    fn = inner.fn
    return PathNode(lambda doc: not fn(doc), path, "$not", arg, None, True)


# ---------------------------------------------------------------------------------------------
# the positional operator


def matched_array_position(flt: Filter, doc: dict) -> int | None:
    """The index of the array element the filter matched (for ``$`` in updates and projections).

    Like MongoDB's elemMatchKey: for the first path predicate whose path crosses an array, the
    position of the first element of that array that satisfies it.
    """
    return _position(flt.root, doc)


def _position(node: Node, doc: dict) -> int | None:
    if isinstance(node, AndNode):
        found = None
        for c in node.children:
            p = _position(c, doc)
            if p is not None:
                found = p
        return found
    if isinstance(node, OrNode):
        for c in node.children:
            if c.fn(doc):
                return _position(c, doc)
        return None
    if isinstance(node, PathNode) and not node.negated:
        parts = paths.split(node.path)
        at = paths.first_array(doc, parts)
        if at >= len(parts):
            return None
        arr = paths.get_exact(doc, parts[: at + 1])
        rest = parts[at + 1 :]
        if node.value_pred is None:
            # $all and friends: test the node with the array narrowed to one element
            for i, e in enumerate(arr):
                probe = _narrow(doc, parts[: at + 1], [e])
                if node.fn(probe):
                    return i
            return None
        for i, e in enumerate(arr):
            if not rest:
                if node.value_pred(e) or (
                    node.expand and type(e) is list and any(node.value_pred(x) for x in e)
                ):
                    return i
                continue
            if type(e) is not dict:
                continue
            if _path_fn(rest, node.value_pred, node.expand)(e):
                return i
        return None
    return None


def _narrow(doc: dict, parts: tuple[str, ...], value: Any) -> dict:
    if len(parts) == 1:
        out = dict(doc)
        out[parts[0]] = value
        return out
    out = dict(doc)
    sub = doc.get(parts[0])
    out[parts[0]] = _narrow(sub if isinstance(sub, dict) else {}, parts[1:], value)
    return out


# ---------------------------------------------------------------------------------------------
# helpers for the planner and scans


def _string_payload(s: str) -> bytes | None:
    try:
        b = s.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return struct.pack("<i", len(b) + 1) + b + b"\x00"


def _needles(root: Node) -> list[tuple[bytes, ...]]:
    """Groups of byte strings; a matching document contains one of each group.

    A string value is stored as (int32 length, UTF-8, NUL) wherever it sits (a field, an array
    element, a nested document), so a document equal to "x" somewhere on the path contains
    those bytes.  Only required predicates (the root AND) contribute.
    """
    preds = (
        [root]
        if isinstance(root, PathNode)
        else (root.children if isinstance(root, AndNode) else [])
    )
    out: list[tuple[bytes, ...]] = []
    for p in preds:
        if not isinstance(p, PathNode) or p.negated:
            continue
        if p.op == "$eq" and type(p.arg) is str:
            b = _string_payload(p.arg)
            if b is not None:
                out.append((b,))
        elif p.op == "$in" and p.arg and all(type(x) is str for x in p.arg):
            group = tuple(b for b in map(_string_payload, p.arg) if b is not None)
            if len(group) == len(p.arg):
                out.append(group)
    return out


def top_level_predicates(flt: Filter) -> list[PathNode]:
    """The path predicates that every matching document satisfies (the AND at the root)."""
    root = flt.root
    if isinstance(root, PathNode):
        return [root]
    if isinstance(root, AndNode):
        return [c for c in root.children if isinstance(c, PathNode)]
    return []


RANKS_FOR_ARRAY = RANK_ARRAY
