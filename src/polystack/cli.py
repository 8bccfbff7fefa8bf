"""The ``polystack`` command line: thin — it parses, then calls the library."""

from __future__ import annotations

import importlib
import logging
import sys

import click

from polystack import __version__

LAZY_COMMANDS = {"helm": ("polystack.helm.cli", "helm_group", "Helm-compatible chart tool.")}


class PolystackGroup(click.Group):
    """Loads heavy sub-command groups (helm) only when they are used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attr, help_text = LAZY_COMMANDS[name]
            try:
                return getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                reason = str(exc)

                @click.command(
                    name=name, help=help_text, context_settings={"ignore_unknown_options": True}
                )
                @click.argument("args", nargs=-1, type=click.UNPROCESSED)
                def unavailable(args: tuple[str, ...]) -> None:
                    raise click.ClickException(f"{name} is not available: {reason}")

                return unavailable
        return super().get_command(ctx, name)


@click.group(cls=PolystackGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", "-V", prog_name="polystack", message="%(prog)s %(version)s"
)
def main() -> None:
    """polystack: Redis, RabbitMQ, MongoDB and ZooKeeper wire-compatible servers and a
    Helm-compatible chart tool, in one Python program."""


@main.command()
@click.option("--bind", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--data-dir", default=None, help="Data directory [default: ./polystack-data].")
@click.option(
    "--config", "config_file", default=None, type=click.Path(), help="TOML configuration file."
)
@click.option(
    "--only", default=None, help="Comma-separated systems to start: redis,amqp,mongo,zookeeper."
)
@click.option("--redis-port", type=int, default=None, help="Redis port [default: 6379].")
@click.option("--amqp-port", type=int, default=None, help="AMQP port [default: 5672].")
@click.option("--mongo-port", type=int, default=None, help="MongoDB port [default: 27017].")
@click.option("--zookeeper-port", type=int, default=None, help="ZooKeeper port [default: 2181].")
@click.option(
    "--admin-port",
    type=int,
    default=None,
    help="Admin HTTP port (/metrics, /healthz) [default: 8080].",
)
@click.option(
    "--zookeeper-config", default=None, type=click.Path(), help="Read a ZooKeeper zoo.cfg."
)
@click.option(
    "--appendfsync",
    type=click.Choice(["always", "everysec", "no"]),
    default=None,
    help="Redis log fsync policy [default: everysec].",
)
@click.option("--requirepass", default=None, help="Redis password (AUTH).")
@click.option("--log-level", default=None, type=click.Choice(["debug", "info", "warning", "error"]))
def serve(
    bind: str | None,
    data_dir: str | None,
    config_file: str | None,
    only: str | None,
    redis_port: int | None,
    amqp_port: int | None,
    mongo_port: int | None,
    zookeeper_port: int | None,
    admin_port: int | None,
    zookeeper_config: str | None,
    appendfsync: str | None,
    requirepass: str | None,
    log_level: str | None,
) -> None:
    """Start the servers on the embedded default (a local data directory)."""
    from polystack import config as configmod
    from polystack.runtime import server as servermod

    overrides = {
        "bind": bind,
        "data_dir": data_dir,
        "only": only,
        "admin_port": admin_port,
        "log_level": log_level,
        "redis.port": redis_port,
        "redis.appendfsync": appendfsync,
        "redis.requirepass": requirepass,
        "amqp.port": amqp_port,
        "mongo.port": mongo_port,
        "zookeeper.port": zookeeper_port,
        "zookeeper.zoo_cfg": zookeeper_config,
    }
    if zookeeper_config:
        try:
            _apply_zoo_cfg(zookeeper_config, overrides)
        except ValueError as e:
            click.echo(f"polystack: configuration error: {e}", err=True)
            sys.exit(2)
    try:
        cfg = configmod.load(config_file, overrides)
    except configmod.ConfigError as e:
        click.echo(f"polystack: configuration error: {e}", err=True)
        sys.exit(2)
    logging.basicConfig(
        level=getattr(logging, cfg.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    loop = servermod.new_event_loop()
    srv = servermod.Server(cfg)
    try:
        loop.run_until_complete(srv.start())
    except OSError as e:
        click.echo(str(e), err=True)
        loop.close()
        sys.exit(2)
    except (configmod.ConfigError, ValueError) as e:
        click.echo(f"polystack: configuration error: {e}", err=True)
        loop.close()
        sys.exit(2)
    click.echo(f"polystack {__version__} ready (data dir {cfg.data_dir})")
    for ep in srv.endpoints:
        click.echo(f"  {ep.name:<10} {ep.url}")
    for name in srv.unavailable:
        click.echo(f"  {name:<10} not available yet in this version")
    click.echo("Press Ctrl+C to stop.")
    sys.stdout.flush()
    try:
        loop.run_until_complete(srv.serve_forever())
    finally:
        loop.close()


def _apply_zoo_cfg(path: str, overrides: dict) -> None:
    """zoo.cfg keys that are process-wide in polystack: clientPortAddress -> --bind,
    admin.serverPort -> --admin-port, admin.enableServer=false -> no admin endpoint.
    Flags given on the command line win."""
    from polystack.zookeeper import zoocfg

    quiet = logging.getLogger(zoocfg.__name__)
    quiet.disabled = True  # the ZooKeeper service reports ignored keys once, when it starts
    try:
        zc = zoocfg.load(path)
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


@main.command()
@click.option(
    "--admin-url", default="http://127.0.0.1:8080", help="Admin URL of a running polystack."
)
def status(admin_url: str) -> None:
    """Show the status of a running polystack (its /healthz)."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(admin_url.rstrip("/") + "/healthz", timeout=5) as r:
            data = json.load(r)
    except OSError as e:
        click.echo(f"polystack: no server answering at {admin_url}: {e}", err=True)
        sys.exit(1)
    click.echo(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
