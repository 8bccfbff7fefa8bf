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

With the on-disk template cache on, the code of the modules a `helm template`
run imported is also kept in one file of that cache (a "bundle", see Bundle),
written when a run imported a module it lacked or one whose source changed. A
later run reads it once (no directory listing, path computation, open, read or
close per module) and uses a module's code from it only when the module's source
still has the modification time (ns) and size it was compiled from; anything
else is read from its ``.pyc`` as above. Modules are still imported by the import
system, when and in the order their importers ask: the bundle replaces reading
and unmarshalling files, nothing else. (The cache directory is the user's own, as
the template cache's trees, which the render executes, are.)
"""

from __future__ import annotations

import _imp
import gc as _gc
import marshal
import os
import sys
from _io import open_code

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import CodeType, ModuleType
    from typing import Any

__all__ = ["PackageFinder", "attach_bundle", "install", "module_bundle_path", "save_bundle"]

_external: Any = sys.modules["_frozen_importlib_external"]
_bootstrap: Any = sys.modules["_frozen_importlib"]
_os: Any = _external._os
_fix_co_filename: Any = _imp.__dict__["_fix_co_filename"]  # (not in typeshed's _imp)
_EXTENSIONS = tuple(_external.EXTENSION_SUFFIXES)
_new_module: Any = type(sys)


# a bundle at least this large is mapped (template/diskcache.py's MAP_MIN)
MAP_MIN = 64 * 1024


def map_file(fd: int, size: int) -> Any:
    """template/diskcache.map_file (not imported from there: the bundle is read
    before the template package is imported)."""
    try:
        import mmap

        flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0)
        return mmap.mmap(fd, size, flags=flags, prot=mmap.PROT_READ)
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        return None


class _CachedLoader(_external.SourceFileLoader):
    """A SourceFileLoader handed the module's code, already read and checked."""

    def __init__(self, fullname: str, path: str, code: CodeType) -> None:
        super().__init__(fullname, path)
        self._code: CodeType | None = code

    def create_module(self, spec: Any) -> ModuleType:
        """The new module with the attributes the import system would give it from
        ``spec`` already set (``__file__``, ``__cached__``, ``__path__``): it sets
        each one the module lacks, and asks first with getattr(module, name, None),
        which formats two AttributeErrors per missing name on this Python (~4,000
        instructions each time, three times per module)."""
        module = _new_module(spec.name)
        module.__file__ = spec.origin
        if spec.cached is not None:
            module.__cached__ = spec.cached
        if spec.submodule_search_locations is not None:
            module.__path__ = spec.submodule_search_locations
        return module

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
        self.bundle: Bundle | None = None
        # the modules found here (with a bundle attached), in the order found
        self.found: dict[str, Entry] = {}

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
        if self.bundle is not None:
            spec = self.bundle.spec(fullname, directory, self.found)
            if spec is not None:
                return spec
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
        if self.bundle is not None:
            self.found[fullname] = (
                source,
                cached,
                st.st_mtime_ns,
                st.st_size,
                search is not None,
                code,
            )
        return _spec(fullname, source, cached, code, search is not None)


def _spec(fullname: str, source: str, cached: str, code: CodeType, package: bool) -> Any:
    """The spec the path finder gives a module of ``source`` (its code already read)."""
    _fix_co_filename(code, source)
    spec = _bootstrap.ModuleSpec(fullname, _CachedLoader(fullname, source, code), origin=source)
    spec.has_location = True
    spec.cached = cached
    if package:
        spec.submodule_search_locations = [source.rpartition("/")[0]]
    return spec


BUNDLE_MAGIC = b"PSMOD\x00\x02\n"
# what a bundle (and the finder's record of a run) holds of a module: its source,
# cached bytecode path, the source's mtime (ns) and size, whether it is a
# package, and its code
Entry = tuple[str, str, int, int, bool, "CodeType"]


class Bundle:
    """The code of the modules a run imported, kept in one file (see the module's
    docstring): ``marshal`` of Python's magic number and the entries by module
    name, in one stream (the names, constants and file names the modules share
    are read once: a third fewer instructions than reading each module's own
    bytecode). Read when the finder first needs it; an unreadable or damaged
    file, or one of another Python, is no bundle."""

    __slots__ = ("path", "_entries", "size")

    # a bundle more than this share of whose modules a run did not import (and
    # that lacked none it did) is written again with only the ones it did; a run
    # that needs modules it lacks adds them (runs of different charts share it)
    UNUSED_SHARE = 0.1

    def __init__(self, path: str) -> None:
        self.path = path
        self._entries: dict[str, Entry] | None = None
        self.size = 0

    def entries(self) -> dict[str, Entry]:
        """The bundle's entries by module name ({} when there is none to use)."""
        if self._entries is None:
            self._entries = {}
            try:
                fd = _os.open(self.path, _os.O_RDONLY | getattr(_os, "O_CLOEXEC", 0))
            except OSError:
                return self._entries
            try:
                size = _os.fstat(fd).st_size
                # (mapped, not read into a new buffer: a page fault per 4 KiB saved)
                data = map_file(fd, size) if size >= MAP_MIN else None
                if data is None:
                    data = _os.read(fd, size)
                if data[:8] != BUNDLE_MAGIC or len(data) != size:
                    raise ValueError("not a bundle")
                # (thousands of code objects and tuples: no collection of them meanwhile)
                gc_was = _gc.isenabled()
                _gc.disable()
                try:
                    magic, entries = marshal.loads(memoryview(data)[8:])
                finally:
                    if gc_was:
                        _gc.enable()
                if magic != _external.MAGIC_NUMBER or not isinstance(entries, dict):
                    raise ValueError("another Python's")
            except (OSError, EOFError, ValueError, TypeError):
                return self._entries
            finally:
                _os.close(fd)
            self._entries = entries
            self.size = size
        return self._entries

    def spec(self, fullname: str, directory: str, found: dict[str, Entry]) -> Any:
        """The spec of ``fullname`` from the bundle, when it has the module as its
        source is now (in ``directory``, the parent package's path); else None."""
        entry = self.entries().get(fullname)
        if entry is None:
            return None
        source, cached, mtime_ns, size, package, code = entry
        if source.rpartition("/")[0] != (
            directory + "/" + fullname.rpartition(".")[2] if package else directory
        ):
            return None
        try:
            st = _os.stat(source)
        except OSError:
            return None
        if st.st_mtime_ns != mtime_ns or st.st_size != size:
            return None
        found[fullname] = entry
        return _spec(fullname, source, cached, code, package)

    def save(self, found: dict[str, Entry]) -> bool:
        """Write the bundle again when a module ``found`` this run was not in it as
        found (a new module, a changed source: added to it), or else when much of
        it was not imported (then it keeps only what was); True when written."""
        entries = self.entries()
        new = any(entries.get(k) is not v for k, v in found.items())
        if new:
            merged = {**entries, **found}
        elif found and len(entries) - len(found) > len(entries) * self.UNUSED_SHARE:
            merged = found  # (much of it not imported by this run: only what was)
        else:
            return False
        try:
            # each module's code written from a fresh copy of it: marshal marks every
            # object referenced more than once when written (a function's code is, by
            # its function too) for its reader's table of shared objects; in a copy
            # only what the stream itself shares is (and interned names, which the
            # modules share), so that table stays small when read
            fresh = {k: (*e[:5], marshal.loads(marshal.dumps(e[5]))) for k, e in merged.items()}
            body = BUNDLE_MAGIC + marshal.dumps((_external.MAGIC_NUMBER, fresh))
        except ValueError:
            return False
        directory = self.path.rpartition("/")[0]
        tmp = f"{self.path}.{_os.getpid()}.tmp"
        try:
            os.makedirs(directory, exist_ok=True)
            fd = _os.open(tmp, _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC, 0o644)
            try:
                view = memoryview(body)
                while view:
                    view = view[_os.write(fd, view) :]
            finally:
                _os.close(fd)
            _os.replace(tmp, self.path)
        except OSError:
            try:
                _os.unlink(tmp)
            except OSError:
                pass
            return False
        return True


# render/engine.py's CACHE_ENV and its values for "off" (not imported from there:
# the bundle is attached before the engine is imported)
_CACHE_ENV = "POLYSTACK_HELM_TEMPLATE_CACHE"
_CACHE_OFF = ("", "0", "off", "false", "no", "none")


def module_bundle_path() -> str | None:
    """Where the bundle of a `helm template` process is kept: in the on-disk
    template cache's directory (render/engine.default_template_cache), one per
    Python (its bytecode is the interpreter's); None when that cache is off."""
    where = os.environ.get(_CACHE_ENV)
    if where is None:
        from polystack.helm.chart.helmpath import cache_path

        root = cache_path("polystack", "templates")
    elif where.strip().lower() in _CACHE_OFF:
        return None
    else:
        root = os.path.expanduser(where)
    return os.path.join(root, f"modules.{sys.implementation.cache_tag}.bundle")


def install(bundle: bool = False) -> None:
    """Put a PackageFinder first on sys.meta_path (once); with ``bundle`` (a
    `helm template` process), attach the bundle of module_bundle_path() to it."""
    if not any(isinstance(f, PackageFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, PackageFinder())
    if bundle:
        path = module_bundle_path()
        if path is not None:
            attach_bundle(path)


def _finder() -> PackageFinder | None:
    for f in sys.meta_path:
        if isinstance(f, PackageFinder):
            return f
    return None


def attach_bundle(path: str) -> None:
    """Have the installed PackageFinder read modules from the bundle at ``path``
    (and record what it finds, for save_bundle)."""
    f = _finder()
    if f is not None and f.bundle is None:
        f.bundle = Bundle(path)


def save_bundle() -> bool:
    """Write the attached bundle again if this process found a module outside it
    (a new module, or a changed source); True when written."""
    f = _finder()
    if f is None or f.bundle is None:
        return False
    return f.bundle.save(f.found)
