"""How a `polystack helm template` process imports polystack's own modules.

A fresh `helm template` imports ~65 of polystack's modules, and the import system
spends ~0.3 M instructions on each beyond running its code: the path finder's
directory cache and spec, the source loader's paths, stats and checks, in Python
code. ``PackageFinder``, put first on ``sys.meta_path`` for the command's process
only (cli.py hands `polystack helm` to polystack.helm.cli.fast; never for a library
user), finds a submodule of an imported polystack package and reads its cached
bytecode itself: one directory listing per package (as the path finder's cache),
one stat of the source and one read of the ``.pyc`` (through ``io.open_code``, as
the source loader reads it), checked as the source loader checks a timestamp
``.pyc`` (magic number, flags, the source's mtime and size). Everything else (no
``.pyc`` yet, a stale or hash-based one, an extension module, a namespace package,
any name outside polystack) is left to the import system, which finds, compiles
and caches it as always. The module gets the spec, loader (a SourceFileLoader),
``__file__`` and ``__cached__`` the path finder would give it.
"""

from __future__ import annotations

import _imp
import marshal
import sys
from _io import open_code

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import CodeType, ModuleType
    from typing import Any

__all__ = ["PackageFinder", "install"]

_external: Any = sys.modules["_frozen_importlib_external"]
_bootstrap: Any = sys.modules["_frozen_importlib"]
_os: Any = _external._os
_fix_co_filename: Any = _imp.__dict__["_fix_co_filename"]  # (not in typeshed's _imp)
_EXTENSIONS = tuple(_external.EXTENSION_SUFFIXES)


class _CachedLoader(_external.SourceFileLoader):
    """A SourceFileLoader handed the module's code, already read and checked."""

    def __init__(self, fullname: str, path: str, code: CodeType) -> None:
        super().__init__(fullname, path)
        self._code: CodeType | None = code

    def get_code(self, fullname: str) -> CodeType:
        code = self._code
        if code is None or fullname != self.name:
            return super().get_code(fullname)
        self._code = None
        return code


class PackageFinder:
    """A meta path finder for the submodules of polystack's packages (see above)."""

    def __init__(self, prefix: str = "polystack.") -> None:
        self.prefix = prefix
        self._listings: dict[str, frozenset[str]] = {}

    def invalidate_caches(self) -> None:
        """importlib.invalidate_caches(): directories are listed again."""
        self._listings.clear()

    def _listing(self, directory: str) -> frozenset[str]:
        names = self._listings.get(directory)
        if names is None:
            try:
                names = frozenset(_os.listdir(directory))
            except OSError:
                names = frozenset()
            self._listings[directory] = names
        return names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> Any:
        if path is None or not fullname.startswith(self.prefix) or len(path) != 1:
            return None
        directory = path[0]
        if not isinstance(directory, str) or not directory.startswith("/"):
            return None
        tail = fullname.rpartition(".")[2]
        names = self._listing(directory)
        # the path finder's order: a package, extension modules, then source
        if tail in names:
            base = directory + "/" + tail
            inits = self._listing(base)
            if "__init__.py" not in inits:
                return None  # a namespace package, or not a directory
            for suffix in _EXTENSIONS:
                if "__init__" + suffix in inits:
                    return None
            source = base + "/__init__.py"
            search: list[str] | None = [base]
        else:
            for suffix in _EXTENSIONS:
                if tail + suffix in names:
                    return None
            if tail + ".py" not in names:
                return None
            source = directory + "/" + tail + ".py"
            search = None
        try:
            st = _os.stat(source)
            cached = _external.cache_from_source(source)
            f = open_code(cached)
        except (OSError, NotImplementedError):
            return None
        try:
            data = f.read()
        except OSError:
            return None
        finally:
            f.close()
        if (
            len(data) < 16
            or data[:4] != _external.MAGIC_NUMBER
            or data[4:8] != b"\0\0\0\0"  # (hash-based: the source loader's checks)
            or int.from_bytes(data[8:12], "little") != int(st.st_mtime) & 0xFFFFFFFF
            or int.from_bytes(data[12:16], "little") != st.st_size & 0xFFFFFFFF
        ):
            return None
        try:
            code = marshal.loads(memoryview(data)[16:])
        except (EOFError, ValueError, TypeError):
            return None
        _fix_co_filename(code, source)
        spec = _bootstrap.ModuleSpec(fullname, _CachedLoader(fullname, source, code), origin=source)
        spec.has_location = True
        spec.cached = cached
        if search is not None:
            spec.submodule_search_locations = search
        return spec


def install() -> None:
    """Put a PackageFinder first on sys.meta_path (once)."""
    if not any(isinstance(f, PackageFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, PackageFinder())
