"""The Lua side of the scripting engine: the sandbox Redis 7.0 gives scripts, the error
handler, Redis 7's ``pcall`` and the conversion of a script's result into RESP.

It runs once per Lua state as the chunk ``=polystack`` and receives a table of Python
callables.  The API functions scripts call (``redis.call``, ``cjson.encode``, ``bit.band``
...) are those Python callables: to Lua they are C functions, so a failing call reports the
script's own line even when the script tail-calls it (``return redis.call(...)``), as Redis's C
functions do; ``type()`` and ``tostring()`` show them as functions.  A callable fails by
raising a Python exception carrying either a Lua error table (``redis.call``) or a message
already prefixed with the script's position (library errors, as ``luaL_error`` words them);
the error handler and ``pcall`` unwrap it.

Readonly tables: Redis 7.0 patches its Lua VM so that the globals and every library table
refuse writes (``Attempt to modify a readonly table``).  Plain Lua 5.1 has no such flag, so
scripts see each protected table through an empty proxy whose metatable reads from the real
table and refuses writes; ``rawget``, ``rawset``, ``next``, ``pairs``, ``getmetatable`` and
``setmetatable`` see through the proxies (or refuse) as Redis's do.  The scripts' globals are
their own table: Lua's real globals stay untouched for the host.
"""

