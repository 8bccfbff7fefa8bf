"""What makes the click commands behave like Helm's cobra ones: Helm's global
(persistent) flags on every command, cobra's help and usage layout (Usage,
Aliases, Available Commands, Flags and Global Flags in pflag's format), Helm's
argument-count errors, and every error printed as `Error: ...` with exit code 1.

A command declares its cobra ``Use`` line and ``Long`` text with the ``use`` and
``long`` settings (``@helm_group.command("template", use="template [NAME]
[CHART]", long=TEMPLATE_DESC, args=minimum(1))``); a flag may name its pflag type
for the help (``type_name="stringArray"``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from click.core import ParameterSource

from polystack.helm.chart import helmpath

__all__ = [
    "HelmCommand",
    "HelmGroup",
    "AliasGroup",
    "GLOBAL_FLAGS",
    "HelmCLIError",
    "helm_error",
    "minimum",
    "maximum",
    "exactly",
    "no_args",
    "ROOT",
]

# the command path cobra prints: `polystack helm` answers as `helm`
ROOT = "helm"


class HelmCLIError(click.ClickException):
    """Printed as Helm prints errors: `Error: MESSAGE` on stderr, exit 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.message}", err=True)


# ---------------------------------------------------------------- global flags


@dataclass(frozen=True, slots=True)
class GlobalFlag:
    """One of Helm's persistent flags (cli.EnvSettings.AddFlags): the HELM_*
    variable it sets for the command, and its help."""

    name: str
    short: str | None
    type_name: str
    env: str
    help: str
    default: Callable[[], Any] | None = None


def _env_default(var: str, fallback: Callable[[], str]) -> Callable[[], str]:
    return lambda: os.environ.get(var) or fallback()


GLOBAL_FLAGS: tuple[GlobalFlag, ...] = (
    GlobalFlag(
        "burst-limit",
        None,
        "int",
        "HELM_BURST_LIMIT",
        "client-side default throttling limit",
        lambda: int(os.environ.get("HELM_BURST_LIMIT", "100") or 100),
    ),
    GlobalFlag(
        "color",
        None,
        "string",
        "HELM_COLOR",
        "use colored output (never, auto, always)",
        lambda: os.environ.get("HELM_COLOR") or "auto",
    ),
    GlobalFlag(
        "colour",
        None,
        "string",
        "HELM_COLOR",
        "use colored output (never, auto, always)",
        lambda: os.environ.get("HELM_COLOR") or "auto",
    ),
    GlobalFlag(
        "content-cache",
        None,
        "string",
        "HELM_CONTENT_CACHE",
        "path to the directory containing cached content (e.g. charts)",
        _env_default("HELM_CONTENT_CACHE", lambda: helmpath.cache_path("content")),
    ),
    GlobalFlag("debug", None, "bool", "HELM_DEBUG", "enable verbose output"),
    GlobalFlag(
        "kube-apiserver",
        None,
        "string",
        "HELM_KUBEAPISERVER",
        "the address and the port for the Kubernetes API server",
    ),
    GlobalFlag(
        "kube-as-group",
        None,
        "stringArray",
        "HELM_KUBEASGROUPS",
        "group to impersonate for the operation, this flag can be repeated to specify"
        " multiple groups.",
    ),
    GlobalFlag(
        "kube-as-user",
        None,
        "string",
        "HELM_KUBEASUSER",
        "username to impersonate for the operation",
    ),
    GlobalFlag(
        "kube-ca-file",
        None,
        "string",
        "HELM_KUBECAFILE",
        "the certificate authority file for the Kubernetes API server connection",
    ),
    GlobalFlag(
        "kube-context", None, "string", "HELM_KUBECONTEXT", "name of the kubeconfig context to use"
    ),
    GlobalFlag(
        "kube-insecure-skip-tls-verify",
        None,
        "bool",
        "HELM_KUBEINSECURE_SKIP_TLS_VERIFY",
        "if true, the Kubernetes API server's certificate will not be checked for validity."
        " This will make your HTTPS connections insecure",
    ),
    GlobalFlag(
        "kube-tls-server-name",
        None,
        "string",
        "HELM_KUBETLS_SERVER_NAME",
        "server name to use for Kubernetes API server certificate validation. If it is not"
        " provided, the hostname used to contact the server is used",
    ),
    GlobalFlag(
        "kube-token", None, "string", "HELM_KUBETOKEN", "bearer token used for authentication"
    ),
    GlobalFlag("kubeconfig", None, "string", "KUBECONFIG", "path to the kubeconfig file"),
    GlobalFlag(
        "namespace",
        "n",
        "string",
        "HELM_NAMESPACE",
        "namespace scope for this request",
        lambda: os.environ.get("HELM_NAMESPACE", ""),
    ),
    GlobalFlag(
        "qps",
        None,
        "float32",
        "HELM_QPS",
        "queries per second used when communicating with the Kubernetes API, not including"
        " bursting",
    ),
    GlobalFlag(
        "registry-config",
        None,
        "string",
        "HELM_REGISTRY_CONFIG",
        "path to the registry config file",
        _env_default("HELM_REGISTRY_CONFIG", lambda: helmpath.config_path("registry/config.json")),
    ),
    GlobalFlag(
        "repository-cache",
        None,
        "string",
        "HELM_REPOSITORY_CACHE",
        "path to the directory containing cached repository indexes",
        _env_default("HELM_REPOSITORY_CACHE", lambda: helmpath.cache_path("repository")),
    ),
    GlobalFlag(
        "repository-config",
        None,
        "string",
        "HELM_REPOSITORY_CONFIG",
        "path to the file containing repository names and URLs",
        _env_default("HELM_REPOSITORY_CONFIG", lambda: helmpath.config_path("repositories.yaml")),
    ),
)


