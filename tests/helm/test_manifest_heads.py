"""The SimpleHead scanner (render/heads.py) against the full parse
(render/manifests._parse_head, itself compared with Helm elsewhere): whenever it
answers, the full parse accepts the document and reads the same head; and it
answers for the manifests charts render (it is not a path that always steps aside)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystack.helm.render import heads
from polystack.helm.render.heads import scan_head
from polystack.helm.render.manifests import RenderError, _parse_head, split_manifests

# scalars on libyaml's, goyaml's and JSON's edges
SCALARS = [
    "v1",
    "apps/v1",
    "Deployment",
    "x",
    "",
    "~",
    "null",
    "Null",
    "true",
    "yes",
    "on",
    "n",
    "1",
    "-1",
    "+1",
    "1.5",
    ".5",
    ".nan",
    ".inf",
    "-.inf",
    "1e999",
    "1e3",
    "0x1F",
    "017",
    "18446744073709551616",
    "9223372036854775807",
    "2001-12-14",
    "1:30",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#x",
    "- x",
    "-",
    "-x",
    "--x",
    "---",
    "--- x",
    "...",
    "? x",
    "?x",
    ":x",
    "x:",
    "'q'",
    "'it''s'",
    "'a' b",
    "'open",
    '"d"',
    '"a\\"b"',
    '"\\q"',
    '"\\u00e9"',
    '"\\ud800"',
    '"\\x4"',
    '"a" # c',
    '"a"#c',
    '"a" b',
    '"open',
    "{}",
    "[]",
    "{ }",
    "[a, b]",
    '["*"]',
    '[""]',
    "[a, ]",
    "[.nan]",
    "[a b]",
    "[a] x",
    "{a: b}",
    "&a x",
    "*a",
    "!!str x",
    "!!binary x",
    "%x",
    "@x",
    "`x",
    "<<",
    "x # comment",
    "é",
    "a\tb",
    "a  b",
    "|",
    "|-",
    ">+",
    "|2",
    "| # c",
]
KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "annotations",
    "Kind",
    "KIND",
    "apiversion",
    "Name",
    "labels",
    "spec",
    "a",
    "b",
    "helm.sh/hook",
    '"helm.sh/hook"',
    '"q k"',
    '"a\\"b"',
    '"x":',
    "1",
    "true",
    "y",
    "null",
    "<<",
    "a b",
    "-a",
    "a:b",
    "?a",
    "é",
]

# mostly ordinary values and keys, so that most documents are ones the scanner reads
ORDINARY = ["v1", "x", "a-b", "Service", "1", "true", "'q'", '"d"', "", "~", "{}", "[a, b]"]
_scalar = st.sampled_from(ORDINARY * 40 + SCALARS)
_key = st.sampled_from(
    ["apiVersion", "kind", "metadata", "name", "annotations", "a", "b"] * 8 + KEYS
)
_block_lines = st.lists(
    st.sampled_from(["text", "  more", "", "   ", "a: b", "# c", "- x", "text", "text"]), max_size=4
)
_node = st.recursive(
    _scalar.map(lambda s: ("scalar", s))
    | st.tuples(st.sampled_from(["|", "|-", ">", "|+"]), _block_lines).map(
        lambda t: ("block", t[0], t[1])
    ),
    lambda inner: (
        st.lists(st.tuples(_key, inner), max_size=4).map(lambda kv: ("map", kv))
        | st.lists(inner, max_size=3).map(lambda vs: ("seq", vs))
    ),
    max_leaves=16,
)
# a root mapping, its head fields likely
_root = st.lists(
    st.tuples(st.sampled_from(["apiVersion", "kind", "metadata"]) | _key, _node),
    min_size=1,
    max_size=5,
    unique_by=lambda kv: kv[0],
).map(lambda kv: ("map", kv))


def _render(node: Any, ind: int, out: list[str], r: Any) -> None:
    """Block YAML of a generated node whose parent line is written (a map's or
    sequence's entries at ``ind``)."""
    kind = node[0]
    sp = " " * ind
    if kind == "map":
        for k, v in node[1]:
            _entry(sp + k + ":", v, ind, out, r)
    elif kind == "seq":
        for v in node[1]:
            if v[0] == "map" and v[1] and r.random() < 0.7:
                # "- key: value" with the rest of the map at the key's column
                (k0, v0), *more = v[1]
                _entry(sp + "- " + k0 + ":", v0, ind + 2, out, r)
                _render(("map", more), ind + 2, out, r)
            else:
                _entry(sp + "-", v, ind, out, r)


def _entry(head: str, v: Any, ind: int, out: list[str], r: Any) -> None:
    kind = v[0]
    if kind == "scalar":
        out.append(head + " " + v[1] if v[1] or r.random() < 0.5 else head)
    elif kind == "block":
        out.append(head + " " + v[1])
        out.extend((" " * (ind + 2) + line if line else line) for line in v[2])
    elif not v[1]:
        flow = "{}" if kind == "map" else "[]"
        if r.random() < 0.5:
            out.append(head + " " + flow)
        else:
            out.append(head)
            out.append(" " * (ind + 2) + flow)
    else:
        out.append(head)
        if kind == "seq" and head.lstrip().startswith(("-", '"')) is False and r.random() < 0.5:
            _render(v, ind, out, r)  # a sequence at its key's indentation
        else:
            _render(v, ind + r.choice([2, 2, 4, 1]), out, r)


def _mutate(lines: list[str], r: Any) -> list[str]:
    """Comments, blank lines, trailing spaces and indentation slips here and there."""
    out = list(lines)
    for _ in range(r.randrange(3)):
        if not out:
            break
        i = r.randrange(len(out))
        what = r.randrange(8)
        if what == 0:
            out.insert(i, " " * r.randrange(6) + "# comment")
        elif what == 1:
            out.insert(i, " " * r.randrange(4))
        elif what == 2:
            out[i] += " " * r.randrange(1, 3)
        elif what == 3:
            out[i] = " " + out[i]
        elif what == 4:
            out[i] = out[i][1:] if out[i].startswith(" ") else out[i]
        elif what == 5:
            out.insert(i, out[i])
        elif what == 6:
            del out[i]
        else:
            out[i] += "\t"
    return out


def _full(doc: str) -> Any:
    try:
        return _parse_head("t.yaml", doc)
    except RenderError as e:
        return e


@settings(max_examples=700, deadline=None, suppress_health_check=list(HealthCheck))
@given(_root, st.randoms(use_true_random=False), st.sampled_from([False, False, True]))
def test_scanner_answers_only_what_the_full_parse_reads(node: Any, r: Any, mutate: bool) -> None:
    lines: list[str] = []
    _render(node, 0, lines, r)
    if mutate:
        lines = _mutate(lines, r)
    doc = "\n".join(lines)
    heads._LINES.clear()
    head = scan_head(doc)
    # the lines checked are kept (heads._LINES, and across examples): the same
    # document again gives the same answer
    assert scan_head(doc) == head, doc
    if head is not None:
        assert head == _full(doc), doc


def test_known_lines_are_the_checked_ones() -> None:
    """A line is kept only when its checks passed and read nothing beyond it (not a
    block scalar's header, whose lines follow)."""
    heads._LINES.clear()
    doc = "apiVersion: v1\nkind: K\nspec:\n  a: 1\n  b:\n    - c\n  d: |\n    x\n  e: 'q'\n"
    assert scan_head(doc) == ("v1", "K", "", None)
    assert heads._LINES == {"a: 1": False, "b:": True, "e: 'q'": False}
    assert scan_head(doc) == ("v1", "K", "", None)
    long = "f: " + "x" * heads._LINE_MAX_KEPT  # (checked each time: the memo stays small)
    assert scan_head(doc + "  " + long + "\n") == ("v1", "K", "", None)
    assert long not in heads._LINES


# ordinary documents: the head's fields strings (metadata a map), everything else
# ordinary values and keys in any nesting
_ord_scalar = st.sampled_from(ORDINARY).map(lambda s: ("scalar", s))
_ord_node = st.recursive(
    _ord_scalar
    | st.tuples(st.sampled_from(["|", "|-", ">"]), st.lists(st.sampled_from(["t", "  u", ""]))).map(
        lambda t: ("block", t[0], ["t", *t[1]])
    ),
    lambda inner: (
        st.lists(
            st.tuples(st.sampled_from(["a", "b", "c.d/e", "spec", "labels"]), inner),
            max_size=4,
            unique_by=lambda kv: kv[0],
        ).map(lambda kv: ("map", kv))
        | st.lists(inner, max_size=3).map(lambda vs: ("seq", vs))
    ),
    max_leaves=20,
)
_ord_string = st.sampled_from(["v1", "x", "'q'", '"d"', "a-b"]).map(lambda s: ("scalar", s))
_ord_ann = st.lists(
    st.tuples(st.sampled_from(["a", "helm.sh/hook", '"x/y"']), _ord_string),
    max_size=3,
    unique_by=lambda kv: kv[0],
).map(lambda kv: ("map", kv))
_ord_meta = st.tuples(_ord_string, _ord_ann, _ord_node).map(
    lambda t: ("map", [("name", t[0]), ("annotations", t[1]), ("labels", t[2])])
)
_ord_root = st.tuples(_ord_string, _ord_string, _ord_meta, _ord_node).map(
    lambda t: ("map", [("apiVersion", t[0]), ("kind", t[1]), ("metadata", t[2]), ("spec", t[3])])
)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(_ord_root, st.randoms(use_true_random=False), st.booleans())
def test_scanner_reads_ordinary_documents(node: Any, r: Any, mutate: bool) -> None:
    lines: list[str] = []
    _render(node, 0, lines, r)
    if mutate:
        lines = _mutate(lines, r)
    doc = "\n".join(lines)
    head = scan_head(doc)
    if not mutate:
        assert head is not None, doc
    if head is not None:
        assert head == _full(doc), doc


MANIFESTS = [
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  labels:\n    a: b\n    a: b\n"
    "spec:\n  type: ClusterIP\n  ports:\n    - port: 80\n      targetPort: http\n"
    "      protocol: TCP\n      name: http\n  selector:\n    app.kubernetes.io/name: x",
    "# Source: x/templates/hook.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n"
    '  name: "x-test"\n  annotations:\n    "helm.sh/hook": test\n    helm.sh/hook-weight: "-5"\n'
    "    empty:\nspec:\n  containers:\n    - name: wget\n      image: busybox\n"
    "      command: ['wget']\n      args: ['x:80']\n  restartPolicy: Never",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  conf: |\n"
    '    a: b\n    # not a comment\n\n    - x\n  json: "{\\"a\\":1}"\n  other: x',
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n"
    'rules:\n- apiGroups: [""]\n  resources: [pods, services]\n  verbs: ["get", "list"]',
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n"
    "    {}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n"
    "          args:\n            - --path.procfs=/host/proc\n          resources:\n"
    "            {}\n      nodeSelector:\n        kubernetes.io/os: linux",
]


@pytest.mark.parametrize("doc", MANIFESTS, ids=range(len(MANIFESTS)))
def test_rendered_manifests_are_scanned(doc: str) -> None:
    head = scan_head(doc)
    assert head is not None
    assert head == _parse_head("t.yaml", doc)


@pytest.mark.parametrize(
    "doc",
    [
        "kind: 1\n",  # not a string: Helm's error
        "kind: [a]\n",
        "metadata: x\n",
        "metadata:\n  annotations:\n    a: 1\n",
        "a: .nan\n",  # JSON cannot hold it
        "a: b: c\n",  # a YAML error
        "a:\n  b: c\n d: e\n",
        "kind: A\nkind: B\n",
        "Kind: A\nkind: B\n",
        "- a\n",
        "a: b\n- x\n",  # an item where a key was expected
        "a:\n  b: c\n  - x\n",
        "a:\n- x\nb\n",
        "a: |\n    x\n  y\n",  # a line less indented than its block scalar
        "a: [.nan]\n",
        "a: b\n\tc: d\n",
        "a: 'x\n  y'\n",
    ],
)
def test_what_goes_to_the_full_parse(doc: str) -> None:
    assert scan_head(doc) is None


def test_rendered_chart_manifests_all_scanned() -> None:
    """Every manifest the golden charts of this test suite render is scanned, and
    read as the full parse reads it (a sample of real-shaped output)."""
    from polystack.helm import render_chart

    charts = os.path.join(os.path.dirname(__file__), "charts")
    seen = scanned = 0
    for name in sorted(os.listdir(charts)):
        path = os.path.join(charts, name)
        if not os.path.isfile(os.path.join(path, "Chart.yaml")):
            continue
        try:
            files = render_chart(path, {}, name="x")
        except Exception:  # noqa: BLE001 - charts made to fail are not this test's
            continue
        for fname, text in files.items():
            if fname.endswith("NOTES.txt") or not text.strip():
                continue
            for doc in split_manifests(text):
                seen += 1
                head = scan_head(doc)
                if head is not None:
                    scanned += 1
                    assert head == _full(doc), doc
    assert seen and scanned >= seen // 2
