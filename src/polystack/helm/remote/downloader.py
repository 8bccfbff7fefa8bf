"""Downloading charts (pkg/downloader/chart_downloader.go, pkg/action/pull.go and
ChartPathOptions.LocateChart in pkg/action/install.go): resolve `repo/chart`
references and chart URLs to a download URL with the getter options that go
with it (the repository's stored credentials and TLS files, or the command's
--username/--password/--cert-file/--key-file/--ca-file/--insecure-skip-tls-verify/
--pass-credentials), fetch the archive and its provenance, and verify it."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from polystack.helm.chart.archive import expand
from polystack.helm.chart.chart import ChartError
from polystack.helm.remote.getter import CHART_ACCEPT, GetterOptions, same_scheme_host
from polystack.helm.remote.options import ChartPathOptions
from polystack.helm.remote.repo import (
    Entry,
    RepoError,
    _cached_index,
    helm_dirs,
    http_get,
    load_repo_file,
    resolve_reference_url,
    scan_repos_for_url,
)

if TYPE_CHECKING:
    from polystack.helm.remote.provenance import Verification

# ChartDownloader verification strategies (pkg/downloader)
VERIFY_NEVER = "never"
VERIFY_IF_POSSIBLE = "if-possible"
VERIFY_ALWAYS = "always"
VERIFY_LATER = "later"


def _with_entry(o: GetterOptions, rc: Entry) -> GetterOptions:
    """What ResolveChartVersion adds for the repository that owns a chart: its URL,
    its TLS files when it has any, and its credentials when it has both (with its
    pass_credentials_all). Its insecure_skip_tls_verify is not taken, as in Helm."""
    o = o.but(url=rc.url)
    if rc.cert_file or rc.key_file or rc.ca_file:
        o = o.but(cert_file=rc.cert_file, key_file=rc.key_file, ca_file=rc.ca_file)
    if rc.username and rc.password:
        o = o.but(
            username=rc.username,
            password=rc.password,
            pass_credentials_all=rc.pass_credentials_all,
        )
    return o


@dataclass
class ChartDownloader:
    """downloader.ChartDownloader: `options` are its getter options, to which
    resolve_chart_version adds the owning repository's."""

    options: GetterOptions = field(default_factory=GetterOptions)
    verify: str = VERIFY_NEVER
    keyring: str = ""

    def resolve_chart_version(self, ref: str, version: str = "") -> str:
        """ResolveChartVersion: the download URL of ref (an absolute URL or
        `repo/chart`); updates self.options as Helm's c.Options."""
        if ref.startswith("oci://"):
            raise RepoError(f"an oci:// reference needs the registry client: {ref}")
        repos = load_repo_file().repositories
        u = urllib.parse.urlsplit(ref)
        if u.scheme and u.netloc and u.path:
            rc = scan_repos_for_url(ref, repos)
            self.options = (
                self.options.but(url=ref) if rc is None else _with_entry(self.options, rc)
            )
            return ref
        if "/" not in u.path:
            raise RepoError(
                f"non-absolute URLs should be in form of repo_name/path_to_chart, got: {ref}"
            )
        repo_name, chart_name = u.path.split("/", 1)
        rc = next((r for r in repos if r.name == repo_name), None)
        if rc is None:
            raise RepoError(f"repo {repo_name} not found")
        if not rc.url:
            raise RepoError(f"no URL found for repository {repo_name}")
        self.options = _with_entry(self.options, rc)
        idx = _cached_index(rc.name)
        try:
            cv = idx.get(chart_name, version)
        except RepoError as e:
            raise RepoError(
                f'chart "{chart_name}" matching {version} not found in {rc.name} index.'
                f" (try 'helm repo update'): {e}"
            ) from None
        if not cv.urls:
            raise RepoError(f'chart "{ref}" has no downloadable URLs')
        return resolve_reference_url(rc.url, cv.urls[0])

    def download_to(
        self, ref: str, version: str, dest: str
    ) -> tuple[str, Verification | None, str]:
        """DownloadTo: (archive path, verification, warnings Helm prints)."""
        url = self.resolve_chart_version(ref, version)
        data = http_get(url, self.options.but(accept=CHART_ACCEPT))
        os.makedirs(dest, exist_ok=True)
        archive = os.path.join(dest, os.path.basename(urllib.parse.urlsplit(url).path))
        with open(archive, "wb") as fh:
            fh.write(data)
        said, v = fetch_provenance(url, archive, ref, self.verify, self.keyring, self.options)
        return archive, v, said


def fetch_provenance(
    url: str,
    archive: str,
    ref: str,
    strategy: str,
    keyring: str,
    opts: GetterOptions | None = None,
) -> tuple[str, Verification | None]:
    """The provenance half of ChartDownloader.DownloadTo: fetch URL.prov next to the
    archive (with the same getter options) and, unless `later`, verify it. Returns
    the warning Helm prints when the .prov is missing and that is allowed, and the
    verification; raises RepoError with Helm's text on failure."""
    from polystack.helm.remote.provenance import ProvenanceError, verify_chart

    if strategy == VERIFY_NEVER:
        return "", None
    prov_url = url + ".prov"
    try:
        body = http_get(prov_url, opts)
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


