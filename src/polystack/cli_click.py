"""The ``polystack`` command line (click): thin — it parses, then calls the library.

``polystack.cli.main`` hands over to ``main`` here, except for the common
`polystack helm template` command lines (see polystack.helm.cli.fast).

The flags of ``serve`` come from the systems' specs (``polystack/systems.py``): each system's
port flags (``--redis-port``) and its own options (``--appendfsync``); nothing here names a
system.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from polystack import __version__

LAZY_COMMANDS = {"helm": ("polystack.helm.cli", "helm_group", "Helm-compatible chart tool.")}


def _lazy_commands() -> dict[str, tuple[str, str, str]]:
    """helm, plus the sub-command groups the systems' specs declare (``polystack amqp``)."""
    from polystack import systems

    out = dict(LAZY_COMMANDS)
    for spec in systems.specs().values():
        for c in spec.commands:
            module, attr = c.target.split(":")
            out[c.name] = (module, attr, c.help)
    return out


class PolystackGroup(click.Group):
    """Loads heavy sub-command groups (helm, the systems' own) only when they are
    used, and builds `serve` (whose flags come from every system's spec) only when
    it is asked for: `polystack helm ...` imports no server and no system spec."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_lazy_commands()) | {"serve"})

    def main(self, args: Any = None, *rest: Any, **kw: Any) -> Any:
        if args is None and not rest and kw.get("standalone_mode", True):
            if sys.argv[1:2] == ["helm"]:  # the process is `polystack helm ...`
                from polystack.helm.cli.process import run_as_process

                run_as_process(lambda: click.Group.main(self, None, **kw))
        return super().main(args, *rest, **kw)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "serve" and "serve" not in self.commands:
            self.add_command(_serve_command())
        # helm is known without the systems' specs (the specs import the servers)
        lazy = LAZY_COMMANDS if name in LAZY_COMMANDS else _lazy_commands()
        if name in lazy:
            module, attr, help_text = lazy[name]
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


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _serve(config_file: str | None, **flags: Any) -> None:
    """Start the servers on the embedded default (a local data directory)."""
    from polystack import config as configmod
    from polystack import systems
    from polystack.runtime import server as servermod
    from polystack.runtime.lock import DataDirInUse

    overrides: dict[str, Any] = {k: flags.pop(k) for k in list(flags) if not k.startswith("sys__")}
    applies = []
    for name, spec in systems.specs().items():
        for p in spec.ports:
            overrides[f"{name}.{p.key}"] = flags.get(f"sys__{name}__{p.key}")
        for opt in spec.options:
            value = flags.get(f"sys__{name}__{opt.key}")
            overrides[f"{name}.{opt.key}"] = value
            if value is not None and opt.apply:
                applies.append((opt, value))
    for opt, value in applies:
        apply = opt.apply_fn()
        assert apply is not None  # only options that name an apply function were collected
        try:
            apply(value, overrides)
        except ValueError as e:
            _fail(f"polystack: configuration error: {e}")
    try:
        cfg = configmod.load(config_file, overrides)
    except configmod.NotAvailable as e:
        _fail(f"polystack: {e}")
    except configmod.ConfigError as e:
        _fail(f"polystack: configuration error: {e}")
    logging.basicConfig(
        level=getattr(logging, cfg.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    loop = servermod.new_event_loop()
    srv = configmod.build_server(cfg)
    try:
        loop.run_until_complete(srv.start())
    except servermod.PortInUse as e:
        loop.close()
        _fail("\n".join(e.problems))
    except (DataDirInUse, servermod.StartupError) as e:
        loop.close()
        _fail(str(e))
    except (OSError, ValueError) as e:
        loop.close()
        _fail(f"polystack: failed to start: {e}")
    servermod.tune_gc_for_serving()
    click.echo(f"polystack {__version__} ready (data dir {cfg.data_dir})")
    for ep in srv.endpoints:
        click.echo(f"  {ep.name:<10} {ep.url}")
    for name in srv.unavailable:
        click.echo(f"  {name:<10} not available in this version")
    click.echo("Press Ctrl+C to stop.")
    sys.stdout.flush()
    try:
        loop.run_until_complete(srv.serve_forever())
    finally:
        loop.close()


def _system_options() -> list[click.Option]:
    from polystack import systems

    opts: list[click.Option] = []
    for name, spec in systems.specs().items():
        for p in spec.ports:
            what = f"{spec.title} port" if p is spec.port else f"{spec.title} {p.name} port"
            opts.append(
                click.Option(
                    [p.cli_flag, f"sys__{name}__{p.key}"],
                    type=int,
                    default=None,
                    help=f"{what} [default: {p.default}].",
                )
            )
        for o in spec.options:
            kind: Any
            if o.choices:
                kind = click.Choice(list(o.choices))
            elif o.type == "path":
                kind = click.Path()
            else:
                kind = o.type
            opts.append(
                click.Option(
                    [o.flag, f"sys__{name}__{o.key}"],
                    type=kind,
                    default=None,
                    help=o.help,
                    is_flag=o.type is bool,
                )
            )
    return opts


def _serve_command() -> click.Command:
    params: list[click.Parameter] = [
        click.Option(["--bind"], default=None, help="Address to listen on [default: 127.0.0.1]."),
        click.Option(
            ["--data-dir"], default=None, help="Data directory [default: ./polystack-data]."
        ),
        click.Option(
            ["--config", "config_file"],
            default=None,
            type=click.Path(),
            help="TOML configuration file.",
        ),
        click.Option(["--only"], default=None, help=_only_help()),
        click.Option(
            ["--admin-port"],
            type=int,
            default=None,
            help="Admin HTTP port (/metrics, /healthz, /readyz) [default: 8080].",
        ),
        click.Option(
            ["--admin-bind"],
            default=None,
            help="Address the admin port listens on [default: 127.0.0.1].",
        ),
        *_system_options(),
        click.Option(
            ["--shutdown-timeout"],
            type=float,
            default=None,
            help="Seconds to let clients drain their output on shutdown [default: 10].",
        ),
        click.Option(
            ["--log-level"],
            default=None,
            type=click.Choice(["debug", "info", "warning", "error"]),
        ),
    ]
    return click.Command(
        "serve",
        callback=_serve,
        params=params,
        help="Start the servers on the embedded default (a local data directory).",
    )


def _only_help() -> str:
    from polystack import systems

    return f"Comma-separated systems to start: {','.join(systems.specs())}."


@main.command()
@click.option(
    "--admin-url", default="http://127.0.0.1:8080", help="Admin URL of a running polystack."
)
def status(admin_url: str) -> None:
    """Show the status of a running polystack (its /healthz)."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(admin_url.rstrip("/") + "/healthz", timeout=5) as r:
            data = json.load(r)
    except urllib.error.HTTPError as e:
        data = json.load(e)
    except OSError as e:
        click.echo(f"polystack: no server answering at {admin_url}: {e}", err=True)
        sys.exit(1)
    click.echo(json.dumps(data, indent=2))
    if data.get("status") != "ok":
        sys.exit(1)


