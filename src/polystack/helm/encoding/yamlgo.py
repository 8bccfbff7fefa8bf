"""YAML and JSON exactly as Helm's Go libraries produce and read them.

Helm reads YAML with sigs.k8s.io/yaml (goyaml.v2 resolution, YAML 1.1 booleans
such as `y`/`on`, then converted through JSON so every number becomes a
float64) and writes it with `yaml.Marshal` (encoding/json first, then goyaml.v2's
emitter, a port of libyaml). We use PyYAML's libyaml bindings for the scanning
and emitting and reproduce Go's resolution, key order and number formatting.
"""

from __future__ import annotations

import base64
import math
import re

from polystack.helm.encoding.errors import EncodingError
from polystack.helm.encoding.jsongo import json_float, to_json_tree
from polystack.helm.encoding.yamlimport import yaml
from polystack.helm.encoding.yamlload import (
    GO_MAX_DEPTH,
    JSON_MAX_DEPTH,
    _GoTimestamp,
    _json_key,
    _load_documents,
    json_depth_bounded,
)
from polystack.helm.encoding.yamlorder import parser_error_first
from polystack.helm.encoding.yamlresolve import (
    MAP,
    SEQ,
    STR,
    _Key,
    needs_quotes,
    sorted_keys,
)
from polystack.helm.encoding.yamlresolve import number_text as _number_text
from polystack.helm.golang.strconv import format_float_g

try:  # libyaml bindings
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "EncodingError",
    "marshal_yaml",
    "to_yaml",
    "to_yaml_pretty",
    "unmarshal",
    "unmarshal_map",
    "load_raw",
    "load_all_raw",
    "first_document",
    "check_json_depth",
    "json_depth_bounded",
    "json_kind",
    "to_json_value",
]


# ---------------------------------------------------------------- YAML output


class _GoDumper(_BaseDumper):
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:  # every tag implicit
        if kind is yaml.ScalarNode:
            return STR
        if kind is yaml.SequenceNode:
            return SEQ
        return MAP


def _node(v: Any) -> yaml.Node:
    """Build the YAML node goyaml.v2 would emit for the JSON re-decoding of v."""
    if isinstance(v, str):
        if "\n" in v:
            style = "|"
        elif needs_quotes(v):
            style = '"'
        else:
            style = None
        return yaml.ScalarNode(STR, v, style=style)
    if v is None or (isinstance(v, dict | list) and getattr(v, "nil", False) is True):
        return yaml.ScalarNode(STR, "null")  # nil maps and slices: JSON null
    if v is True:
        return yaml.ScalarNode(STR, "true")
    if v is False:
        return yaml.ScalarNode(STR, "false")
    if isinstance(v, int):
        return yaml.ScalarNode(STR, str(int(v)))
    if isinstance(v, float):
        return yaml.ScalarNode(STR, _number_text(json_float(v)))
    if isinstance(v, dict):
        if all(type(k) is str for k in v):
            items = [(_node(k), _node(v[k])) for k in sorted_keys(list(v))]
        else:
            pairs = sorted(((str(k), x) for k, x in v.items()), key=lambda kv: _Key(kv[0]))
            items = [(_node(k), _node(x)) for k, x in pairs]
        return yaml.MappingNode(MAP, items, flow_style=False)
    if isinstance(v, (list, tuple)):
        return yaml.SequenceNode(SEQ, [_node(x) for x in v], flow_style=False)
    if isinstance(v, (bytes, bytearray)):
        return _node(base64.b64encode(bytes(v)).decode())
    hook = getattr(v, "go_json", None)
    if hook is not None:
        return _node(to_json_tree(hook()))
    raise EncodingError(f"json: unsupported type: {type(v).__name__}")


def marshal_yaml(v: Any) -> str:
    """sigs.k8s.io/yaml.Marshal(v) as text (with the trailing newline)."""
    _check_marshal_walk(v)
    node = _node(v)
    out = yaml.serialize(
        node,
        Dumper=_GoDumper,
        allow_unicode=True,
        width=80,
        indent=2,
    )
    if out.endswith("\n...\n"):
        out = out[:-4]
    return out


