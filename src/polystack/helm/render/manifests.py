"""Helm's pkg/release/v1/util as `helm template` uses it: SplitManifests,
SortManifests (hooks and InstallOrder) and the SimpleHead each manifest is read
into, with Helm's YAML error texts."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from polystack.helm.encoding import yamlgo
from polystack.helm.render.engine import RenderError

log = logging.getLogger(__name__)

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
_SEP = re.compile(r"(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*")
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


@dataclass(slots=True)
class Manifest:
    name: str
    content: str
    kind: str
    version: str


@dataclass(slots=True)
class Hook:
    name: str
    kind: str
    path: str
    manifest: str
    events: list[str]
    weight: int
    delete_policies: list[str]


def _ci_get(d: dict[str, Any], key: str) -> tuple[bool, Any]:
    if key in d:
        return True, d[key]
    low = key.lower()
    for k, v in d.items():
        if k.lower() == low:
            return True, v
    return False, None


def _simple_head(path: str, m: str) -> tuple[str, str, str, dict[str, str] | None]:
    """Unmarshal a manifest into releaseutil.SimpleHead: (version, kind, name, annotations)."""

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


def sort_manifests(files: dict[str, str]) -> tuple[list[Hook], list[Manifest]]:
    """releaseutil.SortManifests with InstallOrder."""
    hooks: list[Hook] = []
    generic: list[Manifest] = []
    for path in sorted(files):
        content = files[path]
        if path.rsplit("/", 1)[-1].startswith("_"):
            continue
        if content.strip() == "":
            continue
        for m in split_manifests(content):
            version, kind, name, ann = _simple_head(path, m)
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
