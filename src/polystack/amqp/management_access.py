"""The management API's routes for virtual hosts, users, permissions and definitions
(export and import), registered into management_http's route table.
"""

from __future__ import annotations

from . import definitions as D
from . import rates as R
from .auth import HASHING_ALGORITHM, hash_password
from .management_format import format_permission, format_user, format_vhost
from .management_http import (
    HttpError,
    Management,
    Request,
    Response,
    json_response,
    not_found,
    route,
)

# -- vhosts, users, permissions -----------------------------------------------------------------------


@route("GET", "/api/vhosts")
def list_vhosts(m: Management, req: Request) -> Response:
    totals = R.vhost_totals(m.broker)
    return json_response([format_vhost(m, v, totals) for v in m.vhosts_for(req)])


@route("GET", "/api/vhosts/{vhost}")
def get_vhost(m: Management, req: Request) -> Response:
    return json_response(format_vhost(m, m.vhosts_for(req)[0]))


@route("PUT", "/api/vhosts/{vhost}", admin=True)
def put_vhost(m: Management, req: Request) -> Response:
    body = req.json()
    name = req.params["vhost"]
    existed = name in m.broker.vhosts
    tags = body.get("tags", [])
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    v = m.broker.add_vhost(name, body.get("description", ""), tags)
    if existed:
        v.description = body.get("description", v.description)
        v.tags = tags
    return Response(204 if existed else 201)


@route("DELETE", "/api/vhosts/{vhost}", admin=True)
def delete_vhost(m: Management, req: Request) -> Response:
    if req.params["vhost"] not in m.broker.vhosts:
        raise not_found()
    m.broker.delete_vhost(req.params["vhost"])
    return Response(204)


@route("GET", "/api/vhosts/{vhost}/permissions", admin=True)
def vhost_permissions(m: Management, req: Request) -> Response:
    v = m.vhost(req.params["vhost"])
    return json_response(
        [format_permission(p) for p in m.broker.permissions.values() if p.vhost == v.name]
    )


@route("GET", "/api/users", admin=True)
def list_users(m: Management, req: Request) -> Response:
    return json_response([format_user(u) for u in m.broker.users.values()])


@route("GET", "/api/users/{user}", admin=True)
def get_user(m: Management, req: Request) -> Response:
    u = m.broker.users.get(req.params["user"])
    if u is None:
        raise not_found()
    return json_response(format_user(u))


@route("PUT", "/api/users/{user}", admin=True)
def put_user(m: Management, req: Request) -> Response:
    body = req.json()
    name = req.params["user"]
    existed = name in m.broker.users
    tags = body.get("tags", "")
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if "password" in body:
        pw_hash = hash_password(str(body["password"]))
    elif "password_hash" in body:
        algo = body.get("hashing_algorithm", HASHING_ALGORITHM)
        if algo != HASHING_ALGORITHM:
            raise HttpError(400, "bad_request", f"unsupported hashing algorithm: {algo}")
        pw_hash = body["password_hash"]
    elif existed:
        pw_hash = m.broker.users[name].password_hash
    else:
        raise HttpError(400, "bad_request", "key_missing: password or password_hash")
    m.broker.put_user(name, pw_hash, tags)
    return Response(204 if existed else 201)


@route("DELETE", "/api/users/{user}", admin=True)
def delete_user(m: Management, req: Request) -> Response:
    if req.params["user"] not in m.broker.users:
        raise not_found()
    m.broker.delete_user(req.params["user"])
    return Response(204)


@route("GET", "/api/users/{user}/permissions", admin=True)
def user_permissions(m: Management, req: Request) -> Response:
    if req.params["user"] not in m.broker.users:
        raise not_found()
    return json_response([format_permission(p) for p in m.broker.permissions.values()
                  if p.user == req.params["user"]])  # fmt: skip


@route("GET", "/api/permissions", admin=True)
def list_permissions(m: Management, req: Request) -> Response:
    return json_response([format_permission(p) for p in m.broker.permissions.values()])


@route("GET", "/api/permissions/{vhost}/{user}", admin=True)
def get_permission(m: Management, req: Request) -> Response:
    p = m.broker.permissions.get((req.params["user"], req.params["vhost"]))
    if p is None:
        raise not_found()
    return json_response(format_permission(p))


@route("PUT", "/api/permissions/{vhost}/{user}", admin=True)
def put_permission(m: Management, req: Request) -> Response:
    vhost, user = req.params["vhost"], req.params["user"]
    if vhost not in m.broker.vhosts:
        raise HttpError(400, "bad_request", "vhost_or_user_not_found")
    if user not in m.broker.users:
        raise HttpError(400, "bad_request", "vhost_or_user_not_found")
    body = req.json()
    for key in ("configure", "write", "read"):
        if key not in body:
            raise HttpError(400, "bad_request", f"key_missing: {key}")
    existed = (user, vhost) in m.broker.permissions
    m.broker.set_permissions(user, vhost, body["configure"], body["write"], body["read"])
    return Response(204 if existed else 201)


@route("DELETE", "/api/permissions/{vhost}/{user}", admin=True)
def delete_permission(m: Management, req: Request) -> Response:
    if (req.params["user"], req.params["vhost"]) not in m.broker.permissions:
        raise not_found()
    m.broker.clear_permissions(req.params["user"], req.params["vhost"])
    return Response(204)


@route("GET", "/api/definitions", admin=True)
def definitions(m: Management, req: Request) -> Response:
    return json_response(D.export(m.broker))


@route("GET", "/api/definitions/{vhost}", admin=True)
def vhost_definitions(m: Management, req: Request) -> Response:
    return json_response(D.export(m.broker, m.vhost(req.params["vhost"]).name))


@route("POST", "/api/definitions", admin=True)
def import_definitions(m: Management, req: Request) -> Response:
    return _import(m, req, None)


@route("POST", "/api/definitions/{vhost}", admin=True)
def import_vhost_definitions(m: Management, req: Request) -> Response:
    return _import(m, req, m.vhost(req.params["vhost"]).name)


def _import(m: Management, req: Request, vhost: str | None) -> Response:
    try:
        D.import_(m.broker, req.json(), vhost)
    except D.DefinitionsError as e:
        raise HttpError(400, "bad_request", str(e)) from None
    return Response(204)
