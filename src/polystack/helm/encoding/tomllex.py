"""BurntSushi/toml's lexer (lex.go, v1.6 with TOML 1.1): a state machine that
turns a document into items (key parts, values, table headers ...) one at a
time, or an error item carrying BurntSushi's message and line.

Used by :mod:`.tomlgo`, which holds the parser.
"""

from __future__ import annotations

from collections.abc import Callable

from polystack.helm.golang import strconv as gostrconv
from polystack.helm.golang.strconv import quote as go_quote

EOF = "\x00"  # Go's eof rune (0); a NUL in the input is a control-character error
RUNE_ERROR = "\ufffd"

(
    ERROR,
    EOF_ITEM,
    TEXT,
    STRING,
    STRING_ESC,
    RAW_STRING,
    MULTILINE_STRING,
    RAW_MULTILINE_STRING,
    BOOL,
    INTEGER,
    FLOAT,
    DATETIME,
    ARRAY,
    ARRAY_END,
    TABLE_START,
    TABLE_END,
    ARRAY_TABLE_START,
    ARRAY_TABLE_END,
    KEY_START,
    KEY_END,
    COMMENT_START,
    INLINE_TABLE_START,
    INLINE_TABLE_END,
) = range(23)

STRING_ITEMS = (STRING, STRING_ESC, RAW_STRING, MULTILINE_STRING, RAW_MULTILINE_STRING)

State = Callable[["Lexer"], "State | None"]


class Item:
    __slots__ = ("typ", "val", "line", "err")

    def __init__(self, typ: int, val: str, line: int, err: str = "") -> None:
        self.typ = typ
        self.val = val
        self.line = line
        self.err = err


def _q(r: str) -> str:
    """Go's %q of a rune."""
    return gostrconv.quote_rune(ord(r))


def _is_ws(r: str) -> bool:
    return r == "\t" or r == " "


def _is_nl(r: str) -> bool:
    return r == "\n" or r == "\r"


def _is_control(r: str) -> bool:
    if r in "\t\r\n":
        return False
    return r <= "\x1f" or r == "\x7f"


def is_digit(r: str) -> bool:
    return "0" <= r <= "9"


def is_hex(r: str) -> bool:
    return "0" <= r <= "9" or "a" <= r.lower() <= "f" and len(r) == 1


def is_bare(r: str) -> bool:
    return "A" <= r <= "Z" or "a" <= r <= "z" or "0" <= r <= "9" or r == "_" or r == "-"


def _is_letter(r: str) -> bool:
    return r != EOF and r.isalpha()


