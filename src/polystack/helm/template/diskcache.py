"""An on-disk cache of parsed templates, so that a second `helm template` of the
same chart (a new process) skips lexing and parsing.

An entry is keyed by content: the template's name and a fingerprint of its text
(length and CRC-32), the names of the functions the parser knew (they decide
"function not defined"), the polystack version and the identity of the engine's
own source files (lexer, parser, nodes: their modification times and sizes, as
Python checks its bytecode cache), so a change of the chart or of polystack misses
instead of reusing stale trees. The entry stores the text it was parsed from and
is used only when that text is the one looked up: the fingerprint spreads texts
over files, the comparison decides (a cryptographic hash of every text and entry
cost a twentieth of a cached run of a large chart; a comparison costs nothing).
Entries are written to a temporary file and renamed into place (processes running
at once never see half a file), carry a check of their body (length and CRC-32: a
damaged or truncated file is ignored and rewritten), and the directory is pruned,
oldest files first, when it grows past its bound.

Trees are stored in the tuple form of treecodec.py with ``marshal`` (keyed by the
Python version too: marshal's format is the interpreter's), and come back lazily:
a list of nodes is built when first compiled, so a cached run builds only the
nodes of the branches and definitions it executes.
"""

from __future__ import annotations

import _thread
import marshal
import os
import sys
from binascii import crc32

try:  # hashlib's blake2b without loading OpenSSL (hashlib's import costs ~8 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

from polystack import __version__
from polystack.helm.golang.log import get_logger
from polystack.helm.template.tree import Tree, _Source
from polystack.helm.template.treecodec import decode_list, encode_list

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

log = get_logger(__name__)

__all__ = ["TreeCache", "engine_id", "sources_stamp"]

MAGIC = b"PSTPL\x00\x04\n"
_DIGEST = 16  # bytes of the body's check (check_bytes)
# files at least this large are mapped (map_file), smaller ones read
MAP_MIN = 64 * 1024
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
# the modules whose code decides what a parsed tree is
_ENGINE_SOURCES = (
    "scan.py",
    "lexer.py",
    "literals.py",
    "nodes.py",
    "parse.py",
    "weight.py",
    "treecodec.py",
    "diskcache.py",
)
_ENGINE_ID: str | None = None
_TMP_SEQ = [0]  # (a counter, as itertools.count(): without importing itertools)
_TMP_LOCK = _thread.allocate_lock()
# the hash state after the engine id and the function names, by both
_KEY_PREFIXES: dict[tuple[str, str], Any] = {}


def _next_tmp() -> int:
    with _TMP_LOCK:
        _TMP_SEQ[0] += 1
        return _TMP_SEQ[0]


def sources_stamp(h: Any, directory: str, names: tuple[str, ...]) -> None:
    """Feed what identifies the source files ``names`` under ``directory`` into the
    hash ``h``: each file's name, modification time (ns) and size -- what Python
    itself checks before it reuses a module's cached bytecode (at a finer grain),
    with no file read (reading and hashing the sources cost a cached run more
    than the rest of the key)."""
    stat = os.stat
    for name in names:
        try:
            st = stat(os.path.join(directory, name))
        except OSError:
            h.update(b"?" + name.encode() + b"\0")
        else:
            h.update(f"{name}\0{st.st_mtime_ns}\0{st.st_size}\0".encode())


def engine_id() -> str:
    """polystack's version and the parser's source files: part of every key."""
    global _ENGINE_ID
    if _ENGINE_ID is None:
        _ENGINE_ID = _engine_id(os.path.dirname(os.path.abspath(__file__)))
    return _ENGINE_ID


def _engine_id(here: str) -> str:
    """polystack's version, the interpreter's (marshal's format and the bytecode are
    its) and the size and modification time of each of the engine's source files
    in ``here``: what Python's own bytecode cache checks of a source (reading and
    hashing the ~110 KB of them cost every cached run ~1.8 M instructions)."""
    h = blake2b(__version__.encode(), digest_size=16)
    h.update(sys.version.encode())
    sources_stamp(h, here, _ENGINE_SOURCES)
    return h.hexdigest()


def map_file(fd: int, size: int) -> Any:
    """The ``size`` bytes of the open file ``fd`` mapped read-only and private, with
    its pages mapped at once (MAP_POPULATE): the page cache's own pages, not a
    fresh buffer the kernel copies them into. A read of a large file into a new
    buffer costs a page fault per 4 KiB of it (~3 us each on this project's
    machines: a cached starter run read 1.3 MB of cache files, ~320 faults); a
    populated mapping costs one system call. None where the platform cannot map
    it (then the file is read). (Cache files are replaced by rename, never
    rewritten in place, so a mapping never sees its file shrink.)"""
    try:
        import mmap

        flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0)
        return mmap.mmap(fd, size, flags=flags, prot=mmap.PROT_READ)
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        return None


