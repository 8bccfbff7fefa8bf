"""The common shape of a chart's YAML files read without PyYAML.

Chart.yaml, values.yaml and the lock files are, in most charts, block mappings
and block sequences of one-line scalars: plain (resolved as goyaml.v2 resolves
them, yamlresolve.resolve), single- or double-quoted, ``{}`` and ``[]``, with
comments. ``load`` reads exactly that shape and gives what sigs.k8s.io/yaml's
Unmarshal gives for it (the document as JSON: numbers become float64); for any
other text it answers None and the caller parses it with libyaml (yamlgo), which
also words every error. So a fresh `helm template` of such a chart does not import
PyYAML (tens of milliseconds of a cold run). tests/helm/test_yaml_simple.py
checks it against the libyaml path on generated documents and real charts.

Refused (None), among others: tabs, carriage returns, YAML 1.1 line breaks and
characters libyaml rejects, document markers and directives, anchors, aliases,
tags, block scalars (``|``, ``>``), flow collections other than ``{}`` and
``[]``, complex keys, keys that do not resolve to a string (``1:``, ``true:``,
``<<``), multi-line scalars, timestamps, NaN and infinities, escapes other than
the common ones, and a top level that is not a mapping.
"""

from __future__ import annotations

import math

from polystack.helm.encoding.yamlresolve import BOOL, FLOAT, INT, NULL, STR, resolve

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["load"]


class _Refuse(Exception):
    """Not the simple shape: the caller parses the text with libyaml."""


_MAX_DEPTH = 64
# a plain scalar may not start with these (flow and node indicators)
_INDICATORS = frozenset(",[]{}#&*!|>%@`'\"")
# escapes of a double-quoted scalar read here (any other: refused)
_ESCAPES = {
    "\\": "\\",
    '"': '"',
    "/": "/",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "f": "\f",
    "v": "\v",
    " ": " ",
}
_HEX = {"x": 2, "u": 4, "U": 8}


# what this reader leaves to libyaml: tabs, carriage returns, control characters,
# NEL and the other C1 controls, the YAML 1.1 line separators, surrogates, BOMs and
# non-characters
_REFUSED_CHARS = (
    "[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff\\ufeff\\ufffe\\uffff]"
)
_refused_search: Any = None


def _allowed_text(text: str) -> bool:
    global _refused_search
    # (no pattern, so no re to import, for the common texts: every refused character
    # is one str.isprintable refuses, and in ASCII the only others it refuses are the
    # controls but the newline)
    if text.replace("\n", "").isprintable():
        return True
    if text.isascii():
        return False
    if _refused_search is None:
        import re

        _refused_search = re.compile(_REFUSED_CHARS).search
    return _refused_search(text) is None


def _quoted(s: str, i: int) -> tuple[str, int]:
    """The quoted scalar starting at s[i] (its quote), closed on this line, and
    where it ends."""
    q = s[i]
    n = len(s)
    if q == "'":
        out = []
        j = i + 1
        while True:
            k = s.find("'", j)
            if k < 0:
                raise _Refuse
            out.append(s[j:k])
            if k + 1 < n and s[k + 1] == "'":
                out.append("'")
                j = k + 2
                continue
            return "".join(out), k + 1
    parts = []
    j = i + 1
    while True:
        k = j
        while k < n and s[k] != '"' and s[k] != "\\":
            k += 1
        if k >= n:
            raise _Refuse
        parts.append(s[j:k])
        if s[k] == '"':
            return "".join(parts), k + 1
        if k + 1 >= n:
            raise _Refuse
        e = s[k + 1]
        if e in _ESCAPES:
            parts.append(_ESCAPES[e])
            j = k + 2
            continue
        width = _HEX.get(e)
        if width is None:
            raise _Refuse
        digits = s[k + 2 : k + 2 + width]
        if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise _Refuse
        cp = int(digits, 16)
        if 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
            raise _Refuse
        parts.append(chr(cp))
        j = k + 2 + width


def _after_quoted(s: str, j: int) -> None:
    """What may follow a quoted value on its line: spaces, then a comment."""
    rest = s[j:]
    if rest and not rest.isspace():
        stripped = rest.lstrip(" ")
        if stripped[:1] != "#" or stripped == rest:
            raise _Refuse


