"""`helm lint`: Helm 4's lint rules (pkg/chart/v2/lint/rules) and output."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

from polystack.helm.chart.chart import API_V1, API_V2, ChartError, Metadata, load, load_dir
from polystack.helm.encoding import jsongo, yamlgo
from polystack.helm.golang.types import type_of

INFO, WARNING, ERROR = 1, 2, 3
_SEV = {0: "UNKNOWN", INFO: "INFO", WARNING: "WARNING", ERROR: "ERROR"}


@dataclass(slots=True)
class Message:
    severity: int
    path: str
    err: str

    def __str__(self) -> str:
        return f"[{_SEV[self.severity]}] {self.path}: {self.err}"


@dataclass
class Linter:
    chart_dir: str
    messages: list[Message] = field(default_factory=list)

    def rule(self, severity: int, path: str, err: str | None) -> bool:
        if err:
            self.messages.append(Message(severity, path, err))
        return not err


# ---------------------------------------------------------------- Chart.yaml

_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
_KNOWN_FIELDS = {
    "name", "home", "sources", "version", "description", "keywords", "maintainers", "icon",
    "apiVersion", "condition", "tags", "appVersion", "deprecated", "annotations",
    "kubeVersion", "dependencies", "type",
}  # fmt: skip


def _is_request_url(s: str) -> bool:
    from urllib.parse import urlparse

    try:
        u = urlparse(s)
    except ValueError:
        return False
    return bool(u.scheme) and (bool(u.netloc) or u.scheme in ("mailto", "file"))


def _is_url(s: str) -> bool:
    if not s or len(s) >= 2083 or s.startswith(".") or " " in s:
        return False
    t = s if "://" in s else "http://" + s
    from urllib.parse import urlparse

    try:
        u = urlparse(t)
    except ValueError:
        return False
    host = u.hostname or ""
    return bool(host) and not host.startswith(".") and "." in host or host == "localhost"


def lint_chartfile(ln: Linter) -> None:
    name = "Chart.yaml"
    path = os.path.join(ln.chart_dir, name)
    if os.path.isdir(path):
        ln.rule(ERROR, name, "should be a file, not a directory")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        data = yamlgo.unmarshal_map(raw)
        md = Metadata.from_dict(data)
    except (OSError, yamlgo.EncodingError) as e:
        msg = str(e)
        if isinstance(e, FileNotFoundError):
            msg = f"open {path}: no such file or directory"
        ln.rule(ERROR, name, f"unable to parse YAML\n\t{msg}")
        return
    unknown = [k for k in data if k not in _KNOWN_FIELDS]
    if unknown:
        ln.rule(
            WARNING,
            name,
            "failed to strictly parse chart metadata file\n\terror unmarshaling JSON: while"
            f' decoding JSON: json: unknown field "{unknown[0]}"',
        )
    if not md.name:
        ln.rule(ERROR, name, "name is required")
    elif os.path.basename(md.name) != md.name:
        ln.rule(ERROR, name, f'chart name "{md.name}" is invalid')
    if not md.api_version:
        ln.rule(ERROR, name, 'apiVersion is required. The value must be either "v1" or "v2"')
    elif md.api_version not in (API_V1, API_V2):
        ln.rule(
            ERROR,
            name,
            f'apiVersion \'{md.api_version}\' is not valid. The value must be either "v1" or "v2"',
        )
    for key in ("version",):
        if key in data and not isinstance(data[key], str):
            ln.rule(
                ERROR,
                name,
                f"{key} should be of type string but it's of type {type_of(data[key])}",
            )
    ln.rule(ERROR, name, _validate_version(md.version))
    if "appVersion" in data and not isinstance(data["appVersion"], str):
        ln.rule(
            ERROR,
            name,
            f"appVersion should be of type string but it's of type {type_of(data['appVersion'])}",
        )
    for m in md.maintainers:
        if not m.name:
            ln.rule(ERROR, name, "each maintainer requires a name")
            break
        if m.email and not _EMAIL.match(m.email):
            ln.rule(ERROR, name, f"invalid email '{m.email}' for maintainer '{m.name}'")
            break
        if m.url and not _is_url(m.url):
            ln.rule(ERROR, name, f"invalid url '{m.url}' for maintainer '{m.name}'")
            break
    for s in md.sources:
        if not s or not _is_request_url(s):
            ln.rule(ERROR, name, f"invalid source URL '{s}'")
            break
    if not md.icon:
        ln.rule(INFO, name, "icon is recommended")
    elif not _is_request_url(md.icon):
        ln.rule(ERROR, name, f"invalid icon URL '{md.icon}'")
    if md.type and md.api_version != API_V2:
        ln.rule(
            ERROR,
            name,
            f"chart type is not valid in apiVersion '{md.api_version}'. It is valid in apiVersion"
            " 'v2'",
        )
    if md.dependencies and md.api_version != API_V2:
        ln.rule(
            ERROR,
            name,
            "dependencies are not valid in the Chart file with apiVersion"
            f" '{md.api_version}'. They are valid in apiVersion 'v2'",
        )
    if not _strict_semver(md.version):
        ln.rule(WARNING, name, f"version '{md.version}' is not a valid SemVerV2")


def _validate_version(v: str) -> str | None:
    from polystack.helm.chart.chart import is_valid_semver

    if not v:
        return "version is required"
    if not is_valid_semver(v):
        return f"version '{v}' is not a valid SemVer"
    try:
        from polystack.helm.encoding.semver import Constraints, Version

        ok, msgs = Constraints.parse(">0.0.0-0").validate(Version.parse(v))
        if not ok and msgs:
            return f"version {msgs[0]}"
    except Exception:  # noqa: BLE001 - semver module still changing
        return None
    return None


_STRICT = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)


def _strict_semver(v: str) -> bool:
    return bool(_STRICT.fullmatch(v))


# ---------------------------------------------------------------- values.yaml


def lint_values(ln: Linter, overrides: dict[str, Any], skip_schema: bool) -> None:
    from polystack.helm.chart.chart import load_values
    from polystack.helm.chart.schema import validate_single
    from polystack.helm.chart.values import coalesce_tables

    name = "values.yaml"
    vf = os.path.join(ln.chart_dir, name)
    if not ln.rule(INFO, name, None if os.path.exists(vf) else "file does not exist"):
        return
    try:
        with open(vf, "rb") as fh:
            values = load_values(fh.read())
    except (OSError, ChartError) as e:
        msg = str(e).removeprefix("cannot unmarshal yaml document: ")
        msg = msg.replace(
            "Go value of type map[string]interface {}", "Go value of type common.Values"
        )
        ln.rule(ERROR, name, f"unable to parse YAML: {msg}")
        return
    coalesced = coalesce_tables({}, _copy(overrides)) or {}
    coalesced = coalesce_tables(coalesced, values) or {}
    schema_path = os.path.join(ln.chart_dir, "values.schema.json")
    try:
        with open(schema_path, "rb") as fh:
            schema = fh.read()
    except OSError:
        return
    if not schema or skip_schema:
        return
    ln.rule(ERROR, name, validate_single(coalesced, schema) or None)


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


# ---------------------------------------------------------------- templates

_DNS1123_SUB = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUB_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or"
    " '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used"
    " for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and"
    " must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex"
    " used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an"
    " alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or"
    " 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def _dns_subdomain(n: str) -> list[str]:
    errs = []
    if len(n) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUB.fullmatch(n):
        errs.append(_SUB_MSG)
    return errs


def _dns_label(n: str) -> list[str]:
    errs = []
    if len(n) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.fullmatch(n):
        errs.append(_LABEL_MSG)
    return errs


def _dns1035(n: str) -> list[str]:
    errs = []
    if len(n) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035.fullmatch(n):
        errs.append(_1035_MSG)
    return errs


def _path_segment(n: str) -> list[str]:
    if n in (".", ".."):
        return [f"may not be '{n}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in n]


def _name_validator(kind: str) -> Any:
    k = kind.lower()
    if k == "service":
        return _dns1035
    if k == "namespace":
        return _dns_label
    if k == "certificatesigningrequest":
        return lambda n: []
    if k in ("role", "clusterrole", "rolebinding", "clusterrolebinding"):
        return _path_segment
    return _dns_subdomain


def _validate_metadata_name(kind: str, name: str) -> str | None:
    msgs = _name_validator(kind)(name)
    if not msgs:
        return None
    q = jsongo.quote(name)
    errs = [f"metadata.name: Invalid value: {q}: {m}" for m in msgs]
    agg = errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"
    return f"object name does not conform to Kubernetes naming requirements: {q}: {agg}"


# Kubernetes API lifecycle as seen by Helm 4.2 (client-go v1.36 scheme):
# (apiVersion, kind) -> (deprecated in, removed in, replacement or "").
DEPRECATED_APIS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("policy/v1beta1", "PodDisruptionBudget"): ("1.21", "1.25", "policy/v1 PodDisruptionBudget"),
    ("batch/v1beta1", "CronJob"): ("1.21", "1.25", "batch/v1 CronJob"),
    ("networking.k8s.io/v1beta1", "Ingress"): ("1.19", "1.22", "networking.k8s.io/v1 Ingress"),
    ("networking.k8s.io/v1beta1", "IngressClass"): (
        "1.19",
        "1.22",
        "networking.k8s.io/v1 IngressClassList",
    ),
    ("extensions/v1beta1", "Ingress"): ("1.14", "1.22", "networking.k8s.io/v1 Ingress"),
    ("apps/v1beta1", "Deployment"): ("1.8", "1.16", "apps/v1 Deployment"),
    ("rbac.authorization.k8s.io/v1beta1", "Role"): (
        "1.17",
        "1.22",
        "rbac.authorization.k8s.io/v1 Role",
    ),
    ("storage.k8s.io/v1beta1", "StorageClass"): ("1.19", "1.22", "storage.k8s.io/v1 StorageClass"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): (
        "1.21",
        "1.25",
        "discovery.k8s.io/v1 EndpointSlice",
    ),
    ("events.k8s.io/v1beta1", "Event"): ("1.22", "1.25", ""),
    ("node.k8s.io/v1beta1", "RuntimeClass"): ("1.22", "1.25", ""),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"): (
        "1.29",
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1 FlowSchema",
    ),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"): (
        "1.26",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema",
    ),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"): (
        "1.23",
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema",
    ),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"): (
        "1.16",
        "1.22",
        "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration",
    ),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"): (
        "1.19",
        "1.22",
        "certificates.k8s.io/v1 CertificateSigningRequest",
    ),
    ("coordination.k8s.io/v1beta1", "Lease"): ("1.19", "1.22", "coordination.k8s.io/v1 Lease"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): (
        "1.14",
        "1.22",
        "scheduling.k8s.io/v1 PriorityClass",
    ),
    ("resource.k8s.io/v1beta1", "ResourceClaim"): ("1.35", "1.38", ""),
    ("storage.k8s.io/v1alpha1", "VolumeAttributesClass"): (
        "1.32",
        "1.35",
        "storage.k8s.io/v1 VolumeAttributesClass",
    ),
}


def _deprecation(api: str, kind: str, major: int, minor: int) -> str | None:
    d = DEPRECATED_APIS.get((api, kind))
    if d is None:
        return None
    dmaj, dmin = (int(x) for x in d[0].split("."))
    if not (major > dmaj or (major == dmaj and minor >= dmin)):
        return None
    msg = f"{api} {kind} is deprecated in v{d[0]}+, unavailable in v{d[1]}+"
    return msg + (f"; use {d[2]}" if d[2] else "")


def _yaml_documents(text: str) -> list[str]:
    """k8s YAMLOrJSONDecoder's document split (a line that is exactly '---')."""
    docs: list[str] = []
    cur: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip("\r\n").rstrip() == "---" or line.startswith("--- "):
            docs.append("".join(cur))
            cur = []
            continue
        cur.append(line)
    docs.append("".join(cur))
    return docs


