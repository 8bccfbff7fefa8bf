"""`polystack helm template` (and `helm version`) without click: the common
command line, parsed here.

Importing click and building Helm's command tree costs a fresh process more than
the render of a small chart. `parse_template` understands exactly the common part
of `helm template`'s flags (as cli/commands.py declares them: the same defaults,
repeated flags, ``--flag=value`` and ``--flag value``, the short flags, ``--``)
and answers None for anything else (``--help``, any other flag, a bare value flag,
a value that looks like a flag, completion): the click command line then runs, so
every message and exit code stays the click path's. tests/helm/test_fast_cli.py
checks the parser against click's on a table of command lines.
"""

from __future__ import annotations

import os
import sys

# typing is imported by type checkers only (its import is a fresh command's cost; so is
# re's, which `helm version` does without)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "TemplateFailure",
    "build_info",
    "format_version",
    "parse_template",
    "parse_version",
    "template",
    "try_fast",
]

# option -> keyword of template_cmd
_MULTI = {
    "-f": "value_files",
    "--values": "value_files",
    "--set": "set_values",
    "--set-string": "set_string",
    "--set-file": "set_file",
    "--set-json": "set_json",
    "--set-literal": "set_literal",
    "-s": "show_only",
    "--show-only": "show_only",
    "-a": "api_versions",
    "--api-versions": "api_versions",
}
_STRING = {
    "--kube-version": "kube_version",
    "--output-dir": "output_dir",
    "--name-template": "name_template",
    "--version": "chart_version",
    "--repo": "repo_url",
}
_BOOL = {
    "--include-crds": "include_crds",
    "--skip-crds": "skip_crds",
    "--skip-tests": "skip_tests",
    "--release-name": "use_release_name",
    "--is-upgrade": "is_upgrade",
    "--no-hooks": "no_hooks",
    "--generate-name": "generate_name",
    "-g": "generate_name",
    "--skip-schema-validation": "skip_schema_validation",
    "--dependency-update": "dependency_update",
    "--enable-dns": "enable_dns",
    "--devel": "devel",
    "--verify": "verify",
}
# Helm's global flags understood here -> the HELM_* variable they set
_GLOBAL_STRING = {"-n": "HELM_NAMESPACE", "--namespace": "HELM_NAMESPACE"}
_GLOBAL_BOOL = {"--debug": "HELM_DEBUG"}


def template_defaults() -> dict[str, Any]:
    """template_cmd's keywords when no flag is given (click's defaults)."""
    kw: dict[str, Any] = {k: () for k in _MULTI.values()}
    kw.update({k: "" for k in _STRING.values()})
    kw.update({k: False for k in _BOOL.values()})
    kw.update(
        render_subchart_notes=False,
        keyring=None,
        username="",
        password="",
        cert_file="",
        key_file="",
        insecure_skip_tls_verify=False,
        ca_file="",
        pass_credentials=False,
        plain_http=False,
        create_namespace=False,
        force_replace=False,
        force_conflicts=False,
        server_side="true",
        replace=False,
        timeout="5m0s",
        wait_strategy=None,
        wait_for_jobs=False,
        description="",
        labels=(),
        rollback_on_failure=False,
        take_ownership=False,
        disable_openapi_validation=False,
        hide_notes=False,
        atomic=False,
        force=False,
        dry_run="client",
    )
    return kw