def _scalar(s: str) -> Any:
    """The JSON value of a one-line scalar (``s``: its text, comments included)."""
    c = s[0]
    if c == '"' or c == "'":
        v, j = _quoted(s, 0)
        _after_quoted(s, j)
        return v
    if s[:2] in ("{}", "[]"):
        _after_quoted(s, 2)
        return {} if c == "{" else []
    if c == "[":
        return _flow(s, "]")
    if c == "{":
        return _flow(s, "}")
    if c in _INDICATORS or (c in "-?:" and (len(s) == 1 or s[1] == " ")):
        raise _Refuse
    k = s.find(" #")
    if k >= 0:
        s = s[:k]
    s = s.rstrip(" ")
    if ": " in s or s.endswith(":"):
        raise _Refuse
    return _resolved(s)


def _resolved(s: str) -> Any:
    """The JSON value of the plain scalar ``s``."""
    tag, v = resolve(s)
    if tag == STR:
        return s
    if tag == NULL:
        return None
    if tag == BOOL:
        return v
    if tag == INT:
        try:
            return float(v)
        except OverflowError:
            raise _Refuse from None
    if tag == FLOAT and not (math.isnan(v) or math.isinf(v)):
        return v
    raise _Refuse  # timestamps, the merge key, NaN and infinities


def _flow_scalar(s: str, j: int, stop: str) -> tuple[Any, int]:
    """A quoted or plain scalar of a flow collection at s[j], and where it ends."""
    c = s[j]
    if c == '"' or c == "'":
        return _quoted(s, j)
    k = j
    n = len(s)
    while k < n and s[k] not in stop:
        k += 1
    item = s[j:k].rstrip(" ")
    if (
        not item
        or item[0] in _INDICATORS
        or item[0] == "?"  # (in a flow collection: a key, whatever follows it)
        or (item[0] == "-" and (len(item) == 1 or item[1] == " "))
        or any(x in item for x in ":#[]{}\"'")
    ):
        raise _Refuse
    return item, k


def _flow(s: str, close: str) -> Any:
    """``[a, "b", 'c']`` or ``{a: 1, "b": c}`` on one line: quoted or plain
    scalars, no nested collections (anything else: refused)."""
    mapping: dict[str, Any] = {}
    seq: list[Any] = []
    n = len(s)
    j = 1
    while True:
        while j < n and s[j] == " ":
            j += 1
        if j >= n:
            raise _Refuse
        quoted = s[j] in "\"'"
        if close == "}":
            key, j = _flow_scalar(s, j, ":,}")
            if s[j : j + 2] != ": ":
                raise _Refuse
            if not quoted:
                key = _plain_key(key)
            j += 2
            while j < n and s[j] == " ":
                j += 1
            if j >= n:
                raise _Refuse
            quoted = s[j] in "\"'"
        v, j = _flow_scalar(s, j, ",]}" if close == "]" else ",}")
        if not quoted:
            v = _resolved(v)
        if close == "}":
            mapping[key] = v
        else:
            seq.append(v)
        while j < n and s[j] == " ":
            j += 1
        if j >= n:
            raise _Refuse
        if s[j] == close:
            _after_quoted(s, j + 1)
            return mapping if close == "}" else seq
        if s[j] != ",":
            raise _Refuse
        j += 1
        if s[j : j + 1] != " ":
            raise _Refuse  # "[a,]" and "[a,b]": left to libyaml


def _plain_key(key: str) -> str:
    """A plain map key as sigs.k8s.io/yaml's JSON has it: a string, or the text of
    the boolean or integer it resolves to (``y:`` is "true"); others refused."""
    tag, v = resolve(key)
    if tag == STR:
        if key == "<<":
            raise _Refuse
        return key
    if tag == BOOL:
        return "true" if v else "false"
    if tag == INT:
        return str(v)
    raise _Refuse


