"""Executor-internal value markers (Go's reflect.Value states)."""

from __future__ import annotations

__all__ = ["NO_VALUE", "MISSING"]


class _NoValue:
    """The invalid ``reflect.Value``: a missing map key (``<no value>``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"

    def __bool__(self) -> bool:
        return False


class _Missing:
    """``missingVal``: no piped final argument."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


NO_VALUE = _NoValue()
MISSING = _Missing()
