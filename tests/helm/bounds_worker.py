"""Runs `polystack helm template` on many charts, each in a forked child with an
address-space limit and a CPU-time limit, and reports how each ended.

Started by test_render_bounds.py as ``python bounds_worker.py AS_BYTES CPU_SECONDS``
(imports happen once, then one fork per case). Reads one JSON case per line on
stdin::

    {"files": {"templates/a.yaml": "..."}, "values": "<values.yaml text>",
     "set": ["a=b"], "set_json": ["a={...}"]}

and writes one JSON line per case: ``exit`` (the command's exit code) or
``signal`` (the child was killed), ``maxrss_kb`` and ``cpu`` (the child's), and
the stdout/stderr lengths, SHA-256 and heads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import traceback
from typing import Any

CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"


def _summary(data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8", "replace")
    return {
        "len": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "head": text[:400],
        "tail": text[-400:],
    }


def _child(root: str, case: dict[str, Any], as_bytes: int, cpu: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    out = os.open(os.path.join(root, "stdout"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(os.path.join(root, "stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    args = ["template", "r", os.path.join(root, "chart")]
    if case.get("values") is not None:
        args += ["-f", os.path.join(root, "values.yaml")]
    for s in case.get("set", ()):
        args += ["--set", s]
    for s in case.get("set_json", ()):
        args += ["--set-json", s]
    from polystack.helm.cli import main

    code = 0
    try:
        main(args)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported as the case's failure
        traceback.print_exc()
        code = 70
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_case(case: dict[str, Any], as_bytes: int, cpu: int) -> dict[str, Any]:
    root = tempfile.mkdtemp(prefix="helm-bounds-")
    try:
        chart = os.path.join(root, "chart")
        os.makedirs(os.path.join(chart, "templates"))
        with open(os.path.join(chart, "Chart.yaml"), "w") as f:
            f.write(CHART)
        for rel, text in case.get("files", {}).items():
            path = os.path.join(chart, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        if case.get("values") is not None:
            with open(os.path.join(root, "values.yaml"), "w", encoding="utf-8") as f:
                f.write(case["values"])
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                _child(root, case, as_bytes, cpu)
            finally:
                os._exit(70)
        _, status, usage = os.wait4(pid, 0)
        res: dict[str, Any] = {
            "maxrss_kb": usage.ru_maxrss,
            "cpu": usage.ru_utime + usage.ru_stime,
        }
        if os.WIFSIGNALED(status):
            res["signal"] = os.WTERMSIG(status)
        else:
            res["exit"] = os.WEXITSTATUS(status)
        for name in ("stdout", "stderr"):
            with contextlib.suppress(OSError), open(os.path.join(root, name), "rb") as f:
                res[name] = _summary(f.read())
        return res
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    as_bytes, cpu = int(sys.argv[1]), int(sys.argv[2])
    import polystack.helm.cli.commands  # noqa: F401 - imported once, before the forks
    from polystack.helm.render.engine import base_funcs

    base_funcs()

    for line in sys.stdin:
        if not line.strip():
            continue
        res = run_case(json.loads(line), as_bytes, cpu)
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
