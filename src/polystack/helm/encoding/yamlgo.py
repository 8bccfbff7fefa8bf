"""YAML and JSON exactly as Helm's Go libraries produce and read them.

Helm reads YAML with sigs.k8s.io/yaml (goyaml.v2 resolution, YAML 1.1 booleans
such as `y`/`on`, then converted through JSON so every number becomes a
float64) and writes it with `yaml.Marshal` (encoding/json first, then goyaml.v2's
emitter, a port of libyaml). We use PyYAML's libyaml bindings for the scanning
and emitting and reproduce Go's resolution, key order and number formatting.
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any

import yaml

try:  # libyaml bindings
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MERGE = "tag:yaml.org,2002:merge"
BINARY = "tag:yaml.org,2002:binary"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


class YAMLError(Exception):
    """A YAML/JSON error carrying Go's message text."""


# ---------------------------------------------------------------- Go strconv


def _go_exp(e: int) -> str:
    return ("e-" if e < 0 else "e+") + f"{abs(e):02d}"


def _shortest_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits and decimal point position of |f|."""
    r = repr(abs(f))
    mant, _, exp = r.partition("e")
    e = int(exp) if exp else 0
    intpart, _, frac = mant.partition(".")
    if frac == "0":
        frac = ""
    digits = (intpart + frac).lstrip("0")
    lead_zeros = len(intpart + frac) - len((intpart + frac).lstrip("0"))
    dp = len(intpart) + e - lead_zeros
    digits = digits.rstrip("0") or "0"
    return digits, dp


def format_float(f: float, fmt: str = "g") -> str:
    """strconv.FormatFloat(f, fmt, -1, 64) for fmt in 'g', 'e', 'f'."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    neg = "-" if math.copysign(1.0, f) < 0 else ""
    if f == 0:
        digits, dp = "0", 1
    else:
        digits, dp = _shortest_digits(f)
    if fmt == "g":
        exp = dp - 1
        fmt = "e" if exp < -4 or exp >= 6 else "f"
    if fmt == "e":
        exp = dp - 1 if f != 0 else 0
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return neg + m + _go_exp(exp)
    # 'f'
    if dp <= 0:
        return neg + "0." + "0" * (-dp) + digits
    if dp >= len(digits):
        return neg + digits + "0" * (dp - len(digits))
    return neg + digits[:dp] + "." + digits[dp:]


def format_float_g(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64): %v of a float64 in Go."""
    return format_float(f, "g")


def json_float(f: float) -> str:
    """encoding/json's float64 text."""
    r = float.__repr__(f)
    if "e" not in r and "n" not in r:  # 1e-4 <= |f| < 1e16 or 0: shortest digits, no exponent
        return r[:-2] if r.endswith(".0") else r
    if math.isnan(f) or math.isinf(f):
        raise YAMLError(f"json: unsupported value: {format_float_g(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = format_float(f, "e")
        if len(s) >= 4 and s[-4] == "e" and s[-3] == "-" and s[-2] == "0":
            s = s[:-2] + s[-1]
        return s
    return format_float(f, "f")


def _parse_go_int(s: str) -> int | None:
    """strconv.ParseInt/ParseUint(s, 0, 64) value, or None (range ignored)."""
    m = re.fullmatch(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", s)
    if not m:
        return None
    sign, body = m.groups()
    low = body.lower()
    if low.startswith("0x"):
        v = int(body[2:], 16)
    elif low.startswith("0o"):
        v = int(body[2:], 8)
    elif low.startswith("0b"):
        v = int(body[2:], 2)
    elif len(body) > 1 and body[0] == "0":
        v = int(body[1:], 8)
    else:
        v = int(body)
    return -v if sign == "-" else v


_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_GO_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9]*(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.I
)
_RESOLVE_MAP: dict[str, tuple[str, Any]] = {}
for _vals, _tag, _v in (
    (("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), BOOL, True),
    (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), BOOL, False),
    (("", "~", "null", "Null", "NULL"), NULL, None),
    ((".nan", ".NaN", ".NAN"), FLOAT, math.nan),
    ((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), FLOAT, math.inf),
    (("-.inf", "-.Inf", "-.INF"), FLOAT, -math.inf),
    (("<<",), MERGE, "<<"),
):
    for _s in _vals:
        _RESOLVE_MAP[_s] = (_tag, _v)
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2}))"
    r"|(?: [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,9})?))?"
)

I64_MIN, I64_MAX, U64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def _go_parse_float(s: str) -> float | None:
    t = s.replace("_", "") if "_" in s else s
    try:
        if re.fullmatch(r"[+-]?0[xX].*", t):
            return float.fromhex(t)
        if not _GO_FLOAT.fullmatch(s) or not re.search(r"[0-9]|inf|nan", s, re.I):
            return None
        v = float(t)
    except (ValueError, OverflowError):
        return None
    return v


