"""Helm's rendering engine (pkg/engine/engine.go).

All templates of a chart and its subcharts go into one template set named
`gotpl`, each under `<chart path>/templates/<file>`; partials (`_*`) are parsed
but not rendered; every template gets its chart's scoped values; `include`,
`tpl`, `required` and `fail` are closures over the set. Errors are reworded
exactly as Helm rewords text/template's.
"""

from __future__ import annotations

import gc
import os

from polystack.helm.chart.chart import Chart
from polystack.helm.funcs.helm import Files, Values, as_values
from polystack.helm.golang.log import get_logger
from polystack.helm.golang.runtime import gc_paused, run_deep
from polystack.helm.golang.strconv import quote as go_quote
from polystack.helm.golang.types import signature
from polystack.helm.render import includememo
from polystack.helm.render.includememo import MUTATORS, IncludeMemo, MemoInfo, MutatorFunc
from polystack.helm.template.errors import FuncError, ParseError, TemplateError
from polystack.helm.template.treecodec import forget_unpacked

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

log = get_logger(__name__)

WARN_START = "HELM_ERR_START"
WARN_END = "HELM_ERR_END"
RECURSION_MAX = 1000
# (a pattern, compiled by re's cache when an error is first reworded: not at start-up)
_WARN_PATTERN = WARN_START + r"(.*)" + WARN_END


class RenderError(Exception):
    """A render failure; str() is Helm's error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def warn_wrap(msg: str) -> str:
    return WARN_START + msg + WARN_END


def nested_reference(name: str) -> str:
    """Helm's error for include recursion (also polystack's for any nesting
    deeper than its limit: see template.limits)."""
    return f"rendering template has a nested reference name: {name}: unable to execute template"


# ---------------------------------------------------------------- function map

_BASE_FUNCS: dict[str, Callable[..., Any]] | None = None


def _no_dns(name: str) -> str:
    return ""


def base_funcs() -> dict[str, Callable[..., Any]]:
    """Sprig (without env/expandenv) plus Helm's context-free functions."""
    global _BASE_FUNCS
    if _BASE_FUNCS is None:
        from polystack.helm.funcs.helm import helm_funcs
        from polystack.helm.funcs.sprig import lazy_sprig_funcs

        # each Sprig module is imported when a template first calls one of its functions
        f: dict[str, Callable[..., Any]] = lazy_sprig_funcs()
        f.pop("env", None)
        f.pop("expandenv", None)
        # Helm answers "" for every getHostByName unless --enable-dns (Engine.enable_dns).
        f["getHostByName"] = _no_dns
        f.update(helm_funcs())
        _BASE_FUNCS = f
    return _BASE_FUNCS


# ---------------------------------------------------------------- error text


def cleanup_parse_error(filename: str, err: Exception) -> str:
    s = str(err)
    tokens = s.split(": ")
    if len(tokens) == 1:
        return f"parse error in ({filename}): {s}"
    return f"parse error at ({tokens[1]}): {tokens[-1]}"


def _trace_chain(s: str) -> list[tuple[str, str, str]] | None:
    entries: list[tuple[str, str, str]] = []
    while True:
        if not s.startswith("template: "):
            return None
        rem = s[len("template: ") :]
        if rem.startswith("no template "):
            entries.append(("", "", s))
            return entries
        loc, sep, after = rem.partition(": ")
        if not sep:
            return None
        if not after.startswith('executing "'):
            entries.append((loc, "", after))
            return entries
        i = after.find('" at <')
        if i < 0:
            return None
        name = after[len('executing "') : i]
        rest = after[i + len('" at <') :]
        j = rest.find(">: ")
        if j < 0:
            return None
        node, msg = rest[:j], rest[j + 3 :]
        executed = f'executing "{name}" at <{node}>:'
        import re  # (errors only)

        m = re.match(r"error calling ([^:\s]+): ", msg)
        if m:
            entries.append((loc, executed, msg[: m.end() - 1]))
            s = msg[m.end() :]
            continue
        entries.append((loc, executed, msg))
        return entries


