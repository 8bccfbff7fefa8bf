"""Sprig url.go (urlParse, urlJoin) over Go's net/url rules, plus
getHostByName (network.go)."""

from __future__ import annotations

import secrets
import socket
from typing import Any
from urllib.parse import quote, unquote

from polystack.helm.funcs.sprig._conv import GoError
from polystack.helm.golang.types import kind_of, signature

_PATH_SAFE = "/:@$&+,;="
_HEXDIGITS = "0123456789abcdefABCDEF"
_USERINFO_OK = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:~!$&'()*+,;=%@"
)


def _check_escapes(s: str) -> str | None:
    """The first invalid %-escape of ``s`` (Go's unescape error), if any."""
    i = s.find("%")
    while i >= 0:
        if len(s) < i + 3 or s[i + 1] not in _HEXDIGITS or s[i + 2] not in _HEXDIGITS:
            return s[i : i + 3]
        i = s.find("%", i + 3)
    return None


def _userinfo_string(raw: str) -> str:
    """url.Userinfo.String() of a parsed userinfo (re-escaped)."""
    user, sep, pw = raw.partition(":")
    out = quote(unquote(user), safe="$&+,;=")
    if sep:
        out += ":" + quote(unquote(pw), safe="$&+,;=")
    return out


_FRAG_SAFE = "$&+,/:;=?@!()*"


def _split(u: str) -> dict[str, str]:
    """net/url.Parse, the parts Sprig reads."""
    whole = u
    frag = ""
    if "#" in u:
        u, frag = u.split("#", 1)
    nofrag = u
    rest = u
    scheme = ""
    for i, c in enumerate(rest):
        if c.isalpha() and c.isascii():
            continue
        if i > 0 and (c.isdigit() or c in "+-."):
            continue
        if c == ":" and i > 0:
            scheme, rest = rest[:i].lower(), rest[i + 1 :]
        elif c == ":":
            raise GoError(f'unable to parse url: parse "{u}": missing protocol scheme')
        break
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
    opaque = host = userinfo = ""
    path = rest
    if scheme and not rest.startswith("/"):
        opaque, path = rest, ""
    elif rest.startswith("//") and (scheme or True):
        auth = rest[2:]
        i = auth.find("/")
        auth, path = (auth, "") if i < 0 else (auth[:i], auth[i:])
        if "@" in auth:
            userinfo, host = auth.rsplit("@", 1)
        else:
            host = auth
    if not scheme and not rest.startswith("/") and ":" in rest.split("/", 1)[0] and not opaque:
        raise GoError(
            f'unable to parse url: parse "{nofrag}": first path segment in URL cannot contain colon'
        )
    if userinfo and any(ch not in _USERINFO_OK for ch in userinfo):
        raise GoError(f'unable to parse url: parse "{nofrag}": net/url: invalid userinfo')
    for part, src in ((host, nofrag), (path, nofrag), (frag, whole)):
        bad = _check_escapes(part)
        if bad is not None:
            raise GoError(f'unable to parse url: parse "{src}": invalid URL escape "{bad}"')
    if userinfo:
        userinfo = _userinfo_string(userinfo)
    host = unquote(host)
    hostname = host
    if hostname.startswith("["):
        hostname = hostname[1 : hostname.find("]")] if "]" in hostname else hostname[1:]
    elif ":" in hostname:
        hostname = hostname.rsplit(":", 1)[0]
    return {
        "scheme": scheme,
        "host": host,
        "hostname": hostname,
        "path": unquote(path),
        "query": query,
        "opaque": opaque,
        "fragment": unquote(frag),
        "userinfo": userinfo,
    }


@signature("string")
def url_parse(v: str) -> dict[str, Any]:
    return dict(_split(v))


def _get(d: dict[str, Any] | None, key: str) -> str:
    if d is None or key not in d:
        return ""
    v = d[key]
    if not isinstance(v, str):
        raise GoError(f"unable to parse {key} key, must be of type string, but {kind_of(v)} found")
    return v


@signature("map[string]interface {}")
def url_join(d: dict[str, Any]) -> str:
    scheme, host, path = _get(d, "scheme"), _get(d, "host"), _get(d, "path")
    query, opaque, frag = _get(d, "query"), _get(d, "opaque"), _get(d, "fragment")
    user = _get(d, "userinfo")
    if user:
        try:
            user = _split(f"proto://{user}@host")["userinfo"]
        except GoError as e:
            msg = str(e).removeprefix("unable to parse url: ")
            raise GoError(f"unable to parse userinfo in dict: {msg}") from None
    out = []
    if scheme:
        out.append(scheme + ":")
    if opaque:
        out.append(opaque)
    else:
        if scheme or host or user:
            if host or path or user:
                out.append("//")
            if user:
                out.append(user + "@")
            if host:
                out.append(host)
        p = quote(path, safe=_PATH_SAFE)
        if p and p[0] != "/" and host:
            out.append("/")
        if not out and ":" in p.split("/", 1)[0]:
            out.append("./")
        out.append(p)
    if query:
        out.append("?" + query)
    if frag:
        out.append("#" + quote(frag, safe=_FRAG_SAFE))
    return "".join(out)


@signature("string")
def get_host_by_name(name: str) -> str:
    """net.LookupHost then a random address.  Without a resolver answer Go's
    ``rand.Intn(0)`` panics, which is what this reports too."""
    try:
        infos = socket.getaddrinfo(name, None)
    except (OSError, UnicodeError):
        infos = []
    addrs: list[str] = []
    for info in infos:
        a = str(info[4][0])
        if a not in addrs:
            addrs.append(a)
    if not addrs:
        raise GoError("invalid argument to Intn")
    return addrs[secrets.randbelow(len(addrs))]


FUNCS = {"urlParse": url_parse, "urlJoin": url_join, "getHostByName": get_host_by_name}
