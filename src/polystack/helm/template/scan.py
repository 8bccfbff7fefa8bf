"""The parser's item list: ``lex_items`` (Lexer's items, SPACE items folded)
and ``lex_all``, the fast whole-text scan that produces the same list."""

from __future__ import annotations

from polystack.helm.template import actionmemo
from polystack.helm.template.items import (
    _KEYWORDS,
    _SPACE,
    _T_ASSIGN,
    _T_BOOL,
    _T_CHAR,
    _T_CHAR_CONSTANT,
    _T_DECLARE,
    _T_DOT,
    _T_EOF,
    _T_ERROR,
    _T_FIELD,
    _T_IDENTIFIER,
    _T_KEYWORD,
    _T_LEFT_DELIM,
    _T_LEFT_PAREN,
    _T_NUMBER,
    _T_PIPE,
    _T_RAW_STRING,
    _T_RIGHT_DELIM,
    _T_RIGHT_PAREN,
    _T_SPACE,
    _T_STRING,
    _T_TEXT,
    _T_VARIABLE,
    ItemType,
    Tok,
)

__all__ = ["lex_all", "lex_items"]

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The state machine above yields one item per call and costs a few Python calls
# per item. ``lex_all`` cuts each action out of the text at its closing
# delimiter and splits it into tokens (once per distinct action text), for the
# texts that use the default delimiters and lex without error, and returns the same
# items as ``lex_items`` (``Lexer``'s, with the SPACE items folded). Anything else
# (an error, a non-ASCII word, an unusual number, a string holding "}}") returns None and the parser falls back to ``Lexer``, which
# then produces Go's error text. tests/helm/test_template_lex_all.py checks the
# two agree on generated texts.

# An action's tokens, as a pattern; a word, "." and a number must end where Lexer ends
# them (at a terminator, or at the end of the action, which is always followed by one:
# "}}" or " -}}"). ``_token_end`` below matches the same tokens by hand: a chart's first
# thousands of action texts are split by it, the rest by the pattern (re's import costs
# a fresh `helm template` more than splitting a common chart's actions by hand).
_ACTION_TOKEN = r"""[ \t\r\n]+
    |(?:\.[A-Za-z_][A-Za-z0-9_]*|\$[A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)(?=[ \t\r\n.,|:)(}]|\Z)
    |"(?:[^"\\\n]|\\[^\n])*"
    |\.(?=[ \t\r\n.,|:)(}]|\Z)
    |[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?=[ \t\r\n)|},]|\Z)
    |:=
    |`[^`]*`
    |'(?:[^'\\\n]|\\[^\n])*'
    |[|()=!\#%&*,/;<>?@\[\\\]^{}~]"""
# characters of action text split by hand before the pattern is compiled
HAND_SPLIT_CHARS = 32 * 1024
_hand_left = HAND_SPLIT_CHARS
_findall: Any = None

