"""Charts in OCI registries (pkg/registry/client.go Push/Pull/Tags, util.go,
pkg/pusher/ocipusher.go and the OCI half of pkg/downloader): `helm push`,
`helm pull oci://...`, version constraints resolved from a repository's tags
(`+` in a version is `_` in a tag), and the download `template`, `show` and
`dependency update|build` make of an `oci://` chart.

A chart is stored as Helm stores it: an OCI image manifest whose config is the
Chart.yaml metadata as JSON (application/vnd.cncf.helm.config.v1+json), with
the .tgz as a layer (application/vnd.cncf.helm.chart.content.v1.tar+gzip) and
the .prov as another when there is one; the manifest's annotations are
generateOCIAnnotations'."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from polystack.helm.remote.getter import GetterOptions
from polystack.helm.remote.registry import (
    CHART_LAYER_MEDIA_TYPE,
    CONFIG_MEDIA_TYPE,
    LEGACY_CHART_LAYER_MEDIA_TYPE,
    PROV_LAYER_MEDIA_TYPE,
    RegistryClient,
    RegistryError,
    digest_of,
)

__all__ = [
    "OCIReference",
    "RegistryOptions",
    "config_json",
    "download",
    "is_oci",
    "manifest_json",
    "pull",
    "push",
    "resolve_tag",
    "tag_versions",
]

UNDERSCORE_MESSAGE = """
OCI artifact references (e.g. tags) do not support the plus sign (+). To support
storing semantic versions, Helm adopts the convention of changing plus (+) to
an underscore (_) in chart version tags when pushing to a registry and back to
a plus (+) when pulling from a registry."""


def is_oci(ref: str) -> bool:
    """registry.IsOCI."""
    return ref.startswith("oci://")


@dataclass
class RegistryOptions:
    """What a command hands to newRegistryClient: --plain-http, the TLS flags,
    --username/--password (else the credentials file) and --registry-config."""

    plain_http: bool = False
    username: str = ""
    password: str = ""
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    insecure_skip_tls_verify: bool = False
    credentials_file: str = ""

    def client(self) -> RegistryClient:
        tls = GetterOptions(
            cert_file=self.cert_file,
            key_file=self.key_file,
            ca_file=self.ca_file,
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
        )
        return RegistryClient(
            plain_http=self.plain_http,
            username=self.username,
            password=self.password,
            tls=tls,
            credentials_file=self.credentials_file,
        )


@dataclass
class OCIReference:
    """registry.Reference: host[:port], repository path, and a tag or digest."""

    host: str
    repository: str
    reference: str = ""

    @classmethod
    def parse(cls, ref: str) -> OCIReference:
        """parseReference: `oci://` is optional; a `+` in the tag becomes `_`."""
        raw = ref.removeprefix("oci://")
        host, _, rest = raw.partition("/")
        reference = ""
        if "@" in rest:
            rest, _, reference = rest.partition("@")
        else:
            head, sep, tail = rest.rpartition(":")
            if sep and "/" not in tail:
                rest, reference = head, tail.replace("+", "_")
        if not host or not rest:
            raise RegistryError(f"invalid reference: missing repository: {raw}")
        if rest != rest.lower() or "//" in rest:
            raise RegistryError(f"invalid reference: invalid repository {rest!r}")
        return cls(host, rest, reference)

    @property
    def name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]

    def __str__(self) -> str:
        if not self.reference:
            return f"{self.host}/{self.repository}"
        sep = "@" if self.reference.startswith("sha256:") else ":"
        return f"{self.host}/{self.repository}{sep}{self.reference}"


# ---------------------------------------------------------------- JSON as Go writes it


def _go_json(v: Any) -> str:
    """encoding/json for structs: dict keys in the order given (maps are built
    sorted), strings HTML-escaped as Go does."""
    from polystack.helm.encoding import jsongo

    if isinstance(v, dict):
        return "{" + ",".join(jsongo.quote(k) + ":" + _go_json(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(_go_json(x) for x in v) + "]"
    return jsongo.marshal(v)


def config_json(md: Any) -> bytes:
    """json.Marshal(chart.Metadata): fields in struct order, omitempty, the
    annotations map sorted."""
    doc = md.json()
    if "annotations" in doc:
        doc["annotations"] = dict(sorted(doc["annotations"].items()))
    return _go_json(doc).encode()


def oci_annotations(md: Any, created: str) -> dict[str, str]:
    """generateOCIAnnotations: the image annotations from the chart's metadata,
    then the chart's own annotations (which may not replace title or version)."""
    out: dict[str, str] = {}

    def add(key: str, value: str) -> None:
        if value.strip():
            out[key] = value

    add("org.opencontainers.image.description", md.description)
    add("org.opencontainers.image.title", md.name)
    add("org.opencontainers.image.version", md.version)
    add("org.opencontainers.image.url", md.home)
    add("org.opencontainers.image.created", created)
    if md.sources:
        add("org.opencontainers.image.source", md.sources[0])
    if md.maintainers:
        authors = ", ".join(m.name + (f" ({m.email})" if m.email else "") for m in md.maintainers)
        add("org.opencontainers.image.authors", authors)
    for k, v in md.annotations.items():
        if k not in ("org.opencontainers.image.version", "org.opencontainers.image.title"):
            out[k] = v
    return dict(sorted(out.items()))


