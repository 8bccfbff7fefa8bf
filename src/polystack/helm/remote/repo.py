"""Chart repositories (pkg/repo): index.yaml (`repo index`), repositories.yaml
and its entries with their credentials and TLS files, the repository cache, and
`search repo`. The commands that talk to a repository are in chartrepo.py (`repo
add|update|remove`, FindChartInRepoURL) and downloader.py (`pull`, LocateChart);
`dependency` is in dependency.py."""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from polystack.helm.chart import helmpath
from polystack.helm.chart.chart import (
    API_V1,
    ChartError,
    Metadata,
    load,
)
from polystack.helm.encoding import jsongo, yamlgo
from polystack.helm.golang.regexp import RegexpError, compile_re2
from polystack.helm.golang.strconv import format_float_g
from polystack.helm.remote.getter import GetterError, GetterOptions


class RepoError(Exception):
    pass


# ---------------------------------------------------------------- helpers


def go_now() -> str:
    """time.Now() as Go marshals it to JSON (RFC3339Nano, local zone)."""
    now = time.time_ns()
    secs, nanos = divmod(now, 1_000_000_000)
    dt = datetime.fromtimestamp(secs, UTC).astimezone()
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f".{nanos:09d}".rstrip("0").rstrip(".")
    off = dt.utcoffset()
    if not off:
        return base + frac + "Z"
    total = int(off.total_seconds()) // 60
    sign = "+" if total >= 0 else "-"
    return f"{base}{frac}{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def digest_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def url_join(base: str, *paths: str) -> str:
    u = urllib.parse.urlsplit(base)
    joined = "/".join(p for p in [u.path.rstrip("/"), *paths] if p)
    joined = re.sub(r"/+", "/", joined)
    parts: list[str] = []
    for seg in joined.split("/"):
        if seg == "..":
            if parts and parts[-1] not in ("", ".."):
                parts.pop()
            continue
        if seg == ".":
            continue
        parts.append(seg)
    path = "/".join(parts)
    if u.path.startswith("/") or u.netloc:
        path = "/" + path.lstrip("/")
    return urllib.parse.urlunsplit((u.scheme, u.netloc, path, u.query, u.fragment))


def _semver() -> Any:
    from polystack.helm.encoding import semver

    return semver


def _version_key(v: str) -> Any:
    sv = _semver()
    try:
        return sv.Version.parse(v)
    except Exception:  # noqa: BLE001
        return None


def _version_sort_key(v: str) -> Any:
    """Newest version first among equal scores and names."""
    parsed = _version_key(v)
    return _Desc(parsed) if parsed is not None else _Desc(None)


class _Desc:
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        if self.v is None or other.v is None:
            return False
        return other.v < self.v


def _check(constraint: str, version: str) -> bool:
    from polystack.helm.chart.values import is_compatible_range

    return is_compatible_range(constraint or "*", version)


def _semver_constraint_error(constraint: str) -> str:
    """The error of semver.NewConstraint, or ""."""
    try:
        _semver().Constraints.parse(constraint)
    except ValueError as e:
        return str(e)
    return ""


def http_get(url: str, opts: GetterOptions | None = None) -> bytes:
    """getter.HTTPGetter.Get; raises RepoError with Helm's text."""
    from polystack.helm.remote.getter import get

    try:
        return get(url, opts)
    except GetterError as e:
        raise RepoError(str(e)) from None


def resolve_reference_url(base: str, ref: str) -> str:
    """repo.ResolveReferenceURL: ref as is when absolute, else resolved against
    base (with a trailing `/`), keeping base's query."""
    r = urllib.parse.urlsplit(ref)
    if r.scheme:
        return ref
    b = urllib.parse.urlsplit(base)
    b = b._replace(path=b.path.rstrip("/") + "/")
    joined = urllib.parse.urlsplit(urllib.parse.urljoin(urllib.parse.urlunsplit(b), ref))
    return urllib.parse.urlunsplit(joined._replace(query=b.query))


# ---------------------------------------------------------------- index.yaml


_INDEX_FIELDS = frozenset(
    ("apiVersion", "generated", "entries", "publicKeys", "serverInfo", "annotations")
)


@dataclass
class ChartVersion:
    metadata: dict[str, Any]
    urls: list[str]
    created: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    def json(self) -> dict[str, Any]:
        out = dict(self.metadata)
        out["urls"] = list(self.urls)
        if self.created:
            out["created"] = self.created
        if self.digest:
            out["digest"] = self.digest
        return out