def _key(s: str) -> tuple[str, str] | None:
    """(key, the rest of the line after "key:") for a mapping entry, None for a
    scalar."""
    c = s[0]
    if c == "{" or c == "[":
        return None  # a flow collection (a key that is one: refused by _scalar)
    if c == '"' or c == "'":
        key, j = _quoted(s, 0)
        if s[j : j + 1] != ":":
            return None
        rest = s[j + 1 :]
        if rest and rest[0] != " ":
            raise _Refuse
        return key, rest.lstrip(" ")
    k = s.find(": ")
    if k < 0:
        if not s.endswith(":"):
            return None
        k = len(s) - 1
    key = s[:k].rstrip(" ")
    if (
        not key
        or "#" in key
        or c in _INDICATORS
        or (c in "-?:" and (len(key) == 1 or key[1] == " "))
    ):
        raise _Refuse
    return _plain_key(key), s[k + 1 :].lstrip(" ")


class _Lines:
    __slots__ = ("ind", "text", "n")

    def __init__(self, text: str) -> None:
        ind: list[int] = []
        body: list[str] = []
        for line in text.split("\n"):
            s = line.lstrip(" ")
            if not s or s[0] == "#":
                continue
            if line[0] != " " and (s.startswith(("---", "...", "%"))):
                raise _Refuse
            ind.append(len(line) - len(s))
            body.append(s.rstrip(" "))
        self.ind = ind
        self.text = body
        self.n = len(body)


def _is_item(s: str) -> bool:
    if s == "-":
        raise _Refuse  # an item on the lines below
    return s[:2] == "- "


def _block(ls: _Lines, i: int, depth: int) -> tuple[Any, int]:
    if depth > _MAX_DEPTH:
        raise _Refuse
    if _is_item(ls.text[i]):
        return _sequence(ls, i, ls.ind[i], depth)
    return _mapping(ls, i, ls.ind[i], depth)


def _value(ls: _Lines, i: int, ind: int, rest: str, depth: int) -> tuple[Any, int]:
    """The value of the entry on line i (indented ``ind``) whose text after the
    "key:" is ``rest``."""
    if rest and rest[0] != "#":
        v = _scalar(rest)
        i += 1
        if i < ls.n and ls.ind[i] > ind:
            raise _Refuse  # a scalar going on below: multi-line, or an error
        return v, i
    i += 1
    if i < ls.n:
        if ls.ind[i] > ind:
            return _block(ls, i, depth + 1)
        if ls.ind[i] == ind and _is_item(ls.text[i]):
            return _sequence(ls, i, ind, depth + 1)  # a sequence under its key's column
    return None, i


def _mapping(ls: _Lines, i: int, ind: int, depth: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while i < ls.n and ls.ind[i] == ind:
        s = ls.text[i]
        if _is_item(s):
            raise _Refuse
        kv = _key(s)
        if kv is None:
            raise _Refuse
        key, rest = kv
        out[key], i = _value(ls, i, ind, rest, depth)
    if i < ls.n and ls.ind[i] > ind:
        raise _Refuse
    return out, i


def _sequence(ls: _Lines, i: int, ind: int, depth: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    while i < ls.n and ls.ind[i] == ind and _is_item(ls.text[i]):
        s = ls.text[i][2:]
        col = ind + 2 + len(s) - len(s.lstrip(" "))
        s = s.lstrip(" ")
        if not s or s[0] == "#" or _is_item(s):
            raise _Refuse
        kv = _key(s)
        if kv is None:
            v = _scalar(s)
            i += 1
            if i < ls.n and ls.ind[i] > ind:
                raise _Refuse
            out.append(v)
            continue
        # "- key: ...": a mapping whose keys are in the column after the dash
        ls.ind[i] = col
        ls.text[i] = s
        v, i = _mapping(ls, i, col, depth + 1)
        out.append(v)
    if i < ls.n and ls.ind[i] > ind:
        raise _Refuse
    return out, i


def load(text: str) -> dict[str, Any] | None:
    """The document of ``text`` as sigs.k8s.io/yaml unmarshals it into
    map[string]interface{} when it is of the simple shape (an empty document: {}),
    else None."""
    if not _allowed_text(text):
        return None
    try:
        ls = _Lines(text)
        if ls.n == 0:
            return {}
        if ls.n == 1 and ls.text[0] == "{}" and ls.ind[0] == 0:
            return {}
        if ls.ind[0] != 0 or _is_item(ls.text[0]):
            return None
        out, i = _mapping(ls, 0, 0, 0)
        if i != ls.n:
            return None
        return out
    except _Refuse:
        return None
