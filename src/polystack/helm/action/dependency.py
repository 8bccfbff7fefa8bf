"""`helm dependency list|update|build` (pkg/downloader and pkg/action/dependency.go):
resolve Chart.yaml dependencies from `file://` paths and chart repositories,
fill `charts/` and write `Chart.lock`."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from polystack.helm.chart.chart import API_V1, Chart, ChartError, Dependency, load, load_dir
from polystack.helm.encoding import jsongo, yamlgo
from polystack.helm.remote.downloader import VERIFY_NEVER, ChartDownloader
from polystack.helm.remote.getter import GetterOptions, url_equal
from polystack.helm.remote.repo import (
    IndexFile,
    RepoError,
    _check,
    _semver,
    _table,
    chart_url,
    go_now,
    http_get,
    load_repositories,
    url_join,
)

if TYPE_CHECKING:
    from polystack.helm.remote.oci import RegistryOptions


def _oci_version(d: Dependency, registry: RegistryOptions | None) -> str | None:
    """The resolver's OCI branch: the newest tag of REPOSITORY/NAME matching the
    dependency's constraint, or None."""
    from polystack.helm.remote.oci import OCIReference, RegistryOptions, tag_versions
    from polystack.helm.remote.registry import RegistryError

    client = (registry or RegistryOptions()).client()
    try:
        ref = OCIReference.parse(d.repository.rstrip("/") + "/" + d.name)
        tags = tag_versions(client, ref)
    except RegistryError as e:
        raise RepoError(
            f"could not retrieve list of tags for repository {d.repository}: {e}"
        ) from None
    for t in tags:
        if _check(d.version, t):
            return t
    return None


def _oci_download(
    d: Dependency, dest: str, registry: RegistryOptions | None, verify: str, keyring: str
) -> str:
    """Manager.downloadAll for an oci:// dependency; returns the warning Helm prints."""
    from polystack.helm.remote.downloader import VERIFY_ALWAYS, VERIFY_IF_POSSIBLE
    from polystack.helm.remote.oci import RegistryOptions, download
    from polystack.helm.remote.provenance import ProvenanceError, verify_chart
    from polystack.helm.remote.registry import RegistryError

    churl = d.repository.rstrip("/") + "/" + d.name
    try:
        archive, _ = download(
            churl,
            d.version,
            dest,
            registry or RegistryOptions(),
            with_prov=verify == VERIFY_IF_POSSIBLE,
            require_prov=verify == VERIFY_ALWAYS,
        )
        if verify in (VERIFY_ALWAYS, VERIFY_IF_POSSIBLE) and os.path.exists(archive + ".prov"):
            verify_chart(archive, archive + ".prov", keyring)
    except (RegistryError, ProvenanceError) as e:
        raise RepoError(f"could not download {churl}: {e}") from None
    return ""


def _repo_options(url: str) -> GetterOptions:
    """Manager.findChartURL: a repository of repositories.yaml with this URL lends
    its credentials, TLS files and flags; any other one is fetched anonymously
    (the dependency commands' own --username ... flags only reach OCI registries)."""
    for r in load_repositories():
        if url_equal(url, r.url):
            return r.getter_options()
    return GetterOptions(url=url)


def _fetch_repo_index(url: str) -> IndexFile:
    return IndexFile.parse(http_get(url_join(url, "index.yaml"), _repo_options(url)))


# ---------------------------------------------------------------- dependencies


def hash_req(req: list[Dependency], lock: list[Dependency]) -> str:
    """resolver.HashReq: sha256 of the JSON of [requirements, locked]."""

    def dep_json(d: Dependency) -> jsongo.Struct:
        out = jsongo.Struct(name=d.name)
        if d.version:
            out["version"] = d.version
        out["repository"] = d.repository
        if d.condition:
            out["condition"] = d.condition
        if d.tags:
            out["tags"] = d.tags
        if d.enabled:
            out["enabled"] = True
        if d.import_values:
            out["import-values"] = d.import_values
        if d.alias:
            out["alias"] = d.alias
        return out

    data = jsongo.marshal([[dep_json(d) for d in req], [dep_json(d) for d in lock]])
    return "sha256:" + hashlib.sha256(data.encode()).hexdigest()


def _local_path(repo: str, chart_path: str) -> str:
    p = repo[len("file://") :] if repo.startswith("file://") else repo
    if not os.path.isabs(p):
        p = os.path.join(chart_path, p)
    if not os.path.exists(p):
        raise RepoError(f"directory {p} not found")
    return p