def _set_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A global flag given on the command line sets its HELM_* variable for the
    command (restored when the command ends: see HelmGroup.invoke)."""
    if value is None or ctx.get_parameter_source(param.name or "") != ParameterSource.COMMANDLINE:
        return
    flag: GlobalFlag = param.global_flag  # type: ignore[attr-defined]
    if flag.type_name == "bool":
        text = "true" if value else "false"
    elif flag.type_name == "stringArray":
        text = ",".join(value)
    elif flag.name == "qps":
        text = f"{float(value):.2f}"
    else:
        text = str(value)
    os.environ[flag.env] = text


def _global_option(flag: GlobalFlag) -> click.Option:
    decls = [f"--{flag.name}"] + ([f"-{flag.short}"] if flag.short else [])
    name = "global_" + flag.name.replace("-", "_")
    kw: dict[str, Any] = {
        "help": flag.help,
        "callback": _set_global,
        "expose_value": False,
        "is_eager": True,
    }
    if flag.type_name == "bool":
        opt = click.Option([*decls, name], is_flag=True, default=None, **kw)
    elif flag.type_name == "stringArray":
        opt = click.Option([*decls, name], multiple=True, default=None, **kw)
    elif flag.type_name == "int":
        opt = click.Option([*decls, name], type=int, default=None, **kw)
    elif flag.type_name == "float32":
        opt = click.Option([*decls, name], type=float, default=None, **kw)
    else:
        opt = click.Option([*decls, name], default=None, **kw)
    opt.global_flag = flag  # type: ignore[attr-defined]
    return opt


_globals_lock = threading.Lock()


def _add_globals(cmd: click.Command) -> None:
    """Give ``cmd`` Helm's persistent flags, once: when its parameters are first
    asked for (parsing, help, completion), so that a process builds them only for
    the command it runs."""
    if getattr(cmd, "_globals_added", False):
        return
    with _globals_lock:
        if getattr(cmd, "_globals_added", False):
            return
        taken = {o for p in cmd.params for o in getattr(p, "opts", [])}
        for flag in GLOBAL_FLAGS:
            if f"--{flag.name}" not in taken:
                cmd.params.append(_global_option(flag))
        cmd._globals_added = True  # type: ignore[attr-defined]


def params_of(cmd: click.Command) -> list[click.Parameter]:
    """The command's parameters, Helm's persistent flags included."""
    if isinstance(cmd, HelmCommand | AliasGroup):
        _add_globals(cmd)
    return cmd.params


# ---------------------------------------------------------------- arguments


Args = Callable[["HelmCommand", list[str]], str | None]


def _argument(n: int) -> str:
    return "argument" if n == 1 else "arguments"


def _q(s: str) -> str:
    from polystack.helm.golang.strconv import quote

    return quote(s)


def minimum(n: int) -> Args:
    """require.MinimumNArgs."""
    return lambda cmd, args: (
        f"{_q(cmd.path())} requires at least {n} {_argument(n)}" if len(args) < n else None
    )


def maximum(n: int) -> Args:
    """require.MaximumNArgs."""
    return lambda cmd, args: (
        f"{_q(cmd.path())} accepts at most {n} {_argument(n)}" if len(args) > n else None
    )


def exactly(n: int) -> Args:
    """require.ExactArgs."""
    return lambda cmd, args: (
        f"{_q(cmd.path())} requires {n} {_argument(n)}" if len(args) != n else None
    )


def no_args(cmd: HelmCommand, args: list[str]) -> str | None:
    """require.NoArgs."""
    return f"{_q(cmd.path())} accepts no arguments" if args else None


# ---------------------------------------------------------------- help layout


def _type_name(p: click.Option) -> str:
    flag: GlobalFlag | None = getattr(p, "global_flag", None)
    if flag is not None:
        return "" if flag.type_name == "bool" else flag.type_name
    explicit = getattr(p, "type_name", None)
    if explicit is not None:
        return str(explicit)
    if p.is_flag:
        return ""
    if p.multiple:
        return "stringArray"
    if isinstance(p.type, click.types.IntParamType):
        return "int"
    if isinstance(p.type, click.types.FloatParamType):
        return "float"
    return "string"


def _default_text(p: click.Option) -> str:
    flag: GlobalFlag | None = getattr(p, "global_flag", None)
    if flag is not None:
        value = flag.default() if flag.default is not None else None
    elif getattr(p, "help_default", None) is not None:
        return f" (default {p.help_default})"  # type: ignore[attr-defined]
    else:
        value = p.default
    if value is click.core.UNSET or value in (None, False, "", (), [], 0, 0.0):
        return ""
    if isinstance(value, bool):
        return " (default true)" if value else ""
    if isinstance(value, str):
        from polystack.helm.golang.strconv import quote

        return f" (default {quote(value)})"
    return f" (default {value})"


def flag_usages(opts: list[click.Option]) -> str:
    """pflag's FlagSet.FlagUsages: sorted by name, types, defaults, aligned."""
    rows: list[tuple[str, str]] = []
    for p in sorted(opts, key=lambda o: _long_name(o)):
        if p.hidden:
            continue
        long = _long_name(p)
        short = next((o[1:] for o in p.opts if len(o) == 2 and o[0] == "-"), None)
        line = f"  -{short}, --{long}" if short else f"      --{long}"
        tname = _type_name(p)
        if tname:
            line += " " + tname
        nodef = getattr(p, "no_opt_default", None)
        if nodef is not None:
            line += f'[="{nodef}"]' if tname == "string" else f"[={nodef}]"
        rows.append((line, (p.help or "") + _default_text(p)))
    width = max((len(r[0]) for r in rows), default=0) + 1
    return "".join(
        f"{line} {' ' * (width - len(line))} {usage}".rstrip() + "\n" for line, usage in rows
    )