@dataclass
class IndexFile:
    api_version: str = "v1"
    generated: str = field(default_factory=go_now)
    entries: dict[str, list[ChartVersion]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes) -> IndexFile:
        try:
            d = yamlgo.unmarshal_map(data)
        except yamlgo.EncodingError as e:
            raise RepoError(str(e)) from None
        for k in d:  # yaml.UnmarshalStrict into repo.IndexFile
            if k not in _INDEX_FIELDS:
                raise RepoError(
                    f'error unmarshaling JSON: while decoding JSON: json: unknown field "{k}"'
                )
        if not d.get("apiVersion"):
            raise RepoError("no API version specified")
        idx = cls(api_version=str(d["apiVersion"]), generated=str(d.get("generated") or ""))
        for name, versions in (d.get("entries") or {}).items():
            out = []
            for v in versions or []:
                if not isinstance(v, dict):
                    continue
                md = {
                    k: x for k, x in v.items() if k not in ("urls", "created", "digest", "removed")
                }
                if isinstance(md.get("version"), float):
                    md["version"] = format_float_g(md["version"])
                out.append(
                    ChartVersion(
                        md,
                        list(v.get("urls") or []),
                        str(v.get("created") or ""),
                        str(v.get("digest") or ""),
                    )
                )
            idx.entries[name] = out
        for k in ("serverInfo", "publicKeys", "annotations"):
            if k in d:
                idx.extra[k] = d[k]
        idx.sort_entries()
        return idx

    def has(self, name: str, version: str) -> bool:
        return any(cv.version == version for cv in self.entries.get(name, []))

    def must_add(self, md: Metadata, filename: str, base_url: str, digest: str) -> None:
        if not md.api_version:
            md.api_version = API_V1
        md.validate()
        u = filename
        if base_url:
            u = url_join(base_url, os.path.basename(filename))
        self.entries.setdefault(md.name, []).append(ChartVersion(md.json(), [u], go_now(), digest))

    def merge(self, other: IndexFile) -> None:
        for name, cvs in other.entries.items():
            for cv in cvs:
                if not self.has(name, cv.version):
                    self.entries.setdefault(name, []).append(cv)

    def sort_entries(self) -> None:
        for name, cvs in self.entries.items():

            def key(cv: ChartVersion) -> Any:
                return _version_key(cv.version)

            parsed = [(key(cv), cv) for cv in cvs]
            ok = [p for p in parsed if p[0] is not None]
            bad = [p[1] for p in parsed if p[0] is None]
            ok.sort(key=lambda p: p[0], reverse=True)
            self.entries[name] = [p[1] for p in ok] + bad

    def get(self, name: str, constraint: str = "", devel: bool = False) -> ChartVersion:
        cvs = self.entries.get(name)
        if not cvs:
            raise RepoError("no chart name found")
        if not constraint:
            constraint = ">0.0.0-0" if devel else "*"
        for cv in cvs:
            if constraint in (cv.version, "v" + cv.version):
                return cv
            if _check(constraint, cv.version):
                return cv
        raise RepoError(f"no chart version found for {name}-{constraint}")

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "apiVersion": self.api_version,
            "entries": {k: [cv.json() for cv in v] for k, v in self.entries.items()},
            "generated": self.generated,
        }
        out.update(self.extra)
        return out

    def write(self, path: str, as_json: bool = False) -> None:
        text = (
            jsongo.marshal(self.json(), indent="  ")
            if as_json
            else yamlgo.marshal_yaml(self.json())
        )
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def index_directory(
    directory: str, url: str = "", merge: str = "", json_index: bool = False
) -> None:
    """`helm repo index`."""
    if not os.path.isdir(directory):
        raise RepoError(f"could not find {directory}: stat {directory}: no such file or directory")
    archives = sorted(
        os.path.join(dp, f)
        for dp, _, fs in os.walk(directory)
        for f in fs
        if f.endswith(".tgz") and os.path.relpath(dp, directory).count(os.sep) <= 1
    )
    idx = IndexFile()
    for arch in archives:
        rel = os.path.relpath(arch, directory).replace(os.sep, "/")
        parent, fname = os.path.split(rel)
        parent_url = url_join(url, parent) if url else parent
        try:
            c = load(arch)
        except ChartError:
            continue
        try:
            idx.must_add(c.metadata, fname, parent_url, digest_file(arch))
        except ChartError as e:
            raise RepoError(f"failed adding to {fname} to index: {e}") from None
    if merge:
        if not os.path.exists(merge):
            IndexFile().write(merge)
            other = IndexFile()
        else:
            try:  # repo.LoadIndexFile
                with open(merge, "rb") as fh:
                    other = IndexFile.parse(fh.read())
            except (OSError, RepoError) as e:
                msg = e.strerror if isinstance(e, OSError) else str(e)
                raise RepoError(f"merge failed: error loading {merge}: {msg}") from None
        idx.merge(other)
    idx.sort_entries()
    idx.write(os.path.join(directory, "index.yaml"), as_json=json_index)


