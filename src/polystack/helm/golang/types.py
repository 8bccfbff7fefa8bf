"""Go's value model as seen by text/template, Sprig and Helm.

Go values are plain Python values (see the shared contract):

=====================  ==========================================
Go                     Python
=====================  ==========================================
nil                    ``None``
bool                   ``bool``
string                 ``str``
int                    ``int`` (exactly ``int``)
int64                  :class:`Int64` (an ``int`` subclass)
uint8 ... uint64       :class:`Uint8` ... :class:`Uint64` (``int`` subclasses)
float64                ``float``
[]byte                 ``bytes``
[]interface {}         ``list``
[]string               :class:`StringList` (a ``list`` subclass)
map[string]interface{} ``dict`` with ``str`` keys
struct / *struct       subclasses of :class:`GoStruct`
=====================  ==========================================

Typed function parameters
-------------------------
Go's template executor converts each argument to the parameter type of the
called function and fails with ``wrong type for value; expected int; got
float64`` (or, for literal arguments, ``expected integer; found 1.5``).
Python callables carry no Go types, so by default every parameter is
``interface {}`` and nothing is checked.  A function that needs Go's exact
checks declares its Go parameter types with :func:`signature`::

    @signature("string", "int", "...interface {}")
    def substr(s, n, *rest): ...

The executor then checks the argument count (``wrong number of args for
NAME: want 2 got 3``) and each argument's type exactly as Go's exec.go
``evalArg``/``validateType`` do.  Supported type names: ``interface {}``,
``string``, ``int``, ``int64``, ``float64``, ``bool``, ``[]interface {}``,
``map[string]interface {}``, ``map[string]string``, ``[]string``, the
unsigned kinds ``uint``, ``uint8``, ``uint16``, ``uint32``, ``uint64`` and
``uintptr`` (a literal must be a non-negative integer constant: ``expected
unsigned integer; found -1``; the value is truncated to the type's width as
Go's ``reflect.Value.SetUint`` does) and ``...T`` for a final variadic
parameter.
"""

from __future__ import annotations

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar

__all__ = [
    "deep_copy",
    "GoStruct",
    "Int64",
    "StringList",
    "UNSIGNED_TYPES",
    "Uint",
    "Uint8",
    "Uint16",
    "Uint32",
    "Uint64",
    "Uintptr",
    "is_unsigned",
    "kind_of",
    "type_of",
    "truth",
    "signature",
    "go_params",
]


class Int64(int):
    """A Go ``int64`` (Sprig arithmetic results, ``--set`` integers)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Int64({int(self)})"


class _Unsigned(int):
    """Base of Go's unsigned integer types; ``go_kind`` names the kind."""

    __slots__ = ()
    go_type_name: ClassVar[str] = "uint"
    go_kind: ClassVar[str] = "uint"
    bits: ClassVar[int] = 64

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class Uint(_Unsigned):
    """A Go ``uint``."""

    __slots__ = ()


class Uint8(_Unsigned):
    """A Go ``uint8`` (a byte: an element of a string or ``[]byte``)."""

    __slots__ = ()
    go_type_name = go_kind = "uint8"
    bits = 8


class Uint16(_Unsigned):
    """A Go ``uint16``."""

    __slots__ = ()
    go_type_name = go_kind = "uint16"
    bits = 16


class Uint32(_Unsigned):
    """A Go ``uint32`` (derivePassword's counter)."""

    __slots__ = ()
    go_type_name = go_kind = "uint32"
    bits = 32


class Uint64(_Unsigned):
    """A Go ``uint64``."""

    __slots__ = ()
    go_type_name = go_kind = "uint64"


class Uintptr(_Unsigned):
    """A Go ``uintptr``."""

    __slots__ = ()
    go_type_name = go_kind = "uintptr"


#: Go's unsigned integer type names and the Python class standing for each.
UNSIGNED_TYPES: dict[str, type[_Unsigned]] = {
    c.go_type_name: c for c in (Uint, Uint8, Uint16, Uint32, Uint64, Uintptr)
}


def is_unsigned(v: Any) -> bool:
    """Whether ``v`` is a Go unsigned integer (any ``int`` whose ``go_kind`` is ``uint*``)."""
    return isinstance(v, int) and str(getattr(type(v), "go_kind", "")).startswith("uint")


class StringList(list):
    """A Go ``[]string``; a plain ``list`` is ``[]interface {}``."""

    __slots__ = ()


