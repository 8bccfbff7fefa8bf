"""The items of Go's text/template lexer (src/text/template/parse/lex.go): their
types, the parser's item tuples and their text. The state machine itself
(lexer.py) runs only for texts lex_all (scan.py) leaves to it, and is imported then."""

from __future__ import annotations

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

__all__ = ["Item", "ItemType", "Tok", "tok_string"]


class ItemType(int):
    """An item's type: an int (the parser compares and orders them) named by its
    repr. Not an IntEnum: enum's import is a tenth of a fresh `helm template`'s
    imports when nothing else needs it."""

    __slots__ = ()
    ERROR: ClassVar[ItemType]
    BOOL: ClassVar[ItemType]
    CHAR: ClassVar[ItemType]
    CHAR_CONSTANT: ClassVar[ItemType]
    COMMENT: ClassVar[ItemType]
    COMPLEX: ClassVar[ItemType]
    ASSIGN: ClassVar[ItemType]
    DECLARE: ClassVar[ItemType]
    EOF: ClassVar[ItemType]
    FIELD: ClassVar[ItemType]
    IDENTIFIER: ClassVar[ItemType]
    LEFT_DELIM: ClassVar[ItemType]
    LEFT_PAREN: ClassVar[ItemType]
    NUMBER: ClassVar[ItemType]
    PIPE: ClassVar[ItemType]
    RAW_STRING: ClassVar[ItemType]
    RIGHT_DELIM: ClassVar[ItemType]
    RIGHT_PAREN: ClassVar[ItemType]
    SPACE: ClassVar[ItemType]
    STRING: ClassVar[ItemType]
    TEXT: ClassVar[ItemType]
    VARIABLE: ClassVar[ItemType]
    KEYWORD: ClassVar[ItemType]  # delimits the keywords
    BLOCK: ClassVar[ItemType]
    BREAK: ClassVar[ItemType]
    CONTINUE: ClassVar[ItemType]
    DOT: ClassVar[ItemType]
    DEFINE: ClassVar[ItemType]
    ELSE: ClassVar[ItemType]
    END: ClassVar[ItemType]
    IF: ClassVar[ItemType]
    NIL: ClassVar[ItemType]
    RANGE: ClassVar[ItemType]
    TEMPLATE: ClassVar[ItemType]
    WITH: ClassVar[ItemType]

    def __repr__(self) -> str:
        return f"<ItemType.{_NAMES[self]}: {int(self)}>"

    __str__ = int.__repr__


# the types in the order of their values (lex.go's itemType constants)
_NAMES = (
    "ERROR",
    "BOOL",
    "CHAR",
    "CHAR_CONSTANT",
    "COMMENT",
    "COMPLEX",
    "ASSIGN",
    "DECLARE",
    "EOF",
    "FIELD",
    "IDENTIFIER",
    "LEFT_DELIM",
    "LEFT_PAREN",
    "NUMBER",
    "PIPE",
    "RAW_STRING",
    "RIGHT_DELIM",
    "RIGHT_PAREN",
    "SPACE",
    "STRING",
    "TEXT",
    "VARIABLE",
    "KEYWORD",
    "BLOCK",
    "BREAK",
    "CONTINUE",
    "DOT",
    "DEFINE",
    "ELSE",
    "END",
    "IF",
    "NIL",
    "RANGE",
    "TEMPLATE",
    "WITH",
)

for _value, _name in enumerate(_NAMES):
    setattr(ItemType, _name, ItemType(_value))


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
