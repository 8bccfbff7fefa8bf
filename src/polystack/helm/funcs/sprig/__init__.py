"""The Sprig v3 function library (Masterminds/sprig v3.3) as Helm bundles it.

`sprig_funcs()` returns exactly the names Helm's engine takes from
``sprig.TxtFuncMap()`` minus the two Helm deletes (``env``, ``expandenv``).
Helm overrides some of them (toJson, fromJson ...) with its own; these are
Sprig's versions.  Each value is a plain Python callable following the Go
value model of ``polystack.helm.golang.types``; Go parameter types are
declared with ``gotypes.signature`` so the executor checks them as Go does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polystack.helm.funcs.sprig import (
    crypto,
    dates,
    defaults,
    dicts,
    encoding,
    lists,
    math,
    paths,
    reflect,
    regex,
    semverfuncs,
    strings,
    urls,
)
from polystack.helm.funcs.sprig._conv import GoError
from polystack.helm.golang.types import signature

__all__ = ["sprig_funcs", "SPRIG_NAMES"]


def _hello() -> str:
    return "Hello!"


@signature("string")
def _fail(msg: str) -> str:
    raise GoError(msg)


def _build() -> dict[str, Callable[..., Any]]:
    fm: dict[str, Callable[..., Any]] = {"hello": _hello, "fail": _fail}
    for mod in (
        strings,
        math,
        dates,
        defaults,
        lists,
        dicts,
        reflect,
        paths,
        encoding,
        regex,
        crypto,
        semverfuncs,
        urls,
    ):
        fm.update(mod.FUNCS)
    return fm


_FUNCS = _build()
SPRIG_NAMES = frozenset(_FUNCS)


def sprig_funcs() -> dict[str, Callable[..., Any]]:
    """A fresh copy of Helm's Sprig function map."""
    return dict(_FUNCS)