def reformat_exec_error(filename: str, err: Exception) -> str:
    s = str(err)
    tokens = s.split(": ", 2)
    if len(tokens) != 3:
        return f"execution error in ({filename}): {s}"
    location = tokens[1]
    import re  # (errors only)

    m = re.search(_WARN_PATTERN, tokens[2], re.S)
    if m:
        return f"execution error at ({location}): {m.group(1)}"
    chain = _trace_chain(s)
    if chain is None:
        return s
    out: list[str] = []
    for loc, executed, msg in chain:
        if loc:
            out.append(f"{loc}\n  ")
        if executed:
            out.append(f"{executed}\n    ")
        if msg:
            out.append(f"{msg}\n")
    return "".join(out).strip()


# ---------------------------------------------------------------- parse cache
# Parsed trees depend only on the template's name and text (and on which
# function names exist, which is fixed for the engine), and compiled code looks
# functions up at run time, so trees can be shared between renders. The cache is
# off by default: a single render (the CLI) gains nothing from it, and the trees
# it keeps alive are objects every later cyclic-GC pass of the process has to
# walk (measured: +10-20 ms per render of bench/helm.py's chart). Programs that
# render the same charts again and again can turn it on.

_PARSE_CACHE: dict[tuple[str, str, int], dict[str, Any]] = {}
_PARSE_CACHE_MAX = 8192
PARSE_CACHE_ENABLED = False


def clear_parse_cache() -> None:
    _PARSE_CACHE.clear()


def parse_cached(ts: Any, name: str, text: str) -> Any:
    """ts.parse(name, text), reusing the trees of an identical earlier parse;
    returns the tree of the new template ``name``."""
    if not PARSE_CACHE_ENABLED:
        return ts.parse(name, text)
    return ts.add_parse_trees(name, _parse_trees_cached(ts, name, text))


def _parse_trees_cached(ts: Any, name: str, text: str) -> dict[str, Any]:
    key = (name, text, len(ts.funcs))
    trees = _PARSE_CACHE.get(key)
    if trees is None:
        trees = ts.parse_trees(name, text)
        if len(_PARSE_CACHE) >= _PARSE_CACHE_MAX:
            _PARSE_CACHE.clear()
        _PARSE_CACHE[key] = trees
    return trees


# ---------------------------------------------------------------- on-disk cache

# The template set of the last render made with the cyclic GC off (a `polystack
# helm` process: cli/process.py turns it off for the command and ends with
# os._exit), kept: freeing its trees one object at a time when the render ends
# cost a cached `helm template` of a ~130-template chart ~2 M instructions that
# the process's exit does not need. Only the last one: a long-running caller
# that turned the GC off holds one render's set at most.
_RETAINED: list[Any] = []

CACHE_ENV = "POLYSTACK_HELM_TEMPLATE_CACHE"
_OFF = ("", "0", "off", "false", "no", "none")


def default_template_cache() -> Any:
    """The on-disk cache of parsed templates the command line uses
    (template/diskcache.py): ``$HELM_CACHE_HOME/polystack/templates`` (Helm's
    cache home: $XDG_CACHE_HOME/helm, ~/.cache/helm). $POLYSTACK_HELM_TEMPLATE_CACHE
    set to a directory puts it there; set to ``off`` (or 0, false, empty) turns it off."""
    from polystack.helm.chart.helmpath import cache_path
    from polystack.helm.template.diskcache import TreeCache

    where = os.environ.get(CACHE_ENV)
    if where is None:
        return TreeCache(cache_path("polystack", "templates"))
    if where.strip().lower() in _OFF:
        return None
    return TreeCache(os.path.expanduser(where))


def _funcs_key(ts: Any) -> str:
    """What the parser knows of the functions: their names."""
    return ",".join(sorted(ts.funcs))