# ---------------------------------------------------------------- repositories.yaml


def helm_dirs() -> tuple[str, str]:
    """(repositories.yaml, repository cache): HELM_REPOSITORY_CONFIG and
    HELM_REPOSITORY_CACHE, else the XDG/Helm home defaults."""
    cfg = os.environ.get("HELM_REPOSITORY_CONFIG") or helmpath.config_path("repositories.yaml")
    cache = os.environ.get("HELM_REPOSITORY_CACHE") or helmpath.cache_path("repository")
    return cfg, cache


@dataclass
class Entry:
    """repo.Entry: one repository of repositories.yaml, with what `repo add` stored
    for it (credentials, client certificate, CA bundle, TLS and credential flags)."""

    name: str = ""
    url: str = ""
    username: str = ""
    password: str = ""
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    insecure_skip_tls_verify: bool = False
    pass_credentials_all: bool = False

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Entry:
        def s(k: str) -> str:
            v = d.get(k)
            return "" if v is None else str(v)

        return cls(
            name=s("name"),
            url=s("url"),
            username=s("username"),
            password=s("password"),
            cert_file=s("certFile"),
            key_file=s("keyFile"),
            ca_file=s("caFile"),
            insecure_skip_tls_verify=d.get("insecure_skip_tls_verify") is True,
            pass_credentials_all=d.get("pass_credentials_all") is True,
        )

    def json(self) -> dict[str, Any]:
        """The entry as repositories.yaml holds it (the Go struct's JSON tags)."""
        return {
            "caFile": self.ca_file,
            "certFile": self.cert_file,
            "insecure_skip_tls_verify": self.insecure_skip_tls_verify,
            "keyFile": self.key_file,
            "name": self.name,
            "pass_credentials_all": self.pass_credentials_all,
            "password": self.password,
            "url": self.url,
            "username": self.username,
        }

    def getter_options(self) -> GetterOptions:
        """ChartRepository.DownloadIndexFile's options: everything the entry holds."""
        return GetterOptions(
            url=self.url,
            username=self.username,
            password=self.password,
            pass_credentials_all=self.pass_credentials_all,
            cert_file=self.cert_file,
            key_file=self.key_file,
            ca_file=self.ca_file,
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
        )


@dataclass
class RepoFile:
    """repo.File: repositories.yaml (apiVersion and generated are kept as read)."""

    api_version: str = ""
    generated: str = "0001-01-01T00:00:00Z"
    repositories: list[Entry] = field(default_factory=list)

    def get(self, name: str) -> Entry | None:
        return next((r for r in self.repositories if r.name == name), None)

    def update(self, e: Entry) -> None:
        """File.Update: replace the entry of that name in place, else append."""
        for i, r in enumerate(self.repositories):
            if r.name == e.name:
                self.repositories[i] = e
                return
        self.repositories.append(e)

    def remove(self, name: str) -> bool:
        kept = [r for r in self.repositories if r.name != name]
        found = len(kept) != len(self.repositories)
        self.repositories = kept
        return found


def load_repo_file(path: str | None = None) -> RepoFile:
    """repo.LoadFile; a missing file is an empty File (loadRepoConfig)."""
    path = path or helm_dirs()[0]
    if not os.path.exists(path):
        return RepoFile()
    with open(path, "rb") as fh:
        try:
            d = yamlgo.unmarshal_map(fh.read())
        except yamlgo.EncodingError as e:
            raise RepoError(str(e)) from None  # yaml.Unmarshal's error, as repo.LoadFile
    return RepoFile(
        api_version=str(d.get("apiVersion") or ""),
        generated=str(d.get("generated") or "0001-01-01T00:00:00Z"),
        repositories=[
            Entry.from_json(r) for r in d.get("repositories") or [] if isinstance(r, dict)
        ],
    )