def resolve(s: str) -> tuple[str, Any]:
    """goyaml.v2 resolve("", s) for a plain scalar: (tag, value)."""
    item = _RESOLVE_MAP.get(s)
    if item is not None:
        return item
    c = s[0] if s else ""
    if c == ".":
        f = _go_parse_float(s)
        if f is not None:
            return FLOAT, f
    elif c in "+-0123456789" and c:
        if c.isdigit() and len(s) >= 8 and s[4:5] == "-" and _TIMESTAMP.fullmatch(s):
            return TIMESTAMP, s
        plain = s.replace("_", "")
        iv = _parse_go_int(plain)
        if iv is not None and I64_MIN <= iv <= U64_MAX:
            return INT, iv
        if _YAML_FLOAT.fullmatch(plain):
            f = float(plain)
            if not math.isinf(f):  # ParseFloat's range error: not a float, so a string
                return FLOAT, f
        if iv is not None:  # out of 64-bit range: big.Int
            return INT, iv
    return STR, s


def needs_quotes(s: str) -> bool:
    """goyaml.v2 stringv: whether a string cannot be emitted plain."""
    if s == "<<":  # the merge key is emitted plain by sigs.k8s.io/yaml
        return False
    return resolve(s)[0] != STR or bool(s and s[0] in "+-0123456789" and _BASE60.fullmatch(s))


# ---------------------------------------------------------------- keys


