"""The aggregation expression language, compiled to closures.

``compile_expression(spec, ctx)`` returns ``fn(root, variables) -> value``: ``root`` is
``$$CURRENT`` (the document being processed), ``variables`` holds ``$$ROOT``, ``$let``/``$map``
bindings and the command's ``let``.  Field paths (``"$a.b"``) follow aggregation semantics
(an array along the path yields the array of the values reached), a path that reaches nothing
yields :data:`~polystack.mongo.keystring.MISSING`, which objects drop and arrays turn to null.

Operators live in modules by family and register themselves in :data:`OPERATORS`.
"""

from __future__ import annotations

from .core import (
    OPERATORS,
    ExprContext,
    compile_expression,
    field_path_getter,
    operator,
)

__all__ = ["OPERATORS", "ExprContext", "compile_expression", "field_path_getter", "operator"]


def _load() -> None:
    from . import (  # noqa: F401  (registration side effects)
        arith_ops,
        array_ops,
        cond_ops,
        date_ops,
        misc_ops,
        set_ops,
        string_ops,
        type_ops,
    )


_load()