def _k8s_struct(doc: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        v = yamlgo.unmarshal(doc)
    except yamlgo.EncodingError as e:
        return None, f"unable to parse YAML: {e}"
    if v is None:
        return None, None
    if not isinstance(v, dict):
        return None, (
            "unable to parse YAML: error unmarshaling JSON: while decoding JSON: json: cannot"
            f" unmarshal {yamlgo.json_kind(v)} into Go value of type rules.k8sYamlStruct"
        )
    meta = _ci(v, "metadata")
    if meta is not None and not isinstance(meta, dict):
        return None, (
            "unable to parse YAML: error unmarshaling JSON: while decoding JSON: json: cannot"
            f" unmarshal {yamlgo.json_kind(meta)} into Go struct field k8sYamlStruct.Metadata of"
            " type rules.k8sYamlMetadata"
        )
    return v, None


def _lenient_str(v: Any) -> str:
    """The k8s decoder turns JSON numbers and booleans given for string fields into text."""
    if isinstance(v, str):
        return v
    if v is None or isinstance(v, (dict, list)):
        return ""
    return jsongo.marshal(v)


def _ci(d: dict[str, Any], key: str) -> Any:
    if key in d:
        return d[key]
    for k, v in d.items():
        if k.lower() == key.lower():
            return v
    return None


def _kube_validate(obj: dict[str, Any], major: int, minor: int) -> tuple[int, str] | None:
    """Validate one manifest against the Kubernetes OpenAPI schemas (kubernetes-validate).

    A polystack extension: `helm lint` itself does not do this.
    """
    try:
        import kubernetes_validate as kv
    except ImportError:
        return ERROR, "kubernetes schema validation needs the kubernetes-validate package"
    version = f"{major}.{minor}"
    try:
        kv.validate(obj, version, strict=True)
    except kv.SchemaNotFoundError:
        latest = kv.latest_version()
        try:
            kv.validate(obj, latest, strict=True)
        except kv.SchemaNotFoundError:
            return INFO, (
                f"no Kubernetes schema for {obj.get('apiVersion')} {obj.get('kind')}; not validated"
            )
        except kv.ValidationError as e:
            return ERROR, _kv_message(e, latest)
    except kv.ValidationError as e:
        return ERROR, _kv_message(e, version)
    except Exception as e:  # noqa: BLE001 - malformed schema inputs
        return ERROR, f"kubernetes schema validation failed: {e}"
    return None


def _kv_message(e: Any, version: str) -> str:
    where = "/".join(str(p) for p in getattr(e, "absolute_path", []) or [])
    msg = getattr(e, "message", str(e)).splitlines()[0]
    return f"kubernetes {version} schema: at '/{where}': {msg}"


def lint_templates(
    ln: Linter,
    vals: dict[str, Any],
    namespace: str,
    kube_version: Any,
    skip_schema: bool,
    kube_validate: bool = False,
) -> None:
    from polystack.helm.chart import values as valuesmod
    from polystack.helm.funcs.helm import Capabilities
    from polystack.helm.render.engine import Engine, RenderError

    tdir = "templates/"
    tpath = os.path.join(ln.chart_dir, "templates")
    if not ln.rule(WARNING, tdir, None if os.path.exists(tpath) else "directory does not exist"):
        return
    if not ln.rule(ERROR, tdir, None if os.path.isdir(tpath) else "not a directory"):
        return
    try:
        ch = load(ln.chart_dir)
    except ChartError as e:
        ln.rule(ERROR, tdir, str(e))
        return
    caps = Capabilities(kube_version)
    try:
        valuesmod.process_dependencies(ch, vals)
        cvals = valuesmod.coalesce_values(ch, vals)
        top = valuesmod.to_render_values(
            ch,
            cvals,
            valuesmod.ReleaseOptions(
                name="test-release", namespace=namespace, revision=0, is_install=False
            ),
            caps,
            skip_schema,
        )
    except valuesmod.ValuesError as e:
        ln.rule(ERROR, tdir, str(e))
        return
    except ChartError:
        return
    try:
        rendered = Engine(lint_mode=True).render(ch, top)
    except RenderError as e:
        ln.rule(ERROR, tdir, str(e))
        return
    major = int(caps.KubeVersion.Major)
    minor = int(re.sub(r"\D.*", "", caps.KubeVersion.Minor) or 0)
    for t in ch.templates:
        fname = t.name
        ext = os.path.splitext(fname)[1]
        if ext not in (".yaml", ".yml", ".tpl", ".txt"):
            ln.rule(
                ERROR,
                fname,
                f"file extension '{ext}' not valid. Valid extensions are .yaml, .yml, .tpl, or"
                " .txt",
            )
        if ext.lower() not in (".yaml", ".yml"):
            continue
        content = rendered.get(f"{ch.name()}/{fname}", "")
        if not content.strip():
            continue
        ln.rule(WARNING, fname, _top_indent(content))
        for doc in _yaml_documents(content):
            obj, err = _k8s_struct(doc)
            if not ln.rule(ERROR, fname, err):
                return
            if obj is None:
                continue
            kind = _ci(obj, "kind")
            api = _ci(obj, "apiVersion")
            meta = _ci(obj, "metadata") or {}
            name = _ci(meta, "name") if isinstance(meta, dict) else None
            kind, api, name = _lenient_str(kind), _lenient_str(api), _lenient_str(name)
            ln.rule(WARNING, fname, _validate_metadata_name(kind, name))
            if api and kind:
                ln.rule(WARNING, fname, _deprecation(api, kind, major, minor))
            if kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet") and not (
                "matchLabels" in content or "matchExpressions" in content
            ):
                ln.rule(
                    ERROR,
                    fname,
                    f'a {kind} must contain matchLabels or matchExpressions, and "{name}" does not',
                )
            if kube_validate and api and kind:
                res = _kube_validate(obj, major, minor)
                if res is not None:
                    ln.rule(res[0], fname, res[1])
            if kind == "List":
                items = obj.get("items") or []
                for it in items if isinstance(items, list) else []:
                    ann = ((it or {}).get("metadata") or {}).get("annotations") or {}
                    if isinstance(ann, dict) and "helm.sh/resource-policy" in ann:
                        ln.rule(
                            ERROR,
                            fname,
                            "annotation 'helm.sh/resource-policy' within List objects are ignored",
                        )
                        break