def _read_file(path: str) -> Any:
    """The whole file, read with one read() of its size (no buffered file object),
    or mapped when large (MAP_MIN: see map_file): bytes or an mmap."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        if size >= MAP_MIN:
            mapped = map_file(fd, size)
            if mapped is not None:
                return mapped
        data = os.read(fd, size)
        if len(data) == size:
            return data  # (a file that grew meanwhile fails its check: a miss)
        chunks = [data]
        while True:  # a short read
            more = os.read(fd, 1 << 20)
            if not more:
                return b"".join(chunks)
            chunks.append(more)
    finally:
        os.close(fd)


def check_bytes(body: bytes | memoryview) -> bytes:
    """What guards a cache file's body against damage (not against a writer: the
    cache is the user's own): its length and CRC-32, 16 bytes."""
    return len(body).to_bytes(8, "little") + crc32(body).to_bytes(4, "little") + b"\0" * 4


def fingerprint(h: Any, data: bytes) -> None:
    """Feed ``data``'s length and CRC-32 into the hash ``h`` (a key, not a proof:
    the entry keeps what it was made from, and a reader compares)."""
    h.update(len(data).to_bytes(8, "little") + crc32(data).to_bytes(4, "little"))


def _dump_trees(trees: dict[str, Tree]) -> bytes:
    """(text, parse name, ((name, weight, root), ...)): every tree of one parse
    shares its _Source (the parser's: the text and the parse name), stored once."""
    parse_name = None
    text = None
    rows = []
    for tname, tree in trees.items():
        if tree.root is None:
            raise ValueError(f"tree {tname!r} has no root")
        if parse_name is None:
            parse_name, text = tree._src.parse_name, tree._src.text
        elif (
            tree._src.parse_name != parse_name
            or tree.parse_name != parse_name
            or tree._src.text is not text
        ):
            raise ValueError("trees of two parses")
        root = encode_list(tree.root)
        rows.append((tname, tree.name, max(root[2], 1), root))
    return marshal.dumps((text, parse_name, tuple(rows)))


def _load_trees(body: bytes | memoryview, text: str) -> dict[str, Tree] | None:
    stored, parse_name, rows = marshal.loads(body)
    if stored != text:
        return None  # another text with the same fingerprint: a miss
    return _trees_of(text, parse_name, rows)


def _trees_of(text: str, parse_name: str, rows: tuple[Any, ...]) -> dict[str, Tree]:
    """The trees of one parse of ``text`` from their stored rows."""
    src = _Source(text, parse_name)
    trees: dict[str, Tree] = {}
    new = Tree.__new__
    for tname, name, weight, root in rows:
        # (what Tree.__setstate__ makes of the stored state, without its calls)
        tree = new(Tree)
        tree.__dict__.update(
            name=name,
            parse_name=parse_name,
            root=decode_list(root, src),
            text=text,
            compiled=None,
            weight=weight,
            weight_known=True,
            _src=src,
        )
        trees[tname] = tree
    return trees


def _key_prefix(funcs_key: str) -> Any:
    """The hash state after the engine id and the function names (kept by both)."""
    eid = engine_id()
    prefix = _KEY_PREFIXES.get((eid, funcs_key))
    if prefix is None:
        prefix = blake2b(digest_size=20)
        prefix.update(eid.encode())
        prefix.update(funcs_key.encode())
        prefix.update(b"\0")
        if len(_KEY_PREFIXES) > 64:
            _KEY_PREFIXES.clear()
        _KEY_PREFIXES[eid, funcs_key] = prefix
    return prefix


SET_MAGIC = b"PSSET\x00\x01\n"


