"""Run redis-py's own test suite against polystack's Redis and summarize the result.

    .venv/bin/python bench/redis_py_suite.py [--workdir DIR] [--keep-server] [--real] [--hiredis]

It downloads the source distribution of the installed redis-py version from PyPI (``pip
download --no-binary :all: --no-deps redis==<version>``), makes a virtualenv with the suite's
test dependencies in the work directory, starts ``polystack serve --only redis`` on a free
port (``appendonly no``, ``save ""``, ``enable-debug-command yes``, as redis-py's CI runs its
Redis), runs every standalone test file (sync and asyncio) and prints the counts and the
failures grouped by their first error line.  Not run: the files that need Redis modules
(bloom, JSON, search, time series, vector sets), a cluster, Sentinel, TLS, several databases
(multidb), an Entra ID or HTTP endpoint, or a real network scenario; within the files that run,
tests marked ``onlycluster``, ``redismod``, ``ssl``, ``replica`` or ``cp_integration`` are
deselected.  Tests for a server version above 7.2 skip themselves (polystack reports 7.0.15).

With ``--real`` the same files run against Debian's redis-server (7.0.15 here) started the
same way, so that the failures a real Redis 7.0 shares (tests of newer server features that
carry no version gate, tests that need a server on the default port) can be told apart from
polystack's own; its junit and summary files get a ``-real`` suffix.  ``--hiredis`` runs the
suite with hiredis installed (redis-py's C parser, and the tests that need it), in a second
virtualenv; its files get a ``-hiredis`` suffix.

The measurement is pass / (pass + fail + error); skips are reported beside it.  Not part of
``make test``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

EXCLUDED_FILES = re.compile(
    r"cluster|sentinel|ssl|bloom|json|search|timeseries|vsets|graph|multidb|scenario|http"
    r"|observability|credentials|himport|entraid"
)
DESELECT = "not onlycluster and not redismod and not ssl and not replica and not cp_integration"
REAL_VERSION = "7.0.15"
TEST_DEPS = ["pytest", "pytest-asyncio", "pytest-timeout", "packaging", "ujson"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, **kw)


def prepare(workdir: Path, version: str, hiredis: bool = False) -> tuple[Path, Path]:
    """The extracted sdist and a virtualenv able to run its tests (with hiredis installed,
    redis-py parses replies with it: a second, separate virtualenv)."""
    src = workdir / f"redis-{version}"
    if not src.exists():
        run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
             "-d", str(workdir), f"redis=={version}"])  # fmt: skip
        with tarfile.open(workdir / f"redis-{version}.tar.gz") as tar:
            tar.extractall(workdir, filter="data")
    venv = workdir / ("venv-hiredis" if hiredis else "venv")
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
        deps = [*TEST_DEPS, "hiredis"] if hiredis else TEST_DEPS
        run([str(python), "-m", "pip", "install", "-q", *deps, str(src)])
    return src, python


def start_polystack(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = workdir / "redis.conf"
    conf.write_text('appendonly no\nsave ""\nenable-debug-command yes\n')
    data = workdir / "data"
    shutil.rmtree(data, ignore_errors=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "polystack.cli", "serve", "--only", "redis",
         "--redis-port", str(port), "--admin-port", "0", "--data-dir", str(data),
         "--redis-config", str(conf), "--log-level", "warning"],
        stdout=open(workdir / "server.log", "w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("polystack did not start; see server.log")


def start_real_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    data = workdir / "real-data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(data),
         "--enable-debug-command", "yes"],
        stdout=open(workdir / "real-server.log", "w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start; see real-server.log")


def skip_reason(message: str) -> str:
    """A skip's reason, with version gates grouped as the issue counts them."""
    m = re.search(r"Redis version required >= (\d+)\.(\d+)\.(\d+)", message)
    if m:
        version = tuple(int(g) for g in m.groups())
        if version > (7, 2, 0):
            return "needs a server newer than 7.2 (not counted)"
        if version > (7, 0, 15):
            return f"needs Redis >= {'.'.join(m.groups())} (both servers report {REAL_VERSION})"
    if "Redis version required <" in message:
        return "for servers older than 7.0 (a command 7.0 removed)"
    if "hiredis" in message.lower():
        return "needs hiredis (the suite runs with redis-py's Python parser)"
    return message.strip()[:100]


