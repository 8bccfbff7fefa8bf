"""Helm provenance files (pkg/provenance/sign.go, the signing half of
pkg/action/package.go and downloader.VerifyChart): `NAME-VERSION.tgz.prov`
is an OpenPGP cleartext-signed message whose body is the chart's Chart.yaml
metadata, `...`, and the sha256 of the archive:

    -----BEGIN PGP SIGNED MESSAGE-----
    Hash: SHA512

    apiVersion: v2
    name: mychart
    version: 0.1.0

    ...
    files:
      mychart-0.1.0.tgz: sha256:8482bb03...

    -----BEGIN PGP SIGNATURE-----
    ...

Errors carry Helm's (and go-crypto's) wording."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from polystack.helm.encoding import yamlgo
from polystack.helm.remote.openpgp import armor, clearsign
from polystack.helm.remote.openpgp.errors import OpenPGPError
from polystack.helm.remote.openpgp.keys import (
    Entity,
    EntityList,
    read_armored_key_rings,
    read_key_ring,
)

PassphraseFetcher = Callable[[str], bytes]


class ProvenanceError(Exception):
    """A provenance failure; str() is Helm's error text."""


@dataclass
class Verification:
    signed_by: Entity
    file_hash: str  # "sha256:HEX"
    file_name: str

    def output(self) -> str:
        """What `helm verify` and `helm pull --verify` print."""
        lines = [f"Signed by: {name}\n" for name in self.signed_by.identities]
        lines.append(f"Using Key With Fingerprint: {self.signed_by.fingerprint_hex()}\n")
        lines.append(f"Chart Hash Verified: {self.file_hash}\n")
        return "".join(lines)


