"""Sprig string functions (strings.go, functions.go, goutils, xstrings)."""

from __future__ import annotations

from polystack.helm.funcs.sprig import _unicode as u
from polystack.helm.funcs.sprig._conv import GoError, StringMap, is_slice, slice_items, strval
from polystack.helm.golang import fmt as gofmt
from polystack.helm.golang.runtime import check_size
from polystack.helm.golang.strconv import quote as go_quote
from polystack.helm.golang.types import StringList, signature

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _slice_error(msg: str) -> GoError:
    return GoError(f"runtime error: slice bounds out of range {msg}")


# -- goutils ---------------------------------------------------------------


def abbreviate_full(s: str, offset: int, max_width: int) -> str:
    """goutils.AbbreviateFull (byte offsets, like Go)."""
    if s == "":
        return ""
    if max_width < 4:
        return ""
    b = _b(s)
    n = len(b)
    if n <= max_width:
        return s
    if offset > n:
        offset = n
    if n - offset < max_width - 3:
        offset = n - (max_width - 3)
    marker = "..."
    if offset <= 4:
        return _s(b[: max_width - 3]) + marker
    if max_width < 7:
        return ""
    if offset + max_width - 3 < n:
        return marker + abbreviate_full(_s(b[offset:]), 0, max_width - 3)
    return marker + _s(b[n - (max_width - 3) :])


@signature("int", "string")
def abbrev(width: int, s: str) -> str:
    if width < 4:
        return s
    return abbreviate_full(s, 0, width)


