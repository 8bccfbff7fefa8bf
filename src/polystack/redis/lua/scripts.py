"""The EVAL script cache (eval.c's lctx.lua_scripts): SHA1 -> compiled script, the shebang
line (``#!lua flags=no-writes,allow-oom``) and the Lua engine they run in.  SCRIPT FLUSH
starts a fresh Lua state, as Redis's scriptingReset does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polystack.redis.errors import err
from polystack.redis.lua.bitstruct import Rand48
from polystack.redis.lua.engine import LuaEngine, sha1hex

# Script flags (script.h)
NO_WRITES = 1
ALLOW_OOM = 2
ALLOW_STALE = 4
NO_CLUSTER = 8
EVAL_COMPAT_MODE = 16  # no shebang: the pre-7.0 rules
ALLOW_CROSS_SLOT = 32
SCRIPT_FLAGS = {
    b"no-writes": NO_WRITES,
    b"allow-oom": ALLOW_OOM,
    b"allow-stale": ALLOW_STALE,
    b"no-cluster": NO_CLUSTER,
    b"allow-cross-slot-keys": ALLOW_CROSS_SLOT,
}


@dataclass(slots=True)
class Script:
    sha: str
    body: bytes
    flags: int
    function: Any
    sha_bytes: bytes = b""  # the SHA1 as EVALSHA names it (what the cache's by_sha maps)
    # the count hook can never fire while it runs (lua/bytecode.py): it can never be busy
    brief: bool = False
    # the brief script as a Python function (lua/translate.py), when it can be translated
    translated: Any = None


def parse_shebang(body: bytes, engine_name: bytes = b"#!lua") -> tuple[int, int]:
    """(flags, length of the shebang line) of a script body; raises Redis's errors."""
    if not body.startswith(b"#!"):
        return EVAL_COMPAT_MODE, 0
    end = body.find(b"\n")
    if end < 0:
        raise err("Invalid script shebang")
    parts = body[:end].split(b" ")
    if parts[0] != engine_name:
        raise err(f"Unexpected engine in script shebang: {parts[0].decode('utf-8', 'replace')}")
    flags = 0
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise err(f"Unknown lua shebang option: {part.decode('utf-8', 'replace')}")
        for name in part[6:].split(b","):
            if not name:
                continue
            bit = SCRIPT_FLAGS.get(name)
            if bit is None:
                raise err(f"Unexpected flag in script shebang: {name.decode('utf-8', 'replace')}")
            flags |= bit
    return flags, end


class ScriptCache:
    """The Lua engine of EVAL scripts and the scripts it has compiled."""

    # whether brief scripts run translated to Python (the tests compare both ways)
    translate_brief = True

    def __init__(
        self,
        rand: Rand48 | None = None,
        call: Callable | None = None,
        translated_host: dict[str, Any] | None = None,
    ) -> None:
        self.rand = rand if rand is not None else Rand48()
        # redis.call of translated brief scripts (see lua/translate.py); none: not translated
        self.translated_host = translated_host
        self.call = call  # the host's redis.call (see LuaEngine)
        self.engine = LuaEngine(self.rand, call=call)
        self.scripts: dict[str, Script] = {}
        self.by_sha: dict[bytes, Script] = {}  # the same, by the SHA1 in lowercase bytes
        self.memory = 0  # bytes of script bodies (INFO's used_memory_scripts_eval)

    def get(self, sha: str) -> Script | None:
        return self.scripts.get(sha)

    def create(self, body: bytes) -> Script:
        """luaCreateFunction: the cached script of ``body``, compiling it when new."""
        sha = sha1hex(body)
        script = self.scripts.get(sha)
        if script is not None:
            return script
        flags, shebang_len = parse_shebang(body)
        try:
            fn = self.engine.compile(body[shebang_len:], b"@user_script")
        except ValueError as e:
            raise err(f"Error compiling script (new function): {e}") from None
        script = Script(sha, body, flags, fn, sha.encode(), self.engine.is_brief(fn))
        if script.brief and self.translate_brief and self.translated_host is not None:
            script.translated = self.engine.translate(fn, self.translated_host)
        self.scripts[sha] = script
        self.by_sha[script.sha_bytes] = script
        self.memory += len(body) + 40
        return script

    def flush(self) -> None:
        """scriptingReset: a new Lua state without any script."""
        self.engine = LuaEngine(self.rand, call=self.call)
        self.scripts.clear()
        self.by_sha.clear()
        self.memory = 0