def _top_indent(content: str) -> str | None:
    for line in content.splitlines():
        if not line.strip():
            continue
        if line.startswith((" ", "\t")):
            from polystack.helm.golang.strconv import quote

            return (
                f"document starts with an illegal indent: {quote(line)}, which may cause parsing"
                " problems"
            )
        return None
    return None


# ---------------------------------------------------------------- dependencies, CRDs


def lint_dependencies(ln: Linter) -> None:
    try:
        c = load_dir(ln.chart_dir)
    except ChartError as e:
        ln.rule(ERROR, "", f"unable to load chart\n\t{e}")
        return
    declared = {d.name for d in c.metadata.dependencies}
    missing = [d.name() for d in c.dependencies() if d.name() not in declared]
    if missing:
        ln.rule(
            ERROR,
            ln.chart_dir,
            "chart metadata is missing these dependencies: " + ",".join(missing),
        )
    seen: set[str] = set()
    shadow: list[str] = []
    for d in c.metadata.dependencies:
        key = d.alias or d.name
        if key in seen:
            shadow.append(key)
        seen.add(key)
    if shadow:
        ln.rule(
            ERROR, ln.chart_dir, "multiple dependencies with name or alias: " + ",".join(shadow)
        )
    present = {d.name() for d in c.dependencies()}
    absent = [d.name for d in c.metadata.dependencies if d.name not in present]
    if absent:
        ln.rule(
            WARNING,
            ln.chart_dir,
            "chart directory is missing these dependencies: " + ",".join(absent),
        )


