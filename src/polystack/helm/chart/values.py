"""Helm values: coalescing (pkg/chart/common/util/coalesce.go), dependency
enabling and import-values (pkg/chart/v2/util/dependencies.go), the values
given on the command line (pkg/cli/values) and values.schema.json validation.
"""

from __future__ import annotations

from marshal import dumps as _dumps
from marshal import loads as _loads

from polystack.helm.chart.chart import (
    Chart,
    ChartError,
    Dependency,
)
from polystack.helm.golang.log import get_logger
from polystack.helm.golang.strconv import format_float_g
from polystack.helm.golang.types import deep_copy as _deep_copy
from polystack.helm.golang.types import type_of

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

log = get_logger(__name__)

GLOBAL_KEY = "global"


class ValuesError(Exception):
    """A values problem with Helm's message."""


def deep_copy(v: Any) -> Any:
    """golang.types.deep_copy of a values tree: a tree of only plain maps, lists,
    strings, numbers, booleans and nulls (what a values file or the cache of
    parsed chart files gives) is copied by ``marshal`` (format 2: no object
    shared, as the element-wise copy; several times fewer instructions), any
    other tree element by element."""
    try:
        return _loads(_dumps(v, 2))
    except ValueError:  # (a value marshal does not write: an object of its own type)
        return _deep_copy(v)


def istable(v: Any) -> bool:
    return isinstance(v, dict)


def _concat(a: str, b: str) -> str:
    return b if not a else f"{a}.{b}"


# ---------------------------------------------------------------- coalescing


def coalesce_values(chart: Chart, vals: dict[str, Any] | None) -> dict[str, Any]:
    """CoalesceValues: user values over chart defaults, null deletes a key."""
    dest = deep_copy(vals) if vals else {}
    return _coalesce(chart, dest, "", False)


def merge_values(chart: Chart, vals: dict[str, Any] | None) -> dict[str, Any]:
    """MergeValues: like coalesce_values but nulls are kept."""
    dest = deep_copy(vals) if vals else {}
    return _coalesce(chart, dest, "", True)


def _coalesce(ch: Chart, dest: dict[str, Any], prefix: str, merge: bool) -> dict[str, Any]:
    _coalesce_chart_values(ch, dest, prefix, merge)
    return _coalesce_deps(ch, dest, prefix, merge)


def _coalesce_deps(ch: Chart, dest: dict[str, Any], prefix: str, merge: bool) -> dict[str, Any]:
    for sub in ch.dependencies():
        name = sub.name()
        if name not in dest:
            dest[name] = {}
        elif not istable(dest[name]):
            raise ValuesError(f"type mismatch on {name}: %!t({type_of(dest[name])}={dest[name]})")
        dvmap = dest[name]
        sub_prefix = _concat(prefix, ch.name())
        _coalesce_globals(dvmap, dest, sub_prefix)
        dest[name] = _coalesce(sub, dvmap, sub_prefix, merge)
    return dest


def _coalesce_globals(dest: dict[str, Any], src: dict[str, Any], prefix: str) -> None:
    if GLOBAL_KEY not in dest:
        dg: dict[str, Any] = {}
    else:
        dg = dest[GLOBAL_KEY]
        if not isinstance(dg, dict):
            log.warning(
                "warning: skipping globals because destination %s is not a table.", GLOBAL_KEY
            )
            return
    if GLOBAL_KEY not in src:
        sg: dict[str, Any] = {}
    else:
        sg = src[GLOBAL_KEY]
        if not isinstance(sg, dict):
            log.warning("warning: skipping globals because source %s is not a table.", GLOBAL_KEY)
            return
    for key, val in sg.items():
        if istable(val):
            vv = dict(val)
            if key not in dg:
                dg[key] = vv
            else:
                destv = dg[key]
                if not isinstance(destv, dict):
                    log.warning('Conflict: cannot merge map onto non-map for "%s". Skipping.', key)
                else:
                    _coalesce_tables(vv, destv, _concat(prefix, key), True)
                    dg[key] = vv
        elif key in dg and istable(dg[key]):
            log.warning("key %s is table. Skipping", key)
        else:
            dg[key] = val
    dest[GLOBAL_KEY] = dg


