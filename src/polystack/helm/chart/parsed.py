"""Parsed chart files kept on disk: a second `helm template` of a chart (a new
process) reads what Chart.yaml, values.yaml, Chart.lock and requirements.yaml/
.lock parsed to before instead of parsing them again (and imports no YAML parser).

An entry is keyed by content, as the template cache's (template/diskcache.py)
are, and lives in the same directory: what kind of file it is, the length and
CRC-32 of its bytes, polystack's version, the Python version and the identity
(modification times and sizes) of the source files of the code that decides what
a file parses to (the YAML decoding in encoding/, the loader in chart/chart.py
and this module). The entry keeps the
bytes it was parsed from and is used only when they are the bytes being loaded;
its body is checked (length and CRC-32) and written atomically by TreeCache. A
file that does not parse is never stored: its error is raised as before, from a
fresh parse. Only plain results are stored (dicts, lists, strings, numbers,
booleans, None: ``marshal``'s types); anything else is parsed every time.
"""

from __future__ import annotations

import marshal
import os
import sys

from polystack import __version__
from polystack.helm.golang.log import get_logger
from polystack.helm.template.diskcache import blake2b, fingerprint, sources_stamp

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from polystack.helm.template.diskcache import TreeCache

log = get_logger(__name__)

__all__ = ["parse_cached", "parser_id"]

# the modules whose code decides what a chart file parses to (relative to helm/)
_PARSER_SOURCES = (
    "chart/chart.py",
    "chart/parsed.py",
    "encoding/errors.py",
    "encoding/jsongo.py",
    "encoding/yamlgo.py",
    "encoding/yamlload.py",
    "encoding/yamlorder.py",
    "encoding/yamlresolve.py",
    "encoding/yamlsimple.py",
    "golang/strconv.py",
)
_PARSER_ID: bytes | None = None


def parser_id() -> bytes:
    """polystack's version, the Python version (marshal's format) and the identity
    of the parsing code's source files (modification times and sizes, as the
    template cache's engine_id): part of every key."""
    global _PARSER_ID
    if _PARSER_ID is None:
        h = blake2b(b"chart-files\0" + __version__.encode(), digest_size=16)
        h.update(sys.version.encode())
        helm = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sources_stamp(h, helm, _PARSER_SOURCES)
        _PARSER_ID = h.digest()
    return _PARSER_ID


def _key(kind: str, data: bytes) -> str:
    h = blake2b(parser_id(), digest_size=20)
    h.update(kind.encode() + b"\0")
    fingerprint(h, data)
    return "chart-" + h.hexdigest()


def parse_cached(
    cache: TreeCache | None, kind: str, data: bytes, parse: Callable[[bytes], Any]
) -> Any:
    """``parse(data)``, or what it gave before for these bytes (``kind`` names
    the parse: files of one kind parse the same way)."""
    if cache is None:
        return parse(data)
    key = _key(kind, data)
    body = cache.get_blob(key)
    if body is not None:
        try:
            stored, value = marshal.loads(body)
        except Exception as e:  # noqa: BLE001 - an entry that does not load is a miss
            log.debug("chart file cache: ignoring %s (%s)", key, e)
        else:
            if stored == data:
                return value
    value = parse(data)  # (an error is raised: nothing is stored)
    try:
        entry = marshal.dumps((data, value))
    except ValueError:  # not a plain value: parsed every time
        return value
    cache.put_blob(key, entry)
    return value
