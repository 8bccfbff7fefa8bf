"""Helm provenance: `package --sign`, `verify`, `pull --prov/--verify` and
`dependency update/build --verify`, checked against the real GnuPG
(`gpg --verify` accepts our .prov files, our verify accepts gpg's
clearsigned files) and against real Helm (helm-python-sdk's sign/verify:
same message block, each accepts the other's signatures, same errors)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from typing import Any

import pytest
from click.testing import CliRunner

from polystack.helm.action.package import package
from polystack.helm.cli import helm_group
from polystack.helm.remote.openpgp import clearsign
from polystack.helm.remote.openpgp.packet import (
    PacketReader,
    PrivateKey,
    Signature,
    parse_packet,
    read_header,
)
from polystack.helm.remote.provenance import (
    ProvenanceError,
    message_block,
    parse_message_block,
    sign_chart,
    verify_chart,
)

from .conftest import CHARTS_DIR
from .gpg_keys import LOCKED_UID, PASSPHRASE, PLAIN_UID, GpgKeys
from .test_cli_repo import helm_home, repo_server  # noqa: F401

CHART = os.path.join(CHARTS_DIR, "fail-required")


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(helm_group, list(args), input=input, env=env, catch_exceptions=False)


def _body(prov: str) -> str:
    return prov.split("-----BEGIN PGP SIGNATURE-----")[0]


def _sign(k: GpgKeys, dest: Any, *extra: str, chart: str = CHART, **kw: Any) -> Any:
    return run(
        "package",
        chart,
        "-d",
        str(dest),
        "--sign",
        "--keyring",
        k.path("secring.gpg"),
        *extra,
        **kw,
    )


# ---------------------------------------------------------------- package --sign


def test_package_sign_and_verify(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    r = _sign(gpg_keys, tmp_path, "--key", "signer@example.com")
    archive = tmp_path / "fail-required-0.1.0.tgz"
    assert r.exit_code == 0, r.output
    assert r.output == f"Successfully packaged chart and saved it to: {archive}\n"
    prov = tmp_path / "fail-required-0.1.0.tgz.prov"
    assert stat.S_IMODE(os.stat(prov).st_mode) == 0o644
    text = prov.read_text()
    digest = verify_chart(str(archive), str(prov), gpg_keys.path("pubring.gpg")).file_hash
    assert text.startswith(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
        "apiVersion: v2\nname: fail-required\nversion: 0.1.0\n\n...\nfiles:\n"
        f"  fail-required-0.1.0.tgz: {digest}\n\n-----BEGIN PGP SIGNATURE-----\n\n"
    )
    assert text.endswith("\n-----END PGP SIGNATURE-----")  # no CRC line, as go-crypto
    # the real GnuPG accepts it
    g = gpg_keys.gpg("--verify", str(prov), check=False)
    assert b"Good signature from" in g.stderr and PLAIN_UID.encode() in g.stderr, g.stderr
    r = run("verify", str(archive), "--keyring", gpg_keys.path("pubring.gpg"))
    assert r.exit_code == 0, r.output
    fpr = gpg_keys.gpg("--with-colons", "--fingerprint", "signer@example.com").stdout.decode()
    fpr = next(line.split(":")[9] for line in fpr.splitlines() if line.startswith("fpr:"))
    assert r.output == (
        f"Signed by: {PLAIN_UID}\nUsing Key With Fingerprint: {fpr}\nChart Hash Verified: {digest}\n"
    )


def test_package_sign_with_passphrase(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE + "\nignored second line\n")
    r = _sign(gpg_keys, tmp_path, "--key", "Locked", "--passphrase-file", str(pw))
    assert r.exit_code == 0, r.output
    archive = str(tmp_path / "fail-required-0.1.0.tgz")
    v = verify_chart(archive, archive + ".prov", gpg_keys.path("pubring.gpg"))
    assert list(v.signed_by.identities) == [LOCKED_UID]
    # signed with the primary key (as Helm does), not gpg's signing subkey
    block = clearsign.decode(open(archive + ".prov", "rb").read())
    assert block is not None and block.signature is not None
    sig = PacketReader(block.signature.body).next()
    assert isinstance(sig, Signature)
    assert sig.issuer_fingerprint == v.signed_by.primary_key.fingerprint
    # from stdin, and from HELM_KEY_PASSPHRASE
    os.remove(archive + ".prov")
    r = _sign(gpg_keys, tmp_path, "--key", "Locked", "--passphrase-file", "-", input=PASSPHRASE)
    assert r.exit_code == 0, r.output
    assert os.path.exists(archive + ".prov")
    r = _sign(gpg_keys, tmp_path, "--key", "Locked", env={"HELM_KEY_PASSPHRASE": PASSPHRASE})
    assert r.exit_code == 0, r.output
    # a wrong passphrase, and none at all (no terminal to prompt on)
    pw.write_text("wrong\n")
    r = _sign(gpg_keys, tmp_path, "--key", "Locked", "--passphrase-file", str(pw))
    assert r.exit_code == 1
    assert r.output == "Error: openpgp: invalid data: private key checksum failure\n"
    r = _sign(gpg_keys, tmp_path, "--key", "Locked", env={"HELM_KEY_PASSPHRASE": ""})
    assert r.exit_code == 1
    assert r.stdout == f'Password for key "{LOCKED_UID}" >  \n'
    assert r.stderr == "Error: inappropriate ioctl for device\n"


def test_package_sign_errors(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    def err(*args: str) -> str:
        r = _sign(gpg_keys, tmp_path, *args)
        assert r.exit_code == 1
        return r.output

    assert err() == "Error: --key is required for signing a package\n"
    assert err("--key", "nobody") == "Error: private key not found\n"
    assert err("--key", "Signer") == 'Error: more than one key contain the id "Signer"\n'
    # an exact user ID wins over substring matches
    r = _sign(gpg_keys, tmp_path, "--key", LOCKED_UID, "--passphrase-file", "-", input=PASSPHRASE)
    assert r.exit_code == 0, r.output
    missing = tmp_path / "missing.gpg"
    r = run(
        "package", CHART, "-d", str(tmp_path), "--sign", "--key", "x", "--keyring", str(missing)
    )
    assert r.output == f"Error: open {missing}: no such file or directory\n"
    r = run(
        "package",
        CHART,
        "-d",
        str(tmp_path),
        "--sign",
        "--key",
        "signer@example.com",
        "--keyring",
        gpg_keys.path("pubring.gpg"),
    )
    assert r.output == (
        "Error: provided key is not a private key. Try providing a keyring with secret keys\n"
    )
    assert err("--key", "Locked", "--passphrase-file", str(tmp_path / "nope")) == (
        f"Error: open {tmp_path / 'nope'}: no such file or directory\n"
    )
    (tmp_path / "empty").write_text("")
    assert err("--key", "Locked", "--passphrase-file", str(tmp_path / "empty")) == "Error: EOF\n"
    assert (
        err("--key", "Dsa", "--keyring", "")
        == "Error: --keyring is required for signing a package\n"
    )


def test_armored_secret_keyring(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    """ASCII-armored keyrings (as Helm's main branch reads them) sign and verify."""
    r = run(
        "package",
        CHART,
        "-d",
        str(tmp_path),
        "--sign",
        "--key",
        "Ed Signer",
        "--keyring",
        gpg_keys.path("sec.asc"),
    )
    assert r.exit_code == 0, r.output
    archive = str(tmp_path / "fail-required-0.1.0.tgz")
    r = run("verify", archive, "--keyring", gpg_keys.path("pub.asc"))
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Signed by: Ed Signer <ed@example.com>\n")
    bad = tmp_path / "bad.asc"
    bad.write_text("-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n")
    r = run("verify", archive, "--keyring", str(bad))
    assert r.output == (
        f"Error: failed to load keyring: reading armored keyring {bad}: openpgp: invalid"
        ' argument: expected a public or private key block, got "PGP MESSAGE"\n'
    )


def test_default_keyring_is_gnupghome_pubring(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    archive = package(CHART, str(tmp_path))
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(gpg_keys.path("secring.gpg"), home / "pubring.gpg")
    r = run("package", CHART, "-d", str(tmp_path), "--sign", "--key", "Test Signer",
            env={"GNUPGHOME": str(home)})  # fmt: skip
    assert r.exit_code == 0, r.output
    r = run("verify", archive, env={"GNUPGHOME": str(home)})
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- verify


def test_verify_gpg_clearsigned(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    """A .prov made by `gpg --clearsign --digest-algo SHA512` over Helm's body verifies."""
    archive = package(CHART, str(tmp_path))
    meta = b"apiVersion: v2\nname: fail-required\nversion: 0.1.0\n"
    body = message_block(open(archive, "rb").read(), os.path.basename(archive), meta)
    g = gpg_keys.gpg("--clearsign", "--digest-algo", "SHA512", "-u", "signer@example.com",
                     "-o", archive + ".prov", input=body)  # fmt: skip
    assert g.returncode == 0
    r = run("verify", archive, "--keyring", gpg_keys.path("pubring.gpg"))
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Signed by: {PLAIN_UID}\n")
    # gpg's signing subkey of the locked key: the entity (primary fingerprint) is reported
    gpg_keys.gpg("--passphrase", PASSPHRASE, "--yes", "--clearsign", "--digest-algo", "SHA512",
                 "-u", "locked@example.com", "-o", archive + ".prov", input=body)  # fmt: skip
    v = verify_chart(archive, archive + ".prov", gpg_keys.path("pubring.gpg"))
    assert list(v.signed_by.identities) == [LOCKED_UID]


def test_verify_failures(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    r = _sign(gpg_keys, tmp_path, "--key", "signer@example.com")
    assert r.exit_code == 0
    archive = str(tmp_path / "fail-required-0.1.0.tgz")
    pub = gpg_keys.path("pubring.gpg")
    prov = open(archive + ".prov").read()

    def verify(path: str = archive, keyring: str = pub) -> str:
        r = run("verify", path, "--keyring", keyring)
        assert r.exit_code == 1
        return r.output

    # unknown signer: a keyring without the key
    assert verify(keyring=gpg_keys.path("locked-pub.gpg")) == (
        "Error: openpgp: signature made by unknown entity\n"
    )
    # tampered .prov body
    with open(archive + ".prov", "w") as fh:
        fh.write(prov.replace("version: 0.1.0", "version: 0.1.1"))
    assert verify() == "Error: openpgp: invalid signature: RSA verification failure\n"
    with open(archive + ".prov", "w") as fh:
        fh.write("not signed\n")
    assert verify() == "Error: signature block not found\n"
    # tampered archive
    with open(archive + ".prov", "w") as fh:
        fh.write(prov)
    good = open(archive, "rb").read()
    with open(archive, "ab") as fh:
        fh.write(b"\0")
    want = prov.split("fail-required-0.1.0.tgz: ")[1].split("\n")[0]
    got = "sha256:" + hashlib.sha256(good + b"\0").hexdigest()
    assert verify() == (
        f'Error: sha256 sum does not match for fail-required-0.1.0.tgz: "{want}" != "{got}"\n'
    )
    # the .prov names another file
    other = str(tmp_path / "other-1.0.0.tgz")
    shutil.copy(archive, other)
    shutil.copy(archive + ".prov", other + ".prov")
    assert verify(other) == (
        'Error: provenance does not contain a SHA for a file named "other-1.0.0.tgz"\n'
    )
    os.remove(other + ".prov")
    assert verify(other) == (
        f"Error: could not load provenance file {other}.prov: stat {other}.prov: no such file"
        " or directory\n"
    )
    assert verify(str(tmp_path)) == "Error: unpacked charts cannot be verified\n"
    assert verify(archive + ".prov") == "Error: chart must be a tgz file\n"
    assert (
        verify(str(tmp_path / "x.tgz"))
        == f"Error: stat {tmp_path / 'x.tgz'}: no such file or directory\n"
    )
    assert verify(keyring=str(tmp_path / "none.gpg")) == (
        f"Error: failed to load keyring: open {tmp_path / 'none.gpg'}: no such file or directory\n"
    )
    assert verify(keyring=CHART + "/Chart.yaml") == (
        "Error: failed to load keyring: openpgp: invalid data: tag byte does not have MSB set\n"
    )
    r = run("verify")
    assert (
        r.output == 'Error: "helm verify" requires 1 argument\n\nUsage:  helm verify PATH [flags]\n'
    )


def test_expired_key(gpg_keys: GpgKeys, tmp_path: Any) -> None:
    r = _sign(gpg_keys, tmp_path, "--key", "Expired")
    assert r.exit_code == 0, r.output  # Helm signs with an expired key too
    r = run(
        "verify",
        str(tmp_path / "fail-required-0.1.0.tgz"),
        "--keyring",
        gpg_keys.path("pubring.gpg"),
    )
    assert r.output == "Error: openpgp: key expired\n"


def test_revoked_key(gpg_keys: GpgKeys, tmp_path: Any, request: Any) -> None:
    r = _sign(gpg_keys, tmp_path, "--key", "Revoked")
    assert r.exit_code == 0, r.output  # Helm signs with a revoked key too
    archive = str(tmp_path / "fail-required-0.1.0.tgz")
    r = run("verify", archive, "--keyring", gpg_keys.path("pubring.gpg"))
    assert r.output == "Error: openpgp: signature made by revoked key\n"
    try:
        helm = request.getfixturevalue("helm_oracle")
    except pytest.skip.Exception:
        return
    with pytest.raises(helm.HelmError) as e:
        helm.verify(archive, gpg_keys.path("pubring.gpg"))
    assert str(e.value) == "openpgp: signature made by revoked key"


def test_message_block_parse() -> None:
    assert parse_message_block(b"a: 1\n\n...\nfiles:\n  x.tgz: sha256:ab\n") == {
        "x.tgz": "sha256:ab"
    }
    with pytest.raises(ProvenanceError, match="message block must have at least two parts"):
        parse_message_block(b"files: {}\n")
    with pytest.raises(ProvenanceError, match="cannot unmarshal string into Go value"):
        parse_message_block(b"a\n...\nhello\n")


# ---------------------------------------------------------------- against real Helm


RICH_CHART = """\
apiVersion: v2
name: rich
version: 1.2.3-rc.1+build.5
appVersion: "1.10"
description: "A chart: with 'quotes', unicode ✓ and a very long description that goes on beyond eighty columns"
keywords: [a, "yes", "1.0", "-dash"]
home: https://example.com
kubeVersion: ">=1.20.0-0"
deprecated: true
annotations:
  example.com/a: "true"
  b: "multi\\nline"
maintainers:
  - name: Jane
    email: jane@example.com
  - name: Bob
dependencies:
  - name: sub
    version: 0.1.0
    repository: file://../sub
    condition: sub.enabled
    alias: subby
"""


@pytest.mark.parametrize("chart", ["fail-required", "rich", "v1"])
def test_same_message_block_as_helm(
    helm_oracle: Any, gpg_keys: GpgKeys, tmp_path: Any, chart: str
) -> None:
    if chart == "rich":
        src = tmp_path / "src" / "rich"
        (src / "charts" / "sub").mkdir(parents=True)
        (src / "Chart.yaml").write_text(RICH_CHART)
        (src / "charts" / "sub" / "Chart.yaml").write_text(
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n"
        )
    elif chart == "v1":
        src = tmp_path / "src" / "v1"
        (src / "charts" / "sub").mkdir(parents=True)
        (src / "Chart.yaml").write_text("apiVersion: v1\nname: v1\nversion: 0.2.0\n")
        (src / "requirements.yaml").write_text(
            "dependencies:\n- name: sub\n  version: 0.1.0\n  repository: file://../sub\n"
        )
        (src / "charts" / "sub" / "Chart.yaml").write_text(
            "apiVersion: v1\nname: sub\nversion: 0.1.0\n"
        )
    else:
        src = CHART
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    archive = package(str(src), str(ours_dir))
    twin = str(theirs_dir / os.path.basename(archive))
    shutil.copy(archive, twin)
    sign_chart(archive, "signer@example.com", gpg_keys.path("secring.gpg"), lambda: _no_passphrase)
    helm_oracle.sign(twin, key="signer@example.com", keyring=gpg_keys.path("secring.gpg"))
    ours = open(archive + ".prov").read()
    theirs = open(twin + ".prov").read()
    assert _body(ours) == _body(theirs)
    # each verifies the other's
    assert helm_oracle.verify(archive, gpg_keys.path("pubring.gpg"))["signed_by"] == [PLAIN_UID]
    v = verify_chart(twin, twin + ".prov", gpg_keys.path("pubring.gpg"))
    assert list(v.signed_by.identities) == [PLAIN_UID]


@pytest.mark.parametrize("who", ["Locked", "Ed Signer", "Ec Signer", "Dsa Signer"])
def test_helm_verifies_our_signatures(
    helm_oracle: Any, gpg_keys: GpgKeys, tmp_path: Any, who: str
) -> None:
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE)
    r = _sign(gpg_keys, tmp_path, "--key", who, "--passphrase-file", str(pw))
    assert r.exit_code == 0, r.output
    archive = str(tmp_path / "fail-required-0.1.0.tgz")
    got = helm_oracle.verify(archive, gpg_keys.path("pubring.gpg"))
    assert (
        got["file_hash"]
        == verify_chart(archive, archive + ".prov", gpg_keys.path("pubring.gpg")).file_hash
    )
    helm_oracle.sign(
        archive, key=who, keyring=gpg_keys.path("secring.gpg"), passphrase_file=str(pw)
    )
    r = run("verify", archive, "--keyring", gpg_keys.path("pubring.gpg"))
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == f"Signed by: {got['signed_by'][0]}"


def test_same_errors_as_helm(helm_oracle: Any, gpg_keys: GpgKeys, tmp_path: Any) -> None:
    archive = package(CHART, str(tmp_path))
    sec, pub = gpg_keys.path("secring.gpg"), gpg_keys.path("pubring.gpg")

    def helm_sign(**kw: Any) -> str:
        with pytest.raises(helm_oracle.HelmError) as e:
            helm_oracle.sign(archive, **kw)
        return str(e.value)

    def our_sign(key: str, keyring: str, *extra: str) -> str:
        r = run("package", CHART, "-d", str(tmp_path), "--sign", "--key", key,
                "--keyring", keyring, *extra)  # fmt: skip
        assert r.exit_code == 1
        return r.stderr.removeprefix("Error: ").rstrip("\n")

    wrong = tmp_path / "wrong"
    wrong.write_text("wrong\n")
    assert our_sign("nobody", sec) == helm_sign(key="nobody", keyring=sec)
    assert our_sign("Signer", sec) == helm_sign(key="Signer", keyring=sec)
    assert our_sign("signer@example.com", pub) == helm_sign(key="signer@example.com", keyring=pub)
    assert our_sign("Locked", sec, "--passphrase-file", str(wrong)) == helm_sign(
        key="Locked", keyring=sec, passphrase_file=str(wrong)
    )
    # verification failures
    helm_oracle.sign(archive, key="signer@example.com", keyring=sec)

    def both(keyring: str) -> tuple[str, str]:
        with pytest.raises(helm_oracle.HelmError) as e:
            helm_oracle.verify(archive, keyring)
        r = run("verify", archive, "--keyring", keyring)
        return r.stderr.removeprefix("Error: ").rstrip("\n"), str(e.value)

    ours, theirs = both(gpg_keys.path("locked-pub.gpg"))
    assert ours == theirs
    prov = open(archive + ".prov").read()
    with open(archive + ".prov", "w") as fh:
        fh.write(prov.replace("name: fail-required", "name: fail-requirez"))
    ours, theirs = both(pub)
    assert ours == theirs
    with open(archive + ".prov", "w") as fh:
        fh.write(prov)
    with open(archive, "ab") as fh:
        fh.write(b"!")
    ours, theirs = both(pub)
    assert ours == theirs


def test_helm_signs_with_our_aes256_protected_key(
    helm_live: Any, gpg_keys: GpgKeys, tmp_path: Any
) -> None:
    """Re-protect the plain key with AES-256 (our S2K + CFB + SHA-1 check) and let
    Helm unlock it: our secret-key encoding is the standard one."""
    data = open(gpg_keys.path("plain-sec.gpg"), "rb").read()
    out = b""
    pos = 0
    while pos < len(data):
        tag, body, end = read_header(data, pos)
        packet = data[pos:end]
        if tag == 5:
            key = parse_packet(tag, body)
            assert isinstance(key, PrivateKey)
            key.encrypt(b"aes pw")
            packet = key.serialize()
        out += packet
        pos = end
    ring = tmp_path / "aes.gpg"
    ring.write_bytes(out)
    pw = tmp_path / "pw"
    pw.write_text("aes pw\n")
    archive = package(CHART, str(tmp_path))
    helm_live.sign(archive, key="Test Signer", keyring=str(ring), passphrase_file=str(pw))
    assert verify_chart(archive, archive + ".prov", gpg_keys.path("pubring.gpg")).file_hash
    r = run("package", CHART, "-d", str(tmp_path), "--sign", "--key", "Test Signer",
            "--keyring", str(ring), "--passphrase-file", str(pw))  # fmt: skip
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- pull and dependencies


def _sign_served(k: GpgKeys, root: Any, name: str) -> None:
    sign_chart(
        str(root / name), "signer@example.com", k.path("secring.gpg"), lambda: _no_passphrase
    )


def _no_passphrase(name: str) -> bytes:
    raise AssertionError(f"no passphrase expected for {name}")


def test_pull_prov_and_verify(
    gpg_keys: GpgKeys,
    repo_server: tuple[str, Any],  # noqa: F811
    tmp_path: Any,
) -> None:
    url, root = repo_server
    assert run("repo", "add", "local", url).exit_code == 0
    pub = gpg_keys.path("pubring.gpg")
    dest = tmp_path / "dl"
    # nothing signed yet: --prov warns, --verify fails
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(dest), "--prov")
    assert r.exit_code == 0, r.output
    assert r.output == (
        "WARNING: Verification not found for local/fail-required: failed to fetch"
        f" {url}/fail-required-0.1.0.tgz.prov : 404 File not found\n"
    )
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(dest), "--verify",
            "--keyring", pub)  # fmt: skip
    assert r.exit_code == 1
    assert r.output == f'Error: failed to fetch provenance "{url}/fail-required-0.1.0.tgz.prov"\n'
    # with --repo, Helm names the chart URL
    r = run("pull", "sub2", "--repo", url, "-d", str(dest), "--prov")
    assert r.output.startswith(f"WARNING: Verification not found for {url}/sub2-0.2.0.tgz: ")
    _sign_served(gpg_keys, root, "fail-required-0.1.0.tgz")
    shutil.rmtree(dest)
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(dest), "--prov")
    assert r.exit_code == 0 and r.output == ""
    assert sorted(os.listdir(dest)) == ["fail-required-0.1.0.tgz", "fail-required-0.1.0.tgz.prov"]
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(dest), "--verify",
            "--keyring", pub)  # fmt: skip
    assert r.exit_code == 0, r.output
    archive = str(dest / "fail-required-0.1.0.tgz")
    digest = verify_chart(archive, archive + ".prov", pub).file_hash
    lines = r.output.splitlines()
    assert lines[0] == f"Signed by: {PLAIN_UID}"
    assert lines[1].startswith("Using Key With Fingerprint: ")
    assert lines[2] == f"Chart Hash Verified: {digest}"
    # --untar after verification
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(tmp_path / "u"),
            "--untar", "--verify", "--keyring", pub)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert os.path.exists(tmp_path / "u" / "fail-required" / "Chart.yaml")
    # an untrusted key, and a tampered archive on the server
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(dest), "--verify",
            "--keyring", gpg_keys.path("locked-pub.gpg"))  # fmt: skip
    assert r.output == "Error: openpgp: signature made by unknown entity\n"
    with open(root / "fail-required-0.1.0.tgz", "ab") as fh:
        fh.write(b"\0")
    r = run("pull", "local/fail-required", "--version", "0.1.0", "-d", str(dest), "--verify",
            "--keyring", pub)  # fmt: skip
    assert r.exit_code == 1
    assert r.output.startswith("Error: sha256 sum does not match for fail-required-0.1.0.tgz: ")


