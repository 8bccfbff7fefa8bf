"""Chart repositories (pkg/repo: index.yaml, repositories.yaml, cache) and the
commands on them: `repo index|add|list|update`, `search repo`, `pull`, and
`dependency list|update|build` (pkg/downloader)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from polystack.helm import jsongo, yamlgo
from polystack.helm.chart import (
    API_V1,
    ChartError,
    Metadata,
    load,
)

if TYPE_CHECKING:
    from polystack.helm.provenance import Verification


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
    parts = []
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
    from polystack.helm import semver

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
    from polystack.helm.values import is_compatible_range

    return is_compatible_range(constraint or "*", version)


def _semver_constraint_error(constraint: str) -> str:
    """The error of semver.NewConstraint, or ""."""
    try:
        _semver().Constraints.parse(constraint)
    except ValueError as e:
        return str(e)
    return ""


def http_get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - user-given repo URL
            return resp.read()
    except urllib.error.HTTPError as e:
        raise RepoError(f"failed to fetch {url} : {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise RepoError(
            f'looks like "{url}" is not a valid chart repository or cannot be reached: {e}'
        ) from None


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
        except yamlgo.YAMLError as e:
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
                    md["version"] = yamlgo.format_float_g(md["version"])
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
            jsongo.marshal_json(self.json(), indent="  ")
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


def _helm_dirs() -> tuple[str, str]:
    cfg = os.environ.get("HELM_REPOSITORY_CONFIG") or os.path.join(
        os.environ.get("HELM_CONFIG_HOME")
        or os.path.join(
            os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "helm"
        ),
        "repositories.yaml",
    )
    cache = os.environ.get("HELM_REPOSITORY_CACHE") or os.path.join(
        os.environ.get("HELM_CACHE_HOME")
        or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "helm"),
        "repository",
    )
    return cfg, cache


def load_repositories() -> list[dict[str, Any]]:
    cfg, _ = _helm_dirs()
    if not os.path.exists(cfg):
        return []
    with open(cfg, "rb") as fh:
        d = yamlgo.unmarshal_map(fh.read())
    return [r for r in d.get("repositories") or [] if isinstance(r, dict)]


def _save_repositories(repos: list[dict[str, Any]]) -> None:
    cfg, _ = _helm_dirs()
    os.makedirs(os.path.dirname(cfg), exist_ok=True)
    doc = {"apiVersion": "", "generated": "0001-01-01T00:00:00Z", "repositories": repos}
    with open(cfg, "w", encoding="utf-8") as fh:
        fh.write(yamlgo.marshal_yaml(doc))


def _fetch_index(name: str, url: str) -> IndexFile:
    data = http_get(url_join(url, "index.yaml"))
    idx = IndexFile.parse(data)
    _, cache = _helm_dirs()
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, f"{name}-index.yaml"), "wb") as fh:
        fh.write(data)
    with open(os.path.join(cache, f"{name}-charts.txt"), "w", encoding="utf-8") as fh:
        fh.write("".join(f"{n}\n" for n in sorted(idx.entries)))
    return idx


def repo_add(name: str, url: str, force_update: bool = False) -> str:
    repos = load_repositories()
    for r in repos:
        if r.get("name") == name:
            if r.get("url") == url and not force_update:
                return f'"{name}" already exists with the same configuration, skipping'
            if not force_update:
                raise RepoError(
                    f"repository name ({name}) already exists, please specify a different name"
                )
    _fetch_index(name, url)
    repos = [r for r in repos if r.get("name") != name]
    repos.append(
        {
            "caFile": "",
            "certFile": "",
            "insecure_skip_tls_verify": False,
            "keyFile": "",
            "name": name,
            "pass_credentials_all": False,
            "password": "",
            "url": url,
            "username": "",
        }
    )
    _save_repositories(repos)
    return f'"{name}" has been added to your repositories'


def repo_list() -> str:
    repos = load_repositories()
    if not repos:
        raise RepoError("no repositories to show")
    return _table([["NAME", "URL"]] + [[str(r.get("name")), str(r.get("url"))] for r in repos])


def repo_update(names: list[str]) -> str:
    repos = load_repositories()
    if not repos:
        raise RepoError("no repositories found. You must add one before updating")
    out = ["Hang tight while we grab the latest from your chart repositories...\n"]
    for r in repos:
        if names and r.get("name") not in names:
            continue
        try:
            _fetch_index(str(r["name"]), str(r["url"]))
            out.append(f'...Successfully got an update from the "{r["name"]}" chart repository\n')
        except RepoError as e:
            out.append(
                f'...Unable to get an update from the "{r["name"]}" chart repository ({r["url"]}):\n\t{e}\n'
            )
    out.append("Update Complete. ⎈Happy Helming!⎈\n")
    return "".join(out)


def _cached_index(name: str) -> IndexFile:
    _, cache = _helm_dirs()
    path = os.path.join(cache, f"{name}-index.yaml")
    if not os.path.exists(path):
        raise RepoError(
            f"no cached repo found. (try 'helm repo update'): open {path}: no such file or directory"
        )
    with open(path, "rb") as fh:
        return IndexFile.parse(fh.read())


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


# ---------------------------------------------------------------- search / pull


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
            idx = _cached_index(str(r["name"]))
        except RepoError:
            continue
        for name, cvs in idx.entries.items():
            for cv in cvs:
                found.append((f"{r['name']}/{name}", cv))
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
                m = re.search(keyword, text)
            except re.error as e:
                raise RepoError(f"error parsing regexp: {e}") from None
            pos = m.start() if m else -1
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
            return jsongo.marshal_json(rows) + "\n"
        return yamlgo.marshal_yaml(rows)
    if output != "table":
        raise RepoError(f"invalid format type '{output}'")
    if not results:
        return "No results found\n"
    rows = [["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"]] + [
        [
            n,
            cv.version,
            str(cv.metadata.get("appVersion", "")),
            str(cv.metadata.get("description", "")),
        ]
        for n, cv in results
    ]
    return _table(rows, max_width=max_col_width)


def _find_repo_url(ref: str) -> tuple[str, str]:
    repo_name, _, chart = ref.partition("/")
    for r in load_repositories():
        if r.get("name") == repo_name:
            return str(r["url"]), chart
    raise RepoError(f"repo {repo_name} not found")


def chart_url(cv: ChartVersion, repo_url: str) -> str:
    """The absolute download URL of a chart version (its first URL, resolved)."""
    if not cv.urls:
        raise RepoError(f"chart {cv.name} has no downloadable URLs")
    u = cv.urls[0]
    if not urllib.parse.urlsplit(u).scheme:
        u = url_join(repo_url, u)
    return u


def _download(cv: ChartVersion, repo_url: str, dest_dir: str) -> str:
    u = chart_url(cv, repo_url)
    data = http_get(u)
    os.makedirs(dest_dir, exist_ok=True)
    target = os.path.join(dest_dir, os.path.basename(urllib.parse.urlsplit(u).path))
    with open(target, "wb") as fh:
        fh.write(data)
    return target


# ChartDownloader verification strategies (pkg/downloader)
VERIFY_NEVER = "never"
VERIFY_IF_POSSIBLE = "if-possible"
VERIFY_ALWAYS = "always"
VERIFY_LATER = "later"


def fetch_provenance(
    url: str, archive: str, ref: str, strategy: str, keyring: str
) -> tuple[str, Verification | None]:
    """The provenance half of ChartDownloader.DownloadTo: fetch URL.prov next to the
    archive and, unless `later`, verify it. Returns the warning Helm prints when
    the .prov is missing and that is allowed, and the verification; raises
    RepoError with Helm's text on failure."""
    from polystack.helm.provenance import ProvenanceError, verify_chart

    if strategy == VERIFY_NEVER:
        return "", None
    prov_url = url + ".prov"
    try:
        body = http_get(prov_url)
    except RepoError as e:
        if strategy == VERIFY_ALWAYS:
            raise RepoError(f'failed to fetch provenance "{prov_url}"') from None
        return f"WARNING: Verification not found for {ref}: {e}\n", None
    with open(archive + ".prov", "wb") as fh:
        fh.write(body)
    if strategy == VERIFY_LATER:
        return "", None
    try:
        return "", verify_chart(archive, archive + ".prov", keyring)
    except ProvenanceError as e:
        raise RepoError(str(e)) from None