class _TplTrees:
    """The trees of the texts ``tpl`` parses in one render, by text.

    Helm's tpl parses its text at every call (``t.New(parent.Name()).Parse(text)``);
    the trees depend only on the text, the parse name (the set's, fixed) and the
    function names (fixed for the render), and are never changed by executing
    them, so a text is parsed once per render and its trees (or its parse error's
    text) are reused by every later call: each call still adds them to its own
    clone of the set and executes the new template, as Go does. With an on-disk
    cache (``disk``, a TreeCache) the trees of a text are stored there too, so a
    later render (a new process) does not lex or parse them at all.
    """

    __slots__ = ("disk", "fkey", "memo", "writes")

    MAX_MEMO = 1024  # distinct texts kept per render (then the memo starts again)
    MAX_WRITES = 256  # entries a render adds to the on-disk cache for tpl's texts

    def __init__(self, disk: Any, fkey: str) -> None:
        # (one per render: a render runs on one thread)
        self.disk = disk
        self.fkey = fkey
        self.memo: dict[tuple[str, str], Any] = {}
        self.writes = 0

    def get(self, ts: Any, name: str, text: str) -> Any:
        """The trees parse.Parse gives for ``text`` under ``name`` (a dict), or the
        text of its parse error (a str)."""
        key = (name, text)
        got = self.memo.get(key)
        if got is not None:
            return got
        disk = self.disk
        if disk is not None and not PARSE_CACHE_ENABLED:
            got = disk.get(name, text, self.fkey)
        if got is None:
            from polystack.helm.template.errors import ParseError

            try:
                if PARSE_CACHE_ENABLED:
                    got = _parse_trees_cached(ts, name, text)
                else:
                    got = ts.parse_trees(name, text)
            except ParseError as e:
                got = str(e)
            else:
                if disk is not None and self.writes < self.MAX_WRITES and not PARSE_CACHE_ENABLED:
                    self.writes += 1
                    disk.put(name, text, self.fkey, got)
        memo = self.memo
        if len(memo) >= self.MAX_MEMO:
            memo.clear()
        memo[key] = got
        return got


# ---------------------------------------------------------------- renderables


class Renderable:
    __slots__ = ("tpl", "vals", "base_path")

    def __init__(self, tpl: str, vals: dict[str, Any], base_path: str) -> None:
        self.tpl = tpl
        self.vals = vals
        self.base_path = base_path

    def __repr__(self) -> str:
        return f"Renderable(tpl={self.tpl!r}, vals={self.vals!r}, base_path={self.base_path!r})"


def _files_of(c: Chart) -> Any:
    return Files({f.name: f.data for f in c.files})


def all_templates(c: Chart, vals: dict[str, Any]) -> dict[str, Renderable]:
    templates: dict[str, Renderable] = {}
    _rec_all(c, templates, vals)
    return templates


def _rec_all(c: Chart, templates: dict[str, Renderable], vals: dict[str, Any]) -> dict[str, Any]:
    """recAllTpls: each chart's template data, scoped to its values.

    As in Go, the data (`$`), `.Values` and `.Template` are common.Values while
    the same maps seen from the parent (`.Subcharts.<name>`, `.Values.<name>`)
    are plain maps: see ValuesView.
    """
    sub: dict[str, Any] = {}
    nxt: dict[str, Any] = {
        "Chart": c.metadata.go_map(c.is_root()),
        "Files": _files_of(c),
        "Release": vals.get("Release"),
        "Capabilities": vals.get("Capabilities"),
        "Values": Values(),
        "Subcharts": sub,
    }
    if c.is_root():
        v = vals.get("Values")
        nxt["Values"] = as_values(v) if isinstance(v, dict) else v
    else:
        pv = vals.get("Values")
        if isinstance(pv, dict) and isinstance(pv.get(c.name()), dict):
            nxt["Values"] = as_values(pv[c.name()])
    for child in c.dependencies():
        sub[child.name()] = _rec_all(child, templates, nxt)
    parent_id = c.chart_full_path()
    library = c.is_library()
    data = as_values(nxt)
    for t in c.templates:
        if library and not t.name.rsplit("/", 1)[-1].startswith("_"):
            continue
        templates[parent_id + "/" + t.name] = Renderable(
            t.data.decode("utf-8", "replace"), data, parent_id + "/templates"
        )
    return nxt


def sort_templates(names: list[str]) -> list[str]:
    """sort.Reverse(byPathLen): deepest paths first, then reverse lexical order."""
    return sorted(names, key=lambda n: (n.count("/"), n), reverse=True)


# ---------------------------------------------------------------- engine