def test_dependency_verify(
    gpg_keys: GpgKeys,
    repo_server: tuple[str, Any],  # noqa: F811
    tmp_path: Any,
) -> None:
    url, root = repo_server
    pub = gpg_keys.path("pubring.gpg")
    app = tmp_path / "app"
    shutil.copytree(os.path.join(CHARTS_DIR, "fail-fail"), app)
    with open(app / "Chart.yaml", "a") as fh:
        fh.write(
            f"dependencies:\n  - name: fail-required\n    version: ^0.1.0\n    repository: {url}\n"
        )
    churl = f"{url}/fail-required-0.1.0.tgz"
    r = run("dependency", "update", str(app), "--verify", "--keyring", pub)
    assert r.exit_code == 1
    assert r.output.endswith(
        f'Save error occurred:  could not download {churl}: failed to fetch provenance "{churl}.prov"\n'
        "Deleting newly downloaded charts, restoring pre-update state\n"
        f'Error: could not download {churl}: failed to fetch provenance "{churl}.prov"\n'
    )
    assert not os.path.exists(app / "charts" / "fail-required-0.1.0.tgz")
    _sign_served(gpg_keys, root, "fail-required-0.1.0.tgz")
    r = run("dependency", "update", str(app), "--verify", "--keyring", pub)
    assert r.exit_code == 0, r.output
    assert sorted(os.listdir(app / "charts")) == [
        "fail-required-0.1.0.tgz",
        "fail-required-0.1.0.tgz.prov",
    ]
    # build verifies when it can: a missing .prov is only a warning
    os.remove(root / "fail-required-0.1.0.tgz.prov")
    run("repo", "add", "local", url)
    r = run("dependency", "build", str(app), "--verify", "--keyring", pub, "--skip-refresh")
    assert r.exit_code == 0, r.output
    assert (
        f"WARNING: Verification not found for {churl}: failed to fetch {churl}.prov : 404 File"
        " not found\n" in r.output
    )