def _child_chart_merge_true(ch: Chart, key: str, merge: bool) -> bool:
    for sub in ch.dependencies():
        if sub.name() == key:
            return True
    return merge


def _clean_nil(m: dict[str, Any]) -> None:
    for key in list(m):
        val = m[key]
        if val is None:
            del m[key]
        elif isinstance(val, dict):
            _clean_nil(val)


def _coalesce_chart_values(ch: Chart, v: dict[str, Any], prefix: str, merge: bool) -> None:
    sub_prefix = _concat(prefix, ch.name())
    vc = deep_copy(ch.values)
    for key, val in vc.items():
        if key in v:
            value = v[key]
            if value is None and not merge:
                del v[key]
            elif isinstance(value, dict):
                if not isinstance(val, dict):
                    if val is not None:
                        log.warning(
                            "warning: skipped value for %s.%s: Not a table.", sub_prefix, key
                        )
                else:
                    m = _child_chart_merge_true(ch, key, merge)
                    if not m:
                        # Helm 4.2: chart-default nulls are dropped before merging
                        _clean_nil(val)
                    _coalesce_tables(value, val, _concat(sub_prefix, key), m)
        else:
            if not merge:
                if val is None:
                    continue
                if isinstance(val, dict):
                    _clean_nil(val)
            v[key] = val


def coalesce_tables(
    dst: dict[str, Any] | None, src: dict[str, Any] | None
) -> dict[str, Any] | None:
    return _coalesce_tables(dst, src, "", False)


def merge_tables(dst: dict[str, Any] | None, src: dict[str, Any] | None) -> dict[str, Any] | None:
    return _coalesce_tables(dst, src, "", True)


def _coalesce_tables(
    dst: dict[str, Any] | None, src: dict[str, Any] | None, prefix: str, merge: bool
) -> dict[str, Any] | None:
    if src is None:
        return dst
    if dst is None:
        return src
    src_non_nil = {k for k, v in src.items() if v is not None}
    for key, val in dst.items():
        if val is None:
            src[key] = None
    for key, val in list(src.items()):
        fullkey = _concat(prefix, key)
        present = key in dst
        dv = dst.get(key)
        if present and not merge and dv is None and key in src_non_nil:
            del dst[key]
        elif not present:
            dst[key] = val
        elif istable(val):
            if istable(dv):
                _coalesce_tables(dv, val, fullkey, merge)
            else:
                log.warning(
                    "warning: cannot overwrite table with non table for %s (%s)", fullkey, val
                )
        elif istable(dv) and val is not None:
            log.warning(
                "warning: destination for %s is a table. Ignoring non-table value (%s)",
                fullkey,
                val,
            )
    return dst


# ---------------------------------------------------------------- paths


class NoValue(Exception):
    pass


def table(v: dict[str, Any], name: str) -> dict[str, Any] | None:
    t: Any = v
    for n in name.split("."):
        if not isinstance(t, dict) or n not in t or not isinstance(t[n], dict):
            return None
        t = t[n]
    return t


def path_value(v: dict[str, Any], path: str) -> Any:
    parts = path.split(".")
    if len(parts) == 1:
        if parts[0] in v and not istable(v[parts[0]]):
            return v[parts[0]]
        raise NoValue(parts[0])
    key = parts[-1]
    t = table(v, ".".join(parts[:-1]))
    if t is None:
        raise NoValue(key)
    if key in t and not istable(t[key]):
        return t[key]
    raise NoValue(key)


# ---------------------------------------------------------------- dependencies


def _is_plain_version(v: str) -> bool:
    """``MAJOR.MINOR.PATCH`` of ASCII decimal numbers without leading zeros: as a
    constraint (no operator: "="), satisfied by that version and no other."""
    parts = v.split(".")
    return len(parts) == 3 and all(
        p.isascii() and p.isdigit() and (p == "0" or p[0] != "0") for p in parts
    )


