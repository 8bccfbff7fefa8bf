"""The lexer of Go's text/template (src/text/template/parse/lex.go), state by state
(the item types and tuples are items.py's)."""

from __future__ import annotations

import functools
import re

from polystack.helm.template.items import (  # noqa: F401 - lexer's names, as before
    _EOF,
    _KEYWORDS,
    _LEFT_COMMENT,
    _RIGHT_COMMENT,
    _SPACE,
    _T_ASSIGN,
    _T_BLOCK,
    _T_BOOL,
    _T_BREAK,
    _T_CHAR,
    _T_CHAR_CONSTANT,
    _T_COMMENT,
    _T_COMPLEX,
    _T_CONTINUE,
    _T_DECLARE,
    _T_DEFINE,
    _T_DOT,
    _T_ELSE,
    _T_END,
    _T_EOF,
    _T_ERROR,
    _T_FIELD,
    _T_IDENTIFIER,
    _T_IF,
    _T_KEYWORD,
    _T_LEFT_DELIM,
    _T_LEFT_PAREN,
    _T_NIL,
    _T_NUMBER,
    _T_PIPE,
    _T_RANGE,
    _T_RAW_STRING,
    _T_RIGHT_DELIM,
    _T_RIGHT_PAREN,
    _T_SPACE,
    _T_STRING,
    _T_TEMPLATE,
    _T_TEXT,
    _T_VARIABLE,
    _T_WITH,
    LEFT_DELIM,
    RIGHT_DELIM,
    Item,
    ItemType,
    Tok,
    tok_string,
)

__all__ = ["Item", "ItemType", "Lexer", "Tok", "tok_string"]

# (the state machine runs only for texts lex_all leaves to it: these are compiled then)
_ASCII_ALNUM_RUN = r"[A-Za-z0-9_]*"
# an ASCII word (field ".x", variable "$x" or identifier) as the states would scan it
_WORD = r"\.[A-Za-z_][A-Za-z0-9_]*|\$[A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*"
_TERMINATORS = " \t\r\n.,|:)("
_QUOTED_REST = r'(?:[^"\\\n]|\\[^\n])*"'
# a run of spaces, as the per-character loops would consume it
_SPACE_RUN = re.compile(r"[ \t\r\n]+")


@functools.cache
def _pattern(src: str) -> re.Pattern[str]:
    return re.compile(src)


def _is_space(r: str) -> bool:
    return r != "" and r in _SPACE


def _is_alnum(r: str) -> bool:
    return r != "" and (r == "_" or r.isalpha() or _is_digit(r))


def _is_digit(r: str) -> bool:
    # unicode.IsDigit: category Nd
    return r.isdigit() and r.isdecimal()


def _has_left_trim(s: str, i: int) -> bool:
    return len(s) >= i + 2 and s[i] == "-" and s[i + 1] in _SPACE


def _has_right_trim(s: str, i: int) -> bool:
    return len(s) >= i + 2 and s[i] in _SPACE and s[i + 1] == "-"


