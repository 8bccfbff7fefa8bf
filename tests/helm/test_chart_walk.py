"""Chart loading without a stat storm (chart/chart.py's scandir walk, one read per
file) gives what os.walk(followlinks=True) gave: the same files in the same order,
symbolic links to directories followed, .helmignore applied, Helm's errors; and a
dependency whose version constraint is its own plain version is checked without
compiling a constraint (chart/values.py), with the constraint's answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.chart import chart as chartmod
from polystack.helm.chart import values
from polystack.helm.chart.ignore import Rules
from polystack.helm.encoding import semver


def _os_walk_files(root: str) -> list[tuple[str, bytes]]:
    """The loader's file list as it was built with os.walk (the reference)."""
    rules = Rules()
    ign = os.path.join(root, ".helmignore")
    if os.path.exists(ign):
        with open(ign, encoding="utf-8", errors="replace") as fh:
            rules = Rules.parse(fh.read())
    rules.add_defaults()
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        dirnames[:] = [
            d for d in sorted(dirnames) if not rules.ignore(f"{rel}/{d}" if rel else d, True)
        ]
        for f in sorted(filenames):
            n = f"{rel}/{f}" if rel else f
            if not rules.ignore(n, False):
                with open(os.path.join(dirpath, f), "rb") as fh:
                    out.append((n, fh.read()))
    return sorted(out)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "c"
    (root / "templates" / "sub" / "deeper").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (root / "values.yaml").write_text("a: 1\n")
    (root / ".helmignore").write_text("*.bak\nignored/\n")
    (root / "templates" / "b.yaml").write_text("b: 1\n")
    (root / "templates" / "a.yaml").write_text("a: 1\n")
    (root / "templates" / "x.bak").write_text("bak\n")
    (root / "templates" / "sub" / "s.yaml").write_text("s\n")
    (root / "templates" / "sub" / "deeper" / "d.tpl").write_text("d\n")
    (root / "ignored").mkdir()
    (root / "ignored" / "i.yaml").write_text("i\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "linked.yaml").write_text("l\n")
    (root / "templates" / "link").symlink_to(elsewhere, target_is_directory=True)
    (root / "files").mkdir()
    (root / "files" / "big.bin").write_bytes(os.urandom(300_000))  # read past one read
    (root / "files" / "empty").write_bytes(b"")
    return root


def test_walk_loads_what_os_walk_found(tree: Path) -> None:
    ch = chartmod.load(str(tree))
    got = sorted((f.name, f.data) for f in ch.raw)
    assert got == _os_walk_files(str(tree))
    names = [n for n, _ in got]
    assert "templates/link/linked.yaml" in names  # a symlinked directory is followed
    assert "templates/x.bak" not in names and "ignored/i.yaml" not in names
    assert "files/empty" in names
    assert [f.name for f in ch.raw] == sorted(f.name for f in ch.raw)


def test_irregular_file_and_dangling_link_errors(tree: Path) -> None:
    dangling = tree / "templates" / "zz.yaml"
    dangling.symlink_to(tree / "missing")
    with pytest.raises(chartmod.ChartError) as e:
        chartmod.load(str(tree))
    assert str(e.value) == (
        f"cannot load irregular file {tree}/templates/zz.yaml as it has file mode type bits set"
    )
    dangling.unlink()
    os.mkfifo(tree / "files" / "fifo")
    with pytest.raises(chartmod.ChartError) as e:
        chartmod.load(str(tree))  # never waits for a writer
    assert "files/fifo as it has file mode type bits set" in str(e.value)


def test_unlistable_directory_is_skipped_as_os_walk_skips_it(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = str(tree / "templates" / "sub")
    real_scandir = os.scandir

    def scandir(path: str = ".") -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # (os.walk lists with it too)
    ch = chartmod.load(str(tree))
    got = sorted((f.name, f.data) for f in ch.raw)
    assert got == _os_walk_files(str(tree))
    assert not any(n.startswith("templates/sub/") for n, _ in got)


def test_a_file_growing_while_read_is_read_whole(tmp_path: Path) -> None:
    """A short read ends the file; a full one reads on (a file that grew)."""
    p = tmp_path / "f"
    p.write_bytes(b"x" * 10)
    assert chartmod._read_regular_file(str(p)) == b"x" * 10
    real_fstat = os.fstat

    class Shrunk:
        def __init__(self, st: os.stat_result) -> None:
            self.st_mode = st.st_mode
            self.st_size = 3  # as if it grew after fstat

    try:
        os.fstat = lambda fd: Shrunk(real_fstat(fd))  # type: ignore[assignment]
        assert chartmod._read_regular_file(str(p)) == b"x" * 10
    finally:
        os.fstat = real_fstat


@pytest.mark.parametrize("size", [0, 1, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 200_000])
def test_listed_regular_files_of_every_size_load_as_os_walk_reads_them(
    tree: Path, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the listing says is regular is read without an fstat when shorter
    than one read (_READ_SIZE); one that fills it, a link to a file and anything
    unlisted go through fstat: every way gives the file's bytes."""
    (tree / "files" / "sized.bin").write_bytes(os.urandom(size))
    (tree / "files" / "to-sized").symlink_to(tree / "files" / "sized.bin")
    fstats: list[int] = []
    real_fstat = os.fstat

    def counting_fstat(fd: int) -> os.stat_result:
        fstats.append(fd)
        return real_fstat(fd)

    monkeypatch.setattr(os, "fstat", counting_fstat)
    ch = chartmod.load(str(tree))
    got = sorted((f.name, f.data) for f in ch.raw)
    monkeypatch.setattr(os, "fstat", real_fstat)
    assert got == _os_walk_files(str(tree))
    assert dict(got)["files/to-sized"] == dict(got)["files/sized.bin"]
    # fstat only for the link, big.bin (300 KB) and a sized file that fills a read
    assert len(fstats) == 2 + (size >= chartmod._READ_SIZE)


_plain = st.tuples(*[st.integers(0, 120)] * 3).map(lambda t: ".".join(map(str, t)))
_loose = st.one_of(
    _plain,
    st.from_regex(
        r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-[0-9a-z.]{1,6})?(\+[0-9a-z]{1,4})?", fullmatch=True
    ),
)


@settings(max_examples=300, deadline=None)
@given(_loose, _loose)
def test_plain_version_shortcut_agrees_with_the_constraint(c: str, v: str) -> None:
    def slow(constraint: str, version: str) -> bool:
        try:
            return bool(semver.Constraints.parse(constraint).check(semver.Version.parse(version)))
        except semver.SemverError:
            return False

    assert values.is_compatible_range(c, v) == slow(c, v)
    assert values.is_compatible_range(c, c) == slow(c, c)


def test_plain_versions() -> None:
    assert values._is_plain_version("0.1.0") and values._is_plain_version("10.20.3")
    for v in ("01.1.0", "1.2", "1.2.3-rc.1", "v1.2.3", "1.2.3+x", "١.2.3", "1.2.3.4", ""):
        assert not values._is_plain_version(v), v


def test_chart_with_plain_dependency_versions_compiles_no_constraint(tmp_path: Path) -> None:
    """A fresh `helm template` of a chart whose dependencies name their exact
    versions does not import the semver module."""
    from polystack.helm.chart.create import create

    root = tmp_path / "p"
    create(str(root))
    create(str(root / "charts" / "sub"))
    with open(root / "Chart.yaml", "a") as fh:
        fh.write("dependencies:\n  - name: sub\n    version: 0.1.0\n")
    probe = (
        "import sys\nfrom polystack.helm.action.template import TemplateOptions, run_template\n"
        "out, err = run_template(TemplateOptions(args=['r', sys.argv[1]]))\n"
        "assert not err and 'kind: Deployment' in out, err\n"
        "print('polystack.helm.encoding.semver' in sys.modules)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe, str(root)], capture_output=True, text=True, timeout=120
    )
    assert (r.returncode, r.stdout.strip()) == (0, "False"), r.stderr