def parse_template(
    argv: list[str],
) -> tuple[tuple[str, ...], dict[str, Any], dict[str, str]] | None:
    """The positional arguments, template_cmd's keywords and the HELM_* variables
    the global flags set, for `helm template ARGV`; None when click must parse it."""
    args: list[str] = []
    kw = template_defaults()
    multi: dict[str, list[str]] = {}
    env: dict[str, str] = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            args.extend(argv[i:])
            break
        if not a.startswith("-") or a == "-":
            args.append(a)
            continue
        name, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        if name in _BOOL or name in _GLOBAL_BOOL:
            if eq:
                return None  # click: "does not take a value"
            if name in _BOOL:
                kw[_BOOL[name]] = True
            else:
                env[_GLOBAL_BOOL[name]] = "true"
            continue
        if name not in _MULTI and name not in _STRING and name not in _GLOBAL_STRING:
            return None
        if not eq:
            if i >= len(argv) or argv[i].startswith("-"):
                return None  # a missing value, or one click might read otherwise
            value = argv[i]
            i += 1
        if name in _MULTI:
            multi.setdefault(_MULTI[name], []).append(value)
        elif name in _STRING:
            kw[_STRING[name]] = value
        else:
            env[_GLOBAL_STRING[name]] = value
    if not args:
        return None  # the argument-count error is worded by the click path
    for k, vs in multi.items():
        kw[k] = tuple(vs)
    return tuple(args), kw, env


class TemplateFailure(Exception):
    """An error `helm template` prints as `Error: MESSAGE` and exits 1 with."""


def split_commas(items: Any) -> list[str]:
    """Values of a repeated flag that also takes comma-separated lists (Cobra's StringSlice)."""
    out: list[str] = []
    for it in items:
        out.extend(x for x in it.split(",") if x)
    return out


def merge_values(kw: dict[str, Any], fail: Callable[[str], Exception]) -> dict[str, Any]:
    """The values flags (-f, --set, --set-string ...) taken out of ``kw`` and merged as
    Helm's ValueOptions.MergeValues does; its error is raised as ``fail(message)``."""
    import polystack.helm as helm

    vo = helm.ValueOptions(
        value_files=split_commas(kw.pop("value_files", ())),
        json_values=list(kw.pop("set_json", ())),
        values=list(kw.pop("set_values", ())),
        string_values=list(kw.pop("set_string", ())),
        file_values=list(kw.pop("set_file", ())),
        literal_values=list(kw.pop("set_literal", ())),
    )
    try:
        return vo.merge_values()
    except helm.ValuesError as e:
        raise fail(str(e)) from None


def template(args: tuple[str, ...], kw: dict[str, Any]) -> tuple[str, str]:
    """`helm template`'s action: (the manifests, an error printed after them or "")."""
    import polystack.helm as helm
    from polystack.helm.cli.flag_values import (
        chart_path_from_kw,
        check_install_only_flags,
        dry_run_strategy,
    )

    err = check_install_only_flags(kw)  # pflag: bad flag values fail before RunE
    if err:
        raise TemplateFailure(err)
    if kw["kube_version"]:
        from polystack.helm.funcs.helm import parse_kube_version

        try:
            parse_kube_version(kw["kube_version"])
        except ValueError as e:
            raise TemplateFailure(f"invalid kube version '{kw['kube_version']}': {e}") from None
    try:
        if dry_run_strategy(kw["dry_run"]) == "server":
            raise TemplateFailure(
                "--dry-run=server needs a Kubernetes cluster: not supported by polystack helm"
            )
    except ValueError as e:
        raise TemplateFailure(str(e)) from None
    vals = merge_values(kw, TemplateFailure)
    opts = helm.TemplateOptions(
        args=list(args),
        values=vals,
        show_only=list(kw["show_only"]),
        namespace=os.environ.get("HELM_NAMESPACE") or "default",
        kube_version=kw["kube_version"],
        api_versions=split_commas(kw["api_versions"]),
        include_crds=kw["include_crds"],
        skip_tests=kw["skip_tests"],
        use_release_name=kw["use_release_name"],
        output_dir=kw["output_dir"],
        is_upgrade=kw["is_upgrade"],
        disable_hooks=kw["no_hooks"],
        name_template=kw["name_template"],
        generate_name=kw["generate_name"],
        skip_schema_validation=kw["skip_schema_validation"],
        render_subchart_notes=kw["render_subchart_notes"],
        dependency_update=kw["dependency_update"],
        debug=os.environ.get("HELM_DEBUG", "").lower() in ("1", "t", "true"),
        enable_dns=kw["enable_dns"],
        chart_path=chart_path_from_kw(kw),
        template_cache=True,
    )
    out, err = helm.run_template(opts)
    return out, err