def _go_os_error(op: str, path: str, e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        why = "no such file or directory"
    elif isinstance(e, IsADirectoryError):
        op, why = "read", "is a directory"
    elif isinstance(e, PermissionError):
        why = "permission denied"
    else:
        why = (e.strerror or str(e)).lower()
    return f"{op} {path}: {why}"


def read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as e:
        raise ProvenanceError(_go_os_error("open", path, e)) from None


def load_keyring(path: str) -> EntityList:
    """loadKeyRing: a binary OpenPGP keyring (pubring.gpg / secring.gpg) or, as
    Helm's main branch accepts, one or more ASCII-armored key blocks."""
    data = read_file(path)
    try:
        if armor.is_armored(data):
            try:
                return read_armored_key_rings(data)
            except OpenPGPError as e:
                raise ProvenanceError(f"reading armored keyring {path}: {e}") from None
        return read_key_ring(data)
    except OpenPGPError as e:
        raise ProvenanceError(str(e)) from None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- message block


def message_block(archive_data: bytes, filename: str, metadata_yaml: bytes) -> bytes:
    """The signed body: metadata YAML, the `...` document end, then the sums."""
    sums = yamlgo.marshal_yaml({"files": {filename: "sha256:" + digest(archive_data)}})
    return metadata_yaml + b"\n...\n" + sums.encode()


def parse_message_block(data: bytes) -> dict[str, str]:
    """ParseMessageBlock, returning the `files` sums (metadata is not checked)."""
    parts = data.split(b"\n...\n")
    if len(parts) < 2:
        raise ProvenanceError("message block must have at least two parts")
    try:
        doc = yamlgo.unmarshal(parts[1])
    except yamlgo.EncodingError as e:
        raise ProvenanceError(str(e)) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ProvenanceError(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{_json_kind(doc)} into Go value of type provenance.SumCollection"
        )
    files = doc.get("files")
    if files is None:
        return {}
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise ProvenanceError(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{_json_kind(files)} into Go struct field SumCollection.files of type "
            "map[string]string"
        )
    return {str(k): v for k, v in files.items()}


def _json_kind(v: object) -> str:
    from polystack.helm.encoding.yamlgo import json_kind as json_kind

    return json_kind(v)


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


# ---------------------------------------------------------------- signatory


class Signatory:
    """provenance.Signatory: the signing entity (if any) and the keyring."""

    def __init__(self, keyring: EntityList, entity: Entity | None = None) -> None:
        self.keyring = keyring
        self.entity = entity

    @classmethod
    def from_keyring(cls, keyring_path: str, key_id: str = "") -> Signatory:
        """NewFromKeyring: an exact user-ID match wins, else the one user ID that
        contains `key_id` (two or more: an error; none: no entity)."""
        s = cls(load_keyring(keyring_path))
        if not key_id:
            return s
        candidate: Entity | None = None
        vague = False
        for e in s.keyring:
            for name in e.identities:
                if name == key_id:
                    s.entity = e
                    return s
                if key_id in name:
                    if candidate is not None:
                        vague = True
                    candidate = e
        if vague:
            raise ProvenanceError(f"more than one key contain the id {_q(key_id)}")
        s.entity = candidate
        return s

    def decrypt_key(self, fetch: PassphraseFetcher) -> None:
        """DecryptKey: unlock the signing key, asking `fetch` for the passphrase."""
        if self.entity is None:
            raise ProvenanceError("private key not found")
        pk = self.entity.private_key
        if pk is None:
            raise ProvenanceError(
                "provided key is not a private key. Try providing a keyring with secret keys"
            )
        if not pk.encrypted:
            return
        name = next((n for n in self.entity.identities if n), "Unknown")
        passphrase = fetch(name)
        try:
            pk.decrypt(passphrase)
        except OpenPGPError as e:
            raise ProvenanceError(str(e)) from None

    def clear_sign(self, archive_data: bytes, filename: str, metadata_yaml: bytes) -> str:
        if self.entity is None:
            raise ProvenanceError("private key not found")
        if self.entity.private_key is None:
            raise ProvenanceError(
                "provided key is not a private key. Try providing a keyring with secret keys"
            )
        body = message_block(archive_data, filename, metadata_yaml)
        try:
            return clearsign.encode(body, self.entity.private_key)
        except OpenPGPError as e:
            raise ProvenanceError(f"failed to either sign or armor message block: {e}") from None

    def verify(self, archive_data: bytes, prov_data: bytes, filename: str) -> Verification:
        block = clearsign.decode(prov_data)
        if block is None:
            raise ProvenanceError("signature block not found")
        try:
            by = clearsign.verify(block, self.keyring)
        except OpenPGPError as e:
            raise ProvenanceError(str(e)) from None
        sums = parse_message_block(block.plaintext)
        got = "sha256:" + digest(archive_data)
        want = sums.get(filename)
        if want is None:
            raise ProvenanceError(
                f"provenance does not contain a SHA for a file named {_q(filename)}"
            )
        if want != got:
            raise ProvenanceError(
                f"sha256 sum does not match for {filename}: {_q(want)} != {_q(got)}"
            )
        return Verification(by, got, filename)


# ---------------------------------------------------------------- helm operations


def sign_chart(
    archive_path: str, key: str, keyring: str, fetch: Callable[[], PassphraseFetcher]
) -> str:
    """action.Package.Clearsign: write ARCHIVE.prov; returns its path.

    `fetch` is called after the key is found (as Helm opens --passphrase-file
    only then) and returns the passphrase fetcher."""
    from polystack.helm.chart.chart import ChartError, load

    signer = Signatory.from_keyring(keyring, key)
    fetcher = fetch()
    signer.decrypt_key(fetcher)
    try:
        ch = load(archive_path)
    except ChartError as e:
        raise ProvenanceError(f"failed to load chart for signing: {e}") from None
    metadata = yamlgo.marshal_yaml(ch.metadata.json()).encode()
    try:
        with open(archive_path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise ProvenanceError(
            "failed to read chart archive: " + _go_os_error("open", archive_path, e)
        ) from None
    sig = signer.clear_sign(data, os.path.basename(archive_path), metadata)
    prov = archive_path + ".prov"
    with open(prov, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(sig)
    os.chmod(prov, 0o644)
    return prov


def verify_chart(path: str, provfile: str, keyring: str) -> Verification:
    """downloader.VerifyChart."""
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except OSError as e:
        raise ProvenanceError(_go_os_error("stat", path, e)) from None
    if is_dir:
        raise ProvenanceError("unpacked charts cannot be verified")
    if os.path.splitext(path)[1].lower() != ".tgz":
        raise ProvenanceError("chart must be a tgz file")
    try:
        os.stat(provfile)
    except OSError as e:
        raise ProvenanceError(
            f"could not load provenance file {provfile}: " + _go_os_error("stat", provfile, e)
        ) from None
    try:
        sig = Signatory.from_keyring(keyring)
    except ProvenanceError as e:
        raise ProvenanceError(f"failed to load keyring: {e}") from None
    archive = read_file(path)
    prov = read_file(provfile)
    return sig.verify(archive, prov, os.path.basename(path))


# ---------------------------------------------------------------- passphrases


class PassphraseSource:
    """Where `helm package --sign` gets the passphrase of a protected key:
    --passphrase-file (first line; `-` reads a pipe on stdin; read once and
    reused for every chart), else HELM_KEY_PASSPHRASE (Helm 2's variable, still
    in Helm's provenance docs), else a prompt on the terminal (`echo` writes
    the prompt text where Helm prints it, on stdout)."""

    def __init__(
        self,
        passphrase_file: str,
        echo: Callable[[str], None],
        stdin: BinaryIO | None = None,
    ) -> None:
        self.passphrase_file = passphrase_file
        self.echo = echo
        self.stdin = stdin
        self.cached: bytes | None = None

    def prompt(self, name: str) -> bytes:
        """promptUser: `Password for key "NAME" >  `, then the terminal, without echo."""
        import getpass

        self.echo(f"Password for key {_q(name)} >  ")
        if not sys.stdin.isatty():
            self.echo("\n")
            raise ProvenanceError("inappropriate ioctl for device")
        return getpass.getpass("").encode()

    def fetcher(self) -> PassphraseFetcher:
        if self.passphrase_file:
            if self.cached is None:
                self.cached = self._read_first_line()
            cached = self.cached
            return lambda _name: cached
        env = os.environ.get("HELM_KEY_PASSPHRASE", "")
        if env:
            return lambda _name: env.encode()
        return self.prompt

    def _read_first_line(self) -> bytes:
        if self.passphrase_file == "-":
            stream = self.stdin if self.stdin is not None else sys.stdin.buffer
            try:
                piped = stat.S_ISFIFO(os.fstat(stream.fileno()).st_mode)
            except (OSError, ValueError, io.UnsupportedOperation):
                piped = True  # an in-memory stream (tests, embedding) has input
            if not piped:
                raise ProvenanceError(
                    "specified reading passphrase from stdin, without input on stdin"
                )
            data = stream.readline()
        else:
            try:
                with open(self.passphrase_file, "rb") as fh:
                    data = fh.readline()
            except OSError as e:
                raise ProvenanceError(_go_os_error("open", self.passphrase_file, e)) from None
        if not data:
            raise ProvenanceError("EOF")  # bufio.Reader.ReadLine on an empty file
        if data.endswith(b"\n"):
            data = data[:-1]
            if data.endswith(b"\r"):
                data = data[:-1]
        return data
