"""Helm's own template functions (pkg/engine/funcs.go, files.go) and the
objects templates see: `$`, `.Values` and `.Template` (common.Values),
`.Files`, `.Capabilities`.

`include`, `tpl`, `required` and `fail` close over a render and are built by
:mod:`polystack.helm.render.engine`; this module holds the context-free ones.
"""

from __future__ import annotations

import math

from polystack.helm.encoding import jsongo
from polystack.helm.funcs.version import GO_VERSION, HELM_VERSION, HelmVersion  # noqa: F401
from polystack.helm.funcs.yamlemit import emit_plain
from polystack.helm.golang.lazymod import LazyModule
from polystack.helm.golang.strconv import format_float_g
from polystack.helm.golang.strconv import quote as go_quote
from polystack.helm.golang.types import GoStruct, NilList, NilMap, StringList, signature

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import Any

    from polystack.helm.encoding import yamlgo
else:  # PyYAML's modules, imported when first needed
    yamlgo = LazyModule("polystack.helm.encoding.yamlgo")

# ---------------------------------------------------------------- YAML / JSON


@signature("interface {}")
def to_yaml(v: Any) -> str:
    """yamlgo.to_yaml, written directly for plain values (funcs/yamlemit.py)."""
    try:
        s = emit_plain(v)
    except yamlgo.EncodingError:
        return ""
    if s is None:
        return yamlgo.to_yaml(v)
    return s.removesuffix("\n")


@signature("interface {}")
def must_to_yaml(v: Any) -> str:
    try:
        return yamlgo.marshal_yaml(v).removesuffix("\n")
    except yamlgo.EncodingError as e:
        raise ValueError(str(e)) from None


@signature("interface {}")
def to_yaml_pretty(v: Any) -> str:
    return yamlgo.to_yaml_pretty(v)


@signature("string")
def from_yaml(s: str) -> dict[str, Any]:
    try:
        return yamlgo.unmarshal_map(s)
    except yamlgo.EncodingError as e:
        msg = str(e)
        if not msg.startswith("error"):
            msg = "error converting YAML to JSON: " + msg
        return {"Error": msg}


@signature("string")
def from_yaml_array(s: str) -> list[Any]:
    try:
        v = yamlgo.unmarshal(s)
    except yamlgo.EncodingError as e:
        return [str(e)]
    if v is None:
        return []
    if not isinstance(v, list):
        return [
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{yamlgo.json_kind(v)} into Go value of type []interface {{}}"
        ]
    return v


@signature("interface {}")
def to_json(v: Any) -> str:
    try:
        return jsongo.marshal(v)
    except yamlgo.EncodingError:
        return ""


@signature("interface {}")
def must_to_json(v: Any) -> str:
    try:
        return jsongo.marshal(v)
    except yamlgo.EncodingError as e:
        raise ValueError(str(e)) from None


@signature("string")
def from_json(s: str) -> dict[str, Any]:
    try:
        v = jsongo.unmarshal(s, into=dict)
    except jsongo.UnmarshalTypeError as e:
        # Go keeps what it decoded into the map, then Helm adds the error
        return {**(e.value or {}), "Error": str(e)}
    except yamlgo.EncodingError as e:
        return {"Error": str(e)}
    return NilMap() if v is None else v  # "null": Go leaves the map nil


@signature("string")
def from_json_array(s: str) -> list[Any]:
    try:
        v = jsongo.unmarshal(s, into=list)
    except yamlgo.EncodingError as e:
        return [str(e)]
    return NilList() if v is None else v


# ---------------------------------------------------------------- TOML


def _toml_key(k: str) -> str:
    import re  # (not imported by a render that writes no TOML)

    if k and re.fullmatch(r"[A-Za-z0-9_-]+", k):
        return k
    return _toml_str(k)


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_TOML_LOCAL_LAYOUTS = {
    "datetime-local": "2006-01-02T15:04:05.999999999",
    "date-local": "2006-01-02",
    "time-local": "15:04:05.999999999",
}


