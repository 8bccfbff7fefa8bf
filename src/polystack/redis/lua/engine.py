"""One Lua 5.1 state (lupa) set up as Redis 7.0 sets up scripting: the sandbox, the ``redis``
API, cjson, cmsgpack, bit and struct.  The engine knows nothing of commands: while a script
runs, ``redis.call`` and friends go to the *run* object handed to :meth:`LuaEngine.run`
(see commands/scriptrun.py).

Lua -> RESP conversion happens in Lua (prelude.py); Python replies become Lua values with
:meth:`LuaEngine.to_lua` by Redis's rules for the script's RESP version.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import lupa.lua51 as lua51

from polystack.redis import wire
from polystack.redis.errors import RedisError
from polystack.redis.lua import bitstruct, bytecode, codecs, luavalues, translate
from polystack.redis.lua.prelude import PRELUDE
from polystack.redis.version import REDIS_VERSION, REDIS_VERSION_NUM

log = logging.getLogger("polystack.redis")

_LOG_LEVELS = (logging.DEBUG, logging.DEBUG + 5, logging.INFO, logging.WARNING)
lua_type = lua51.lua_type
# Up to this many keys and arguments go to Lua as call arguments (within the C stack's
# LUAI_MAXCSTACK); a longer call builds its KEYS and ARGV tables from the host.
PACKED_ARGS = 200
_ONLY_BYTES = {bytes}


class TableError(Exception):
    """A failed redis.call: the Lua error table (unwrapped by the prelude)."""

    def __init__(self, table: Any) -> None:
        super().__init__("script error")
        self.table = table


class MessageError(Exception):
    """A library function's error: the message, already after the script's position."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message.decode("utf-8", "replace"))
        self.message = message


def _deny_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    raise AttributeError("access denied")


