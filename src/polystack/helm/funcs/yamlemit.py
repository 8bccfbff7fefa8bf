"""toYaml's output for plain values, written directly.

Helm's `toYaml` is sigs.k8s.io/yaml.Marshal: encoding/json, then goyaml.v2's
emitter (a port of libyaml) in block style with an indent of 2 and a line width
of 80. encoding/yamlgo.marshal_yaml reproduces it through PyYAML's libyaml
bindings, which build a node per value and run PyYAML's Python serializer: most
of the cost of a small map (resources, probes, labels) is there. This module
writes the same text for the values where libyaml's choices are simple to know
in advance, and answers None for everything else, which then goes the PyYAML way:

* maps with string keys (sorted as goyaml sorts them), lists and tuples, nested;
  empty ones as ``{}`` / ``[]``; nil, bools, integers and floats (encoding/json's
  text re-read by goyaml, as yamlgo writes them);
* strings of printable ASCII without a line break, written plain when goyaml
  would (no Go-resolvable text: yamlgo.needs_quotes) and libyaml's block-plain
  analysis certainly allows it (no indicator first, no ``: `` or `` #``, no
  leading or trailing space), or double-quoted when goyaml quotes them and they
  need no escape; a string with a space only when its line fits in the width
  (libyaml folds a long line at a space), a key of at most 120 characters
  (libyaml's simple-key limit is 128).

Values nested deeper than MAX_DEPTH (or containing themselves) and values of
more than MAX_WALK nodes go the PyYAML way too, which refuses them as it did.
Anything else (line breaks, non-ASCII, other types, keys that are not strings)
returns None. tests/helm/test_yaml_emit.py checks the output against the PyYAML
path for generated values (hypothesis).
"""

from __future__ import annotations

from polystack.helm.encoding.jsongo import json_float
from polystack.helm.encoding.yamlresolve import needs_quotes, sorted_keys
from polystack.helm.encoding.yamlresolve import number_text as _number_text
from polystack.helm.golang.runtime import MAX_WALK

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["emit_plain"]

WIDTH = 80  # goyaml.v2's best_width
MAX_KEY = 120  # below libyaml's 128-character limit of a simple key
# deeper values (and values that contain themselves) go the PyYAML way, which
# also decides their errors
MAX_DEPTH = 64
# characters libyaml's analysis treats as block indicators when first (plus space;
# "-", "?" and ":" only when a space follows)
_FIRST_INDICATORS = frozenset(",[]{}#&*!|>'\"%@` ")
_FIRST_BEFORE_SPACE = frozenset("-?:")
# the scalar text of strings seen before, or _NO (bounded: cleared when full)
_TEXTS: dict[str, str] = {}
_TEXTS_MAX = 4096
_NO = "\n"
# the text of floats seen before (encoding/json's, re-read by goyaml)
_FLOATS: dict[float, str] = {}  # (no scalar text this emitter writes holds a line break)


class _NotPlain(Exception):
    """A value this emitter does not write (the caller takes the PyYAML path)."""


def _string_text(s: str) -> str:
    """The scalar text of ``s`` wherever it stands (or _NO): plain or double-quoted."""
    if not s or not s.isascii() or not s.isprintable():  # (isprintable: no \n, \t ...)
        return _NO
    if needs_quotes(s):
        if '"' in s or "\\" in s:
            return _NO
        return '"' + s + '"'
    c = s[0]
    if (
        c in _FIRST_INDICATORS
        or (c in _FIRST_BEFORE_SPACE and (len(s) == 1 or s[1] == " "))
        or s[-1] == " "
        or s[-1] == ":"
        or ": " in s
        or " #" in s
        or s.startswith(("---", "..."))
    ):
        return _NO
    return s


def _text(s: str) -> str:
    """_string_text of ``s``, remembered in _TEXTS (bounded)."""
    r = _TEXTS.get(s)
    if r is None:
        r = _string_text(s)
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[s] = r
    return r


