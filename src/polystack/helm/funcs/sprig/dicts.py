"""Sprig dict.go: dictionaries (map[string]interface {}) and mergo merges.

Go ranges over maps in random order; ``keys``/``values`` return key-sorted
order here (deterministic; charts sort ``keys`` with ``sortAlpha`` anyway).
"""

from __future__ import annotations

from typing import Any

from polystack.helm.funcs.sprig._conv import GoError, deep_copy, strval
from polystack.helm.funcs.sprig.defaults import empty
from polystack.helm.golang.types import StringList, signature, type_of

_MAP = "map[string]interface {}"


def _sorted_keys(d: dict[str, Any]) -> list[str]:
    return sorted(d, key=lambda k: k.encode("utf-8", "surrogatepass"))


@signature(_MAP, "string")
def get(d: dict[str, Any], key: str) -> Any:
    return d[key] if key in d else ""


@signature(_MAP, "string", "interface {}")
def set_(d: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    if getattr(d, "nil", False) is True:
        raise GoError("assignment to entry in nil map")  # Go's runtime panic, recovered
    d[key] = value
    return d


@signature(_MAP, "string")
def unset(d: dict[str, Any], key: str) -> dict[str, Any]:
    d.pop(key, None)
    return d


@signature(_MAP, "string")
def has_key(d: dict[str, Any], key: str) -> bool:
    return key in d


@signature("string", "..." + _MAP)
def pluck(key: str, *ds: dict[str, Any]) -> list[Any]:
    return [d[key] for d in ds if d is not None and key in d]


@signature("..." + _MAP)
def keys(*ds: dict[str, Any]) -> StringList:
    out = StringList()
    for d in ds:
        if d:
            out.extend(_sorted_keys(d))
    return out


@signature(_MAP, "...string")
def pick(d: dict[str, Any], *ks: str) -> dict[str, Any]:
    return {k: d[k] for k in ks if d is not None and k in d}


@signature(_MAP, "...string")
def omit(d: dict[str, Any], *ks: str) -> dict[str, Any]:
    drop = set(ks)
    return {k: v for k, v in (d or {}).items() if k not in drop}


@signature("...interface {}")
def dict_(*v: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    n = len(v)
    for i in range(0, n, 2):
        key = strval(v[i])
        d[key] = v[i + 1] if i + 1 < n else ""
    return d


@signature(_MAP)
def values(d: dict[str, Any]) -> list[Any]:
    return [d[k] for k in _sorted_keys(d or {})]


def _merge_map(dst: dict[str, Any], src: dict[str, Any], overwrite: bool) -> None:
    """mergo.Merge(&dst, src[, WithOverride]) for map[string]interface{}."""
    for key, sv in src.items():
        has = key in dst
        dv = dst.get(key)
        if sv is None:
            if overwrite:
                dst[key] = None
            continue
        if isinstance(sv, dict) and isinstance(dv, dict):
            _merge_map(dv, sv, overwrite)
            if not empty(dv):
                continue
        elif isinstance(sv, (list, tuple)) and has and not empty(dv):
            if overwrite:
                dst[key] = sv
            continue
        if overwrite or not has or empty(dv):
            dst[key] = sv


def _merge(dst: Any, srcs: tuple[Any, ...], overwrite: bool) -> Any:
    if dst is None:
        dst = {}  # mergo makes the nil destination map
    for src in srcs:
        if src is None:
            continue
        _merge_map(dst, src, overwrite)
    return dst


@signature(_MAP, "..." + _MAP)
def merge(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    try:
        return _merge(dst, srcs, False)
    except GoError:
        return ""


@signature(_MAP, "..." + _MAP)
def must_merge(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    return _merge(dst, srcs, False)


@signature(_MAP, "..." + _MAP)
def merge_overwrite(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    try:
        return _merge(dst, srcs, True)
    except GoError:
        return ""


@signature(_MAP, "..." + _MAP)
def must_merge_overwrite(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    return _merge(dst, srcs, True)


@signature("interface {}")
def deep_copy_(v: Any) -> Any:
    if v is None:
        raise GoError("reflect: call of reflect.Value.Type on zero Value")
    return deep_copy(v)


@signature("...interface {}")
def dig(*ps: Any) -> Any:
    if len(ps) < 3:
        raise GoError("dig needs at least three arguments")
    d = ps[-1]
    if type_of(d) != _MAP:  # Go's type assertion: exactly map[string]interface {}
        raise GoError(
            f"interface conversion: interface {{}} is {type_of(d)}, not map[string]interface {{}}"
        )
    default = ps[-2]
    ks = []
    for k in ps[:-2]:
        if not isinstance(k, str):
            raise GoError(f"interface conversion: interface {{}} is {type_of(k)}, not string")
        ks.append(k)
    cur: Any = d
    for i, k in enumerate(ks):
        if k not in cur:
            return default
        step = cur[k]
        if i == len(ks) - 1:
            return step
        if type_of(step) != _MAP:
            raise GoError(
                f"interface conversion: interface {{}} is {type_of(step)}, not map[string]interface {{}}"
            )
        cur = step
    return default


FUNCS = {
    "dict": dict_,
    "get": get,
    "set": set_,
    "unset": unset,
    "hasKey": has_key,
    "pluck": pluck,
    "keys": keys,
    "pick": pick,
    "omit": omit,
    "merge": merge,
    "mergeOverwrite": merge_overwrite,
    "mustMerge": must_merge,
    "mustMergeOverwrite": must_merge_overwrite,
    "values": values,
    "deepCopy": deep_copy_,
    "mustDeepCopy": deep_copy_,
    "dig": dig,
}
