"""A module imported when one of its names is first used.

For a module that a fresh `helm template` process may not need at all (PyYAML's
writer when every toYaml value is written directly, the full YAML parse of a
manifest head the line scanner reads): ``yamlgo = LazyModule("...yamlgo")``
at module level, under ``if not TYPE_CHECKING`` (type checkers see the plain
import). An ``except yamlgo.EncodingError`` clause imports it only when an
exception is being matched.
"""

from __future__ import annotations

import sys

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """Stands for the module ``name`` and imports it on the first attribute read."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = sys.modules.get(self._name)
            if module is None:
                __import__(self._name)
                module = sys.modules[self._name]
            self._module = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<LazyModule {self._name!r}>"
