"""Reads a ZooKeeper ``zoo.cfg`` (Java properties) so scripts that write one can start polystack.

Supported keys map onto the ZooKeeper settings; keys polystack does not implement (quorum,
SSL, SASL, ...) are reported once, as ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SUPPORTED = {
    "clientPort",
    "dataDir",
    "dataLogDir",
    "tickTime",
    "minSessionTimeout",
    "maxSessionTimeout",
    "maxClientCnxns",
    "4lw.commands.whitelist",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "snapCount",
    "jute.maxbuffer",
    "extendedTypesEnabled",
    "zookeeper.extendedTypesEnabled",
    "znode.container.checkIntervalMs",
    # Applied process-wide by `polystack serve --zookeeper-config` (cli.py) when the
    # corresponding flag is not given: --bind, --admin-port, and the admin endpoint itself.
    "clientPortAddress",
    "admin.serverPort",
    "admin.enableServer",
}


_HINTS: dict[str, str] = {}


@dataclass
class ZooCfg:
    values: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def get_int(self, key: str) -> int | None:
        v = self.values.get(key)
        if v is None or v == "":
            return None
        try:
            return int(v.strip())
        except ValueError:
            raise ValueError(f"zoo.cfg: {key}: expected an integer, got {v!r}") from None


def parse(text: str) -> ZooCfg:
    """java.util.Properties syntax: ``key=value`` or ``key: value`` or ``key value``;
    ``#``/``!`` comments; backslash line continuations."""
    cfg = ZooCfg()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        if not line or line[0] in "#!":
            continue
        key, value = _split(line)
        cfg.values[key] = value
        if key not in SUPPORTED and key not in cfg.ignored:
            cfg.ignored.append(key)
    for key in cfg.ignored:
        hint = _HINTS.get(key, "")
        log.warning("zoo.cfg: %s is not supported by polystack and is ignored%s", key, hint)
    return cfg


def _split(line: str) -> tuple[str, str]:
    for j, ch in enumerate(line):
        if ch in "=:":
            return line[:j].strip(), line[j + 1 :].strip()
        if ch.isspace():
            rest = line[j:].lstrip()
            if rest[:1] in ("=", ":"):
                rest = rest[1:].lstrip()
            return line[:j], rest
    return line, ""


def load(path: str | Path) -> ZooCfg:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"zoo.cfg {path}: not found") from None
    return parse(text)


def cli_overrides(path: str, overrides: dict) -> None:
    """``serve --zookeeper-config zoo.cfg``: zoo.cfg keys that are process-wide in polystack.

    clientPortAddress -> ``bind``, clientPort -> ``zookeeper.port``, admin.serverPort ->
    ``admin_port``, admin.enableServer=false -> no admin endpoint.  Flags given on the command
    line win.  Raises ValueError for a zoo.cfg that cannot be read.
    """
    quiet = logging.getLogger(__name__)
    quiet.disabled = True  # the ZooKeeper service reports ignored keys once, when it starts
    try:
        zc = load(path)
    finally:
        quiet.disabled = False
    if overrides.get("bind") is None and zc.get("clientPortAddress"):
        overrides["bind"] = zc.get("clientPortAddress")
    if overrides.get("zookeeper.port") is None and zc.get_int("clientPort") is not None:
        overrides["zookeeper.port"] = zc.get_int("clientPort")
    if overrides.get("admin_port") is None and zc.get_int("admin.serverPort") is not None:
        overrides["admin_port"] = zc.get_int("admin.serverPort")
    if (zc.get("admin.enableServer") or "").strip().lower() == "false":
        overrides["admin"] = False
