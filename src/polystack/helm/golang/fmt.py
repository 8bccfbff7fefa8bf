"""Go's fmt package: ``Sprint``, ``Sprintln``, ``Sprintf`` and ``%v`` value printing.

Follows src/fmt/print.go (doPrintf, printArg, printValue, badVerb ...) and
src/fmt/format.go (padding, integer, float and string formatting) verb by verb.
Values follow the Go value model of :mod:`.gotypes`.
"""

from __future__ import annotations

from polystack.helm.golang import strconv as gostrconv
from polystack.helm.golang.fmt_format import _LDIGITS, _UDIGITS, Format
from polystack.helm.golang.runtime import check_walk
from polystack.helm.golang.types import GoStruct, Int64, StringList, type_of

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["sprint", "sprintln", "sprintf", "format_value", "print_value"]


def _too_large(n: int) -> bool:
    return n > 1_000_000 or n < -1_000_000


class _Printer(Format):
    """Go's ``pp``: prints values through the ``Format`` primitives."""

    __slots__ = ("arg", "good_argnum", "reordered")

    def __init__(self) -> None:
        super().__init__()
        self.arg: Any = None
        self.good_argnum = True
        self.reordered = False

    # ---------------------------------------------------------------- basic kinds
    def fmt_bool(self, v: bool, verb: str) -> None:
        if verb in "tv":
            self.pad("true" if v else "false")
        else:
            self.bad_verb(verb)

    def fmt_0x64(self, v: int, leading0x: bool) -> None:
        sharp = self.sharp
        self.sharp = leading0x
        self.fmt_integer_base(v, 16, "v", _LDIGITS)
        self.sharp = sharp

    def fmt_integer(self, v: int, verb: str, unsigned: bool = False) -> None:
        if verb == "v" and self.sharp_v and unsigned:
            self.fmt_0x64(v, True)
        elif verb in "vd":
            self.fmt_integer_base(v, 10, verb, _LDIGITS)
        elif verb == "x":
            self.fmt_integer_base(v, 16, verb, _LDIGITS)
        elif verb == "X":
            self.fmt_integer_base(v, 16, verb, _UDIGITS)
        elif verb == "b":
            self.fmt_integer_base(v, 2, verb, _LDIGITS)
        elif verb in "oO":
            self.fmt_integer_base(v, 8, verb, _LDIGITS)
        elif verb == "c":
            self.pad(_rune_str(v))
        elif verb == "q":
            r = v if 0 <= v <= 0x10FFFF else 0xFFFD
            self.pad(gostrconv.quote_rune_ascii(r) if self.plus else gostrconv.quote_rune(r))
        elif verb == "U":
            self.fmt_unicode(v)
        else:
            self.bad_verb(verb)

    def fmt_float(self, v: float, verb: str) -> None:
        if verb == "v":
            self.fmt_float_core(v, "g", -1)
        elif verb in "bgGxX":
            self.fmt_float_core(v, verb, -1)
        elif verb in "feEF":
            self.fmt_float_core(v, verb, 6)
        else:
            self.bad_verb(verb)

    def fmt_complex(self, v: complex, verb: str) -> None:
        if verb not in "vbgGxXfFeE":
            self.bad_verb(verb)
            return
        old_wid = self.wid
        self.buf.append("(")
        self.fmt_float(v.real, verb)
        old_plus = self.plus
        self.plus = True
        self.fmt_float(v.imag, verb)
        self.buf.append("i)")
        self.plus = old_plus
        self.wid = old_wid

    def fmt_string(self, v: str, verb: str) -> None:
        if verb == "v":
            if self.sharp_v:
                self.fmt_q(v)
            else:
                self.pad(self.truncate(v))
        elif verb == "s":
            self.pad(self.truncate(v))
        elif verb == "x":
            self.fmt_sx(_str_bytes(v), _LDIGITS)
        elif verb == "X":
            self.fmt_sx(_str_bytes(v), _UDIGITS)
        elif verb == "q":
            self.fmt_q(v)
        else:
            self.bad_verb(verb)

    def fmt_bytes(self, v: bytes, verb: str, type_string: str) -> None:
        if verb in "vd":
            if self.sharp_v:
                self.buf.append(type_string + "{")
                for i, c in enumerate(v):
                    if i:
                        self.buf.append(", ")
                    self.fmt_0x64(c, True)
                self.buf.append("}")
            else:
                self.buf.append("[")
                for i, c in enumerate(v):
                    if i:
                        self.buf.append(" ")
                    self.fmt_integer_base(c, 10, verb, _LDIGITS)
                self.buf.append("]")
        elif verb == "s":
            self.pad(self.truncate(v.decode("utf-8", "surrogateescape")))
        elif verb == "x":
            self.fmt_sx(bytes(v), _LDIGITS)
        elif verb == "X":
            self.fmt_sx(bytes(v), _UDIGITS)
        elif verb == "q":
            self.fmt_q(v.decode("utf-8", "surrogateescape"))
        else:
            self.print_value(list(v), verb, 0, elem_type="uint8")

    # ---------------------------------------------------------------- errors
    def bad_verb(self, verb: str) -> None:
        self.buf.append("%!" + verb + "(")
        arg = self.arg
        if arg is not None:
            self.buf.append(type_of(arg) + "=")
            self.print_arg(arg, "v")
        else:
            self.buf.append("<nil>")
        self.buf.append(")")

    # ---------------------------------------------------------------- dispatch
    def print_arg(self, arg: Any, verb: str) -> None:
        self.arg = arg
        if verb != "T" and isinstance(arg, (dict, list, tuple)):
            check_walk(arg, "print")
        if arg is None:
            if verb in "Tv":
                self.pad("<nil>")
            else:
                self.bad_verb(verb)
            return
        if verb == "T":
            self.pad(self.truncate(type_of(arg)))
            return
        if verb == "p":
            self.fmt_pointer(arg, verb)
            return
        t = type(arg)
        if t is str:
            self.fmt_string(arg, verb)
        elif t is int or t is Int64:
            self.fmt_integer(arg, verb)
        elif t is bool:
            self.fmt_bool(arg, verb)
        elif t is float:
            self.fmt_float(arg, verb)
        elif t is bytes or t is bytearray:
            self.fmt_bytes(arg, verb, "[]byte")
        elif isinstance(arg, int) and not isinstance(arg, bool):
            self.fmt_integer(int(arg), verb, _is_unsigned(arg))
        elif isinstance(arg, complex):
            self.fmt_complex(arg, verb)
        elif not self.handle_methods(arg, verb):
            self.print_value(arg, verb, 0)

    def handle_methods(self, arg: Any, verb: str) -> bool:
        if self.sharp_v:
            gs = getattr(arg, "GoString", None)
            if gs is not None and isinstance(arg, GoStruct):
                self.buf.append(gs())
                return True
            return False
        if verb not in "vsxXq":
            return False
        if isinstance(arg, BaseException):
            self.fmt_string(str(arg), verb)
            return True
        if isinstance(arg, GoStruct):
            ptr_only = arg.go_pointer_methods
            meth = None if "Error" in ptr_only else getattr(arg, "Error", None)
            if meth is None and "String" not in ptr_only:
                meth = getattr(arg, "String", None)
            if meth is not None and callable(meth):
                self.fmt_string(meth(), verb)
                return True
        return False

    def fmt_pointer(self, arg: Any, verb: str) -> None:
        # Addresses are not reproducible; print Go's shape with a fixed address.
        if verb == "v" and arg is None:
            self.pad("<nil>")
            return
        if verb in "vp":
            self.pad("0xc000010000")
        else:
            self.bad_verb(verb)

    def print_value(self, v: Any, verb: str, depth: int, elem_type: str | None = None) -> None:
        if depth > 0:
            if v is None:
                if self.sharp_v:
                    self.buf.append("interface {}(nil)")
                else:
                    self.pad("<nil>")
                return
            self.arg = v
            t = type(v)
            if t is str:
                self.fmt_string(v, verb)
                return
            if t is int or t is Int64:
                self.fmt_integer(v, verb)
                return
            if t is float:
                self.fmt_float(v, verb)
                return
            if t is bool:
                self.fmt_bool(v, verb)
                return
            if t is bytes or t is bytearray:
                self.fmt_bytes(v, verb, "[]uint8")
                return
            if self.handle_methods(v, verb):
                return
            if isinstance(v, int) and not isinstance(v, bool):
                # typed integers (uint8, uint64 ...): an int subclass whose
                # repr must never reach the output
                self.fmt_integer(int(v), verb, _is_unsigned(v))
                return
            if isinstance(v, float):
                self.fmt_float(float(v), verb)
                return
        if self.sharp_v and getattr(v, "nil", False) is True:  # a nil map or slice
            self.buf.append(type_of(v) + "(nil)")
            return
        if isinstance(v, dict):
            if self.sharp_v:
                self.buf.append(type_of(v) + "{")
            else:
                self.buf.append("map[")
            for i, key in enumerate(_sorted_keys(v)):
                if i:
                    self.buf.append(", " if self.sharp_v else " ")
                self.print_value(key, verb, depth + 1)
                self.buf.append(":")
                self.print_value(v[key], verb, depth + 1)
            self.buf.append("}" if self.sharp_v else "]")
            return
        if isinstance(v, (list, tuple)):
            if self.sharp_v:
                tn = "[]" + elem_type if elem_type else type_of(v)
                self.buf.append(tn + "{")
                for i, e in enumerate(v):
                    if i:
                        self.buf.append(", ")
                    if elem_type == "uint8":
                        self.fmt_0x64(e, True)
                    else:
                        self.print_value(e, verb, depth + 1)
                self.buf.append("}")
            else:
                self.buf.append("[")
                for i, e in enumerate(v):
                    if i:
                        self.buf.append(" ")
                    if isinstance(v, StringList) and e is None:
                        e = ""
                    self.print_value(e, verb, depth + 1)
                self.buf.append("]")
            return
        if isinstance(v, GoStruct):
            is_ptr = v.go_type_name.startswith("*")
            if is_ptr:
                if depth > 0:
                    self.fmt_pointer(v, verb)
                    return
                self.buf.append("&")
            if self.sharp_v:
                self.buf.append(v.go_type_name.lstrip("*"))
            self.buf.append("{")
            for i, name in enumerate(v.go_fields):
                if i:
                    self.buf.append(", " if self.sharp_v else " ")
                if self.plus_v or self.sharp_v:
                    self.buf.append(name + ":")
                self.print_value(getattr(v, name, None), verb, depth + 1)
            self.buf.append("}")
            return
        if callable(v):
            self.fmt_pointer(v, verb)
            return
        # Unknown Python value: print its str() as a string would be.
        self.fmt_string(str(v), verb)

    # ---------------------------------------------------------------- Printf
    def arg_number(self, argnum: int, fmt: str, i: int, nargs: int) -> tuple[int, int, bool]:
        if len(fmt) <= i or fmt[i] != "[":
            return argnum, i, False
        self.reordered = True
        index, wid, ok = _parse_arg_number(fmt[i:])
        if ok and 0 <= index < nargs:
            return index, i + wid, True
        self.good_argnum = False
        return argnum, i + wid, ok

    def do_printf(self, fmt: str, a: tuple[Any, ...]) -> None:
        end = len(fmt)
        argnum = 0
        after_index = False
        self.reordered = False
        i = 0
        buf = self.buf
        nargs = len(a)
        while i < end:
            self.good_argnum = True
            j = fmt.find("%", i)
            if j < 0:
                buf.append(fmt[i:])
                break
            if j > i:
                buf.append(fmt[i:j])
            i = j + 1
            self.clear_flags()
            simple = False
            while i < end:
                c = fmt[i]
                if c == "#":
                    self.sharp = True
                elif c == "0":
                    self.zero = True
                elif c == "+":
                    self.plus = True
                elif c == "-":
                    self.minus = True
                elif c == " ":
                    self.space = True
                else:
                    if "a" <= c <= "z" and argnum < nargs:
                        if c == "v":
                            self.sharp_v = self.sharp
                            self.sharp = False
                            self.plus_v = self.plus
                            self.plus = False
                        self.print_arg(a[argnum], c)
                        argnum += 1
                        i += 1
                        simple = True
                    break
                i += 1
            if simple:
                continue
            argnum, i, after_index = self.arg_number(argnum, fmt, i, nargs)
            if i < end and fmt[i] == "*":
                i += 1
                self.wid, self.wid_present, argnum = _int_from_arg(a, argnum)
                if not self.wid_present:
                    buf.append("%!(BADWIDTH)")
                if self.wid < 0:
                    self.wid = -self.wid
                    self.minus = True
                    self.zero = False
                after_index = False
            else:
                self.wid, self.wid_present, i = _parse_num(fmt, i, end)
                if after_index and self.wid_present:
                    self.good_argnum = False
            if i + 1 < end and fmt[i] == ".":
                i += 1
                if after_index:
                    self.good_argnum = False
                argnum, i, after_index = self.arg_number(argnum, fmt, i, nargs)
                if i < end and fmt[i] == "*":
                    i += 1
                    self.prec, self.prec_present, argnum = _int_from_arg(a, argnum)
                    if self.prec < 0:
                        self.prec = 0
                        self.prec_present = False
                    if not self.prec_present:
                        buf.append("%!(BADPREC)")
                    after_index = False
                else:
                    self.prec, self.prec_present, i = _parse_num(fmt, i, end)
                    if not self.prec_present:
                        self.prec = 0
                        self.prec_present = True
            if not after_index:
                argnum, i, after_index = self.arg_number(argnum, fmt, i, nargs)
            if i >= end:
                buf.append("%!(NOVERB)")
                break
            verb = fmt[i]
            i += 1
            if verb == "%":
                buf.append("%")
            elif not self.good_argnum:
                buf.append("%!" + verb + "(BADINDEX)")
            elif argnum >= nargs:
                buf.append("%!" + verb + "(MISSING)")
            else:
                if verb == "v":
                    self.sharp_v = self.sharp
                    self.sharp = False
                    self.plus_v = self.plus
                    self.plus = False
                self.print_arg(a[argnum], verb)
                argnum += 1
        if not self.reordered and argnum < nargs:
            self.clear_flags()
            buf.append("%!(EXTRA ")
            for k, arg in enumerate(a[argnum:]):
                if k:
                    buf.append(", ")
                if arg is None:
                    buf.append("<nil>")
                else:
                    buf.append(type_of(arg) + "=")
                    self.print_arg(arg, "v")
            buf.append(")")


