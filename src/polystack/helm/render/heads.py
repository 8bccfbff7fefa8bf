"""The SimpleHead of a rendered manifest (apiVersion, kind, metadata.name and
metadata.annotations: what SortManifests reads), found by a line scanner for the
plain block YAML charts render, without building the document.

Helm unmarshals every manifest into releaseutil.SimpleHead (sigs.k8s.io/yaml:
goyaml.v2, then JSON), so any YAML error or JSON conversion error anywhere in
the document fails the render; manifests.py reproduces that with the full
parse, which was most of the sorting's cost. scan_head answers only for
documents it can prove the full parse accepts and reads the same way, and
None for everything else (the caller then parses):

* ASCII printable text, no tab or carriage return; a block mapping at the root;
* block mappings and sequences with consistent indentation (a sequence may sit
  at its key's indentation), keys of letters, digits and ``_./-`` that resolve
  to strings, no duplicate key in a mapping;
* values on the key's (or the ``- ``'s) line: plain scalars that libyaml
  accepts in block context (no indicator first, no ``: ``, no trailing ``:``)
  and that JSON can hold (no .nan/.inf, no integer of 64 bits or more),
  single-line quoted scalars without escapes, ``{}``/``[]``, and literal or
  folded block scalars (``|``, ``>``, with a chomping indicator), whose lines
  are skipped; comments;
* apiVersion, kind, metadata.name and annotation values that are strings or
  null, metadata and annotations that are mappings or null, spelled exactly
  (a key differing only in case goes to the full parse, which decides between
  them as Go's JSON decoder does).

tests/helm/test_manifest_heads.py checks it against the full parse on generated
documents (hypothesis).
"""

from __future__ import annotations

import math

from polystack.helm.encoding.yamlresolve import _RESOLVE_MAP, FLOAT, INT, NULL, STR, resolve

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["scan_head"]

Head = tuple[str, str, str, "dict[str, str] | None"]

# deeper indentation goes to the full parse (its depth checks decide)
MAX_INDENT = 400
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")
# a plain value may not start with these (indicators; "-", "?" and ":" are
# refused even when libyaml would take them)
_NOT_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_BLOCK_HEADERS = frozenset({"|", "|-", "|+", ">", ">-", ">+"})
_NUMERIC_FIRST = frozenset("+-.0123456789")
# the first characters of values that are not plain scalars (Scanner.value reads them)
_SPECIAL_FIRST = frozenset("\"'|>{[")
_ROOT_FIELDS = {"apiversion": "apiVersion", "kind": "kind", "metadata": "metadata"}
_META_FIELDS = {"name": "name", "annotations": "annotations"}
# the mappings the head is read from (duplicate keys there go to the full parse)
_HEAD_MAPS = ((), ("metadata",), ("metadata", "annotations"))
# the path of a value the head does not read
_ITEM = ("",)

# scalar kinds of a value
_STR, _NULL, _OTHER, _MAP, _SEQ = range(5)


class _Fallback(Exception):
    """The document is not one this scanner reads (the full parse decides)."""


def _strip_comment(v: str) -> str:
    i = v.find(" #")
    if i >= 0:
        v = v[:i]
    return v.rstrip(" ")


def _plain(v: str) -> tuple[int, str]:
    """A plain scalar value (comment stripped): its kind and text."""
    c = v[0]
    if c in _NOT_FIRST and (c != "-" or v[1:2] in ("", " ") or v.startswith("---")):
        raise _Fallback
    if ": " in v or v[-1] == ":":
        raise _Fallback
    if v[0] in _NUMERIC_FIRST or v in _RESOLVE_MAP:
        tag, val = resolve(v)
        if tag == STR:
            return _STR, v
        if tag == NULL:
            return _NULL, ""
        if tag == FLOAT and not math.isfinite(val):
            raise _Fallback  # JSON cannot hold it
        if tag == INT and not -(2**63) <= val < 2**64:
            raise _Fallback
        return _OTHER, v
    return _STR, v


# YAML's escapes in double-quoted scalars: the character after the backslash ->
# how many hex digits follow it
_ESCAPES = {c: 0 for c in '0abt\tnvfre "/\\N_LP'}
_ESCAPES.update({"x": 2, "u": 4, "U": 8})
_HEX = frozenset("0123456789abcdefABCDEF")