class StringMap(dict):
    """A Go ``map[string]string`` (``split``'s result, ``.Chart.Annotations``);
    ``nil=True`` marks a nil map (JSON ``null``, printed ``map[]``)."""

    go_type_name = go_underlying = "map[string]string"
    go_kind = "map"
    nil = False

    def __init__(self, *args: Any, nil: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if nil:
            self.nil = True


class NilMap(dict):
    """A nil ``map[string]interface {}`` (``fromJson "null"``): empty, but JSON
    ``null``, ``%#v`` ``map[string]interface {}(nil)``, and ``set`` fails on it.
    (Functions that would give Go a new map, like ``merge``, fill it in place:
    it is nil only while empty.)"""

    __slots__ = ()
    go_type_name = go_underlying = "map[string]interface {}"
    go_kind = "map"

    @property
    def nil(self) -> bool:
        return not self


class NilList(list):
    """A nil ``[]interface {}`` (``fromJsonArray "null"``): empty, JSON ``null``."""

    __slots__ = ()
    go_type_name = go_underlying = "[]interface {}"
    go_kind = "slice"

    @property
    def nil(self) -> bool:
        return not self


class GoStruct:
    """Base of Python objects standing for Go structs (``.Release``, ``.Chart`` ...).

    Subclasses set ``go_type_name`` (what ``%T`` prints, e.g. ``"*chart.Metadata"``;
    a leading ``*`` marks a pointer, printed ``&{...}`` by ``%v``) and
    ``go_fields`` (the Go field names in declaration order, used by ``%v`` and
    ``%+v``).  Template field access reads the attribute with the Go field name;
    methods are Python methods with the Go method name.  A ``String`` method makes
    the value a ``fmt.Stringer``.

    ``go_pointer_methods`` names the methods Go declares on the pointer type
    (``func (v *T) String()``) of a struct value type ``T``: text/template calls
    them on the addressable values its field chains reach (``{{
    .Capabilities.KubeVersion }}`` prints through ``String``), while fmt
    (``printf``, ``print``, ``toString``, a struct's fields under ``%v``) sees only
    ``T``'s own method set and prints the struct.
    """

    go_type_name: ClassVar[str] = "struct {}"
    go_fields: ClassVar[tuple[str, ...]] = ()
    go_pointer_methods: ClassVar[frozenset[str]] = frozenset()
    # False on a copy made by passing the value through a function (interface {}):
    # no longer addressable, so its pointer methods are gone (see unaddressable)
    go_addressable = True

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.go_pointer_methods:
            POINTER_METHOD_TYPES.add(cls)


# the GoStruct types with pointer methods: what a function call makes unaddressable
POINTER_METHOD_TYPES: set[type] = set()


def unaddressable(v: GoStruct) -> GoStruct:
    """The value as a function receives it: a copy that is not addressable.

    text/template calls a pointer-receiver method (``{{ .Capabilities.KubeVersion }}``
    printing through ``String``) only on an addressable value; a function's
    argument or result (``include``'s dot, ``default``'s result, ``list``'s
    elements) is a copy in an interface and is not."""
    if not v.go_addressable:
        return v
    import copy  # imported when a struct first passes through a function

    c = copy.copy(v)
    c.go_addressable = False
    return c


def type_of(v: Any) -> str:
    """What Go's ``%T`` prints for ``v``."""
    if v is None:
        return "<nil>"
    t = type(v)
    if t is str:
        return "string"
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float64"
    if t is dict:
        return "map[string]interface {}"
    if t is list:
        return "[]interface {}"
    name = getattr(t, "go_type_name", None)
    if name is not None:
        return name
    if t is Int64 or isinstance(v, Int64):
        return "int64"
    if isinstance(v, StringList):
        return "[]string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (bytes, bytearray)):
        return "[]uint8"
    if isinstance(v, complex):
        return "complex128"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    if callable(v):
        return "func(...interface {}) interface {}"
    return t.__name__


def kind_of(v: Any) -> str:
    """Go's ``reflect.Kind`` name of ``v`` (``invalid`` for nil)."""
    if v is None:
        return "invalid"
    t = type(v)
    if t is str:
        return "string"
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float64"
    if t is dict:
        return "map"
    if t is list:
        return "slice"
    kind = getattr(t, "go_kind", None)
    if kind is not None:
        return kind
    if isinstance(v, GoStruct):
        return "ptr" if v.go_type_name.startswith("*") else "struct"
    if isinstance(v, Int64):
        return "int64"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (bytes, bytearray, list, tuple)):
        return "slice"
    if isinstance(v, complex):
        return "complex128"
    if isinstance(v, dict):
        return "map"
    if callable(v):
        return "func"
    return "struct"


def truth(v: Any) -> bool:
    """Go template truthiness (exec.go ``isTrue``): zero values are false."""
    if v is None or v is False:
        return False
    if v is True:
        return True
    if isinstance(v, (str, bytes, bytearray, list, tuple, dict, int, float, complex)):
        return bool(v)
    return True  # structs, pointers and functions


def signature(*params: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the Go parameter types of a template function (see module doc)."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.go_params = tuple(params)  # type: ignore[attr-defined]
        return fn

    return mark


def go_params(fn: Callable[..., Any]) -> tuple[str, ...] | None:
    """The Go parameter types declared with :func:`signature`, or ``None``."""
    return getattr(fn, "go_params", None)


def deep_copy(v: Any) -> Any:
    """A copy of a tree of maps and slices (of the same types); other values are
    shared, as Go's copies of values share them."""
    t = type(v)
    if t is dict:  # (the common case, without a generator per map)
        d = {}
        for k, x in v.items():
            d[k] = deep_copy(x) if isinstance(x, (dict, list)) else x
        return d
    if t is list:
        out = []
        for x in v:
            out.append(deep_copy(x) if isinstance(x, (dict, list)) else x)
        return out
    if isinstance(v, dict):
        return t((k, deep_copy(x)) for k, x in v.items())
    if isinstance(v, list):
        return t(deep_copy(x) for x in v)
    return v