def is_compatible_range(constraint: str, version: str) -> bool:
    """chartutil.IsCompatibleRange: whether ``version`` satisfies ``constraint``
    (false when either does not parse)."""
    if constraint == version and _is_plain_version(version):
        return True  # "=X.Y.Z" of X.Y.Z itself: no constraint compiled
    from polystack.helm.encoding import semver  # (a constraint other than the version)

    try:
        c = semver.Constraints.parse(constraint)
        v = semver.Version.parse(version)
    except semver.SemverError:
        return False
    return bool(c.check(v))


def _alias_dependency(charts: list[Chart], dep: Dependency) -> Chart | None:
    for c in charts:
        if c.name() != dep.name:
            continue
        if not is_compatible_range(dep.version, c.metadata.version):
            continue
        out = c.shallow_copy()
        md = c.metadata.copy()
        md.dependencies = [d.copy() for d in c.metadata.dependencies]
        out.metadata = md
        out.set_dependencies(*[d.shallow_copy() for d in c.dependencies()])
        if dep.alias:
            md.name = dep.alias
        return out
    return None


def process_dependencies(c: Chart, v: dict[str, Any]) -> None:
    """chartutil.ProcessDependencies: drop disabled subcharts, import values."""
    _process_enabled(c, v, "")
    _process_import_values_rec(c, True)


def _process_enabled(c: Chart, v: dict[str, Any], path: str) -> None:
    if not c.metadata.dependencies:
        return
    chart_deps: list[Chart] = []
    for existing in c.dependencies():
        if any(
            existing.name() == req.name
            and is_compatible_range(req.version, existing.metadata.version)
            for req in c.metadata.dependencies
        ):
            continue
        chart_deps.append(existing)
    for req in c.metadata.dependencies:
        cd = _alias_dependency(c.dependencies(), req)
        if cd is not None:
            chart_deps.append(cd)
        if req.alias:
            req.name = req.alias
    c.set_dependencies(*chart_deps)
    for lr in c.metadata.dependencies:
        lr.enabled = True
    cvals = coalesce_values(c, v)
    _process_tags(c.metadata.dependencies, cvals)
    _process_conditions(c.metadata.dependencies, cvals, path)
    rm = {r.name for r in c.metadata.dependencies if not r.enabled}
    cd_list = [n for n in c.dependencies() if n.metadata.name not in rm]
    cd_meta = [n for n in c.metadata.dependencies if n.name not in rm]
    for t in cd_list:
        _process_enabled(t, cvals, path + t.metadata.name + ".")
    c.metadata.dependencies = cd_meta
    c.set_dependencies(*cd_list)


def _process_tags(reqs: list[Dependency], cvals: dict[str, Any]) -> None:
    vt = table(cvals, "tags")
    if vt is None:
        return
    for r in reqs:
        has_true = has_false = False
        for k in r.tags:
            if k in vt:
                b = vt[k]
                if isinstance(b, bool):
                    if b:
                        has_true = True
                    else:
                        has_false = True
                else:
                    log.warning("returned non-bool value tag=%s chart=%s", k, r.name)
        if not has_true and has_false:
            r.enabled = False
        elif has_true or (not has_true and not has_false):
            r.enabled = True


def _process_conditions(reqs: list[Dependency], cvals: dict[str, Any], cpath: str) -> None:
    for r in reqs:
        for cond in r.condition.strip().split(","):
            if not cond:
                continue
            try:
                vv = path_value(cvals, cpath + cond)
            except NoValue:
                continue
            if isinstance(vv, bool):
                r.enabled = vv
                break
            log.warning("returned non-bool value path=%s chart=%s", cond, r.name)


def _path_to_map(path: str, data: dict[str, Any]) -> dict[str, Any]:
    if path == ".":
        return data
    cur: dict[str, Any] = data
    for p in reversed(path.split(".")):
        cur = {p: cur}
    return cur