def _long_name(p: click.Option) -> str:
    longs = [o[2:] for o in p.opts if o.startswith("--")]
    return longs[0] if longs else p.opts[0].lstrip("-")


def _help_option(name: str) -> click.Option:
    opt = click.Option(["-h", "--help"], is_flag=True, default=False, help=f"help for {name}")
    return opt


def render_help(cmd: click.Command, ctx: click.Context) -> str:
    """cobra's help template: Long (or Short), then the usage."""
    body = getattr(cmd, "long", None) or cmd.help or cmd.short_help or ""
    out = body.rstrip() + "\n\n" if body.strip() else ""
    return out + render_usage(cmd, ctx)


def render_usage(cmd: click.Command, ctx: click.Context) -> str:
    """cobra's usage template."""
    path = _path(ctx)
    parts = ["Usage:"]
    runnable = not isinstance(cmd, click.Group) or getattr(cmd, "runnable", False)
    if runnable:
        parts.append("\n  " + use_line(cmd, ctx))
    subs: list[click.Command] = []
    if isinstance(cmd, click.Group):
        subs = [cmd.commands[n] for n in sorted(cmd.commands) if not cmd.commands[n].hidden]
        if subs:
            parts.append(f"\n  {path} [command]")
    aliases = getattr(cmd, "cobra_aliases", ())
    if aliases:
        parts.append("\n\nAliases:\n  " + ", ".join([cmd.name or "", *aliases]))
    example = getattr(cmd, "example", "")
    if example:
        parts.append("\n\nExamples:\n" + example)
    if subs:
        pad = max(11, max(len(c.name or "") for c in subs))
        parts.append("\n\nAvailable Commands:")
        for c in subs:
            short = c.get_short_help_str(limit=10000)
            parts.append(f"\n  {(c.name or '').ljust(pad)} {short}")
    local: list[click.Option] = []
    inherited: list[click.Option] = []
    is_root = _is_root(ctx)
    for p in cmd.get_params(ctx):
        if not isinstance(p, click.Option):
            continue
        if "--help" in p.opts:
            local.append(_help_option(cmd.name or ""))
        elif getattr(p, "global_flag", None) is not None and not is_root:
            inherited.append(p)
        else:
            local.append(p)
    if local:
        parts.append("\n\nFlags:\n" + flag_usages(local).rstrip("\n"))
    if inherited:
        parts.append("\n\nGlobal Flags:\n" + flag_usages(inherited).rstrip("\n"))
    if subs:
        parts.append(f'\n\nUse "{path} [command] --help" for more information about a command.')
    return "".join(parts) + "\n"