def save_repo_file(f: RepoFile, path: str | None = None) -> None:
    """File.WriteFile(path, 0600): it holds passwords, so it is created private."""
    path = path or helm_dirs()[0]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    doc = {
        "apiVersion": f.api_version,
        "generated": f.generated,
        "repositories": [r.json() for r in f.repositories],
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(yamlgo.marshal_yaml(doc))


def load_repositories() -> list[Entry]:
    return load_repo_file().repositories


def cache_index_path(name: str) -> str:
    """helmpath.CacheIndexFile in the repository cache."""
    return os.path.join(helm_dirs()[1], f"{name}-index.yaml")


def cache_charts_path(name: str) -> str:
    """helmpath.CacheChartsFile in the repository cache."""
    return os.path.join(helm_dirs()[1], f"{name}-charts.txt")


def _cached_index(name: str) -> IndexFile:
    path = cache_index_path(name)
    if not os.path.exists(path):
        raise RepoError(
            f"no cached repo found. (try 'helm repo update'): open {path}: no such file or directory"
        )
    with open(path, "rb") as fh:
        return IndexFile.parse(fh.read())


def scan_repos_for_url(url: str, repos: list[Entry]) -> Entry | None:
    """ChartDownloader.scanReposForURL: the first configured repository whose
    cached index lists url (None: ErrNoOwnerRepo). A repository without a cached
    index fails, as in Helm."""
    from polystack.helm.remote.getter import url_equal

    for rc in repos:
        idx = _cached_index(rc.name)
        for cvs in idx.entries.values():
            for cv in cvs:
                if any(url_equal(url, dl) for dl in cv.urls):
                    return rc
    return None


def chart_url(cv: ChartVersion, repo_url: str) -> str:
    """The absolute download URL of a chart version (its first URL, resolved)."""
    if not cv.urls:
        raise RepoError(f"chart {cv.name} has no downloadable URLs")
    return resolve_reference_url(repo_url, cv.urls[0])


# ---------------------------------------------------------------- tables


def _table(rows: list[list[str]], max_width: int = 0) -> str:
    """gosuri/uitable with "\t" separators: every cell padded to its column width."""

    def cell(s: str) -> str:
        if max_width and len(s) > max_width:
            return s[: max_width - 3] + "..."
        return s

    rows = [[cell(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("\t".join(c.ljust(widths[i]) for i, c in enumerate(r)) for r in rows) + "\n"


# ---------------------------------------------------------------- search


def search_repo(
    keyword: str,
    versions: bool = False,
    version: str = "",
    devel: bool = False,
    regexp: bool = False,
    output: str = "table",
    max_col_width: int = 50,
    fail_on_no_result: bool = False,
) -> str:
    """`helm search repo`: every version of every chart is searched (Helm's
    setupSearchedVersion always sets a constraint, `>0.0.0` or `>0.0.0-0` with
    --devel), then the first version of each chart that satisfies it is kept
    (all of them with --versions)."""
    repos = load_repositories()
    if not repos:
        raise RepoError("no repositories configured")
    found: list[tuple[str, ChartVersion]] = []
    for r in repos:
        try:
            idx = _cached_index(r.name)
        except RepoError:
            continue
        for name, cvs in idx.entries.items():
            for cv in cvs:
                found.append((f"{r.name}/{name}", cv))
    kw = keyword.lower()
    scored: list[tuple[int, str, ChartVersion]] = []
    for full, cv in found:
        # pkg/search: name, description and keywords separated by \v; the score
        # is the number of separators before the match (lower is better)
        text = "\v".join(
            [
                full,
                str(cv.metadata.get("description", "")),
                " ".join(str(k) for k in cv.metadata.get("keywords") or []),
            ]
        )
        if not keyword:
            scored.append((0, full, cv))
            continue
        if regexp:
            try:
                pos = compile_re2(keyword).index(text)
            except RegexpError as e:
                raise RepoError(str(e)) from None
        else:
            pos = text.lower().find(kw)
        if pos < 0:
            continue
        score = text.count("\v", 0, pos)
        if score < 25:
            scored.append((score, full, cv))
    scored.sort(key=lambda r: (r[0], r[1], _version_sort_key(r[2].version)))
    results: list[tuple[str, ChartVersion]] = [(full, cv) for _, full, cv in scored]
    constraint = version or (">0.0.0-0" if devel else ">0.0.0")
    bad = _semver_constraint_error(constraint)
    if bad:
        raise RepoError(f"an invalid version/constraint format: {bad}")
    kept: list[tuple[str, ChartVersion]] = []
    seen: set[str] = set()
    for n, cv in results:
        if not versions and n in seen:
            continue
        if _version_key(cv.version) is None:
            continue
        if _check(constraint, cv.version):
            kept.append((n, cv))
            seen.add(n)
    results = kept
    if fail_on_no_result and not results and output in ("table", "json", "yaml"):
        raise RepoError("no results found")
    if output in ("json", "yaml"):
        rows = [
            jsongo.Struct(
                name=n,
                version=cv.version,
                app_version=str(cv.metadata.get("appVersion", "")),
                description=str(cv.metadata.get("description", "")),
            )
            for n, cv in results
        ]
        if output == "json":
            return jsongo.marshal(rows) + "\n"
        return yamlgo.marshal_yaml(rows)
    if output != "table":
        raise RepoError(f"invalid format type '{output}'")
    if not results:
        return "No results found\n"
    table: list[list[str]] = [["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"]] + [
        [
            n,
            cv.version,
            str(cv.metadata.get("appVersion", "")),
            str(cv.metadata.get("description", "")),
        ]
        for n, cv in results
    ]
    return _table(table, max_width=max_col_width)
