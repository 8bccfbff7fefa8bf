"""String expressions."""

from __future__ import annotations

from typing import Any, AnyStr

from bson.regex import Regex

from ..bsontypes import is_integral, is_numeric, type_name
from ..errors import MongoError
from ..keystring import MISSING
from ..query.regex import compile_regex, regex_flags_string
from .core import ExprContext, Fn, arity, compile_args, compile_expression, nullish, operator


def _str_arg(name: str, v: Any, code: int = 16702) -> str | None:
    if nullish(v):
        return None
    if not isinstance(v, str):
        raise MongoError(code, f"{name} requires a string argument, found: {type_name(v)}")
    return v


def _to_str(v: Any) -> str:
    """String coercion used by $toLower/$toUpper/$substr (numbers and dates print)."""
    if nullish(v):
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        raise MongoError(16007, "can't convert from BSON type bool to String")
    if is_numeric(v):
        from .type_ops import number_to_string

        return number_to_string(v)
    import datetime

    if isinstance(v, datetime.datetime):
        from .date_ops import format_date

        return format_date(v, "%Y-%m-%dT%H:%M:%S.%LZ", None)
    raise MongoError(16007, f"can't convert from BSON type {type_name(v)} to String")


@operator("$concat")
def _concat(args: Any, ctx: ExprContext) -> Fn:
    fns = compile_args(args, ctx)

    def concat(root: Any, vars: dict) -> Any:
        out = []
        for f in fns:
            v = f(root, vars)
            if nullish(v):
                return None
            if not isinstance(v, str):
                raise MongoError(16702, f"$concat only supports strings, not {type_name(v)}")
            out.append(v)
        return "".join(out)

    return concat


def _case(name: str, fn: Any) -> None:
    @operator(name)
    def compile_case(args: Any, ctx: ExprContext) -> Fn:
        (a,) = compile_args(arity(name, args, 1), ctx)
        return lambda root, vars: fn(_to_str(a(root, vars)))


_case("$toLower", lambda s: "".join(c.lower() if c.isascii() else c for c in s))
_case("$toUpper", lambda s: "".join(c.upper() if c.isascii() else c for c in s))


def _utf8_slice(s: str, start: int, length: int, name: str) -> str:
    b = s.encode()
    if start < 0 or start > len(b):
        return ""
    end = len(b) if length < 0 else min(len(b), start + length)

    def is_cont(i: int) -> bool:
        return i < len(b) and (b[i] & 0xC0) == 0x80

    if is_cont(start):
        raise MongoError(
            28656, f"{name}:  Invalid range, starting index is a UTF-8 continuation byte."
        )
    if is_cont(end):
        raise MongoError(
            28657, f"{name}:  Invalid range, ending index is in the middle of a UTF-8 character."
        )
    return b[start:end].decode()


@operator("$substr", "$substrBytes")
def _substr_bytes(args: Any, ctx: ExprContext) -> Fn:
    s, st, ln = compile_args(arity("$substrBytes", args, 3), ctx)

    def substr(root: Any, vars: dict) -> Any:
        v = _to_str(s(root, vars))
        a, b = st(root, vars), ln(root, vars)
        if not is_numeric(a):
            raise MongoError(
                16034,
                f"$substrBytes: starting index must be a numeric type (is "
                f"BSON type {type_name(a)})",
            )
        if not is_numeric(b):
            raise MongoError(
                16035, f"$substrBytes: length must be a numeric type (is BSON type {type_name(b)})"
            )
        return _utf8_slice(v, int(a), int(b), "$substrBytes")

    return substr


@operator("$substrCP")
def _substr_cp(args: Any, ctx: ExprContext) -> Fn:
    s, st, ln = compile_args(arity("$substrCP", args, 3), ctx)

    def substr(root: Any, vars: dict) -> Any:
        v = _to_str(s(root, vars))
        a, b = st(root, vars), ln(root, vars)
        if not is_numeric(a) or not is_integral(a):
            raise MongoError(
                34450 if not is_numeric(a) else 34451,
                "$substrCP: starting index must be a numeric type"
                if not is_numeric(a)
                else "$substrCP: starting index cannot be represented as a 32-bit integral value",
            )
        if not is_numeric(b) or not is_integral(b):
            raise MongoError(
                34452 if not is_numeric(b) else 34453,
                "$substrCP: length must be a numeric type"
                if not is_numeric(b)
                else "$substrCP: length cannot be represented as a 32-bit integral value",
            )
        a, b = int(a), int(b)
        if a < 0:
            raise MongoError(34455, "$substrCP: the starting index must be nonnegative integer.")
        if b < 0:
            raise MongoError(34454, "$substrCP: length must be a nonnegative integer.")
        return v[a : a + b]

    return substr


