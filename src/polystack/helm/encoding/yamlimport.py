"""Importing PyYAML without compiling its regular expressions up front.

``import yaml`` imports every part of PyYAML, and the pure-Python reader,
resolver and constructor compile their regular expressions when their classes
are created (the reader's NON_PRINTABLE character class alone is several
milliseconds). Helm's loading and dumping here go through libyaml (CParser,
CEmitter) and Go's resolution (yamlresolve.py), so most of those patterns are
never used by a `helm template` process. ``import_yaml_deferring_patterns``
imports PyYAML with each of those patterns compiled on its first use instead:
the same pattern, the same matches, only later (or never). Patterns other
modules compile meanwhile are compiled as usual.

Only for a process that has no other thread yet (cli/fast.py calls it first
thing): ``re.compile`` is replaced while PyYAML's modules run.
"""

from __future__ import annotations

import re
import sys

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DeferredPattern", "import_yaml_deferring_patterns"]


class DeferredPattern:
    """A compiled pattern that compiles itself on its first use."""

    __slots__ = ("_args", "_kw", "_pattern")

    def __init__(self, *args: Any, **kw: Any) -> None:
        self._args = args
        self._kw = kw
        self._pattern: re.Pattern[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        p = self._pattern
        if p is None:
            p = self._pattern = _compile(*self._args, **self._kw)
        return getattr(p, name)

    def __repr__(self) -> str:
        return repr(self._pattern) if self._pattern is not None else f"DeferredPattern{self._args}"


_compile = re.compile


def _deferring_compile(*args: Any, **kw: Any) -> Any:
    """re.compile while PyYAML is imported: deferred for PyYAML's own modules only."""
    if str(sys._getframe(1).f_globals.get("__name__", "")).startswith("yaml."):
        return DeferredPattern(*args, **kw)
    return _compile(*args, **kw)


def import_yaml_deferring_patterns() -> None:
    """Import PyYAML (once) with the patterns its modules compile deferred."""
    if "yaml" in sys.modules:
        return
    re.compile = _deferring_compile
    try:
        import yaml  # noqa: F401
    finally:
        re.compile = _compile