def summarize(junit: Path) -> dict:
    counts = collections.Counter()
    failures: list[tuple[str, str]] = []
    skips = collections.Counter()
    for tc in ET.parse(junit).iter("testcase"):
        name = f"{tc.get('classname')}::{tc.get('name')}"
        outcome = "passed"
        for child in tc:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                first = (child.get("message") or "").strip().splitlines()
                failures.append((name, first[0][:200] if first else ""))
            elif child.tag == "skipped":
                outcome = "skipped"
                skips[skip_reason(child.get("message") or "")] += 1
        counts[outcome] += 1
    ran = counts["passed"] + counts["failed"] + counts["error"]
    by_cause = collections.Counter(
        re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", msg))[:120] for _, msg in failures
    )
    return {
        "passed": counts["passed"],
        "failed": counts["failed"],
        "errors": counts["error"],
        "skipped": counts["skipped"],
        "pass_rate": counts["passed"] / ran if ran else 0.0,
        "causes": by_cause.most_common(),
        "skips": skips.most_common(),
        "failures": failures,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default="/tmp/polystack-redis-py-suite")
    ap.add_argument("--version", default=metadata.version("redis"))
    ap.add_argument("--keep-server", action="store_true")
    ap.add_argument("--real", action="store_true", help="run against Debian's redis-server")
    ap.add_argument("--hiredis", action="store_true", help="redis-py parses with hiredis")
    ap.add_argument("pytest_args", nargs="*", help="extra arguments for pytest")
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    src, python = prepare(workdir, args.version, args.hiredis)
    files = sorted(
        str(p.relative_to(src))
        for pattern in ("tests/test_*.py", "tests/test_asyncio/test_*.py")
        for p in src.glob(pattern)
        if not EXCLUDED_FILES.search(p.name)
    )
    proc, port = start_real_redis(workdir) if args.real else start_polystack(workdir)
    suffix = ("-real" if args.real else "") + ("-hiredis" if args.hiredis else "")
    junit = workdir / f"junit{suffix}.xml"
    try:
        subprocess.run(
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout", "30",
             f"--redis-url=redis://localhost:{port}/0", "-m", DESELECT,
             f"--junitxml={junit}", *files, *args.pytest_args],
            cwd=src, stdout=open(workdir / f"pytest{suffix}.log", "w"), stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
    finally:
        if not args.keep_server:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    result = summarize(junit)
    (workdir / f"summary{suffix}.json").write_text(json.dumps(result, indent=1))
    target = "redis-server (real)" if args.real else "polystack"
    print(f"redis-py {args.version} test suite against {target} ({len(files)} files)")
    print(
        f"passed {result['passed']}, failed {result['failed']}, errors {result['errors']}, "
        f"skipped {result['skipped']}; pass rate {result['pass_rate']:.1%} of the tests that ran"
    )
    print("failures by cause:")
    for cause, n in result["causes"]:
        print(f"  {n:4d}  {cause}")
    print("skips by reason:")
    for reason, n in result["skips"]:
        print(f"  {n:4d}  {reason}")
    real_summary = workdir / f"summary-real{'-hiredis' if args.hiredis else ''}.json"
    if not args.real and real_summary.exists():
        shared_names = {name for name, _ in json.loads(real_summary.read_text())["failures"]}
        ours = [(name, msg) for name, msg in result["failures"] if name not in shared_names]
        shared = len(result["failures"]) - len(ours)
        ran = result["passed"] + result["failed"] + result["errors"]
        print(
            f"{shared} of the failures fail on redis-server {REAL_VERSION} too (run with --real); "
            f"without them: {result['passed'] / max(1, ran - shared):.1%}"
        )
        print("failing on polystack only:")
        for name, msg in ours:
            print(f"  {name}: {msg[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
