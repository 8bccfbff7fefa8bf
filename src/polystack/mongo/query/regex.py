"""Regular expressions for ``$regex`` and ``/pattern/`` values.

MongoDB uses PCRE.  Patterns RE2 accepts are matched with RE2 (linear time, so a hostile pattern
cannot stall the server); patterns that need PCRE-only features (lookaround, backreferences, the
``x`` flag) fall back to Python's ``re``, whose syntax is close to PCRE's.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from ..errors import MongoError

log = logging.getLogger(__name__)

VALID_OPTIONS = set("imxsu")

try:  # pragma: no cover - depends on the installed wheel
    import re2 as _re2

    _RE2_OPTIONS = _re2.Options()
    _RE2_OPTIONS.log_errors = False
except ImportError:  # pragma: no cover
    _re2 = None
    _RE2_OPTIONS = None


def check_options(options: str) -> None:
    for ch in options:
        if ch not in VALID_OPTIONS:
            raise MongoError(51108, f"invalid flag in regex options: {ch}")


@lru_cache(maxsize=1024)
def compile_regex(pattern: str, options: str = "") -> Any:
    """A compiled pattern with ``.search(str)``; raises MongoError 51091 for a bad pattern."""
    check_options(options)
    if "\x00" in pattern:
        raise MongoError(51091, "Regular expression cannot contain an embedded null byte")
    inline = "".join(ch for ch in "ims" if ch in options)
    if _re2 is not None and "x" not in options:
        try:
            return _re2.compile(f"(?{inline}){pattern}" if inline else pattern, _RE2_OPTIONS)
        except Exception:
            pass
    flags = 0
    if "i" in options:
        flags |= re.IGNORECASE
    if "m" in options:
        flags |= re.MULTILINE
    if "s" in options:
        flags |= re.DOTALL
    if "x" in options:
        flags |= re.VERBOSE
    try:
        return re.compile(pattern, flags)
    except re.error as e:
        raise MongoError(51091, f"Regular expression is invalid: {e.msg}") from None


def regex_flags_string(flags: Any) -> str:
    """bson.Regex flags (an int of ``re`` flags, or already a string) as MongoDB's letters."""
    if isinstance(flags, str):
        return "".join(sorted(flags))
    out = ""
    for ch, f in (("i", re.I), ("l", re.L), ("m", re.M), ("s", re.S), ("u", re.U), ("x", re.X)):
        if flags & f:
            out += ch
    return out