class Lexer:
    def __init__(self, text: str) -> None:
        self.input = text
        self.start = 0
        self.pos = 0
        self.line = 1
        self.state: State | None = _lex_top
        self.items: list[Item] = []
        self.stack: list[State] = []
        self.nprev = 0
        self.at_eof = False

    def next_item(self) -> Item:
        while not self.items:
            if self.state is None:  # pragma: no cover - lexer bug guard
                raise RuntimeError("BUG in lexer: no state")
            self.state = self.state(self)
        return self.items.pop(0)

    def push(self, s: State) -> None:
        self.stack.append(s)

    def pop(self) -> State | None:
        if not self.stack:
            return self.errorf("BUG in lexer: no states to pop")
        return self.stack.pop()

    def current(self) -> str:
        return self.input[self.start : self.pos]

    def emit(self, typ: int) -> None:
        self.items.append(Item(typ, self.current(), self.line))
        self.start = self.pos

    def emit_trim(self, typ: int) -> None:
        self.items.append(Item(typ, self.current().strip(" \t\n\r\v\f"), self.line))
        self.start = self.pos

    def next(self) -> str:
        if self.at_eof:  # pragma: no cover - lexer bug guard
            raise RuntimeError("BUG in lexer: next called after EOF")
        if self.pos >= len(self.input):
            self.at_eof = True
            return EOF
        r = self.input[self.pos]
        if r == "\n":
            self.line += 1
        if self.nprev < 4:
            self.nprev += 1
        if _is_control(r) or (
            r == "\r" and (self.pos == len(self.input) - 1 or self.input[self.pos + 1] != "\n")
        ):
            self.error_pos(f"TOML files cannot contain control characters: '0x{ord(r):02x}'")
            return RUNE_ERROR
        if "\udc80" <= r <= "\udcff":  # an undecodable byte (surrogateescape)
            self.error(f"invalid UTF-8 byte: 0x{ord(r) - 0xDC00:02x}")
            return RUNE_ERROR
        self.pos += 1
        return r

    def ignore(self) -> None:
        self.start = self.pos

    def backup(self) -> None:
        if self.at_eof:
            self.at_eof = False
            return
        if self.nprev < 1:  # pragma: no cover - lexer bug guard
            raise RuntimeError("BUG in lexer: backed up too far")
        self.nprev -= 1
        self.pos -= 1
        if self.pos < len(self.input) and self.input[self.pos] == "\n":
            self.line -= 1

    def accept(self, valid: str) -> bool:
        if self.next() == valid:
            return True
        self.backup()
        return False

    def peek(self) -> str:
        r = self.next()
        self.backup()
        return r

    def skip(self, pred: Callable[[str], bool]) -> None:
        while True:
            r = self.next()
            if pred(r):
                continue
            self.backup()
            self.ignore()
            return

    def error(self, msg: str) -> State | None:
        if self.at_eof:
            return self.error_prev_line(msg)
        self.items.append(Item(ERROR, "", self.line, msg))
        return None

    def error_prev_line(self, msg: str) -> State | None:
        self.items.append(Item(ERROR, "", self.line - 1, msg))
        return None

    def error_pos(self, msg: str) -> State | None:
        self.items.append(Item(ERROR, "", self.line, msg))
        return None

    def errorf(self, msg: str) -> State | None:
        """Emit an error item; the lexer stops (no next state)."""
        # reported on the line of the last character read: a newline just read
        # (or read before EOF) belongs to the line it ends
        line = self.line
        if self.at_eof and self.pos > 0 and self.input[self.pos - 1] == "\n":
            line -= 1
        self.items.append(Item(ERROR, "", line, msg))
        return None
        return None


def _skip_to(lx: Lexer, nxt: State) -> State:
    lx.ignore()
    return nxt


