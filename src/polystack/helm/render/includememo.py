"""A memo of ``include`` results within one render, for the defines it can prove pure.

Charts include the same helpers again and again with the same data (every
manifest of a `helm create` chart includes ``NAME.fullname`` and ``NAME.labels``
with ``.``, which include ``NAME.chart``, ``NAME.selectorLabels`` and
``NAME.name`` in turn). Helm executes each of them every time; the result of a
define that only reads its data and calls deterministic functions is the same
string every time the same data is given, so the render keeps it.

What makes a define memoizable (``_Analysis``), checked on its whole tree,
every branch, before any result of it is kept:

* every function it calls is in ``PURE_FUNCS`` (deterministic, reads its
  arguments only, changes none of them: no random, time, crypto, DNS or cluster
  function, no ``set``/``unset``/``merge``, no ``tpl``, no ``call``; ``required``
  and ``fail`` only outside lint mode, where they log);
* every ``include`` in it names a literal define, and every ``include`` and
  ``{{template}}`` in it names a define of the render's set (not the set's own
  name, which a ``tpl`` clone redefines) that is memoizable itself, without a
  cycle.

Its data: a result is kept under the define's name and the identity of the
data (the data object is kept with it, so the identity is never reused). The
render changes the data it gives templates in one way only: ``.Template`` of
the chart's map (reachable from a chart's ``$`` and from ``.Subcharts``) is set
before each top-level file. A define that may read it (a field or string
``Template`` or ``Subcharts``, or a whole ``.``/``$`` given to anything but an
``include``/``{{template}}`` argument) keeps its results for the current file
only. Templates change data in no other way than by calling ``set``, ``unset``
or one of the merges, and the render's copies of those (``MutatorFunc``) clear
the memo when called.

The limits stay exact: a result remembers the work units and the include
nesting its execution took, and is reused only when adding that work passes no
check of the budget and that nesting stays under the limit; otherwise the define
runs again, meeting the limit where it would have. Only results are kept, never
errors.
"""

from __future__ import annotations

import marshal

from polystack.helm.template.nodes import (
    ActionNode,
    ChainNode,
    CommandNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    VariableNode,
    WithNode,
)
from polystack.helm.template.treecodec import (
    ACTION,
    BOOL,
    CHAIN,
    COMMAND,
    CONST_ACTION,
    DOT,
    FIELD,
    IDENT,
    IF,
    LIST,
    NIL,
    NUMBER,
    PIPE,
    RANGE,
    STRING,
    TEMPLATE,
    TEXT,
    VARIABLE,
    WITH,
    LazyListNode,
    elements,
    unpack,
)

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from polystack.helm.template.nodes import Node

__all__ = ["IncludeMemo", "MemoInfo", "MutatorFunc", "PURE_FUNCS", "MUTATORS", "ENABLED"]

# fmt: off
# Functions whose result depends on their arguments only and that change none of
# them (Sprig's, text/template's builtins but `call`, Helm's encoders).
PURE_FUNCS = frozenset((
    # text/template builtins
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html",
    "js", "urlquery", "eq", "ne", "lt", "le", "gt", "ge",
    # Sprig strings (no rand*, no shuffle)
    "abbrev", "abbrevboth", "trunc", "trim", "upper", "lower", "title", "untitle", "substr",
    "repeat", "trimall", "trimAll", "trimSuffix", "trimPrefix", "nospace", "initials",
    "swapcase", "snakecase", "camelcase", "kebabcase", "wrap", "wrapWith", "contains",
    "hasPrefix", "hasSuffix", "quote", "squote", "cat", "indent", "nindent", "replace",
    "plural", "toString", "atoi", "split", "splitList", "splitn", "toStrings", "join",
    "hello",
    # math (no randInt)
    "add1", "add", "sub", "div", "mod", "mul", "add1f", "addf", "subf", "divf", "mulf",
    "biggest", "max", "min", "maxf", "minf", "ceil", "floor", "round", "toDecimal", "until",
    "untilStep", "seq", "int64", "int", "float64",
    # defaults and JSON
    "default", "empty", "coalesce", "all", "any", "ternary", "fromJson", "toJson",
    "toPrettyJson", "toRawJson", "mustFromJson", "mustToJson", "mustToPrettyJson",
    "mustToRawJson",
    # lists (each returns a new list)
    "tuple", "list", "append", "push", "mustAppend", "mustPush", "prepend", "mustPrepend",
    "first", "mustFirst", "rest", "mustRest", "last", "mustLast", "initial", "mustInitial",
    "reverse", "mustReverse", "uniq", "mustUniq", "without", "mustWithout", "has", "mustHas",
    "slice", "mustSlice", "concat", "chunk", "mustChunk", "compact", "mustCompact",
    "sortAlpha",
    # dicts that read (no set, unset, merge*)
    "dict", "get", "hasKey", "pluck", "keys", "pick", "omit", "values", "deepCopy",
    "mustDeepCopy", "dig",
    # reflection, paths, encodings, regular expressions, semver, URLs
    "typeOf", "typeIs", "typeIsLike", "kindOf", "kindIs", "deepEqual",
    "base", "dir", "clean", "ext", "isAbs", "osBase", "osClean", "osDir", "osExt", "osIsAbs",
    "b64enc", "b64dec", "b32enc", "b32dec", "sha1sum", "sha256sum", "sha512sum", "adler32sum",
    "regexMatch", "mustRegexMatch", "regexFindAll", "mustRegexFindAll", "regexFind",
    "mustRegexFind", "regexReplaceAll", "mustRegexReplaceAll", "regexReplaceAllLiteral",
    "mustRegexReplaceAllLiteral", "regexSplit", "mustRegexSplit", "regexQuoteMeta",
    "semver", "semverCompare", "urlParse", "urlJoin",
    # Helm's encoders
    "toToml", "mustToToml", "fromToml", "toYaml", "mustToYaml", "toYamlPretty", "fromYaml",
    "fromYamlArray",
))
# fmt: on