@main.command("repair-log")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Only report where the log would be cut.")
def repair_log(path: str, dry_run: bool) -> None:
    """Truncate a log file at its first damaged record.

    Start-up refuses a log whose middle is damaged (records after the damage would be lost);
    this drops the damaged record and everything after it.  Back the file up first.
    """
    from pathlib import Path

    from polystack.runtime.lock import LOCK_NAME, DataDirInUse, DataDirLock
    from polystack.runtime.records import LogCorruption, LogReader, repair

    p = Path(path).resolve()
    with open(p, "rb") as f:
        if f.read(5) == b"PSNAP":
            _fail(f"polystack: {p} is a snapshot, not a log; repair-log only repairs logs")
    for parent in list(p.parents)[:4]:
        if (parent / LOCK_NAME).exists():
            lock = DataDirLock(parent)
            try:
                lock.acquire()
            except DataDirInUse as e:
                _fail(str(e).replace("choose another with --data-dir", "repair it after it stops"))
            lock.release()
            break
    reader = LogReader(p)
    damage = ""
    try:
        for _ in reader:
            pass
    except LogCorruption as e:
        damage = e.reason
    size = p.stat().st_size
    if reader.valid_end == size:
        click.echo(f"{p}: no damage found ({reader.count} records, {size} bytes)")
        return
    what = damage or reader.torn_reason
    if dry_run:
        click.echo(
            f"{p}: would keep {reader.count} records ({reader.valid_end} bytes) and remove "
            f"{size - reader.valid_end} bytes from offset {reader.valid_end} ({what})"
        )
        return
    kept, kept_bytes, removed = repair(p)
    click.echo(
        f"{p}: kept {kept} records ({kept_bytes} bytes); removed {removed} bytes from offset "
        f"{kept_bytes} ({what})"
    )


if __name__ == "__main__":
    main()