def _parse_num(s: str, start: int, end: int) -> tuple[int, bool, int]:
    if start >= end:
        return 0, False, end
    num = 0
    isnum = False
    i = start
    while i < end and "0" <= s[i] <= "9":
        if _too_large(num):
            return 0, False, end
        num = num * 10 + ord(s[i]) - 48
        isnum = True
        i += 1
    return num, isnum, i


def _parse_arg_number(fmt: str) -> tuple[int, int, bool]:
    if len(fmt) < 3:
        return 0, 1, False
    for i in range(1, len(fmt)):
        if fmt[i] == "]":
            width, ok, newi = _parse_num(fmt, 1, i)
            if not ok or newi != i:
                return 0, i + 1, False
            return width - 1, i + 1, True
    return 0, 1, False


def _int_from_arg(a: tuple[Any, ...], argnum: int) -> tuple[int, bool, int]:
    num, isint, new = 0, False, argnum
    if argnum < len(a):
        v = a[argnum]
        if type(v) is int or type(v) is Int64:
            num, isint = int(v), True
        new = argnum + 1
        if _too_large(num):
            num, isint = 0, False
    return num, isint, new


def _is_unsigned(v: int) -> bool:
    """Whether a typed Go integer is of an unsigned kind (uint8, uint32, uint64 ...)."""
    return str(getattr(type(v), "go_kind", "int")).startswith("uint")


