"""`helm template`'s rendering of a release (action.renderResources without
post-renderers): the kubeVersion check, the engine, notes, CRDs and the
manifests in install order; and render_chart, load + values + render in one call."""

from __future__ import annotations

from polystack.helm.chart.chart import Chart
from polystack.helm.golang.runtime import gc_paused
from polystack.helm.render.engine import Engine, RenderError
from polystack.helm.render.manifests import NOTES_SUFFIX, Hook, sort_manifests

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class RenderedRelease:
    __slots__ = ("manifest", "hooks", "notes", "files_written")

    def __init__(
        self, manifest: str, hooks: list[Hook], notes: str, files_written: list[str]
    ) -> None:
        self.manifest = manifest
        self.hooks = hooks
        self.notes = notes
        self.files_written = files_written

    def __repr__(self) -> str:
        return f"RenderedRelease(manifest={self.manifest!r}, hooks={self.hooks!r}, notes={self.notes!r}, files_written={self.files_written!r})"


def render_resources(
    chart: Chart,
    values: dict[str, Any],
    caps: Any,
    *,
    output_dir: str = "",
    release_name: str = "",
    use_release_name: bool = False,
    include_crds: bool = False,
    render_subchart_notes: bool = False,
    strict: bool = False,
    enable_dns: bool = False,
    writer: Callable[[str, str, str, bool], None] | None = None,
    cache: Any = None,
) -> RenderedRelease:
    """action.renderResources (without post-renderers)."""
    from polystack.helm.chart.values import is_compatible_range

    kv = chart.metadata.kube_version
    if kv and not is_compatible_range(kv, caps.KubeVersion.String()):
        raise RenderError(
            f"chart requires kubeVersion: {kv} which is incompatible with Kubernetes"
            f" {caps.KubeVersion.String()}"
        )
    files = Engine(strict=strict, enable_dns=enable_dns, cache=cache).render(chart, values)
    notes_paths: list[str] = []
    notes_map: dict[str, str] = {}
    root_notes = f"{chart.name()}/templates/{NOTES_SUFFIX}"
    for fp in list(files):
        if fp.endswith(NOTES_SUFFIX):
            if render_subchart_notes or fp == root_notes:
                notes_map[fp] = files[fp]
                notes_paths.append(fp)
            del files[fp]
    notes_paths.sort(key=lambda p: (p.count("/charts/"), p))
    hooks, manifests = sort_manifests(files, cache)
    b: list[str] = []
    written: list[str] = []
    file_written: dict[str, bool] = {}
    if include_crds:
        for _, filename, data in chart.crd_objects():
            text = data.decode("utf-8", "replace")
            if not output_dir:
                b.append(f"---\n# Source: {filename}\n{text}\n")
            else:
                assert writer is not None
                writer(output_dir, filename, text, file_written.get(filename, False))
                file_written[filename] = True
    for m in manifests:
        if not output_dir:
            b.append(f"---\n# Source: {m.name}\n{m.content}\n")
        else:
            assert writer is not None
            new_dir = output_dir + "/" + release_name if use_release_name else output_dir
            writer(new_dir, m.name, m.content, file_written.get(m.name, False))
            file_written[m.name] = True
    notes = "".join(
        notes_map[p] if i == 0 else "\n" + notes_map[p] for i, p in enumerate(notes_paths)
    )
    return RenderedRelease("".join(b), hooks, notes, written)


def render_chart(
    path: str,
    vals: dict[str, Any] | None = None,
    *,
    name: str = "release-name",
    namespace: str = "default",
    is_upgrade: bool = False,
    caps: Any = None,
    strict: bool = False,
) -> dict[str, str]:
    """Load, process dependencies, coalesce and render: every template's output."""
    with gc_paused():
        return _render_chart(path, vals, name, namespace, is_upgrade, caps, strict)


def _render_chart(
    path: str,
    vals: dict[str, Any] | None,
    name: str,
    namespace: str,
    is_upgrade: bool,
    caps: Any,
    strict: bool,
) -> dict[str, str]:
    from polystack.helm.chart import chart as chartmod
    from polystack.helm.chart import values as valuesmod
    from polystack.helm.funcs.helm import Capabilities

    ch = chartmod.load(path)
    user = dict(vals or {})
    valuesmod.process_dependencies(ch, user)
    caps = caps or Capabilities()
    opts = valuesmod.ReleaseOptions(
        name=name, namespace=namespace, is_install=not is_upgrade, is_upgrade=is_upgrade
    )
    top = valuesmod.to_render_values(ch, user, opts, caps)
    return Engine(strict=strict).render(ch, top)