# the functions that change a map they are given (Sprig's dicts)
MUTATORS = ("set", "unset", "merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite")

# the keys of the template data the render changes (engine: .Template per file)
_CHANGING_KEYS = frozenset(("Template", "Subcharts"))

# results kept per render before the memo starts again
MAX_ENTRIES = 4096
# renders keep a memo (tests turn it off to compare)
ENABLED = True


class _Facts:
    """What one define's tree does, as far as the memo needs to know."""

    __slots__ = ("impure", "reads_changing", "targets")

    def __init__(self) -> None:
        self.impure = False  # calls something outside PURE_FUNCS (or include by a computed name)
        self.reads_changing = False  # may read .Template (see the module's doc)
        self.targets: set[str] = set()  # the defines it includes or calls by {{template}}


def _facts(root: ListNode, pure: frozenset[str]) -> _Facts:
    f = _Facts()
    stack: list[Any] = [root]
    pop = stack.pop
    push = stack.append
    while stack:
        n = pop()
        t = type(n)
        if isinstance(n, ListNode):
            stack.extend(n.nodes)
        elif t is ActionNode:
            push(n.pipe)
        elif t is IfNode or t is WithNode or t is RangeNode:
            push(n.pipe)
            push(n.list)
            if n.else_list is not None:
                push(n.else_list)
        elif t is PipeNode:
            # (declared variables are VariableNodes of one name: nothing read)
            stack.extend(n.cmds)
        elif t is CommandNode:
            args = n.args
            first = args[0]
            if type(first) is IdentifierNode and first.ident == "include":
                # include NAME DATA: a literal name; `.`/`$` as the data is read by
                # NAME only (its own facts say whether it reads .Template)
                if len(args) != 3 or type(args[1]) is not StringNode:
                    f.impure = True
                    return f
                f.targets.add(args[1].text)
                if not _is_whole_dot(args[2]):
                    push(args[2])
            else:
                stack.extend(args)
        elif t is TemplateNode:
            f.targets.add(n.name)
            if n.pipe is not None:
                p = n.pipe
                if p.decl or len(p.cmds) != 1 or len(p.cmds[0].args) != 1:
                    push(p)
                elif not _is_whole_dot(p.cmds[0].args[0]):
                    push(p)
        elif t is IdentifierNode:
            if n.ident not in pure:
                f.impure = True
                return f
        elif t is FieldNode:
            if not _CHANGING_KEYS.isdisjoint(n.ident):
                f.reads_changing = True
        elif t is VariableNode:
            if len(n.ident) == 1 and n.ident[0] == "$":
                f.reads_changing = True  # the whole data
            elif not _CHANGING_KEYS.isdisjoint(n.ident):
                f.reads_changing = True
        elif t is ChainNode:
            if not _CHANGING_KEYS.isdisjoint(n.field):
                f.reads_changing = True
            push(n.node)
        elif t is DotNode:
            f.reads_changing = True  # the whole dot (given to a function, printed ...)
        elif t is StringNode:
            if n.text in _CHANGING_KEYS:
                f.reads_changing = True  # (index . "Template", get, dig, pick ...)
        # text, comments, numbers, bools, nil, break, continue: nothing
    return f


