"""Exchanges and their routing structures.

Each exchange type keeps an index of its bindings built for its matching rule, so routing never
scans the binding list: direct is a dict by routing key, fanout a set, topic a trie of words
(``*`` one word, ``#`` zero or more, matched with memoised (node, position) states so patterns
with several ``#`` stay polynomial), headers a list of compiled matchers (RabbitMQ scans too).
"""

from __future__ import annotations

from typing import Any

from .errors import AMQPError

X_MATCH = ("all", "any", "all-with-x", "any-with-x")


class Binding:
    """source exchange -> destination (a queue or an exchange) with a key and arguments."""

    __slots__ = ("source", "destination", "dest_kind", "routing_key", "arguments", "key", "target")

    def __init__(
        self,
        source: str,
        destination: str,
        dest_kind: str,
        routing_key: str,
        arguments: dict[str, Any],
        target: Any = None,
    ) -> None:
        self.source = source
        self.destination = destination
        self.dest_kind = dest_kind  # "queue" | "exchange"
        self.routing_key = routing_key
        self.arguments = arguments or {}
        self.key = (dest_kind, destination, routing_key, _freeze(self.arguments))
        self.target = target  # the Queue or Exchange object


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return (type(value).__name__, value)


class Exchange:
    __slots__ = (
        "name",
        "type",
        "durable",
        "auto_delete",
        "internal",
        "arguments",
        "vhost",
        "bindings",
        "alternate",
        "ename",
        "_index",
        "_fanout",
        "_trie",
        "_headers",
        "builtin",
        "messages_in",
        "messages_out",
        "samples",
    )

    def __init__(
        self,
        name: str,
        type: str,
        durable: bool = True,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
        vhost: str = "/",
        builtin: bool = False,
    ) -> None:
        self.name = name
        self.type = type
        self.durable = durable
        self.auto_delete = auto_delete
        self.internal = internal
        self.arguments = arguments or {}
        self.vhost = vhost
        self.builtin = builtin
        ae = self.arguments.get("alternate-exchange")
        self.alternate: str | None = ae if isinstance(ae, str) else None
        self.ename = bytes((len(name.encode()),)) + name.encode()  # pre-encoded short string
        self.bindings: dict[tuple, Binding] = {}
        self._index: dict[str, dict[tuple, Binding]] = {}
        self._fanout: dict[tuple, Binding] = {}
        self._trie = TopicTrie() if type == "topic" else None
        self._headers: list[tuple[Binding, HeadersMatch]] = []
        self.messages_in = 0
        self.messages_out = 0
        self.samples = None  # rates.Samples

    # -- bindings ---------------------------------------------------------------------------------
    def add_binding(self, b: Binding) -> bool:
        """Add ``b``; False when an equal binding exists already (binding is idempotent)."""
        if b.key in self.bindings:
            return False
        t = self.type
        if t == "headers":
            matcher = HeadersMatch(b.arguments)  # raises for a bad x-match before anything changes
            self._headers.append((b, matcher))
        elif t == "fanout":
            self._fanout[b.key] = b
        elif t == "topic":
            assert self._trie is not None
            self._trie.add(b.routing_key, b)
        else:
            self._index.setdefault(b.routing_key, {})[b.key] = b
        self.bindings[b.key] = b
        return True

    def remove_binding(self, key: tuple) -> Binding | None:
        b = self.bindings.pop(key, None)
        if b is None:
            return None
        t = self.type
        if t == "headers":
            self._headers = [(x, m) for x, m in self._headers if x is not b]
        elif t == "fanout":
            self._fanout.pop(key, None)
        elif t == "topic":
            assert self._trie is not None
            self._trie.remove(b.routing_key, b)
        else:
            d = self._index.get(b.routing_key)
            if d is not None:
                d.pop(key, None)
                if not d:
                    del self._index[b.routing_key]
        return b

    # -- routing ----------------------------------------------------------------------------------
    def route(self, routing_key: str, headers: Any) -> list[Binding]:
        """The bindings this exchange's own rule selects (no exchange-to-exchange walk here).

        ``headers`` is a callable returning the message's headers table (decoded on demand).
        """
        t = self.type
        if t == "direct":
            d = self._index.get(routing_key)
            return list(d.values()) if d else []
        if t == "fanout":
            return list(self._fanout.values())
        if t == "topic":
            assert self._trie is not None
            return self._trie.match(routing_key)
        if t == "headers":
            if not self._headers:
                return []
            h = headers() or {}
            return [b for b, m in self._headers if m.matches(h)]
        return []