def resolve_chart(
    chart_ref: str, version: str = "", repo_url: str = ""
) -> tuple[ChartVersion | None, str, str]:
    """Find a chart as ChartDownloader.ResolveChartVersion (a `repo/chart`
    reference or an absolute URL) or, with `--repo`, repo.FindChartInRepoURL does.
    Returns (the index entry or None for a URL, the download URL, the repository
    URL) and raises RepoError with Helm's texts."""
    if chart_ref.startswith("oci://"):
        raise RepoError(f"OCI references are not supported by polystack helm: {chart_ref}")
    if repo_url:
        idx = IndexFile.parse(http_get(url_join(repo_url, "index.yaml")))
        try:
            cv = idx.get(chart_ref, version)
        except RepoError:
            what = f'chart "{chart_ref}"' + (f' version "{version}"' if version else "")
            raise RepoError(f"{what} not found in {repo_url} repository") from None
        return cv, chart_url(cv, repo_url), repo_url
    u = urllib.parse.urlsplit(chart_ref)
    if u.scheme and u.netloc and u.path:
        return None, chart_ref, ""
    if "/" not in chart_ref:
        raise RepoError(
            f"non-absolute URLs should be in form of repo_name/path_to_chart, got: {chart_ref}"
        )
    repo_url, name = _find_repo_url(chart_ref)
    repo_name = chart_ref.split("/", 1)[0]
    idx = _cached_index(repo_name)
    try:
        cv = idx.get(name, version)
    except RepoError as e:
        raise RepoError(
            f'chart "{name}" matching {version} not found in {repo_name} index.'
            f" (try 'helm repo update'): {e}"
        ) from None
    return cv, chart_url(cv, repo_url), repo_url


