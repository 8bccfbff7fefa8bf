"""What a Go process gets from its runtime and a Python one must be given.

Go's text/template bounds only the depth of ``{{template}}`` calls (100000 per
Execute); Helm bounds ``include`` to 1000 nested calls of one name. Everything
else a Go process survives by growing its goroutine stack to 1 GB and its heap
to whatever the machine has, or not at all: `tpl` recursion and long include
cycles end in ``fatal error: stack overflow`` or the OOM killer. polystack
bounds what a render may do instead, so no chart, values file or ``--set`` can
crash or exhaust the process: here, the sizes of values and walks (no function
builds a string or collection bigger than ``MAX_VALUE``/``MAX_ITEMS``; no
serializer, printer or copy walks more than ``MAX_WALK`` nodes or a value that
contains itself); in template/limits.py, each render's budget of nesting, work
and CPU time.

The process-wide settings a deep render needs (Python's recursion limit, a
paused cyclic GC) are taken by reference count while renders run and restored
when the last one ends, so library users on other threads keep theirs.
"""

from __future__ import annotations

import _thread
import gc
import sys

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

__all__ = [
    "LimitError",
    "MAX_VALUE",
    "MAX_ITEMS",
    "check_size",
    "check_walk",
    "CycleError",
    "MAX_WALK",
    "check_items",
    "gc_paused",
    "run_deep",
]

# the biggest string (in characters) or byte string a function may build
MAX_VALUE = 64 * 1024 * 1024
# the most elements a function may put in one list or map
MAX_ITEMS = 4 * 1024 * 1024
# the most nodes a serializer, printer, copy or comparison may walk in one value
MAX_WALK = 500_000

# Python frames available to a render, and the stack of the thread it runs on:
# ~400 bytes of C stack per frame that recurses in C (fn(*args), slot calls), so
# the stack holds the whole frame budget even if every frame did
FRAME_LIMIT = 150_000
STACK_BYTES = 128 * 1024 * 1024


class LimitError(Exception):
    """A value would exceed MAX_VALUE/MAX_ITEMS/MAX_WALK; str() is the error text."""


class CycleError(LimitError):
    """A value contains itself (``set $d "self" $d``); ``container`` is the map or
    list through which it does."""

    def __init__(self, message: str, container: Any) -> None:
        super().__init__(message)
        self.container = container


def check_walk(v: Any, what: str) -> None:
    """Refuse to walk ``v`` (serialize, print, copy, compare) when its tree, with
    shared parts expanded as a walk meets them, has more than MAX_WALK nodes, or
    when it contains itself. Linear in the distinct containers of ``v``."""
    if not isinstance(v, (dict, list, tuple)):
        return
    sizes: dict[int, int] = {}
    active: set[int] = set()
    # iterative post-order: (container, children pushed?)
    stack: list[tuple[Any, bool]] = [(v, False)]
    while stack:
        x, done = stack.pop()
        i = id(x)
        if done:
            active.discard(i)
            kids = x.values() if isinstance(x, dict) else x
            n = 1
            for k in kids:
                if isinstance(k, (dict, list, tuple)):
                    n += sizes[id(k)]
                else:
                    n += 1
            if n > MAX_WALK:
                raise LimitError(
                    f"{what}: value of more than {MAX_WALK} elements (shared parts counted"
                    " each time they appear) exceeds the maximum walk size"
                )
            sizes[i] = n
            continue
        if i in sizes:
            continue
        if i in active:
            raise CycleError(f"{what}: value contains itself", x)
        active.add(i)
        stack.append((x, True))
        kids = x.values() if isinstance(x, dict) else x
        for k in kids:
            if isinstance(k, (dict, list, tuple)):
                ki = id(k)
                if ki in active:
                    raise CycleError(f"{what}: value contains itself", k)
                if ki not in sizes:
                    stack.append((k, False))


def check_size(n: int, what: str) -> None:
    """Refuse to build a string/bytes of ``n`` characters."""
    if n > MAX_VALUE:
        raise LimitError(f"{what} of {n} bytes exceeds the maximum value size ({MAX_VALUE})")


def check_items(n: int, what: str) -> None:
    """Refuse to build a list or map of ``n`` elements."""
    if n > MAX_ITEMS:
        raise LimitError(f"{what} of {n} elements exceeds the maximum length ({MAX_ITEMS})")


# ---------------------------------------------------------------- process state

_lock = _thread.allocate_lock()
_gc_holders = 0
_gc_was_enabled = False
_deep_holders = 0
_saved_limit = 0
_local = _thread._local()


class _GCPause:
    """The context manager gc_paused() returns (a class, not a generator-based
    contextmanager: it is entered for every template parsed and compiled, and a
    generator's frame per use was most of the cost of a small template's parse)."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _gc_holders, _gc_was_enabled
        with _lock:
            if _gc_holders == 0:
                _gc_was_enabled = gc.isenabled()
                if _gc_was_enabled:
                    gc.disable()
            _gc_holders += 1

    def __exit__(self, *exc: object) -> None:
        global _gc_holders
        with _lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


_GC_PAUSE = _GCPause()


def gc_paused() -> _GCPause:
    """Pause the cyclic GC while parsing/rendering (they allocate many small,
    mostly acyclic objects; the collections they would trigger cost more than the
    work). Reference-counted across threads; restored when the last holder ends.
    ``with gc_paused(): ...``"""
    return _GC_PAUSE


class _DeepFrames:
    """The recursion limit raised to FRAME_LIMIT while any holder is inside
    (reference-counted across threads; restored when the last one leaves). A
    class: contextlib's import is a fresh command's cost."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _deep_holders, _saved_limit
        with _lock:
            if _deep_holders == 0:
                _saved_limit = sys.getrecursionlimit()
                if _saved_limit < FRAME_LIMIT:
                    sys.setrecursionlimit(FRAME_LIMIT)
            _deep_holders += 1

    def __exit__(self, *exc: object) -> None:
        global _deep_holders
        with _lock:
            _deep_holders -= 1
            if _deep_holders == 0 and sys.getrecursionlimit() == max(_saved_limit, FRAME_LIMIT):
                sys.setrecursionlimit(_saved_limit)


_DEEP_FRAMES = _DeepFrames()


def _deep_frames() -> _DeepFrames:
    return _DEEP_FRAMES


if TYPE_CHECKING:
    T = TypeVar("T")


def run_deep(fn: Callable[[], T]) -> T:
    """Run ``fn`` on a thread whose stack holds FRAME_LIMIT frames, with the
    recursion limit raised to FRAME_LIMIT meanwhile (nested on that thread: a
    plain call).

    The thread is started with ``_thread`` (what ``threading`` is built on):
    importing ``threading`` is a noticeable part of a fresh `helm template`
    process, and this thread needs none of its bookkeeping."""
    if getattr(_local, "deep", False):
        return fn()
    box: dict[str, Any] = {}
    done = _thread.allocate_lock()
    done.acquire()

    def target() -> None:
        _local.deep = True
        try:
            box["v"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised on the caller's thread
            box["e"] = e
        finally:
            done.release()

    with _deep_frames():
        with _lock:
            old_size = _thread.stack_size()
            try:
                _thread.stack_size(STACK_BYTES)
                _thread.start_new_thread(target, ())
            finally:
                _thread.stack_size(old_size)
        done.acquire()
    if "e" in box:
        e = box.pop("e")
        raise e
    return box["v"]
