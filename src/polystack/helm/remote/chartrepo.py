"""A chart repository over HTTP(S) (pkg/repo/v1/chartrepo.go) and the commands
that keep repositories.yaml: `repo add` (credentials, client certificate, CA
bundle and TLS flags stored per repository, as Helm stores them), `repo list`,
`repo update` and `repo remove` (with the repository's cache files)."""

from __future__ import annotations

import os
from collections.abc import Callable

from polystack.helm.encoding import jsongo, yamlgo
from polystack.helm.remote.getter import DEFAULT_TIMEOUT, GetterOptions
from polystack.helm.remote.repo import (
    Entry,
    IndexFile,
    RepoError,
    _table,
    cache_charts_path,
    cache_index_path,
    chart_url,
    helm_dirs,
    http_get,
    load_repo_file,
    save_repo_file,
    url_join,
)

# repositories that have been permanently deleted (pkg/cmd/repo_add.go)
DEPRECATED_REPOS = {
    "//kubernetes-charts.storage.googleapis.com": "https://charts.helm.sh/stable",
    "//kubernetes-charts-incubator.storage.googleapis.com": "https://charts.helm.sh/incubator",
}


def fetch_index(entry: Entry, opts: GetterOptions | None = None) -> tuple[bytes, IndexFile]:
    """The index.yaml of a repository, fetched with the entry's options."""
    data = http_get(url_join(entry.url, "index.yaml"), opts or entry.getter_options())
    if not data:
        raise RepoError("empty index.yaml file")
    return data, IndexFile.parse(data)


def download_index_file(entry: Entry, timeout: float = DEFAULT_TIMEOUT) -> IndexFile:
    """ChartRepository.DownloadIndexFile: fetch, check, and write NAME-charts.txt
    and NAME-index.yaml into the repository cache."""
    data, idx = fetch_index(entry, entry.getter_options().but(timeout=timeout))
    os.makedirs(helm_dirs()[1], exist_ok=True)
    with open(cache_charts_path(entry.name), "w", encoding="utf-8") as fh:
        fh.write("".join(f"{n}\n" for n in sorted(idx.entries)))
    with open(cache_index_path(entry.name), "wb") as fh:
        fh.write(data)
    return idx


def find_chart_in_repo_url(
    repo_url: str, chart_name: str, version: str = "", opts: GetterOptions | None = None
) -> str:
    """repo.FindChartInRepoURL (`--repo`): the absolute URL of the chart in the
    repository at repo_url, its index fetched with the given credentials and TLS
    options (not added to repositories.yaml)."""
    o = opts or GetterOptions()
    entry = Entry(
        url=repo_url,
        username=o.username,
        password=o.password,
        pass_credentials_all=o.pass_credentials_all,
        cert_file=o.cert_file,
        key_file=o.key_file,
        ca_file=o.ca_file,
        insecure_skip_tls_verify=o.insecure_skip_tls_verify,
    )
    try:
        _, idx = fetch_index(entry)
    except RepoError as e:
        raise RepoError(
            f'looks like "{repo_url}" is not a valid chart repository or cannot be reached: {e}'
        ) from None
    what = f'chart "{chart_name}"' + (f' version "{version}"' if version else "")
    try:
        cv = idx.get(chart_name, version)
    except RepoError:
        raise RepoError(f"{what} not found in {repo_url} repository") from None
    if not cv.urls:
        raise RepoError(f"{what} has no downloadable URLs")
    return chart_url(cv, repo_url)


# ---------------------------------------------------------------- repo add / list / update / remove


def repo_add(
    entry: Entry,
    *,
    force_update: bool = False,
    allow_deprecated_repos: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    read_password: Callable[[], str] | None = None,
) -> str:
    """repoAddOptions.run: returns the line Helm prints. read_password is asked
    for the password when a username comes without one (--password-stdin or
    the terminal prompt)."""
    if not allow_deprecated_repos:
        for old, new in DEPRECATED_REPOS.items():
            if old in entry.url:
                raise RepoError(f'repo "{entry.url}" is no longer available; try "{new}" instead')
    f = load_repo_file()
    if entry.username and not entry.password and read_password is not None:
        entry.password = read_password()
    if "/" in entry.name:
        raise RepoError(
            f"repository name ({entry.name}) contains '/', please specify a different name"
            " without '/'"
        )
    existing = f.get(entry.name)
    if not force_update and existing is not None:
        if existing != entry:
            raise RepoError(
                f"repository name ({entry.name}) already exists, please specify a different name"
            )
        return f'"{entry.name}" already exists with the same configuration, skipping'
    try:
        download_index_file(entry, timeout)
    except RepoError as e:
        raise RepoError(
            f'looks like "{entry.url}" is not a valid chart repository or cannot be reached: {e}'
        ) from None
    f.update(entry)
    save_repo_file(f)
    return f'"{entry.name}" has been added to your repositories'


def repo_list(output: str = "table") -> str:
    """`helm repo list [-o table|json|yaml]`."""
    repos = load_repo_file().repositories
    if output not in ("table", "json", "yaml"):
        raise RepoError(f"invalid format type '{output}'")
    if not repos and output == "table":
        raise RepoError("no repositories to show")
    if output == "json":
        return jsongo.marshal([jsongo.Struct(name=r.name, url=r.url) for r in repos]) + "\n"
    if output == "yaml":
        return yamlgo.marshal_yaml([{"name": r.name, "url": r.url} for r in repos])
    return _table([["NAME", "URL"]] + [[r.name, r.url] for r in repos])


def update_repositories(repos: list[Entry]) -> str:
    """The per-repository lines of `repo update` and Manager.UpdateRepositories."""
    out: list[str] = []
    for r in repos:
        try:
            download_index_file(r)
            out.append(f'...Successfully got an update from the "{r.name}" chart repository\n')
        except RepoError as e:
            out.append(
                f'...Unable to get an update from the "{r.name}" chart repository'
                f" ({r.url}):\n\t{e}\n"
            )
    return "".join(out)


def repo_update(names: list[str]) -> str:
    repos = load_repo_file().repositories
    if not repos:
        raise RepoError("no repositories found. You must add one before updating")
    chosen = [r for r in repos if not names or r.name in names]
    return (
        "Hang tight while we grab the latest from your chart repositories...\n"
        + update_repositories(chosen)
        + "Update Complete. ⎈Happy Helming!⎈\n"
    )


def repo_remove(names: list[str], out: Callable[[str], None]) -> None:
    """repoRemoveOptions.run: each name is removed, the file written and the
    repository's cache files (NAME-index.yaml, NAME-charts.txt) deleted before
    the next one; an unknown name stops there with `no repo named "x" found`."""
    f = load_repo_file()
    if not f.repositories:
        raise RepoError("no repositories configured")
    for name in names:
        if not f.remove(name):
            raise RepoError(f'no repo named "{name}" found')
        save_repo_file(f)
        for path in (cache_charts_path(name), cache_index_path(name)):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
            except OSError as e:
                raise RepoError(f"can't remove index file {path}: {e.strerror}") from None
        out(f'"{name}" has been removed from your repositories\n')
