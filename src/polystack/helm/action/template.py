"""`helm template` (action.Install in client-only dry-run mode, as the template
command drives it): locate and load the chart, check its dependencies (updating
them with --dependency-update), compute the values, render, order the manifests
and hooks, write them to stdout or --output-dir, and pick --show-only files."""

from __future__ import annotations

import os

from polystack.helm.chart import chart as chartmod
from polystack.helm.chart import values
from polystack.helm.chart.chart import ChartError
from polystack.helm.chart.ignore import BadPattern
from polystack.helm.chart.ignore import match as path_match
from polystack.helm.funcs.helm import Capabilities, parse_kube_version
from polystack.helm.remote.options import ChartPathOptions, default_keyring
from polystack.helm.render import manifests as releaseutil
from polystack.helm.render.engine import RenderError, default_template_cache
from polystack.helm.render.naming import name_and_chart
from polystack.helm.render.release import render_resources

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["TemplateOptions", "run_template", "validate_release_name", "locate_chart"]


class TemplateOptions:
    """`helm template`'s flags and arguments (chart_path: where the chart is and how
    to fetch it, a ChartPathOptions; template_cache: keep parsed templates in the
    on-disk cache, render.engine.default_template_cache)."""

    __slots__ = (
        "args",
        "values",
        "show_only",
        "namespace",
        "kube_version",
        "api_versions",
        "include_crds",
        "skip_tests",
        "use_release_name",
        "output_dir",
        "is_upgrade",
        "disable_hooks",
        "name_template",
        "generate_name",
        "skip_schema_validation",
        "render_subchart_notes",
        "dependency_update",
        "debug",
        "enable_dns",
        "chart_path",
        "template_cache",
    )

    def __init__(
        self,
        args: list[str],
        values: dict[str, Any] | None = None,
        show_only: list[str] | None = None,
        namespace: str = "default",
        kube_version: str = "",
        api_versions: list[str] | None = None,
        include_crds: bool = False,
        skip_tests: bool = False,
        use_release_name: bool = False,
        output_dir: str = "",
        is_upgrade: bool = False,
        disable_hooks: bool = False,
        name_template: str = "",
        generate_name: bool = False,
        skip_schema_validation: bool = False,
        render_subchart_notes: bool = False,
        dependency_update: bool = False,
        debug: bool = False,
        enable_dns: bool = False,
        chart_path: Any = None,
        template_cache: bool = False,
    ) -> None:
        self.args = args
        self.values: dict[str, Any] = {} if values is None else values
        self.show_only: list[str] = [] if show_only is None else show_only
        self.namespace = namespace
        self.kube_version = kube_version
        self.api_versions: list[str] = [] if api_versions is None else api_versions
        self.include_crds = include_crds
        self.skip_tests = skip_tests
        self.use_release_name = use_release_name
        self.output_dir = output_dir
        self.is_upgrade = is_upgrade
        self.disable_hooks = disable_hooks
        self.name_template = name_template
        self.generate_name = generate_name
        self.skip_schema_validation = skip_schema_validation
        self.render_subchart_notes = render_subchart_notes
        self.dependency_update = dependency_update
        self.debug = debug
        self.enable_dns = enable_dns
        self.chart_path = chart_path
        self.template_cache = template_cache

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in TemplateOptions.__slots__)
        return f"TemplateOptions({fields})"


_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _is_release_name(name: str) -> bool:
    """Helm's releaseNameRegex, ``^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*
    [a-z0-9])?)*$`` with Go's ``$`` (the end of the text, no newline before it): dot
    separated labels of lower-case letters, digits and "-", neither starting nor
    ending with "-"."""
    for label in name.split("."):
        if not label or label[0] == "-" or label[-1] == "-":
            return False
        if not all(c in _LABEL_CHARS for c in label):
            return False
    return True


def validate_release_name(name: str) -> str | None:
    if not name:
        return "no name provided"
    if len(name) > 53 or not _is_release_name(name):
        return (
            "invalid release name, must match regex"
            " ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
            " and the length must not be longer than 53"
        )
    return None


