"""The shape of Redis's radix tree (rax.c), kept only to count its nodes.

A stream keeps its listpack nodes in a rax keyed by 128-bit big-endian IDs, and XINFO STREAM
reports ``radix-tree-nodes``: the number of tree nodes, which depends on the keys and on the
order of the insertions and removals that built the tree (a split, a removal that frees a
branch, the recompression that may follow).  :class:`Rax` replays raxInsert/raxRemove's
structural steps (compressed nodes, split nodes, trimmed and postfix nodes, recompression of
single-child chains) over plain Python nodes, so the count is Redis's.  The values themselves
live elsewhere (the stream's sorted node list)."""

from __future__ import annotations

from bisect import bisect_left


class _Node:
    __slots__ = ("key", "compr", "chars", "children")

    def __init__(self, key: bool = False, compr: bool = False, chars: bytes = b"") -> None:
        self.key = key
        self.compr = compr
        self.chars = chars  # a compressed node's string, or a branching node's sorted edges
        self.children: list[_Node] = []


class Rax:
    __slots__ = ("head", "numnodes", "numele")

    def __init__(self) -> None:
        self.head = _Node()
        self.numnodes = 1
        self.numele = 0

    def _walk(self, s: bytes) -> tuple[int, _Node, tuple[_Node, int] | None, int, list[_Node]]:
        """raxLowWalk: (chars matched, stop node, its parent link, split position, parents)."""
        h = self.head
        link: tuple[_Node, int] | None = None
        stack: list[_Node] = []
        i = j = 0
        n = len(s)
        while h.chars and i < n:
            v = h.chars
            if h.compr:
                j = 0
                size = len(v)
                while j < size and i < n:
                    if v[j] != s[i]:
                        break
                    j += 1
                    i += 1
                if j != size:
                    break
                idx = 0
            else:
                idx = v.find(s[i])
                if idx < 0:
                    break
                i += 1
            stack.append(h)
            link = (h, idx)
            h = h.children[idx]
            j = 0
        return i, h, link, j, stack

    def _set_link(self, link: tuple[_Node, int] | None, node: _Node) -> None:
        if link is None:
            self.head = node
        else:
            link[0].children[link[1]] = node

    def insert(self, s: bytes) -> bool:
        """raxInsert: True when ``s`` was not there."""
        i, h, link, j, _ = self._walk(s)
        n = len(s)
        if i == n and (not h.compr or j == 0):
            if h.key:
                return False
            h.key = True
            self.numele += 1
            return True
        if h.compr and i != n:
            # ALGORITHM 1: split the compressed node where the key diverges.
            nxt = h.children[0]
            postfix_len = len(h.chars) - j - 1
            split = _Node(key=j == 0 and h.key, chars=h.chars[j : j + 1])
            if j == 0:
                self._set_link(link, split)
            else:
                trimmed = _Node(key=h.key, compr=j > 1, chars=h.chars[:j])
                trimmed.children = [split]
                self._set_link(link, trimmed)
                self.numnodes += 1
            if postfix_len:
                postfix = _Node(compr=postfix_len > 1, chars=h.chars[j + 1 :])
                postfix.children = [nxt]
                self.numnodes += 1
            else:
                postfix = nxt
            split.children = [postfix]
            h = split
        elif h.compr:
            # ALGORITHM 2: the key ends inside the compressed node.
            postfix = _Node(key=True, compr=len(h.chars) - j > 1, chars=h.chars[j:])
            postfix.children = h.children
            self.numnodes += 1
            trimmed = _Node(key=h.key, compr=j > 1, chars=h.chars[:j])
            trimmed.children = [postfix]
            self._set_link(link, trimmed)
            self.numele += 1
            return True
        while i < n:
            child = _Node()
            if not h.chars and n - i > 1:
                h.compr = True
                h.chars = s[i:]
                h.children = [child]
                i = n
            else:
                pos = bisect_left(h.chars, s[i])
                h.chars = h.chars[:pos] + s[i : i + 1] + h.chars[pos:]
                h.children.insert(pos, child)
                i += 1
            self.numnodes += 1
            h = child
        if not h.key:
            self.numele += 1
        h.key = True
        return True

    def remove(self, s: bytes) -> bool:
        """raxRemove: True when ``s`` was there."""
        i, h, _, splitpos, stack = self._walk(s)
        if i != len(s) or (h.compr and splitpos != 0) or not h.key:
            return False
        h.key = False
        self.numele -= 1
        trycompress = False
        if not h.chars:
            child: _Node | None = None
            while h is not self.head:
                child = h
                self.numnodes -= 1
                h = stack.pop()
                if h.key or (not h.compr and len(h.chars) != 1):
                    break
            if child is not None:
                if h.compr:
                    h.compr = False
                    h.chars = b""
                    h.children = []
                else:
                    idx = h.children.index(child)
                    h.chars = h.chars[:idx] + h.chars[idx + 1 :]
                    del h.children[idx]
                if len(h.chars) == 1 and not h.key:
                    trycompress = True
        elif len(h.chars) == 1:
            trycompress = True
        if not trycompress:
            return True
        parent: _Node | None = None
        while True:
            parent = stack.pop() if stack else None
            if parent is None or parent.key or (not parent.compr and len(parent.chars) != 1):
                break
            h = parent
        start = h
        nodes = 1
        while h.chars:
            h = h.children[-1]
            if h.key or (not h.compr and len(h.chars) != 1):
                break
            nodes += 1
        if nodes == 1:
            return True
        self.numnodes += 1
        data = b""
        h = start
        while h.chars:
            data += h.chars
            h = h.children[-1]
            self.numnodes -= 1
            if h.key or (not h.compr and len(h.chars) != 1):
                break
        new = _Node(compr=True, chars=data)
        new.children = [h]
        if parent is None:
            self.head = new
        else:
            parent.children[parent.children.index(start)] = new
        return True
