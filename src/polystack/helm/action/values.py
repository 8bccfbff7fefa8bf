"""The values of a command line (pkg/cli/values.Options): -f files and URLs,
--set-json, --set, --set-string, --set-file and --set-literal, merged in Helm's
order with Helm's error texts."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from polystack.helm.chart import strvals
from polystack.helm.chart.chart import ChartError, load_values, merge_maps
from polystack.helm.chart.values import ValuesError
from polystack.helm.encoding import jsongo, yamlgo

__all__ = ["ValueOptions", "ValuesError"]


@dataclass
class ValueOptions:
    """pkg/cli/values.Options: -f, --set-json, --set, --set-string, --set-file, --set-literal."""

    value_files: list[str] = field(default_factory=list)
    json_values: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    string_values: list[str] = field(default_factory=list)
    file_values: list[str] = field(default_factory=list)
    literal_values: list[str] = field(default_factory=list)

    def merge_values(self) -> dict[str, Any]:
        base: dict[str, Any] = {}
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
                try:
                    jm = jsongo.unmarshal(trimmed, into=dict)
                except yamlgo.EncodingError:
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
