"""Go's text/template in Python: lexer -> parser -> AST -> compiled closures.

``TemplateSet`` is one Go ``*template.Template`` tree holding many named templates::

    ts = TemplateSet(funcs, missingkey="zero")
    ts.parse("chart/templates/a.yaml", text)   # adds the file and every {{define}}
    ts.execute("chart/templates/a.yaml", data)   # ExecuteTemplate -> str
"""

from __future__ import annotations

from polystack.helm.golang.strconv import quote
from polystack.helm.template.builtins import BUILTINS
from polystack.helm.template.compile import compile_tree
from polystack.helm.template.errors import ExecError, FuncError, ParseError, TemplateError
from polystack.helm.template.exec import State, fail
from polystack.helm.template.limits import EXECUTE_COST, Budget
from polystack.helm.template.tree import Tree, is_empty_tree
from polystack.helm.template.values import NO_VALUE

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "TemplateSet",
    "TemplateError",
    "ParseError",
    "ExecError",
    "FuncError",
    "Budget",
]

_MISSINGKEY = {"default": "default", "invalid": "default", "zero": "zero", "error": "error"}

# A template in the set's map whose Tree is nil: what Go's Clone puts under the
# cloned template's own name (the engine's "gotpl" has no tree of its own).
_NIL_TREE = Tree("")


class TemplateSet:
    """A set of associated templates sharing functions and options (Go's ``common``).

    The set is also the template named ``name`` itself, which (like Helm's
    ``template.New("gotpl")``) holds no tree. A clone shares the trees of the set
    it was cloned from (``_base``, not changed while clones exist: Helm parses
    every chart file before it executes any) and keeps its own additions in
    ``_trees``, so cloning costs nothing in proportion to the chart.
    """

    def __init__(
        self,
        funcs: dict[str, Callable[..., Any]] | None = None,
        missingkey: str = "default",
        name: str = "gotpl",
        budget: Budget | None = None,
    ) -> None:
        if missingkey not in _MISSINGKEY:
            raise ValueError(f"unrecognized option: missingkey={missingkey}")
        self.funcs: dict[str, Callable[..., Any]] = dict(funcs or {})
        self.missingkey = _MISSINGKEY[missingkey]
        self.name = name
        self._trees: dict[str, Tree] = {}
        self._base: dict[str, Tree] | None = None
        self.budget = budget if budget is not None else Budget()

    def _has_function(self, name: str) -> bool:
        return name in self.funcs or name in BUILTINS

    def tree(self, name: str) -> Tree | None:
        """Lookup: the tree of the template ``name`` (``_NIL_TREE`` for a nil one)."""
        t = self._trees.get(name)
        if t is None and self._base is not None:
            t = self._base.get(name)
        return t

    def parse(self, name: str, text: str) -> Tree:
        """Template.New(name).Parse(text): adds ``name`` and every ``{{define}}``;
        returns the tree the new template ``name`` holds (see new_template)."""
        from polystack.helm.template.parse import parse  # (not needed for cached trees)

        return self.add_parse_trees(name, parse(name, text, self._has_function))

    def parse_trees(self, name: str, text: str) -> dict[str, Tree]:
        """parse.Parse only: the trees of ``text`` (shareable between sets; see add_parse_trees)."""
        from polystack.helm.template.parse import parse

        return parse(name, text, self._has_function)

    def add_parse_trees(self, name: str, trees: dict[str, Tree]) -> Tree:
        """Template.New(name).Parse's AddParseTree calls for the trees parse.Parse
        gave for ``name``; returns the tree of the new template ``name``.

        Go's associate keeps an existing template with a tree when the new tree
        is empty (only text of white space, comments and definitions), but the
        new template object still holds the new tree and Execute runs that one:
        ``tpl`` of an empty text renders nothing, it never re-runs the template
        already registered under the name.

        Trees and their compiled code hold no reference to a set, so trees parsed
        once may be added to many sets (e.g. a parse cache shared by renders).
        """
        own = self._trees
        for tname, tree in trees.items():
            old = self.tree(tname)
            if (
                old is not None
                and old.root is not None
                and old is not _NIL_TREE
                and is_empty_tree(tree.root)
            ):
                continue  # don't replace a template with an empty one
            own[tname] = tree
        return trees[name]

    def execute(self, name: str, data: Any) -> str:
        """ExecuteTemplate(name, data); raises ExecError with Go's text."""
        tree = self.tree(name)
        if tree is None:
            raise ExecError(
                f"template: no template {quote(name)} associated with template {quote(self.name)}",
                name,
            )
        return self.execute_tree(name, tree, data)

    def execute_tree(self, name: str, tree: Tree, data: Any) -> str:
        """Template.Execute of the template ``name`` holding ``tree``."""
        out: list[str] = []
        dot = NO_VALUE if data is None else data
        st = State(self, name, dot, 0, out, tree._src)
        if tree.root is None:
            fail(st, f"{quote(name)} is an incomplete or empty template")
        runner = tree.compiled
        if runner is None:
            runner = tree.compiled = compile_tree(tree)
        budget = self.budget
        budget.work += tree.weight + EXECUTE_COST
        if budget.work > budget.next_check:
            msg = budget.over()
            if msg:
                fail(st, msg)
        try:
            runner(st, dot)
        except RecursionError:
            fail(st, "exceeded maximum template depth (100000)")
        return "".join(out)

    def clone(self) -> TemplateSet:
        """Template.Clone: the same trees (compiled code is shared), its own function
        map, the same budget. As in Go, the clone is the template named like the
        set: the set's own (nil) tree replaces a defined template of that name."""
        other = TemplateSet.__new__(TemplateSet)
        other.funcs = dict(self.funcs)
        other.missingkey = self.missingkey
        other.name = self.name
        other.budget = self.budget
        if self._base is None:
            other._base, other._trees = self._trees, {}
        else:
            other._base, other._trees = self._base, dict(self._trees)
        if other.tree(self.name) is not None:
            other._trees[self.name] = _NIL_TREE
        return other

    def lookup(self, name: str) -> bool:
        return self.tree(name) is not None

    def names(self) -> list[str]:
        return sorted({**(self._base or {}), **self._trees})

    def add_tree(self, name: str, tree: Tree) -> None:
        """AddParseTree."""
        self._trees[name] = tree