def _tuple_facts(elems: tuple[Any, ...], pure: frozenset[str]) -> _Facts:
    """_facts of a tree from the on-disk cache, read from its tuple form
    (template/treecodec.py) without building its nodes. (The kinds are bound to
    locals and the arguments of a command checked in place: a cached run
    analyses every define it includes.)"""
    f = _Facts()
    changing = _CHANGING_KEYS
    k_command, k_pipe, k_action, k_ident, k_field, k_string = (
        COMMAND,
        PIPE,
        ACTION,
        IDENT,
        FIELD,
        STRING,
    )
    k_text, k_const, k_list, k_dot, k_number, k_bool, k_nil = (
        TEXT,
        CONST_ACTION,
        LIST,
        DOT,
        NUMBER,
        BOOL,
        NIL,
    )
    stack: list[Any] = list(elems)
    pop = stack.pop
    push = stack.append
    extend = stack.extend
    while stack:
        e = pop()
        kind = e[0]
        if kind == k_command:
            args = e[2]
            first = args[0]
            if first[0] == k_ident and first[2] == "include":
                if len(args) != 3 or args[1][0] != k_string:
                    f.impure = True
                    return f
                f.targets.add(args[1][3])
                if not _is_whole_dot_tuple(args[2]):
                    push(args[2])
                continue
            for a in args:
                k = a[0]
                if k == k_ident:
                    if a[2] not in pure:
                        f.impure = True
                        return f
                elif k == k_field:
                    if not changing.isdisjoint(a[2]):
                        f.reads_changing = True
                elif k == k_string:
                    if a[3] in changing:
                        f.reads_changing = True  # (index . "Template", get, dig, pick ...)
                elif k == k_dot:
                    f.reads_changing = True  # the whole dot (given to a function ...)
                elif k != k_number and k != k_bool and k != k_nil:
                    push(a)
        elif kind == k_pipe:
            extend(e[5])
        elif kind == k_action:
            extend(e[3][5])  # (its pipeline's declared variables read nothing)
        elif kind == k_text or kind == k_const:
            continue
        elif kind == k_list:
            elems = e[3]
            extend(unpack(elems) if type(elems) is bytes else elems)
        elif kind == IF or kind == WITH or kind == RANGE:
            push(e[3])
            push(e[4])
            if e[5] is not None:
                push(e[5])
        elif kind == TEMPLATE:
            f.targets.add(e[3])
            p = e[4]
            if p is not None:
                if p[4] or len(p[5]) != 1 or len(p[5][0][2]) != 1:
                    push(p)
                elif not _is_whole_dot_tuple(p[5][0][2][0]):
                    push(p)
        elif kind == k_ident:
            if e[2] not in pure:
                f.impure = True
                return f
        elif kind == k_field:
            if not changing.isdisjoint(e[2]):
                f.reads_changing = True
        elif kind == VARIABLE:
            if e[2] == ("$",) or not changing.isdisjoint(e[2]):
                f.reads_changing = True
        elif kind == CHAIN:
            if not changing.isdisjoint(e[3]):
                f.reads_changing = True
            push(e[2])
        elif kind == k_dot:
            f.reads_changing = True
        elif kind == k_string:
            if e[3] in changing:
                f.reads_changing = True
    return f


def _is_whole_dot_tuple(e: tuple[Any, ...]) -> bool:
    return e[0] == DOT or (e[0] == VARIABLE and e[2] == ("$",))


def _is_whole_dot(n: Node) -> bool:
    t = type(n)
    return t is DotNode or (t is VariableNode and n.ident == ["$"])  # type: ignore[attr-defined]


class MemoInfo:
    """A define's verdict: memoizable or not; if so, whether its results hold
    for the current file only, and the include nesting its execution can reach
    below its own (the deepest chain of include/{{template}} in it)."""

    __slots__ = ("ok", "per_file", "depth")

    def __init__(self, ok: bool, per_file: bool, depth: int) -> None:
        self.ok = ok
        self.per_file = per_file
        self.depth = depth


_NOT_OK = MemoInfo(False, False, 0)


# The facts of the defines a render analysed are kept in the on-disk template
# cache (a blob beside the chart's set of trees), so that a cached run reads
# them instead of walking every define it includes. Their key: the set file's
# (its trees exactly: its key and its body's check bytes), lint mode, and what the
# analysis depends on besides the trees (FACTS_VERSION, the pure functions, the
# changing keys).
FACTS_VERSION = "1"
_FACTS_SALT: str | None = None


def facts_key(set_id: str, lint_mode: bool) -> str:
    """The cache blob's key of the facts of the set file ``set_id``
    (template.diskcache.TreeCache.last_set)."""
    global _FACTS_SALT
    if _FACTS_SALT is None:
        from polystack.helm.template.diskcache import blake2b

        h = blake2b(FACTS_VERSION.encode(), digest_size=16)
        h.update("\0".join(sorted(PURE_FUNCS)).encode())
        h.update(b"\1" + "\0".join(sorted(_CHANGING_KEYS)).encode())
        _FACTS_SALT = h.hexdigest()
    return f"memo-{set_id}-{_FACTS_SALT}-{int(lint_mode)}"