class Engine:
    def __init__(
        self,
        strict: bool = False,
        lint_mode: bool = False,
        enable_dns: bool = False,
        cache: Any = None,
    ) -> None:
        self.strict = strict
        self.lint_mode = lint_mode
        # Engine.EnableDNS: keep Sprig's getHostByName (net.LookupHost) instead of ""
        self.enable_dns = enable_dns
        # a template.diskcache.TreeCache for the chart's files and tpl's texts, or None
        self.cache = cache

    def render(self, chart: Chart, values: dict[str, Any]) -> dict[str, str]:
        tmap = all_templates(chart, values)
        # the cyclic GC off already: `polystack helm` is the process (cli/process.py),
        # which ends with os._exit; the render's set is kept (see _RETAINED)
        keep = not gc.isenabled()
        with gc_paused():
            return run_deep(lambda: self._render(tmap, keep))

    def _missingkey(self) -> str:
        return "error" if self.strict else "zero"

    def _render(self, tpls: dict[str, Renderable], keep: bool = False) -> dict[str, str]:
        from polystack.helm.template import TemplateSet

        funcs = dict(base_funcs())
        if self.enable_dns:
            from polystack.helm.funcs.sprig.urls import get_host_by_name

            funcs["getHostByName"] = get_host_by_name
        ts = TemplateSet(funcs, missingkey=self._missingkey())
        parsed = _TplTrees(self.cache, "")
        memo = None
        if includememo.ENABLED:
            memo = IncludeMemo(ts, self.lint_mode)
            for name in MUTATORS:
                ts.funcs[name] = MutatorFunc(ts.funcs[name], memo)
        self._install(ts, parsed, memo)
        parsed.fkey = _funcs_key(ts)  # (the names tpl's parser knows: include, tpl ... too)
        try:
            return self._render_set(ts, tpls, memo)
        finally:
            if parsed.writes and self.cache is not None:
                self.cache.prune()
            # the include/tpl closures refer to ts: break the cycle, so that the
            # trees and compiled code are freed now rather than by the cyclic GC
            ts.funcs.clear()
            if memo is not None:
                forget_unpacked()  # (branches the memo's analysis read and no one ran)
            if keep:
                _RETAINED[:] = [ts]

    def _render_set(
        self, ts: Any, tpls: dict[str, Renderable], memo: IncludeMemo | None = None
    ) -> dict[str, str]:
        keys = sort_templates(list(tpls))
        cache = self.cache
        set_id: str | None = None  # the set file of the trees (see includememo.facts_key)
        if cache is not None and not PARSE_CACHE_ENABLED:
            fkey = _funcs_key(ts)
            items = [(name, tpls[name].tpl) for name in keys]
            got = cache.get_set(items, fkey)
            if got is not None:
                for name, trees in zip(keys, got, strict=True):
                    ts.add_parse_trees(name, trees)
            else:
                try:
                    for name, text in items:
                        trees = cache.get(name, text, fkey)
                        if trees is None:
                            try:
                                trees = ts.parse_trees(name, text)
                            except ParseError as e:
                                raise RenderError(cleanup_parse_error(name, e)) from None
                            cache.put(name, text, fkey, trees)
                        ts.add_parse_trees(name, trees)
                finally:
                    cache.put_set(items, fkey)  # (nothing written unless all were stored)
            set_id = cache.last_set
            if cache.written:
                cache.prune()
        else:
            for name in keys:
                try:
                    parse_cached(ts, name, tpls[name].tpl)
                except ParseError as e:
                    raise RenderError(cleanup_parse_error(name, e)) from None
        facts = None
        if memo is not None and cache is not None and set_id is not None:
            # the defines' facts, analysed by an earlier render of these trees
            facts = includememo.facts_key(set_id, self.lint_mode)
            body = cache.get_blob(facts)
            if body is not None:
                memo.load_facts(body)
        rendered: dict[str, str] = {}
        for name in keys:
            if name.rsplit("/", 1)[-1].startswith("_"):
                continue
            r = tpls[name]
            r.vals["Template"] = Values({"Name": name, "BasePath": r.base_path})
            if memo is not None:
                memo.next_file()
            err = ""
            try:
                out = ts.execute(name, r.vals)
            except TemplateError as e:
                err = reformat_exec_error(name, e)
            except RecursionError:
                err = "rendering template failed: stack overflow"
            if err:
                # raised outside the handler: no chain of the nested errors is kept
                raise RenderError(err)
            rendered[name] = out.replace("<no value>", "")
        if facts is not None and memo is not None:
            learned = memo.dump_facts()
            if learned is not None:
                cache.put_blob(facts, learned)
        return rendered

    def _install(
        self, ts: Any, parsed: _TplTrees | None = None, memo: IncludeMemo | None = None
    ) -> None:
        ts.funcs["include"] = self._include_fun(ts, memo)
        ts.funcs["tpl"] = self._tpl_fun(ts, _TplTrees(None, "") if parsed is None else parsed, memo)
        ts.funcs["required"] = self._required
        ts.funcs["fail"] = self._fail

    def _include_fun(self, ts: Any, memo: IncludeMemo | None = None) -> Callable[..., str]:
        """Helm's include over ``ts``; with ``memo`` (render/includememo.py) the
        results of the defines it proves pure are kept and given again."""
        budget = ts.budget
        included = budget.included

        @signature("string", "interface {}")
        def include(name: str, data: Any) -> str:
            m = memo
            info: MemoInfo | None = None
            if m is not None:
                e = m.entries.get((name, id(data)))
                if (
                    e is not None
                    and e[0] is data
                    and (e[4] < 0 or e[4] == m.file)
                    and budget.nesting + e[3] < budget.max_nesting
                    and budget.work + e[2] <= budget.next_check
                ):
                    # what executing it would do: the same text, the same work,
                    # no limit met on the way (else it runs again, to meet it)
                    budget.work += e[2]
                    return e[1]
                info = m.verdict(name)
                if not info.ok:
                    info = None
            n = included.get(name)
            if n is not None:
                if n > RECURSION_MAX or budget.nesting >= budget.max_nesting:
                    raise FuncError(nested_reference(name))
                included[name] = n + 1
            else:
                if budget.nesting >= budget.max_nesting:
                    raise FuncError(nested_reference(name))
                included[name] = 1
            budget.nesting += 1
            err: TemplateError | None = None
            work = budget.work
            try:
                text = ts.execute(name, data)
                if info is not None and m is not None:
                    m.keep(name, data, text, budget.work - work, info)
                return text
            except TemplateError as e:
                err = e
            finally:
                included[name] -= 1
                budget.nesting -= 1
            # re-raised outside the handler: the caller wraps it into its own
            # error, and no chain of the nested errors stays alive meanwhile
            assert err is not None
            try:
                raise err
            finally:
                del err  # no cycle exception -> traceback -> this frame -> exception

        return include

    def _tpl_fun(
        self, parent: Any, parsed: _TplTrees, memo: IncludeMemo | None = None
    ) -> Callable[..., str]:
        budget = parent.budget

        @signature("string", "interface {}")
        def tpl(text: str, vals: Any) -> str:
            # Helm: t := parent.Clone(); re-inject include/tpl over t;
            # t.New(parent.Name()).Parse(text); the *new* template is executed
            if budget.nesting >= budget.max_nesting:
                raise FuncError(nested_reference(parent.name))
            t = parent.clone()
            msg = ""
            budget.nesting += 1
            try:
                trees = parsed.get(t, parent.name, text)
                if type(trees) is str:
                    msg = f"cannot parse template {go_quote(text)}: {trees}"
                else:
                    # the clone shares the render's include memo unless the text
                    # defines templates (its includes may then resolve differently)
                    shared = memo if len(trees) == 1 else None
                    t.funcs["include"] = self._include_fun(t, shared)
                    t.funcs["tpl"] = self._tpl_fun(t, parsed, shared)
                    tree = t.add_parse_trees(parent.name, trees)
                    try:
                        out = t.execute_tree(parent.name, tree, vals)
                    except TemplateError as e:
                        msg = f"error during tpl function execution for {go_quote(text)}: {e}"
            finally:
                budget.nesting -= 1
                t.funcs.clear()  # the include/tpl closures refer to t: break the cycle
            if msg:
                raise FuncError(msg)
            return out.replace("<no value>", "")

        return tpl

    @property
    def _required(self) -> Callable[..., Any]:
        lint_mode = self.lint_mode

        @signature("string", "interface {}")
        def required(warn: str, val: Any) -> Any:
            if val is None or (isinstance(val, str) and val == ""):
                if lint_mode:
                    log.info("[INFO] Missing required value: %s", warn)
                    return ""
                raise FuncError(warn_wrap(warn))
            return val

        return required

    @property
    def _fail(self) -> Callable[..., Any]:
        lint_mode = self.lint_mode

        @signature("string")
        def fail(msg: str) -> str:
            if lint_mode:
                log.info("[INFO] Fail: %s", msg)
                return ""
            raise FuncError(warn_wrap(msg))

        return fail


def render(chart: Chart, values: dict[str, Any], strict: bool = False) -> dict[str, str]:
    return Engine(strict=strict).render(chart, values)