def _check_marshal_walk(v: Any) -> None:
    from polystack.helm.golang.runtime import CycleError, check_walk
    from polystack.helm.golang.types import type_of

    try:
        check_walk(v, "yaml")
    except CycleError as e:
        raise EncodingError(
            "error marshaling into JSON: json: unsupported value: encountered a cycle via "
            + type_of(e.container)
        ) from None


def to_yaml(v: Any) -> str:
    """Helm's toYaml: Marshal, trailing newline trimmed; "" on error."""
    try:
        return marshal_yaml(v).removesuffix("\n")
    except (EncodingError, RecursionError):
        return ""


def to_yaml_pretty(v: Any) -> str:
    """Helm's toYamlPretty: the goyaml.v3 encoder with indent 2."""
    try:
        _check_marshal_walk(v)
        node = _node_v3(v)
    except (EncodingError, RecursionError):
        return ""
    out = yaml.serialize(
        node,
        Dumper=_GoDumperV3,
        allow_unicode=True,
        width=1 << 30,
        indent=2,
    )
    if out.endswith("\n...\n"):
        out = out[:-4]
    return out.removesuffix("\n")


class _GoDumperV3(
    yaml.emitter.Emitter,
    yaml.serializer.Serializer,
    yaml.representer.SafeRepresenter,
    yaml.resolver.BaseResolver,
):
    """goyaml.v3 with SetIndent(2): block sequences are indented under their key."""

    def __init__(self, stream: Any, **kw: Any) -> None:
        yaml.emitter.Emitter.__init__(
            self,
            stream,
            canonical=None,
            indent=kw.get("indent"),
            width=kw.get("width"),
            allow_unicode=kw.get("allow_unicode"),
            line_break=None,
        )
        yaml.serializer.Serializer.__init__(self)
        yaml.representer.SafeRepresenter.__init__(self)
        yaml.resolver.BaseResolver.__init__(self)

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def analyze_scalar(self, scalar: str) -> Any:
        # goyaml.v3 allows tabs in literal blocks (libyaml and goyaml.v2 do not);
        # plain and single-quoted scalars still cannot hold them
        if "\t" not in scalar:
            return super().analyze_scalar(scalar)
        analysis = super().analyze_scalar(scalar.replace("\t", "x"))
        analysis.scalar = scalar
        analysis.allow_flow_plain = analysis.allow_block_plain = False
        analysis.allow_single_quoted = False
        return analysis

    def check_simple_key(self) -> bool:
        # goyaml.v3 writes an empty string key as a simple key: `"": x`
        if isinstance(self.event, yaml.ScalarEvent) and self.event.value == "":
            return True
        return bool(super().check_simple_key())

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return STR
        if kind is yaml.SequenceNode:
            return SEQ
        return MAP