def _rune_str(v: int) -> str:
    if v < 0 or v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
        return "\ufffd"
    return chr(v)


def _str_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _sort_key(k: Any) -> tuple[int, Any]:
    if isinstance(k, bool):
        return (1, k)
    if isinstance(k, (int, float)):
        return (2, k)
    if isinstance(k, str):
        return (3, k.encode("utf-8", "surrogateescape"))
    return (4, str(k))


def _sorted_keys(d: dict[Any, Any]) -> list[Any]:
    try:
        if all(type(k) is str for k in d):
            return sorted(d, key=lambda k: k.encode("utf-8", "surrogateescape"))
        return sorted(d, key=_sort_key)
    except TypeError:
        return list(d)


# ---------------------------------------------------------------------- public API


def format_value(v: Any) -> str:
    """What Go's ``%v`` (``fmt.Sprint(v)``) prints for ``v``."""
    t = type(v)
    if t is str:
        return v
    if t is int or t is Int64:
        return str(int(v))
    if t is bool:
        return "true" if v else "false"
    if t is float:
        if v.is_integer() and -1e21 < v < 1e21:
            if -1e6 < v < 1e6:
                return "-0" if v == 0 and str(v)[0] == "-" else str(int(v))
        return gostrconv.format_float(v, "g", -1)
    if v is None:
        return "<nil>"
    p = _Printer()
    p.print_arg(v, "v")
    return "".join(p.buf)