@signature("int", "int", "string")
def abbrevboth(left: int, right: int, s: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return s
    return abbreviate_full(s, left, right)


@signature("string")
def initials(s: str) -> str:
    """goutils.Initials: first byte after each whitespace byte (as a rune)."""
    if s == "":
        return s
    out = []
    last_gap = True
    for byte in _b(s):
        ch = chr(byte)
        if u.is_space(ch):
            last_gap = True
        elif last_gap:
            out.append(ch)
            last_gap = False
    return "".join(out)


@signature("string")
def untitle(s: str) -> str:
    """goutils.Uncapitalize: lower-case the first rune of every word."""
    out = []
    nxt = True
    for c in s:
        if u.is_space(c):
            nxt = True
            out.append(c)
        elif nxt:
            out.append(u.to_lower(c))
            nxt = False
        else:
            out.append(c)
    return "".join(out)


@signature("string")
def nospace(s: str) -> str:
    """goutils.DeleteWhiteSpace: works on bytes, each kept byte becomes a rune."""
    if s.isascii():
        return "".join(c for c in s if not u.is_space(c))
    return "".join(chr(b) for b in _b(s) if not u.is_space(chr(b)))


@signature("string")
def swapcase(s: str) -> str:
    """goutils.SwapCase."""
    out = []
    for c in s:
        if u.is_upper(c) or u.is_title(c):
            out.append(u.to_lower(c))
        elif u.is_lower(c):
            out.append(u.to_upper(c))
        else:
            out.append(c)
    return "".join(out)


def wrap_custom(s: str, length: int, newline: str, wrap_long: bool) -> str:
    """goutils.WrapCustom (byte offsets, like Go)."""
    if s == "":
        return ""
    if newline == "":
        newline = "\n"
    if length < 1:
        length = 1
    b = _b(s)
    nl = _b(newline)
    n = len(b)
    off = 0
    out = bytearray()
    while n - off > length:
        if b[off] == 0x20:
            off += 1
            continue
        end = length + off + 1
        at = b[off:end].rfind(b" ") + off
        if at >= off:
            out += b[off:at] + nl
            off = at + 1
        elif wrap_long:
            end = length + off
            out += b[off:end] + nl
            off += length
        else:
            end = length + off
            idx = b[end:].find(b" ")
            if idx == -1:
                out += b[off:]
                off = n
            else:
                at = idx + end
                out += b[off:at] + nl
                off = at + 1
    out += b[off:]
    return _s(bytes(out))


@signature("int", "string")
def wrap(length: int, s: str) -> str:
    return wrap_custom(s, length, "", False)


@signature("int", "string", "string")
def wrap_with(length: int, sep: str, s: str) -> str:
    return wrap_custom(s, length, sep, True)


# -- random strings (goutils CryptoRandom*) ----------------------------------

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_ASCII = "".join(chr(c) for c in range(32, 127))


def _random(count: int, alphabet: str) -> str:
    import secrets  # the rand* functions only: not at start-up

    if count <= 0:
        return ""
    check_size(count, "random string")
    return "".join(secrets.choice(alphabet) for _ in range(count))


@signature("int")
def rand_alpha_num(count: int) -> str:
    return _random(count, _ALNUM)


@signature("int")
def rand_alpha(count: int) -> str:
    return _random(count, _ALPHA)


@signature("int")
def rand_numeric(count: int) -> str:
    return _random(count, _DIGITS)


@signature("int")
def rand_ascii(count: int) -> str:
    return _random(count, _ASCII)


@signature("string")
def shuffle(s: str) -> str:
    """xstrings.Shuffle: Fisher-Yates over runes."""
    import secrets  # the rand* functions only: not at start-up

    runes = list(s)
    for i in range(len(runes) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        runes[i], runes[j] = runes[j], runes[i]
    return "".join(runes)


# -- xstrings case conversion -------------------------------------------------


def _is_connector(c: str) -> bool:
    return c in "-_" or u.is_space(c)


def _is_alphabet(c: str) -> bool:
    return u.is_letter(c)


_INVALID, _NUMBER, _UPPER, _ALPHABET, _CONNECTOR, _PUNCT, _OTHER = range(7)


def _next_word(s: str) -> tuple[int, str, str]:
    if not s:
        return _INVALID, "", ""
    c = s[0]
    i = 1
    n = len(s)
    if c == "\ufffd":
        return _INVALID, s[:1], s[1:]
    if _is_connector(c):
        wt = _CONNECTOR
        while i < n and _is_connector(s[i]):
            i += 1
    elif u.is_punct(c):
        wt = _PUNCT
        while i < n and u.is_punct(s[i]):
            i += 1
    elif u.is_upper(c):
        wt = _UPPER
        if i < n:
            if u.is_upper(s[i]):
                i += 1
                while i < n and u.is_upper(s[i]):
                    i += 1
                if i < n and _is_alphabet(s[i]):
                    i -= 1
            elif _is_alphabet(s[i]):
                i += 1
                while i < n and _is_alphabet(s[i]) and not u.is_upper(s[i]):
                    i += 1
    elif _is_alphabet(c):
        wt = _ALPHABET
        while i < n and _is_alphabet(s[i]) and not u.is_upper(s[i]):
            i += 1
    elif u.is_number(c):
        wt = _NUMBER
        while i < n and u.is_number(s[i]):
            i += 1
    else:
        wt = _OTHER
        while i < n:
            r = s[i]
            if _is_connector(r) or _is_alphabet(r) or u.is_number(r) or u.is_punct(r):
                break
            i += 1
    return wt, s[:i], s[i:]


def _to_lower(buf: list[str], wt: int, word: str, conn: str) -> None:
    if wt not in (_UPPER, _CONNECTOR):
        buf.append(word)
        return
    for c in word:
        if _is_connector(c):
            buf.append(conn)
        elif u.is_upper(c):
            buf.append(u.to_lower(c))
        else:
            buf.append(c)


def camel_case_to_lower_case(s: str, conn: str) -> str:
    if not s:
        return ""
    buf: list[str] = []
    wt, word, rem = _next_word(s)
    while rem:
        if wt != _CONNECTOR:
            _to_lower(buf, wt, word, conn)
        prev, last = wt, word
        wt, word, rem = _next_word(rem)
        if prev == _NUMBER:
            while wt in (_ALPHABET, _NUMBER):
                _to_lower(buf, wt, word, conn)
                wt, word, rem = _next_word(rem)
            if wt not in (_INVALID, _PUNCT, _CONNECTOR):
                buf.append(conn)
        elif prev == _CONNECTOR:
            _to_lower(buf, prev, last, conn)
        elif prev == _PUNCT:
            pass
        else:
            if wt != _NUMBER:
                if wt not in (_CONNECTOR, _PUNCT):
                    buf.append(conn)
                continue
            if not rem:
                continue
            last = word
            wt, word, rem = _next_word(rem)
            if wt != _ALPHABET:
                _to_lower(buf, _NUMBER, last, conn)
                if wt not in (_CONNECTOR, _PUNCT):
                    buf.append(conn)
                continue
            buf.append(conn)
            _to_lower(buf, _NUMBER, last, conn)
            while wt in (_ALPHABET, _NUMBER):
                _to_lower(buf, wt, word, conn)
                wt, word, rem = _next_word(rem)
            if wt not in (_INVALID, _CONNECTOR, _PUNCT):
                buf.append(conn)
    _to_lower(buf, wt, word, conn)
    return "".join(buf)


@signature("string")
def snakecase(s: str) -> str:
    return camel_case_to_lower_case(s, "_")


@signature("string")
def kebabcase(s: str) -> str:
    return camel_case_to_lower_case(s, "-")


def to_camel_case(s: str, big: bool) -> str:
    if not s:
        return ""
    buf: list[str] = []
    first_upper = False
    i = 0
    n = len(s)
    r0 = ""
    while i < n:
        r0 = s[i]
        i += 1
        if not _is_connector(r0):
            first_upper = u.is_upper(r0)
            r0 = u.to_upper(r0) if big else u.to_lower(r0)
            break
        buf.append(r0)
    else:
        # only connectors: Go writes the last one once more
        buf.append(r0)
        return "".join(buf)
    if i >= n:
        buf.append(r0)
        return "".join(buf)
    while i < n:
        r1 = r0
        r0 = s[i]
        i += 1
        if _is_connector(r0) and _is_connector(r1):
            buf.append(r1)
            continue
        if _is_connector(r1):
            first_upper = u.is_upper(r0)
            r0 = u.to_upper(r0)
        else:
            if first_upper:
                if u.is_upper(r0):
                    r0 = u.to_lower(r0)
                else:
                    first_upper = False
            buf.append(r1)
    if first_upper and not big:
        r0 = u.to_lower(r0)
    buf.append(r0)
    return "".join(buf)


@signature("string")
def camelcase(s: str) -> str:
    return to_camel_case(s, True)


# -- plain string functions ----------------------------------------------------


@signature("string")
def trim(s: str) -> str:
    return u.trim_space(s)


@signature("string")
def upper(s: str) -> str:
    return u.upper(s)


@signature("string")
def lower(s: str) -> str:
    return u.lower(s)


@signature("string")
def title(s: str) -> str:
    return u.title(s)


@signature("int", "int", "string")
def substr(start: int, end: int, s: str) -> str:
    b = _b(s)
    n = len(b)
    if start < 0:
        if end < 0:
            raise _slice_error(f"[:{end}]")
        if end > n:
            raise _slice_error(f"[:{end}] with length {n}")
        return _s(b[:end])
    if end < 0 or end > n:
        if start > n:
            raise _slice_error(f"[{start}:{n}]")
        return _s(b[start:])
    if start > end:
        raise _slice_error(f"[{start}:{end}]")
    return _s(b[start:end])


@signature("int", "string")
def repeat(count: int, s: str) -> str:
    if count < 0:
        raise GoError("strings: negative Repeat count")
    check_size(len(s) * count, "repeat output")
    return s * count


@signature("string", "string")
def trim_all(a: str, b: str) -> str:
    return b.strip(a)


@signature("string", "string")
def trim_suffix(a: str, b: str) -> str:
    return b[: -len(a)] if a and b.endswith(a) else b


@signature("string", "string")
def trim_prefix(a: str, b: str) -> str:
    return b[len(a) :] if b.startswith(a) else b


@signature("string", "string")
def contains(substr_: str, s: str) -> bool:
    return substr_ in s


@signature("string", "string")
def has_prefix(prefix: str, s: str) -> bool:
    return s.startswith(prefix)


@signature("string", "string")
def has_suffix(suffix: str, s: str) -> bool:
    return s.endswith(suffix)


def _quote_str(s: str) -> str:
    """strconv.Quote; printable ASCII without quote or backslash (most values)
    is written as it is, so its quoting is the two quotes."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    return go_quote(s)


@signature("...interface {}")
def quote(*args: Any) -> str:
    if len(args) == 1 and type(args[0]) is str:
        return _quote_str(args[0])
    return " ".join(_quote_str(strval(a)) for a in args if a is not None)


@signature("...interface {}")
def squote(*args: Any) -> str:
    return " ".join("'" + gofmt.format_value(a) + "'" for a in args if a is not None)


@signature("...interface {}")
def cat(*args: Any) -> str:
    return " ".join(gofmt.format_value(a) for a in args if a is not None)


@signature("int", "string")
def indent(spaces: int, s: str) -> str:
    if spaces < 0:
        raise GoError("strings: negative Repeat count")
    check_size(spaces * (1 + s.count("\n")) + len(s), "indent output")
    pad = " " * spaces
    return pad + s.replace("\n", "\n" + pad)


@signature("int", "string")
def nindent(spaces: int, s: str) -> str:
    return "\n" + indent(spaces, s)


@signature("string", "string", "string")
def replace(old: str, new: str, src: str) -> str:
    if len(new) > len(old):
        n = len(src) + 1 if old == "" else src.count(old)
        check_size(len(src) + n * (len(new) - len(old)), "replace output")
    return src.replace(old, new)


@signature("string", "string", "int")
def plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


@signature("int", "string")
def trunc(c: int, s: str) -> str:
    if s.isascii():  # (a byte per character: the same slices of the text)
        n = len(s)
        if c < 0 and n + c > 0:
            return s[n + c :]
        if c >= 0 and n > c:
            return s[:c]
        return s
    b = _b(s)
    if c < 0 and len(b) + c > 0:
        return _s(b[len(b) + c :])
    if c >= 0 and len(b) > c:
        return _s(b[:c])
    return s


def go_split(s: str, sep: str, n: int = -1) -> list[str]:
    """strings.SplitN (n < 0: all)."""
    if n == 0:
        return []
    if sep == "":
        runes = list(s)
        if n < 0 or n >= len(runes):
            return runes
        return runes[: n - 1] + ["".join(runes[n - 1 :])]
    if n < 0:
        return s.split(sep)
    return s.split(sep, n - 1)


@signature("string", "string")
def split(sep: str, orig: str) -> StringMap:
    return StringMap((f"_{i}", p) for i, p in enumerate(go_split(orig, sep)))


@signature("string", "int", "string")
def splitn(sep: str, n: int, orig: str) -> StringMap:
    return StringMap((f"_{i}", p) for i, p in enumerate(go_split(orig, sep, n)))


@signature("string", "string")
def split_list(sep: str, orig: str) -> StringList:
    return StringList(go_split(orig, sep))


def strslice(v: Any) -> StringList:
    """Sprig's strslice: []string from a slice (nil elements dropped) or a scalar."""
    if isinstance(v, StringList):
        return v
    if is_slice(v):
        return StringList(strval(x) for x in slice_items(v) if x is not None)
    if v is None:
        return StringList()
    return StringList([strval(v)])


@signature("interface {}")
def to_strings(v: Any) -> StringList:
    return strslice(v)


@signature("string", "interface {}")
def join(sep: str, v: Any) -> str:
    return sep.join(strslice(v))


@signature("interface {}")
def to_string(v: Any) -> str:
    return strval(v)


@signature("string")
def atoi(a: str) -> int:
    from polystack.helm.funcs.sprig._conv import parse_int

    try:
        return parse_int(a, 10, 64)
    except ValueError:
        return 0


FUNCS = {
    "abbrev": abbrev,
    "abbrevboth": abbrevboth,
    "trunc": trunc,
    "trim": trim,
    "upper": upper,
    "lower": lower,
    "title": title,
    "untitle": untitle,
    "substr": substr,
    "repeat": repeat,
    "trimall": trim_all,
    "trimAll": trim_all,
    "trimSuffix": trim_suffix,
    "trimPrefix": trim_prefix,
    "nospace": nospace,
    "initials": initials,
    "randAlphaNum": rand_alpha_num,
    "randAlpha": rand_alpha,
    "randAscii": rand_ascii,
    "randNumeric": rand_numeric,
    "swapcase": swapcase,
    "shuffle": shuffle,
    "snakecase": snakecase,
    "camelcase": camelcase,
    "kebabcase": kebabcase,
    "wrap": wrap,
    "wrapWith": wrap_with,
    "contains": contains,
    "hasPrefix": has_prefix,
    "hasSuffix": has_suffix,
    "quote": quote,
    "squote": squote,
    "cat": cat,
    "indent": indent,
    "nindent": nindent,
    "replace": replace,
    "plural": plural,
    "toString": to_string,
    "atoi": atoi,
    "split": split,
    "splitList": split_list,
    "splitn": splitn,
    "toStrings": to_strings,
    "join": join,
}
