"""Operator updates as a tree of paths, applied in MongoDB's order.

An update ``{$set: {"b.c": 1, a: 2}, $inc: {n: 1}}`` becomes a tree: field parts -> child nodes,
leaves -> one modifier each.  Building the tree finds conflicts (``Updating the path 'b' would
create a conflict at 'b'``); applying it walks the document and visits fields in lexicographic
order (numeric names in numeric order), as MongoDB 5.0+ does, so new fields appear in the same
order as on a real server.  ``$``, ``$[]`` and ``$[<identifier>]`` are resolved while walking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import MongoError
from ..keystring import MISSING
from .modifiers import MODIFIERS, ApplyContext, Modifier

_REMOVE = object()


@dataclass(slots=True, eq=False)
class PathTree:
    children: dict[str, PathTree] = field(default_factory=dict)
    leaf: Modifier | None = None
    full_path: str = ""


@dataclass(slots=True)
class UpdateSpec:
    """A parsed update: ``kind`` is 'modifiers', 'replacement' or 'pipeline'."""

    kind: str
    tree: PathTree | None = None
    replacement: dict | None = None
    pipeline: list | None = None
    array_filters: dict[str, Any] = field(default_factory=dict)
    uses_positional: bool = False
    set_on_insert: list[Modifier] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    raw: Any = None

    def touched_roots(self) -> set[str] | None:
        """Top-level fields the update may change (None: any field — replacement/pipeline)."""
        if self.kind != "modifiers" or self.tree is None:
            return None
        if "$" in self.tree.children or any(k.startswith("$[") for k in self.tree.children):
            return None
        return set(self.tree.children)

    def apply(self, doc: dict, ctx: ApplyContext) -> dict:
        """Apply to ``doc`` (a freshly decoded copy: it is changed in place) and return it."""
        if self.kind == "replacement":
            return self._replace(doc)
        if self.kind == "pipeline":
            raise MongoError(2, "pipeline updates are applied by the aggregation engine")
        assert self.tree is not None
        ctx.array_filters = self.array_filters
        if self.renames:
            ctx.renamed = _rename_sources(doc, self.renames, ctx)
        _apply_object(self.tree, doc, ctx, "")
        return doc

    def _replace(self, doc: dict) -> dict:
        assert self.replacement is not None
        new = dict(self.replacement)
        old_id = doc.get("_id", MISSING)
        if "_id" in new:
            from ..keystring import values_equal

            if old_id is not MISSING and not values_equal(new["_id"], old_id):
                raise MongoError(
                    66,
                    "After applying the update, the (immutable) field '_id' was found to have "
                    "been altered to _id: " + _display(new["_id"]),
                )
            return new
        if old_id is not MISSING:
            new = {"_id": old_id, **new}
        return new


def _display(v: Any) -> str:
    from ..display import value

    return value(v)


def parse_update(
    spec: Any, array_filters: list | None = None, upsert: bool = False, ctx: Any = None
) -> UpdateSpec:
    if isinstance(spec, list):
        if array_filters:
            raise MongoError(
                72, "Specifying arrayFilters is not allowed with pipeline-style updates"
            )
        return UpdateSpec("pipeline", pipeline=spec, raw=spec)
    if not isinstance(spec, dict):
        raise MongoError(9, "Update argument must be either an object or an array")
    if not spec or not next(iter(spec)).startswith("$"):
        for k in spec:
            if k.startswith("$"):
                raise MongoError(
                    52,
                    f"The dollar ($) prefixed field '{k}' in '{k}' is not allowed in the context "
                    "of an update's replacement document. Consider using an aggregation pipeline "
                    "with $replaceWith.",
                )
        if array_filters:
            raise MongoError(9, "arrayFilters may not be specified for a replacement-style update")
        return UpdateSpec("replacement", replacement=spec, raw=spec)
    filters = _parse_array_filters(array_filters or [], ctx)
    root = PathTree()
    out = UpdateSpec("modifiers", tree=root, array_filters=filters, raw=spec)
    used_filters: set[str] = set()
    for op, args in spec.items():
        make = MODIFIERS.get(op)
        if make is None:
            if not op.startswith("$"):
                raise MongoError(
                    9,
                    f"Unknown modifier: {op}. Expected a valid update modifier or "
                    "pipeline-style update specified as an array",
                )
            raise MongoError(
                9,
                f"Unknown modifier: {op}. Expected a valid update modifier or pipeline-style "
                "update specified as an array",
            )
        if not isinstance(args, dict):
            raise MongoError(
                9,
                f"Modifiers operate on fields but we found type {_type_name(args)} instead. "
                f"For example: {{$mod: {{<field>: ...}}}} not {{{op}: {_display(args)}}}",
            )
        if not args:
            raise MongoError(
                9,
                f"'{op}' is empty. You must specify a field like so: {{{op}: {{<field>: ...}}}}",
            )
        for path, arg in args.items():
            _check_path(path, op)
            if op == "$rename":
                if not isinstance(arg, str):
                    raise MongoError(
                        2, f"The 'to' field for $rename must be a string: {path}: {_display(arg)}"
                    )
                _check_rename(path, arg)
                _insert(root, path, make(path, arg, "from"))
                _insert(root, arg, make(path, arg, "to"))
                out.renames.append((path, arg))
                continue
            mod = make(path, arg)
            _insert(root, path, mod)
            for part in path.split("."):
                if part == "$":
                    out.uses_positional = True
                elif part.startswith("$[") and part.endswith("]") and part != "$[]":
                    ident = part[2:-1]
                    if ident not in filters:
                        raise MongoError(
                            2,
                            f"No array filter found for identifier '{ident}' in path '{path}'",
                        )
                    used_filters.add(ident)
    for ident in filters:
        if ident not in used_filters:
            raise MongoError(
                9,
                f"The array filter for identifier '{ident}' was not used in the update "
                f"{_display(spec)}",
            )
    return out


def _rename_sources(doc: dict, renames: list[tuple[str, str]], ctx: ApplyContext) -> dict:
    from .. import paths

    out: dict[str, Any] = {}
    for src, dst in renames:
        v: Any = doc
        parts = src.split(".")
        for i, p in enumerate(parts):
            if type(v) is list:
                raise MongoError(
                    2,
                    f"The source field cannot be an array element, '{src}' in doc with "
                    f"{_display({'_id': doc.get('_id')})} has an array field called "
                    f"'{parts[i - 1]}'",
                )
            v = v.get(p, MISSING) if type(v) is dict else MISSING
        dv: Any = doc
        for p in dst.split(".")[:-1]:
            dv = dv.get(p, MISSING) if type(dv) is dict else MISSING
            if type(dv) is list:
                raise MongoError(
                    2,
                    f"The destination field cannot be an array element, '{dst}' in doc with "
                    f"{_display({'_id': doc.get('_id')})} has an array field called '{p}'",
                )
        out[src] = v
        _ = paths
    return out


def _type_name(v: Any) -> str:
    from ..bsontypes import type_name

    return type_name(v)


def _check_path(path: str, op: str) -> None:
    if path == "":
        raise MongoError(56, "An empty update path is not valid.")
    parts = path.split(".")
    for i, p in enumerate(parts):
        if p == "":
            raise MongoError(
                56,
                f"The update path '{path}' contains an empty field name, which is not allowed.",
            )
        if p.startswith("$") and not (p == "$" or (p.startswith("$[") and p.endswith("]"))):
            if i == 0:
                raise MongoError(
                    52,
                    f"The dollar ($) prefixed field '{p}' in '{path}' is not allowed in the "
                    "context of an update's replacement document. Consider using an aggregation "
                    "pipeline with $replaceWith.",
                )
    if parts.count("$") > 1:
        raise MongoError(2, f"Too many positional (i.e. '$') elements found in path '{path}'")


def _check_rename(src: str, dst: str) -> None:
    if src == dst:
        raise MongoError(2, f'The source and target field for $rename must differ: {src}: "{dst}"')
    if dst.startswith(src + ".") or src.startswith(dst + "."):
        raise MongoError(
            2,
            f'The source and target field for $rename must not be on the same path: {src}: "{dst}"',
        )
    for p in (src, dst):
        if "$" in p.split(".")[-1] or any(x.startswith("$") for x in p.split(".")):
            raise MongoError(2, f"The source field for $rename may not be dynamic: {p}")


def _insert(root: PathTree, path: str, mod: Modifier) -> None:
    parts = path.split(".")
    node = root
    for i, p in enumerate(parts):
        if node.leaf is not None:
            raise MongoError(
                40,
                f"Updating the path '{path}' would create a conflict at '{'.'.join(parts[:i])}'",
            )
        child = node.children.get(p)
        if child is None:
            child = PathTree(full_path=".".join(parts[: i + 1]))
            node.children[p] = child
        node = child
    if node.leaf is not None or node.children:
        raise MongoError(40, f"Updating the path '{path}' would create a conflict at '{path}'")
    node.leaf = mod


def _parse_array_filters(filters: list, ctx: Any) -> dict[str, Any]:
    from ..query.matcher import compile_filter

    out: dict[str, Any] = {}
    for f in filters:
        if not isinstance(f, dict):
            raise MongoError(14, "Each array filter must be an object")
        if not f:
            raise MongoError(
                9, "Cannot use an expression without a top-level field name in arrayFilters"
            )
        ident = None
        converted: dict[str, Any] = {}
        for k, v in f.items():
            if k.startswith("$"):
                if k in ("$and", "$or", "$nor"):
                    for clause in v if isinstance(v, list) else []:
                        for ck in clause:
                            name = ck.split(".", 1)[0]
                            if ident is None:
                                ident = name
                    converted[k] = v
                    continue
                raise MongoError(
                    9, "Cannot use an expression without a top-level field name in arrayFilters"
                )
            name = k.split(".", 1)[0]
            if ident is None:
                ident = name
            elif ident != name:
                raise MongoError(
                    9,
                    "Error parsing array filter :: caused by :: Expected a single top-level "
                    f"field name, found '{ident}' and '{name}'",
                )
            converted[k] = v
        assert ident is not None
        if not (ident[:1].isalpha() and ident[:1].islower() and ident.isalnum()):
            raise MongoError(
                2,
                f"Error parsing array filter :: caused by :: The top-level field name must be an "
                f"alphanumeric string beginning with a lowercase letter, found '{ident}'",
            )
        if ident in out:
            raise MongoError(
                9, f"Found multiple array filters with the same top-level field name {ident}"
            )
        out[ident] = (compile_filter(converted, ctx), ident)
    return out


# ---------------------------------------------------------------------------------------------
# applying


def _order(keys: list[str]) -> list[str]:
    """Lexicographic, with all-digit names in numeric order before the others (as MongoDB)."""
    return sorted(keys, key=lambda k: (0, int(k), "") if k.isdigit() else (1, 0, k))


def _apply_object(node: PathTree, container: Any, ctx: ApplyContext, prefix: str) -> None:
    for name in _order(list(node.children)):
        child = node.children[name]
        if name == "$":
            if ctx.position is None:
                raise MongoError(
                    2, "The positional operator did not find the match needed from the query."
                )
            name = str(ctx.position)
        if name == "$[]" or (name.startswith("$[") and name.endswith("]")):
            _apply_all_positional(name, child, container, ctx, prefix)
            continue
        _apply_field(child, container, name, ctx, prefix)


def _apply_all_positional(
    name: str, child: PathTree, container: Any, ctx: ApplyContext, prefix: str
) -> None:
    if type(container) is not list:
        raise MongoError(
            2,
            f"The path '{prefix.rstrip('.')}' must exist in the document in order to apply "
            "array updates.",
        )
    flt = None
    if name != "$[]":
        flt, ident = ctx.array_filters[name[2:-1]]
    for i, el in enumerate(container):
        if flt is not None and not flt.match({ident: el}):
            continue
        _apply_field(child, container, str(i), ctx, prefix)


def _apply_field(
    child: PathTree, container: Any, name: str, ctx: ApplyContext, prefix: str
) -> None:
    path = prefix + name
    if child.leaf is not None:
        mod = child.leaf
        if mod.only_on_insert and not ctx.is_insert:
            return
        current = _get(container, name)
        result = mod.apply(current, ctx, path, container)
        if result is Modifier.NO_CHANGE:
            return
        if result is Modifier.REMOVE:
            _remove(container, name)
            return
        _set(container, name, result, path, ctx)
        return
    current = _get(container, name)
    if current is MISSING:
        if not _creates(child, ctx):
            return
        if type(container) is dict:
            current = {}
            container[name] = current
        elif type(container) is list:
            current = {}
            _set(container, name, current, path, ctx)
        else:
            raise _not_viable(container, name, path, ctx)
    elif type(current) not in (dict, list):
        if not _creates(child, ctx):
            return
        raise _not_viable_value(current, child, path, ctx)
    _apply_object(child, current, ctx, path + ".")


def _creates(node: PathTree, ctx: ApplyContext) -> bool:
    """Whether applying ``node`` under a missing path would create fields."""
    if node.leaf is not None:
        if node.leaf.only_on_insert and not ctx.is_insert:
            return False
        return node.leaf.creates
    return any(_creates(c, ctx) for c in node.children.values())


def _get(container: Any, name: str) -> Any:
    if type(container) is dict:
        return container.get(name, MISSING)
    if type(container) is list:
        if name.isdigit():
            i = int(name)
            if i < len(container):
                return container[i]
        return MISSING
    return MISSING


def _set(container: Any, name: str, value: Any, path: str, ctx: ApplyContext) -> None:
    if type(container) is dict:
        container[name] = value
        return
    if type(container) is list:
        if not name.isdigit():
            raise MongoError(
                28,
                f"Cannot create field '{name}' in element {{{path.rsplit('.', 2)[-2] if '.' in path else path}: "
                f"{_display(container)}}}",
            )
        i = int(name)
        if i < len(container):
            container[i] = value
            return
        if i > 1_500_000 + len(container):
            raise MongoError(2, "can't backfill array to larger than 1500000 elements")
        container.extend([None] * (i - len(container)))
        container.append(value)
        return
    raise MongoError(28, f"Cannot create field '{name}'")


def _remove(container: Any, name: str) -> None:
    if type(container) is dict:
        container.pop(name, None)
    elif type(container) is list and name.isdigit():
        i = int(name)
        if i < len(container):
            container[i] = None  # $unset of an array element leaves null, as MongoDB does


def _not_viable(container: Any, name: str, path: str, ctx: ApplyContext) -> MongoError:
    return MongoError(28, f"Cannot create field '{name}' in element {_display(container)}")


def _not_viable_value(current: Any, child: PathTree, path: str, ctx: ApplyContext) -> MongoError:
    first = next(iter(child.children))
    last = path.rsplit(".", 1)[-1]
    return MongoError(
        28, f"Cannot create field '{first}' in element {{{last}: {_display(current)}}}"
    )
