"""Watch managers: ZooKeeper's WatchManager, one for data/exists watches and one for child watches.

A watcher is a connection (anything with ``process(event_type, path)``); watches belong to the
connection, not the session, exactly as in ZooKeeper, so a reconnecting client re-registers them
with setWatches. Standard watches are one-shot; persistent ones stay until removed; recursive ones
also fire for every descendant (never with NodeChildrenChanged).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from .defs import EventType

STANDARD = 1
PERSISTENT = 2
RECURSIVE = 4

_CHILDREN_CHANGED = int(EventType.NodeChildrenChanged)


class Watcher(Protocol):
    def process(self, event_type: int, path: str) -> None: ...


def parent_paths(path: str) -> Iterator[str]:
    """The path's ancestors, nearest first, ending with "/"."""
    while path != "/":
        i = path.rfind("/")
        path = path[:i] if i > 0 else "/"
        yield path


class WatchManager:
    __slots__ = ("table", "by_watcher", "recursive_count")

    def __init__(self) -> None:
        # path -> {watcher: mode bits}
        self.table: dict[str, dict[Watcher, int]] = {}
        # watcher -> set of paths
        self.by_watcher: dict[Watcher, set[str]] = {}
        self.recursive_count = 0

    def add(self, path: str, watcher: Watcher, mode: int = STANDARD) -> None:
        entry = self.table.get(path)
        if entry is None:
            entry = self.table[path] = {}
        # ZooKeeper 3.8 keeps one mode per (watcher, path): the latest registration wins
        old = entry.get(watcher, 0)
        if old & RECURSIVE:
            self.recursive_count -= 1
        if mode & RECURSIVE:
            self.recursive_count += 1
        entry[watcher] = mode
        paths = self.by_watcher.get(watcher)
        if paths is None:
            paths = self.by_watcher[watcher] = set()
        paths.add(path)

    def contains(self, path: str, watcher: Watcher, modes: int = 7) -> bool:
        entry = self.table.get(path)
        return entry is not None and bool(entry.get(watcher, 0) & modes)

    def remove(self, path: str, watcher: Watcher, modes: int = 7) -> bool:
        entry = self.table.get(path)
        if entry is None:
            return False
        old = entry.get(watcher, 0)
        if not old & modes:
            return False
        new = old & ~modes
        if old & RECURSIVE and not new & RECURSIVE:
            self.recursive_count -= 1
        if new:
            entry[watcher] = new
        else:
            del entry[watcher]
            if not entry:
                del self.table[path]
            paths = self.by_watcher.get(watcher)
            if paths is not None:
                paths.discard(path)
                if not paths:
                    del self.by_watcher[watcher]
        return True

    def remove_watcher(self, watcher: Watcher) -> None:
        """A connection closed: drop all of its watches."""
        paths = self.by_watcher.pop(watcher, None)
        if not paths:
            return
        for path in paths:
            entry = self.table.get(path)
            if entry is None:
                continue
            mode = entry.pop(watcher, 0)
            if mode & RECURSIVE:
                self.recursive_count -= 1
            if not entry:
                del self.table[path]

    def trigger(
        self, path: str, event_type: int, suppress: set[Watcher] | None = None
    ) -> set[Watcher]:
        """Fire the watches of ``path`` (and recursive ones of its ancestors); returns who fired."""
        fired: set[Watcher] = set()
        table = self.table
        entry = table.get(path)
        if entry:
            done: list[Watcher] = []
            for w, mode in entry.items():
                if mode & RECURSIVE:
                    if event_type != _CHILDREN_CHANGED:
                        fired.add(w)
                    if mode & STANDARD:
                        fired.add(w)
                        done.append(w)
                    elif mode & PERSISTENT:
                        fired.add(w)
                else:
                    fired.add(w)
                    if mode & STANDARD:
                        done.append(w)
            for w in done:
                self.remove(path, w, STANDARD)
        if self.recursive_count and event_type != _CHILDREN_CHANGED:
            for p in parent_paths(path):
                entry = table.get(p)
                if entry:
                    for w, mode in entry.items():
                        if mode & RECURSIVE:
                            fired.add(w)
        if suppress:
            fired -= suppress
        for w in fired:
            w.process(event_type, path)
        return fired

    # introspection for the four-letter words
    def size(self) -> int:
        return sum(len(e) for e in self.table.values())

    def paths_of(self, watcher: Watcher) -> set[str]:
        return self.by_watcher.get(watcher, set())