def sha1hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class LuaEngine:
    """A Lua state with Redis's scripting environment: EVAL's, or with ``functions`` the
    FUNCTION engine's (libraries load with their own API; see :meth:`load_library`)."""

    def __init__(
        self,
        rand: bitstruct.Rand48 | None = None,
        functions: bool = False,
        call: Callable[[LuaEngine], Callable] | None = None,
    ) -> None:
        self.lua = lua51.LuaRuntime(
            encoding=None,
            unpack_returned_tuples=True,
            register_eval=False,
            register_builtins=False,
            attribute_filter=_deny_attributes,
        )
        self.rand = rand if rand is not None else bitstruct.Rand48()
        self.current: Any = None  # the run redis.call goes to
        table = self.lua.table_from
        self.null = self.lua.execute("return newproxy(false)")
        api: dict[Any, bytes] = {}

        def fn(f: Callable) -> Callable:
            api[f] = b"function: 0x%012x" % id(f)
            return f

        def lib_fn(f: Callable) -> Callable:
            """A library function: (True, values...) or (False, message) -> values or raise."""

            def call(*args: Any) -> Any:
                try:
                    res = f(*args)
                except (TypeError, ValueError, OverflowError) as e:
                    res = (False, str(e))
                if not res[0]:
                    raise MessageError(self._where() + _text(res[1]))
                return res[1] if len(res) == 2 else res[1:]

            return fn(call)

        redis = table(
            {
                # the host's redis.call (``call(engine)``: scriptCall's common case in one
                # Python frame), or the generic one that goes through ``current.call``
                b"call": fn(self._redis_call if call is None else call(self)),
                b"pcall": fn(self._redis_pcall),
                b"sha1hex": fn(self._sha1hex),
                b"log": fn(self._log),
                b"setresp": fn(self._setresp),
                b"set_repl": fn(self._set_repl),
                b"acl_check_cmd": fn(self._acl_check),
                b"LOG_DEBUG": 0,
                b"LOG_VERBOSE": 1,
                b"LOG_NOTICE": 2,
                b"LOG_WARNING": 3,
                b"REPL_NONE": 0,
                b"REPL_AOF": 1,
                b"REPL_SLAVE": 2,
                b"REPL_REPLICA": 2,
                b"REPL_ALL": 3,
                b"REDIS_VERSION": REDIS_VERSION.encode(),
                b"REDIS_VERSION_NUM": REDIS_VERSION_NUM,
            }
        )
        cjson = table(
            {
                b"encode": lib_fn(lambda *a: codecs.json_encode(self.null, *a)),
                b"decode": lib_fn(lambda *a: codecs.json_decode(self.lua, self.null, *a)),
                b"null": self.null,
                b"_NAME": b"cjson",
                b"_VERSION": b"2.1.0",
            }
        )
        for name in ("encode_keep_buffer", "encode_max_depth", "decode_max_depth",
                     "encode_number_precision", "encode_sparse_array", "encode_invalid_numbers",
                     "decode_invalid_numbers", "new"):  # fmt: skip
            cjson[name.encode()] = lib_fn(lambda *a: (True, None))
        cmsgpack = table(
            {
                b"pack": lib_fn(codecs.msgpack_pack),
                b"unpack": lib_fn(lambda *a: codecs.msgpack_unpack(self.lua, self.null, *a)),
                b"unpack_one": lib_fn(
                    lambda d=None, o=0: codecs.msgpack_unpack_limit(self.lua, d, 1, o)
                ),
                b"unpack_limit": lib_fn(
                    lambda d=None, n=0, o=0: codecs.msgpack_unpack_limit(self.lua, d, n, o)
                ),
                b"_NAME": b"lua-cmsgpack",
                b"_VERSION": b"lua-cmsgpack 0.4.0",
                b"_COPYRIGHT": b"Copyright (C) 2012, Salvatore Sanfilippo",
                b"_DESCRIPTION": b"MessagePack C implementation for Lua",
            }
        )
        math_lib = table(dict(self.lua.globals()[b"math"].items()))
        math_lib[b"random"] = fn(self._random)
        math_lib[b"randomseed"] = fn(self._randomseed)
        libs = table(
            {
                b"math": math_lib,
                b"cjson": cjson,
                b"cmsgpack": cmsgpack,
                b"bit": table({k.encode(): lib_fn(f) for k, f in bitstruct.BIT.items()}),
                b"struct": table({k.encode(): lib_fn(f) for k, f in bitstruct.STRUCT.items()}),
                b"redis": redis,
            }
        )
        libs[b"rawset"] = fn(self._rawset)
        self.hook_count = 100000
        libs[b"setmetatable"] = fn(self._setmetatable)
        self.functions = functions
        self.registering: Any = None  # the library FUNCTION LOAD is building
        self._load_deadline = 0.0
        self.py = table(
            {
                b"libs": libs,
                b"api": table(api),
                b"unwrap_error": self._unwrap_error,
                b"hook": self._hook,
                b"functions": functions,
                b"load_hook": self._load_hook,
                b"lib_redis": table(
                    {
                        b"register_function": fn(self._register_function),
                        b"log": redis[b"log"],
                        **{k: redis[k] for k in (b"LOG_DEBUG", b"LOG_VERBOSE", b"LOG_NOTICE",
                                                 b"LOG_WARNING", b"REDIS_VERSION",
                                                 b"REDIS_VERSION_NUM")},
                    }
                ),
            }
        )  # fmt: skip
        (
            self._run,
            self._compile,
            self.script_globals,
            self.env,
            self._compile_lib,
            self._load_lib,
        ) = self.lua.execute(PRELUDE, self.py, name=b"=polystack")
        self._where_fn = self.py[b"where"]
        self._set_script_resp = self.py[b"set_script_resp"]
        self._is_readonly = self.py[b"is_readonly"]
        self._lua_rawset = self.py[b"rawset"]
        self._lua_setmetatable = self.py[b"setmetatable"]
        self._hook_every_line = self.py[b"hook_every_line"]
        # run_packed(fn, funcname, caller3, hook_count, as_function, nkeys, key..., arg...):
        # (kind, payload) as run() returns it (see prelude.py)
        self.run_packed = self._run_packed = self.py[b"run_packed"]
        self._string_dump = self.lua.execute("return string.dump")

    # -- compiling and running --------------------------------------------------------
    def compile(self, source: bytes, chunkname: bytes = b"@user_script") -> Any:
        """The Lua function compiled from ``source`` (its environment is the scripts'
        sandbox), or raise ValueError with Lua's message."""
        fn, message = self._compile(source, chunkname)
        if fn is None:
            raise ValueError(message.decode("utf-8", "replace"))
        return fn

    def is_brief(self, fn: Any) -> bool:
        """Whether the compiled script ``fn`` can never run long enough for the count hook
        to fire (see lua/bytecode.py)."""
        return bytecode.is_brief(self._string_dump(fn))

    def translate(self, fn: Any, host: dict[str, Any]) -> Any:
        """The brief script ``fn`` as a Python function (lua/translate.py: ``host`` has
        its redis.call), or None."""
        if not luavalues.STRING_FUNCTIONS:
            for name in self.lua.eval("string").keys():
                luavalues.STRING_FUNCTIONS[name] = luavalues.Function("string." + name.decode())
        names = frozenset(self.script_globals.keys())
        return translate.translate(self._string_dump(fn), names, host)

    def load_library(self, source: bytes, builder: Any, timeout_ms: int) -> None:
        """luaEngineCreate: compile a library's code and run it so that it registers its
        functions with ``builder`` (``builder.add(name, fn, description, flags)``, raising
        ValueError with Redis's text).  Raises ValueError with the FUNCTION LOAD error."""
        fn, message = self._compile_lib(source, b"@user_function")
        if fn is None:
            raise ValueError("Error compiling function: " + _decode(message))
        self.registering = builder
        self._load_deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else 0.0
        try:
            failure = self._load_lib(fn, self.hook_count)
        finally:
            self.registering = None
        if failure is not None:
            raise ValueError("Error registering functions: " + _decode(failure))

    def _load_hook(self) -> None:
        """luaEngineLoadHook: a library's code gets 500 ms to register its functions."""
        if self._load_deadline and time.monotonic() > self._load_deadline:
            self.py[b"load_hook_every_line"]()
            raise TableError(self.error_table("ERR FUNCTION LOAD timeout"))

    def _register_function(self, *args: Any) -> None:
        """redis.register_function(name, callback) or redis.register_function{...}."""
        builder = self.registering
        if builder is None:
            raise TableError(
                self.error_table(
                    "ERR redis.register_function can only be called on FUNCTION LOAD command"
                )
            )
        if not 1 <= len(args) <= 2:
            raise TableError(
                self.error_table("ERR wrong number of arguments to redis.register_function")
            )
        description = None
        flags: list[bytes] = []
        if len(args) == 2:
            name = _lua_string(args[0])
            if name is None:
                raise self._register_error(
                    "first argument to redis.register_function must be a string"
                )
            callback = args[1]
            if not _is_function(callback):
                raise self._register_error(
                    "second argument to redis.register_function must be a function"
                )
        else:
            name, callback, description, flags = self._named_args(args[0])
        try:
            builder.add(name, callback, description, flags)
        except ValueError as e:
            raise self._register_error(str(e)) from None

    def _named_args(self, table: Any) -> tuple[bytes, Any, bytes | None, list[bytes]]:
        if lua_type(table) != "table":
            raise self._register_error(
                "calling redis.register_function with a single argument is only applicable to "
                "Lua table (representing named arguments)."
            )
        name = description = callback = None
        flags: list[bytes] = []
        for key, value in table.items():
            k = _lua_string(key)
            if k is None:
                raise self._register_error(
                    "named argument key given to redis.register_function is not a string"
                )
            k = k.lower()
            if k == b"function_name":
                name = _lua_string(value)
                if name is None:
                    raise self._register_error(
                        "function_name argument given to redis.register_function must be a string"
                    )
            elif k == b"description":
                description = _lua_string(value)
                if description is None:
                    raise self._register_error(
                        "description argument given to redis.register_function must be a string"
                    )
            elif k == b"callback":
                if not _is_function(value):
                    raise self._register_error(
                        "callback argument given to redis.register_function must be a function"
                    )
                callback = value
            elif k == b"flags":
                if lua_type(value) != "table":
                    raise self._register_error(
                        "flags argument to redis.register_function must be a table "
                        "representing function flags"
                    )
                flags = []
                j = 1
                while True:
                    item = value[j]
                    if item is None:
                        break
                    text = _lua_string(item)
                    if text is None:
                        raise self._register_error("unknown flag given")
                    flags.append(text)
                    j += 1
            else:
                raise self._register_error("unknown argument given to redis.register_function")
        if name is None:
            raise self._register_error("redis.register_function must get a function name argument")
        if callback is None:
            raise self._register_error("redis.register_function must get a callback argument")
        return name, callback, description, flags

    def _register_error(self, message: str) -> TableError:
        return TableError(self.error_table("ERR " + message))

    def run(
        self,
        fn: Any,
        funcname: bytes,
        caller_resp3: bool,
        run: Any,
        keys: list[bytes],
        args: list[bytes],
        as_function: bool = False,
    ) -> bytes:
        """Call ``fn``; its result as RESP for the caller, or raise RedisError.  EVAL
        scripts see KEYS and ARGV as globals; functions get them as arguments."""
        previous = self.current
        self.current = run
        hooks = self.hook_count if run.watched else 0
        try:
            if len(keys) + len(args) <= PACKED_ARGS:  # KEYS and ARGV built in Lua
                kind, payload = self._run_packed(
                    fn, funcname, caller_resp3, hooks, as_function, len(keys), *keys, *args
                )
            elif as_function:
                lua = self.lua
                keys_t, args_t = lua.table_from(keys), lua.table_from(args)
                kind, payload = self._run(fn, funcname, caller_resp3, keys_t, args_t, hooks)
            else:
                lua = self.lua
                keys_t, args_t = lua.table_from(keys), lua.table_from(args)
                g = self.script_globals
                g[b"KEYS"] = keys_t
                g[b"ARGV"] = args_t
                kind, payload = self._run(fn, funcname, caller_resp3, None, None, hooks)
        finally:
            self.current = previous
        if kind == 0:
            return payload
        raise error_from_text(payload.decode("utf-8", "surrogateescape"))

    def run_argv(
        self,
        fn: Any,
        funcname: bytes,
        caller_resp3: bool,
        run: Any,
        argv: list[bytes],
        numkeys: int,
        as_function: bool = False,
    ) -> bytes:
        """:meth:`run` for an EVAL- or FCALL-like command: ``numkeys`` keys from ``argv[3]``,
        the arguments after them."""
        if len(argv) - 3 > PACKED_ARGS:
            return self.run(
                fn, funcname, caller_resp3, run, argv[3 : 3 + numkeys], argv[3 + numkeys :],
                as_function,
            )  # fmt: skip
        previous = self.current
        self.current = run
        try:
            kind, payload = self._run_packed(
                fn, funcname, caller_resp3, self.hook_count if run.watched else 0, as_function,
                numkeys, *argv[3:],
            )  # fmt: skip
        finally:
            self.current = previous
        if kind == 0:
            return payload
        raise error_from_text(payload.decode("utf-8", "surrogateescape"))

    def _hook(self) -> None:
        """scriptInterrupt, every hook_count instructions: let the run yield (it decides when
        it is past busy-reply-threshold) and stop it once SCRIPT/FUNCTION KILL asked."""
        run = self.current
        if run is None:
            return
        if not run.killed:
            run.interrupt()
        if run.killed:
            self._hook_every_line()
            raise TableError(self.error_table("ERR Script killed by user with SCRIPT KILL..."))

    def _where(self) -> bytes:
        return self._where_fn()

    def _unwrap_error(self, err: Any) -> Any:
        if isinstance(err, TableError):
            return err.table
        if isinstance(err, MessageError):
            return err.message
        if isinstance(err, BaseException):
            return self._where() + str(err).encode()
        return None

    def _rawset(self, *args: Any) -> Any:
        if args and self._is_readonly(args[0]):
            raise MessageError(b"Attempt to modify a readonly table")
        return self._lua_rawset(*args)

    def _setmetatable(self, *args: Any) -> Any:
        if args and self._is_readonly(args[0]):
            raise MessageError(b"Attempt to modify a readonly table")
        return self._lua_setmetatable(*args)

    # -- the redis table ---------------------------------------------------------------
    def _argv(self, args: tuple) -> list[bytes] | str:
        """luaArgsToRedisArgv: strings as they are, numbers as %.17g."""
        if not args:
            return "ERR Please specify at least one argument for this redis lib call"
        if {*map(type, args)} == _ONLY_BYTES:  # the common case: strings only
            return list(args)
        argv: list[bytes] = []
        for a in args:
            t = type(a)
            if t is bytes:
                argv.append(a)
            elif t is int or t is float:
                argv.append(luavalues.argument_text(float(a)))  # (a NaN's sign as C prints it)
            else:
                return "ERR Lua redis lib command arguments must be strings or integers"
        return argv

    def _dispatch(self, args: tuple) -> tuple[bool, Any]:
        """(failed, value): the reply as a Lua value, or the Lua error table."""
        run = self.current
        if run is None:
            return True, self.error_table(
                "ERR redis.call/pcall can only be called inside a script invocation"
            )
        argv = self._argv(args)
        if type(argv) is str:
            return True, self.error_table(argv)
        reply = run.call(argv)
        t = type(reply)
        if t is bytes or t is int:
            return False, reply
        if isinstance(reply, RedisError):
            return True, self.error_table(f"{reply.code} {reply.message}")
        return False, self.to_lua(reply, run.resp3)

    def _redis_call(self, *args: Any) -> Any:
        run = self.current
        if run is not None and {*map(type, args)} == _ONLY_BYTES:  # (_dispatch, inline)
            reply = run.call(list(args))
            t = type(reply)
            if t is bytes or t is int:
                return reply
            if isinstance(reply, RedisError):
                raise TableError(self.error_table(f"{reply.code} {reply.message}"))
            return self.to_lua(reply, run.resp3)
        failed, value = self._dispatch(args)
        if failed:
            raise TableError(value)
        return value

    def _redis_pcall(self, *args: Any) -> Any:
        return self._dispatch(args)[1]

    def _sha1hex(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise TableError(self.error_table("ERR wrong number of arguments"))
        s = args[0]
        if type(s) in (int, float):
            s = _number_text(s)
        return sha1hex(s if type(s) is bytes else b"").encode()

    def _log(self, *args: Any) -> None:
        if len(args) < 2:
            raise TableError(self.error_table("ERR redis.log() requires two arguments or more."))
        level = _to_number(args[0])
        if level is None:
            raise TableError(self.error_table("ERR First argument must be a number (log level)."))
        level = int(level)
        if not 0 <= level <= 3:
            raise TableError(self.error_table("ERR Invalid debug level."))
        parts = [
            a if type(a) is bytes else _number_text(a)
            for a in args[1:]
            if type(a) in (bytes, int, float)
        ]
        log.log(_LOG_LEVELS[level], "%s", b" ".join(parts).decode("utf-8", "replace"))

    def _setresp(self, *args: Any) -> None:
        if self.current is None:
            raise TableError(
                self.error_table("ERR redis.setresp can only be called inside a script invocation")
            )
        if len(args) != 1:
            raise TableError(self.error_table("ERR redis.setresp() requires one argument."))
        resp = _to_number(args[0])
        if resp not in (2, 3):
            raise TableError(self.error_table("ERR RESP version must be 2 or 3."))
        self.current.resp3 = resp == 3
        self._set_script_resp(int(resp))

    def _set_repl(self, *args: Any) -> None:
        if self.current is None:
            raise TableError(
                self.error_table("ERR redis.set_repl can only be called inside a script invocation")
            )
        if len(args) != 1:
            raise TableError(self.error_table("ERR redis.set_repl() requires two arguments."))
        flags = int(_to_number(args[0]) or 0)
        if flags & ~3:
            raise TableError(
                self.error_table(
                    "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                    "REPL_NONE."
                )
            )
        self.current.repl_flags = flags

    def _acl_check(self, *args: Any) -> bool:
        run = self.current
        if run is None:
            raise TableError(
                self.error_table(
                    "ERR redis.acl_check_cmd can only be called inside a script invocation"
                )
            )
        argv = self._argv(args)
        if isinstance(argv, str):
            raise TableError(self.error_table(argv))
        allowed = run.acl_check(argv)
        if allowed is None:
            raise TableError(
                self.error_table("ERR Invalid command passed to redis.acl_check_cmd()")
            )
        return allowed

    # -- math.random (rand48) ----------------------------------------------------------------
    def _random(self, *args: Any) -> Any:
        r = self.rand.random()
        if not args:
            return r
        if len(args) > 2:
            raise MessageError(self._where() + b"wrong number of arguments")
        bounds = []
        for i, a in enumerate(args, 1):
            n = _to_number(a)
            if n is None:
                raise MessageError(
                    self._where()
                    + b"bad argument #%d to 'random' (number expected, got %b)"
                    % (i, codecs.lua_type_name(a))
                )
            bounds.append(int(n))
        if len(bounds) == 1:
            if bounds[0] < 1:
                raise MessageError(
                    self._where() + b"bad argument #1 to 'random' (interval is empty)"
                )
            return math.floor(r * bounds[0]) + 1
        low, high = bounds
        if low > high:
            raise MessageError(self._where() + b"bad argument #2 to 'random' (interval is empty)")
        return math.floor(r * (high - low + 1)) + low

    def _randomseed(self, *args: Any) -> None:
        n = _to_number(args[0]) if args else None
        if n is None:
            got = codecs.lua_type_name(args[0]) if args else b"no value"
            raise MessageError(
                self._where() + b"bad argument #1 to 'randomseed' (number expected, got %b)" % got
            )
        self.rand.seed(int(n))

    # -- conversions -----------------------------------------------------------------------
    def error_table(self, text: str) -> Any:
        """The {err = "CODE message"} table redis.pcall returns for an error."""
        text = text.strip("\r\n")
        return self.lua.table_from({b"err": text.encode("utf-8", "surrogateescape")})

    def to_lua(self, value: Any, resp3: bool) -> Any:
        """A command's reply as the Lua value redis.call returns (redisProtocolToLuaType)."""
        t = type(value)
        if t is bytes or t is int:
            return value
        if value is None or value is wire.NULL_ARRAY:
            return None if resp3 else False
        table = self.lua.table_from
        if t is wire.Simple:
            return table({b"ok": bytes(value)})
        if t is list or t is tuple or t is wire.Push:
            return table([self.to_lua(v, resp3) for v in value])
        if t is bool:
            return value if resp3 else int(value)
        if t is float:
            if resp3:
                return table({b"double": value})
            return wire.format_double(value)
        if t is dict:
            if resp3:
                inner = {self.to_lua(k, resp3): self.to_lua(v, resp3) for k, v in value.items()}
                return table({b"map": table(inner)})
            flat = []
            for k, v in value.items():
                flat += [self.to_lua(k, resp3), self.to_lua(v, resp3)]
            return table(flat)
        if t is set or t is frozenset:
            if resp3:
                return table({b"set": table({self.to_lua(k, resp3): True for k in value})})
            return table([self.to_lua(v, resp3) for v in value])
        if t is wire.Verbatim:
            if resp3:
                return table(
                    {b"verbatim_string": table({b"format": b"txt", b"string": bytes(value)})}
                )
            return bytes(value)
        if t is wire.Raw:
            return self.to_lua(wire.decode_reply(bytes(value)), resp3)
        if t is wire.BigNumber:
            return table({b"big_number": bytes(value)}) if resp3 else bytes(value)
        if isinstance(value, RedisError):
            return self.error_table(f"{value.code} {value.message}")
        if isinstance(value, bytes):
            return bytes(value)
        if isinstance(value, int):
            return int(value)
        return None


class ScriptError(RedisError):
    """An error a script answers with, sent exactly as the script worded it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        code, _, message = text.partition(" ")
        super().__init__(code, message)
        self.text = text

    def encode(self) -> bytes:
        return b"-" + self.text.encode("utf-8", "surrogateescape") + b"\r\n"


def error_from_text(text: str) -> RedisError:
    """An error reply text ("CODE message ...") as a RedisError."""
    return ScriptError(text)


# -- helpers ------------------------------------------------------------------------------------
def _decode(message: Any) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", "surrogateescape")
    return str(message)


def _lua_string(v: Any) -> bytes | None:
    """lua_isstring + lua_tostring: strings, and numbers as Lua prints them."""
    if type(v) is bytes:
        return v
    if type(v) in (int, float):
        return _number_text(v)
    return None


def _is_function(v: Any) -> bool:
    return lua_type(v) == "function" or (lua_type(v) is None and callable(v))


def _text(message: Any) -> bytes:
    return message if isinstance(message, bytes) else str(message).encode()


def _to_number(v: Any) -> float | int | None:
    """lua_tonumber: numbers, and strings that read as numbers."""
    if type(v) in (int, float):
        return v
    if type(v) is bytes:
        try:
            text = v.strip()
            return int(text, 16) if text.lower().startswith(b"0x") else float(text)
        except ValueError:
            return None
    return None


def _number_text(n: int | float) -> bytes:
    """Lua's tostring of a number (LUA_NUMBER_FMT "%.14g")."""
    return b"%.14g" % n