def _key_less(a: str, b: str, v3: bool = False) -> bool:
    """goyaml keyList.Less for two string keys (natural number order).  goyaml.v3 (``v3``)
    also puts a letter before a digit when the equal rune before them was a digit."""
    n = min(len(a), len(b))
    digits = False  # whether the last equal rune was a digit (go-yaml >= 2.4's rule)
    for i in range(n):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = v3 and ca.isdigit()
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            # v3: after a digit, a letter sorts before a digit ("0E" < "00")
            return al if digits else bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + (ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + (ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


class _Key:
    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _Key) -> bool:
        return _key_less(self.s, other.s)


class _KeyV3(_Key):
    __slots__ = ()

    def __lt__(self, other: _Key) -> bool:
        return _key_less(self.s, other.s, v3=True)


def _plain_sortable(keys: list[str]) -> bool:
    for k in keys:
        if not k.isascii() or not k.isalpha():
            return False
    return True


def sorted_keys(keys: list[str], v3: bool = False) -> list[str]:
    if _plain_sortable(keys):
        return sorted(keys)
    return sorted(keys, key=_KeyV3 if v3 else _Key)


# ---------------------------------------------------------------- YAML output


class _GoDumper(_BaseDumper):  # type: ignore[misc,valid-type]
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
        from polystack.helm.encoding.jsongo import to_json_tree

        return _node(to_json_tree(hook()))
    raise YAMLError(f"json: unsupported type: {type(v).__name__}")


def _number_text(j: str) -> str:
    """A JSON number re-read by goyaml.v2 and written back."""
    tag, val = resolve(j)
    if tag == FLOAT:
        s = format_float_g(val)
        return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(s, s)
    if tag == INT:
        return str(val)
    return j


def _empty_flow(node: yaml.Node) -> None:
    """goyaml.v2 writes empty collections as `{}` / `[]` (libyaml does too)."""


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
        raise YAMLError(
            "error marshaling into JSON: json: unsupported value: encountered a cycle via "
            + type_of(e.container)
        ) from None


def to_yaml(v: Any) -> str:
    """Helm's toYaml: Marshal, trailing newline trimmed; "" on error."""
    try:
        return marshal_yaml(v).removesuffix("\n")
    except (YAMLError, RecursionError):
        return ""


def to_yaml_pretty(v: Any) -> str:
    """Helm's toYamlPretty: the goyaml.v3 encoder with indent 2."""
    try:
        _check_marshal_walk(v)
        node = _node_v3(v)
    except (YAMLError, RecursionError):
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
        from polystack.helm.encoding.jsongo import to_json_tree

        return _node_v3(to_json_tree(hook()))
    return _node(v)


# ---------------------------------------------------------------- YAML input


class _GoLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    pass


def _go_resolve_node(self: Any, kind: Any, value: Any, implicit: Any) -> str:
    if kind is yaml.ScalarNode:
        if implicit[0]:
            return resolve(value)[0]
        return STR
    if kind is yaml.SequenceNode:
        return SEQ
    return MAP


_GoLoader.resolve = _go_resolve_node  # type: ignore[method-assign]


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
        raise YAMLError(f"yaml: !!binary value contains invalid base64 data: {e}")


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


def _yaml_error(e: yaml.YAMLError, text: str | None = None) -> YAMLError:
    """goyaml.v2's parser error text: `yaml: line N: problem`."""
    if getattr(e, "problem", None) == "exceeded maximum nesting depth":
        # libyaml's limit (set past goyaml's): goyaml's error, without the
        # error-order emulation below (quadratic in the nesting)
        pm = getattr(e, "problem_mark", None)
        where = f"line {pm.line + 1}: " if pm is not None and pm.line else ""
        return YAMLError(f"yaml: {where}exceeded max depth of {GO_MAX_DEPTH}")
    if text and isinstance(e, yaml.scanner.ScannerError):
        from polystack.helm.encoding.yamlorder import parser_error_first

        e = parser_error_first(e, text)
    problem = getattr(e, "problem", None) or "unknown problem parsing YAML content"
    pm = getattr(e, "problem_mark", None)
    cm = getattr(e, "context_mark", None)
    if problem.startswith("found undefined alias") and pm is not None:
        # goyaml.v2 reports this while decoding, without a line
        src = pm.buffer if pm.buffer else (text or "")
        m = re.match(r"\*([A-Za-z0-9_-]+)", src[pm.index :])
        return YAMLError(f"yaml: unknown anchor '{m.group(1) if m else ''}' referenced")
    line = 0
    if pm is not None and pm.line != 0:
        line = pm.line
        if isinstance(e, yaml.scanner.ScannerError):
            line += 1
    elif cm is not None and cm.line != 0:
        line = cm.line
    where = f"line {line}: " if line else ""
    return YAMLError(f"yaml: {where}{problem}")


def _to_json_value(v: Any) -> Any:
    """sigs.k8s.io/yaml's YAML->JSON->interface{} step: numbers become float64."""
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k, x in v.items():
            out[_json_key(k, x)] = _to_json_value(x)
        return out
    if isinstance(v, list):
        return [_to_json_value(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, _GoTimestamp):
        return str(v)
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise YAMLError(
                "error converting YAML to JSON: json: unsupported value: " + format_float_g(v)
            )
        return v
    return v


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
    raise YAMLError(
        "error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>,"
        f" value: {_go_q(val)}"
        if k is None
        else f"error converting YAML to JSON: unsupported map key of type: {type(k).__name__}"
    )


def _go_q(v: Any) -> str:
    """Go's %+#v of a decoded YAML value (the common cases)."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_float_g(v)
    return str(v)


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
        raise YAMLError("error converting YAML to JSON: " + str(_yaml_error(e, text))) from None
    except YAMLError as e:
        if str(e).startswith("yaml: "):  # check_go_depth's
            raise YAMLError("error converting YAML to JSON: " + str(e)) from None
        raise
    check_json_depth(raw)
    return _to_json_value(raw)


def first_document(text: str) -> Any:
    """goyaml.v2 Unmarshal reads the first document only; what follows is not parsed."""
    docs = _load_documents(text, first_only=True)
    return docs[0] if docs else None


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

        from yaml import _yaml as libyaml  # type: ignore[attr-defined]

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
        if node.flow_style:
            flow += 1
            if flow > GO_MAX_DEPTH:
                line = node.start_mark.line
                where = f"line {line + 1}: " if line else ""
                raise YAMLError(f"yaml: {where}exceeded max depth of {GO_MAX_DEPTH}")
        elif node.start_mark.column > column:
            indents += 1
            column = node.start_mark.column
            if indents > GO_MAX_DEPTH:
                raise YAMLError(
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
            raise YAMLError(
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


def _load_documents(text: str, first_only: bool, single: bool = False) -> list[Any]:
    """The documents of ``text`` (the first only, or exactly one), each checked
    against goyaml's depth limits before it is constructed."""
    _allow_go_depth()
    loader = _GoLoader(text)
    docs: list[Any] = []
    try:
        if single:
            node = loader.get_single_node()
            if node is not None:
                check_go_depth(node)
                docs.append(loader.construct_document(node))
            return docs
        while loader.check_node():
            node = loader.get_node()
            check_go_depth(node)
            docs.append(loader.construct_document(node))
            if first_only:
                break
        return docs
    finally:
        loader.dispose()


def unmarshal_map(text: str | bytes) -> dict[str, Any]:
    """Unmarshal into map[string]interface{} (values.yaml, -f files, Chart.yaml)."""
    v = unmarshal(text)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise YAMLError(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{_json_kind(v)} into Go value of type map[string]interface {{}}"
        )
    return v


def _json_kind(v: Any) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "array"
    return "object"
