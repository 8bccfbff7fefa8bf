"""``polystack amqp ...``: what ``rabbitmqctl`` does, against a running broker's management API.

Commands take RabbitMQ's names with dashes or underscores (``add-user`` / ``add_user``) and print
what rabbitmqctl prints: an informational line ("Listing queues for vhost / ..."), then a
tab-separated table with a header (``--quiet`` drops the informational line,
``--no-table-headers`` the header).  Errors go to stderr with a non-zero exit status.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import click


class Api:
    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}/api/{path}", data=data, method=method)
        req.add_header("Authorization", self.auth)
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                reason = json.loads(raw).get("reason", raw.decode())
            except ValueError:
                reason = raw.decode("utf-8", "replace")
            raise click.ClickException(f"{reason} ({e.code})") from None
        except OSError as e:
            raise click.ClickException(
                f"could not reach the management API at {self.url}: {e}"
            ) from None
        return json.loads(raw) if raw else None


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class AliasGroup(click.Group):
    """``add_user`` finds ``add-user`` (rabbitmqctl's spelling)."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name.replace("_", "-"))


@click.group(name="amqp", cls=AliasGroup)
@click.option(
    "--url",
    "url",
    default="http://127.0.0.1:15672",
    show_default=True,
    envvar="POLYSTACK_AMQP_MANAGEMENT_URL",
    help="The broker's management API.",
)
@click.option("-u", "--username", default="guest", show_default=True)
@click.option("-p", "--password", default="guest", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No informational messages.")
@click.option("--no-table-headers", is_flag=True, help="No header line in tables.")
@click.pass_context
def amqp_group(ctx: click.Context, url: str, username: str, password: str, quiet: bool,
               no_table_headers: bool) -> None:  # fmt: skip
    """Administer the AMQP broker (what rabbitmqctl does): users, vhosts, permissions,
    queues, exchanges, bindings, connections."""
    ctx.obj = {"api": Api(url, username, password), "quiet": quiet, "headers": not no_table_headers}


def _info(ctx: click.Context, text: str) -> None:
    if not ctx.obj["quiet"]:
        click.echo(text)


def _table(ctx: click.Context, columns: list[str], rows: list[dict]) -> None:
    if ctx.obj["headers"]:
        click.echo("\t".join(columns))
    for r in rows:
        click.echo("\t".join(_cell(r.get(c)) for c in columns))


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _api(ctx: click.Context) -> Api:
    return ctx.obj["api"]


# -- users ---------------------------------------------------------------------------------------


@amqp_group.command("add-user")
@click.argument("username")
@click.argument("password")
@click.pass_context
def add_user(ctx: click.Context, username: str, password: str) -> None:
    """Create a user."""
    api = _api(ctx)
    _info(ctx, f'Adding user "{username}" ...')
    try:
        api.call("GET", f"users/{q(username)}")
    except click.ClickException:
        api.call("PUT", f"users/{q(username)}", {"password": password, "tags": ""})
        return
    raise click.ClickException(f'User "{username}" already exists')


@amqp_group.command("delete-user")
@click.argument("username")
@click.pass_context
def delete_user(ctx: click.Context, username: str) -> None:
    """Delete a user."""
    _info(ctx, f'Deleting user "{username}" ...')
    _api(ctx).call("DELETE", f"users/{q(username)}")


@amqp_group.command("change-password")
@click.argument("username")
@click.argument("password")
@click.pass_context
def change_password(ctx: click.Context, username: str, password: str) -> None:
    """Change a user's password."""
    api = _api(ctx)
    _info(ctx, f'Changing password for user "{username}" ...')
    user = api.call("GET", f"users/{q(username)}")
    api.call("PUT", f"users/{q(username)}", {"password": password, "tags": ",".join(user["tags"])})


@amqp_group.command("set-user-tags")
@click.argument("username")
@click.argument("tags", nargs=-1)
@click.pass_context
def set_user_tags(ctx: click.Context, username: str, tags: tuple[str, ...]) -> None:
    """Set a user's tags (administrator, monitoring, management, policymaker)."""
    api = _api(ctx)
    _info(ctx, f'Setting tags for user "{username}" to [{", ".join(tags)}] ...')
    user = api.call("GET", f"users/{q(username)}")
    api.call("PUT", f"users/{q(username)}",
             {"password_hash": user["password_hash"], "tags": ",".join(tags)})  # fmt: skip


@amqp_group.command("list-users")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """List users and their tags."""
    _info(ctx, "Listing users ...")
    rows = [{"user": u["name"], "tags": "[" + ", ".join(u["tags"]) + "]"}
            for u in _api(ctx).call("GET", "users")]  # fmt: skip
    _table(ctx, ["user", "tags"], rows)


# -- vhosts and permissions -------------------------------------------------------------------------


@amqp_group.command("add-vhost")
@click.argument("vhost")
@click.option("--description", default="")
@click.pass_context
def add_vhost(ctx: click.Context, vhost: str, description: str) -> None:
    """Create a virtual host."""
    _info(ctx, f'Adding vhost "{vhost}" ...')
    _api(ctx).call("PUT", f"vhosts/{q(vhost)}", {"description": description})


@amqp_group.command("delete-vhost")
@click.argument("vhost")
@click.pass_context
def delete_vhost(ctx: click.Context, vhost: str) -> None:
    """Delete a virtual host and everything in it."""
    _info(ctx, f'Deleting vhost "{vhost}" ...')
    _api(ctx).call("DELETE", f"vhosts/{q(vhost)}")


@amqp_group.command("list-vhosts")
@click.pass_context
def list_vhosts(ctx: click.Context) -> None:
    """List virtual hosts."""
    _info(ctx, "Listing vhosts ...")
    _table(ctx, ["name"], _api(ctx).call("GET", "vhosts"))


@amqp_group.command("set-permissions")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.argument("username")
@click.argument("configure")
@click.argument("write")
@click.argument("read")
@click.pass_context
def set_permissions(ctx: click.Context, vhost: str, username: str, configure: str, write: str,
                    read: str) -> None:  # fmt: skip
    """Set a user's configure/write/read permissions (regular expressions) in a vhost."""
    _info(ctx, f'Setting permissions for user "{username}" in vhost "{vhost}" ...')
    _api(ctx).call("PUT", f"permissions/{q(vhost)}/{q(username)}",
                   {"configure": configure, "write": write, "read": read})  # fmt: skip


@amqp_group.command("clear-permissions")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.argument("username")
@click.pass_context
def clear_permissions(ctx: click.Context, vhost: str, username: str) -> None:
    """Revoke a user's permissions in a vhost."""
    _info(ctx, f'Clearing permissions for user "{username}" in vhost "{vhost}" ...')
    _api(ctx).call("DELETE", f"permissions/{q(vhost)}/{q(username)}")


@amqp_group.command("list-permissions")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.pass_context
def list_permissions(ctx: click.Context, vhost: str) -> None:
    """List the permissions in a vhost."""
    _info(ctx, f'Listing permissions for vhost "{vhost}" ...')
    _table(ctx, ["user", "configure", "write", "read"],
           _api(ctx).call("GET", f"vhosts/{q(vhost)}/permissions"))  # fmt: skip


@amqp_group.command("list-user-permissions")
@click.argument("username")
@click.pass_context
def list_user_permissions(ctx: click.Context, username: str) -> None:
    """List a user's permissions in every vhost."""
    _info(ctx, f'Listing permissions for user "{username}" ...')
    _table(ctx, ["vhost", "configure", "write", "read"],
           _api(ctx).call("GET", f"users/{q(username)}/permissions"))  # fmt: skip


# -- queues, exchanges, bindings, connections -----------------------------------------------------------

QUEUE_COLUMNS = ("name", "messages", "messages_ready", "messages_unacknowledged", "consumers",
                 "durable", "auto_delete", "exclusive", "arguments", "type", "state", "memory")  # fmt: skip


@amqp_group.command("list-queues")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.argument("columns", nargs=-1)
@click.pass_context
def list_queues(ctx: click.Context, vhost: str, columns: tuple[str, ...]) -> None:
    """List queues (default columns: name messages)."""
    cols = list(columns) or ["name", "messages"]
    for c in cols:
        if c not in QUEUE_COLUMNS:
            raise click.ClickException(f"Info key not found: {c}")
    _info(ctx, f"Listing queues for vhost {vhost} ...")
    _table(ctx, cols, _api(ctx).call("GET", f"queues/{q(vhost)}"))


@amqp_group.command("list-exchanges")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.argument("columns", nargs=-1)
@click.pass_context
def list_exchanges(ctx: click.Context, vhost: str, columns: tuple[str, ...]) -> None:
    """List exchanges (default columns: name type)."""
    cols = list(columns) or ["name", "type"]
    _info(ctx, f"Listing exchanges for vhost {vhost} ...")
    _table(ctx, cols, _api(ctx).call("GET", f"exchanges/{q(vhost)}"))


@amqp_group.command("list-bindings")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.pass_context
def list_bindings(ctx: click.Context, vhost: str) -> None:
    """List bindings."""
    _info(ctx, f"Listing bindings for vhost {vhost}...")
    cols = ["source_name", "source_kind", "destination_name", "destination_kind", "routing_key",
            "arguments"]  # fmt: skip
    rows = [{"source_name": b["source"], "source_kind": "exchange",
             "destination_name": b["destination"], "destination_kind": b["destination_type"],
             "routing_key": b["routing_key"], "arguments": b["arguments"]}
            for b in _api(ctx).call("GET", f"bindings/{q(vhost)}")]  # fmt: skip
    _table(ctx, cols, rows)


@amqp_group.command("list-connections")
@click.argument("columns", nargs=-1)
@click.pass_context
def list_connections(ctx: click.Context, columns: tuple[str, ...]) -> None:
    """List client connections (default columns: user peer_host peer_port state)."""
    cols = list(columns) or ["user", "peer_host", "peer_port", "state"]
    _info(ctx, "Listing connections ...")
    _table(ctx, cols, _api(ctx).call("GET", "connections"))


@amqp_group.command("list-channels")
@click.pass_context
def list_channels(ctx: click.Context) -> None:
    """List channels."""
    _info(ctx, "Listing channels ...")
    rows = [{**c, "pid": c["name"]} for c in _api(ctx).call("GET", "channels")]
    _table(ctx, ["pid", "user", "consumer_count", "messages_unacknowledged"], rows)


@amqp_group.command("list-consumers")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.pass_context
def list_consumers(ctx: click.Context, vhost: str) -> None:
    """List consumers."""
    _info(ctx, f"Listing consumers in vhost {vhost} ...")
    rows = [{"queue_name": c["queue"]["name"], "channel_pid": c["channel_details"]["name"],
             "consumer_tag": c["consumer_tag"], "ack_required": c["ack_required"],
             "prefetch_count": c["prefetch_count"], "active": c["active"],
             "arguments": c["arguments"]}
            for c in _api(ctx).call("GET", f"consumers/{q(vhost)}")]  # fmt: skip
    _table(ctx, ["queue_name", "channel_pid", "consumer_tag", "ack_required", "prefetch_count",
                 "active", "arguments"], rows)  # fmt: skip


@amqp_group.command("purge-queue")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.argument("queue")
@click.pass_context
def purge_queue(ctx: click.Context, vhost: str, queue: str) -> None:
    """Remove every ready message from a queue."""
    _info(ctx, f"Purging queue '{queue}' in vhost '{vhost}' ...")
    _api(ctx).call("DELETE", f"queues/{q(vhost)}/{q(queue)}/contents")


@amqp_group.command("delete-queue")
@click.option("-p", "--vhost", default="/", show_default=True)
@click.option("--if-empty", is_flag=True)
@click.option("--if-unused", is_flag=True)
@click.argument("queue")
@click.pass_context
def delete_queue(ctx: click.Context, vhost: str, if_empty: bool, if_unused: bool,
                 queue: str) -> None:  # fmt: skip
    """Delete a queue."""
    _info(ctx, f"Deleting queue '{queue}' on vhost '{vhost}' ...")
    opts = [k for k, on in (("if-empty=true", if_empty), ("if-unused=true", if_unused)) if on]
    suffix = "?" + "&".join(opts) if opts else ""
    _api(ctx).call("DELETE", f"queues/{q(vhost)}/{q(queue)}{suffix}")


@amqp_group.command("close-connection")
@click.argument("name")
@click.argument("explanation", default="Closed via polystack amqp")
@click.pass_context
def close_connection(ctx: click.Context, name: str, explanation: str) -> None:
    """Close a client connection (its name as list-connections/the management API show it)."""
    _info(ctx, f'Closing connection "{name}", reason: {explanation}...')
    _api(ctx).call("DELETE", f"connections/{q(name)}")


@amqp_group.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """The broker's identity, totals and alarms."""
    api = _api(ctx)
    o = api.call("GET", "overview")
    n = api.call("GET", "nodes")[0]
    click.echo(f"Status of node {o['node']} ...")
    click.echo(f"RabbitMQ version: {o['rabbitmq_version']} (polystack)")
    for key, value in o["object_totals"].items():
        click.echo(f"{key}: {value}")
    click.echo(f"messages: {o['queue_totals']['messages']}")
    click.echo(f"memory alarm: {'on' if n['mem_alarm'] else 'off'}")
    sys.stdout.flush()