_WORD_START = frozenset("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_WORD = frozenset("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_DIGITS = frozenset("0123456789")
_SPACES = frozenset(" \t\r\n")
# what may follow a word or "." (Lexer's terminators), and a number
_AFTER_WORD = frozenset(" \t\r\n.,|:)(}")
_AFTER_NUMBER = frozenset(" \t\r\n)|},")
_PUNCT = frozenset("|()=!#%&*,/;<>?@[\\]^{}~")


def _token_end(s: str, i: int, n: int) -> int:
    """Where the action token starting at s[i] ends (i < n = len(s)), or -1 when no
    token starts there (Lexer then reports the error or takes the rare form)."""
    c = s[i]
    if c in _SPACES:
        j = i + 1
        while j < n and s[j] in _SPACES:
            j += 1
        return j
    if c in _WORD_START or c == "$" or (c == "." and i + 1 < n and s[i + 1] in _WORD_START):
        j = i + 1 if c != "." else i + 2
        while j < n and s[j] in _WORD:
            j += 1
        return j if j == n or s[j] in _AFTER_WORD else -1
    if c == '"' or c == "'":
        j = i + 1
        k = s.find(c, j)
        if k < 0:
            return -1
        if s.find("\\", j, k) < 0:
            return -1 if s.find("\n", j, k) >= 0 else k + 1
        while j < n:
            d = s[j]
            if d == c:
                return j + 1
            if d == "\\":
                if j + 1 >= n or s[j + 1] == "\n":
                    return -1
                j += 2
            elif d == "\n":
                return -1
            else:
                j += 1
        return -1
    if c == ".":
        if i + 1 == n or s[i + 1] in _AFTER_WORD:
            return i + 1
    if c in _DIGITS or c == "." or c == "+" or c == "-":
        j = i + 1 if c == "+" or c == "-" else i
        k = j
        while k < n and s[k] in _DIGITS:
            k += 1
        if k > j:
            if k < n and s[k] == ".":
                k += 1
                while k < n and s[k] in _DIGITS:
                    k += 1
        elif k < n and s[k] == ".":
            k += 1
            while k < n and s[k] in _DIGITS:
                k += 1
            if k == j + 1:
                return -1
        else:
            return -1
        return k if k == n or s[k] in _AFTER_NUMBER else -1
    if c == ":":
        return i + 2 if s.startswith("=", i + 1) else -1
    if c == "`":
        j = s.find("`", i + 1)
        return j + 1 if j > 0 else -1
    if c in _PUNCT:
        return i + 1
    return -1


def _split(body: str) -> list[str] | None:
    """The tokens of an action's text, or None when a character starts none."""
    global _hand_left, _findall
    if _findall is None:
        _hand_left -= len(body)
        if _hand_left >= 0:
            return _split_by_hand(body)
        import re

        _findall = re.compile(_ACTION_TOKEN, re.VERBOSE).findall
    toks: list[str] = _findall(body)
    return toks if sum(map(len, toks)) == len(body) else None


def _split_by_hand(body: str) -> list[str] | None:
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        j = _token_end(body, i, n)
        if j < 0:
            return None
        out.append(body[i:j])
        i = j
    return out


# token kinds by first character
_K_SPACE, _K_DOT, _K_VAR, _K_WORD, _K_NUMBER, _K_LPAREN, _K_RPAREN, _K_RAW, _K_OTHER = range(9)
_FIRST: dict[str, int] = {c: _K_SPACE for c in _SPACE}
_FIRST.update({c: _K_WORD for c in "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"})
_FIRST.update({c: _K_NUMBER for c in "+-0123456789"})
_FIRST.update({".": _K_DOT, "$": _K_VAR, "(": _K_LPAREN, ")": _K_RPAREN, "`": _K_RAW})
_OTHER_TYPE = {'"': _T_STRING, "|": _T_PIPE, "=": _T_ASSIGN, ":": _T_DECLARE, "'": _T_CHAR_CONSTANT}
_WORD_TYPES = {w: t for w, t in _KEYWORDS.items() if t > _T_KEYWORD}
_WORD_TYPES["true"] = _WORD_TYPES["false"] = _T_BOOL


def _action_tokens(text: str, pos: int) -> tuple[list[str], int, bool] | None:
    """The tokens of the action at ``pos`` one by one, looking for the closing
    delimiter before each (for an action whose first "}}" is inside a string).
    Returns (tokens, where the closing " -}}" or "}}" starts, trimmed?)."""
    tokens: list[str] = []
    n = len(text)
    while True:
        if text.startswith("}}", pos):
            return tokens, pos, False
        if pos + 1 < n and text[pos] in _SPACE and text.startswith("-}}", pos + 1):
            return tokens, pos, True
        end = _token_end(text, pos, n) if pos < n else -1
        if end < 0:
            return None
        tok = text[pos:end]
        if tok[0] in _SPACE and text.startswith("-}}", end):
            tok = tok[:-1]  # the last space belongs to the trim marker
        tokens.append(tok)
        pos += len(tok)


# An action's items relative to where its text starts: ((type, offset, value, lines
# before it, space before it), ...), the length of the text, its newlines and whether
# a space ends it. Charts repeat the same actions ("- end ", "- toYaml . | nindent 8 ")
# across all their templates: each distinct action text is split and typed once per
# process.
Proto = tuple[tuple[Tok, ...], int, int, bool]
_MEMO: dict[str, Proto] = {}
_MEMO_MAX = 1 << 16


def _action_items(toks: list[str], words: dict[str, ItemType]) -> Proto | None:
    """The items of an action's tokens (see Proto), or None for an unbalanced ")"
    or "(" (Lexer reports it)."""
    out: list[Tok] = []
    append = out.append
    first = _FIRST
    other = _OTHER_TYPE
    depth = 0
    pos = 0
    line = 0
    sp = False  # the item follows a SPACE item (folded, see lex_items)
    for tok in toks:
        k = first.get(tok[0], _K_OTHER)
        if k == _K_SPACE:
            sp = True
            if "\n" in tok:
                line += tok.count("\n")
            pos += len(tok)
            continue
        if k == _K_WORD:
            append((words.get(tok, _T_IDENTIFIER), pos, tok, line, sp))
        elif k == _K_DOT:
            if len(tok) == 1:
                append((_T_DOT, pos, tok, line, sp))
            elif "0" <= tok[1] <= "9":
                append((_T_NUMBER, pos, tok, line, sp))
            else:
                append((_T_FIELD, pos, tok, line, sp))
        elif k == _K_VAR:
            append((_T_VARIABLE, pos, tok, line, sp))
        elif k == _K_NUMBER:
            append((_T_NUMBER, pos, tok, line, sp))
        elif k == _K_LPAREN:
            append((_T_LEFT_PAREN, pos, tok, line, sp))
            depth += 1
        elif k == _K_RPAREN:
            append((_T_RIGHT_PAREN, pos, tok, line, sp))
            depth -= 1
            if depth < 0:
                return None
        elif k == _K_RAW:
            append((_T_RAW_STRING, pos, tok, line, sp))
            line += tok.count("\n")
        else:
            append((other.get(tok[0], _T_CHAR), pos, tok, line, sp))
        sp = False
        pos += len(tok)
    if depth:
        return None
    return tuple(out), pos, line, sp


def lex_all(
    text: str, break_ok: bool = True, continue_ok: bool = True, compact: bool = False
) -> list[Tok] | None:
    """All items of ``text`` (default delimiters, no comment items), or None (see above).

    Each left delimiter carries what the parser's memo (actionmemo.py) needs:
    ``(LEFT_DELIM, pos, "{{", line, False, proto, text pos, text line, n)``, the
    action's split, where its text starts and the number ``n`` of its items that
    follow. ``compact``: the items of an action the memo has are left out (n = 0)."""
    items: list[Any] = []  # Tok, and the left delimiters' longer tuples
    append = items.append
    find = text.find
    count = text.count
    startswith = text.startswith
    tokens_of = _split
    n = len(text)
    words = _WORD_TYPES
    memo = _MEMO
    if not break_ok or not continue_ok:
        words = dict(words)
        if not break_ok:
            del words["break"]
        if not continue_ok:
            del words["continue"]
        memo = {}
    amemo_get = actionmemo._MEMO.get
    start = 0  # where the pending text starts
    line = 1  # the line at ``start``
    after_trim = False  # the pending text follows " -}}": its leading spaces are trimmed
    while True:
        x = find("{{", start)
        if after_trim:
            after_trim = False
            seg = text[start:x] if x >= 0 else text[start:]
            rest = seg.lstrip(_SPACE)
            k = len(seg) - len(rest)
            if k:
                line += count("\n", start, start + k)
                start += k
        else:
            seg = None
        if x < 0:
            if start < n:
                append((_T_TEXT, start, text[start:] if seg is None else rest, line, False))
                line += count("\n", start, n)
            append((_T_EOF, n, "", line, False))
            return items
        trim = x + 3 < n and text[x + 2] == "-" and text[x + 3] in _SPACE
        if start < x:
            if seg is None:
                rest = text[start:x]
            if trim:
                rest = rest.rstrip(_SPACE)
            if rest:
                append((_T_TEXT, start, rest, line, False))
            line += count("\n", start, x)
        if trim:
            pos = x + 4
            left_line = line
            if text[x + 3] == "\n":
                line += 1
        else:
            pos = x + 2
            left_line = line
        if startswith("/*", pos):
            i = find("*/", pos + 2)
            if i < 0:
                return None
            pos = i + 2
            if startswith("}}", pos):
                pos += 2
            elif pos + 1 < n and text[pos] in _SPACE and startswith("-}}", pos + 1):
                pos += 4
                after_trim = True
            else:
                return None
            line = left_line + count("\n", x, pos)
            start = pos
            continue
        close = find("}}", pos)
        if close < 0:
            return None
        # " -}}": the space and the dash are the trim marker, not action text
        rtrim = close - 2 >= pos and text[close - 1] == "-" and text[close - 2] in _SPACE
        stop = close - 2 if rtrim else close
        body = text[pos:stop]
        if body[:1] == "`" and body.find("`", 1) < 0:
            # a raw string holding "}}" (`{{`}}`}}`, Helm's way to write "}}"): the
            # action ends at the "}}" after its closing quote
            j = find("`", pos + 1)
            if j > 0 and startswith("}}", j + 1):
                stop = j + 1
                rtrim = False
                body = text[pos:stop]
        proto = memo.get(body)
        if proto is None:
            toks = tokens_of(body)
            if toks is None:
                # a character no token covers: a string holding "}}", or an error
                found = _action_tokens(text, pos)
                if found is None:
                    return None
                toks, stop, rtrim = found
                proto = _action_items(toks, words)
                if proto is None:
                    return None  # Lexer reports the unclosed paren
            else:
                proto = _action_items(toks, words)
                if proto is None:
                    return None  # Lexer reports the unclosed paren
                if len(memo) >= _MEMO_MAX:
                    memo.clear()
                memo[body] = proto
        its, size, lines, sp = proto
        # (actionmemo.compact, inlined: one call less per action)
        e = amemo_get(id(proto)) if compact else None
        if e is not None and e[0] is proto and len(e) > 1 and e[7] >= 0:
            append((_T_LEFT_DELIM, x, "{{", left_line, False, proto, pos, line, 0))
        else:
            append((_T_LEFT_DELIM, x, "{{", left_line, False, proto, pos, line, len(its)))
            if its:
                items += [(t, pos + o, v, line + d, s) for t, o, v, d, s in its]
        pos += size
        line += lines
        if rtrim:
            if text[pos] == "\n":
                line += 1
            pos += 2
            after_trim = True
        append((_T_RIGHT_DELIM, pos, "}}", line, sp))
        start = pos + 2


def lex_items(name: str, text: str, break_ok: bool = True, continue_ok: bool = True) -> list[Tok]:
    """The parser's item list: every item ``Lexer`` yields up to EOF or the first
    error, then EOF items (what Go's lexer returns once it has stopped).

    SPACE items are not in the list: the item after one has ``space`` set. The
    parser only ever asks whether a space separates two items (operands, field
    chains) and never stops at a SPACE item (Go's parser always reads on to the
    next item before it can fail), so nothing else depends on them."""
    from polystack.helm.template.lexer import Lexer  # (the state machine: rare texts only)

    lx = Lexer(name, text)
    lx.break_ok = break_ok
    lx.continue_ok = continue_ok
    items: list[Tok] = []
    sp = False
    while True:
        item = lx.next_item()
        if item.typ == _T_SPACE:
            sp = True
            continue
        items.append((item.typ, item.pos, item.val, item.line, sp))
        sp = False
        if item.typ == _T_EOF or item.typ == _T_ERROR:
            break
    eof = (_T_EOF, len(text), "", item.line, False)
    items.extend([eof] * 4)
    return items