def print_value(v: Any) -> str:
    """What text/template prints for an action's value (``printableValue`` + Fprint).

    Pointers are indirected first, so a ``*struct`` prints ``{...}``, not ``&{...}``;
    a struct value is taken as addressable, so its pointer methods print it too.
    """
    if isinstance(v, GoStruct) and "String" in v.go_pointer_methods and v.go_addressable:
        return str(getattr(v, "String")())  # noqa: B009 - a Go method of the struct
    if isinstance(v, GoStruct) and v.go_type_name.startswith("*"):
        if (getattr(v, "String", None) is None) and getattr(v, "Error", None) is None:
            p = _Printer()
            p.arg = v
            p.print_value(_Deref(v), "v", 0)
            return "".join(p.buf)
    return format_value(v)


class _Deref(GoStruct):
    """A struct value seen through its pointer (for template printing)."""

    __slots__ = ("_target", "go_fields")

    def __init__(self, target: GoStruct) -> None:
        self._target = target
        self.go_fields = target.go_fields  # type: ignore[misc]

    @property
    def go_type_name(self) -> str:  # type: ignore[override]
        return self._target.go_type_name.lstrip("*")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def sprint(*args: Any) -> str:
    """fmt.Sprint: spaces between operands when neither side is a string."""
    if len(args) == 1:
        return format_value(args[0])
    out = []
    prev_string = False
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(format_value(arg))
        prev_string = is_string
    return "".join(out)


def sprintln(*args: Any) -> str:
    """fmt.Sprintln: operands always separated by spaces, newline appended."""
    return " ".join(format_value(a) for a in args) + "\n"


def sprintf(format: str, *args: Any) -> str:
    """fmt.Sprintf."""
    p = _Printer()
    p.do_printf(format, args)
    return "".join(p.buf)
