"""OpenPGP keys made by the real GnuPG (`gpg --batch --gen-key`): a GNUPGHOME and
the same keys exported as legacy binary and armored keyrings, shared by the
provenance and OpenPGP tests. They are made once and kept in tests/helm/pgp/
(test-only keys: never use them for anything else), so a test session copies
them instead of spending seconds generating; `python tests/helm/gpg_keys.py
tests/helm/pgp` makes a new set. Skips when gpg is not installed (the Debian
package `gnupg`, see scripts/install-test-deps)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

PASSPHRASE = "s3cret pass"
# the keys made once with GnuPG (see generate) and kept with the tests
STORED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pgp")
PLAIN_UID = "Test Signer (polystack test) <signer@example.com>"
LOCKED_UID = "Locked Signer <locked@example.com>"

_KEYS = """\
%no-protection
Key-Type: RSA
Key-Length: 2048
Name-Real: Test Signer
Name-Comment: polystack test
Name-Email: signer@example.com
Expire-Date: 0
%commit
%no-protection
Key-Type: EDDSA
Key-Curve: ed25519
Subkey-Type: ECDH
Subkey-Curve: cv25519
Name-Real: Ed Signer
Name-Email: ed@example.com
Expire-Date: 0
%commit
%no-protection
Key-Type: ECDSA
Key-Curve: nistp256
Name-Real: Ec Signer
Name-Email: ec@example.com
Expire-Date: 0
%commit
%no-protection
Key-Type: RSA
Key-Length: 2048
Name-Real: Revoked Signer
Name-Email: revoked@example.com
Expire-Date: 0
%commit
%no-protection
Key-Type: DSA
Key-Length: 2048
Subkey-Type: ELG-E
Subkey-Length: 2048
Name-Real: Dsa Signer
Name-Email: dsa@example.com
Expire-Date: 0
%commit
"""

# a protected key, made by a gpg of its own (batch settings leak between keys)
_LOCKED = f"""\
Key-Type: RSA
Key-Length: 3072
Subkey-Type: RSA
Subkey-Length: 3072
Subkey-Usage: sign
Name-Real: Locked Signer
Name-Email: locked@example.com
Passphrase: {PASSPHRASE}
Expire-Date: 0
%commit
"""

# made with a faked clock in 2020, valid for one day: long expired
_EXPIRED = """\
%no-protection
Key-Type: RSA
Key-Length: 2048
Name-Real: Expired Signer
Name-Email: expired@example.com
Expire-Date: 1d
%commit
"""


@dataclass
class GpgKeys:
    home: str
    dir: str

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def gpg(self, *args: str, input: bytes | None = None, check: bool = True) -> Any:
        env = dict(os.environ, GNUPGHOME=self.home)
        return subprocess.run(
            ["gpg", "--batch", "--pinentry-mode", "loopback", *args],
            input=input,
            capture_output=True,
            env=env,
            check=check,
            timeout=120,
        )


def _revoke(k: GpgKeys, email: str) -> None:
    """Import the revocation certificate gpg stored when it made the key."""
    listing = k.gpg("--with-colons", "--fingerprint", email).stdout.decode()
    fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    with open(os.path.join(k.home, "openpgp-revocs.d", fpr + ".rev"), "rb") as fh:
        cert = fh.read().replace(b":-----BEGIN", b"-----BEGIN")
    k.gpg("--import", input=cert)


def _export(k: GpgKeys, name: str, *args: str) -> None:
    with open(k.path(name), "wb") as fh:
        fh.write(k.gpg(*args).stdout)


def generate(base: str) -> GpgKeys:
    """Make the keys with GnuPG into ``base`` (a GNUPGHOME in base/gnupg and the
    exported keyrings beside it). Seconds of work: the tests use the set stored in
    tests/helm/pgp/, made by ``python tests/helm/gpg_keys.py tests/helm/pgp``."""
    home = os.path.join(base, "gnupg")
    os.makedirs(home, mode=0o700)
    k = GpgKeys(home, base)
    k.gpg("--gen-key", input=_KEYS.encode())
    _revoke(k, "revoked@example.com")
    k.gpg("--gen-key", input=_LOCKED.encode())
    k.gpg("--faked-system-time", "20200101T000000", "--gen-key", input=_EXPIRED.encode())
    _export(k, "pubring.gpg", "--export")
    _export(k, "secring.gpg", "--passphrase", PASSPHRASE, "--export-secret-keys")
    _export(k, "pub.asc", "--armor", "--export")
    _export(k, "sec.asc", "--armor", "--passphrase", PASSPHRASE, "--export-secret-keys")
    _export(k, "plain-pub.gpg", "--export", "signer@example.com")
    _export(k, "locked-pub.gpg", "--export", "locked@example.com")
    _export(k, "plain-sec.gpg", "--export-secret-keys", "signer@example.com")
    _export(
        k,
        "locked-sec.gpg",
        "--passphrase",
        PASSPHRASE,
        "--export-secret-keys",
        "locked@example.com",
    )
    _kill_agent(home)
    return k


def _kill_agent(home: str) -> None:
    subprocess.run(
        ["gpgconf", "--kill", "gpg-agent"],
        env=dict(os.environ, GNUPGHOME=home),
        capture_output=True,
        check=False,
    )


@pytest.fixture(scope="session")
def gpg_keys(tmp_path_factory: Any) -> Iterator[GpgKeys]:
    """The stored test keys (test-only secrets), copied to a temporary directory
    (gpg-agent keeps its sockets in the GNUPGHOME)."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed (Debian package gnupg)")
    base = str(tmp_path_factory.mktemp("pgp"))
    if os.path.isdir(os.path.join(STORED, "gnupg")):
        shutil.copytree(STORED, base, dirs_exist_ok=True)
        os.chmod(os.path.join(base, "gnupg"), 0o700)
        k = GpgKeys(os.path.join(base, "gnupg"), base)
    else:  # pragma: no cover - only when the stored set was removed
        k = generate(base)
    try:
        yield k
    finally:
        _kill_agent(k.home)


if __name__ == "__main__":  # pragma: no cover
    import sys

    target = sys.argv[1]
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    generate(target)