def _download_url(url: str, dest_dir: str) -> str:
    data = http_get(url)
    os.makedirs(dest_dir, exist_ok=True)
    target = os.path.join(dest_dir, os.path.basename(urllib.parse.urlsplit(url).path))
    with open(target, "wb") as fh:
        fh.write(data)
    return target


def pull(
    chart_ref: str,
    repo_url: str = "",
    version: str = "",
    destination: str = ".",
    untar: bool = False,
    untardir: str = ".",
    verify: bool = False,
    prov: bool = False,
    keyring: str = "",
    devel: bool = False,
) -> str:
    """action.Pull.Run for HTTP repositories; returns what Helm prints."""
    if not version and devel:
        version = ">0.0.0-0"
    by_url = bool(repo_url)
    _, url, _ = resolve_chart(chart_ref, version, repo_url)
    # with --repo, Helm downloads the resolved chart URL, which is also the name it reports
    ref = url if by_url else chart_ref
    strategy = VERIFY_ALWAYS if verify else VERIFY_LATER if prov else VERIFY_NEVER
    if untar:
        tmp = tempfile.mkdtemp(prefix="helm-pull-")
        try:
            archive = _download_url(url, tmp)
            out, v = fetch_provenance(url, archive, ref, strategy, keyring)
            if v is not None:
                out += v.output()
            target_root = (
                untardir if os.path.isabs(untardir) else os.path.join(destination, untardir)
            )
            expand(archive, target_root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out
    archive = _download_url(url, destination)
    out, v = fetch_provenance(url, archive, ref, strategy, keyring)
    return out + (v.output() if v is not None else "")


def expand(archive: str, dest: str) -> None:
    """chartutil.ExpandFile: unpack into dest/<chart name>/."""
    from polystack.helm.chart import archive_files

    with open(archive, "rb") as fh:
        data = fh.read()
    c = load_files_name(data)
    for f in archive_files(data):
        target = os.path.join(dest, c, f.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(f.data)


def load_files_name(data: bytes) -> str:
    from polystack.helm.chart import load_archive

    return load_archive(data).name()


def locate_chart(
    ref: str,
    version: str = "",
    repo_url: str = "",
    verify: bool = False,
    keyring: str = "",
    devel: bool = False,
) -> str:
    """ChartPathOptions.LocateChart (the --version, --devel, --repo, --verify and
    --keyring flags of template, show, ...): a local path (verified against its
    .prov with --verify), else a chart from an HTTP repository downloaded into
    the repository cache. Raises ChartError/RepoError with Helm's texts."""
    from polystack.helm.provenance import ProvenanceError, verify_chart

    name = ref.strip()
    version = version.strip()
    if not version and devel:
        version = ">0.0.0-0"
    if os.path.exists(name):
        path = os.path.abspath(name)
        if verify:
            try:
                verify_chart(path, path + ".prov", keyring)
            except ProvenanceError as e:
                raise RepoError(str(e)) from None
        return path
    if os.path.isabs(name) or name.startswith("."):
        raise ChartError(f'path "{name}" not found')
    _, url, _ = resolve_chart(name, version, repo_url)
    _, cache = _helm_dirs()
    archive = _download_url(url, cache)
    fetch_provenance(url, archive, name, VERIFY_ALWAYS if verify else VERIFY_NEVER, keyring)
    return archive


def locate_repo_chart(ref: str, version: str = "") -> str:
    """Download `repo/chart` from a configured repository into the cache; returns the path."""
    if "/" not in ref:
        raise ChartError(f'path "{ref}" not found')
    _, url, _ = resolve_chart(ref, version)
    _, cache = _helm_dirs()
    return _download_url(url, cache)
