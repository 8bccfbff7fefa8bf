"""Helm's pkg/release/v1/util as `helm template` uses it: SplitManifests,
SortManifests (hooks and InstallOrder) and the SimpleHead each manifest is read
into, with Helm's YAML error texts."""

from __future__ import annotations

import marshal
import os

from polystack.helm.golang.lazymod import LazyModule
from polystack.helm.golang.log import get_logger
from polystack.helm.render.engine import RenderError
from polystack.helm.render.heads import scan_head

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from polystack.helm.encoding import yamlgo
else:  # PyYAML's modules, imported when first needed
    yamlgo = LazyModule("polystack.helm.encoding.yamlgo")

log = get_logger(__name__)

INSTALL_ORDER = (
    "PriorityClass Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy"
    " PodDisruptionBudget ServiceAccount Secret SecretList ConfigMap StorageClass"
    " PersistentVolume PersistentVolumeClaim CustomResourceDefinition ClusterRole"
    " ClusterRoleList ClusterRoleBinding ClusterRoleBindingList Role RoleList RoleBinding"
    " RoleBindingList Service DaemonSet Pod ReplicationController ReplicaSet Deployment"
    " HorizontalPodAutoscaler StatefulSet Job CronJob IngressClass Ingress APIService"
    " MutatingWebhookConfiguration ValidatingWebhookConfiguration"
).split()
_KIND_RANK = {k: i for i, k in enumerate(INSTALL_ORDER)}

HOOK_EVENTS = {
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
}
# Helm's separator, as a regular expression (compiled when first asked for: split_manifests
# does not use it, the tests compare with it)
_SEP_PATTERN = r"(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*"


def __getattr__(name: str) -> Any:
    if name == "_SEP":
        import re

        return re.compile(_SEP_PATTERN)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


NOTES_SUFFIX = "NOTES.txt"


_SPACE = frozenset(" \t\n\f\r")  # Go's \s


def split_manifests(big: str) -> list[str]:
    r"""releaseutil.SplitManifests, in document order: split at Helm's separator
    ``(?:^|\s*\n)---\s*`` (_SEP).

    Found with str.find rather than the regex: Python's backtracking retries
    ``\s*\n`` from every character of a run of white space, which made this a
    tenth of a `helm template` run on charts with deeply indented text."""
    text = big.lstrip()
    docs: list[str] = []
    pos = 0  # where the current document starts
    if text.startswith("---"):  # the ^ alternative
        docs.append("")
        pos = _skip_space(text, 3)
    n = pos
    while True:
        i = text.find("\n---", n)
        if i < 0:
            break
        start = i  # the leftmost match starts where the white space before "\n" does
        while start > pos and text[start - 1] in _SPACE:
            start -= 1
        docs.append(text[pos:start])
        pos = n = _skip_space(text, i + 4)
    docs.append(text[pos:])
    return [d.lstrip() for d in docs if d != ""]


def _skip_space(text: str, i: int) -> int:
    end = len(text)
    while i < end and text[i] in _SPACE:
        i += 1
    return i


class Manifest:
    __slots__ = ("name", "content", "kind", "version")

    def __init__(self, name: str, content: str, kind: str, version: str) -> None:
        self.name = name
        self.content = content
        self.kind = kind
        self.version = version

    def __repr__(self) -> str:
        return f"Manifest(name={self.name!r}, content={self.content!r}, kind={self.kind!r}, version={self.version!r})"


class Hook:
    __slots__ = ("name", "kind", "path", "manifest", "events", "weight", "delete_policies")

    def __init__(
        self,
        name: str,
        kind: str,
        path: str,
        manifest: str,
        events: list[str],
        weight: int,
        delete_policies: list[str],
    ) -> None:
        self.name = name
        self.kind = kind
        self.path = path
        self.manifest = manifest
        self.events = events
        self.weight = weight
        self.delete_policies = delete_policies

    def __repr__(self) -> str:
        return f"Hook(name={self.name!r}, kind={self.kind!r}, path={self.path!r}, manifest={self.manifest!r}, events={self.events!r}, weight={self.weight!r}, delete_policies={self.delete_policies!r})"


def _ci_get(d: dict[str, Any], key: str) -> tuple[bool, Any]:
    if key in d:
        return True, d[key]
    low = key.lower()
    for k, v in d.items():
        if k.lower() == low:
            return True, v
    return False, None


def _simple_head(path: str, m: str) -> tuple[str, str, str, dict[str, str] | None]:
    """Unmarshal a manifest into releaseutil.SimpleHead: (version, kind, name, annotations).
    Plain block YAML is read by a line scanner (heads.py), the rest parsed."""
    head = scan_head(m)
    if head is not None:
        return head
    return _parse_head(path, m)