def _resolve(
    chart_path: str, req: list[Dependency], registry: RegistryOptions | None = None
) -> list[Dependency]:
    locked: list[Dependency] = []
    missing: list[str] = []
    for d in req:
        try:
            _semver().Constraints.parse(d.version or "*")
        except Exception as e:  # noqa: BLE001
            raise RepoError(
                f'dependency "{d.name}" has an invalid version/constraint format: {e}'
            ) from None
        if not d.repository:
            _local_path(os.path.join("charts", d.name), chart_path)
            locked.append(Dependency(name=d.name, repository="", version=d.version))
            continue
        if d.repository.startswith("file://"):
            ch = load_dir(_local_path(d.repository, chart_path))
            if not _check(d.version, ch.metadata.version):
                missing.append(f'"{d.name}" (repository "{d.repository}", version "{d.version}")')
                continue
            locked.append(
                Dependency(name=d.name, repository=d.repository, version=ch.metadata.version)
            )
            continue
        if d.repository.startswith("oci://"):
            version = _oci_version(d, registry)
            if version is None:
                missing.append(f'"{d.name}" (repository "{d.repository}", version "{d.version}")')
                continue
            locked.append(Dependency(name=d.name, repository=d.repository, version=version))
            continue
        url = d.repository
        if url.startswith(("@", "alias:")):
            alias = url.split(":", 1)[1] if url.startswith("alias:") else url[1:]
            found = [r for r in load_repositories() if r.name == alias]
            if not found:
                raise RepoError(f"no repository definition for {url}")
            url = found[0].url
        idx = _fetch_repo_index(url)
        try:
            cv = idx.get(d.name, d.version)
        except RepoError:
            missing.append(f'"{d.name}" (repository "{d.repository}", version "{d.version}")')
            continue
        locked.append(Dependency(name=d.name, repository=d.repository, version=cv.version))
    if missing:
        raise RepoError(
            f"can't get a valid version for {len(missing)} subchart(s): {', '.join(missing)}. Make"
            " sure a matching chart version exists in the repo, or change the version constraint"
            " in Chart.yaml"
        )
    return locked


def _download_all(
    chart_path: str,
    deps: list[Dependency],
    out: Any,
    verify: str = VERIFY_NEVER,
    keyring: str = "",
    registry: RegistryOptions | None = None,
) -> None:
    from polystack.helm.chart.archive import save

    charts_dir = os.path.join(chart_path, "charts")
    tmp = tempfile.mkdtemp(prefix="helm-deps-", dir=chart_path)
    try:
        out(f"Saving {len(deps)} charts\n")
        for d in deps:
            if not d.repository:
                continue
            if d.repository.startswith("file://"):
                ch = load_dir(_local_path(d.repository, chart_path))
                save(ch, tmp)
                d.version = ch.metadata.version
                continue
            if d.repository.startswith("oci://"):
                out(f"Downloading {d.name} from repo {d.repository}\n")
                try:
                    said = _oci_download(d, tmp, registry, verify, keyring)
                except RepoError as e:
                    out(f"Save error occurred:  {e}\n")
                    out("Deleting newly downloaded charts, restoring pre-update state\n")
                    raise
                if said:
                    out(said)
                continue
            url = d.repository
            if url.startswith(("@", "alias:")):
                alias = url.split(":", 1)[1] if url.startswith("alias:") else url[1:]
                url = next(r.url for r in load_repositories() if r.name == alias)
            out(f"Downloading {d.name} from repo {d.repository}\n")
            cv = _fetch_repo_index(url).get(d.name, d.version)
            churl = chart_url(cv, url)
            dl = ChartDownloader(options=_repo_options(url), verify=verify, keyring=keyring)
            try:
                _, _, said = dl.download_to(churl, "", tmp)
            except RepoError as e:
                # Manager.downloadAll's save error: nothing of this run reaches charts/
                err = f"could not download {churl}: {e}"
                out(f"Save error occurred:  {err}\n")
                out("Deleting newly downloaded charts, restoring pre-update state\n")
                raise RepoError(err) from None
            if said:
                out(said)
        out("Deleting outdated charts\n")
        os.makedirs(charts_dir, exist_ok=True)
        keep = {d.name for d in deps if not d.repository}
        for f in os.listdir(charts_dir):
            full = os.path.join(charts_dir, f)
            if f.endswith(".tgz") and os.path.isfile(full):
                os.remove(full)
            elif (
                os.path.isdir(full)
                and f not in keep
                and any(f == d.name for d in deps if d.repository)
            ):
                shutil.rmtree(full)
        for f in os.listdir(tmp):
            shutil.move(os.path.join(tmp, f), os.path.join(charts_dir, f))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_lock(chart_path: str, lock: dict[str, Any], legacy: bool) -> None:
    name = "requirements.lock" if legacy else "Chart.lock"
    with open(os.path.join(chart_path, name), "w", encoding="utf-8") as fh:
        fh.write(yamlgo.marshal_yaml(lock))


def _update_repositories(out: Any) -> None:
    """Manager.UpdateRepositories: refresh every configured repository's index."""
    from polystack.helm.remote.chartrepo import update_repositories

    repos = load_repositories()
    if not repos:
        return
    out("Hang tight while we grab the latest from your chart repositories...\n")
    out(update_repositories(repos))
    out("Update Complete. ⎈Happy Helming!⎈\n")