def _set_body(parts: list[tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
    """A set file's texts and checked part, from its entries' (text as UTF-8,
    trees) pairs (the trees: marshal of (parse name, rows), as _dump_trees's
    without the text): the texts one after another; the checked part the
    index (the lengths of the texts and of the trees) and the trees."""
    index = marshal.dumps((tuple(len(t) for t, _ in parts), tuple(len(b) for _, b in parts)))
    texts = b"".join(t for t, _ in parts)
    return texts, b"".join([len(index).to_bytes(4, "little"), index, *(b for _, b in parts)])


def _load_set(
    data: Any, items: list[tuple[str, str]], encoded: list[bytes]
) -> tuple[list[Any], bytes] | None:
    """The trees of a set file's entries (as _load_trees reads them) and its check
    bytes, or None when it is no set of exactly these texts (``encoded``: each
    text as UTF-8) or is damaged. The file: SET_MAGIC, the check (check_bytes) of
    its checked part, the length of its texts, the texts, the checked part (see
    _set_body). The texts are compared with the texts loaded, not checked: a
    damaged text is a text that differs (a miss)."""
    head = len(SET_MAGIC)
    if len(data) < head + _DIGEST + 8 or data[:head] != SET_MAGIC:
        return None
    check = data[head : head + _DIGEST]
    ntexts = int.from_bytes(data[head + _DIGEST : head + _DIGEST + 8], "little")
    at = head + _DIGEST + 8
    if len(data) < at + ntexts:
        return None
    checked = memoryview(data)[at + ntexts :]
    if check_bytes(checked) != check:
        return None
    n = int.from_bytes(checked[:4], "little")
    text_lens, tree_lens = marshal.loads(checked[4 : 4 + n])
    if len(text_lens) != len(items) or len(tree_lens) != len(items):
        return None
    end = at + ntexts
    for size, want in zip(text_lens, encoded, strict=True):
        # (bytes compared as bytes: one memcmp; a memoryview compares item by item)
        if size != len(want) or data[at : at + size] != want:
            return None  # another text (the key spreads, the comparison decides)
        at += size
    if at != end:
        return None
    out = []
    at = 4 + n
    for (_name, text), size in zip(items, tree_lens, strict=True):
        parse_name, rows = marshal.loads(checked[at : at + size])
        out.append(_trees_of(text, parse_name, rows))
        at += size
    if at != len(checked):
        return None
    return out, bytes(check)


class TreeCache:
    """Parsed trees of template texts, one file per text, under ``directory``."""

    def __init__(self, directory: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = directory
        self.dir = os.path.join(directory, engine_id()[:20])
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self.written = 0
        self._broken = False  # the directory cannot be written: stop trying
        # the bodies of the entries read or written, by key, while a set is
        # being gathered (see get_set/put_set); None: not gathering
        self._bodies: dict[str, Any] | None = None
        # the set file read by get_set or written by put_set: its key and the check
        # bytes of its body (what results derived from exactly those trees are
        # stored under: see render/includememo.py's facts), or None
        self.last_set: str | None = None
        self._last_check = b""

    @staticmethod
    def key(name: str, text: str, funcs_key: str) -> str:
        h = _key_prefix(funcs_key).copy()  # (the same bytes hashed as before, the long prefix once)
        h.update(name.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
        fingerprint(h, text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.dir, key + ".tpl")

    def get(self, name: str, text: str, funcs_key: str) -> dict[str, Any] | None:
        """The trees parse() gave for this text before, or None."""
        key = self.key(name, text, funcs_key)
        path = self._path(key)
        body = self._read(path)
        trees = None
        if body is not None:
            try:
                trees = _load_trees(body, text)
            except Exception as e:  # noqa: BLE001 - a cache entry that does not load is a miss
                log.debug("template cache: ignoring %s (%s)", path, e)
        if trees is None:
            self.misses += 1
            return None
        self.hits += 1
        if self._bodies is not None:
            self._bodies[key] = body
        return trees

    def put(self, name: str, text: str, funcs_key: str, trees: dict[str, Any]) -> None:
        """Store the trees of a parse (atomically: a temporary file renamed into place)."""
        if self._broken:
            return
        try:
            if not trees or next(iter(trees.values()))._src.text != text:
                raise ValueError("trees not parsed from this text")
            body = _dump_trees(trees)
        except Exception as e:  # noqa: BLE001 - a tree that cannot be stored is not cached
            log.debug("template cache: cannot store %s: %s", name, e)
            return
        key = self.key(name, text, funcs_key)
        if self._bodies is not None:
            self._bodies[key] = body
        self._write(self._path(key), body)

    # -------------------------------------------------------- sets of texts
    # A render reads the trees of all of a chart's files: one file holding the
    # entries of them all (a "set", keyed by every name and the length of every
    # text) is read with one open/read/close instead of one per template (the
    # system calls were most of a cached read). It keeps the texts apart from the
    # trees: they are compared with the texts being loaded (which decides a hit),
    # not checked nor unmarshalled, and only the trees are checked (check_bytes).
    # A set that misses (a template changed, added or removed) falls back to the
    # entries of the single texts, and a new set is written.

    def set_key(
        self, items: list[tuple[str, str]], funcs_key: str, encoded: list[bytes] | None = None
    ) -> str:
        """The names and the lengths of the texts (``encoded``: each text as UTF-8,
        when the caller has them), in one hash: what spreads sets over files. The
        set file keeps its texts and is used only when they are the ones looked
        up (_load_set compares them), so no digest of every text is needed."""
        h = _key_prefix(funcs_key).copy()
        h.update(b"set\0")
        if encoded is None:
            encoded = [text.encode("utf-8", "surrogatepass") for _, text in items]
        for (name, _text), data in zip(items, encoded, strict=True):
            h.update(name.encode("utf-8", "surrogatepass"))
            h.update(b"\0" + len(data).to_bytes(8, "little"))
        return h.hexdigest()

    def get_set(self, items: list[tuple[str, str]], funcs_key: str) -> list[Any] | None:
        """The trees of every (name, text) of ``items``, in order, from one set
        file; None when there is none for exactly these texts (then the entries
        read or written by get/put until put_set are gathered for a new one)."""
        encoded = [text.encode("utf-8", "surrogatepass") for _, text in items]
        key = self.set_key(items, funcs_key, encoded)
        path = os.path.join(self.dir, key + ".set")
        self.last_set = None
        try:
            data = _read_file(path)
        except OSError:
            data = None
        if data is not None:
            try:
                got = _load_set(data, items, encoded)
            except Exception as e:  # noqa: BLE001 - a set that does not load is a miss
                log.debug("template cache: ignoring %s (%s)", path, e)
                got = None
            if got is not None:
                trees, check = got
                self.hits += len(trees)
                self.last_set = key + check.hex()
                return trees
            log.debug("template cache: ignoring %s (not this set, or damaged)", path)
        self._bodies = {}
        return None

    def put_set(self, items: list[tuple[str, str]], funcs_key: str) -> None:
        """Write the set of ``items`` from the entries gathered since get_set
        missed (nothing when one of them is not there: a text not cached)."""
        bodies, self._bodies = self._bodies, None
        if bodies is None or self._broken:
            return
        parts: list[tuple[bytes, bytes]] = []
        for name, text in items:
            b = bodies.get(self.key(name, text, funcs_key))
            if b is None:
                return
            stored, parse_name, rows = marshal.loads(b)
            if stored != text:
                return
            parts.append((text.encode("utf-8", "surrogatepass"), marshal.dumps((parse_name, rows))))
        texts, checked = _set_body(parts)
        key = self.set_key(items, funcs_key, [t for t, _ in parts])
        check = check_bytes(checked)
        written = self.written
        self._write_raw(
            os.path.join(self.dir, key + ".set"),
            [SET_MAGIC, check, len(texts).to_bytes(8, "little"), texts, checked],
        )
        if self.written > written:
            self.last_set = key + check.hex()

    def get_blob(self, key: str) -> memoryview | None:
        """Another derived result stored under ``key`` (a hex digest the caller
        made of everything the result depends on), or None."""
        return self._read(os.path.join(self.dir, key + ".bin"))

    def put_blob(self, key: str, body: bytes) -> None:
        if not self._broken:
            self._write(os.path.join(self.dir, key + ".bin"), body)

    def _read(self, path: str) -> memoryview | None:
        """The body of a cache file whose magic and check bytes check out, or None
        (a view of the file's bytes or of its mapping: a cached run reads megabytes,
        not copied)."""
        try:
            data = _read_file(path)
        except OSError:
            return None
        head = len(MAGIC) + _DIGEST
        if len(data) < head or data[: len(MAGIC)] != MAGIC:
            log.debug("template cache: ignoring %s (not a cache file)", path)
            return None
        body = memoryview(data)[head:]
        check = data[len(MAGIC) : head]
        if check_bytes(body) != check:
            log.debug("template cache: ignoring %s (damaged)", path)
            return None
        self._last_check = check
        return body

    def _write(self, path: str, body: bytes) -> None:
        self._write_raw(path, [MAGIC, check_bytes(body), body])

    def _write_raw(self, path: str, pieces: list[bytes]) -> None:
        """Write ``pieces`` as the file ``path`` (atomically: a temporary file
        renamed into place)."""
        try:
            os.makedirs(self.dir, exist_ok=True)
            tmp = os.path.join(self.dir, f".tmp-{os.getpid()}-{_thread.get_ident()}-{_next_tmp()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(fd, "wb") as fh:
                    for piece in pieces:
                        fh.write(piece)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError as e:
            log.debug("template cache: cannot write %s: %s", self.dir, e)
            self._broken = True
            return
        self.written += 1

    def prune(self) -> None:
        """Keep the cache under its bound: remove the oldest files (of every engine
        version) until it holds at most three quarters of it."""
        entries: list[tuple[float, int, str]] = []
        total = 0
        try:
            for sub in os.scandir(self.root):
                if not sub.is_dir(follow_symlinks=False):
                    continue
                for f in os.scandir(sub.path):
                    try:
                        st = f.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    entries.append((st.st_mtime, st.st_size, f.path))
                    total += st.st_size
        except OSError:
            return
        if total <= self.max_bytes:
            return
        entries.sort()
        goal = self.max_bytes * 3 // 4
        for _mtime, size, path in entries:
            if total <= goal:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
        for sub in os.scandir(self.root):
            if sub.is_dir(follow_symlinks=False) and sub.path != self.dir:
                try:
                    os.rmdir(sub.path)  # only when empty
                except OSError:
                    pass
