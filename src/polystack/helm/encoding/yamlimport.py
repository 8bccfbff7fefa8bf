"""PyYAML, imported when a YAML text is first parsed or written, without
compiling its regular expressions up front.

The modules built on PyYAML (yamlload, yamlgo, yamlorder) take it from here
(``from polystack.helm.encoding.yamlimport import yaml``): it is imported by
the first of them a process imports, which a `helm template` whose chart files
all come from the on-disk cache (chart/parsed.py) never does.

``import yaml`` imports every part of PyYAML, and the pure-Python reader,
resolver and constructor compile their regular expressions when their classes
are created (the reader's NON_PRINTABLE character class alone is several
milliseconds). Helm's loading and dumping here go through libyaml (CParser,
CEmitter) and Go's resolution (yamlresolve.py), so most of those patterns are
never used by a `helm template` process. ``import_yaml_deferring_patterns``
imports PyYAML with each of those patterns compiled on its first use instead:
the same pattern, the same matches, only later (or never). Patterns other
modules compile meanwhile are compiled as usual.

That replaces ``re.compile`` while PyYAML's modules run, so it is done only when
no other thread can run Python code meanwhile: when the `polystack helm` command
is the process (cli/fast.py sets ``DEFER_PATTERNS``; its main thread only waits
for the render thread). A library user's import of PyYAML is a plain import.
"""

from __future__ import annotations

import sys

# typing is imported by type checkers only (its import is a fresh command's cost); so
# is re's, imported when PyYAML is
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any

    import yaml as yaml

__all__ = ["DEFER_PATTERNS", "DeferredPattern", "import_yaml_deferring_patterns", "yaml"]

# True when PyYAML may be imported with its patterns deferred (see above)
DEFER_PATTERNS = False


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
            import re

            p = self._pattern = re.compile(*self._args, **self._kw)
        return getattr(p, name)

    def __repr__(self) -> str:
        return repr(self._pattern) if self._pattern is not None else f"DeferredPattern{self._args}"


def import_yaml_deferring_patterns() -> None:
    """Import PyYAML (once) with the patterns its modules compile deferred."""
    if "yaml" in sys.modules:
        return
    import re

    compile_ = re.compile

    def deferring_compile(*args: Any, **kw: Any) -> Any:
        """re.compile while PyYAML is imported: deferred for PyYAML's own modules only."""
        if str(sys._getframe(1).f_globals.get("__name__", "")).startswith("yaml."):
            return DeferredPattern(*args, **kw)
        return compile_(*args, **kw)

    re.compile = deferring_compile
    try:
        import yaml  # noqa: F401
    finally:
        re.compile = compile_


def __getattr__(name: str) -> Any:
    """``yaml``: PyYAML, imported on first use (with its patterns deferred when
    DEFER_PATTERNS)."""
    if name != "yaml":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if DEFER_PATTERNS:
        import_yaml_deferring_patterns()
    import yaml

    globals()["yaml"] = yaml
    return yaml
