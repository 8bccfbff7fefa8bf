"""No chart, values file or --set can crash `polystack helm template`, hang it
or exhaust the machine's memory.

Every case runs as `helm template` in a forked child (bounds_worker.py) under an
address-space limit and a CPU-time limit: the child must exit on its own (0, or
1 with Helm's `Error: ...`), never by a signal (SIGSEGV, SIGABRT, SIGXCPU when
over the CPU limit, SIGKILL), and its peak RSS stays under 1 GiB. The cases are
the families that exhaust real Helm (nested `tpl`, include cycles, deep data,
huge `repeat`/`until` counts, doubling strings, shared structure walked as a
tree) as fixed cases and as random templates; random cases small enough for
real Helm are also compared with Helm's output (live or recorded).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.helm import render_chart

from .recorded import Oracle, assert_same

WORKER = os.path.join(os.path.dirname(__file__), "bounds_worker.py")
AS_LIMIT = 2 << 30  # address space of a case (the render thread's stack is 128 MiB of it)
CPU_LIMIT = 15  # CPU seconds of a case: SIGXCPU past it (polystack stops renders at 10 s)
RSS_LIMIT_KB = 1 << 20  # 1 GiB


class Worker:
    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        self.proc = subprocess.Popen(
            [sys.executable, WORKER, str(AS_LIMIT), str(CPU_LIMIT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "bounds worker died"
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def check_bounded(res: dict[str, Any]) -> str:
    """The case ended by itself within the limits; returns its stderr head."""
    assert "signal" not in res, f"killed by signal {res.get('signal')}: {res}"
    assert res["maxrss_kb"] < RSS_LIMIT_KB, res
    err = res["stderr"]["head"]
    if res["exit"] == 0:
        assert err == "", res
    else:
        assert res["exit"] == 1, res
        assert err.startswith("Error: "), res
        assert "Traceback" not in err and "Exception" not in err, res
    return str(err)


def _tpl(text: str, **kw: Any) -> dict[str, Any]:
    return {"files": {"templates/a.yaml": text}, **kw}


def _cycle(k: int) -> str:
    defs = "".join(
        f'{{{{define "n{i}"}}}}{{{{include "n{(i + 1) % k}" .}}}}{{{{end}}}}' for i in range(k)
    )
    return defs + 'a: {{include "n0" .}}'


def _fanout(levels: int) -> str:
    defs = "".join(
        f'{{{{define "d{i}"}}}}{{{{include "d{i + 1}" .}}}}{{{{include "d{i + 1}" .}}}}{{{{end}}}}'
        for i in range(levels)
    )
    return defs + f'{{{{define "d{levels}"}}}}x{{{{end}}}}a: {{{{include "d0" . | len}}}}'


def _deep(n: int, open_: str = "[", close: str = "]") -> str:
    return open_ * n + close * n


DAG = "{{ $a := list 1 }}{{ range until 40 }}{{ $a = list $a $a }}{{ end }}"
DEEP_DICT = '{{ $d := dict }}{{ range until 100000 }}{{ $d = dict "a" $d }}{{ end }}'

# (id, case, what stderr must contain; "" when the render succeeds)
CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "tpl-empty-inside-tpl",
        _tpl(
            "{{ tpl .Values.file . }}", values='empty: ""\nfile: "a: {{ tpl .Values.empty . }}"\n'
        ),
        "",
    ),
    (
        "tpl-recursion",
        _tpl("a: {{ tpl .Values.x . }}", values='x: "{{ tpl .Values.x . }}"\n'),
        "rendering template has a nested reference name: gotpl: unable to execute template",
    ),
    (
        "tpl-recursion-through-include",
        _tpl(
            '{{ define "t" }}{{ tpl .Values.x . }}{{ end }}a: {{ include "t" . }}',
            values="x: '{{ include \"t\" . }}'\n",
        ),
        "rendering template has a nested reference name:",
    ),
    ("include-self", _tpl(_cycle(1)), "nested reference name: n0: unable to execute template"),
    ("include-cycle-5", _tpl(_cycle(5)), "nested reference name: n"),
    ("include-cycle-500", _tpl(_cycle(500)), "nested reference name: n"),
    (
        "template-self",
        _tpl('{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}'),
        "exceeded maximum template depth (100000)",
    ),
    (
        "block-self",
        _tpl('{{block "b" .}}{{template "b" .}}{{end}}'),
        "exceeded maximum template depth (100000)",
    ),
    ("include-fanout-2^30", _tpl(_fanout(30)), "exceeded maximum template work"),
    (
        "nested-ranges",
        _tpl("{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}"),
        "exceeded maximum template work",
    ),
    ("repeat", _tpl('a: {{ repeat 1000000000 "x" }}'), "exceeds the maximum value size"),
    ("repeat-of-repeat", _tpl('a: {{ repeat 100000 (repeat 100000 "x") }}'), "maximum value size"),
    ("until", _tpl("a: {{ until 1000000000 | len }}"), "exceeds the maximum length"),
    ("untilStep", _tpl("a: {{ untilStep 0 1000000000000 1 | len }}"), "maximum length"),
    ("seq", _tpl("a: {{ seq 1000000000 | len }}"), "exceeds the maximum length"),
    ("indent", _tpl('a: {{ indent 1000000000 "x" }}'), "exceeds the maximum value size"),
    ("randAlpha", _tpl("a: {{ randAlpha 1000000000 | len }}"), "exceeds the maximum value size"),
    (
        "replace-empty",
        _tpl('a: {{ replace "" (repeat 1000 "x") (repeat 1000000 "y") | len }}'),
        "exceeds the maximum value size",
    ),
    (
        "doubling-string",
        _tpl('{{ $s := "ab" }}{{ range until 64 }}{{ $s = printf "%s%s" $s $s }}{{ end }}a: 1'),
        "exceeds the maximum value size",
    ),
    ("shared-list-toJson", _tpl(DAG + "a: {{ toJson $a | len }}"), "maximum walk size"),
    ("shared-list-toYaml", _tpl(DAG + "a: {{ toYaml $a | len }}"), "maximum walk size"),
    ("shared-list-printf", _tpl(DAG + 'a: {{ printf "%v" $a | len }}'), "maximum walk size"),
    ("shared-list-deepCopy", _tpl(DAG + "a: {{ deepCopy $a | len }}"), "maximum walk size"),
    ("shared-list-deepEqual", _tpl(DAG + "a: {{ deepEqual $a (list $a) }}"), ""),
    (
        "self-containing-dict-toJson",
        _tpl('{{ $d := dict }}{{ $_ := set $d "self" $d }}a: "{{ toJson $d }}"'),
        "",
    ),
    (
        "self-containing-dict-print",
        _tpl('{{ $d := dict }}{{ $_ := set $d "self" $d }}a: "{{ $d }}"'),
        "value contains itself",
    ),
    ("deep-dict-toYaml", _tpl(DEEP_DICT + "a: {{ toYaml $d | len }}"), ""),
    ("deep-dict-toJson", _tpl(DEEP_DICT + "a: {{ toJson $d | len }}"), "value nested too deeply"),
    ("deep-dict-print", _tpl(DEEP_DICT + "a: {{ $d | len }}"), ""),
    ("deep-dict-printf", _tpl(DEEP_DICT + 'a: {{ printf "%v" $d | len }}'), ""),
    ("values-deep-list-9999", _tpl("a: 1", values="a: " + _deep(9999) + "\n"), ""),
    (
        "values-deep-list-10000",
        _tpl("a: 1", values="a: " + _deep(10000) + "\n"),
        "invalid character '[' exceeded max depth",
    ),
    (
        "values-deep-list-200000",
        _tpl("a: 1", values="a: " + _deep(200000) + "\n"),
        "yaml: exceeded max depth of 10000",
    ),
    (
        "values-deep-map",
        _tpl("a: 1", values="a: " + "{a: " * 30000 + "1" + "}" * 30000 + "\n"),
        "yaml: exceeded max depth of 10000",
    ),
    (
        "values-deep-block",
        _tpl("a: 1", values="a:\n" + "".join(" " * i + "-\n" for i in range(10001))),
        "yaml: line 10002: exceeded max depth of 10000",
    ),
    (
        "values-deep-toYaml",
        _tpl("a: {{ toYaml .Values | len }}", values="a: " + _deep(5000) + "\n"),
        "",
    ),
    (
        "set-deep-name",
        _tpl("a: 1", set=[".".join(["a"] * 100) + "=1"]),
        "maximum supported nested level of 30",
    ),
    ("set-index", _tpl("a: 1", set=["a[65537]=1"]), "greater than maximum supported index"),
    ("set-json-deep", _tpl("a: 1", set_json=["a=" + _deep(20000)]), "failed parsing --set-json"),
    (
        "fromJson-deep",
        _tpl('a: {{ fromJson (printf "%s%s" (repeat 100000 "[") (repeat 100000 "]")) | len }}'),
        "",
    ),
    (
        "fromYaml-deep",
        _tpl('a: {{ fromYaml (printf "a: %s%s" (repeat 100000 "[") (repeat 100000 "]")) | len }}'),
        "",
    ),
    (
        "regex-catastrophic",
        _tpl('a: {{ regexMatch "(a+)+$" (printf "%sb" (repeat 100000 "a")) }}'),
        "",
    ),
]


@pytest.mark.parametrize(("case", "expect"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pathological_input_is_bounded(worker: Worker, case: dict[str, Any], expect: str) -> None:
    res = worker.run(case)
    err = check_bounded(res)
    if expect:
        assert res["exit"] == 1, res
        text = err + res["stderr"]["tail"]
        assert expect in text, res
    else:
        assert res["exit"] == 0, res


# ---------------------------------------------------------------- random templates


@st.composite
def fragments(draw: Any) -> tuple[str, str, dict[str, Any], bool]:
    """(definitions, body, values, tame): one construct of a random template;
    tame when real Helm renders it quickly too."""
    kind = draw(
        st.sampled_from(
            [
                "tpl-nest",
                "tpl-loop",
                "include-chain",
                "template-chain",
                "repeat",
                "until",
                "ranges",
                "doubling",
                "shared",
                "deep-values",
                "deep-dict",
            ]
        )
    )
    p = draw(st.integers(0, 2**31))
    tag = f"f{p % 100000}"
    if kind == "tpl-nest":
        d = draw(st.integers(1, 30))
        leaf = draw(
            st.sampled_from(["", " ", "x", "{{ .Release.Name }}", '{{ define "q" }}Q{{ end }}'])
        )
        vals = {f"{tag}v{i}": f"<{{{{ tpl .Values.{tag}v{i + 1} . }}}}>" for i in range(d)}
        vals[f"{tag}v{d}"] = leaf
        return "", f"{{{{ tpl .Values.{tag}v0 . }}}}", vals, d <= 6
    if kind == "tpl-loop":
        vals = {
            f"{tag}x": f"{{{{ tpl .Values.{tag}y . }}}}",
            f"{tag}y": f"a{{{{ tpl .Values.{tag}x . }}}}",
        }
        return "", f"{{{{ tpl .Values.{tag}x . }}}}", vals, False
    if kind in ("include-chain", "template-chain"):
        k = draw(st.integers(1, 60))
        cyclic = draw(st.booleans())
        call = "include" if kind == "include-chain" else "template"
        defs = []
        for i in range(k):
            nxt = f"{tag}n{i + 1}" if i + 1 < k else (f"{tag}n0" if cyclic else "")
            inner = f'{{{{ {call} "{nxt}" . }}}}' if nxt else "end"
            defs.append(f'{{{{ define "{tag}n{i}" }}}}{i}{inner}{{{{ end }}}}')
        body = f'{{{{ {call} "{tag}n0" . }}}}'
        return "".join(defs), body, {}, not cyclic and k <= 20
    if kind == "repeat":
        n = draw(st.sampled_from([0, 3, 100, 10**9, 10**12]))
        return "", f'{{{{ repeat {n} "ab" | len }}}}', {}, n <= 100
    if kind == "until":
        n = draw(st.sampled_from([0, 5, 1000, 10**9]))
        return "", f"{{{{ range until {n} }}}}{{{{ . }}}}{{{{ end }}}}", {}, n <= 1000
    if kind == "ranges":
        a, b = draw(st.sampled_from([3, 100, 10**5])), draw(st.sampled_from([3, 100, 10**5]))
        body = f"{{{{ range until {a} }}}}{{{{ range until {b} }}}}{{{{ end }}}}{{{{ end }}}}"
        return "", body, {}, a * b <= 10**4
    if kind == "doubling":
        k = draw(st.integers(1, 64))
        body = (
            f'{{{{ $s{tag} := "ab" }}}}{{{{ range until {k} }}}}'
            f'{{{{ $s{tag} = printf "%s%s" $s{tag} $s{tag} }}}}{{{{ end }}}}{{{{ len $s{tag} }}}}'
        )
        return "", body, {}, k <= 10
    if kind == "shared":
        k = draw(st.integers(1, 40))
        walker = draw(st.sampled_from(["toJson", "toYaml", "toString", "deepCopy"]))
        body = (
            f"{{{{ $a{tag} := list 1 }}}}{{{{ range until {k} }}}}"
            f"{{{{ $a{tag} = list $a{tag} $a{tag} }}}}{{{{ end }}}}{{{{ {walker} $a{tag} | len }}}}"
        )
        return "", body, {}, k <= 8
    if kind == "deep-values":
        d = draw(st.sampled_from([1, 10, 50, 3000, 9999, 10001, 50000]))
        nest: Any = "leaf"
        for _ in range(min(d, 60)):
            nest = [nest]
        vals = {tag: nest if d <= 60 else {"__raw__": d}}
        walker = draw(st.sampled_from(["toJson", "toYaml", "toString"]))
        return "", f"{{{{ {walker} .Values.{tag} | len }}}}", vals, d <= 50
    k = draw(st.integers(1, 100000))
    walker = draw(st.sampled_from(["toJson", "toYaml", "toString"]))
    body = (
        f"{{{{ $d{tag} := dict }}}}{{{{ range until {k} }}}}"
        f'{{{{ $d{tag} = dict "a" $d{tag} }}}}{{{{ end }}}}{{{{ {walker} $d{tag} | len }}}}'
    )
    return "", body, {}, k <= 50


def _values_yaml(values: dict[str, Any]) -> str:
    lines = []
    for k, v in values.items():
        if isinstance(v, dict) and "__raw__" in v:
            lines.append(f"{k}: {_deep(v['__raw__'])}")
        else:
            lines.append(f"{k}: {json.dumps(v)}")
    return "\n".join(lines) + "\n"


@st.composite
def random_charts(draw: Any) -> tuple[dict[str, Any], bool, dict[str, Any]]:
    frags = draw(st.lists(fragments(), min_size=1, max_size=3))
    defs = "".join(f[0] for f in frags)
    body = "\n".join(f"k{i}: {f[1]!s}" for i, f in enumerate(frags))
    values: dict[str, Any] = {}
    for f in frags:
        values.update(f[2])
    tame = all(f[3] for f in frags)
    case = {"files": {"templates/a.yaml": defs + body + "\n"}, "values": _values_yaml(values)}
    return case, tame, values


def _theirs(helm: Any, path: str, values: dict[str, Any]) -> list[Any]:
    try:
        return ["ok", helm.Chart.load(path).render(values=values, name="r")]
    except helm.HelmError as e:
        return ["err", str(e)]


def _ours(path: str, values: dict[str, Any]) -> list[Any]:
    try:
        return ["ok", render_chart(path, values, name="r")]
    except Exception as e:  # noqa: BLE001 - compared with Helm's error text
        return ["err", str(e)]


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(chart=random_charts())
def test_random_templates_are_bounded(
    worker: Worker, oracle: Oracle, tmp_path_factory: Any, chart: Any
) -> None:
    case, tame, values = chart
    check_bounded(worker.run(case))
    if not tame:
        return
    root = tmp_path_factory.mktemp("chart")
    with open(root / "Chart.yaml", "w") as f:
        f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    os.makedirs(root / "templates")
    with open(root / "templates" / "a.yaml", "w") as f:
        f.write(case["files"]["templates/a.yaml"])
    key = hashlib.sha256(json.dumps(case, sort_keys=True).encode()).hexdigest()[:16]
    theirs = oracle.answer(key, lambda helm: _theirs(helm, str(root), values))
    assert_same(_ours(str(root), values), theirs, key)
