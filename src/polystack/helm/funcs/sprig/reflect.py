"""Sprig reflect.go: typeOf, typeIs, typeIsLike, kindOf, kindIs, deepEqual."""

from __future__ import annotations

from typing import Any

from polystack.helm.funcs.sprig._conv import deep_equal
from polystack.helm.golang.types import kind_of, signature, type_of


@signature("interface {}")
def type_of_(v: Any) -> str:
    return type_of(v)


@signature("string", "interface {}")
def type_is(target: str, v: Any) -> bool:
    return target == type_of(v)


@signature("string", "interface {}")
def type_is_like(target: str, v: Any) -> bool:
    t = type_of(v)
    return target == t or "*" + target == t


@signature("interface {}")
def kind_of_(v: Any) -> str:
    return kind_of(v)


@signature("string", "interface {}")
def kind_is(target: str, v: Any) -> bool:
    return target == kind_of(v)


@signature("interface {}", "interface {}")
def deep_equal_(a: Any, b: Any) -> bool:
    return deep_equal(a, b)


FUNCS = {
    "typeOf": type_of_,
    "typeIs": type_is,
    "typeIsLike": type_is_like,
    "kindOf": kind_of_,
    "kindIs": kind_is,
    "deepEqual": deep_equal_,
}
