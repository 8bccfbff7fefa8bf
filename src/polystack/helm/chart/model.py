"""Helm's chart model (pkg/chart/v2): a chart's metadata (Chart.yaml), its
dependencies, lock, files, values and subcharts. Loading is chart/chart.py's."""

from __future__ import annotations

import os

from polystack.helm.golang.strconv import format_float_g
from polystack.helm.golang.types import StringMap

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

API_V1 = "v1"
API_V2 = "v2"


class ChartError(Exception):
    """A chart that cannot be loaded or is invalid; the text is Helm's."""


class File:
    """A file of a chart: its path in the chart and its bytes."""

    __slots__ = ("name", "data")

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data

    def __repr__(self) -> str:
        return f"File(name={self.name!r}, data=<{len(self.data)} bytes>)"


class Maintainer:
    __slots__ = ("name", "email", "url")

    def __init__(self, name: str = "", email: str = "", url: str = "") -> None:
        self.name = name
        self.email = email
        self.url = url

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Maintainer):
            return NotImplemented
        return (self.name, self.email, self.url) == (other.name, other.email, other.url)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return f"Maintainer(name={self.name!r}, email={self.email!r}, url={self.url!r})"

    def go_map(self) -> dict[str, Any]:
        return {"Email": self.email, "Name": self.name, "URL": self.url}

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.email:
            out["email"] = self.email
        if self.url:
            out["url"] = self.url
        return out


class Dependency:
    __slots__ = (
        "name",
        "version",
        "repository",
        "condition",
        "tags",
        "enabled",
        "import_values",
        "alias",
    )

    def __init__(
        self,
        name: str = "",
        version: str = "",
        repository: str = "",
        condition: str = "",
        tags: list[str] | None = None,
        enabled: bool = False,
        import_values: list[Any] | None = None,
        alias: str = "",
    ) -> None:
        self.name = name
        self.version = version
        self.repository = repository
        self.condition = condition
        self.tags: list[str] = [] if tags is None else tags
        self.enabled = enabled
        self.import_values: list[Any] = [] if import_values is None else import_values
        self.alias = alias

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in Dependency.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dependency):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in Dependency.__slots__)
        return f"Dependency({fields})"

    def go_map(self) -> dict[str, Any]:
        return {
            "Alias": self.alias,
            "Condition": self.condition,
            "Enabled": self.enabled,
            "ImportValues": list(self.import_values),
            "Name": self.name,
            "Repository": self.repository,
            "Tags": list(self.tags),
            "Version": self.version,
        }

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.version:
            out["version"] = self.version
        out["repository"] = self.repository
        if self.condition:
            out["condition"] = self.condition
        if self.tags:
            out["tags"] = list(self.tags)
        if self.enabled:
            out["enabled"] = True
        if self.import_values:
            out["import-values"] = list(self.import_values)
        if self.alias:
            out["alias"] = self.alias
        return out

    def copy(self) -> Dependency:
        return Dependency(
            self.name,
            self.version,
            self.repository,
            self.condition,
            list(self.tags),
            self.enabled,
            list(self.import_values),
            self.alias,
        )


# sanitizeString's control characters ([\x00-\x08\x0b-\x1f\x7f]), removed by
# str.translate (no pattern compiled by a fresh `helm template`)
_CONTROL = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])