def _descriptor(media_type: str, data: bytes) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}


def manifest_json(
    config: bytes, chart: bytes, prov: bytes | None, annotations: dict[str, str]
) -> bytes:
    """The image manifest Helm pushes (schemaVersion 2, no mediaType field; the
    layers sorted by digest, as Helm sorts them for determinism)."""
    layers = [_descriptor(CHART_LAYER_MEDIA_TYPE, chart)]
    if prov is not None:
        layers.append(_descriptor(PROV_LAYER_MEDIA_TYPE, prov))
    layers.sort(key=lambda d: str(d["digest"]))
    doc: dict[str, Any] = {
        "schemaVersion": 2,
        "config": _descriptor(CONFIG_MEDIA_TYPE, config),
        "layers": layers,
    }
    if annotations:
        doc["annotations"] = annotations
    return _go_json(doc).encode()


def _now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- push


def push(archive: str, remote: str, opts: RegistryOptions, created: str = "") -> tuple[str, str]:
    """`helm push CHART.tgz oci://HOST/REPO`: (what Helm prints, manifest digest).
    The .prov next to the archive is pushed as a second layer."""
    from polystack.helm.chart.chart import ChartError, load_archive

    if not is_oci(remote):
        raise RegistryError('scheme prefix missing from remote (e.g. "oci://")')
    try:
        st = os.stat(archive)
    except OSError as e:
        raise RegistryError(f"stat {archive}: {(e.strerror or str(e)).lower()}") from None
    if os.path.isdir(archive):
        raise RegistryError("cannot push directory, must provide chart archive (.tgz)")
    del st
    with open(archive, "rb") as fh:
        data = fh.read()
    try:
        md = load_archive(data).metadata
    except ChartError as e:
        raise RegistryError(str(e)) from None
    prov: bytes | None = None
    if os.path.isfile(archive + ".prov"):
        with open(archive + ".prov", "rb") as fh:
            prov = fh.read()
    base = remote.removeprefix("oci://").rstrip("/")
    ref = OCIReference.parse(f"{base}/{md.name}:{md.version}")
    if ref.name != md.name or ref.reference != md.version.replace("+", "_"):
        raise RegistryError(
            "strict mode enabled, ref basename and tag must match the chart name and version"
        )
    config = config_json(md)
    manifest = manifest_json(config, data, prov, oci_annotations(md, created or _now_rfc3339()))
    client = opts.client()
    manifest_digest = digest_of(manifest)
    try:
        client.manifest_exists(ref.host, ref.repository, manifest_digest)
    except RegistryError as e:
        raise RegistryError(f'failed to perform "Exists" on destination: {e}') from None
    for blob in (data, config) + ((prov,) if prov is not None else ()):
        client.push_blob(ref.host, ref.repository, blob)
    client.push_manifest(ref.host, ref.repository, ref.reference, manifest)
    out = f"Pushed: {ref}\nDigest: {manifest_digest}\n"
    if "_" in ref.reference:
        out += f"{ref} contains an underscore.\n{UNDERSCORE_MESSAGE}\n"
    return out, manifest_digest


# ---------------------------------------------------------------- versions


def tag_versions(client: RegistryClient, ref: OCIReference) -> list[str]:
    """Client.Tags: the repository's tags that are strict semver once `_` is `+`,
    newest first, as versions."""
    from polystack.helm.encoding.semver import Version

    found: list[Any] = []
    for tag in client.tags(ref.host, ref.repository):
        try:
            found.append(Version.strict(tag.replace("_", "+")))
        except ValueError:
            continue
    found.sort(reverse=True)
    return [str(v) for v in found]


def resolve_tag(client: RegistryClient, ref: OCIReference, version: str) -> str:
    """The version to fetch (getOciURI): a tag in the reference, an exact
    --version, or the newest tag matching the constraint (the newest at all
    without one). Returns the version with `+`."""
    from polystack.helm.encoding.semver import Constraints, Version

    if ref.reference and not ref.reference.startswith("sha256:"):
        tag = ref.reference.replace("_", "+")
        if version and version != tag:
            raise RegistryError(f"chart reference and version mismatch: {tag} is not {version}")
        return tag
    try:
        Version.parse(version)
        return version
    except ValueError:
        pass
    tags = tag_versions(client, ref)
    if not tags:
        raise RegistryError(f"unable to locate any tags in provided repository: oci://{ref}")
    if version:
        if version in tags:
            return version
        try:
            constraint = Constraints.parse(version)
        except ValueError as e:
            raise RegistryError(str(e)) from None
    else:
        constraint = Constraints.parse("*")
    for t in tags:
        try:
            if constraint.check(Version.parse(t)):
                return t
        except ValueError:
            continue
    raise RegistryError(f"could not locate a version matching provided version string {version}")


