"""Where a chart is and how to fetch it: action.ChartPathOptions and the default
keyring. Kept apart from the downloader so that commands given a local chart
import none of the network code (getter, repositories, OCI, OpenPGP)."""

from __future__ import annotations

import os

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from polystack.helm.remote.getter import GetterOptions
    from polystack.helm.remote.oci import RegistryOptions

__all__ = ["ChartPathOptions", "default_keyring"]


def default_keyring() -> str:
    """$GNUPGHOME/pubring.gpg, else ~/.gnupg/pubring.gpg (pkg/cmd defaultKeyring)."""
    home = os.environ.get("GNUPGHOME")
    if home is not None:
        return os.path.join(home, "pubring.gpg")
    return os.path.join(os.path.expanduser("~"), ".gnupg", "pubring.gpg")


class ChartPathOptions:
    """action.ChartPathOptions: the flags of `template`, `show` and `pull` that
    say where a chart is and how to fetch it."""

    __slots__ = (
        "version",
        "devel",
        "repo_url",
        "verify",
        "keyring",
        "username",
        "password",
        "cert_file",
        "key_file",
        "ca_file",
        "insecure_skip_tls_verify",
        "pass_credentials_all",
        "plain_http",
    )

    def __init__(
        self,
        version: str = "",
        devel: bool = False,
        repo_url: str = "",
        verify: bool = False,
        keyring: str = "",
        username: str = "",
        password: str = "",
        cert_file: str = "",
        key_file: str = "",
        ca_file: str = "",
        insecure_skip_tls_verify: bool = False,
        pass_credentials_all: bool = False,
        plain_http: bool = False,
    ) -> None:
        self.version = version
        self.devel = devel
        self.repo_url = repo_url
        self.verify = verify
        self.keyring = keyring
        self.username = username
        self.password = password
        self.cert_file = cert_file
        self.key_file = key_file
        self.ca_file = ca_file
        self.insecure_skip_tls_verify = insecure_skip_tls_verify
        self.pass_credentials_all = pass_credentials_all
        self.plain_http = plain_http

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={getattr(self, k)!r}" for k in ChartPathOptions.__slots__ if k != "password"
        )
        return f"ChartPathOptions({fields})"

    def registry_options(self) -> RegistryOptions:
        """The registry client's options for an oci:// chart (newRegistryClient)."""
        from polystack.helm.remote.oci import RegistryOptions

        return RegistryOptions(
            plain_http=self.plain_http,
            username=self.username,
            password=self.password,
            cert_file=self.cert_file,
            key_file=self.key_file,
            ca_file=self.ca_file,
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
        )

    def getter_options(self) -> GetterOptions:
        from polystack.helm.remote.getter import GetterOptions

        return GetterOptions(
            username=self.username,
            password=self.password,
            pass_credentials_all=self.pass_credentials_all,
            cert_file=self.cert_file,
            key_file=self.key_file,
            ca_file=self.ca_file,
            insecure_skip_tls_verify=self.insecure_skip_tls_verify,
        )

    def constraint(self) -> str:
        """--version, or `>0.0.0-0` with --devel (runShow/runInstall)."""
        v = self.version.strip()
        return v or (">0.0.0-0" if self.devel else "")