def dependency_update(
    chart_path: str,
    out: Any = print,
    skip_refresh: bool = False,
    verify: str = VERIFY_NEVER,
    keyring: str = "",
    registry: RegistryOptions | None = None,
) -> None:
    try:
        c = load_dir(chart_path)
    except ChartError as e:
        raise RepoError(str(e)) from None
    req = c.metadata.dependencies
    if not req:
        return
    if not skip_refresh:
        _update_repositories(out)
    locked = _resolve(chart_path, req, registry)
    _download_all(chart_path, locked, out, verify, keyring, registry)
    digest = hash_req(req, locked)
    if c.lock is not None and c.lock.digest == digest:
        return
    _write_lock(
        chart_path,
        {
            "dependencies": [
                {"name": d.name, "repository": d.repository, "version": d.version} for d in locked
            ],
            "digest": digest,
            "generated": go_now(),
        },
        c.metadata.api_version == API_V1,
    )


def dependency_build(
    chart_path: str,
    out: Any = print,
    skip_refresh: bool = False,
    verify: str = VERIFY_NEVER,
    keyring: str = "",
    registry: RegistryOptions | None = None,
) -> None:
    try:
        c = load_dir(chart_path)
    except ChartError as e:
        raise RepoError(str(e)) from None
    if c.lock is None:
        dependency_update(chart_path, out, skip_refresh, verify, keyring, registry)
        return
    req = c.metadata.dependencies
    if hash_req(req, c.lock.dependencies) != c.lock.digest:
        raise RepoError(
            "the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml)."
            " Please update the dependencies"
        )
    configured = {r.url.rstrip("/") for r in load_repositories()}
    missing = [
        d.repository
        for d in c.lock.dependencies
        if d.repository
        and not d.repository.startswith(("file://", "@", "alias:", "oci://"))
        and d.repository.rstrip("/") not in configured
    ]
    if missing:
        raise RepoError(
            "no repository definition for " + ", ".join(missing) + ". Please add the missing repos"
            " via 'helm repo add'"
        )
    if not skip_refresh:
        _update_repositories(out)
    _download_all(chart_path, list(c.lock.dependencies), out, verify, keyring, registry)


def dependency_list(chart_path: str, max_col_width: int = 80) -> str:
    try:
        c = load(chart_path)
    except ChartError as e:
        raise RepoError(str(e)) from None
    if not c.metadata.dependencies:
        return f"WARNING: no dependencies at {os.path.join(chart_path, 'charts')}\n"
    rows = [["NAME", "VERSION", "REPOSITORY", "STATUS"]]
    for d in c.metadata.dependencies:
        rows.append([d.name, d.version, d.repository, _dependency_status(chart_path, d, c)])
    text = _table(rows, max_width=max_col_width) + "\n" + "\n"
    cdir = os.path.join(chart_path, "charts")
    for f in sorted(os.listdir(cdir)) if os.path.isdir(cdir) else []:
        full = os.path.join(cdir, f)
        if not os.path.isdir(full) and not f.endswith(".tgz"):
            continue
        try:
            sc = load(full)
        except ChartError:
            text += f'WARNING: "{full}" is not a chart.\n'
            continue
        if not any(d.name == sc.name() for d in c.metadata.dependencies):
            text += f'WARNING: "{full}" is not in Chart.yaml.\n'
    return text


def _archive_status(archive: str, dep: Dependency) -> str:
    try:
        c = load(archive)
    except ChartError:
        return "corrupt"
    if c.name() != dep.name:
        return "misnamed"
    return _version_status(c.metadata.version, dep.version) or "ok"


def _version_status(version: str, constraint: str) -> str:
    """ "" when ``version`` is or satisfies ``constraint``, else the status word."""
    if version == constraint:
        return ""
    try:
        ok = _semver().Constraints.parse(constraint).check(_semver().Version.parse(version))
    except Exception:  # noqa: BLE001
        return "invalid version"
    return "" if ok else "wrong version"


def _dependency_status(chart_path: str, dep: Dependency, parent: Chart) -> str:
    cdir = os.path.join(chart_path, "charts")
    archives = sorted(
        os.path.join(cdir, f)
        for f in (os.listdir(cdir) if os.path.isdir(cdir) else [])
        if f.startswith(dep.name + "-") and f.endswith(".tgz")
    )
    if len(archives) > 1:
        found = [
            a
            for a in archives
            if re.fullmatch(
                r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?",
                os.path.basename(a)[len(dep.name) + 1 : -4],
            )
        ]
        if len(found) == 1:
            return _archive_status(found[0], dep)
        if len(found) > 1:
            return "too many matches"
    elif len(archives) == 1:
        return _archive_status(archives[0], dep)
    dep_chart = next((d for d in parent.dependencies() if d.name() == dep.name), None)
    if dep_chart is None:
        return "missing"
    return _version_status(dep_chart.metadata.version, dep.version) or "unpacked"
