"""Template functions loaded on first use.

A function map may hold a ``LazyFunc`` in place of a function: the parser only
needs the names, and the executor loads the function (importing its module) the
first time a template calls it, then keeps the function in the set's map. So a
chart that never calls a regular expression, date or crypto function never
imports those libraries.
"""

from __future__ import annotations

import sys

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["LazyFunc", "resolve"]


class LazyFunc:
    """The function ``FUNCS[name]`` of ``module``, imported when first needed."""

    __slots__ = ("module", "name", "fn")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self.fn: Callable[..., Any] | None = None

    def load(self) -> Callable[..., Any]:
        fn = self.fn
        if fn is None:
            __import__(self.module)  # (importlib's package: a fresh command's cost)
            fn = self.fn = sys.modules[self.module].FUNCS[self.name]
        return fn

    def __call__(self, *args: Any) -> Any:
        return self.load()(*args)

    def __repr__(self) -> str:
        return f"LazyFunc({self.module}.FUNCS[{self.name!r}])"


def resolve(funcs: dict[str, Any], name: str) -> Any:
    """funcs[name] (None when absent), loading it if it is still a LazyFunc."""
    fn = funcs.get(name)
    if type(fn) is LazyFunc:
        fn = funcs[name] = fn.load()
    return fn
