"""The order in which goyaml reports YAML errors, where it differs from libyaml's."""

from __future__ import annotations

from polystack.helm.encoding.yamlimport import yaml

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["parser_error_first"]

# libyaml (our C parser) and goyaml differ in how far the scanner reads ahead of
# the parser. Both read on while the token at the head may still become a
# simple key; goyaml looks that key up by token number, and closing a flow
# collection drops the entry of the token number its level's key slot holds:
# the last key saved on that level or, if none was, the number of the "{" / "["
# itself -- which is the number of the key saved for that token on the
# enclosing level. So in `{]%` goyaml's parser gets "{" and "]" and fails at "]"
# before the scanner meets "%", where libyaml's scanner fails first; in
# `{a]-` and `{:&` both scanners fail first. On a scanner error the text is parsed again with PyYAML's Python
# scanner and parser and goyaml's lookahead: if that fails in the parser first,
# libyaml's wording of that parser error is taken from the C parser run on the
# text before the bad character. (Checked against Helm by the differential fuzz
# test in tests/helm/test_yaml.py.)


class _GoLookaheadScanner(yaml.scanner.Scanner):
    def __init__(self) -> None:
        super().__init__()
        self.keys_by_token: dict[int, int] = {}  # token number -> flow level of its key
        self.level_slot: dict[int, int] = {}  # flow level -> token number its key slot holds

    def _forget(self, level: int) -> None:
        key = self.possible_simple_keys.get(level)
        if key is not None:
            self.keys_by_token.pop(key.token_number, None)

    def save_possible_simple_key(self) -> None:
        if self.allow_simple_key:
            self._forget(self.flow_level)
        super().save_possible_simple_key()
        key = self.possible_simple_keys.get(self.flow_level)
        if key is not None:
            self.keys_by_token[key.token_number] = self.flow_level
            self.level_slot[self.flow_level] = key.token_number

    def remove_possible_simple_key(self) -> None:
        self._forget(self.flow_level)
        super().remove_possible_simple_key()

    def stale_possible_simple_keys(self) -> None:
        before = dict(self.possible_simple_keys)
        super().stale_possible_simple_keys()
        for level, key in before.items():
            if level not in self.possible_simple_keys:
                self.keys_by_token.pop(key.token_number, None)

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        self.level_slot[self.flow_level + 1] = self.tokens_taken + len(self.tokens)
        super().fetch_flow_collection_start(token_class)

    def fetch_flow_collection_end(self, token_class: Any) -> None:
        level = self.flow_level
        super().fetch_flow_collection_end(token_class)
        if level > 0:
            slot = self.level_slot.pop(level, None)
            if slot is not None:
                self.keys_by_token.pop(slot, None)

    def need_more_tokens(self) -> bool:
        if self.done:
            return False
        if not self.tokens:
            return True
        self.stale_possible_simple_keys()
        return self.tokens_taken in self.keys_by_token


class _GoOrderParser(
    yaml.reader.Reader,
    _GoLookaheadScanner,
    yaml.parser.Parser,
):
    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        _GoLookaheadScanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def parser_error_first(e: Any, text: str) -> Any:
    """The error goyaml reports for ``text``, given libyaml's scanner error ``e``."""
    marks = [m.index for m in (e.problem_mark, e.context_mark) if m is not None]
    if not marks:
        return e
    cut = min(marks)
    p = _GoOrderParser(text)
    try:
        while p.check_event():
            p.get_event()
    except yaml.parser.ParserError as pe:
        at = pe.problem_mark.index if pe.problem_mark is not None else None
    except yaml.YAMLError:
        return e
    else:
        return e
    if at is None or at >= cut:
        return e
    from polystack.helm.encoding.yamlload import _GoLoader

    try:
        for _event in yaml.parse(text[:cut], Loader=_GoLoader):  # noqa: S506 - events only
            pass
    except yaml.parser.ParserError as ce:
        if ce.problem_mark is not None and ce.problem_mark.index == at:
            return ce
    except yaml.YAMLError:
        pass
    return e
