"""The on-disk cache of the manifests' SimpleHeads (render/manifests.py): a second
`helm template` of the same output reads no YAML, the sort is the same, and a
document Helm rejects is never stored (it is read again, for its error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polystack.helm.render import manifests
from polystack.helm.render.engine import RenderError
from polystack.helm.render.manifests import sort_manifests
from polystack.helm.template.diskcache import TreeCache

FILES = {
    "c/templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
    "c/templates/multi.yaml": (
        "kind: Deployment\nmetadata: {name: d}\n---\n"
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n"
        '    helm.sh/hook: pre-install\n    helm.sh/hook-weight: "3"\n---\n'
        "kind: Namespace\nmetadata: {name: ns, annotations: {a: ~}}\n"
    ),
    "c/templates/empty.yaml": "# nothing\n",
}


def _shape(res: tuple) -> tuple:
    hooks, generic = res
    return (
        [(h.name, h.kind, h.path, h.manifest, h.events, h.weight) for h in hooks],
        [(m.name, m.content, m.kind, m.version) for m in generic],
    )


def _no_yaml(path: str, m: str) -> None:
    raise AssertionError("a cached head was parsed again")


def test_heads_cached_same_sort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _shape(sort_manifests(dict(FILES)))
    c1 = TreeCache(str(tmp_path))
    assert _shape(sort_manifests(dict(FILES), c1)) == plain
    assert c1.written == 1
    c2 = TreeCache(str(tmp_path))  # a new process
    monkeypatch.setattr(manifests, "_simple_head", _no_yaml)
    assert _shape(sort_manifests(dict(FILES), c2)) == plain
    assert c2.written == 0


def test_changed_document_misses(tmp_path: Path) -> None:
    sort_manifests(dict(FILES), TreeCache(str(tmp_path)))
    files = dict(FILES, **{"c/templates/svc.yaml": "kind: Secret\nmetadata:\n  name: s\n"})
    c = TreeCache(str(tmp_path))
    _hooks, generic = sort_manifests(files, c)
    assert c.written == 1
    assert [m.kind for m in generic] == ["Namespace", "Secret", "Deployment", ""]


def test_damaged_entry_is_read_again(tmp_path: Path) -> None:
    plain = _shape(sort_manifests(dict(FILES)))
    c1 = TreeCache(str(tmp_path))
    sort_manifests(dict(FILES), c1)
    (entry,) = Path(c1.dir).glob("heads-*.bin")
    data = entry.read_bytes()
    entry.write_bytes(data[:-3] + b"\xff\xff\xff")
    c2 = TreeCache(str(tmp_path))
    assert _shape(sort_manifests(dict(FILES), c2)) == plain
    assert c2.written == 1


def test_rejected_document_not_stored(tmp_path: Path) -> None:
    files = dict(FILES, **{"c/templates/bad.yaml": "kind: [1]\n"})
    for _ in range(2):
        c = TreeCache(str(tmp_path))
        with pytest.raises(RenderError, match="into Go struct field SimpleHead.kind"):
            sort_manifests(files, c)
        assert c.written == 0


def test_heads_id_follows_the_reading_codes_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heads' key holds the identity (mtime, size) of the code that reads them:
    a changed source is another key, read from no earlier entry."""
    import os

    src = tmp_path / "heads.py"
    src.write_text("x = 1\n")
    monkeypatch.setattr(manifests, "_HEAD_SOURCES", (str(src),))
    monkeypatch.setattr(manifests, "_HEADS_ID", None)
    first = manifests._heads_id()
    monkeypatch.setattr(manifests, "_HEADS_ID", None)
    assert manifests._heads_id() == first
    st = os.stat(src)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    monkeypatch.setattr(manifests, "_HEADS_ID", None)
    assert manifests._heads_id() != first
