"""The Sprig v3 function library (Masterminds/sprig v3.3) as Helm bundles it.

`sprig_funcs()` returns exactly the names Helm's engine takes from
``sprig.TxtFuncMap()`` minus the two Helm deletes (``env``, ``expandenv``).
Helm overrides some of them (toJson, fromJson ...) with its own; these are
Sprig's versions.  Each value is a plain Python callable following the Go
value model of ``polystack.helm.golang.types``; Go parameter types are
declared with ``gotypes.signature`` so the executor checks them as Go does.
"""

from __future__ import annotations

import sys

from polystack.helm.funcs.sprig._conv import GoError
from polystack.helm.golang.types import signature
from polystack.helm.template.funcmap import LazyFunc

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["sprig_funcs", "lazy_sprig_funcs", "SPRIG_NAMES"]


def _hello() -> str:
    return "Hello!"


@signature("string")
def _fail(msg: str) -> str:
    raise GoError(msg)


# The names each module's FUNCS defines, so that the engine's function map can be
# made without importing them (tests/helm/test_startup.py checks this table).
# fmt: off
_NAMES: dict[str, tuple[str, ...]] = {
    "strings": (
        "abbrev", "abbrevboth", "trunc", "trim", "upper", "lower", "title", "untitle", "substr",
        "repeat", "trimall", "trimAll", "trimSuffix", "trimPrefix", "nospace", "initials",
        "randAlphaNum", "randAlpha", "randAscii", "randNumeric", "swapcase", "shuffle",
        "snakecase", "camelcase", "kebabcase", "wrap", "wrapWith", "contains", "hasPrefix",
        "hasSuffix", "quote", "squote", "cat", "indent", "nindent", "replace", "plural",
        "toString", "atoi", "split", "splitList", "splitn", "toStrings", "join",
    ),
    "math": (
        "add1", "add", "sub", "div", "mod", "mul", "randInt", "add1f", "addf", "subf", "divf",
        "mulf", "biggest", "max", "min", "maxf", "minf", "ceil", "floor", "round", "toDecimal",
        "until", "untilStep", "seq", "int64", "int", "float64",
    ),
    "dates": (
        "ago", "date", "date_in_zone", "date_modify", "dateInZone", "dateModify", "duration",
        "durationRound", "htmlDate", "htmlDateInZone", "must_date_modify", "mustDateModify",
        "mustToDate", "now", "toDate", "unixEpoch",
    ),
    "defaults": (
        "default", "empty", "coalesce", "all", "any", "ternary", "fromJson", "toJson",
        "toPrettyJson", "toRawJson", "mustFromJson", "mustToJson", "mustToPrettyJson",
        "mustToRawJson",
    ),
    "lists": (
        "tuple", "list", "append", "push", "mustAppend", "mustPush", "prepend", "mustPrepend",
        "first", "mustFirst", "rest", "mustRest", "last", "mustLast", "initial", "mustInitial",
        "reverse", "mustReverse", "uniq", "mustUniq", "without", "mustWithout", "has", "mustHas",
        "slice", "mustSlice", "concat", "chunk", "mustChunk", "compact", "mustCompact",
        "sortAlpha",
    ),
    "dicts": (
        "dict", "get", "set", "unset", "hasKey", "pluck", "keys", "pick", "omit", "merge",
        "mergeOverwrite", "mustMerge", "mustMergeOverwrite", "values", "deepCopy", "mustDeepCopy",
        "dig",
    ),
    "reflect": (
        "typeOf", "typeIs", "typeIsLike", "kindOf", "kindIs", "deepEqual",
    ),
    "paths": (
        "base", "dir", "clean", "ext", "isAbs", "osBase", "osClean", "osDir", "osExt", "osIsAbs",
    ),
    "encoding": (
        "b64enc", "b64dec", "b32enc", "b32dec", "sha1sum", "sha256sum", "sha512sum", "adler32sum",
    ),
    "regex": (
        "regexMatch", "mustRegexMatch", "regexFindAll", "mustRegexFindAll", "regexFind",
        "mustRegexFind", "regexReplaceAll", "mustRegexReplaceAll", "regexReplaceAllLiteral",
        "mustRegexReplaceAllLiteral", "regexSplit", "mustRegexSplit", "regexQuoteMeta",
    ),
    "crypto": (
        "bcrypt", "htpasswd", "genPrivateKey", "derivePassword", "buildCustomCert", "genCA",
        "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert",
        "genSignedCertWithKey", "encryptAES", "decryptAES", "randBytes", "uuidv4",
    ),
    "semverfuncs": (
        "semver", "semverCompare",
    ),
    "urls": (
        "urlParse", "urlJoin", "getHostByName",
    ),
}
# fmt: on

_PKG = __name__
SPRIG_NAMES = frozenset({"hello", "fail"}.union(*_NAMES.values()))
_FUNCS: dict[str, Callable[..., Any]] | None = None


def _build() -> dict[str, Callable[..., Any]]:
    fm: dict[str, Callable[..., Any]] = {"hello": _hello, "fail": _fail}
    for mod in _NAMES:
        __import__(f"{_PKG}.{mod}")  # (importlib's package: a fresh command's cost)
        fm.update(sys.modules[f"{_PKG}.{mod}"].FUNCS)
    return fm


def lazy_sprig_funcs() -> dict[str, Callable[..., Any]]:
    """Helm's Sprig function map with each module's functions loaded on first use
    (template/funcmap.py): a render imports only the libraries its charts call."""
    fm: dict[str, Callable[..., Any]] = {"hello": _hello, "fail": _fail}
    for mod, names in _NAMES.items():
        module = f"{_PKG}.{mod}"
        for name in names:
            fm[name] = LazyFunc(module, name)
    return fm


def sprig_funcs() -> dict[str, Callable[..., Any]]:
    """A fresh copy of Helm's Sprig function map (every function loaded)."""
    global _FUNCS
    if _FUNCS is None:
        _FUNCS = _build()
    return dict(_FUNCS)