def _double_quoted_end(v: str, start: int) -> tuple[int, bool]:
    """(index of the closing quote, whether there are escapes) of a double-quoted
    scalar opening at ``start - 1``; escapes are checked as libyaml checks them."""
    i = start
    escaped = False
    while True:
        j = v.find('"', i)
        b = v.find("\\", i)
        if j < 0:
            raise _Fallback  # continues on the next line
        if b < 0 or b > j:
            return j, escaped
        escaped = True
        c = v[b + 1 : b + 2]
        digits = _ESCAPES.get(c)
        if digits is None:
            raise _Fallback  # libyaml rejects it
        if digits:
            h = v[b + 2 : b + 2 + digits]
            if len(h) != digits or not _HEX.issuperset(h):
                raise _Fallback
            cp = int(h, 16)
            if 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
                raise _Fallback
        i = b + 2 + digits


def _quoted(v: str) -> tuple[int, str]:
    """A single-line quoted scalar (the value's whole text, comment included):
    its kind and text (_OTHER for a double-quoted one with escapes: a string,
    whose text this scanner does not decode)."""
    q = v[0]
    kind = _STR
    if q == '"':
        j, escaped = _double_quoted_end(v, 1)
        text = v[1:j]
        if escaped:
            kind, text = _OTHER, ""
    else:
        j = 1
        parts = []
        while True:
            k = v.find("'", j)
            if k < 0:
                raise _Fallback  # continues on the next line
            parts.append(v[j:k])
            if v[k + 1 : k + 2] == "'":
                parts.append("'")
                j = k + 2
                continue
            j = k
            break
        text = "".join(parts)
    _after_scalar(v[j + 1 :])
    return kind, text


def _after_scalar(rest: str) -> None:
    """What may follow a quoted scalar or a flow collection on its line: a comment."""
    if rest and (rest[0] != " " or not rest.lstrip(" ").startswith("#")) and rest.strip(" "):
        raise _Fallback