def lint_crds(ln: Linter) -> None:
    cdir = os.path.join(ln.chart_dir, "crds")
    if not os.path.exists(cdir):
        return
    if not ln.rule(ERROR, "crds/", None if os.path.isdir(cdir) else "not a directory"):
        return
    try:
        ch = load(ln.chart_dir)
    except ChartError as e:
        ln.rule(ERROR, "crds/", str(e))
        return
    for name, _, data in ch.crd_objects():
        for doc in _yaml_documents(data.decode("utf-8", "replace")):
            obj, err = _k8s_struct(doc)
            if not ln.rule(ERROR, name, err):
                return
            if obj is None:
                continue
            api = _ci(obj, "apiVersion") or ""
            if not str(api).startswith("apiextensions.k8s.io"):
                ln.rule(ERROR, name, "apiVersion is not in 'apiextensions.k8s.io'")
            if _ci(obj, "kind") != "CustomResourceDefinition":
                ln.rule(ERROR, name, "object kind is not 'CustomResourceDefinition'")


# ---------------------------------------------------------------- runner


def lint_chart(
    path: str,
    vals: dict[str, Any],
    namespace: str = "default",
    kube_version: Any = None,
    skip_schema: bool = False,
    kube_validate: bool = False,
) -> Linter:
    """lint.RunAll for one chart directory or archive."""
    tmp = None
    chart_path = path
    if path.endswith((".tgz", ".tar.gz")):
        from polystack.helm.chart.chart import archive_files

        tmp = tempfile.mkdtemp(prefix="helm-lint-")
        with open(path, "rb") as fh:
            files = archive_files(fh.read())
        base = os.path.join(tmp, "chart")
        for f in files:
            target = os.path.join(base, f.name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as out:
                out.write(f.data)
        chart_path = base
    try:
        if not os.path.exists(os.path.join(chart_path, "Chart.yaml")):
            raise ChartError(
                "unable to check Chart.yaml file in chart: stat "
                f"{os.path.join(chart_path, 'Chart.yaml')}: no such file or directory"
            )
        ln = Linter(os.path.abspath(chart_path))
        lint_chartfile(ln)
        lint_values(ln, vals, skip_schema)
        lint_templates(ln, _copy(vals), namespace, kube_version, skip_schema, kube_validate)
        lint_dependencies(ln)
        lint_crds(ln)
        return ln
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _subchart_paths(path: str) -> list[str]:
    out: list[str] = []
    cdir = os.path.join(path, "charts")
    for dirpath, dirs, files in os.walk(cdir):
        dirs.sort()  # filepath.Walk visits entries in lexical order
        for f in sorted(files):
            full = os.path.join(dirpath, f)
            if f == "Chart.yaml":
                out.append(dirpath)
            elif f.endswith(".tgz"):
                out.append(full)
    return out


def run_lint(
    paths: list[str],
    vals: dict[str, Any],
    *,
    strict: bool = False,
    with_subcharts: bool = False,
    quiet: bool = False,
    namespace: str = "default",
    kube_version: str = "",
    skip_schema_validation: bool = False,
    kube_validate: bool = False,
) -> tuple[str, str]:
    """The `helm lint` command: (stdout, error message or '')."""
    from polystack.helm.funcs.helm import parse_kube_version

    kv = None
    if kube_version:
        try:
            kv = parse_kube_version(kube_version)
        except ValueError as e:
            return "", f"invalid kube version '{kube_version}': {e}"
    all_paths = list(paths)
    if with_subcharts:
        for p in paths:
            all_paths.extend(_subchart_paths(p))
    lowest = WARNING if strict else ERROR
    out: list[str] = []
    failed = 0
    errors_or_warnings = 0
    for p in all_paths:
        errors: list[str] = []
        messages: list[Message] = []
        try:
            ln = lint_chart(p, vals, namespace, kv, skip_schema_validation, kube_validate)
            messages = ln.messages
            errors = [m.err for m in messages if m.severity >= lowest]
        except ChartError as e:
            errors = [str(e)]
        has = any(m.severity > INFO for m in messages) or bool(errors)
        if has:
            errors_or_warnings += 1
        if quiet and not has:
            continue
        out.append(f"==> Linting {p}\n")
        if not messages:
            out.extend(f"Error {e}\n" for e in errors)
        for m in messages:
            if not quiet or m.severity > INFO:
                out.append(f"{m}\n")
        if errors:
            failed += 1
        out.append("\n")
    summary = f"{len(all_paths)} chart(s) linted, {failed} chart(s) failed"
    if failed:
        return "".join(out), summary
    if not quiet or errors_or_warnings:
        out.append(summary + "\n")
    return "".join(out), ""