def _is_root(ctx: click.Context) -> bool:
    return isinstance(ctx.command, HelmGroup) and ctx.command.name == ROOT


def _path(ctx: click.Context) -> str:
    """cobra's CommandPath: helm, then the command names."""
    names: list[str] = []
    c: click.Context | None = ctx
    while c is not None:
        if c.command.name == ROOT or c.parent is None:
            names.append(ROOT)
            break
        names.append(c.command.name or c.info_name or "")
        c = c.parent
    return " ".join(reversed(names))


def use_line(cmd: click.Command, ctx: click.Context) -> str:
    """cobra's UseLine: the command path, the Use line's arguments, [flags]."""
    use = getattr(cmd, "use", None) or cmd.name or ""
    rest = use.split(" ", 1)[1] if " " in use else ""
    path = _path(ctx)
    line = f"{path} {rest}" if rest else path
    if "[flags]" not in line and any(isinstance(p, click.Option) for p in params_of(cmd)):
        line += " [flags]"
    return line


# ---------------------------------------------------------------- errors


def helm_error(e: click.ClickException, ctx: click.Context | None) -> HelmCLIError:
    """A click error as Helm (pflag/cobra) words it."""
    if isinstance(e, HelmCLIError):
        return e
    if isinstance(e, click.NoSuchOption):
        name = e.option_name
        if name.startswith("--"):
            return HelmCLIError(f"unknown flag: {name.split('=', 1)[0]}")
        return HelmCLIError(f"unknown shorthand flag: {name[1:2]!r} in {name}")
    if isinstance(e, click.BadOptionUsage) and "requires an argument" in e.message:
        name = e.option_name
        if name.startswith("--"):
            return HelmCLIError(f"flag needs an argument: {name}")
        return HelmCLIError(f"flag needs an argument: {name[1:2]!r} in {name}")
    if isinstance(e, click.MissingParameter) and isinstance(e.param, click.Argument):
        cmd = e.ctx.command if e.ctx is not None else None
        if isinstance(cmd, HelmCommand) and e.ctx is not None:
            return HelmCLIError(
                f'"{_path(e.ctx)}" requires at least 1 argument\n\nUsage:  {use_line(cmd, e.ctx)}'
            )
    if isinstance(e, click.BadParameter) and e.param is not None:
        opts = getattr(e.param, "opts", [])
        value = ctx.params.get(e.param.name or "") if ctx is not None and e.param.name else None
        long = next((o for o in opts if o.startswith("--")), opts[0] if opts else "")
        short = next((o for o in opts if len(o) == 2), None)
        flag = f"{short}, {long}" if short else long
        got = value if value is not None else "?"
        return HelmCLIError(f'invalid argument "{got}" for "{flag}" flag: {e.message}')
    if isinstance(e, click.UsageError) and "No such command" in e.message:
        m = re.search(r"No such command '([^']*)'", e.message)
        name = m.group(1) if m else ""
        path = _path(e.ctx) if e.ctx is not None else ROOT
        hint = ""
        if e.ctx is not None and isinstance(e.ctx.command, click.Group):
            near = suggestions(name, list(e.ctx.command.commands))
            if near:
                hint = "\n\nDid you mean this?\n" + "".join(f"\t{n}\n" for n in near)
        return HelmCLIError(
            f'unknown command "{name}" for "{path}"{hint}\nRun \'{path} --help\' for usage.'
        )
    return HelmCLIError(e.format_message())


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def suggestions(name: str, commands: list[str]) -> list[str]:
    """cobra's SuggestionsFor: commands within a Levenshtein distance of 2 (case
    insensitive) or with the typed text as a prefix."""
    out = []
    for c in sorted(commands):
        if _levenshtein(name.lower(), c.lower()) <= 2 or c.lower().startswith(name.lower()):
            out.append(c)
    return out