def _process_import_values(c: Chart, merge: bool) -> None:
    if not c.metadata.dependencies:
        return
    cvals = merge_values(c, None) if merge else coalesce_values(c, None)
    b: dict[str, Any] = {}
    for r in c.metadata.dependencies:
        outiv: list[Any] = []
        for riv in r.import_values:
            if isinstance(riv, dict):
                child = _fmt_v(riv.get("child"))
                parent = _fmt_v(riv.get("parent"))
                outiv.append({"child": child, "parent": parent})
                vv = table(cvals, r.name + "." + child)
                if vv is None:
                    log.warning("ImportValues missing table from chart %s", r.name)
                    continue
                pm = _path_to_map(parent, deep_copy(vv))
                b = (merge_tables if merge else coalesce_tables)(b, pm) or {}
            elif isinstance(riv, str):
                child = "exports." + riv
                outiv.append({"child": child, "parent": "."})
                vm = table(cvals, r.name + "." + child)
                if vm is None:
                    log.warning("ImportValues missing table")
                    continue
                b = (merge_tables if merge else coalesce_tables)(b, deep_copy(vm)) or {}
        r.import_values = outiv
    if merge:
        c.values = merge_tables(deep_copy(cvals), b) or {}
    else:
        c.values = coalesce_tables(_trim_nil(cvals), b) or {}


def _fmt_v(v: Any) -> str:
    if v is None:
        return "<nil>"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_float_g(v)
    return str(v)


def _trim_nil(vals: dict[str, Any]) -> dict[str, Any]:
    out = deep_copy(vals)
    for k in list(out):
        if out[k] is None:
            del out[k]
        elif isinstance(out[k], dict):
            out[k] = _trim_nil(out[k])
    return out


def _process_import_values_rec(c: Chart, merge: bool) -> None:
    for d in c.dependencies():
        _process_import_values_rec(d, merge)
    _process_import_values(c, merge)


def check_dependencies(c: Chart) -> None:
    """action.CheckDependencies."""
    names = {d.name() for d in c.dependencies()}
    missing = [r.name for r in c.metadata.dependencies if r.name not in names]
    if missing:
        raise ChartError(
            "found in Chart.yaml, but missing in charts/ directory: " + ", ".join(missing)
        )


# ---------------------------------------------------------------- schema


def validate_against_schema(c: Chart, values: dict[str, Any]) -> str:
    """ValidateAgainstSchema: '' when valid, else Helm's per-chart error text."""
    out: list[str] = []
    if c.schema is not None:
        from polystack.helm.chart.schema import validate_single

        err = validate_single(values, c.schema)
        if err:
            out.append(f"{c.name()}:\n")
            out.append(err)
    for sub in c.dependencies():
        raw = values.get(sub.name())
        if raw is None:
            continue
        if not isinstance(raw, dict):
            out.append(
                f"{sub.name()}:\ninvalid type for values: expected object (map), got {type_of(raw)}\n"
            )
            continue
        e = validate_against_schema(sub, raw)
        if e:
            out.append(e)
    return "".join(out)


# ---------------------------------------------------------------- render values


class ReleaseOptions:
    """chartutil.ReleaseOptions: .Release's fields."""

    __slots__ = ("name", "namespace", "revision", "is_install", "is_upgrade")

    def __init__(
        self,
        name: str = "release-name",
        namespace: str = "default",
        revision: int = 1,
        is_install: bool = True,
        is_upgrade: bool = False,
    ) -> None:
        self.name = name
        self.namespace = namespace
        self.revision = revision
        self.is_install = is_install
        self.is_upgrade = is_upgrade

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in ReleaseOptions.__slots__)
        return f"ReleaseOptions({fields})"


def to_render_values(
    chart: Chart,
    chart_vals: dict[str, Any],
    options: ReleaseOptions,
    caps: Any,
    skip_schema_validation: bool = False,
) -> dict[str, Any]:
    top: dict[str, Any] = {
        "Chart": chart.metadata.go_map(chart.is_root()),
        "Capabilities": caps,
        "Release": {
            "Name": options.name,
            "Namespace": options.namespace,
            "IsUpgrade": options.is_upgrade,
            "IsInstall": options.is_install,
            "Revision": options.revision,
            "Service": "Helm",
        },
    }
    vals = coalesce_values(chart, chart_vals)
    if not skip_schema_validation:
        err = validate_against_schema(chart, vals)
        if err:
            raise ValuesError(
                "values don't meet the specifications of the schema(s) in the following"
                " chart(s):\n" + err
            )
    top["Values"] = vals
    return top
