"""goyaml.v2's decoder over PyYAML's libyaml bindings: its resolution and
constructors (maps, !!binary, merge keys, unknown tags by kind), its depth
limits, and the documents of a stream."""

from __future__ import annotations

import base64
import operator

from polystack.helm.encoding.errors import EncodingError
from polystack.helm.encoding.yamlimport import yaml
from polystack.helm.encoding.yamlresolve import (
    _RESOLVE_MAP,
    BINARY,
    BOOL,
    FLOAT,
    INT,
    MAP,
    MERGE,
    NULL,
    SEQ,
    STR,
    TIMESTAMP,
    _go_parse_float,
    resolve,
)
from polystack.helm.golang.strconv import format_float_g

try:  # libyaml bindings
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# ---------------------------------------------------------------- YAML input


class _GoLoader(_BaseLoader):
    pass


_ScalarNode = yaml.ScalarNode


# the tag of each plain scalar text seen (charts repeat their keys and values
# across documents), bounded
_TAGS: dict[str, str] = {}
_TAGS_MAX = 1 << 14


def _go_resolve_node(self: Any, kind: Any, value: Any, implicit: Any) -> str:
    if kind is _ScalarNode:
        if implicit[0]:
            tag = _TAGS.get(value)
            if tag is None:
                tag = resolve(value)[0]
                if len(_TAGS) < _TAGS_MAX:
                    _TAGS[value] = tag
            return tag
        return STR
    if kind is yaml.SequenceNode:
        return SEQ
    return MAP


_GoLoader.resolve = _go_resolve_node  # type: ignore[method-assign]
# libyaml's composer calls descend_resolver(parent, index) and ascend_resolver()
# around every node, for PyYAML's path resolvers, which Go's decoding never has
# (yaml_path_resolvers stays empty): C callables whose result the composer ignores
# cost a node less than BaseResolver's Python methods (a third of loading a manifest).
_GoLoader.descend_resolver = staticmethod(operator.is_)  # type: ignore[assignment]
_GoLoader.ascend_resolver = staticmethod(type(None))  # type: ignore[assignment]


def _construct_map(loader: Any, node: yaml.MappingNode) -> Any:
    data: dict[str, Any] = {}
    yield data
    loader.flatten_mapping(node)
    for knode, vnode in node.value:
        key = loader.construct_object(knode, deep=True)
        value = loader.construct_object(vnode, deep=True)
        data[_json_key(key, value)] = value


