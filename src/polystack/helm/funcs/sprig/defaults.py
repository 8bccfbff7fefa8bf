"""Sprig defaults.go: default, empty, coalesce, all, any, ternary and JSON."""

from __future__ import annotations

from polystack.helm.encoding import jsongo
from polystack.helm.encoding.errors import EncodingError
from polystack.helm.golang.types import GoStruct, signature

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def empty(v: Any) -> bool:
    """Sprig's empty: the zero value of its type (structs are never empty)."""
    if v is None:
        return True
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v == 0
    if isinstance(v, (str, bytes, bytearray, list, tuple, dict)):
        return len(v) == 0
    if isinstance(v, GoStruct):
        return False
    return False


@signature("interface {}", "...interface {}")
def default(d: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return d
    return given[0]


@signature("...interface {}")
def coalesce(*v: Any) -> Any:
    for x in v:
        if not empty(x):
            return x
    return None


@signature("...interface {}")
def all_(*v: Any) -> bool:
    return all(not empty(x) for x in v)


@signature("...interface {}")
def any_(*v: Any) -> bool:
    return any(not empty(x) for x in v)


@signature("interface {}", "interface {}", "bool")
def ternary(vt: Any, vf: Any, v: bool) -> Any:
    return vt if v else vf


@signature("string")
def from_json(s: str) -> Any:
    try:
        return jsongo.unmarshal(s)
    except jsongo.UnmarshalTypeError as e:
        return e.value
    except EncodingError:
        return None


@signature("string")
def must_from_json(s: str) -> Any:
    return jsongo.unmarshal(s)


def to_json(v: Any) -> str:
    try:
        return jsongo.marshal(v)
    except EncodingError:
        return ""


def must_to_json(v: Any) -> str:
    return jsongo.marshal(v)


def to_pretty_json(v: Any) -> str:
    try:
        return jsongo.marshal(v, indent="  ")
    except EncodingError:
        return ""


def must_to_pretty_json(v: Any) -> str:
    return jsongo.marshal(v, indent="  ")


def to_raw_json(v: Any) -> str:
    # Sprig's toRawJson panics on an error (unlike toJson and toPrettyJson)
    return jsongo.marshal(v, escape_html=False)


def must_to_raw_json(v: Any) -> str:
    return jsongo.marshal(v, escape_html=False)


FUNCS = {
    "default": default,
    "empty": empty,
    "coalesce": coalesce,
    "all": all_,
    "any": any_,
    "ternary": ternary,
    "fromJson": from_json,
    "toJson": to_json,
    "toPrettyJson": to_pretty_json,
    "toRawJson": to_raw_json,
    "mustFromJson": must_from_json,
    "mustToJson": must_to_json,
    "mustToPrettyJson": must_to_pretty_json,
    "mustToRawJson": must_to_raw_json,
}
