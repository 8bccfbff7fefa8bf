"""The on-disk caches' keys are fingerprints (length and CRC-32 of the text), not
proofs: an entry keeps what it was made from and is used only for that. Two texts
that share a key (forced here by a fingerprint that ignores the text) never get
each other's trees or heads; a damaged body is caught by its check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polystack.helm.render import engine
from polystack.helm.render.manifests import sort_manifests
from polystack.helm.template import TemplateSet, diskcache
from polystack.helm.template.diskcache import TreeCache


def _funcs() -> dict[str, Any]:
    return dict(engine.base_funcs(), include=lambda *a: "", tpl=lambda *a: "")


def _render(cache: TreeCache, name: str, text: str, data: dict[str, Any]) -> str:
    ts = TemplateSet(_funcs(), missingkey="zero")
    fkey = engine._funcs_key(ts)
    trees = cache.get(name, text, fkey)
    if trees is None:
        trees = ts.parse_trees(name, text)
        cache.put(name, text, fkey, trees)
    ts.add_parse_trees(name, trees)
    return ts.execute(name, data)


def _same_key_for_every_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diskcache, "fingerprint", lambda h, data: h.update(b"same"))


def test_texts_sharing_a_key_never_share_trees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_key_for_every_text(monkeypatch)
    a, b = "a: {{ .Values.x }}\n", "b: {{ .Values.x }}!\n"
    c1 = TreeCache(str(tmp_path))
    assert _render(c1, "c/t.yaml", a, {"Values": {"x": 1}}) == "a: 1\n"
    c2 = TreeCache(str(tmp_path))
    assert _render(c2, "c/t.yaml", b, {"Values": {"x": 2}}) == "b: 2!\n"
    assert (c2.hits, c2.misses, c2.written) == (0, 1, 1)  # the entry was a's: a miss
    c3 = TreeCache(str(tmp_path))
    assert _render(c3, "c/t.yaml", b, {"Values": {"x": 3}}) == "b: 3!\n"
    assert c3.hits == 1  # b's entry replaced a's
    c4 = TreeCache(str(tmp_path))
    assert _render(c4, "c/t.yaml", a, {"Values": {"x": 4}}) == "a: 4\n"
    assert c4.misses == 1


def test_documents_sharing_a_key_never_share_heads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_key_for_every_text(monkeypatch)
    one = {"c/templates/a.yaml": "kind: Service\nmetadata:\n  name: s\n"}
    two = {"c/templates/a.yaml": "kind: Secret\nmetadata:\n  name: t\n"}
    c1 = TreeCache(str(tmp_path))
    assert [(m.kind, m.content) for m in sort_manifests(one, c1)[1]] == [
        ("Service", one["c/templates/a.yaml"])
    ]
    c2 = TreeCache(str(tmp_path))
    _hooks, generic = sort_manifests(two, c2)
    assert [m.kind for m in generic] == ["Secret"]
    assert c2.written == 1


def test_key_depends_on_name_text_and_functions() -> None:
    k = TreeCache.key("c/t.yaml", "x", "f")
    assert k == TreeCache.key("c/t.yaml", "x", "f")
    assert len({k, TreeCache.key("c/u.yaml", "x", "f"), TreeCache.key("c/t.yaml", "y", "f")}) == 3
    assert TreeCache.key("c/t.yaml", "x", "g") != k


def test_body_check_catches_each_flipped_byte(tmp_path: Path) -> None:
    c = TreeCache(str(tmp_path))
    _render(c, "t", "{{ .a }}", {"a": 1})
    (f,) = Path(c.dir).glob("*.tpl")
    data = f.read_bytes()
    head = len(diskcache.MAGIC) + diskcache._DIGEST
    for i in range(head, len(data), max(1, (len(data) - head) // 40)):
        f.write_bytes(data[:i] + bytes([data[i] ^ 0x10]) + data[i + 1 :])
        assert (
            TreeCache(str(tmp_path)).get("t", "{{ .a }}", engine._funcs_key(TemplateSet(_funcs())))
            is None
        )
    f.write_bytes(data)
    assert (
        TreeCache(str(tmp_path)).get("t", "{{ .a }}", engine._funcs_key(TemplateSet(_funcs())))
        is not None
    )
