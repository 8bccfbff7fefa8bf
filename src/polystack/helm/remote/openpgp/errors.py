"""OpenPGP errors, worded as golang.org/x/crypto/openpgp/errors (ProtonMail's
go-crypto fork, which Helm uses) words them, so that Helm's messages come out
the same."""

from __future__ import annotations


class OpenPGPError(Exception):
    """Base of every OpenPGP failure; str() is the Go error text."""


class StructuralError(OpenPGPError):
    """Syntactically invalid OpenPGP data."""

    def __init__(self, what: str) -> None:
        super().__init__(f"openpgp: invalid data: {what}")


class UnsupportedError(OpenPGPError):
    """Valid OpenPGP data that uses something not implemented here."""

    def __init__(self, what: str) -> None:
        super().__init__(f"openpgp: unsupported feature: {what}")


class InvalidArgumentError(OpenPGPError):
    def __init__(self, what: str) -> None:
        super().__init__(f"openpgp: invalid argument: {what}")


class SignatureError(OpenPGPError):
    """A well-formed signature that does not verify."""

    def __init__(self, what: str) -> None:
        super().__init__(f"openpgp: invalid signature: {what}")


class UnknownIssuerError(OpenPGPError):
    def __init__(self) -> None:
        super().__init__("openpgp: signature made by unknown entity")


class KeyExpiredError(OpenPGPError):
    def __init__(self) -> None:
        super().__init__("openpgp: key expired")


class SignatureExpiredError(OpenPGPError):
    def __init__(self) -> None:
        super().__init__("openpgp: signature expired")


class KeyRevokedError(OpenPGPError):
    def __init__(self) -> None:
        super().__init__("openpgp: signature made by revoked key")


class DummyKeyError(OpenPGPError):
    """A GnuPG secret-key stub (`gnu-dummy` S2K): the secret is elsewhere."""

    def __init__(self, what: str) -> None:
        super().__init__(f"openpgp: s2k GNU dummy key: {what}")


class UnexpectedEOFError(OpenPGPError):
    """Go's io.ErrUnexpectedEOF: a packet or field ends early."""

    def __init__(self) -> None:
        super().__init__("unexpected EOF")