PRELUDE = r"""
local py = ...
local G = _G
local type, tostring, error, select, rawget, rawset, next, pairs, ipairs, unpack =
      type, tostring, error, select, rawget, rawset, next, pairs, ipairs, unpack
local setmetatable, getmetatable, xpcall, pcall, loadstring, setfenv, load =
      setmetatable, getmetatable, xpcall, pcall, loadstring, setfenv, load
local concat, format, gsub, huge = table.concat, string.format, string.gsub, math.huge
local dbg = debug
local unwrap_error = py.unwrap_error
local functions_mode = py.functions  -- the FUNCTION engine's state, not EVAL's

G.python = nil  -- lupa's bridge is never reachable from Lua

-- The scripts' globals: what Redis 7.0.15 gives scripts (its allow list, less getfenv,
-- setfenv and newproxy), in a table of their own.
local S = {}
for _, name in ipairs({"xpcall", "tostring", "setmetatable", "next", "assert", "tonumber",
                       "rawequal", "collectgarbage", "getmetatable", "rawset", "pcall",
                       "coroutine", "type", "select", "unpack", "gcinfo", "pairs", "rawget",
                       "loadstring", "ipairs", "_VERSION", "load", "error", "string",
                       "table"}) do
  S[name] = G[name]
end
for _, name in ipairs({"math", "cjson", "struct", "cmsgpack", "bit", "redis"}) do
  S[name] = py.libs[name]
end

-- Python callables are C functions to Lua: show them as functions.
local api = py.api  -- set of the callables
S.type = function(v)
  local t = type(v)
  if t == "userdata" and api[v] then return "function" end
  return t
end
S.tostring = function(v)
  if type(v) == "userdata" and api[v] then return api[v] end
  return tostring(v)
end

-- -- readonly proxies ------------------------------------------------------------------
local RO = "Attempt to modify a readonly table"
local real_of = setmetatable({}, {__mode = "k"})   -- proxy -> real table
local shown_mt = setmetatable({}, {__mode = "k"})  -- proxy -> what getmetatable answers
local function refuse() error(RO, 2) end

local function readonly(t, mt_view)
  local proxy = {}
  real_of[proxy] = t
  shown_mt[proxy] = mt_view
  setmetatable(proxy, {__index = t, __newindex = refuse, __metatable = false})
  return proxy
end

local function unwrap(t) return real_of[t] or t end

S.rawget = function(t, k) return rawget(unwrap(t), k) end
S.next = function(t, k) return next(unwrap(t), k) end
S.pairs = function(t)
  if real_of[t] then return next, real_of[t], nil end
  return pairs(t)
end
S.ipairs = function(t) return ipairs(unwrap(t)) end
S.getmetatable = function(t)
  if real_of[t] then return shown_mt[t] end
  return getmetatable(t)
end
-- rawset and setmetatable refuse from Python (a C frame, like Redis's patched VM), so the
-- error reports the script's line even when the script tail-calls them.
function py.is_readonly(t) return real_of[t] ~= nil end
py.rawset, py.setmetatable = rawset, setmetatable
S.rawset = py.libs.rawset
S.setmetatable = py.libs.setmetatable
local env  -- the proxy the scripts' functions see as their globals
S.loadstring = function(...)
  local fn, err = loadstring(...)
  if fn then setfenv(fn, env) end
  return fn, err
end
S.load = function(...)
  local fn, err = load(...)
  if fn then setfenv(fn, env) end
  return fn, err
end

-- -- errors ---------------------------------------------------------------------------------
-- The error object of a failed Python callable: its Lua error table, or its message.
local function from_python(err)
  if type(err) == "userdata" then
    local value = unwrap_error(err)
    if value ~= nil then return value end
  end
  return err
end

-- eval.c's __redis__err__handler: the error as a table, with the script line it came from
-- (C frames and this chunk's frames are skipped, as Redis skips its C functions).
local function handler(err)
  local level = 2
  local i = dbg.getinfo(level, "nSl")
  while i and (i.what == "C" or i.source == "=polystack") do
    level = level + 1
    i = dbg.getinfo(level, "nSl")
  end
  err = from_python(err)
  if type(err) ~= "table" then
    err = {err = "ERR " .. tostring(err)}
  end
  if i then
    err["source"] = i.source
    err["line"] = i.currentline
  end
  return err
end
if not functions_mode then S.__redis__err__handler = handler end

-- Redis 7's pcall hands back an error table's message, not the table.
local function pcall_result(ok, ...)
  if not ok then
    local e = from_python((...))
    if type(e) == "table" then
      local m = e.err
      if type(m) == "string" or type(m) == "number" then return false, m end
    end
    return false, e
  end
  return ok, ...
end
S.pcall = function(f, ...) return pcall_result(pcall(f, ...)) end

-- A library error as luaL_error words it: the message after the calling line's position.
function py.where()
  local level = 3
  local i = dbg.getinfo(level, "Sl")
  while i and (i.what == "C" or i.source == "=polystack") do
    level = level + 1
    i = dbg.getinfo(level, "Sl")
  end
  if i and i.currentline > 0 then return i.short_src .. ":" .. i.currentline .. ": " end
  return ""
end

-- -- the redis table's Lua parts -----------------------------------------------------------
local redis = S.redis
-- luaPushErrorBuff: "-CODE message" -> {err = "CODE message"}; no code reads as ERR
local function error_table(e)
  local sp = e:find(" ", 1, true)
  local code, msg
  if sp then code, msg = e:sub(2, sp - 1), e:sub(sp + 1) else code, msg = "ERR", e:sub(2) end
  msg = gsub(gsub(msg, "^[\r\n]+", ""), "[\r\n]+$", "")
  return {err = code .. " " .. msg}
end
redis.error_reply = function(...)
  local n, e = select("#", ...), ...
  if n ~= 1 or type(e) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  if e:sub(1, 1) ~= "-" then e = "-" .. e end
  return error_table(e)
end
redis.status_reply = function(...)
  local n, s = select("#", ...), ...
  if n ~= 1 or type(s) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  return {ok = s}
end
if not functions_mode then  -- eval.c adds these; the FUNCTION engine has none of them
  redis.replicate_commands = function() return true end
  redis.breakpoint = function() return false end
  redis.debug = function() end
end

-- -- the script's result as RESP (script_lua.c's luaReplyToRedisReply) ------------------
local script_resp = 2
function py.set_script_resp(n) script_resp = n end
local LLONG_MIN = "-9223372036854775808"
local function int_text(n)
  if n ~= n or n >= 9223372036854775808 or n < -9223372036854775808 then return LLONG_MIN end
  return format("%d", n)
end
local function double_text(d, resp3)
  if d == huge then return resp3 and ",inf\r\n" or "$3\r\ninf\r\n" end
  if d == -huge then return resp3 and ",-inf\r\n" or "$4\r\n-inf\r\n" end
  local s = format("%.17g", d)
  if resp3 then return "," .. s .. "\r\n" end
  return "$" .. #s .. "\r\n" .. s .. "\r\n"
end
local function flat(s) return (gsub(s, "[\r\n]", " ")) end

local to_resp
to_resp = function(v, out, caller3)
  local t = type(v)
  if t == "string" then
    out[#out + 1] = "$" .. #v .. "\r\n" .. v .. "\r\n"
  elseif t == "boolean" then
    if script_resp == 2 then
      if v then out[#out + 1] = ":1\r\n" else out[#out + 1] = caller3 and "_\r\n" or "$-1\r\n" end
    elseif caller3 then
      out[#out + 1] = v and "#t\r\n" or "#f\r\n"
    else
      out[#out + 1] = v and ":1\r\n" or ":0\r\n"
    end
  elseif t == "number" then
    out[#out + 1] = ":" .. int_text(v) .. "\r\n"
  elseif t == "table" then
    local f = rawget(v, "err")
    if type(f) == "string" then out[#out + 1] = "-" .. flat(f) .. "\r\n" return end
    f = rawget(v, "ok")
    if type(f) == "string" then out[#out + 1] = "+" .. flat(f) .. "\r\n" return end
    f = rawget(v, "double")
    if type(f) == "number" then out[#out + 1] = double_text(f, caller3) return end
    f = rawget(v, "big_number")
    if type(f) == "string" then
      f = flat(f)
      out[#out + 1] = caller3 and ("(" .. f .. "\r\n") or ("$" .. #f .. "\r\n" .. f .. "\r\n")
      return
    end
    f = rawget(v, "verbatim_string")
    if type(f) == "table" then
      local fmt, s = rawget(f, "format"), rawget(f, "string")
      if type(fmt) == "string" and type(s) == "string" then
        if caller3 then
          out[#out + 1] = "=" .. (#s + 4) .. "\r\n" .. fmt:sub(1, 3) .. ":" .. s .. "\r\n"
        else
          out[#out + 1] = "$" .. #s .. "\r\n" .. s .. "\r\n"
        end
        return
      end
    end
    f = rawget(v, "map")
    if type(f) == "table" then
      local parts, n = {}, 0
      for k, val in next, f do
        to_resp(k, parts, caller3)
        to_resp(val, parts, caller3)
        n = n + 1
      end
      out[#out + 1] = (caller3 and ("%" .. n) or ("*" .. 2 * n)) .. "\r\n"
      out[#out + 1] = concat(parts)
      return
    end
    f = rawget(v, "set")
    if type(f) == "table" then
      local parts, n = {}, 0
      for k in next, f do
        to_resp(k, parts, caller3)
        n = n + 1
      end
      out[#out + 1] = (caller3 and "~" or "*") .. n .. "\r\n"
      out[#out + 1] = concat(parts)
      return
    end
    local parts, j = {}, 1
    while true do
      local item = rawget(v, j)
      if item == nil then break end
      to_resp(item, parts, caller3)
      j = j + 1
    end
    out[#out + 1] = "*" .. (j - 1) .. "\r\n"
    out[#out + 1] = concat(parts)
  else
    out[#out + 1] = caller3 and "_\r\n" or "$-1\r\n"
  end
end

-- -- running a script ------------------------------------------------------------------
local function error_text(err, funcname)
  local msg = err.err
  if type(msg) == "number" then msg = tostring(msg) end
  if type(msg) ~= "string" then msg = "(null)" end
  local source, line = err.source, err.line
  if type(line) == "number" then line = tostring(line) end
  if type(source) == "string" and type(line) == "string" then
    msg = msg .. " script: " .. funcname .. ", on " .. source .. ":" .. line .. "."
  end
  return flat(msg)
end

-- The count hook (luaMaskCountHook): every 100000 instructions the host may yield to its
-- event loop, or stop a killed script; once killed, it runs on every line so that a pcall
-- in the script cannot swallow the error.
local py_hook = py.hook
local function hook()
  local info = dbg.getinfo(2, "S")
  if info and info.source == "=polystack" then return end  -- not inside this chunk
  py_hook()
end
function py.hook_every_line() dbg.sethook(hook, "l") end

-- run(fn, funcname, caller3, keys, args, hook_count): 0, RESP | 1, error reply text |
-- 2, failure text
local function run(fn, funcname, caller3, keys, args, hook_count)
  script_resp = 2
  local ok, res
  if hook_count > 0 then dbg.sethook(hook, "", hook_count) end
  if keys then
    ok, res = xpcall(function() return fn(keys, args) end, handler)
  else
    ok, res = xpcall(fn, handler)
  end
  if hook_count > 0 then dbg.sethook() end
  if not ok then
    if type(res) ~= "table" then
      return 2, "Error running script " .. funcname .. ", " .. tostring(res):sub(1, 100)
    end
    return 2, error_text(res, funcname)
  end
  local t = type(res)
  if t == "number" then return 0, ":" .. int_text(res) .. "\r\n" end  -- (to_resp's, inline)
  if t == "string" then return 0, "$" .. #res .. "\r\n" .. res .. "\r\n" end
  if t == "table" and type(rawget(res, "err")) == "string" then
    return 1, flat(res.err)
  end
  local out = {}
  to_resp(res, out, caller3)
  return 0, concat(out)
end

-- run_packed(fn, funcname, caller3, hook_count, as_function, nkeys, key..., arg...): run
-- with KEYS and ARGV built here from the arguments (one crossing from the host, not five)
function py.run_packed(fn, funcname, caller3, hook_count, as_function, nkeys, ...)
  local keys, args
  if nkeys == 0 then
    keys, args = {}, {...}
  elseif nkeys == 1 then  -- (the usual call: no table of all the arguments first)
    if select("#", ...) == 2 then  -- (one key, one argument: no select(2, ...) either)
      local k, a = ...
      keys, args = {k}, {a}
    else
      keys, args = {(...)}, {select(2, ...)}
    end
  else
    local all = {...}
    keys, args = {}, {}
    for i = 1, nkeys do keys[i] = all[i] end
    for i = nkeys + 1, select("#", ...) do args[i - nkeys] = all[i] end
  end
  if as_function then return run(fn, funcname, caller3, keys, args, hook_count) end
  S.KEYS = keys
  S.ARGV = args
  return run(fn, funcname, caller3, nil, nil, hook_count)
end

-- compile(source, chunkname): the function (in the scripts' environment), or nil and
-- Lua's message
local function compile(source, chunkname)
  local fn, err = loadstring(source, chunkname)
  if not fn then return nil, err end
  setfenv(fn, env)
  return fn, nil
end

-- Make the globals and every library table readonly for scripts.
for _, name in ipairs({"string", "table", "math", "coroutine", "cjson", "struct", "cmsgpack",
                       "bit", "redis"}) do
  S[name] = readonly(S[name], nil)
end
local function missing(t, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
env = readonly(S, readonly({__index = missing}, nil))
S._G = env
setmetatable(S, {__index = missing})

-- -- FUNCTION libraries (function_lua.c) --------------------------------------------------
-- A library's code runs with its own globals table (readonly, empty): while FUNCTION LOAD
-- runs the code they read from the library API (redis.register_function, redis.log and
-- the constants, nothing else); afterwards, when its functions run, from the scripts'
-- globals.  Locals of the library's chunk stay shared by its functions.
local compile_lib, load_lib
if functions_mode then
  local lib_redis = py.lib_redis
  setmetatable(lib_redis, {__index = missing})
  local lib = {redis = readonly(lib_redis, nil)}
  setmetatable(lib, {__index = missing})
  local library_api = readonly(lib, nil)
  local umt = {__index = env, __newindex = refuse, __metatable = false}
  local user_globals = setmetatable({}, umt)

  compile_lib = function(source, chunkname)
    local fn, err = loadstring(source, chunkname)
    if not fn then return nil, err end
    setfenv(fn, user_globals)
    return fn, nil
  end

  local py_load_hook = py.load_hook
  local function load_hook()
    local info = dbg.getinfo(2, "S")
    if info and info.source == "=polystack" then return end
    py_load_hook()
  end
  function py.load_hook_every_line() dbg.sethook(load_hook, "l") end

  -- load_lib(fn, hook_count): nil, or the error text luaExtractErrorInformation makes
  load_lib = function(fn, hook_count)
    umt.__index = library_api
    if hook_count > 0 then dbg.sethook(load_hook, "", hook_count) end
    local ok, err = pcall(fn)
    dbg.sethook()
    umt.__index = env
    if ok then return nil end
    err = from_python(err)
    local t = type(err)
    if t == "string" or t == "number" then return "ERR " .. err end
    if t == "table" then
      local m = err.err
      if type(m) == "string" or type(m) == "number" then return tostring(m) end
    end
    return "(null)"
  end
end

return run, compile, S, env, compile_lib, load_lib
"""