class Lexer:
    """Scans a template into items on demand (``next_item``)."""

    def __init__(
        self,
        name: str,
        text: str,
        left: str = "",
        right: str = "",
        emit_comment: bool = False,
    ) -> None:
        self.name = name
        self.input = text
        self.left_delim = left or LEFT_DELIM
        self.right_delim = right or RIGHT_DELIM
        self.emit_comment = emit_comment
        self.pos = 0
        self.start = 0
        self.width = 0
        self.paren_depth = 0
        self.line = 1
        self.start_line = 1
        self.break_ok = True
        self.continue_ok = True
        self.state = self.lex_text

    # -- primitives -------------------------------------------------------
    def next(self) -> str:
        if self.pos >= len(self.input):
            self.width = 0
            return _EOF
        r = self.input[self.pos]
        self.width = 1
        self.pos += 1
        if r == "\n":
            self.line += 1
        return r

    def peek(self) -> str:
        if self.pos >= len(self.input):
            return _EOF
        return self.input[self.pos]

    def backup(self) -> None:
        self.pos -= self.width
        if self.width == 1 and self.input[self.pos] == "\n":
            self.line -= 1

    def emit(self, t: ItemType) -> Item:
        item = Item(t, self.start, self.input[self.start : self.pos], self.start_line)
        self.start = self.pos
        self.start_line = self.line
        return item

    def ignore(self) -> None:
        self.line += self.input.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def accept(self, valid: str) -> bool:
        r = self.next()
        if r != "" and r in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str) -> None:
        while True:
            r = self.next()
            if r == "" or r not in valid:
                break
        self.backup()

    def errorf(self, msg: str) -> Item:
        return Item(_T_ERROR, self.start, msg, self.start_line)

    def next_item(self) -> Item:
        state = self.state
        while state is not None:
            ret, state = state()
            self.state = state
            if state is None:
                return ret
            if ret is not None:
                return ret
        return self.emit(_T_EOF)

    # -- states -------------------------------------------------------------
    def lex_text(self):
        self.width = 0
        x = self.input.find(self.left_delim, self.pos)
        if x >= 0:
            ldn = len(self.left_delim)
            self.pos = x
            trim = 0
            if _has_left_trim(self.input, self.pos + ldn):
                seg = self.input[self.start : self.pos]
                trim = len(seg) - len(seg.rstrip(_SPACE))
            self.pos -= trim
            ret = None
            if self.pos > self.start:
                self.line += self.input.count("\n", self.start, self.pos)
                ret = self.emit(_T_TEXT)
            self.pos += trim
            self.ignore()
            return ret, self.lex_left_delim
        self.pos = len(self.input)
        if self.pos > self.start:
            self.line += self.input.count("\n", self.start, self.pos)
            return self.emit(_T_TEXT), self.lex_text
        return self.emit(_T_EOF), None

    def at_right_delim(self) -> tuple[bool, bool]:
        s = self.input
        if _has_right_trim(s, self.pos) and s.startswith(self.right_delim, self.pos + 2):
            return True, True
        if s.startswith(self.right_delim, self.pos):
            return True, False
        return False, False

    def lex_left_delim(self):
        self.pos += len(self.left_delim)
        trim = _has_left_trim(self.input, self.pos)
        after = 2 if trim else 0
        if self.input.startswith(_LEFT_COMMENT, self.pos + after):
            self.pos += after
            self.ignore()
            return None, self.lex_comment
        ret = self.emit(_T_LEFT_DELIM)
        self.pos += after
        self.ignore()
        self.paren_depth = 0
        return ret, self.lex_inside_action

    def lex_comment(self):
        self.pos += len(_LEFT_COMMENT)
        i = self.input.find(_RIGHT_COMMENT, self.pos)
        if i < 0:
            return self.errorf("unclosed comment"), None
        self.pos = i + len(_RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter"), None
        ret = None
        if self.emit_comment:
            ret = self.emit(_T_COMMENT)
        if trim:
            self.pos += 2
        self.pos += len(self.right_delim)
        if trim:
            m = _SPACE_RUN.match(self.input, self.pos)
            if m is not None:
                self.pos = m.end()
        self.ignore()
        return ret, self.lex_text

    def lex_right_delim(self):
        trim = _has_right_trim(self.input, self.pos)
        if trim:
            self.pos += 2
            self.ignore()
        self.pos += len(self.right_delim)
        ret = self.emit(_T_RIGHT_DELIM)
        if trim:
            m = _SPACE_RUN.match(self.input, self.pos)
            if m is not None:
                self.pos = m.end()
            self.ignore()
        return ret, self.lex_text

    def lex_inside_action(self):
        # the states a state returns with no item are run right away (as next_item would)
        s = self.input
        pos = self.pos
        rd = self.right_delim
        if s.startswith(rd, pos) or (
            pos + 1 < len(s)
            and s[pos] in _SPACE
            and s[pos + 1] == "-"
            and s.startswith(rd, pos + 2)
        ):
            if self.paren_depth == 0:
                return self.lex_right_delim()
            return self.errorf("unclosed left paren"), None
        if pos < len(s) and s[pos] in _SPACE:
            # next() then backup(): only the width changes
            self.width = 1
            return self.lex_space()
        m = _pattern(_WORD).match(s, pos)
        if m is not None:
            # fast path for a word followed by a terminator (anything else: the states)
            end = m.end()
            if end < len(s):
                t = s[end]
                ok = t in _TERMINATORS or t == rd[0]
            else:
                t = ""
                ok = True
            if ok:
                word = m.group()
                c = word[0]
                if c == ".":
                    typ = _T_FIELD
                elif c == "$":
                    typ = _T_VARIABLE
                else:
                    kw = _KEYWORDS.get(word)
                    if kw is not None and kw > _T_KEYWORD:
                        if (kw == _T_BREAK and not self.break_ok) or (
                            kw == _T_CONTINUE and not self.continue_ok
                        ):
                            typ = _T_IDENTIFIER
                        else:
                            typ = kw
                    elif word == "true" or word == "false":
                        typ = _T_BOOL
                    else:
                        typ = _T_IDENTIFIER
                item = Item(typ, self.start, word, self.start_line)
                self.pos = self.start = end
                self.start_line = self.line
                self.width = 1 if t else 0
                return item, self.lex_inside_action
        r = self.next()
        if r == _EOF:
            return self.errorf("unclosed action"), None
        if _is_space(r):
            self.backup()
            return None, self.lex_space
        if r == "=":
            return self.emit(_T_ASSIGN), self.lex_inside_action
        if r == ":":
            if self.next() != "=":
                return self.errorf("expected :="), None
            return self.emit(_T_DECLARE), self.lex_inside_action
        if r == "|":
            return self.emit(_T_PIPE), self.lex_inside_action
        if r == '"':
            return self.lex_quote()
        if r == "`":
            return self.lex_raw_quote()
        if r == "$":
            return self.lex_variable()
        if r == "'":
            return self.lex_char()
        if r == ".":
            if self.pos < len(self.input):
                c = self.input[self.pos]
                if c < "0" or c > "9":
                    return self.lex_field()
            self.backup()
            return self.lex_number()
        if r == "+" or r == "-" or "0" <= r <= "9":
            self.backup()
            return self.lex_number()
        if _is_alnum(r):
            self.backup()
            return self.lex_identifier()
        if r == "(":
            ret = self.emit(_T_LEFT_PAREN)
            self.paren_depth += 1
            return ret, self.lex_inside_action
        if r == ")":
            ret = self.emit(_T_RIGHT_PAREN)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.errorf("unexpected right paren"), None
            return ret, self.lex_inside_action
        if ord(r) <= 0x7F and 0x20 <= ord(r) < 0x7F:
            return self.emit(_T_CHAR), self.lex_inside_action
        return self.errorf(f"unrecognized character in action: {_sharp_u(r)}"), None

    def lex_space(self):
        s = self.input
        start = self.pos
        m = _SPACE_RUN.match(s, start)
        num = 0
        if m is not None:
            end = m.end()
            num = end - start
            line = self.line + s.count("\n", start, end)
            self.line = line
            self.pos = end
            self.width = 1
            if not (end < len(s) and s[end] == "-" and s.startswith(self.right_delim, end + 1)):
                # the common case of the check below: emit, inlined
                item = Item(_T_SPACE, self.start, s[self.start : end], self.start_line)
                self.start = end
                self.start_line = line
                return item, self.lex_inside_action
        if _has_right_trim(self.input, self.pos - 1) and self.input.startswith(
            self.right_delim, self.pos - 1 + 2
        ):
            self.backup()
            if num == 1:
                return self.lex_right_delim()
        return self.emit(_T_SPACE), self.lex_inside_action

    def lex_identifier(self):
        self.pos = _pattern(_ASCII_ALNUM_RUN).match(self.input, self.pos).end()  # type: ignore[union-attr]
        while True:
            r = self.next()
            if _is_alnum(r):
                continue
            self.backup()
            word = self.input[self.start : self.pos]
            if not self.at_terminator():
                return self.errorf(f"bad character {_sharp_u(r)}"), None
            kw = _KEYWORDS.get(word)
            if kw is not None and kw > _T_KEYWORD:
                if (kw == _T_BREAK and not self.break_ok) or (
                    kw == _T_CONTINUE and not self.continue_ok
                ):
                    return self.emit(_T_IDENTIFIER), self.lex_inside_action
                return self.emit(kw), self.lex_inside_action
            if word[0] == ".":
                return self.emit(_T_FIELD), self.lex_inside_action
            if word in ("true", "false"):
                return self.emit(_T_BOOL), self.lex_inside_action
            return self.emit(_T_IDENTIFIER), self.lex_inside_action

    def lex_field(self):
        return self.lex_field_or_variable(_T_FIELD)

    def lex_variable(self):
        if self.at_terminator():
            return self.emit(_T_VARIABLE), self.lex_inside_action
        return self.lex_field_or_variable(_T_VARIABLE)

    def lex_field_or_variable(self, typ: ItemType):
        if self.at_terminator():
            if typ == _T_VARIABLE:
                return self.emit(_T_VARIABLE), self.lex_inside_action
            return self.emit(_T_DOT), self.lex_inside_action
        self.pos = _pattern(_ASCII_ALNUM_RUN).match(self.input, self.pos).end()  # type: ignore[union-attr]
        while True:
            r = self.next()
            if not _is_alnum(r):
                self.backup()
                break
        if not self.at_terminator():
            return self.errorf(f"bad character {_sharp_u(r)}"), None
        return self.emit(typ), self.lex_inside_action

    def at_terminator(self) -> bool:
        r = self.peek()
        if _is_space(r):
            return True
        if r == _EOF or r in ".,|:)(":
            return True
        return r == self.right_delim[0]

    def lex_char(self):
        while True:
            r = self.next()
            if r == "\\":
                r2 = self.next()
                if r2 != _EOF and r2 != "\n":
                    continue
                return self.errorf("unterminated character constant"), None
            if r == _EOF or r == "\n":
                return self.errorf("unterminated character constant"), None
            if r == "'":
                break
        return self.emit(_T_CHAR_CONSTANT), self.lex_inside_action

    def lex_number(self):
        if not self.scan_number():
            return self.errorf(f"bad number syntax: {_q(self.input[self.start : self.pos])}"), None
        sign = self.peek()
        if sign == "+" or sign == "-":
            if not self.scan_number() or self.input[self.pos - 1] != "i":
                return self.errorf(
                    f"bad number syntax: {_q(self.input[self.start : self.pos])}"
                ), None
            return self.emit(_T_COMPLEX), self.lex_inside_action
        return self.emit(_T_NUMBER), self.lex_inside_action

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if _is_alnum(self.peek()):
            self.next()
            return False
        return True

    def lex_quote(self):
        m = _pattern(_QUOTED_REST).match(self.input, self.pos)
        if m is not None:
            self.pos = m.end()
            self.width = 1
            return self.emit(_T_STRING), self.lex_inside_action
        while True:
            r = self.next()
            if r == "\\":
                r2 = self.next()
                if r2 != _EOF and r2 != "\n":
                    continue
                return self.errorf("unterminated quoted string"), None
            if r == _EOF or r == "\n":
                return self.errorf("unterminated quoted string"), None
            if r == '"':
                break
        return self.emit(_T_STRING), self.lex_inside_action

    def lex_raw_quote(self):
        while True:
            r = self.next()
            if r == _EOF:
                return self.errorf("unterminated raw quoted string"), None
            if r == "`":
                break
        return self.emit(_T_RAW_STRING), self.lex_inside_action


def _q(s: str) -> str:
    from polystack.helm.golang.strconv import quote

    return quote(s)


def _sharp_u(r: str) -> str:
    """fmt's %#U of a rune."""
    if r == "":
        return "U+FFFFFFFFFFFFFFFF"
    from polystack.helm.golang.strconv import is_print

    c = ord(r)
    s = f"U+{c:04X}"
    if is_print(c):
        s += f" '{r}'"
    return s
