"""Imports inside ``polystack.redis`` point down only, as in ``polystack.zookeeper``:
``spec`` -> ``service`` -> ``session`` -> ``commands/`` -> model (``store``, ``persist``, the
type modules ...) -> ``wire``, ``errors`` and constants.

The graph is built from the AST of every module (imports inside functions and under
``TYPE_CHECKING`` included, and the implicit import of a module's parent package), so a cycle
cannot hide behind a late import.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import polystack.redis

PACKAGE = "polystack.redis"
ROOT = Path(polystack.redis.__file__).parent

# Higher layers may import lower ones (and their own layer, without a cycle), never higher.
# A module not named here is part of the model (rank 1).
LAYER_OF = {
    "spec": 6,
    "service": 5,
    "persistence": 5,  # the service's dataset on disk (a mixin of RedisService)
    "replica_role": 5,  # the service's replication role (a mixin of RedisService)
    "session": 4,
    "blocked_keys": 4,  # serves clients blocked on keys, beside the session
    "scriptpath": 4,  # the session's path for the script commands (a mixin of its Client)
    "plainbatch": 4,  # the session's batch path for plain clients (a mixin of its Client)
    "waiting": 4,  # the session's blocking, pausing and late replies (a mixin of its Client)
    "replies": 4,  # the session's pushes, rejections, CLIENT REPLY (a mixin of its Client)
    "transaction": 4,  # the session's MULTI/EXEC and log replay (a mixin of its Client)
    "commands": 3,  # and every commands.* module
    "wire": 0,
    "querybuf": 0,  # the request side of the wire (wire.py re-exports it)
    "errors": 0,
    "version": 0,
    "flags": 0,
    "": 0,  # the package's own __init__
}
MODEL = 1


@functools.cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def module_names() -> dict[str, Path]:
    """Relative dotted name ("" for the package, "commands.keys" ...) -> file."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute dotted name an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = f"{PACKAGE}.{module}" if module else PACKAGE
    parts = base.split(".")
    if not is_package:
        parts = parts[:-1]
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _relative(absolute: str, known: dict[str, Path]) -> str | None:
    if absolute == PACKAGE:
        return ""
    if not absolute.startswith(PACKAGE + "."):
        return None
    rel = absolute[len(PACKAGE) + 1 :]
    while rel and rel not in known:  # an attribute imported from a module: the module
        rel = rel.rpartition(".")[0]
    return rel


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) for every import of a redis module."""
    tree = _parsed(path) if path.is_relative_to(ROOT) else ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    rel = _relative(alias.name, known)
                    if rel is not None:
                        found.append((rel, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                base = _absolute(child, module, is_package)
                rel = _relative(base, known)
                if rel is not None:
                    found.append((rel, child.lineno, in_function))
                for alias in child.names:
                    sub = _relative(f"{base}.{alias.name}", known)
                    if sub is not None and sub != rel:
                        found.append((sub, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    # Importing a.b.c first imports its parent packages a.b and a.
    parent = module.rpartition(".")[0] if module else None
    while parent is not None:
        found.append((parent, 0, False))
        parent = parent.rpartition(".")[0] if parent else None
    return [(m, line, fn) for m, line, fn in found if m != module]


def import_graph() -> dict[str, set[str]]:
    known = module_names()
    return {m: {dep for dep, _, _ in imports_of(m, p, known)} for m, p in known.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components; each component of more than one module (or a
    module importing itself) is returned as one cycle through its first member (see
    :func:`components` for all the modules involved)."""
    return [_cycle_through(graph, c) for c in components(graph)]


def components(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components that contain a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(set(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return found


def _cycle_through(graph: dict[str, set[str]], members: set[str]) -> list[str]:
    """The shortest cycle from the component's first module back to itself (breadth-first
    inside the component), for the error message."""
    start = min(members)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for w in sorted(graph[node] & members):
                if w == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return [*reversed(chain), start]
                if w not in previous:
                    previous[w] = node
                    nxt.append(w)
        frontier = nxt
    return [start, start]


def layer(module: str) -> int:
    if module.startswith("commands"):
        return LAYER_OF["commands"]
    return LAYER_OF.get(module, MODEL)


def test_no_import_cycle_in_redis() -> None:
    graph = import_graph()
    tangled = components(graph)
    assert not tangled, "import cycles in polystack.redis: " + "; ".join(
        f"{' -> '.join(_cycle_through(graph, c))} (modules involved: {', '.join(sorted(c))})"
        for c in tangled
    )


def test_imports_point_down_only() -> None:
    known = module_names()
    upward = []
    for module, path in known.items():
        for dep, line, _ in imports_of(module, path, known):
            if layer(dep) > layer(module):
                upward.append(f"{module or PACKAGE} (line {line}) imports {dep or PACKAGE}")
    assert not upward, "imports pointing up: " + "; ".join(upward)


def test_no_function_level_redis_imports() -> None:
    known = module_names()
    late = [
        f"{module} line {line} imports {dep or PACKAGE}"
        for module, path in known.items()
        for dep, line, in_function in imports_of(module, path, known)
        if in_function
    ]
    assert not late, "imports inside functions: " + "; ".join(late)


def test_redis_imports_are_at_the_top() -> None:
    """No registration-by-late-import (an import after the first def or class)."""
    known = module_names()
    late = []
    for module, path in known.items():
        tree = _parsed(path)
        seen_body = False
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                seen_body = True
            elif seen_body and isinstance(stmt, ast.Import | ast.ImportFrom):
                names = [a.name for a in stmt.names]
                target = stmt.module or ""
                if (
                    stmt.level
                    or target.startswith(PACKAGE)
                    or any(n.startswith(PACKAGE) for n in names)
                ):
                    late.append(f"{module} line {stmt.lineno}")
    assert not late, "redis imports below definitions: " + ", ".join(late)


def test_every_command_family_is_registered_by_the_table() -> None:
    """commands/table.py names every command module, so no family depends on another one's
    import side effect to be registered."""
    known = module_names()
    families = {m.split(".", 1)[1] for m in known if m.startswith("commands.")}
    table = {dep.split(".", 1)[1] for dep in import_graph()["commands.table"] if "." in dep}
    helpers = {"table", "help", "keyspecs", "scriptrun"}
    assert families - helpers <= table


# -- the checker itself must be able to fail -----------------------------------------------
def test_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    cycles = find_cycles(graph)
    assert sorted(sorted(set(c)) for c in cycles) == [["a", "b", "c"], ["e"]]
    for c in cycles:
        assert c[0] == c[-1]
        for a, b in zip(c, c[1:], strict=False):
            assert b in graph[a]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_import_scanner_sees_late_and_relative_imports(tmp_path: Path) -> None:
    src = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import wire\n"
        "if TYPE_CHECKING:\n"
        "    from polystack.redis.session import Client\n"
        "def f():\n"
        "    from polystack.redis.service import REDIS_VERSION\n"
        "    import polystack.redis.persist\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(src)
    known = {"": ROOT, "wire": ROOT, "session": ROOT, "service": ROOT, "persist": ROOT}
    got = {(m, fn) for m, _, fn in imports_of("commands.mod", path, known)}
    # commands.mod is not a package: "from . import wire" is relative to polystack.redis.commands,
    # which is not in ``known`` here, so it resolves to the package itself.
    assert ("session", False) in got
    assert ("service", True) in got
    assert ("persist", True) in got


@pytest.mark.parametrize("module", sorted(LAYER_OF))
def test_named_layers_exist_or_are_planned(module: str) -> None:
    assert module in module_names() or module == "spec"
