"""What bounds one render: nesting, work and value sizes, and the process state
(stack depth, cyclic GC) a render borrows and gives back.

Go's text/template bounds only the depth of ``{{template}}`` calls (100000 per
Execute); Helm bounds ``include`` to 1000 nested calls of one name. Everything
else a Go process survives by growing its goroutine stack to 1 GB and its heap
to whatever the machine has, or not at all: `tpl` recursion and long include
cycles end in ``fatal error: stack overflow`` or the OOM killer. polystack gives
every render a fixed budget instead, so no chart, values file or ``--set`` can
crash or exhaust the process:

* nesting: at most ``MAX_NESTING`` template/include/tpl executions are active at
  once (each within Helm's and Go's own limits below it);
* work: every range iteration, template execution and produced value costs
  work units in proportion to what it executes or allocates; a render may spend
  ``MAX_WORK`` of them and ``MAX_SECONDS`` of CPU time;
* values: no function builds a string or collection bigger than ``MAX_VALUE``.

The process-wide settings a deep render needs (Python's recursion limit, a
paused cyclic GC) are taken by reference count while renders run and restored
when the last one ends, so library users on other threads keep theirs.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = [
    "Budget",
    "LimitError",
    "MAX_NESTING",
    "MAX_WORK",
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

# active template/include/tpl executions (Helm's include limit is 1000 per name,
# so a cycle through up to four names still ends with Helm's own error)
MAX_NESTING = 5000
# work units of one render (see Budget): real charts spend well under 1/20 of it
MAX_WORK = 10_000_000
# CPU seconds of one render (checked every CHECK_EVERY work units)
MAX_SECONDS = 10.0
CHECK_EVERY = 1 << 16
# work units of starting one execution on top of its tree's node count: a
# {{template}} call, and (a new state, output buffer and error wrapping) an
# include, a tpl or a top-level template
INVOKE_COST = 8
EXECUTE_COST = 32
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
    if not isinstance(v, dict | list | tuple):
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
                if isinstance(k, dict | list | tuple):
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
            if isinstance(k, dict | list | tuple):
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


class Budget:
    """The counters of one render, shared by its template set and every clone.

    ``work`` grows by the node count of each executed template and range body
    (plus INVOKE_COST or EXECUTE_COST for each template call, include and tpl),
    by a unit per 16 characters of each long string an action writes or a
    function returns, and by a unit per 16 elements of each long list or map a
    function returns. Every ``CHECK_EVERY`` units the render's thread CPU time is
    checked against ``max_seconds`` too (the backstop for work the units do not
    see, such as one function call on big data in a long loop).
    """

    __slots__ = (
        "nesting",
        "work",
        "next_check",
        "deadline",
        "max_nesting",
        "max_work",
        "max_seconds",
        "included",
    )

    def __init__(
        self,
        max_nesting: int = MAX_NESTING,
        max_work: int = MAX_WORK,
        max_seconds: float = MAX_SECONDS,
    ) -> None:
        self.nesting = 0
        self.work = 0
        self.next_check = min(CHECK_EVERY, max_work)
        self.deadline = -1.0  # set at the first check, on the rendering thread
        self.max_nesting = max_nesting
        self.max_work = max_work
        self.max_seconds = max_seconds
        # Helm's includedNames: active include calls per template name
        self.included: dict[str, int] = {}

    def over(self) -> str:
        """Called when ``work`` passed ``next_check``: the error text if the render
        is over its work or time budget, else "" (and the next check is set)."""
        if self.work > self.max_work:
            return f"exceeded maximum template work ({self.max_work})"
        now = time.thread_time()
        if self.deadline < 0:
            self.deadline = now + self.max_seconds
        elif now > self.deadline:
            return f"exceeded maximum template run time ({self.max_seconds:g}s of CPU)"
        self.next_check = min(self.work + CHECK_EVERY, self.max_work)
        return ""


# ---------------------------------------------------------------- process state

_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False
_deep_holders = 0
_saved_limit = 0
_local = threading.local()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while parsing/rendering (they allocate many small,
    mostly acyclic objects; the collections they would trigger cost more than the
    work). Reference-counted across threads; restored when the last holder ends."""
    global _gc_holders, _gc_was_enabled
    with _lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            if _gc_was_enabled:
                gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


@contextmanager
def _deep_frames() -> Iterator[None]:
    global _deep_holders, _saved_limit
    with _lock:
        if _deep_holders == 0:
            _saved_limit = sys.getrecursionlimit()
            if _saved_limit < FRAME_LIMIT:
                sys.setrecursionlimit(FRAME_LIMIT)
        _deep_holders += 1
    try:
        yield
    finally:
        with _lock:
            _deep_holders -= 1
            if _deep_holders == 0 and sys.getrecursionlimit() == max(_saved_limit, FRAME_LIMIT):
                sys.setrecursionlimit(_saved_limit)


T = TypeVar("T")


def run_deep(fn: Callable[[], T]) -> T:
    """Run ``fn`` on a thread whose stack holds FRAME_LIMIT frames, with the
    recursion limit raised to FRAME_LIMIT meanwhile (nested on that thread: a
    plain call)."""
    if getattr(_local, "deep", False):
        return fn()
    box: dict[str, Any] = {}

    def target() -> None:
        _local.deep = True
        try:
            box["v"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised on the caller's thread
            box["e"] = e

    with _deep_frames():
        with _lock:
            old_size = threading.stack_size()
            try:
                threading.stack_size(STACK_BYTES)
                th = threading.Thread(target=target, name="helm-render", daemon=True)
                th.start()
            finally:
                threading.stack_size(old_size)
        th.join()
    if "e" in box:
        e = box.pop("e")
        raise e
    return box["v"]  # type: ignore[no-any-return]