def _node_v3(v: Any) -> yaml.Node:
    """goyaml.v3 encodes the Go values themselves (no JSON round trip)."""
    if isinstance(v, dict):
        if getattr(v, "nil", False) is True:
            return yaml.MappingNode(MAP, [], flow_style=True)  # a nil map: {}
        keys = sorted_keys([str(k) for k in v], v3=True)
        items = [(_node(k), _node_v3(v[k] if k in v else None)) for k in keys]
        return yaml.MappingNode(MAP, items, flow_style=False)
    if isinstance(v, (list, tuple)):
        return yaml.SequenceNode(SEQ, [_node_v3(x) for x in v], flow_style=False)
    if isinstance(v, float) and not isinstance(v, bool):
        s = format_float_g(v)
        return yaml.ScalarNode(STR, {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(s, s))
    if isinstance(v, (str, int)) or v is None:
        return _node(v)
    hook = getattr(v, "go_json", None)
    if hook is not None:
        return _node_v3(to_json_tree(hook()))
    return _node(v)


def _yaml_error(e: yaml.YAMLError, text: str | None = None) -> EncodingError:
    """goyaml.v2's parser error text: `yaml: line N: problem`."""
    if getattr(e, "problem", None) == "exceeded maximum nesting depth":
        # libyaml's limit (set past goyaml's): goyaml's error, without the
        # error-order emulation below (quadratic in the nesting)
        pm = getattr(e, "problem_mark", None)
        where = f"line {pm.line + 1}: " if pm is not None and pm.line else ""
        return EncodingError(f"yaml: {where}exceeded max depth of {GO_MAX_DEPTH}")
    if text and isinstance(e, yaml.scanner.ScannerError):
        e = parser_error_first(e, text)
    problem = getattr(e, "problem", None) or "unknown problem parsing YAML content"
    pm = getattr(e, "problem_mark", None)
    cm = getattr(e, "context_mark", None)
    if problem.startswith("found undefined alias") and pm is not None:
        # goyaml.v2 reports this while decoding, without a line
        src = pm.buffer if pm.buffer else (text or "")
        m = re.match(r"\*([A-Za-z0-9_-]+)", src[pm.index :])
        return EncodingError(f"yaml: unknown anchor '{m.group(1) if m else ''}' referenced")
    line = 0
    if pm is not None and pm.line != 0:
        line = pm.line
        if isinstance(e, yaml.scanner.ScannerError):
            line += 1
    elif cm is not None and cm.line != 0:
        line = cm.line
    where = f"line {line}: " if line else ""
    return EncodingError(f"yaml: {where}{problem}")


def to_json_value(v: Any) -> Any:
    """sigs.k8s.io/yaml's YAML->JSON->interface{} step: numbers become float64."""
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k, x in v.items():
            out[_json_key(k, x)] = to_json_value(x)
        return out
    if isinstance(v, list):
        return [to_json_value(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, _GoTimestamp):
        return str(v)
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise EncodingError(
                "error converting YAML to JSON: json: unsupported value: " + format_float_g(v)
            )
        return v
    return v


def load_raw(text: str) -> Any:
    """Parse one YAML document with goyaml.v2 resolution (no JSON conversion)."""
    try:
        docs = _load_documents(text, first_only=False, single=True)
    except yaml.YAMLError as e:
        raise _yaml_error(e) from None
    return docs[0] if docs else None


def unmarshal(text: str | bytes) -> Any:
    """sigs.k8s.io/yaml.Unmarshal into interface{}: JSON-typed values."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        raw = first_document(text)
    except yaml.YAMLError as e:
        raise EncodingError("error converting YAML to JSON: " + str(_yaml_error(e, text))) from None
    except EncodingError as e:
        if str(e).startswith("yaml: "):  # check_go_depth's
            raise EncodingError("error converting YAML to JSON: " + str(e)) from None
        raise
    if not json_depth_bounded(text):
        check_json_depth(raw)
    return to_json_value(raw)


def first_document(text: str) -> Any:
    """goyaml.v2 Unmarshal reads the first document only; what follows is not parsed."""
    docs = _load_documents(text, first_only=True)
    return docs[0] if docs else None


def check_json_depth(v: Any) -> None:
    """encoding/json's maxNestingDepth over the JSON of ``v`` (object keys in
    json.Marshal's sorted order): the first array or object nested deeper than
    JSON_MAX_DEPTH ends decoding."""
    stack: list[tuple[Any, int]] = [(v, 1)]
    while stack:
        x, depth = stack.pop()
        if isinstance(x, dict):
            kids = [x[k] for k in sorted(x)]
        elif isinstance(x, list):
            kids = x
        else:
            continue
        if depth > JSON_MAX_DEPTH:
            ch = "{" if isinstance(x, dict) else "["
            raise EncodingError(
                "error unmarshaling JSON: while decoding JSON: "
                f"invalid character '{ch}' exceeded max depth"
            )
        for k in reversed(kids):
            if isinstance(k, dict | list):
                stack.append((k, depth + 1))


def load_all_raw(text: str) -> list[Any]:
    try:
        return _load_documents(text, first_only=False)
    except yaml.YAMLError as e:
        raise _yaml_error(e, text) from None


def unmarshal_map(text: str | bytes) -> dict[str, Any]:
    """Unmarshal into map[string]interface{} (values.yaml, -f files, Chart.yaml)."""
    v = unmarshal(text)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise EncodingError(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{json_kind(v)} into Go value of type map[string]interface {{}}"
        )
    return v


def json_kind(v: Any) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "array"
    return "object"