# click.echo's stripping of ANSI escapes when the stream is not a terminal (compiled
# by re when an output first holds an escape character)
_ANSI = r"\033\[[0-?]*[ -/]*[@-~]"


def _echo(text: str, stream: Any) -> None:
    """click.echo(text, nl=False) as the click path writes it."""
    if not text:
        stream.flush()
        return
    try:
        tty = stream.isatty()
    except ValueError:
        tty = False
    if not tty and "\033" in text:
        import re

        text = re.sub(_ANSI, "", text)
    stream.write(text)
    stream.flush()


def _run(args: tuple[str, ...], kw: dict[str, Any], env: dict[str, str]) -> None:
    """What the click path does around template_cmd: the global flags' variables,
    the render on a deep stack, `Error: ...` and click's exits."""
    import errno

    from polystack.helm.cli import imports
    from polystack.helm.golang.runtime import run_deep

    os.environ.update(env)
    try:
        try:
            out, err = run_deep(lambda: template(args, kw))
        except TemplateFailure as e:
            out, err = "", str(e)
        _echo(out, sys.stdout)
        imports.save_bundle()  # (after the output; only when a module was new to the bundle)
        if err:
            _echo(f"Error: {err}\n", sys.stderr)
            raise SystemExit(1)
    except KeyboardInterrupt:
        _echo("\nAborted!\n", sys.stderr)
        raise SystemExit(1) from None
    except OSError as e:
        if e.errno == errno.EPIPE:
            raise SystemExit(1) from None
        raise


def build_info() -> Any:
    """version.Get(): the Helm this is compatible with (.Capabilities.HelmVersion)."""
    from polystack.helm.funcs.version import HelmVersion

    return HelmVersion()


def format_version(short: bool) -> str:
    """formatVersion: `%#v` of the BuildInfo, or the short version."""
    from polystack.helm.golang.fmt import sprintf

    v = build_info()
    if short:
        if len(v.GitCommit) >= 7:
            return f"{v.Version}+g{v.GitCommit[:7]}"
        return str(v.Version)
    return str(sprintf("%#v", v))


def parse_version(argv: list[str]) -> bool | None:
    """--short for `helm version ARGV` (-c/--client is accepted and ignored, as
    Helm's hidden flag); None when click must parse it (--template, any other
    flag or argument)."""
    if any(a not in ("--short", "-c", "--client") for a in argv):
        return None
    return "--short" in argv


def _version(short: bool) -> None:
    _echo(format_version(short) + "\n", sys.stdout)


def _utf8(stream: Any) -> bool:
    return (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8"


def try_fast(argv: list[str]) -> None:
    """Run `polystack helm ARGV` as the whole process and exit, when ARGV is a
    `template` or `version` command line this module understands; otherwise
    return."""
    if argv[:1] not in (["template"], ["version"]):
        return
    if not (_utf8(sys.stdout) and _utf8(sys.stderr)):
        return  # click rewraps a misconfigured stream; let it
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return  # shell completion
    import gc

    from polystack.helm.cli.process import run_as_process

    if argv[0] == "version":
        # (no PyYAML: `helm version` renders nothing)
        short = parse_version(argv[1:])
        if short is None:
            return
        gc.disable()  # as run_as_process does, already for the imports
        run_as_process(lambda: _version(short))
    parsed = parse_template(argv[1:])
    if parsed is None:
        return
    from polystack.helm.encoding import yamlimport

    gc.disable()
    # PyYAML, when a chart file or template needs it, is imported by the render thread
    # while this one waits: no other thread runs meanwhile
    yamlimport.DEFER_PATTERNS = True
    args, kw, env = parsed
    run_as_process(lambda: _run(args, kw, env))