def run_template(o: TemplateOptions) -> tuple[str, str]:
    """Returns (stdout text, error message or '')."""
    kube = None
    if o.kube_version:
        try:
            kube = parse_kube_version(o.kube_version)
        except ValueError as e:
            return "", f"invalid kube version '{o.kube_version}': {e}"
    try:
        # `helm template` sets the install's release name to "release-name"
        name, chart_ref = name_and_chart(o.args, "release-name", o.name_template, o.generate_name)
    except ValueError as e:
        return "", str(e)
    # parsed templates and chart files (Chart.yaml, values.yaml ...) kept on disk
    cache = default_template_cache() if o.template_cache else None
    try:
        chart_path = locate_chart(chart_ref, o.chart_path)
        ch = chartmod.load(chart_path, cache)
    except chartmod.ChartError as e:
        return "", str(e)
    if ch.metadata.type not in ("", "application"):
        return "", f"{ch.metadata.type} charts are not installable"
    if ch.metadata.dependencies:
        try:
            values.check_dependencies(ch)
        except chartmod.ChartError as e:
            if o.dependency_update and os.path.isdir(chart_path):
                from polystack.helm.action.dependency import RepoError, dependency_update

                registry = o.chart_path.registry_options() if o.chart_path else None
                try:
                    dependency_update(chart_path, out=lambda s: None, registry=registry)
                    ch = chartmod.load(chart_path, cache)
                except (RepoError, chartmod.ChartError) as e2:
                    return "", str(e2)
            else:
                return "", (
                    "an error occurred while checking for chart dependencies. You may need to"
                    f" run `helm dependency build` to fetch missing dependencies: {e}"
                )
    err = validate_release_name(name)
    if err:
        return "", f'release name "{name}": {err}'
    caps = Capabilities(kube, o.api_versions)
    written: list[str] = []

    def writer(out_dir: str, fname: str, data: str, append: bool) -> None:
        path = out_dir + "/" + fname
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a" if append else "w", encoding="utf-8") as fh:
            fh.write(f"---\n# Source: {fname}\n{data}\n")
        written.append(f"wrote {path}\n")

    try:
        values.process_dependencies(ch, o.values)
        opts = values.ReleaseOptions(
            name=name,
            namespace=o.namespace,
            revision=1,
            is_install=not o.is_upgrade,
            is_upgrade=o.is_upgrade,
        )
        top = values.to_render_values(ch, o.values, opts, caps, o.skip_schema_validation)
    except (values.ValuesError, chartmod.ChartError) as e:
        return "", str(e)
    try:
        rel = render_resources(
            ch,
            top,
            caps,
            output_dir=o.output_dir,
            release_name=name,
            use_release_name=o.use_release_name,
            include_crds=o.include_crds,
            render_subchart_notes=o.render_subchart_notes,
            enable_dns=o.enable_dns,
            writer=writer,
            cache=cache,
        )
    except RenderError as e:
        if o.debug:
            return "", str(e)
        return "", f"{e}\n\nUse --debug flag to render out invalid YAML"
    buf = [rel.manifest.strip() + "\n"]
    if not o.disable_hooks:
        hook_written: dict[str, bool] = {}
        for h in rel.hooks:
            if o.skip_tests and "test" in h.events:
                continue
            if not o.output_dir:
                buf.append(f"---\n# Source: {h.path}\n{h.manifest}\n")
            else:
                new_dir = o.output_dir + "/" + name if o.use_release_name else o.output_dir
                if os.path.exists(os.path.join(new_dir, h.path)):
                    hook_written[h.path] = True
                writer(new_dir, h.path, h.manifest, hook_written.get(h.path, False))
    manifests = "".join(buf)
    out = "".join(written)
    if o.show_only:
        import re  # (only for --show-only)

        docs = releaseutil.split_manifests(manifests)
        picked: list[str] = []
        for f in o.show_only:
            f = f.replace(os.sep, "/")
            missing = True
            for m in docs:
                sm = re.search(r"# Source: [^/]+/(.+)", m)
                if not sm:
                    continue
                try:
                    ok = path_match(f, sm.group(1))
                except BadPattern:
                    ok = False
                if ok:
                    picked.append(m)
                    missing = False
            if missing:
                return out, f"could not find template {f} in chart"
        return out + "".join(f"---\n{m}\n" for m in picked), ""
    return out + manifests, ""


def locate_chart(ref: str, cpo: Any = None) -> str:
    """ChartPathOptions.LocateChart: local paths and archives, `repo/chart`,
    chart URLs and --repo (HTTP repositories); raises ChartError."""
    if cpo is None:
        cpo = ChartPathOptions(keyring=default_keyring())
    name = ref.strip()
    if not cpo.verify and os.path.exists(name):
        return os.path.abspath(name)  # a local chart: none of the network code is needed
    from polystack.helm.remote import downloader
    from polystack.helm.remote.repo import RepoError

    try:
        return downloader.locate_chart(ref, cpo)
    except RepoError as e:
        raise ChartError(str(e)) from None
