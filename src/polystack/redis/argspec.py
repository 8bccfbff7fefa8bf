"""A compact notation for a command's argument tree (what COMMAND DOCS reports as
``arguments``), parsed once when the command registers.

Arguments are separated by spaces; each is ``name:type`` followed by, in this order:

- ``'TOKEN'`` — the argument's token (``count:integer'COUNT'``, ``nx:pure-token'NX'``);
- ``?`` optional, ``+`` multiple, ``!`` multiple_token;
- ``@since`` — the version that added it (``@6.2.0``);
- ``#n`` — an explicit key_spec_index (key arguments are otherwise numbered in order);
- ``{...}`` — the nested arguments of a ``block`` or ``oneof``.

For example ZADD's tree is ``key:key condition:oneof?@3.0.2{nx:pure-token'NX'
xx:pure-token'XX'} ... data:block+{score:double member:string}``.
"""

from __future__ import annotations

_MODIFIERS = {"?": "optional", "+": "multiple", "!": "multiple_token"}


class ArgSpecError(ValueError):
    pass


def parse(text: str) -> tuple[dict, ...]:
    """The argument dicts ``text`` describes (keys as COMMAND DOCS orders them)."""
    parser = _Parser(text)
    args = parser.arguments(top=True)
    return tuple(args)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.key_index = 0

    def _skip(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def _word(self, stop: str) -> str:
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in stop and not self.s[self.i].isspace():
            self.i += 1
        return self.s[start : self.i]

    def arguments(self, top: bool = False) -> list[dict]:
        out: list[dict] = []
        while True:
            self._skip()
            if self.i >= len(self.s):
                if not top:
                    raise ArgSpecError(f"unclosed block in {self.s!r}")
                return out
            if self.s[self.i] == "}":
                if top:
                    raise ArgSpecError(f"unbalanced '}}' in {self.s!r}")
                self.i += 1
                return out
            out.append(self.argument())

    def argument(self) -> dict:
        name = self._word(":")
        if self.i >= len(self.s) or self.s[self.i] != ":":
            raise ArgSpecError(f"argument {name!r} has no type in {self.s!r}")
        self.i += 1
        typ = self._word("'?+!@#{}")
        arg: dict = {"name": name, "type": typ}
        flags = []
        explicit_key_index = None
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "'":
                end = self.s.index("'", self.i + 1)
                arg["token"] = self.s[self.i + 1 : end]
                self.i = end + 1
            elif c in _MODIFIERS:
                flags.append(_MODIFIERS[c])
                self.i += 1
            elif c == "@":
                self.i += 1
                arg["since"] = self._word("'?+!@#{}")
            elif c == "#":
                self.i += 1
                explicit_key_index = int(self._word("'?+!@#{}"))
            elif c == "{":
                self.i += 1
                arg["arguments"] = self.arguments()
            else:
                break
        if typ == "key":
            if explicit_key_index is None:
                explicit_key_index = self.key_index
                self.key_index += 1
            arg["key_spec_index"] = explicit_key_index
        elif explicit_key_index is not None:  # a pattern naming keys (SORT's BY and GET)
            arg["key_spec_index"] = explicit_key_index
        if flags:
            arg["flags"] = flags
        if typ in ("block", "oneof") and "arguments" not in arg:
            raise ArgSpecError(f"{typ} {name!r} without arguments in {self.s!r}")
        return arg