def _parse_head(path: str, m: str) -> tuple[str, str, str, dict[str, str] | None]:
    """_simple_head by the full parse (Go's errors included)."""

    def bad(field: str, v: Any) -> RenderError:
        return RenderError(
            f"YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json:"
            f" cannot unmarshal {yamlgo.json_kind(v)} into Go struct field {field} of type string"
        )

    try:
        doc = yamlgo.unmarshal(m)
    except yamlgo.EncodingError as e:
        raise RenderError(f"YAML parse error on {path}: {e}") from None
    if doc is None:
        return "", "", "", None
    if not isinstance(doc, dict):
        raise RenderError(
            f"YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json:"
            f" cannot unmarshal {yamlgo.json_kind(doc)} into Go value of type util.SimpleHead"
        )
    _, version = _ci_get(doc, "apiVersion")
    _, kind = _ci_get(doc, "kind")
    for fname, v in (("SimpleHead.apiVersion", version), ("SimpleHead.kind", kind)):
        if v is not None and not isinstance(v, str):
            raise bad(fname, v)
    _, meta = _ci_get(doc, "metadata")
    name, ann = "", None
    if meta is not None:
        if not isinstance(meta, dict):
            raise RenderError(
                f"YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json:"
                f" cannot unmarshal {yamlgo.json_kind(meta)} into Go struct field SimpleHead.metadata"
                ' of type struct { Name string "json:\\"name\\""; Annotations'
                ' map[string]string "json:\\"annotations\\"" }'
            )
        _, name = _ci_get(meta, "name")
        if name is not None and not isinstance(name, str):
            raise bad("SimpleHead.metadata.name", name)
        _, a = _ci_get(meta, "annotations")
        if a is not None:
            if not isinstance(a, dict):
                raise RenderError(
                    f"YAML parse error on {path}: error unmarshaling JSON: while decoding JSON:"
                    f" json: cannot unmarshal {yamlgo.json_kind(a)} into Go struct field"
                    " SimpleHead.metadata.annotations of type map[string]string"
                )
            for av in a.values():
                if av is not None and not isinstance(av, str):
                    raise bad("SimpleHead.metadata.annotations", av)
            ann = {k: (v or "") for k, v in a.items()}
    return version or "", kind or "", name or "", ann


def _kind_key(kind: str) -> tuple[int, str]:
    r = _KIND_RANK.get(kind)
    return (0, f"{r:04d}") if r is not None else (1, kind)


Head = tuple[str, str, str, "dict[str, str] | None"]
# the modules whose code decides what _simple_head returns for a document
_HEAD_SOURCES = (
    "render/manifests.py",
    "render/heads.py",
    "encoding/yamlgo.py",
    "encoding/yamlload.py",
    "encoding/yamlresolve.py",
    "encoding/yamlorder.py",
)
_HEADS_ID: bytes | None = None


def _heads_id() -> bytes:
    """polystack's version and the identity (modification times and sizes) of the
    source files of the code that reads SimpleHeads (diskcache.sources_stamp)."""
    global _HEADS_ID
    if _HEADS_ID is None:
        from polystack import __version__
        from polystack.helm.template.diskcache import blake2b, sources_stamp

        h = blake2b(b"heads\0" + __version__.encode(), digest_size=16)
        helm_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sources_stamp(h, helm_dir, _HEAD_SOURCES)
        _HEADS_ID = h.digest()
    return _HEADS_ID


def _heads(docs: list[tuple[str, str]], cache: Any) -> list[Head]:
    """The SimpleHead of each (path, manifest). With an on-disk cache
    (template.diskcache.TreeCache) the heads of the same documents read by an
    earlier run are reused: a second `helm template` parses no output YAML. The
    entry is keyed by the documents' lengths and CRC-32s and keeps the documents,
    used only when they are the ones read now. Only successful reads are stored
    (a document Helm rejects is parsed again, for its error)."""
    if cache is None:
        return [_simple_head(path, m) for path, m in docs]
    from polystack.helm.template.diskcache import blake2b, fingerprint

    texts = [m for _path, m in docs]
    h = blake2b(_heads_id(), digest_size=20)
    for m in texts:
        fingerprint(h, m.encode("utf-8", "surrogatepass"))
    key = "heads-" + h.hexdigest()
    body = cache.get_blob(key)
    if body is not None:
        try:
            stored, heads = marshal.loads(body)
        except (EOFError, ValueError, TypeError):
            stored = heads = None
        if stored == texts and isinstance(heads, list) and len(heads) == len(docs):
            return heads
    heads = [_simple_head(path, m) for path, m in docs]
    cache.put_blob(key, marshal.dumps((texts, heads)))
    return heads


def sort_manifests(files: dict[str, str], cache: Any = None) -> tuple[list[Hook], list[Manifest]]:
    """releaseutil.SortManifests with InstallOrder. ``cache``: an on-disk cache
    of the documents' heads (see _heads), or None."""
    hooks: list[Hook] = []
    generic: list[Manifest] = []
    docs: list[tuple[str, str]] = []
    for path in sorted(files):
        content = files[path]
        if path.rsplit("/", 1)[-1].startswith("_"):
            continue
        if content.strip() == "":
            continue
        docs.extend((path, m) for m in split_manifests(content))
    for (path, m), (version, kind, name, ann) in zip(docs, _heads(docs, cache), strict=True):
        if not ann or "helm.sh/hook" not in ann:
            generic.append(Manifest(path, m, kind, version))
            continue
        try:
            weight = int(ann.get("helm.sh/hook-weight", "").strip() or "x")
        except ValueError:
            weight = 0
        events: list[str] = []
        unknown = False
        for ht in ann["helm.sh/hook"].split(","):
            ht = ht.strip().lower()
            if ht not in HOOK_EVENTS:
                unknown = True
                break
            events.append("test" if ht == "test-success" else ht)
        if unknown:
            log.info("skipping unknown hooks: %s", ann["helm.sh/hook"])
            continue
        dps = [
            p.strip().lower()
            for p in ann.get("helm.sh/hook-delete-policy", "").split(",")
            if "helm.sh/hook-delete-policy" in ann
        ]
        hooks.append(Hook(name, kind, path, m, events, weight, dps))
    generic.sort(key=lambda m: _kind_key(m.kind))
    hooks.sort(key=lambda h: _kind_key(h.kind))
    return hooks, generic