_FLOW_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./*")


def _flow_sequence(v: str) -> None:
    """A flow sequence of scalars on one line (``[get, list, "*"]``), checked."""
    i = 1
    n = len(v)
    while True:
        while i < n and v[i] == " ":
            i += 1
        if i >= n:
            raise _Fallback
        c = v[i]
        if c == "]":
            break
        if c == '"':
            j, _ = _double_quoted_end(v, i + 1)
            i = j + 1
        elif c == "'":
            j = v.find("'", i + 1)
            if j < 0 or v[j + 1 : j + 2] == "'":
                raise _Fallback
            i = j + 1
        else:
            j = i
            while j < n and v[j] in _FLOW_PLAIN:
                j += 1
            item = v[i:j]
            if not item or item[0] == "*":
                raise _Fallback
            if item[0] in _NUMERIC_FIRST or item in _RESOLVE_MAP:
                tag, val = resolve(item)
                if tag == FLOAT and not math.isfinite(val):
                    raise _Fallback
                if tag == INT and not -(2**63) <= val < 2**64:
                    raise _Fallback
            i = j
        while i < n and v[i] == " ":
            i += 1
        if i < n and v[i] == ",":
            i += 1
            continue
        if i < n and v[i] == "]":
            break
        raise _Fallback
    _after_scalar(v[i + 1 :])


class _Scanner:
    __slots__ = ("lines", "i", "n")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0
        self.n = len(lines)

    def value(self, v: str, owner: int) -> int | tuple[int, str]:
        """The kind (and text) of a value on its key's line; ``owner`` is the
        indentation its block scalar must be deeper than."""
        c = v[0]
        if c == '"' or c == "'":
            return _quoted(v)
        if c == "|" or c == ">":
            if _strip_comment(v) not in _BLOCK_HEADERS:
                raise _Fallback
            self.block(owner)
            return _OTHER, ""
        if c == "{" or c == "[":
            if _strip_comment(v) in ("{}", "[]"):
                return _MAP if c == "{" else _SEQ
            if c == "{":
                raise _Fallback
            _flow_sequence(v)
            return _SEQ
        return _plain(_strip_comment(v))

    def block(self, owner: int) -> None:
        """Skip a block scalar's lines: blank ones and those indented as its first."""
        lines, j, n = self.lines, self.i, self.n
        first = j
        while j < n and not lines[j].strip(" "):
            j += 1
        if j == n:
            self.i = n
            return
        ci = len(lines[j]) - len(lines[j].lstrip(" "))
        if ci <= owner:
            return  # an empty block scalar; the line is the next entry's
        for k in range(first, j):
            if len(lines[k]) > ci:
                raise _Fallback  # leading empty lines with more spaces than the content
        while j < n:
            line = lines[j]
            s = line.lstrip(" ")
            if s and len(line) - len(s) < ci:
                break
            j += 1
        self.i = j


def _key(s: str) -> tuple[str, str]:
    """(key, rest of the line) of a mapping entry's line."""
    if s[0] == '"':
        j, escaped = _double_quoted_end(s, 1)
        if escaped or s[j + 1 : j + 2] != ":" or s[j + 2 : j + 3] not in ("", " "):
            raise _Fallback
        return s[1:j], s[j + 2 :].lstrip(" ")
    j = s.find(": ")
    if j < 0:
        if not s.endswith(":"):
            raise _Fallback  # a scalar where an entry was expected (or "key:value")
        key, rest = s[:-1], ""
    else:
        key, rest = s[:j], s[j + 2 :].lstrip(" ")
    if not key or key[0] == "-" or not _KEY_CHARS.issuperset(key):
        raise _Fallback
    if key[0] in _NUMERIC_FIRST or key in _RESOLVE_MAP:
        if resolve(key)[0] != STR:
            raise _Fallback  # a key JSON spells differently
    return key, rest


def scan_head(doc: str) -> Head | None:
    """The SimpleHead (version, kind, name, annotations) of a manifest when the
    document is plain block YAML this scanner reads (see the module), else None."""
    if not doc.isascii() or "\t" in doc or "\r" in doc:
        return None
    if not doc.replace("\n", "").isprintable():
        return None
    try:
        return _scan(doc)
    except _Fallback:
        return None


# The entry lines of mappings the head does not read that passed the checks, by their
# text (indentation stripped): True when the value is on the following lines. Charts
# render the same lines in many manifests (labels, probes, resources).
_LINES: dict[str, bool] = {}
_LINES_MAX = 1 << 14
_LINE_MAX_KEPT = 256  # (longer lines are checked each time: the memo's size stays small)


def _scan(doc: str) -> Head:
    known_lines = _LINES
    lines_get = known_lines.get
    sc = _Scanner(doc.split("\n"))
    lines = sc.lines
    # open collections: [indent, is_seq, keys of a mapping the head is read from,
    # its path (None for the mappings the head does not read)]
    stack: list[list[Any]] = []
    # a key whose value is on the following lines: (its indentation, its path)
    # (and whether a sequence's item: then a "- " at its indentation is the next item)
    pending: tuple[int, tuple[str, ...], bool] | None = None
    # what the head's fields hold: path -> kind, or (kind, text)
    found: dict[tuple[str, ...], Any] = {}
    ann: dict[str, str] = {}
    i = 0  # the next line (sc.i while the scanner reads a value: a block scalar's lines)
    n = sc.n
    while i < n:
        line = lines[i]
        i += 1
        s = line.lstrip(" ")
        if not s or s[0] == "#":
            continue
        ind = len(line) - len(s)
        if ind > MAX_INDENT:
            raise _Fallback
        dash = s[0] == "-" and (len(s) == 1 or s[1] == " ")
        if pending is not None:
            p_ind, p_path, p_item = pending
            pending = None
            if ind > p_ind and (s[0] == "{" or s[0] == "[") and _strip_comment(s) in ("{}", "[]"):
                # the value of the key above: an empty flow collection on its own line
                if p_path is not _ITEM:
                    _found(found, ann, p_path, _MAP if s[0] == "{" else _SEQ)
                continue
            if ind > p_ind or (ind == p_ind and dash and not p_item):
                # the value of the key (or item) above: a collection (a sequence
                # may sit at its key's indentation)
                if dash:
                    stack.append([ind, True, None, None])
                    kind = _SEQ
                elif p_path in _HEAD_MAPS:
                    stack.append([ind, False, set(), p_path])
                    kind = _MAP
                else:
                    stack.append([ind, False, None, None])
                    kind = _MAP
            else:
                kind = _NULL
            if p_path is not _ITEM:
                _found(found, ann, p_path, kind)
        elif not stack:
            if ind != 0 or dash:
                raise _Fallback  # the root is not a block mapping
            stack.append([0, False, set(), ()])
        while stack[-1][0] > ind:
            stack.pop()
            if not stack:
                raise _Fallback
        top = stack[-1]
        if top[0] != ind:
            raise _Fallback
        if dash:
            if not top[1]:
                raise _Fallback
            rest = s[1:].lstrip(" ")
            if not rest or rest[0] == "#":
                pending = (ind, _ITEM, True)  # the item's value is on the following lines
                continue
            if rest[0] == "-" and rest[1:2] in ("", " "):
                raise _Fallback  # a sequence in a sequence on one line
            if rest.find(": ") < 0 and not rest.endswith(":"):
                sc.i = i
                sc.value(rest, ind)
                i = sc.i
                continue
            # a mapping starting on the item's line, at the key's column
            ind += len(s) - len(rest)
            top = [ind, False, None, None]
            stack.append(top)
            s = rest
        elif top[1]:
            stack.pop()  # a key after a sequence at its key's indentation
            if not stack or stack[-1][0] != ind or stack[-1][1]:
                raise _Fallback
            top = stack[-1]
        if top[3] is not None:
            sc.i = i
            pending = _entry(sc, top, s, found, ann)
            i = sc.i
            continue
        # an entry of a mapping the head does not read (most of a manifest): the
        # checks of _key, value and _plain, inline; what they found of a line is kept
        # (_LINES: they read nothing but the line)
        known = lines_get(s)
        if known is not None:
            if known:
                pending = (ind, _ITEM, False)
            continue
        j = s.find(": ")
        if j > 0:
            key = s[:j]
            rest = s[j + 2 :]
        elif s[-1] == ":":
            key = s[:-1]
            rest = ""
        else:
            raise _Fallback
        if key[0] == "-" or not _KEY_CHARS.issuperset(key):
            key, rest = _key(s)  # (a quoted key, or the error)
        elif key[0] in _NUMERIC_FIRST or key in _RESOLVE_MAP:
            if resolve(key)[0] != STR:
                raise _Fallback
        if rest and rest[0] == " ":
            rest = rest.lstrip(" ")
        if len(known_lines) >= _LINES_MAX:
            known_lines.clear()
        keep = len(s) <= _LINE_MAX_KEPT
        if not rest or rest[0] == "#":
            pending = (ind, _ITEM, False)
            if keep:
                known_lines[s] = True
            continue
        c = rest[0]
        if c in _SPECIAL_FIRST:
            sc.i = i
            sc.value(rest, ind)
            i = sc.i
            if keep and c != "|" and c != ">":  # (a block scalar's lines are the following ones)
                known_lines[s] = False
            continue
        k = rest.find(" #")
        v = rest[:k].rstrip(" ") if k >= 0 else rest.rstrip(" ")
        if c in _NOT_FIRST or c in _NUMERIC_FIRST or v in _RESOLVE_MAP or v[-1] == ":":
            _plain(v)
        elif ": " in v:
            raise _Fallback
        if keep:
            known_lines[s] = False
    if pending is not None and pending[1] is not _ITEM:
        _found(found, ann, pending[1], _NULL)
    return _head(found, ann)


def _found(
    found: dict[tuple[str, ...], Any], ann: dict[str, str], path: tuple[str, ...], kind: int
) -> None:
    """A key's value given on the following lines (a collection) or nowhere (null)."""
    found[path] = kind
    if len(path) == 3 and path[0] == "metadata" and path[1] == "annotations":
        if kind != _NULL:
            raise _Fallback  # not a string: the full parse has the error
        ann[path[2]] = ""


def _entry(
    sc: _Scanner, m: list[Any], s: str, found: dict[tuple[str, ...], Any], ann: dict[str, str]
) -> tuple[int, tuple[str, ...], bool] | None:
    """One `key: value` line of the mapping ``m``; the pending key when its value
    is on the following lines."""
    key, rest = _key(s)
    path = m[3]
    if path is not None and path in _HEAD_MAPS:
        keys = m[2]
        if key in keys:
            raise _Fallback  # a duplicate key where the head is read: the full parse decides
        keys.add(key)
    field = None
    if path is not None:
        if path == ():
            field = _ROOT_FIELDS.get(key.lower())
        elif path == ("metadata",):
            field = _META_FIELDS.get(key.lower())
        if field is not None and field != key:
            raise _Fallback  # spelled in another case
        sub = path + (key,)
    else:
        sub = None
    if not rest or rest[0] == "#":
        return (m[0], _ITEM if sub is None else sub, False)
    v = sc.value(rest, m[0])
    if sub is not None:
        if path == ("metadata", "annotations"):
            if type(v) is not tuple or v[0] == _OTHER:
                raise _Fallback  # not a string: the full parse has the error
            ann[key] = v[1]
        found[sub] = v
    return None


def _text(found: dict[tuple[str, ...], Any], path: tuple[str, ...]) -> str:
    v = found.get(path)
    if v is None or v == _NULL:
        return ""
    if type(v) is tuple and v[0] == _NULL:
        return ""
    if type(v) is tuple and v[0] == _STR:
        return v[1]
    raise _Fallback  # not a string: the full parse has the error


def _head(found: dict[tuple[str, ...], Any], ann: dict[str, str]) -> Head:
    version = _text(found, ("apiVersion",))
    kind = _text(found, ("kind",))
    meta = found.get(("metadata",))
    name = ""
    annotations: dict[str, str] | None = None
    if meta is not None and meta != _NULL and not (type(meta) is tuple and meta[0] == _NULL):
        if meta != _MAP:
            raise _Fallback
        name = _text(found, ("metadata", "name"))
        a = found.get(("metadata", "annotations"))
        if a == _MAP:
            annotations = ann
        elif not (a is None or a == _NULL or (type(a) is tuple and a[0] == _NULL)):
            raise _Fallback
    return version, kind, name, annotations