def pull(
    chart_ref: str,
    cpo: ChartPathOptions,
    destination: str = ".",
    untar: bool = False,
    untardir: str = ".",
    prov: bool = False,
) -> str:
    """action.Pull.Run for HTTP repositories; returns what Helm prints. The
    command's credentials go with every request of the pull (with --repo, to the
    chart URL too, wherever it is: Pull has no host check, unlike LocateChart)."""
    version = cpo.constraint()
    if chart_ref.startswith("oci://") and not cpo.repo_url:
        return _oci_pull(chart_ref, version, cpo, destination, untar, untardir, prov)
    dl = ChartDownloader(
        options=cpo.getter_options(),
        verify=VERIFY_ALWAYS if cpo.verify else VERIFY_LATER if prov else VERIFY_NEVER,
        keyring=cpo.keyring,
    )
    ref = chart_ref
    if cpo.repo_url:
        from polystack.helm.remote.chartrepo import find_chart_in_repo_url

        # with --repo, Helm downloads the resolved chart URL, which is also the name it reports
        ref = find_chart_in_repo_url(cpo.repo_url, chart_ref, version, cpo.getter_options())
    if not untar:
        _, v, out = dl.download_to(ref, version, destination)
        return out + (v.output() if v is not None else "")
    tmp = tempfile.mkdtemp(prefix="helm-pull-")
    try:
        archive, v, out = dl.download_to(ref, version, tmp)
        if v is not None:
            out += v.output()
        target_root = untardir if os.path.isabs(untardir) else os.path.join(destination, untardir)
        expand(archive, target_root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _oci_pull(
    chart_ref: str,
    version: str,
    cpo: ChartPathOptions,
    destination: str,
    untar: bool,
    untardir: str,
    prov: bool,
) -> str:
    from polystack.helm.remote.oci import pull as oci_pull
    from polystack.helm.remote.registry import RegistryError

    try:
        return oci_pull(
            chart_ref,
            version,
            cpo.registry_options(),
            destination=destination,
            untar=untar,
            untardir=untardir,
            prov=prov,
            verify=cpo.verify,
            keyring=cpo.keyring,
        )
    except RegistryError as e:
        raise RepoError(str(e)) from None


def locate_chart(ref: str, cpo: ChartPathOptions | None = None) -> str:
    """ChartPathOptions.LocateChart: a local path (verified against its .prov with
    --verify), else a chart from an HTTP repository downloaded into the repository
    cache. With --repo the credentials reach the chart only on the repository's
    own scheme and host, unless --pass-credentials. Raises ChartError/RepoError."""
    from polystack.helm.remote.provenance import ProvenanceError, verify_chart

    cpo = cpo or ChartPathOptions()
    name = ref.strip()
    version = cpo.constraint()
    if os.path.exists(name):
        path = os.path.abspath(name)
        if cpo.verify:
            try:
                verify_chart(path, path + ".prov", cpo.keyring)
            except ProvenanceError as e:
                raise RepoError(str(e)) from None
        return path
    if os.path.isabs(name) or name.startswith("."):
        raise ChartError(f'path "{name}" not found')
    if name.startswith("oci://"):
        return _oci_locate(name, version, cpo)
    dl = ChartDownloader(
        options=cpo.getter_options(),
        verify=VERIFY_ALWAYS if cpo.verify else VERIFY_NEVER,
        keyring=cpo.keyring,
    )
    if cpo.repo_url:
        from polystack.helm.remote.chartrepo import find_chart_in_repo_url

        name = find_chart_in_repo_url(cpo.repo_url, name, version, cpo.getter_options())
        if not (cpo.pass_credentials_all or same_scheme_host(cpo.repo_url, name)):
            dl.options = dl.options.but(username="", password="")
    archive, _, _ = dl.download_to(name, version, helm_dirs()[1])
    return archive


def _oci_locate(name: str, version: str, cpo: ChartPathOptions) -> str:
    """LocateChart for oci://: pulled into the repository cache (verified with --verify)."""
    from polystack.helm.remote.oci import download
    from polystack.helm.remote.provenance import ProvenanceError, verify_chart
    from polystack.helm.remote.registry import RegistryError

    try:
        archive, _ = download(
            name, version, helm_dirs()[1], cpo.registry_options(), require_prov=cpo.verify
        )
    except RegistryError as e:
        raise RepoError(str(e)) from None
    if cpo.verify:
        try:
            verify_chart(archive, archive + ".prov", cpo.keyring)
        except ProvenanceError as e:
            raise RepoError(str(e)) from None
    return archive


def locate_repo_chart(ref: str, version: str = "") -> str:
    """Download `repo/chart` from a configured repository into the cache; returns the path."""
    if "/" not in ref:
        raise ChartError(f'path "{ref}" not found')
    return locate_chart(ref, ChartPathOptions(version=version))