class HeadersMatch:
    """A compiled headers-exchange binding (``x-match`` all / any / all-with-x / any-with-x)."""

    __slots__ = ("mode", "pairs")

    def __init__(self, arguments: dict[str, Any]) -> None:
        mode = arguments.get("x-match", "all")
        if isinstance(mode, bytes):
            mode = mode.decode("utf-8", "replace")
        if mode not in X_MATCH:
            raise AMQPError(
                406,
                f'Invalid x-match field value <<"{mode}">>; expected all, any, all-with-x, '
                "or any-with-x",
            )
        self.mode = mode
        with_x = mode.endswith("-with-x")
        self.pairs = [
            (k, v)
            for k, v in arguments.items()
            if k != "x-match" and (with_x or not k.startswith("x-"))
        ]

    def matches(self, headers: dict[str, Any]) -> bool:
        if self.mode.startswith("all"):
            for k, v in self.pairs:
                if k not in headers:
                    return False
                if v is not None and not _same(headers[k], v):
                    return False
            return True
        for k, v in self.pairs:
            if k in headers and (v is None or _same(headers[k], v)):
                return True
        return False


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, (bytes, bytearray)) and isinstance(b, str):
        return bytes(a) == b.encode()
    if isinstance(b, (bytes, bytearray)) and isinstance(a, str):
        return bytes(b) == a.encode()
    return a == b


def split_words(key: str) -> list[str]:
    return key.split(".") if key else []


class _Node:
    __slots__ = ("children", "bindings")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.bindings: dict[tuple, Binding] = {}


class TopicTrie:
    """RabbitMQ's topic trie: one edge per word of the binding key."""

    __slots__ = ("root", "_cache")

    def __init__(self) -> None:
        self.root = _Node()
        self._cache: dict[str, list[Binding]] = {}

    def add(self, pattern: str, b: Binding) -> None:
        node = self.root
        for w in split_words(pattern):
            nxt = node.children.get(w)
            if nxt is None:
                nxt = node.children[w] = _Node()
            node = nxt
        node.bindings[b.key] = b
        self._cache.clear()

    def remove(self, pattern: str, b: Binding) -> None:
        path = [self.root]
        words = split_words(pattern)
        for w in words:
            nxt = path[-1].children.get(w)
            if nxt is None:
                return
            path.append(nxt)
        path[-1].bindings.pop(b.key, None)
        for i in range(len(words) - 1, -1, -1):  # prune empty branches
            node = path[i + 1]
            if node.bindings or node.children:
                break
            del path[i].children[words[i]]
        self._cache.clear()

    def match(self, routing_key: str) -> list[Binding]:
        cached = self._cache.get(routing_key)
        if cached is not None:
            return cached
        words = split_words(routing_key)
        n = len(words)
        found: dict[tuple, Binding] = {}
        seen: set[tuple[int, int]] = set()
        stack = [(self.root, 0)]
        while stack:
            node, i = stack.pop()
            state = (id(node), i)
            if state in seen:
                continue
            seen.add(state)
            children = node.children
            if i == n:
                if node.bindings:
                    found.update(node.bindings)
            else:
                c = children.get(words[i])
                if c is not None:
                    stack.append((c, i + 1))
                c = children.get("*")
                if c is not None:
                    stack.append((c, i + 1))
            h = children.get("#")
            if h is not None:
                for j in range(i, n + 1):
                    stack.append((h, j))
        result = list(found.values())
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[routing_key] = result
        return result


def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether one binding pattern matches a routing key (used by tests and the management API)."""
    t = TopicTrie()
    b = Binding("x", "q", "queue", pattern, {})
    t.add(pattern, b)
    return bool(t.match(routing_key))
