"""Errors of the template engine, carrying Go's exact error text."""

from __future__ import annotations

__all__ = ["TemplateError", "ParseError", "ExecError", "FuncError"]


class TemplateError(Exception):
    """Any text/template error; ``message`` is the full text Go prints."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ParseError(TemplateError):
    """``template: NAME:LINE: MESSAGE`` as Go's parse package formats it."""


class ExecError(TemplateError):
    """``template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`` (template.ExecError).

    ``name`` is the executing template, ``cause`` the message after ``<NODE>: ``.
    """

    def __init__(self, message: str, name: str = "", cause: str = "") -> None:
        super().__init__(message)
        self.name = name
        self.cause = cause


class FuncError(Exception):
    """Raised by a template function: Go's ``error calling NAME: MESSAGE``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