def _string(s: str, col: int) -> str:
    """The scalar text of the string value ``s`` starting at column ``col``."""
    r = _TEXTS.get(s) or _text(s)
    if r is _NO or (col + len(r) > WIDTH and " " in s):
        raise _NotPlain  # (libyaml may fold a long line at a space)
    return r


def _key(s: str) -> str:
    r = _TEXTS.get(s) or _text(s)
    if r is _NO or len(s) > MAX_KEY:
        raise _NotPlain
    return r


def _scalar(v: Any, col: int) -> str | None:
    """The text of a scalar value, or None for a map or list."""
    t = type(v)
    if t is str:
        return _string(v, col)
    if t is dict or t is list:
        return None
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _string(v, col)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        r = _FLOATS.get(v) if v else None  # (0.0 == -0.0: not looked up)
        if r is None:
            r = _number_text(json_float(v))
            if len(_FLOATS) >= _TEXTS_MAX:
                _FLOATS.clear()
            _FLOATS[v] = r
        return r
    if isinstance(v, (dict, list, tuple)):
        if getattr(v, "nil", False) is True:
            return "null"
        return None
    raise _NotPlain  # bytes, structs, other types


def _map(d: dict[Any, Any], ind: int, lead: str, out: list[str], depth: int) -> None:
    """A non-empty map's entries at indent ``ind``; the first one after ``lead``."""
    if depth > MAX_DEPTH or len(out) + len(d) > MAX_WALK:
        raise _NotPlain
    keys = list(d)
    for k in keys:
        if type(k) is not str:
            raise _NotPlain
    pad = " " * ind
    depth += 1
    for k in sorted_keys(keys) if len(keys) > 1 else keys:
        ks = _key(k)
        out.append(lead + ks + ":")
        lead = pad
        v = d[k]
        s = _scalar(v, ind + len(ks) + 2)
        if s is not None:
            out.append(" " + s + "\n")
        elif not v:
            out.append(" {}\n" if isinstance(v, dict) else " []\n")
        elif isinstance(v, dict):
            out.append("\n")
            _map(v, ind + 2, pad + "  ", out, depth)
        else:  # a sequence in a map is not indented (goyaml, libyaml)
            out.append("\n")
            _seq(v, ind, pad, out, depth)


def _seq(items: Any, ind: int, lead: str, out: list[str], depth: int) -> None:
    """A non-empty sequence's items at indent ``ind``; the first one after ``lead``."""
    if depth > MAX_DEPTH or len(out) + len(items) > MAX_WALK:
        raise _NotPlain
    pad = " " * ind
    depth += 1
    for v in items:
        out.append(lead + "-")
        lead = pad
        s = _scalar(v, ind + 2)
        if s is not None:
            out.append(" " + s + "\n")
        elif not v:
            out.append(" {}\n" if isinstance(v, dict) else " []\n")
        elif isinstance(v, dict):
            out.append(" ")
            _map(v, ind + 2, "", out, depth)
        else:
            out.append(" ")
            _seq(v, ind + 2, "", out, depth)


def emit_plain(v: Any) -> str | None:
    """yaml.Marshal(v)'s text (with its final newline) when ``v`` is a plain value
    (see the module's description), else None. Errors of the value itself
    (a float JSON cannot hold) are raised as marshal_yaml raises them."""
    out: list[str] = []
    try:
        s = _scalar(v, 0)
        if s is not None:
            return s + "\n"
        if not v:
            return "{}\n" if isinstance(v, dict) else "[]\n"
        if isinstance(v, dict):
            _map(v, 0, "", out, 0)
        else:
            _seq(v, 0, "", out, 0)
    except _NotPlain:
        return None
    if len(out) >= MAX_WALK:
        return None  # (a value of more than MAX_WALK nodes: the PyYAML path refuses it)
    return "".join(out)