def _s(v: Any) -> str:
    """A Chart.yaml string field, as Helm's tolerant decoding gives it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_float_g(v)
    if isinstance(v, str):
        return v
    return str(v)


def _slist(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list):
        return [_s(x) for x in v]
    return [_s(v)]


class Metadata:
    """Chart.yaml (chart.Metadata)."""

    __slots__ = (
        "name",
        "home",
        "sources",
        "version",
        "description",
        "keywords",
        "maintainers",
        "icon",
        "api_version",
        "condition",
        "tags",
        "app_version",
        "deprecated",
        "annotations",
        "annotations_nil",
        "kube_version",
        "dependencies",
        "type",
    )

    def __init__(
        self,
        name: str = "",
        home: str = "",
        sources: list[str] | None = None,
        version: str = "",
        description: str = "",
        keywords: list[str] | None = None,
        maintainers: list[Maintainer] | None = None,
        icon: str = "",
        api_version: str = "",
        condition: str = "",
        tags: str = "",
        app_version: str = "",
        deprecated: bool = False,
        annotations: dict[str, str] | None = None,
        annotations_nil: bool = True,
        kube_version: str = "",
        dependencies: list[Dependency] | None = None,
        type: str = "",  # noqa: A002 - Chart.yaml's field
    ) -> None:
        self.name = name
        self.home = home
        self.sources: list[str] = [] if sources is None else sources
        self.version = version
        self.description = description
        self.keywords: list[str] = [] if keywords is None else keywords
        self.maintainers: list[Maintainer] = [] if maintainers is None else maintainers
        self.icon = icon
        self.api_version = api_version
        self.condition = condition
        self.tags = tags
        self.app_version = app_version
        self.deprecated = deprecated
        self.annotations: dict[str, str] = {} if annotations is None else annotations
        self.annotations_nil = annotations_nil
        self.kube_version = kube_version
        self.dependencies: list[Dependency] = [] if dependencies is None else dependencies
        self.type = type

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in Metadata.__slots__)

    def copy(self) -> Metadata:
        """A shallow copy (the lists and maps are shared)."""
        md = Metadata.__new__(Metadata)
        for k in Metadata.__slots__:
            setattr(md, k, getattr(self, k))
        return md

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Metadata):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in Metadata.__slots__)
        return f"Metadata({fields})"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Metadata:
        md = cls(
            name=_s(d.get("name")),
            home=_s(d.get("home")),
            sources=_slist(d.get("sources")),
            version=_s(d.get("version")),
            description=_s(d.get("description")),
            keywords=_slist(d.get("keywords")),
            icon=_s(d.get("icon")),
            api_version=_s(d.get("apiVersion")),
            condition=_s(d.get("condition")),
            tags=_s(d.get("tags")),
            app_version=_s(d.get("appVersion")),
            deprecated=bool(d.get("deprecated") or False),
            kube_version=_s(d.get("kubeVersion")),
            type=_s(d.get("type")),
        )
        for m in d.get("maintainers") or []:
            if isinstance(m, dict):
                md.maintainers.append(
                    Maintainer(_s(m.get("name")), _s(m.get("email")), _s(m.get("url")))
                )
        ann = d.get("annotations")
        if isinstance(ann, dict):
            md.annotations = {str(k): _s(v) for k, v in ann.items()}
            md.annotations_nil = False
        md.dependencies = parse_dependencies(d.get("dependencies"))
        return md

    def validate(self) -> None:
        for f in ("name", "home", "version", "description", "icon", "api_version"):
            setattr(self, f, getattr(self, f).translate(_CONTROL))
        if not self.api_version:
            raise ChartError("validation: chart.metadata.apiVersion is required")
        if not self.name:
            raise ChartError("validation: chart.metadata.name is required")
        if self.name != os.path.basename(self.name) or self.name in (".", ".."):
            raise ChartError(f'validation: chart.metadata.name "{self.name}" is invalid')
        if not self.version:
            raise ChartError("validation: chart.metadata.version is required")
        if not is_valid_semver(self.version):
            raise ChartError(f'validation: chart.metadata.version "{self.version}" is invalid')
        if self.type not in ("", "application", "library"):
            raise ChartError("validation: chart.metadata.type must be application or library")
        for m in self.maintainers:
            if not m.name:
                raise ChartError("validation: each maintainer requires a name")
        seen: set[str] = set()
        for dep in self.dependencies:
            if dep.alias and not _ALIAS_CHARS.issuperset(dep.alias):
                raise ChartError(
                    f'validation: dependency "{dep.name}" has disallowed characters in the alias'
                )
            if not dep.name:
                raise ChartError("validation: dependencies must have a name")
            key = dep.alias or dep.name
            if key in seen:
                raise ChartError(f'validation: more than one dependency with name or alias "{key}"')
            seen.add(key)

    def go_map(self, is_root: bool) -> dict[str, Any]:
        """What `.Chart` is in Helm 4 templates: a map keyed by Go field names."""
        return {
            "APIVersion": self.api_version,
            "Annotations": StringMap(self.annotations, nil=self.annotations_nil),
            "AppVersion": self.app_version,
            "Condition": self.condition,
            "Dependencies": [d.go_map() for d in self.dependencies],
            "Deprecated": self.deprecated,
            "Description": self.description,
            "Home": self.home,
            "Icon": self.icon,
            "IsRoot": is_root,
            "Keywords": list(self.keywords),
            "KubeVersion": self.kube_version,
            "Maintainers": [m.go_map() for m in self.maintainers],
            "Name": self.name,
            "Sources": list(self.sources),
            "Tags": self.tags,
            "Type": self.type,
            "Version": self.version,
        }

    def json(self) -> dict[str, Any]:
        """Chart.yaml as Helm writes it (json tags, omitempty)."""
        out: dict[str, Any] = {"name": self.name}
        if self.home:
            out["home"] = self.home
        if self.sources:
            out["sources"] = list(self.sources)
        out["version"] = self.version
        if self.description:
            out["description"] = self.description
        if self.keywords:
            out["keywords"] = list(self.keywords)
        if self.maintainers:
            out["maintainers"] = [m.json() for m in self.maintainers]
        if self.icon:
            out["icon"] = self.icon
        out["apiVersion"] = self.api_version
        if self.condition:
            out["condition"] = self.condition
        if self.tags:
            out["tags"] = self.tags
        if self.app_version:
            out["appVersion"] = self.app_version
        if self.deprecated:
            out["deprecated"] = True
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.kube_version:
            out["kubeVersion"] = self.kube_version
        if self.dependencies:
            out["dependencies"] = [d.json() for d in self.dependencies]
        if self.type:
            out["type"] = self.type
        return out


def parse_dependencies(v: Any) -> list[Dependency]:
    out: list[Dependency] = []
    for d in v or []:
        if not isinstance(d, dict):
            continue
        iv = d.get("import-values") or []
        out.append(
            Dependency(
                name=_s(d.get("name")),
                version=_s(d.get("version")),
                repository=_s(d.get("repository")),
                condition=_s(d.get("condition")),
                tags=_slist(d.get("tags")),
                enabled=bool(d.get("enabled") or False),
                import_values=list(iv) if isinstance(iv, list) else [],
                alias=_s(d.get("alias")),
            )
        )
    return out


# an alias: ``[a-zA-Z0-9-_]+`` (matched by a set: no pattern compiled at load)
_ALIAS_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")
_IDENT_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")


def _is_numeric_part(p: str) -> bool:
    """``0|[1-9]\\d*`` (Python's \\d: a Unicode decimal digit)."""
    return p == "0" or (p[:1] in "123456789" and p != "" and (len(p) == 1 or p[1:].isdecimal()))


def _is_identifiers(s: str) -> bool:
    """``[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*``."""
    return all(part and all(c in _IDENT_CHARS for c in part) for part in s.split("."))


def is_valid_semver(v: str) -> bool:
    """Masterminds semver.NewVersion acceptance (loose: v prefix, missing parts):
    the whole of ``v?(0|[1-9]\\d*)(\\.(0|[1-9]\\d*))?(\\.(0|[1-9]\\d*))?(-IDS)?(\\+IDS)?``
    and no numeric prerelease identifier with a leading zero. Matched by hand (a
    regular expression costs a fresh process more to compile than every chart's
    check): identifiers never hold "+" and the core never holds "-", so the first
    "+" and the first "-" split."""
    core = v[1:] if v[:1] == "v" else v
    core, plus, meta = core.partition("+")
    if plus and not _is_identifiers(meta):
        return False
    core, dash, pre = core.partition("-")
    if dash and not _is_identifiers(pre):
        return False
    parts = core.split(".")
    if len(parts) > 3 or not all(_is_numeric_part(p) for p in parts):
        return False
    if pre:
        for part in pre.split("."):
            if part.isdigit() and len(part) > 1 and part[0] == "0":
                return False
    return True


class Lock:
    """Chart.lock (chart.Lock)."""

    __slots__ = ("generated", "digest", "dependencies")

    def __init__(
        self, generated: str = "", digest: str = "", dependencies: list[Dependency] | None = None
    ) -> None:
        self.generated = generated
        self.digest = digest
        self.dependencies: list[Dependency] = [] if dependencies is None else dependencies

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lock):
            return NotImplemented
        return (self.generated, self.digest, self.dependencies) == (
            other.generated,
            other.digest,
            other.dependencies,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return (
            f"Lock(generated={self.generated!r}, digest={self.digest!r},"
            f" dependencies={self.dependencies!r})"
        )


class Chart:
    """A loaded chart (chart.Chart): compared by identity, as Helm's *Chart."""

    __slots__ = (
        "metadata",
        "templates",
        "files",
        "values",
        "schema",
        "raw",
        "lock",
        "parent",
        "_dependencies",
        "__dict__",  # the engine and the values code keep per-chart state here
    )

    def __init__(
        self,
        metadata: Metadata,
        templates: list[File] | None = None,
        files: list[File] | None = None,
        values: dict[str, Any] | None = None,
        schema: bytes | None = None,
        raw: list[File] | None = None,
        lock: Lock | None = None,
        parent: Chart | None = None,
        _dependencies: list[Chart] | None = None,
    ) -> None:
        self.metadata = metadata
        self.templates: list[File] = [] if templates is None else templates
        self.files: list[File] = [] if files is None else files
        self.values: dict[str, Any] = {} if values is None else values
        self.schema = schema
        self.raw: list[File] = [] if raw is None else raw
        self.lock = lock
        self.parent = parent
        self._dependencies: list[Chart] = [] if _dependencies is None else _dependencies

    def __repr__(self) -> str:
        return f"<Chart {self.metadata.name!r}>"

    def name(self) -> str:
        return self.metadata.name

    def is_root(self) -> bool:
        return self.parent is None

    def dependencies(self) -> list[Chart]:
        return self._dependencies

    def set_dependencies(self, *charts: Chart) -> None:
        self._dependencies = []
        for c in charts:
            self.add_dependency(c)

    def add_dependency(self, c: Chart) -> None:
        c.parent = self
        self._dependencies.append(c)

    def chart_full_path(self) -> str:
        if self.parent is None:
            return self.name()
        return self.parent.chart_full_path() + "/charts/" + self.name()

    def chart_path(self) -> str:
        if self.parent is None:
            return self.name()
        return self.parent.chart_path() + "." + self.name()

    def is_library(self) -> bool:
        return self.metadata.type.lower() == "library"

    def crd_objects(self) -> list[tuple[str, str, bytes]]:
        """(name, filename, data) of CRDs in this chart and its subcharts."""
        out: list[tuple[str, str, bytes]] = []
        for f in self.files:
            if f.name.startswith("crds/") and _has_manifest_ext(f.name):
                out.append((f.name, self.chart_full_path() + "/" + f.name, f.data))
        for d in self._dependencies:
            out.extend(d.crd_objects())
        return out

    def shallow_copy(self) -> Chart:
        c = Chart(
            metadata=self.metadata,
            templates=self.templates,
            files=self.files,
            values=self.values,
            schema=self.schema,
            raw=self.raw,
            lock=self.lock,
            parent=self.parent,
        )
        c._dependencies = list(self._dependencies)
        return c


def _has_manifest_ext(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in (".yaml", ".yml", ".json")
