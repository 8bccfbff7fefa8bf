"""``polystack amqp ...`` (rabbitmqctl's commands) against a running broker."""

from __future__ import annotations

import uuid

import pika
from click.testing import CliRunner

from polystack.cli import main


def run(mport: int, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["amqp", "--url", f"http://127.0.0.1:{mport}", *args])
    return r.exit_code, r.output


def test_users_vhosts_permissions_and_listing(amqp_server, amqp_port):
    mport = amqp_server.ports["amqp-management"]
    user, vh, q = (f"{p}{uuid.uuid4().hex[:6]}" for p in ("u", "v", "q"))
    assert run(mport, "add-user", user, "secret") == (0, f'Adding user "{user}" ...\n')
    code, out = run(mport, "add_user", user, "secret")  # rabbitmqctl's spelling
    assert code != 0 and f'User "{user}" already exists' in out
    assert run(mport, "add-vhost", vh)[0] == 0
    assert run(mport, "set-permissions", "-p", vh, user, ".*", ".*", ".*")[0] == 0
    assert run(mport, "set-user-tags", user, "monitoring")[0] == 0
    code, out = run(mport, "list-users")
    assert code == 0 and f"{user}\t[monitoring]" in out.splitlines()
    code, out = run(mport, "--quiet", "list-permissions", "-p", vh)
    assert out.splitlines() == ["user\tconfigure\twrite\tread", f"{user}\t.*\t.*\t.*"]
    params = pika.ConnectionParameters(
        "127.0.0.1", amqp_port, vh, pika.PlainCredentials(user, "secret")
    )
    c = pika.BlockingConnection(params)
    ch = c.channel()
    ch.queue_declare(q)
    ch.basic_publish("", q, b"x")
    ch.basic_publish("", q, b"y")
    ch.queue_declare(q, passive=True)
    c.close()
    code, out = run(mport, "list-queues", "-p", vh)
    assert out.splitlines() == [f"Listing queues for vhost {vh} ...", "name\tmessages", f"{q}\t2"]
    code, out = run(mport, "-q", "--no-table-headers", "list-queues", "-p", vh, "name", "durable")
    assert out.splitlines() == [f"{q}\tfalse"]
    assert run(mport, "purge-queue", "-p", vh, q)[0] == 0
    assert run(mport, "-q", "--no-table-headers", "list-queues", "-p", vh)[1] == f"{q}\t0\n"
    assert run(mport, "delete-queue", "-p", vh, q)[0] == 0
    code, out = run(mport, "list-queues", "-p", vh, "bogus")
    assert code != 0 and "Info key not found: bogus" in out
    assert run(mport, "clear-permissions", "-p", vh, user)[0] == 0
    assert run(mport, "delete-vhost", vh)[0] == 0
    assert run(mport, "delete-user", user)[0] == 0
    code, out = run(mport, "delete-user", user)
    assert code != 0 and "Not Found" in out


def test_status_and_unreachable(amqp_server):
    mport = amqp_server.ports["amqp-management"]
    code, out = run(mport, "status")
    assert code == 0 and "RabbitMQ version: 3.10.8" in out
    from tests.processes import free_port

    code, out = run(free_port(), "list-queues")
    assert code != 0 and "could not reach the management API" in out