@operator("$strLenBytes")
def _strlen_bytes(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$strLenBytes", args, 1), ctx)

    def strlen(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if not isinstance(v, str):
            raise MongoError(
                34473, "$strLenBytes requires a string argument, found: " + type_name(v)
            )
        return len(v.encode())

    return strlen


@operator("$strLenCP")
def _strlen_cp(args: Any, ctx: ExprContext) -> Fn:
    (a,) = compile_args(arity("$strLenCP", args, 1), ctx)

    def strlen(root: Any, vars: dict) -> Any:
        v = a(root, vars)
        if not isinstance(v, str):
            raise MongoError(34471, "$strLenCP requires a string argument, found: " + type_name(v))
        return len(v)

    return strlen


@operator("$strcasecmp")
def _strcasecmp(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$strcasecmp", args, 2), ctx)

    def cmp(root: Any, vars: dict) -> Any:
        x = _to_str(a(root, vars)).upper()
        y = _to_str(b(root, vars)).upper()
        return (x > y) - (x < y)

    return cmp


@operator("$split")
def _split(args: Any, ctx: ExprContext) -> Fn:
    a, b = compile_args(arity("$split", args, 2), ctx)

    def split(root: Any, vars: dict) -> Any:
        s, d = a(root, vars), b(root, vars)
        if nullish(s):
            return None
        if not isinstance(s, str):
            raise MongoError(
                40085,
                f"$split requires an expression that evaluates to a string "
                f"as a first argument, found: {type_name(s)}",
            )
        if not isinstance(d, str):
            raise MongoError(
                40086,
                f"$split requires an expression that evaluates to a string "
                f"as a second argument, found: {type_name(d)}",
            )
        if not d:
            raise MongoError(40087, "$split requires a non-empty separator")
        return s.split(d)

    return split


def _trim(name: str, left: bool, right: bool) -> None:
    @operator(name)
    def compile_trim(args: Any, ctx: ExprContext) -> Fn:
        if not isinstance(args, dict) or "input" not in args:
            raise MongoError(
                50696 if isinstance(args, dict) else 50696, f"{name} requires an 'input' field"
            )
        for k in args:
            if k not in ("input", "chars"):
                raise MongoError(50694, f"{name} found an unknown argument: {k}")
        inp = compile_expression(args["input"], ctx)
        chars = compile_expression(args["chars"], ctx) if "chars" in args else None
        ws = (
            "\x00 \t\n\v\f\r\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
            "\u2009\u200a"
        )

        def trim(root: Any, vars: dict) -> Any:
            s = inp(root, vars)
            if nullish(s):
                return None
            if not isinstance(s, str):
                raise MongoError(
                    50699, f"{name} requires its input to be a string, got {type_name(s)}"
                )
            cs = ws
            if chars is not None:
                c = chars(root, vars)
                if nullish(c):
                    return None
                if not isinstance(c, str):
                    raise MongoError(
                        50700, f"{name} requires 'chars' to be a string, got {type_name(c)}"
                    )
                cs = c
            if left:
                s = s.lstrip(cs)
            if right:
                s = s.rstrip(cs)
            return s

        return trim


_trim("$trim", True, True)
_trim("$ltrim", True, False)
_trim("$rtrim", False, True)


def _index_of(name: str, by_bytes: bool) -> None:
    @operator(name)
    def compile_index(args: Any, ctx: ExprContext) -> Fn:
        fns = compile_args(arity(name, args, 2, 4), ctx)

        def index_of(root: Any, vars: dict) -> Any:
            s = fns[0](root, vars)
            sub = fns[1](root, vars)
            if nullish(s):
                return None
            if not isinstance(s, str):
                raise MongoError(
                    40091, f"{name} requires a string as the first argument, found: {type_name(s)}"
                )
            if not isinstance(sub, str):
                raise MongoError(
                    40092,
                    f"{name} requires a string as the second argument, found: {type_name(sub)}",
                )
            start = 0
            end: int | None = None
            if len(fns) > 2:
                v = fns[2](root, vars)
                if not is_numeric(v) or not is_integral(v):
                    raise MongoError(
                        40096,
                        f"{name} requires an integral starting index, "
                        f"found a value of type: {type_name(v)}",
                    )
                start = int(v)
                if start < 0:
                    raise MongoError(
                        40097, f"{name} requires a nonnegative start index, found: {start}"
                    )
            if len(fns) > 3:
                v = fns[3](root, vars)
                if not is_numeric(v) or not is_integral(v):
                    raise MongoError(40096, f"{name} requires an integral ending index")
                end = int(v)
                if end < 0:
                    raise MongoError(40097, f"{name} requires a nonnegative ending index")
            if by_bytes:
                return _find(s.encode(), sub.encode(), start, end)
            return _find(s, sub, start, end)

        return index_of


def _find(hay: AnyStr, needle: AnyStr, start: int, end: int | None) -> int:
    """$indexOfBytes/$indexOfCP's search: -1 when the start is past the end or the string."""
    if end is None:
        end = len(hay)
    if start > len(hay) or start > end:
        return -1
    return hay.find(needle, start, end)


_index_of("$indexOfBytes", True)
_index_of("$indexOfCP", False)


def _regex_args(name: str, args: Any, ctx: ExprContext) -> tuple[Fn, Fn, Fn | None]:
    if not isinstance(args, dict):
        raise MongoError(
            51103, f"{name} expects an object of named arguments but found: {type_name(args)}"
        )
    for k in args:
        if k not in ("input", "regex", "options"):
            raise MongoError(31024, f"{name} found an unknown argument: {k}")
    if "input" not in args:
        raise MongoError(31022, f"{name} requires 'input' parameter")
    if "regex" not in args:
        raise MongoError(31023, f"{name} requires 'regex' parameter")
    opts = compile_expression(args["options"], ctx) if "options" in args else None
    return compile_expression(args["input"], ctx), compile_expression(args["regex"], ctx), opts


def _resolve_regex(name: str, r: Any, o: Any) -> Any:
    if nullish(r):
        return None
    if isinstance(r, Regex):
        flags = regex_flags_string(r.flags)
        if o not in (None, MISSING, "") and flags:
            raise MongoError(
                51075, f"{name}: regex option(s) specified in both 'regex' and 'option' fields"
            )
        pattern = r.pattern
        options = flags or (o if isinstance(o, str) else "")
    elif isinstance(r, str):
        pattern = r
        options = o if isinstance(o, str) else ""
    else:
        raise MongoError(51105, f"{name} needs 'regex' to be of type string or regex")
    if o not in (None, MISSING) and not isinstance(o, str):
        raise MongoError(51106, f"{name} needs 'options' to be of type string")
    return compile_regex(pattern, options)


def _match_doc(m: Any, s: str) -> dict:
    start = m.start()
    idx = len(s[:start])
    captures = [g for g in m.groups()]
    return {"match": m.group(0), "idx": idx, "captures": captures}


@operator("$regexMatch")
def _regex_match(args: Any, ctx: ExprContext) -> Fn:
    inp, rx, opts = _regex_args("$regexMatch", args, ctx)

    def regex_match(root: Any, vars: dict) -> Any:
        s = inp(root, vars)
        r = _resolve_regex("$regexMatch", rx(root, vars), opts(root, vars) if opts else None)
        if nullish(s) or r is None:
            return False
        if not isinstance(s, str):
            raise MongoError(51104, "$regexMatch needs 'input' to be of type string")
        return r.search(s) is not None

    return regex_match


@operator("$regexFind")
def _regex_find(args: Any, ctx: ExprContext) -> Fn:
    inp, rx, opts = _regex_args("$regexFind", args, ctx)

    def regex_find(root: Any, vars: dict) -> Any:
        s = inp(root, vars)
        r = _resolve_regex("$regexFind", rx(root, vars), opts(root, vars) if opts else None)
        if nullish(s) or r is None:
            return None
        if not isinstance(s, str):
            raise MongoError(51104, "$regexFind needs 'input' to be of type string")
        m = r.search(s)
        return _match_doc(m, s) if m else None

    return regex_find


@operator("$regexFindAll")
def _regex_find_all(args: Any, ctx: ExprContext) -> Fn:
    inp, rx, opts = _regex_args("$regexFindAll", args, ctx)

    def regex_find_all(root: Any, vars: dict) -> Any:
        s = inp(root, vars)
        r = _resolve_regex("$regexFindAll", rx(root, vars), opts(root, vars) if opts else None)
        if nullish(s) or r is None:
            return []
        if not isinstance(s, str):
            raise MongoError(51104, "$regexFindAll needs 'input' to be of type string")
        out = []
        pos = 0
        while pos <= len(s):
            m = r.search(s, pos)
            if m is None:
                break
            out.append(_match_doc(m, s))
            pos = m.end() if m.end() > m.start() else m.end() + 1
        return out

    return regex_find_all


def _replace(name: str, all_: bool) -> None:
    @operator(name)
    def compile_replace(args: Any, ctx: ExprContext) -> Fn:
        if not isinstance(args, dict):
            raise MongoError(
                51751, f"{name} requires an object as an argument, found: {type_name(args)}"
            )
        for k in ("input", "find", "replacement"):
            if k not in args:
                raise MongoError(
                    51748 if k == "input" else 51749 if k == "find" else 51750,
                    f"{name} requires '{k}' to be specified",
                )
        inp, fnd, rep = (compile_expression(args[k], ctx) for k in ("input", "find", "replacement"))

        def replace(root: Any, vars: dict) -> Any:
            s, f, r = inp(root, vars), fnd(root, vars), rep(root, vars)
            for label, v in (("input", s), ("find", f), ("replacement", r)):
                if not nullish(v) and not isinstance(v, str):
                    raise MongoError(
                        51746, f"{name} requires that '{label}' be a string, found: {v!r}"
                    )
            if nullish(s) or nullish(f) or nullish(r):
                return None
            return s.replace(f, r) if all_ else s.replace(f, r, 1)

        return replace


_replace("$replaceOne", False)
_replace("$replaceAll", True)
