"""A stand-in for the helm_python module (real Helm 4 in helm-python-sdk) that
answers from recordings where the module is not installed.

Every call the tests make (``Chart.load(path).render(...)``, ``parse_set_json``,
``package``, ``registry.pull(..., client=RegistryClient(...))`` ...) goes through
``RecordedHelm``: where Helm is installed it calls it, and records the answer, the
error (class and text) or the files the call wrote; elsewhere it replays them.
Recordings are keyed by the test, the call and its arguments, with the things
that differ between runs replaced by stable names:

* a path that exists is its content (a directory's files, a chart archive's
  members without their timestamps), so a recording follows the chart, not the
  temporary directory it was copied to;
* paths under pytest's temporary root, the golden charts directory and the
  repository become ``{TMP}``, ``{CHARTS}``, ``{REPO}`` in keys, answers and files;
* ``127.0.0.1:PORT`` becomes ``{PORT0}``, ``{PORT1}`` ... in order of appearance
  in the call's arguments (a test server's port).

Objects Helm returns (a loaded chart, a registry client, a config) become handles
whose attributes and methods are recorded the same way.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Callable
from typing import Any

import pytest

from .recorded import RECORD, Store

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHARTS = os.path.join(HERE, "charts")
_TMP_ROOT = re.compile(r"/tmp/pytest-of-[^/]+/pytest-\d+/")
_MKDTEMP = re.compile(r"/tmp/tmp[A-Za-z0-9_]{8}")
_PORT = re.compile(r"(127\.0\.0\.1|localhost):(\d+)")
_JSONABLE = (str, int, float, bool, type(None))


class HelmError(Exception):
    """Base of the stand-in's errors (helm_python.HelmError's subclasses by name)."""


_ERRORS: dict[str, type[HelmError]] = {"HelmError": HelmError}


def _error_class(name: str) -> type[HelmError]:
    cls = _ERRORS.get(name)
    if cls is None:
        cls = _ERRORS[name] = type(name, (HelmError,), {})
    return cls


def _jsonable(v: Any) -> bool:
    if isinstance(v, _JSONABLE):
        return True
    if isinstance(v, list | tuple):
        return all(_jsonable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _jsonable(x) for k, x in v.items())
    return False


def _archive_digest(path: str) -> str | None:
    try:
        with tarfile.open(path) as tf:
            h = hashlib.sha256()
            for m in sorted(tf.getmembers(), key=lambda m: m.name):
                h.update(m.name.encode() + b"\0")
                f = tf.extractfile(m) if m.isfile() else None
                h.update(f.read() if f is not None else b"")
            return h.hexdigest()
    except (tarfile.TarError, OSError, EOFError):
        return None


_VOLATILE = re.compile(rb"^\s*(generated|created|digest): .*$", re.M)


def _stable(name: str, data: bytes) -> bytes:
    """File content without what differs between runs: test servers' ports, and
    the times and archive digests in Chart.lock and index.yaml."""
    data = re.sub(rb"(127\.0\.0\.1|localhost):\d+", rb"\1:PORT", data)
    if name in ("Chart.lock", "requirements.lock", "index.yaml"):
        data = _VOLATILE.sub(b"", data)
    return data


def _learn_ports(ctx: _Context, path: str) -> None:
    """Ports of test servers named in the small text files of a directory."""
    for dirpath, _, files in os.walk(path):
        for f in files:
            full = os.path.join(dirpath, f)
            if f.endswith((".yaml", ".lock", ".json")) and os.path.getsize(full) < 65536:
                with open(full, encoding="utf-8", errors="replace") as fh:
                    ctx.learn(fh.read())


def content_digest(path: str) -> str:
    """The content of a file or directory, independent of where it is."""
    if os.path.isdir(path):
        h = hashlib.sha256()
        for dirpath, dirs, files in os.walk(path):
            dirs.sort()
            for f in sorted(files):
                full = os.path.join(dirpath, f)
                h.update(os.path.relpath(full, path).encode() + b"\0")
                if f.endswith((".tgz", ".tar.gz")):
                    h.update((_archive_digest(full) or "").encode())
                else:
                    with open(full, "rb") as fh:
                        h.update(_stable(f, fh.read()))
        return "dir:" + h.hexdigest()[:24]
    if path.endswith((".tgz", ".tar.gz")):
        d = _archive_digest(path)
        if d is not None:
            return "tgz:" + d[:24]
    with open(path, "rb") as fh:
        return "file:" + hashlib.sha256(_stable(os.path.basename(path), fh.read())).hexdigest()[:24]


class _Context:
    """The per-call substitutions: stable names for run-specific strings."""

    def __init__(self) -> None:
        self.ports: list[str] = []

    def learn(self, v: Any) -> None:
        if isinstance(v, str):
            for m in _PORT.finditer(v):
                if m.group(2) not in self.ports:
                    self.ports.append(m.group(2))
        elif isinstance(v, dict):
            for x in v.values():
                self.learn(x)
        elif isinstance(v, list | tuple):
            for x in v:
                self.learn(x)

    def norm(self, s: str) -> str:
        s = s.replace(CHARTS, "{CHARTS}").replace(REPO, "{REPO}")
        s = _TMP_ROOT.sub("{TMP}/", s)
        s = _MKDTEMP.sub("{MKDTEMP}", s)

        def port(m: re.Match[str]) -> str:
            p = m.group(2)
            return f"{m.group(1)}:{{PORT{self.ports.index(p)}}}" if p in self.ports else m.group(0)

        return _PORT.sub(port, s)

    def denorm(self, s: str, tmp_root: str) -> str:
        s = s.replace("{CHARTS}", CHARTS).replace("{REPO}", REPO).replace("{TMP}/", tmp_root)
        for i, p in enumerate(self.ports):
            s = s.replace(f"{{PORT{i}}}", p)
        return s

    def map(self, v: Any, fn: Callable[[str], str]) -> Any:
        if isinstance(v, str):
            return fn(v)
        if isinstance(v, list | tuple):
            return [self.map(x, fn) for x in v]
        if isinstance(v, dict):
            return {fn(k): self.map(x, fn) for k, x in v.items()}
        return v


class Handle:
    """An object Helm returned (a chart, a client ...): attributes and methods
    are recorded calls on it."""

    def __init__(self, helm: RecordedHelm, key: str, live: Any, watch: list[str]) -> None:
        object.__setattr__(self, "_helm", helm)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_live", live)
        # the paths it was made with (a client's credentials file ...): its calls
        # may write there
        object.__setattr__(self, "_watch", watch)

    def __getattr__(self, name: str) -> Any:
        helm: RecordedHelm = object.__getattribute__(self, "_helm")
        key: str = object.__getattribute__(self, "_key")
        live = object.__getattribute__(self, "_live")
        attr = getattr(live, name) if live is not None else None
        if live is not None and not callable(attr):
            return helm._record(f"{key}.{name}", lambda: attr, (), None)
        if live is None and helm._has(f"{key}.{name}"):  # a recorded attribute value
            return helm._replay(f"{key}.{name}", _Context())

        watch = object.__getattribute__(self, "_watch")

        def method(*args: Any, **kw: Any) -> Any:
            return helm._call(f"{key}.{name}", attr, args, kw, watch)

        return method


class _Namespace:
    def __init__(self, helm: RecordedHelm, prefix: str, live: Any) -> None:
        self._helm = helm
        self._prefix = prefix
        self._live = live

    def __getattr__(self, name: str) -> Any:
        if name.startswith("Helm") and name.endswith("Error"):
            return _error_class(name)
        live_attr = getattr(self._live, name) if self._live is not None else None
        if name in ("Chart", "registry", "_native"):
            return _Namespace(self._helm, f"{self._prefix}{name}.", live_attr)

        def fn(*args: Any, **kw: Any) -> Any:
            return self._helm._call(f"{self._prefix}{name}", live_attr, args, kw)

        return fn


class RecordedHelm(_Namespace):
    """helm_python, live (recording) or replayed, for one test."""

    def __init__(self, live: Any, store: Store, test: str, tmp_root: str) -> None:
        super().__init__(self, "", live)
        self._store = store
        self._test = test
        self._tmp_root = tmp_root
        self._seen: dict[str, int] = {}

    @property
    def live(self) -> bool:
        """Whether the answers come from Helm itself (else from recordings)."""
        return self._live is not None

    # -- keys ---------------------------------------------------------------
    def _arg_key(self, v: Any, ctx: _Context) -> Any:
        if isinstance(v, Handle):
            return "<" + object.__getattribute__(v, "_key") + ">"
        if isinstance(v, str) and ("/" in v or v.endswith((".tgz", ".prov", ".gpg"))):
            if os.path.exists(v) and _test_input(v):
                return ctx.norm(v) + "=" + content_digest(v)
        if isinstance(v, dict):
            return {str(k): self._arg_key(x, ctx) for k, x in sorted(v.items())}
        if isinstance(v, list | tuple):
            return [self._arg_key(x, ctx) for x in v]
        if isinstance(v, str):
            return ctx.norm(v)
        if _jsonable(v):
            return v
        return repr(type(v))

    def _key(self, name: str, args: tuple[Any, ...], kw: dict[str, Any], ctx: _Context) -> str:
        desc = json.dumps(
            [name, self._arg_key(list(args), ctx), self._arg_key(kw, ctx)], sort_keys=True
        )
        base = f"{self._test} :: {desc}"
        n = self._seen.get(base, 0)
        self._seen[base] = n + 1
        return base if n == 0 else f"{base} #{n}"

    def _has(self, key: str) -> bool:
        return key in self._store.data

    # -- files a call writes -------------------------------------------------
    def _watched(self, args: tuple[Any, ...], kw: dict[str, Any]) -> list[str]:
        dirs: set[str] = set()
        for v in list(args) + list(kw.values()):
            if not isinstance(v, str) or not v:
                continue
            p = os.path.abspath(v)
            if not _TMP_ROOT.match(p):  # only a test's own temporary directories
                continue
            d = p if os.path.isdir(p) else os.path.dirname(p)
            if os.path.isdir(d):
                dirs.add(d)
        cwd = os.getcwd()
        if _TMP_ROOT.match(cwd + "/"):
            dirs.add(cwd)
        return sorted(dirs)

    @staticmethod
    def _snapshot(dirs: list[str]) -> dict[str, str]:
        snap: dict[str, str] = {}
        for d in dirs:
            for dirpath, _, files in os.walk(d):
                for f in files:
                    full = os.path.join(dirpath, f)
                    try:
                        with open(full, "rb") as fh:
                            snap[full] = hashlib.sha256(fh.read()).hexdigest()
                    except OSError:
                        pass
        return snap

    # -- calls ----------------------------------------------------------------
    def _call(
        self,
        name: str,
        live_fn: Any,
        args: tuple[Any, ...],
        kw: dict[str, Any],
        watch: list[str] | None = None,
    ) -> Any:
        ctx = _Context()
        ctx.learn(list(args))
        ctx.learn(kw)
        for v in list(args) + list(kw.values()):
            if isinstance(v, str) and _TMP_ROOT.match(v) and os.path.isdir(v):
                _learn_ports(ctx, v)
        key = self._key(name, args, kw, ctx)
        paths = [v for v in list(args) + list(kw.values()) if isinstance(v, str)] + (watch or [])
        if self._live is None:
            return self._replay(key, ctx, paths)

        def run() -> Any:
            real_args = [
                object.__getattribute__(a, "_live") if isinstance(a, Handle) else a for a in args
            ]
            real_kw = {
                k: object.__getattribute__(v, "_live") if isinstance(v, Handle) else v
                for k, v in kw.items()
            }
            return live_fn(*real_args, **real_kw)

        return self._record(key, run, self._watched(tuple(paths), {}), ctx, paths)

    def _record(
        self,
        key: str,
        run: Callable[[], Any],
        watched: Any,
        ctx: Any,
        paths: list[str] | None = None,
    ) -> Any:
        ctx = ctx if isinstance(ctx, _Context) else _Context()
        watched = list(watched) if watched else []
        before = self._snapshot(watched)
        entry: dict[str, Any] = {}
        result: Any = None
        error: BaseException | None = None
        try:
            result = run()
        except self._live.HelmError as e:
            error = _error_class(type(e).__name__)(str(e))
            entry["raise"] = [type(e).__name__, ctx.norm(str(e))]
        else:
            if _jsonable(result):
                entry["result"] = ctx.map(result, ctx.norm)
            else:
                entry["handle"] = True
        after = self._snapshot(watched)
        files = {}
        for path, digest in sorted(after.items()):
            if before.get(path) != digest:
                with open(path, "rb") as fh:
                    data = fh.read()
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    files[ctx.norm(path)] = "b64:" + base64.b64encode(data).decode()
                else:
                    files[ctx.norm(path)] = "txt:" + ctx.norm(text)
        if files:
            entry["files"] = files
        self._save(key, entry)
        if error is not None:
            raise error
        if entry.get("handle"):
            return Handle(self, _handle_key(key), result, paths or [])
        return result

    def _save(self, key: str, entry: dict[str, Any]) -> None:
        """Keep the live answer (with POLYSTACK_HELM_RECORD=1); live runs compare
        with live Helm and leave the recordings alone."""
        if RECORD and self._store.data.get(key) != entry:
            self._store.data[key] = entry
            self._store.dirty = True

    def _replay(self, key: str, ctx: _Context, paths: list[str] | None = None) -> Any:
        entry = self._store.data.get(key)
        if entry is None:
            pytest.skip(f"no recorded Helm answer for {key!r}: run `make helm-oracle-record`")
        for path, data in entry.get("files", {}).items():
            full = ctx.denorm(path, self._tmp_root)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if data.startswith("txt:"):
                content = ctx.denorm(data[4:], self._tmp_root).encode("utf-8")
            else:
                content = base64.b64decode(data[4:])
            with open(full, "wb") as fh:
                fh.write(content)
        if "raise" in entry:
            cls_name, message = entry["raise"]
            raise _error_class(cls_name)(ctx.denorm(message, self._tmp_root))
        if entry.get("handle"):
            return Handle(self, _handle_key(key), None, paths or [])
        return ctx.map(entry.get("result"), lambda s: ctx.denorm(s, self._tmp_root))


def _handle_key(key: str) -> str:
    return "h:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _test_input(path: str) -> bool:
    """A path the tests made or ship (a chart, an archive, a key), not any string that
    happens to name a file: a values string "/" must not digest the whole file system."""
    real = os.path.realpath(path)
    tmp = os.path.realpath(tempfile.gettempdir())
    return real.startswith(REPO + os.sep) or (real.startswith(tmp + os.sep) and real.count("/") > 2)


def tmp_root_of(path: str) -> str:
    """The pytest temporary root a path is under ("/tmp/pytest-of-u/pytest-7/")."""
    m = _TMP_ROOT.match(path)
    return m.group(0) if m else "/tmp/"


__all__ = ["RecordedHelm", "HelmError", "content_digest", "tmp_root_of"]