def _lex_top(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_ws(r) or _is_nl(r):
        return _skip_to(lx, _lex_top)
    if r == "#":
        lx.push(_lex_top)
        return _lex_comment_start
    if r == "[":
        return _lex_table_start
    if r == EOF:
        if lx.pos > lx.start:
            return lx.errorf("unexpected EOF")
        lx.emit(EOF_ITEM)
        return None
    lx.backup()
    lx.push(_lex_top_end)
    return _lex_key_start


def _lex_top_end(lx: Lexer) -> State | None:
    r = lx.next()
    if r == "#":
        lx.push(_lex_top)
        return _lex_comment_start
    if _is_ws(r):
        return _lex_top_end
    if _is_nl(r):
        lx.ignore()
        return _lex_top
    if r == EOF:
        lx.emit(EOF_ITEM)
        return None
    return lx.errorf(
        f"expected a top-level item to end with a newline, comment, or EOF, but got {_q(r)} instead"
    )


def _lex_table_start(lx: Lexer) -> State | None:
    if lx.peek() == "[":
        lx.next()
        lx.emit(ARRAY_TABLE_START)
        lx.push(_lex_array_table_end)
    else:
        lx.emit(TABLE_START)
        lx.push(_lex_table_end)
    return _lex_table_name_start


def _lex_table_end(lx: Lexer) -> State | None:
    lx.emit(TABLE_END)
    return _lex_top_end


def _lex_array_table_end(lx: Lexer) -> State | None:
    r = lx.next()
    if r != "]":
        return lx.errorf(f"expected end of table array name delimiter ']', but got {_q(r)} instead")
    lx.emit(ARRAY_TABLE_END)
    return _lex_top_end


def _lex_table_name_start(lx: Lexer) -> State | None:
    lx.skip(_is_ws)
    r = lx.peek()
    if r == "]" or r == EOF:
        return lx.errorf("unexpected end of table name (table names cannot be empty)")
    if r == ".":
        return lx.errorf("unexpected table separator (table names cannot be empty)")
    if r == '"' or r == "'":
        lx.ignore()
        lx.push(_lex_table_name_end)
        return _lex_quoted_name
    lx.push(_lex_table_name_end)
    return _lex_bare_name


def _lex_table_name_end(lx: Lexer) -> State | None:
    lx.skip(_is_ws)
    r = lx.next()
    if _is_ws(r):
        return _lex_table_name_end
    if r == ".":
        lx.ignore()
        return _lex_table_name_start
    if r == "]":
        return lx.pop()
    return lx.errorf(f"expected '.' or ']' to end table name, but got {_q(r)} instead")


def _lex_bare_name(lx: Lexer) -> State | None:
    r = lx.next()
    if is_bare(r):
        return _lex_bare_name
    lx.backup()
    lx.emit(TEXT)
    return lx.pop()


def _lex_quoted_name(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_ws(r):
        return _skip_to(lx, _lex_value)
    if r == '"':
        lx.ignore()
        return _lex_string
    if r == "'":
        lx.ignore()
        return _lex_raw_string
    if r == EOF:
        return lx.errorf("unexpected EOF; expected value")
    return lx.errorf(f"expected value but found {_q(r)} instead")


def _lex_key_start(lx: Lexer) -> State | None:
    lx.skip(_is_ws)
    r = lx.peek()
    if r == "=" or r == EOF:
        return lx.errorf("unexpected '=': key name appears blank")
    if r == ".":
        return lx.errorf("unexpected '.': keys cannot start with a '.'")
    if r == '"' or r == "'":
        lx.ignore()
    lx.emit(KEY_START)
    return _lex_key_name_start


def _lex_key_name_start(lx: Lexer) -> State | None:
    lx.skip(_is_ws)
    r = lx.peek()
    if r == "=" or r == EOF:
        return lx.errorf("unexpected '='")
    if r == ".":
        return lx.errorf("unexpected '.'")
    if r == '"' or r == "'":
        lx.ignore()
        lx.push(_lex_key_end)
        return _lex_quoted_name
    lx.push(_lex_key_end)
    return _lex_bare_name


def _lex_key_end(lx: Lexer) -> State | None:
    lx.skip(_is_ws)
    r = lx.next()
    if _is_ws(r):
        return _skip_to(lx, _lex_key_end)
    if r == EOF:
        return lx.errorf("unexpected EOF; expected key separator '='")
    if r == ".":
        lx.ignore()
        return _lex_key_name_start
    if r == "=":
        lx.emit(KEY_END)
        return _skip_to(lx, _lex_value)
    if r == "\n":
        return lx.error_prev_line(f"expected '.' or '=', but got {_q(r)} instead")
    return lx.errorf(f"expected '.' or '=', but got {_q(r)} instead")


def _lex_value(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_ws(r):
        return _skip_to(lx, _lex_value)
    if is_digit(r):
        lx.backup()
        return _lex_number_or_date_start
    if r == "[":
        lx.ignore()
        lx.emit(ARRAY)
        return _lex_array_value
    if r == "{":
        lx.ignore()
        lx.emit(INLINE_TABLE_START)
        return _lex_inline_table_value
    if r == '"':
        if lx.accept('"'):
            if lx.accept('"'):
                lx.ignore()
                return _lex_multiline_string
            lx.backup()
        lx.ignore()
        return _lex_string
    if r == "'":
        if lx.accept("'"):
            if lx.accept("'"):
                lx.ignore()
                return _lex_multiline_raw_string
            lx.backup()
        lx.ignore()
        return _lex_raw_string
    if r == ".":
        return lx.errorf("floats must start with a digit, not '.'")
    if r == "i" or r == "n":
        if (lx.accept("n") and lx.accept("f")) or (lx.accept("a") and lx.accept("n")):
            lx.emit(FLOAT)
            return lx.pop()
    elif r == "-" or r == "+":
        return _lex_decimal_number_start
    if _is_letter(r):
        lx.backup()
        return _lex_bool
    if r == EOF:
        return lx.errorf("unexpected EOF; expected value")
    if r == "\n":
        return lx.error_prev_line(f"expected value but found {_q(r)} instead")
    return lx.errorf(f"expected value but found {_q(r)} instead")


def _lex_array_value(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_ws(r) or _is_nl(r):
        return _skip_to(lx, _lex_array_value)
    if r == "#":
        lx.push(_lex_array_value)
        return _lex_comment_start
    if r == ",":
        return lx.errorf("unexpected comma")
    if r == "]":
        return _lex_array_end
    lx.backup()
    lx.push(_lex_array_value_end)
    return _lex_value


def _rune_or_eof(r: str) -> str:
    return "end of file" if r == EOF else "'" + r + "'"


def _lex_array_value_end(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_ws(r) or _is_nl(r):
        return _skip_to(lx, _lex_array_value_end)
    if r == "#":
        lx.push(_lex_array_value_end)
        return _lex_comment_start
    if r == ",":
        lx.ignore()
        return _lex_array_value
    if r == "]":
        return _lex_array_end
    return lx.errorf(f"expected a comma (',') or array terminator (']'), but got {_rune_or_eof(r)}")


def _lex_array_end(lx: Lexer) -> State | None:
    lx.ignore()
    lx.emit(ARRAY_END)
    return lx.pop()


def _lex_inline_table_value(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_ws(r) or _is_nl(r):
        return _skip_to(lx, _lex_inline_table_value)
    if r == "#":
        lx.push(_lex_inline_table_value)
        return _lex_comment_start
    if r == ",":
        return lx.errorf("unexpected comma")
    if r == "}":
        return _lex_inline_table_end
    lx.backup()
    lx.push(_lex_inline_table_value_end)
    return _lex_key_start


def _lex_inline_table_value_end(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_ws(r) or _is_nl(r):
        return _skip_to(lx, _lex_inline_table_value_end)
    if r == "#":
        lx.push(_lex_inline_table_value_end)
        return _lex_comment_start
    if r == ",":
        lx.ignore()
        lx.skip(_is_ws)
        if lx.peek() == "}":
            return _lex_inline_table_value_end
        return _lex_inline_table_value
    if r == "}":
        return _lex_inline_table_end
    return lx.errorf(
        f"expected a comma or an inline table terminator '}}', but got {_rune_or_eof(r)} instead"
    )


def _lex_inline_table_end(lx: Lexer) -> State | None:
    lx.ignore()
    lx.emit(INLINE_TABLE_END)
    return lx.pop()


def _lex_string(lx: Lexer) -> State | None:
    r = lx.next()
    if r == EOF:
        return lx.errorf("unexpected EOF; expected '\"'")
    if _is_nl(r):
        return lx.error_prev_line("strings cannot contain newlines")
    if r == "\\":
        lx.push(_lex_string)
        return _lex_string_escape
    if r == '"':
        lx.backup()
        lx.emit(STRING_ESC)
        lx.next()
        lx.ignore()
        return lx.pop()
    return _lex_string


def _lex_multiline_string(lx: Lexer) -> State | None:
    r = lx.next()
    if r == EOF:
        return lx.errorf('unexpected EOF; expected \'"""\'')
    if r == "\\":
        return _lex_multiline_string_escape
    if r == '"':
        if lx.accept('"'):
            if lx.accept('"'):
                if lx.peek() == '"':
                    cur = lx.current()
                    if cur.endswith('"""""') and not cur.endswith('\\"""""'):
                        return lx.errorf('unexpected \'""""""\'')
                    lx.backup()
                    lx.backup()
                    return _lex_multiline_string
                lx.backup()
                lx.backup()
                lx.backup()
                lx.emit(MULTILINE_STRING)
                lx.next()
                lx.next()
                lx.next()
                lx.ignore()
                return lx.pop()
            lx.backup()
    return _lex_multiline_string


def _lex_raw_string(lx: Lexer) -> State | None:
    r = lx.next()
    if r == EOF:
        return lx.errorf('unexpected EOF; expected "\'"')
    if _is_nl(r):
        return lx.error_prev_line("strings cannot contain newlines")
    if r == "'":
        lx.backup()
        lx.emit(RAW_STRING)
        lx.next()
        lx.ignore()
        return lx.pop()
    return _lex_raw_string


def _lex_multiline_raw_string(lx: Lexer) -> State | None:
    r = lx.next()
    if r == EOF:
        return lx.errorf("unexpected EOF; expected \"'''\"")
    if r == "'":
        if lx.accept("'"):
            if lx.accept("'"):
                if lx.peek() == "'":
                    if lx.current().endswith("'''''"):
                        return lx.errorf("unexpected \"''''''\"")
                    lx.backup()
                    lx.backup()
                    return _lex_multiline_raw_string
                lx.backup()
                lx.backup()
                lx.backup()
                lx.emit(RAW_MULTILINE_STRING)
                lx.next()
                lx.next()
                lx.next()
                lx.ignore()
                return lx.pop()
            lx.backup()
    return _lex_multiline_raw_string


def _lex_multiline_string_escape(lx: Lexer) -> State | None:
    if _is_nl(lx.next()):
        return _lex_multiline_string
    lx.backup()
    lx.push(_lex_multiline_string)
    return _lex_string_escape(lx)


def _lex_string_escape(lx: Lexer) -> State | None:
    r = lx.next()
    if r in ("e", "b", "t", "n", "f", "r", '"', " ", "\t", "\\"):
        return lx.pop()
    if r == "x":
        return _lex_hex_escape
    if r == "u":
        return _lex_short_unicode_escape
    if r == "U":
        return _lex_long_unicode_escape
    return lx.error(f"invalid escape in string '\\{r}'")


def _hex_digits(lx: Lexer, n: int, esc: str, what: str) -> State | None:
    for _ in range(n):
        if not is_hex(lx.next()):
            return lx.errorf(
                f"expected {what} hexadecimal digits after '\\{esc}', "
                f"but got {go_quote(lx.current())} instead"
            )
    return lx.pop()


def _lex_hex_escape(lx: Lexer) -> State | None:
    return _hex_digits(lx, 2, "x", "two")


def _lex_short_unicode_escape(lx: Lexer) -> State | None:
    return _hex_digits(lx, 4, "u", "four")


def _lex_long_unicode_escape(lx: Lexer) -> State | None:
    return _hex_digits(lx, 8, "U", "eight")


def _lex_number_or_date_start(lx: Lexer) -> State | None:
    r = lx.next()
    if r == "0":
        return _lex_base_number_or_date
    if not is_digit(r):  # pragma: no cover - only reached after a digit
        return lx.errorf(f"expected a digit but got {_q(r)}")
    return _lex_number_or_date


def _lex_number_or_date(lx: Lexer) -> State | None:
    r = lx.next()
    if is_digit(r):
        return _lex_number_or_date
    if r in "-:" and r != EOF:
        return _lex_datetime
    if r == "_":
        return _lex_decimal_number
    if r in ".eE" and r != EOF:
        return _lex_float
    lx.backup()
    lx.emit(INTEGER)
    return lx.pop()


def _lex_datetime(lx: Lexer) -> State | None:
    r = lx.next()
    if is_digit(r) or (r != EOF and r in "-:Tt .Zz+"):
        return _lex_datetime
    lx.backup()
    lx.emit_trim(DATETIME)
    return lx.pop()


def _lex_based(pred: Callable[[str], bool]) -> State:
    def state(lx: Lexer) -> State | None:
        r = lx.next()
        if pred(r) or r == "_":
            return state
        lx.backup()
        lx.emit(INTEGER)
        return lx.pop()

    return state


_lex_hex_integer = _lex_based(is_hex)
_lex_octal_integer = _lex_based(lambda r: "0" <= r <= "7")
_lex_binary_integer = _lex_based(lambda r: r == "0" or r == "1")


def _lex_decimal_number(lx: Lexer) -> State | None:
    r = lx.next()
    if is_digit(r) or r == "_":
        return _lex_decimal_number
    if r != EOF and r in ".eE":
        return _lex_float
    lx.backup()
    lx.emit(INTEGER)
    return lx.pop()


def _lex_decimal_number_start(lx: Lexer) -> State | None:
    r = lx.next()
    if r == "i":
        if not lx.accept("n") or not lx.accept("f"):
            return lx.errorf(f"invalid float: '{lx.current()}'")
        lx.emit(FLOAT)
        return lx.pop()
    if r == "n":
        if not lx.accept("a") or not lx.accept("n"):
            return lx.errorf(f"invalid float: '{lx.current()}'")
        lx.emit(FLOAT)
        return lx.pop()
    if r == "0":
        p = lx.peek()
        if p in ("b", "o", "x"):
            return lx.errorf(f"cannot use sign with non-decimal numbers: '{lx.current()}{p}'")
    elif r == ".":
        return lx.errorf("floats must start with a digit, not '.'")
    if is_digit(r):
        return _lex_decimal_number
    return lx.errorf(f"expected a digit but got {_q(r)}")


def _lex_base_number_or_date(lx: Lexer) -> State | None:
    r = lx.next()
    if is_digit(r):
        return _lex_number_or_date
    if r == "_":
        return _lex_decimal_number
    if r != EOF and r in ".eE":
        return _lex_float
    if r == "b":
        p = lx.peek()
        if not (p == "0" or p == "1"):
            return lx.errorf(f"not a binary number: '{lx.current()}{p}'")
        return _lex_binary_integer
    if r == "o":
        p = lx.peek()
        if not ("0" <= p <= "7"):
            return lx.errorf(f"not an octal number: '{lx.current()}{p}'")
        return _lex_octal_integer
    if r == "x":
        p = lx.peek()
        if not is_hex(p):
            return lx.errorf(f"not a hexadecimal number: '{lx.current()}{p}'")
        return _lex_hex_integer
    lx.backup()
    lx.emit(INTEGER)
    return lx.pop()


def _lex_float(lx: Lexer) -> State | None:
    r = lx.next()
    if is_digit(r) or (r != EOF and r in "_.-+eE"):
        return _lex_float
    lx.backup()
    lx.emit(FLOAT)
    return lx.pop()


def _lex_bool(lx: Lexer) -> State | None:
    rs = []
    while True:
        r = lx.next()
        if not _is_letter(r):
            lx.backup()
            break
        rs.append(r)
    s = "".join(rs)
    if s in ("true", "false"):
        lx.emit(BOOL)
        return lx.pop()
    return lx.errorf(f"expected value but found {go_quote(s)} instead")


def _lex_comment_start(lx: Lexer) -> State | None:
    lx.ignore()
    lx.emit(COMMENT_START)
    return _lex_comment


def _lex_comment(lx: Lexer) -> State | None:
    r = lx.next()
    if _is_nl(r) or r == EOF:
        lx.backup()
        lx.emit(TEXT)
        return lx.pop()
    return _lex_comment
