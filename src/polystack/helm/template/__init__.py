"""Go's text/template in Python: lexer -> parser -> AST -> compiled closures.

``TemplateSet`` is one Go ``*template.Template`` tree holding many named templates::

    ts = TemplateSet(funcs, missingkey="zero")
    ts.parse("chart/templates/a.yaml", text)   # adds the file and every {{define}}
    ts.execute("chart/templates/a.yaml", data)   # ExecuteTemplate -> str
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .builtins import BUILTINS
from .compile import compile_tree
from .errors import ExecError, FuncError, ParseError, TemplateError
from .exec import State
from .gostrconv import quote
from .parse import Tree, is_empty_tree, parse
from .values import NO_VALUE

__all__ = [
    "TemplateSet",
    "TemplateError",
    "ParseError",
    "ExecError",
    "FuncError",
]

# Nested include/template calls recurse in Python; Helm allows 1000 nested includes,
# which needs more than Python's default limit (CPython 3.11+ inlines these calls,
# so a higher limit does not grow the C stack).
_RECURSION_LIMIT = 20000
if sys.getrecursionlimit() < _RECURSION_LIMIT:
    sys.setrecursionlimit(_RECURSION_LIMIT)

_MISSINGKEY = {"default": "default", "invalid": "default", "zero": "zero", "error": "error"}


class TemplateSet:
    """A set of associated templates sharing functions and options (Go's ``common``)."""

    def __init__(
        self,
        funcs: dict[str, Callable[..., Any]] | None = None,
        missingkey: str = "default",
        name: str = "gotpl",
    ) -> None:
        if missingkey not in _MISSINGKEY:
            raise ValueError(f"unrecognized option: missingkey={missingkey}")
        self.funcs: dict[str, Callable[..., Any]] = dict(funcs or {})
        self.missingkey = _MISSINGKEY[missingkey]
        self.name = name
        self._trees: dict[str, Tree] = {}

    def _has_function(self, name: str) -> bool:
        return name in self.funcs or name in BUILTINS

    def parse(self, name: str, text: str) -> None:
        """Template.New(name).Parse(text): adds ``name`` and every ``{{define}}``."""
        self.add_parse_trees(parse(name, text, self._has_function))

    def parse_trees(self, name: str, text: str) -> dict[str, Tree]:
        """parse.Parse only: the trees of ``text`` (shareable between sets; see add_parse_trees)."""
        return parse(name, text, self._has_function)

    def add_parse_trees(self, trees: dict[str, Tree]) -> None:
        """Associate already parsed trees (Go's AddParseTree/associate rules).

        Trees and their compiled code hold no reference to a set, so trees parsed
        once may be added to many sets (e.g. a parse cache shared by renders).
        """
        for tname, tree in trees.items():
            old = self._trees.get(tname)
            if old is not None and is_empty_tree(tree.root) and old.root is not None:
                continue  # don't replace a template with an empty one
            self._trees[tname] = tree

    def execute(self, name: str, data: Any) -> str:
        """ExecuteTemplate(name, data); raises ExecError with Go's text."""
        tree = self._trees.get(name)
        if tree is None:
            raise ExecError(
                f"template: no template {quote(name)} associated with template {quote(self.name)}",
                name,
            )
        out: list[str] = []
        dot = NO_VALUE if data is None else data
        st = State(self, name, dot, 0, out)
        if tree.root is None:
            from .exec import fail

            fail(st, f"{quote(name)} is an incomplete or empty template")
        runner = tree.compiled
        if runner is None:
            runner = tree.compiled = compile_tree(tree.root)
        try:
            runner(st, dot)
        except RecursionError:
            from .exec import fail

            fail(st, "exceeded maximum template depth (100000)")
        return "".join(out)

    def clone(self) -> TemplateSet:
        """Template.Clone: same trees (compiled code is shared), own function map."""
        other = TemplateSet(self.funcs, self.missingkey, self.name)
        other._trees = dict(self._trees)
        return other

    def lookup(self, name: str) -> bool:
        return name in self._trees

    def names(self) -> list[str]:
        return sorted(self._trees)

    def add_tree(self, name: str, tree: Tree) -> None:
        """AddParseTree."""
        self._trees[name] = tree
