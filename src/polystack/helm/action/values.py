"""The values of a command line (pkg/cli/values.Options): -f files and URLs,
--set-json, --set, --set-string, --set-file and --set-literal, merged in Helm's
order with Helm's error texts."""

from __future__ import annotations

import os
import sys

from polystack.helm.chart.chart import ChartError, load_values, merge_maps
from polystack.helm.chart.values import ValuesError
from polystack.helm.encoding.errors import EncodingError

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ValueOptions", "ValuesError"]


class ValueOptions:
    """pkg/cli/values.Options: -f, --set-json, --set, --set-string, --set-file, --set-literal."""

    __slots__ = (
        "value_files",
        "json_values",
        "values",
        "string_values",
        "file_values",
        "literal_values",
    )

    def __init__(
        self,
        value_files: list[str] | None = None,
        json_values: list[str] | None = None,
        values: list[str] | None = None,
        string_values: list[str] | None = None,
        file_values: list[str] | None = None,
        literal_values: list[str] | None = None,
    ) -> None:
        self.value_files: list[str] = [] if value_files is None else value_files
        self.json_values: list[str] = [] if json_values is None else json_values
        self.values: list[str] = [] if values is None else values
        self.string_values: list[str] = [] if string_values is None else string_values
        self.file_values: list[str] = [] if file_values is None else file_values
        self.literal_values: list[str] = [] if literal_values is None else literal_values

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in ValueOptions.__slots__)
        return f"ValueOptions({fields})"

    def merge_values(self) -> dict[str, Any]:
        base: dict[str, Any] = {}
        if (
            self.json_values
            or self.values
            or self.string_values
            or self.file_values
            or (self.literal_values)
        ):
            from polystack.helm.chart import strvals  # (only for --set and its kin)
        for fp in self.value_files:
            raw = _read_file(fp)
            try:
                current = load_values(raw)
            except ChartError as e:
                raise ValuesError(f"failed to parse {fp}: {e}") from None
            base = merge_maps(base, current)
        for value in self.json_values:
            trimmed = value.strip()
            if trimmed.startswith("{"):
                from polystack.helm.encoding import jsongo  # (only for --set-json)

                try:
                    jm = jsongo.unmarshal(trimmed, into=dict)
                except EncodingError:
                    raise ValuesError(f"failed parsing --set-json data JSON: {value}") from None
                if not isinstance(jm, dict):
                    raise ValuesError(f"failed parsing --set-json data JSON: {value}")
                base = merge_maps(base, jm)
            else:
                try:
                    strvals.parse_json(value, base)
                except strvals.StrvalsError:
                    raise ValuesError(f"failed parsing --set-json data {value}") from None
        for value in self.values:
            try:
                strvals.parse_into(value, base)
            except strvals.StrvalsError as e:
                raise ValuesError(f"failed parsing --set data: {e}") from None
        for value in self.string_values:
            try:
                strvals.parse_into_string(value, base)
            except strvals.StrvalsError as e:
                raise ValuesError(f"failed parsing --set-string data: {e}") from None
        for value in self.file_values:

            def reader(rs: str) -> Any:
                return _read_file(rs).decode("utf-8", "replace")

            try:
                strvals.parse_into_file(value, base, reader)
            except strvals.StrvalsError as e:
                raise ValuesError(f"failed parsing --set-file data: {e}") from None
            except ValuesError as e:
                raise ValuesError(f"failed parsing --set-file data: {e}") from None
        for value in self.literal_values:
            try:
                strvals.parse_literal_into(value, base)
            except strvals.StrvalsError as e:
                raise ValuesError(f"failed parsing --set-literal data: {e}") from None
        return base


def _os_err(e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return f"open {e.filename}: no such file or directory"
    if isinstance(e, IsADirectoryError):
        return f"read {e.filename}: is a directory"
    return f"open {e.filename}: {e.strerror.lower() if e.strerror else e}"


def _read_file(path: str) -> bytes:
    if path.strip() == "-":
        return sys.stdin.buffer.read()
    if "://" in path:
        import urllib.request

        with urllib.request.urlopen(path) as resp:  # noqa: S310 - user-supplied values URL
            return resp.read()
    try:
        with open(os.path.expanduser(path), "rb") as fh:
            return fh.read()
    except OSError as e:
        raise ValuesError(_os_err(e)) from None