def _construct_unknown_tag(loader: Any, suffix: str, node: yaml.Node) -> Any:
    """goyaml.v2 decodes nodes with an unknown tag by their kind."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [loader.construct_object(n, deep=True) for n in node.value]
    gen = _construct_map(loader, node)  # type: ignore[arg-type]
    data = next(gen)
    for _ in gen:
        pass
    return data


def _construct_int(loader: Any, node: yaml.ScalarNode) -> Any:
    return resolve(node.value)[1]


def _construct_float(loader: Any, node: yaml.ScalarNode) -> Any:
    v = node.value
    if node.tag == FLOAT and resolve(v)[0] == FLOAT:
        return resolve(v)[1]
    f = _go_parse_float(v)
    return f if f is not None else v


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> Any:
    return _RESOLVE_MAP[node.value][1]


def _construct_null(loader: Any, node: yaml.ScalarNode) -> Any:
    return None


def _construct_str(loader: Any, node: yaml.ScalarNode) -> Any:
    return node.value


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    return _GoTimestamp(node.value)


class _GoTimestamp(str):
    """A YAML timestamp: JSON conversion keeps its text."""


def _construct_merge(loader: Any, node: yaml.ScalarNode) -> Any:
    return "<<"


def _construct_binary(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return base64.b64decode(node.value).decode("utf-8", "replace")
    except Exception as e:  # noqa: BLE001
        raise EncodingError(f"yaml: !!binary value contains invalid base64 data: {e}")


for _tag, _fn in (
    (INT, _construct_int),
    (FLOAT, _construct_float),
    (BOOL, _construct_bool),
    (NULL, _construct_null),
    (STR, _construct_str),
    (TIMESTAMP, _construct_timestamp),
    (MERGE, _construct_merge),
    (BINARY, _construct_binary),
    (MAP, _construct_map),
):
    _GoLoader.add_constructor(_tag, _fn)
_GoLoader.add_multi_constructor("!", _construct_unknown_tag)
_GoLoader.add_multi_constructor("tag:", _construct_unknown_tag)


# goyaml's scanner limits (max_flow_level, max_indents) and encoding/json's
# maxNestingDepth, which sigs.k8s.io/yaml's YAML -> JSON step meets
GO_MAX_DEPTH = 10000
JSON_MAX_DEPTH = 10000
# libyaml (0.2.5+) refuses more than 1000 nested collections by default; goyaml
# allows 10000 flow levels and 10000 block indents, so up to ~20000 in all
_LIBYAML_NEST_LEVEL = 2 * GO_MAX_DEPTH + 2
_nest_level_set = False


def _allow_go_depth() -> None:
    """Let the libyaml parser nest as deep as goyaml's (a setting of PyYAML's
    bundled libyaml only; it allows deeper documents, never fewer)."""
    global _nest_level_set
    if _nest_level_set:
        return
    _nest_level_set = True
    try:
        import ctypes

        from yaml import _yaml as libyaml

        setter = ctypes.CDLL(libyaml.__file__).yaml_set_max_nest_level
        setter.argtypes = [ctypes.c_int]
        setter(_LIBYAML_NEST_LEVEL)
    except (ImportError, OSError, AttributeError):  # pragma: no cover - pure-Python PyYAML
        pass


def check_go_depth(root: yaml.Node) -> None:
    """goyaml's depth limits over a composed document (without recursion):
    more than GO_MAX_DEPTH nested flow collections, or block collections each
    indented deeper than its parent, is a scanner error."""
    stack: list[tuple[yaml.Node, int, int, int]] = [(root, 0, 0, -1)]
    while stack:
        node, flow, indents, column = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if getattr(node, "flow_style", None):
            flow += 1
            if flow > GO_MAX_DEPTH:
                line = node.start_mark.line
                where = f"line {line + 1}: " if line else ""
                raise EncodingError(f"yaml: {where}exceeded max depth of {GO_MAX_DEPTH}")
        elif node.start_mark.column > column:
            indents += 1
            column = node.start_mark.column
            if indents > GO_MAX_DEPTH:
                raise EncodingError(
                    f"yaml: line {node.start_mark.line + 1}: exceeded max depth of {GO_MAX_DEPTH}"
                )
        children: list[Any] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            for k, v in node.value:
                children += (k, v)
        for child in reversed(children):
            stack.append((child, flow, indents, column))


def _no_check(root: yaml.Node) -> None:
    pass


def _load_documents(text: str, first_only: bool, single: bool = False) -> list[Any]:
    """The documents of ``text`` (the first only, or exactly one), each checked
    against goyaml's depth limits before it is constructed. libyaml's own nesting
    limit is raised to goyaml's the first time a document reaches it (the text is
    then parsed again): most processes never load ctypes for it."""
    try:
        return _load_documents_once(text, first_only, single)
    except yaml.YAMLError as e:
        if _nest_level_set or getattr(e, "problem", None) != "exceeded maximum nesting depth":
            raise
    _allow_go_depth()
    return _load_documents_once(text, first_only, single)


def _may_nest_too_deep(text: str) -> bool:
    """Whether a document of ``text`` could break check_go_depth's limits: more
    than GO_MAX_DEPTH nested flow collections take as many "[" or "{", more than
    GO_MAX_DEPTH block indents a line of GO_MAX_DEPTH characters -- unless an
    alias makes a node its own descendant (then the walk goes on to the limit)."""
    if "*" in text:
        return True
    if len(text) <= GO_MAX_DEPTH:
        return False
    if text.count("[") + text.count("{") > GO_MAX_DEPTH:
        return True
    return max(map(len, text.split("\n"))) >= GO_MAX_DEPTH


def json_depth_bounded(text: str) -> bool:
    """Whether no value decoded from ``text`` can nest collections deeper than
    JSON_MAX_DEPTH (then check_json_depth need not walk it): each level takes a
    character of the text of its own -- a "[" or "{", or a column of indentation
    (two levels per column at most: a sequence may sit at its key's column) --
    unless aliases reuse a subtree, which the text's length still bounds."""
    if len(text) <= JSON_MAX_DEPTH:
        return True
    if "*" in text:
        return False
    flow = text.count("[") + text.count("{")
    return flow + 2 * max(map(len, text.split("\n"))) <= JSON_MAX_DEPTH


def _load_documents_once(text: str, first_only: bool, single: bool) -> list[Any]:
    loader = _GoLoader(text)
    check = check_go_depth if _may_nest_too_deep(text) else _no_check
    docs: list[Any] = []
    try:
        if single:
            node = loader.get_single_node()
            if node is not None:
                check(node)
                docs.append(_construct_document(loader, node))
            return docs
        while loader.check_node():
            node = loader.get_node()
            assert node is not None
            check(node)
            docs.append(_construct_document(loader, node))
            if first_only:
                break
        return docs
    finally:
        loader.dispose()


# ---------------------------------------------------------------- fast construction
# PyYAML's constructor machinery (construct_object: per-node bookkeeping, a
# generator per mapping, deferred state generators) costs more than libyaml's
# parse of the same text. Documents of plain maps, sequences and the scalars the
# resolver gives (what values files and rendered manifests are) are built here
# in one walk; anything else -- merge keys, explicit or unknown tags, !!binary,
# keys that are not strings, numbers or booleans, recursive aliases -- makes the
# walk give up, and construct_document builds the document as before (with its
# errors). Aliases of one anchor share one object, as with PyYAML.


class _Slow(Exception):
    """The fast walk met something only PyYAML's constructor builds."""


_BUSY = object()
_SequenceNode = yaml.SequenceNode
_MappingNode = yaml.MappingNode


def _construct_fast(node: yaml.Node, memo: dict[int, Any]) -> Any:
    cls = type(node)
    tag = node.tag
    if cls is _ScalarNode:
        if tag == STR:
            return node.value
        if tag == INT:
            return resolve(node.value)[1]
        if tag == NULL:
            return None
        if tag == BOOL:
            return _RESOLVE_MAP[node.value][1]
        if tag == FLOAT:
            return _construct_float(None, node)  # type: ignore[arg-type]
        if tag == TIMESTAMP:
            return _GoTimestamp(node.value)
        raise _Slow
    key = id(node)
    done = memo.get(key)
    if done is not None:
        if done is _BUSY:
            raise _Slow
        return done
    if cls is _MappingNode and tag == MAP:
        memo[key] = _BUSY
        data: dict[str, Any] = {}
        for knode, vnode in node.value:
            k = _construct_fast(knode, memo)
            v = _construct_fast(vnode, memo)
            if type(k) is str:
                data[k] = v
            elif k is None or type(knode) is not _ScalarNode:
                raise _Slow
            else:
                data[_json_key(k, v)] = v
        memo[key] = data
        return data
    if cls is _SequenceNode and tag == SEQ:
        memo[key] = _BUSY
        items = [_construct_fast(n, memo) for n in node.value]
        memo[key] = items
        return items
    raise _Slow


def _construct_document(loader: Any, node: yaml.Node) -> Any:
    try:
        return _construct_fast(node, {})
    except (_Slow, RecursionError):
        return loader.construct_document(node)


def _json_key(k: Any, val: Any) -> str:
    if isinstance(k, str):
        return str(k)
    if k is True:
        return "true"
    if k is False:
        return "false"
    if isinstance(k, int):
        return str(k)
    if isinstance(k, float):
        return format_float_g(k)
    raise EncodingError(
        "error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>,"
        f" value: {_go_q(val)}"
        if k is None
        else f"error converting YAML to JSON: unsupported map key of type: {type(k).__name__}"
    )


def _go_q(v: Any) -> str:
    """Go's %+#v of a decoded YAML value (the common cases)."""
    if isinstance(v, str):
        import json  # only for an error message

        return json.dumps(v, ensure_ascii=False)
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_float_g(v)
    return str(v)