# ---------------------------------------------------------------- commands


class HelmCommand(click.Command):
    """A Helm command: cobra's help, Helm's argument checks and global flags;
    optional-value flags behave as pflag's NoOptDefVal (a bare `--wait` or
    `--dry-run` takes the default value and never the next word)."""

    no_opt_defaults: dict[str, str] = {"--dry-run": "unset", "--wait": "watcher"}

    def __init__(
        self,
        *args: Any,
        use: str | None = None,
        long: str | None = None,
        example: str = "",
        args_check: Args | None = None,
        cobra_aliases: tuple[str, ...] = (),
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.use = use
        self.long = long
        self.example = example
        self.args_check = args_check
        self.cobra_aliases = cobra_aliases
        self._ctx_path = ""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        _add_globals(self)
        return super().get_params(ctx)

    def path(self) -> str:
        return self._ctx_path or f"{ROOT} {self.name}"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        self._ctx_path = _path(ctx)
        out: list[str] = []
        for i, a in enumerate(args):
            if a == "--":
                out.extend(args[i:])
                break
            default = self.no_opt_defaults.get(a)
            out.append(f"{a}={default}" if default is not None else a)
        rest = super().parse_args(ctx, out)
        if self.args_check is not None and not any(a in ("-h", "--help") for a in args):
            positional = [
                v for p in self.params if isinstance(p, click.Argument) for v in _values(ctx, p)
            ]
            msg = self.args_check(self, positional)
            if msg:
                raise HelmCLIError(f"{msg}\n\nUsage:  {use_line(self, ctx)}")
        return rest

    def get_help(self, ctx: click.Context) -> str:
        return render_help(self, ctx).rstrip("\n")

    def get_usage(self, ctx: click.Context) -> str:
        return render_usage(self, ctx).rstrip("\n")


def _values(ctx: click.Context, p: click.Argument) -> list[str]:
    v = ctx.params.get(p.name or "")
    if v is None:
        return []
    if isinstance(v, tuple | list):
        return [str(x) for x in v]
    return [str(v)]


class AliasGroup(click.Group):
    """A Helm command with subcommands: cobra's help and the aliases cobra gives
    Helm's commands (`show`/`inspect`, `list`/`ls` ...)."""

    command_class = HelmCommand
    group_class = type

    def __init__(
        self,
        *args: Any,
        aliases: dict[str, str] | None = None,
        use: str | None = None,
        long: str | None = None,
        cobra_aliases: tuple[str, ...] = (),
        **kw: Any,
    ) -> None:
        kw.setdefault("invoke_without_command", True)
        super().__init__(*args, **kw)
        self.aliases: dict[str, str] = dict(aliases or {})
        self.use = use
        self.long = long
        self.cobra_aliases = cobra_aliases
        self.runnable = False

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        _add_globals(self)
        return super().get_params(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def get_help(self, ctx: click.Context) -> str:
        return render_help(self, ctx).rstrip("\n")

    def get_usage(self, ctx: click.Context) -> str:
        return render_usage(self, ctx).rstrip("\n")

    def invoke(self, ctx: click.Context) -> Any:
        # Click 8.2+ keeps the subcommand's tokens in _protected_args (its protected_args
        # property warns of its removal); Click 8.1 in the protected_args attribute.
        state = vars(ctx)
        protected = state.get("_protected_args", state.get("protected_args"))
        if ctx.invoked_subcommand is None and not protected and not ctx.args:
            # cobra: a command with subcommands and no Run prints its help
            click.echo(render_help(self, ctx), nl=False)
            return None
        return super().invoke(ctx)


class HelmGroup(AliasGroup):
    """The `helm` group: its command runs on a thread with a deep stack (see
    golang.runtime.run_deep), with the HELM_* variables its global flags set,
    restored afterwards; every error ends as Helm's `Error: ...` with exit 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["helm.environ"] = dict(os.environ)
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as e:
            raise helm_error(e, ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        from polystack.helm.golang.runtime import run_deep

        saved = ctx.meta.get("helm.environ") or dict(os.environ)

        def command() -> Any:
            with ctx:  # click's current context is per thread
                try:
                    return AliasGroup.invoke(self, ctx)
                except click.ClickException as e:
                    raise helm_error(e, click.get_current_context(silent=True)) from None

        try:
            return run_deep(command)
        finally:
            os.environ.clear()
            os.environ.update(saved)
