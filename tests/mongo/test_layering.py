"""Imports inside polystack.mongo point down only (DESIGN.md): service -> session -> commands ->
model -> wire/errors/constants.  Checked on the source with the AST, imports inside functions
included."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "src" / "polystack" / "mongo"
TOP = {"service": 5, "spec": 5, "session": 4, "persist": 4, "metrics": 4, "commands": 3}
LEAVES = {"errors", "wire", "keystring", "bsontypes", "display", "paths", "arith", "memory"}


def layer(module: str) -> int:
    head = module.split(".")[0]
    if head in TOP:
        return TOP[head]
    if head in LEAVES:
        return 0
    return 1  # the model: storage, collection, index, query, update, expr, aggregate ...


def imports(path: Path) -> list[str]:
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = parts[: len(parts) - node.level + (1 if path.name == "__init__.py" else 0)]
            target = base + (node.module.split(".") if node.module else [])
            if node.module is None:
                out.extend(".".join(base + [a.name]) for a in node.names)
            else:
                out.append(".".join(target))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = (
                [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            for n in names:
                assert not (n or "").startswith(
                    ("polystack.redis", "polystack.zookeeper", "polystack.amqp", "polystack.helm")
                ), f"{path}: imports another system ({n})"
    return out


def test_imports_point_down():
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        rel = ".".join(path.relative_to(PKG).with_suffix("").parts)
        own = layer(rel)
        for target in imports(path):
            if not target:
                continue
            if layer(target) > own:
                bad.append(f"{rel} -> {target}")
    assert bad == []


def test_session_and_commands_do_not_import_the_service():
    for path in PKG.rglob("*.py"):
        text = path.read_text()
        if path.name != "service.py":
            assert "from .service" not in text and "from ..service" not in text, path
