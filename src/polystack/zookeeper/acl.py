"""ACLs and the built-in authentication providers (world, auth, digest, ip, super)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress

from .defs import Perms
from .errors import Code, ZKError
from .wire import ACL, Id

ANYONE_ID_UNSAFE = Id("world", "anyone")
OPEN_ACL_UNSAFE: tuple[ACL, ...] = (ACL(int(Perms.ALL), ANYONE_ID_UNSAFE),)
READ_ACL_UNSAFE: tuple[ACL, ...] = (ACL(int(Perms.READ), ANYONE_ID_UNSAFE),)

SCHEMES = ("world", "digest", "ip", "auth", "super")
_AUTHENTICATED = {"digest": True, "ip": False, "super": True, "world": False}

# the two ACLs every tree starts with are the shared copies, so that ``check_acl`` can tell the
# world-open ACL by identity
_interned: dict[tuple[ACL, ...], tuple[ACL, ...]] = {
    OPEN_ACL_UNSAFE: OPEN_ACL_UNSAFE,
    READ_ACL_UNSAFE: READ_ACL_UNSAFE,
}


def intern_acl(acl: list[ACL] | tuple[ACL, ...]) -> tuple[ACL, ...]:
    """Share equal ACL lists between znodes (ZooKeeper's ReferenceCountedACLCache)."""
    t = tuple(acl)
    return _interned.setdefault(t, t)


def generate_digest(id_password: str) -> str:
    """DigestAuthenticationProvider.generateDigest: ``user:base64(sha1(user:password))``."""
    user = id_password.split(":", 1)[0]
    digest = hashlib.sha1(id_password.encode("utf-8")).digest()
    return user + ":" + base64.b64encode(digest).decode("ascii")


def is_valid_id(scheme: str, ident: str) -> bool:
    if scheme == "digest":
        return len(ident.split(":")) == 2 and not ident.endswith(":")
    if scheme == "ip":
        return _parse_ip(ident) is not None
    if scheme == "world":
        return ident == "anyone"
    if scheme == "super":
        return True
    return False


def _parse_ip(spec: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return None


def ip_matches(client: str, spec: str) -> bool:
    net = _parse_ip(spec)
    if net is None:
        return False
    try:
        return ipaddress.ip_address(client) in net
    except ValueError:
        return False


def matches(scheme: str, auth_id: str, acl_id: str) -> bool:
    if scheme == "ip":
        return ip_matches(auth_id, acl_id)
    return auth_id == acl_id


# id(request ACL tuple) -> (that tuple, its fixed-up form); the tuples come from the decoder's
# cache and stay alive in this dict, so an id is never reused while its entry exists
_FIXED: dict[int, tuple[tuple[ACL, ...], tuple[ACL, ...]]] = {}


def fixup_acl(path: str, auth_info: list[Id], acls) -> tuple[ACL, ...]:
    """PrepRequestProcessor.fixupACL: validate, drop duplicates, expand ``auth`` ids."""
    if type(acls) is tuple:
        entry = _FIXED.get(id(acls))
        if entry is not None and entry[0] is acls:
            return entry[1]
        fixed = _fixup(path, auth_info, acls)
        if not any(a.id.scheme == "auth" for a in acls) and len(_FIXED) < 1024:
            _FIXED[id(acls)] = (acls, fixed)
        return fixed
    return _fixup(path, auth_info, acls)


def _fixup(path: str, auth_info: list[Id], acls) -> tuple[ACL, ...]:
    uniq: list[ACL] = []
    for a in acls or ():
        if a not in uniq:
            uniq.append(a)
    if not uniq:
        raise ZKError(Code.INVALIDACL, path)
    out: list[ACL] = []
    for a in uniq:
        scheme = a.id.scheme
        if scheme == "world" and a.id.id == "anyone":
            out.append(a)
        elif scheme == "auth":
            valid = False
            for cid in auth_info:
                if _AUTHENTICATED.get(cid.scheme, False):
                    valid = True
                    out.append(ACL(a.perms, cid))
            if not valid:
                raise ZKError(Code.INVALIDACL, path)
        else:
            if scheme not in ("digest", "ip", "world") or not is_valid_id(scheme, a.id.id):
                raise ZKError(Code.INVALIDACL, path)
            out.append(a)
    return intern_acl(out)


def check_acl(
    acl: tuple[ACL, ...], perm: int, auth_info: list[Id], path: str | None = None
) -> None:
    """ZooKeeperServer.checkACL: raise NoAuth unless one entry grants ``perm`` to the caller."""
    if acl is OPEN_ACL_UNSAFE or not acl:  # world:anyone with every permission
        return
    for aid in auth_info:
        if aid.scheme == "super":
            return
    for a in acl:
        if a.perms & perm:
            ident = a.id
            if ident.scheme == "world" and ident.id == "anyone":
                return
            for aid in auth_info:
                if aid.scheme == ident.scheme and matches(aid.scheme, aid.id, ident.id):
                    return
    raise ZKError(Code.NOAUTH, path)


def redact(acl: tuple[ACL, ...]) -> list[ACL]:
    """getACL without ADMIN: digest ids show ``user:x``."""
    out: list[ACL] = []
    for a in acl:
        if a.id.scheme == "digest":
            user = a.id.id.split(":", 1)[0]
            out.append(ACL(a.perms, Id("digest", user + ":x")))
        else:
            out.append(a)
    return out