class IncludeMemo:
    """One render's include results (shared by the render's set and the ``tpl``
    clones that define no template of their own)."""

    __slots__ = ("ts", "pure", "info", "entries", "file", "known", "learned")

    def __init__(self, ts: Any, lint_mode: bool = False) -> None:
        self.ts = ts  # the render's set: the defines are looked up there
        # `required` and `fail` log in lint mode (one line per call): not pure there
        self.pure = PURE_FUNCS if lint_mode else PURE_FUNCS | {"required", "fail"}
        self.info: dict[str, MemoInfo] = {}
        # (name, id(data)) -> (data, result, work units, nesting depth, file or -1)
        self.entries: dict[tuple[str, int], tuple[Any, str, int, int, int]] = {}
        self.file = 0  # the top-level file being rendered (see next_file)
        # the facts of defines read from the cache (load_facts), and those analysed
        # here: name -> (impure, reads the changing keys, the defines it names)
        self.known: dict[str, tuple[bool, bool, tuple[str, ...]]] = {}
        self.learned: dict[str, tuple[bool, bool, tuple[str, ...]]] = {}

    def load_facts(self, body: bytes | memoryview) -> None:
        """The facts stored by dump_facts for the same trees (a damaged or foreign
        body is ignored: the defines are analysed)."""
        try:
            known = marshal.loads(body)
        except (EOFError, ValueError, TypeError):
            return
        if type(known) is dict and all(
            type(v) is tuple and len(v) == 3 and type(v[2]) is tuple for v in known.values()
        ):
            self.known = known

    def dump_facts(self) -> bytes | None:
        """The facts known and learned, when this render learned any (else None)."""
        if not self.learned:
            return None
        return marshal.dumps({**self.known, **self.learned})

    def next_file(self) -> None:
        """The render sets .Template for its next top-level file."""
        self.file += 1

    def clear(self) -> None:
        """A template changed data (set, unset, merge ...): no result holds any more."""
        self.entries.clear()

    def verdict(self, name: str) -> MemoInfo:
        """The define's MemoInfo (analysed when first included)."""
        info = self.info.get(name)
        if info is not None:
            return info
        return self._analyse(name, [])

    def _analyse(self, name: str, path: list[str]) -> MemoInfo:
        info = self.info.get(name)
        if info is not None:
            return info
        tree = self.ts.tree(name)
        if (
            name in path  # a cycle
            or name == self.ts.name  # what a tpl clone redefines
            or tree is None
            or tree.root is None
        ):
            self.info[name] = _NOT_OK
            return _NOT_OK
        known = self.known.get(name)
        if known is not None:
            impure, reads_changing, targets = known
        else:
            root = tree.root
            if type(root) is LazyListNode:  # from the on-disk cache: its tuples are read
                f = _tuple_facts(elements(root), self.pure)
            else:
                f = _facts(root, self.pure)
            impure, reads_changing, targets = f.impure, f.reads_changing, tuple(f.targets)
            self.learned[name] = (impure, reads_changing, targets)
        if impure:
            info = _NOT_OK
        else:
            per_file = reads_changing
            depth = 0
            path.append(name)
            for target in targets:
                sub = self._analyse(target, path)
                if not sub.ok:
                    info = _NOT_OK
                    break
                per_file = per_file or sub.per_file
                depth = max(depth, sub.depth + 1)
            else:
                info = MemoInfo(True, per_file, depth)
            path.pop()
        self.info[name] = info
        return info

    def keep(self, name: str, data: Any, text: str, work: int, info: MemoInfo) -> None:
        entries = self.entries
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[(name, id(data))] = (
            data,
            text,
            work,
            info.depth,
            self.file if info.per_file else -1,
        )


class MutatorFunc:
    """A function that changes a map it is given (``set``, ``merge`` ...), as the
    render's function map holds it: calling it clears the render's include memo
    first. Its Go signature is the wrapped function's (loaded on first use when
    that is a template.funcmap.LazyFunc)."""

    __slots__ = ("fn", "memo", "_go_spec")

    def __init__(self, fn: Callable[..., Any], memo: IncludeMemo) -> None:
        self.fn = fn
        self.memo = memo

    def _load(self) -> Callable[..., Any]:
        fn = self.fn
        load = getattr(fn, "load", None)  # a LazyFunc
        if load is not None:
            fn = self.fn = load()
        return fn

    @property
    def go_params(self) -> tuple[str, ...] | None:
        return getattr(self._load(), "go_params", None)

    def __call__(self, *args: Any) -> Any:
        self.memo.entries.clear()
        return self._load()(*args)