def _toml_value(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        s = format_float_g(v)
        return s if "." in s or "e" in s else s + ".0"
    from polystack.helm.golang import time as gotime  # TOML only: not at start-up
    from polystack.helm.golang import time_layout as golayout

    if isinstance(v, gotime.GoTime):
        layout = _TOML_LOCAL_LAYOUTS.get(getattr(v.zone, "name", ""))
        if layout is not None:  # BurntSushi's local date/time zones print in UTC
            return golayout.go_format(v.UTC(), layout)
        return golayout.go_format(v, "2006-01-02T15:04:05.999999999Z07:00")
    if isinstance(v, (list, tuple)):
        if any(x is None for x in v):
            raise ValueError("toml: cannot encode array with nil element")
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise ValueError(f"toml: cannot encode a value of type {type(v).__name__}")


class _TomlOut:
    """BurntSushi/toml's encoder layout: sorted keys, plain keys first, then
    tables (a blank line before top-level tables and arrays of tables), two
    spaces of indentation per level."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def newline(self) -> None:
        if self.parts:
            self.parts.append("\n")

    def table(self, d: dict[str, Any], key: list[str]) -> None:
        indent = "  " * max(len(key) - 1, 0)
        if len(key) == 1:
            self.newline()
        if key:
            self.parts.append(f"{indent}[{'.'.join(_toml_key(x) for x in key)}]")
            self.newline()
        self.body(d, key)

    def body(self, d: dict[str, Any], key: list[str]) -> None:
        indent = "  " * len(key)
        keys = sorted(d)
        for k in keys:
            v = d[k]
            if v is None or isinstance(v, dict) or _is_table_array(v):
                continue
            self.parts.append(f"{indent}{_toml_key(k)} = {_toml_value(v)}\n")
        for k in keys:
            v = d[k]
            if isinstance(v, dict):
                self.table(v, key + [k])
            elif _is_table_array(v):
                sub_indent = "  " * len(key)
                for item in v:
                    self.newline()
                    self.parts.append(
                        f"{sub_indent}[[{'.'.join(_toml_key(x) for x in key + [k])}]]"
                    )
                    self.newline()
                    self.body(item, key + [k])


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _encode_toml(v: Any) -> str:
    """BurntSushi's Encoder.Encode; ValueError carries its error text."""
    if v is None:
        # reflect panics on the nil interface before the encoder starts
        raise RuntimeError("reflect: call of reflect.Value.Type on zero Value")
    if not isinstance(v, dict):
        if _is_table_array(v):
            raise ValueError("toml: top-level values must be Go maps or structs")
        return _toml_value(v)
    out = _TomlOut()
    out.body(v, [])
    return "".join(out.parts)


@signature("interface {}")
def to_toml(v: Any) -> str:
    try:
        return _encode_toml(v)
    except ValueError as e:
        return str(e)


@signature("interface {}")
def must_to_toml(v: Any) -> str:
    return _encode_toml(v)


@signature("string")
def from_toml(s: str) -> dict[str, Any]:
    """Helm's fromTOML: BurntSushi/toml's Unmarshal; a parse error becomes the Error key."""
    from polystack.helm.encoding import tomlgo  # TOML only: not at start-up

    try:
        return tomlgo.loads(s)
    except tomlgo.TOMLError as e:
        return {"Error": str(e)}


@signature("string", "string", "string", "string")
def lookup(api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
    """Without a cluster (helm template), lookup returns an empty map."""
    return {}


# ---------------------------------------------------------------- .Files


# pattern -> its regex (None: not a valid glob), bounded; functools is not imported
_GLOB_REGEXES: dict[str, re.Pattern[str] | None] = {}


def _glob_regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return _GLOB_REGEXES[pattern]
    except KeyError:
        pass
    rx = _glob_regex_of(pattern)
    if len(_GLOB_REGEXES) >= 512:
        _GLOB_REGEXES.clear()
    _GLOB_REGEXES[pattern] = rx
    return rx


def _glob_regex_of(pattern: str) -> re.Pattern[str] | None:
    """gobwas/glob with '/' as separator: * ? ** [..] {a,b}."""
    import re  # (.Files.Glob only)

    out: list[str] = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= n:
                return None
            out.append(re.escape(pattern[i]))
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                return None
            body = pattern[i + 1 : j]
            neg = body.startswith("!")
            if neg:
                body = body[1:]
            out.append(("[^" if neg else "[") + body.replace("\\", "\\\\") + "]")
            i = j
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        return None
    try:
        return re.compile("".join(out), re.S)
    except re.error:
        return None


class Files(dict):
    """Helm's engine.files (map[string][]byte) with its template methods."""

    go_type_name = "engine.files"
    go_kind = "map"

    @signature("string")
    def GetBytes(self, name: str) -> bytes:  # noqa: N802 - Go method name
        return dict.get(self, name, b"")

    @signature("string")
    def Get(self, name: str) -> str:  # noqa: N802
        return dict.get(self, name, b"").decode("utf-8", "replace")

    @signature("string")
    def Glob(self, pattern: str) -> Files:  # noqa: N802
        rx = _glob_regex(pattern) or _glob_regex("**")
        assert rx is not None
        return Files({k: v for k, v in self.items() if rx.fullmatch(k)})

    def AsConfig(self) -> str:  # noqa: N802
        m: dict[str, str] = {}
        for k, v in self.items():
            m[k.rsplit("/", 1)[-1]] = v.decode("utf-8", "replace")
        return yamlgo.to_yaml(m)

    def AsSecrets(self) -> str:  # noqa: N802
        m: dict[str, str] = {}
        for k, v in self.items():
            import base64

            m[k.rsplit("/", 1)[-1]] = base64.b64encode(v).decode()
        return yamlgo.to_yaml(m)

    @signature("string")
    def Lines(self, path: str) -> StringList:  # noqa: N802
        data = dict.get(self, path)
        if data is None:
            return StringList()
        s = data.decode("utf-8", "replace")
        if s.endswith("\n"):
            s = s[:-1]
        return StringList(s.split("\n"))


# ---------------------------------------------------------------- common.Values


class Values(dict):
    """common.Values: the named map type (``type Values map[string]interface{}``)
    of the template data Helm's engine builds: `$`, `.Values` (the chart's and each
    subchart's) and `.Template`. Maps inside stay plain ``map[string]interface {}``.

    `typeOf`/`%T` print ``common.Values``, `kindOf` ``map``; `typeIs` with
    ``map[string]interface {}`` and `deepEqual` with a plain map are false; it is
    assignable to Sprig's ``map[string]interface {}`` parameters (`go_underlying`)
    but fails `dig`'s type assertion. Its Go methods win over keys of the same name
    (`.Values.YAML` is the method) through the executor's method hook for dict
    subclasses; any other key is a plain dict read.
    """

    __slots__ = ()
    go_type_name = "common.Values"
    go_kind = "map"
    go_underlying = "map[string]interface {}"

    def YAML(self) -> str:  # noqa: N802 - Go method names
        """yaml.Marshal of the map, its trailing newline kept."""
        try:
            return yamlgo.marshal_yaml(self)
        except yamlgo.EncodingError as e:
            raise ValueError(str(e)) from None

    def AsMap(self) -> dict[str, Any]:  # noqa: N802
        """The map as map[string]interface {} (Go returns the same map; this is a copy)."""
        return dict(self)

    @signature("string")
    def Table(self, name: str) -> Values:  # noqa: N802
        """The table at a dotted path, sharing its map: ``"x" is not a table`` else."""
        table: dict[str, Any] = self
        for key in name.split("."):
            v = table.get(key)
            if type(v) is not dict and not isinstance(v, Values):
                raise ValueError(f"{go_quote(key)} is not a table")
            table = v
        return table if isinstance(table, Values) else ValuesView(table)

    @signature("string")
    def PathValue(self, path: str) -> Any:  # noqa: N802
        """The non-table value at a dotted path: ``"x" is not a value`` else."""
        if path == "":
            raise ValueError("YAML path cannot be empty")
        *parents, key = path.split(".")
        table: dict[str, Any] = self
        if parents:
            try:
                table = self.Table(".".join(parents))
            except ValueError:
                raise ValueError(f"{go_quote(key)} is not a value") from None
        if key in table and type(table[key]) is not dict:
            return table[key]
        raise ValueError(f"{go_quote(key)} is not a value")

    @signature("io.Writer")
    def Encode(self, w: Any) -> None:  # noqa: N802
        """Values.Encode(io.Writer): declared for its arity; no template value is a writer."""
        raise ValueError("runtime error: invalid memory address or nil pointer dereference")


class ValuesView(Values):
    """A common.Values over a map that another map also holds.

    Go shares one map under two types: a subchart's `.Values` is its parent's
    `.Values.<name>` (a plain map there), and a template's `$` is the map
    `.Subcharts.<name>` holds. A Python object has one type, so this is a copy
    whose writes (`set`, `unset`, merges into it, the engine's `.Template`) go to
    the shared map too; reads are the copy's own, with no per-access cost.
    """

    _shared: dict[str, Any] | None = None

    def __init__(self, shared: Any = (), /) -> None:
        dict.__init__(self, shared)
        if type(shared) is dict:
            self._shared = shared

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        if self._shared is not None:
            self._shared[key] = value

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        if self._shared is not None:
            self._shared.pop(key, None)

    def pop(self, key: str, *default: Any) -> Any:
        if self._shared is not None:
            self._shared.pop(key, None)
        return dict.pop(self, key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *args: Any, **kw: Any) -> None:
        for key, value in dict(*args, **kw).items():
            self[key] = value

    def clear(self) -> None:
        dict.clear(self)
        if self._shared is not None:
            self._shared.clear()


def as_values(v: Any) -> Values:
    """`v` as a common.Values sharing its map (a fresh empty one for a non-map)."""
    if isinstance(v, Values):
        return v
    return ValuesView(v) if type(v) is dict else Values()


# ---------------------------------------------------------------- .Capabilities

DEFAULT_KUBE_VERSION = "v1.36.0"

DEFAULT_API_VERSIONS = (
    "v1 admissionregistration.k8s.io/v1 admissionregistration.k8s.io/v1alpha1"
    " admissionregistration.k8s.io/v1beta1 internal.apiserver.k8s.io/v1alpha1 apps/v1"
    " apps/v1beta1 apps/v1beta2 authentication.k8s.io/v1 authentication.k8s.io/v1alpha1"
    " authentication.k8s.io/v1beta1 authorization.k8s.io/v1 authorization.k8s.io/v1beta1"
    " autoscaling/v1 autoscaling/v2 batch/v1 batch/v1beta1 certificates.k8s.io/v1"
    " certificates.k8s.io/v1beta1 certificates.k8s.io/v1alpha1 coordination.k8s.io/v1alpha2"
    " coordination.k8s.io/v1beta1 coordination.k8s.io/v1 discovery.k8s.io/v1"
    " discovery.k8s.io/v1beta1 events.k8s.io/v1 events.k8s.io/v1beta1 extensions/v1beta1"
    " flowcontrol.apiserver.k8s.io/v1 flowcontrol.apiserver.k8s.io/v1beta1"
    " flowcontrol.apiserver.k8s.io/v1beta2 flowcontrol.apiserver.k8s.io/v1beta3"
    " networking.k8s.io/v1 networking.k8s.io/v1beta1 node.k8s.io/v1 node.k8s.io/v1alpha1"
    " node.k8s.io/v1beta1 policy/v1 policy/v1beta1 rbac.authorization.k8s.io/v1"
    " rbac.authorization.k8s.io/v1beta1 rbac.authorization.k8s.io/v1alpha1 resource.k8s.io/v1"
    " resource.k8s.io/v1beta2 resource.k8s.io/v1beta1 resource.k8s.io/v1alpha3"
    " scheduling.k8s.io/v1alpha2 scheduling.k8s.io/v1beta1 scheduling.k8s.io/v1"
    " storage.k8s.io/v1beta1 storage.k8s.io/v1 storage.k8s.io/v1alpha1"
    " storagemigration.k8s.io/v1beta1 apiextensions.k8s.io/v1beta1 apiextensions.k8s.io/v1"
).split()


class KubeVersion(GoStruct):
    go_type_name = "common.KubeVersion"
    go_fields = ("Version", "normalizedVersion", "Major", "Minor")
    # func (kv *KubeVersion) String/GitVersion: `{{ .Capabilities.KubeVersion }}`
    # prints v1.36.0, `printf "%v"`/`toString`/`print` print {v1.36.0 v1.36.0 1 36}
    go_pointer_methods = frozenset({"String", "GitVersion"})

    def __init__(self, version: str, normalized: str, major: str, minor: str) -> None:
        self.Version = version
        self.normalizedVersion = normalized
        self.Major = major
        self.Minor = minor

    def String(self) -> str:  # noqa: N802 - the normalized version, for constraint checks
        return self.normalizedVersion or self.Version

    def GitVersion(self) -> str:  # noqa: N802
        return self.Version

    def go_json(self) -> dict[str, str]:
        return jsongo.Struct(Version=self.Version, Major=self.Major, Minor=self.Minor)


_KUBE_VERSION = r"\s*v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?([-+].*)?\s*"


def parse_kube_version(v: str) -> KubeVersion:
    """common.ParseKubeVersion (k8s version.ParseGeneric)."""
    parts = (v[1:] if v[:1] == "v" else v).split(".")
    if 2 <= len(parts) <= 3 and all(p.isascii() and p.isdigit() for p in parts):
        # v1.36.0 (the default: a fresh `helm template` compiles no pattern for it)
        major, minor, patch = parts[0], parts[1], parts[2] if len(parts) == 3 else "0"
    else:
        import re

        m = re.fullmatch(_KUBE_VERSION, v)
        if not m:
            raise ValueError(f'could not parse "{v}" as version')
        major, minor, patch = m.group(1), m.group(2), m.group(3) or "0"
    for part in (major, minor, patch):
        if len(part) > 1 and part[0] == "0":
            raise ValueError(f'illegal zero-prefixed version component "{part}" in "{v}"')
    normalized = f"v{int(major)}.{int(minor)}.{int(patch)}"
    version = v if v.startswith("v") else "v" + v
    return KubeVersion(version, normalized, str(int(major)), str(int(minor)))


class VersionSet(StringList, GoStruct):
    """common.VersionSet: a []string with a Has method."""

    go_type_name = "common.VersionSet"
    go_kind = "slice"

    @signature("string")
    def Has(self, apiVersion: str) -> bool:  # noqa: N802,N803
        return apiVersion in self


class Capabilities(GoStruct):
    go_type_name = "*common.Capabilities"
    go_fields = ("KubeVersion", "APIVersions", "HelmVersion")

    def __init__(
        self, kube_version: KubeVersion | None = None, extra_apis: list[str] | None = None
    ) -> None:
        self.KubeVersion = kube_version or parse_kube_version(DEFAULT_KUBE_VERSION)
        self.APIVersions = VersionSet(list(DEFAULT_API_VERSIONS) + list(extra_apis or []))
        self.HelmVersion = HelmVersion()

    def go_json(self) -> dict[str, Any]:
        return jsongo.Struct(
            KubeVersion=self.KubeVersion.go_json(),
            APIVersions=list(self.APIVersions),
            HelmVersion=self.HelmVersion.go_json(),
        )


def helm_funcs() -> dict[str, Callable[..., Any]]:
    """Helm's additions to Sprig (context-free ones)."""
    return {
        "toToml": to_toml,
        "mustToToml": must_to_toml,
        "fromToml": from_toml,
        "toYaml": to_yaml,
        "mustToYaml": must_to_yaml,
        "toYamlPretty": to_yaml_pretty,
        "fromYaml": from_yaml,
        "fromYamlArray": from_yaml_array,
        "toJson": to_json,
        "mustToJson": must_to_json,
        "fromJson": from_json,
        "fromJsonArray": from_json_array,
        "lookup": lookup,
    }