# ---------------------------------------------------------------- pull


@dataclass
class Pulled:
    ref: OCIReference
    manifest_digest: str
    chart: bytes
    prov: bytes | None
    meta: dict[str, Any]
    output: str


def fetch(client: RegistryClient, ref: OCIReference, with_prov: bool = False) -> Pulled:
    """Client.Pull: the manifest, the config (the chart's metadata) and the chart
    layer (the prov layer too when asked and present), digests checked."""
    found = client.manifest(ref.host, ref.repository, ref.reference or "latest")
    if found is None:
        raise RegistryError(f'failed to perform "FetchReference" on source: {ref}: not found')
    manifest_digest, data = found
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise RegistryError(f"invalid manifest: {e}") from None
    config_d = doc.get("config") or {}
    if config_d.get("mediaType") != CONFIG_MEDIA_TYPE:
        raise RegistryError(f"could not load config with mediatype {CONFIG_MEDIA_TYPE}")
    output = ""
    chart_d = prov_d = None
    for layer in doc.get("layers") or []:
        mt = layer.get("mediaType")
        if mt == CHART_LAYER_MEDIA_TYPE:
            chart_d = layer
        elif mt == LEGACY_CHART_LAYER_MEDIA_TYPE:
            chart_d = layer
            output += f"Warning: chart media type {LEGACY_CHART_LAYER_MEDIA_TYPE} is deprecated\n"
        elif mt == PROV_LAYER_MEDIA_TYPE:
            prov_d = layer
    if chart_d is None:
        raise RegistryError(
            f"manifest does not contain a layer with mediatype {CHART_LAYER_MEDIA_TYPE}"
        )
    config = client.blob(ref.host, ref.repository, config_d["digest"])
    try:
        meta = json.loads(config)
    except ValueError as e:
        raise RegistryError(f"invalid chart config: {e}") from None
    chart = client.blob(ref.host, ref.repository, chart_d["digest"])
    prov = client.blob(ref.host, ref.repository, prov_d["digest"]) if with_prov and prov_d else None
    output += f"Pulled: {ref}\nDigest: {manifest_digest}\n"
    if "_" in str(ref):
        output += f"{ref} contains an underscore.\n{UNDERSCORE_MESSAGE}\n"
    return Pulled(ref, manifest_digest, chart, prov, meta, output)


def download(
    chart_ref: str,
    version: str,
    dest: str,
    opts: RegistryOptions,
    with_prov: bool = False,
    require_prov: bool = False,
) -> tuple[str, str]:
    """ChartDownloader.DownloadTo for an oci:// reference: (archive path, what
    Helm prints). The archive is NAME-VERSION.tgz (its .prov beside it)."""
    client = opts.client()
    ref = OCIReference.parse(chart_ref)
    if not ref.reference.startswith("sha256:"):
        tag = resolve_tag(client, ref, version)
        ref = OCIReference(ref.host, ref.repository, tag.replace("+", "_"))
    try:
        pulled = fetch(client, ref, with_prov=with_prov or require_prov)
    except RegistryError as e:
        text = str(e)
        if not text.startswith(("failed to perform", "manifest does not", "could not load")):
            text = f'failed to perform "FetchReference" on source: {text}'
        raise RegistryError(text) from None
    if require_prov and pulled.prov is None:
        raise RegistryError(
            f"manifest does not contain a layer with mediatype {PROV_LAYER_MEDIA_TYPE}"
        )
    version_name = str(pulled.meta.get("version") or ref.reference.replace("_", "+"))
    os.makedirs(dest, exist_ok=True)
    archive = os.path.join(dest, f"{ref.name}-{version_name}.tgz")
    with open(archive, "wb") as fh:
        fh.write(pulled.chart)
    if pulled.prov is not None:
        with open(archive + ".prov", "wb") as fh:
            fh.write(pulled.prov)
    return archive, pulled.output


def pull(
    chart_ref: str,
    version: str,
    opts: RegistryOptions,
    destination: str = ".",
    untar: bool = False,
    untardir: str = ".",
    prov: bool = False,
    verify: bool = False,
    keyring: str = "",
) -> str:
    """action.Pull.Run for oci:// references; returns what Helm prints."""
    import shutil
    import tempfile

    from polystack.helm.chart.archive import expand

    tmp = tempfile.mkdtemp(prefix="helm-pull-") if untar else ""
    try:
        archive, out = download(
            chart_ref, version, tmp or destination, opts, with_prov=prov, require_prov=verify
        )
        if verify:
            from polystack.helm.remote.provenance import ProvenanceError, verify_chart

            try:
                out += verify_chart(archive, archive + ".prov", keyring).output()
            except ProvenanceError as e:
                raise RegistryError(str(e)) from None
        if untar:
            root = untardir if os.path.isabs(untardir) else os.path.join(destination, untardir)
            expand(archive, root)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return out
