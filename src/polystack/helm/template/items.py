"""The items of Go's text/template lexer (src/text/template/parse/lex.go): their
types, the parser's item tuples and their text. The state machine itself
(lexer.py) runs only for texts lex_all (scan.py) leaves to it, and is imported then."""

from __future__ import annotations

import re
from enum import IntEnum

__all__ = ["Item", "ItemType", "Tok", "tok_string"]


class ItemType(IntEnum):
    ERROR = 0
    BOOL = 1
    CHAR = 2
    CHAR_CONSTANT = 3
    COMMENT = 4
    COMPLEX = 5
    ASSIGN = 6
    DECLARE = 7
    EOF = 8
    FIELD = 9
    IDENTIFIER = 10
    LEFT_DELIM = 11
    LEFT_PAREN = 12
    NUMBER = 13
    PIPE = 14
    RAW_STRING = 15
    RIGHT_DELIM = 16
    RIGHT_PAREN = 17
    SPACE = 18
    STRING = 19
    TEXT = 20
    VARIABLE = 21
    KEYWORD = 22  # delimits the keywords
    BLOCK = 23
    BREAK = 24
    CONTINUE = 25
    DOT = 26
    DEFINE = 27
    ELSE = 28
    END = 29
    IF = 30
    NIL = 31
    RANGE = 32
    TEMPLATE = 33
    WITH = 34


_KEYWORDS = {
    ".": ItemType.DOT,
    "block": ItemType.BLOCK,
    "break": ItemType.BREAK,
    "continue": ItemType.CONTINUE,
    "define": ItemType.DEFINE,
    "else": ItemType.ELSE,
    "end": ItemType.END,
    "if": ItemType.IF,
    "range": ItemType.RANGE,
    "nil": ItemType.NIL,
    "template": ItemType.TEMPLATE,
    "with": ItemType.WITH,
}


# enum members as module globals (a class attribute lookup per use is slow)
_T_ERROR = ItemType.ERROR
_T_BOOL = ItemType.BOOL
_T_CHAR = ItemType.CHAR
_T_CHAR_CONSTANT = ItemType.CHAR_CONSTANT
_T_COMMENT = ItemType.COMMENT
_T_COMPLEX = ItemType.COMPLEX
_T_ASSIGN = ItemType.ASSIGN
_T_DECLARE = ItemType.DECLARE
_T_EOF = ItemType.EOF
_T_FIELD = ItemType.FIELD
_T_IDENTIFIER = ItemType.IDENTIFIER
_T_LEFT_DELIM = ItemType.LEFT_DELIM
_T_LEFT_PAREN = ItemType.LEFT_PAREN
_T_NUMBER = ItemType.NUMBER
_T_PIPE = ItemType.PIPE
_T_RAW_STRING = ItemType.RAW_STRING
_T_RIGHT_DELIM = ItemType.RIGHT_DELIM
_T_RIGHT_PAREN = ItemType.RIGHT_PAREN
_T_SPACE = ItemType.SPACE
_T_STRING = ItemType.STRING
_T_TEXT = ItemType.TEXT
_T_VARIABLE = ItemType.VARIABLE
_T_KEYWORD = ItemType.KEYWORD
_T_BLOCK = ItemType.BLOCK
_T_BREAK = ItemType.BREAK
_T_CONTINUE = ItemType.CONTINUE
_T_DOT = ItemType.DOT
_T_DEFINE = ItemType.DEFINE
_T_ELSE = ItemType.ELSE
_T_END = ItemType.END
_T_IF = ItemType.IF
_T_NIL = ItemType.NIL
_T_RANGE = ItemType.RANGE
_T_TEMPLATE = ItemType.TEMPLATE
_T_WITH = ItemType.WITH


class Item:
    """A lexed item (lex.go's item): type, byte offset, text, line. ``space`` is
    set in the parser's item list on the item after a SPACE item (see lex_items)."""

    __slots__ = ("typ", "pos", "val", "line", "space")

    def __init__(self, typ: ItemType, pos: int, val: str, line: int, space: bool = False) -> None:
        self.typ = typ
        self.pos = pos
        self.val = val
        self.line = line
        self.space = space

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return NotImplemented
        return (self.typ, self.pos, self.val, self.line, self.space) == (
            other.typ,
            other.pos,
            other.val,
            other.line,
            other.space,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return (
            f"Item(typ={self.typ!r}, pos={self.pos!r}, val={self.val!r}, line={self.line!r},"
            f" space={self.space!r})"
        )

    def __str__(self) -> str:
        # item.String() in lex.go
        from polystack.helm.golang.strconv import quote

        if self.typ == _T_EOF:
            return "EOF"
        if self.typ == _T_ERROR:
            return self.val
        if self.typ > _T_KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return quote(self.val[:10]) + "..."
        return quote(self.val)


# The parser's items (scan.py: lex_all, lex_items) are plain tuples, cheaper to make
# than Items: (type, pos, val, line, space), ``space`` set when a SPACE item came
# before the item (the list holds no SPACE items).
Tok = tuple[ItemType, int, str, int, bool]


def tok_string(tok: Tok) -> str:
    """item.String() of a parser item."""
    return str(Item(tok[0], tok[1], tok[2], tok[3], tok[4]))


_SPACE = " \t\r\n"
LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
_LEFT_COMMENT = "/*"
_RIGHT_COMMENT = "*/"
_EOF = ""

# fast paths: runs the per-character loops below would consume the same way
_SPACE_RUN = re.compile(r"[ \t\r\n]+")
