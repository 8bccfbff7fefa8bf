"""Sprig regex.go: regexMatch, regexFind(All), regexReplaceAll(Literal),
regexSplit, regexQuoteMeta and the must* variants (Go RE2 semantics)."""

from __future__ import annotations

from polystack.helm.golang.regexp import RegexpError, compile_re2, must_compile, quote_meta
from polystack.helm.golang.types import StringList, signature


def _sl(v: list[str] | None) -> StringList:
    # a nil []string prints as [] like an empty one
    return StringList(v or ())


@signature("string", "string")
def regex_match(regex: str, s: str) -> bool:
    try:
        return compile_re2(regex).match_string(s)
    except RegexpError:
        return False


@signature("string", "string")
def must_regex_match(regex: str, s: str) -> bool:
    return compile_re2(regex).match_string(s)


@signature("string", "string", "int")
def regex_find_all(regex: str, s: str, n: int) -> StringList:
    return _sl(must_compile(regex).find_all_string(s, n))


@signature("string", "string", "int")
def must_regex_find_all(regex: str, s: str, n: int) -> StringList:
    return _sl(compile_re2(regex).find_all_string(s, n))


@signature("string", "string")
def regex_find(regex: str, s: str) -> str:
    return must_compile(regex).find_string(s)


@signature("string", "string")
def must_regex_find(regex: str, s: str) -> str:
    return compile_re2(regex).find_string(s)


@signature("string", "string", "string")
def regex_replace_all(regex: str, s: str, repl: str) -> str:
    return must_compile(regex).replace_all_string(s, repl)


@signature("string", "string", "string")
def must_regex_replace_all(regex: str, s: str, repl: str) -> str:
    return compile_re2(regex).replace_all_string(s, repl)


@signature("string", "string", "string")
def regex_replace_all_literal(regex: str, s: str, repl: str) -> str:
    return must_compile(regex).replace_all_literal_string(s, repl)


@signature("string", "string", "string")
def must_regex_replace_all_literal(regex: str, s: str, repl: str) -> str:
    return compile_re2(regex).replace_all_literal_string(s, repl)


@signature("string", "string", "int")
def regex_split(regex: str, s: str, n: int) -> StringList:
    return _sl(must_compile(regex).split(s, n))


@signature("string", "string", "int")
def must_regex_split(regex: str, s: str, n: int) -> StringList:
    return _sl(compile_re2(regex).split(s, n))


@signature("string")
def regex_quote_meta(s: str) -> str:
    return quote_meta(s)


FUNCS = {
    "regexMatch": regex_match,
    "mustRegexMatch": must_regex_match,
    "regexFindAll": regex_find_all,
    "mustRegexFindAll": must_regex_find_all,
    "regexFind": regex_find,
    "mustRegexFind": must_regex_find,
    "regexReplaceAll": regex_replace_all,
    "mustRegexReplaceAll": must_regex_replace_all,
    "regexReplaceAllLiteral": regex_replace_all_literal,
    "mustRegexReplaceAllLiteral": must_regex_replace_all_literal,
    "regexSplit": regex_split,
    "mustRegexSplit": must_regex_split,
    "regexQuoteMeta": regex_quote_meta,
}
