"""The Helm packages are layers: each module imports only from its own layer and
the layers below it (module-level and function-level imports alike), and no
modules import each other in a cycle. Checked on the source with ast, so an
arrow pointing up or a cycle cannot come back unnoticed."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator

import polystack.helm

ROOT = os.path.dirname(polystack.helm.__file__)
PKG = "polystack.helm"
# lowest first; "api" is the package itself (helm/__init__.py, the public library
# API over the actions), which the command line is built on
LAYERS = [
    "golang",
    "encoding",
    "template",
    "funcs",
    "chart",
    "render",
    "remote",
    "action",
    "api",
    "cli",
]


def _modules() -> dict[str, str]:
    mods: dict[str, str] = {}
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                name = PKG if rel == "__init__" else f"{PKG}.{rel.removesuffix('.__init__')}"
                mods[name] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: str) -> Iterator[tuple[str, int]]:
    """(imported polystack module, line) for every import statement of the module."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    is_pkg = path.endswith("__init__.py")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if not is_pkg:
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for a in node.names:
                full = f"{module}.{a.name}"
                yield (full if full in MODULES else module), node.lineno


def _target(mod: str) -> str | None:
    """The helm module an import resolves to (a name in a module -> the module)."""
    while mod and mod not in MODULES:
        if "." not in mod:
            return None
        mod = mod.rsplit(".", 1)[0]
    return mod or None


def _layer(mod: str) -> int:
    if mod == PKG:
        return LAYERS.index("api")
    top = mod[len(PKG) + 1 :].split(".")[0]
    assert top in LAYERS, f"{mod} is in no layer"
    return LAYERS.index(top)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, path in MODULES.items():
        for imported, _ in _imports(m, path):
            t = _target(imported) if imported.startswith(PKG) else None
            if t is not None and t != m:
                graph[m].add(t)
    return graph


def test_every_module_is_in_a_layer() -> None:
    for m in MODULES:
        _layer(m)


def test_imports_point_down() -> None:
    up = []
    for m, path in MODULES.items():
        for imported, line in _imports(m, path):
            if imported.startswith("polystack.") and not imported.startswith(PKG):
                up.append(f"{m}:{line} imports {imported} (another room)")
                continue
            t = _target(imported) if imported.startswith(PKG) else None
            if t is None or t == m:
                continue
            if _layer(t) > _layer(m):
                up.append(f"{m}:{line} imports {t} (layer {LAYERS[_layer(t)]} is above)")
    assert up == []


def test_no_import_cycles() -> None:
    graph = _graph()
    # Tarjan's strongly connected components, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        cycles.append(sorted(comp))
    assert cycles == []
