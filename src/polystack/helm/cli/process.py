"""`polystack helm ...` as a whole process, ended as Helm's binary ends.

A Go program exits without tearing its heap down. A Python process that renders a
large chart ends holding millions of small objects (parsed and compiled templates,
values, manifests); freeing them one by one and the collector's passes over them
cost a third of a `helm template` run. So when `polystack helm` *is* the process
(the console script or ``python -m polystack.cli``, never a library call or a test
runner's in-process invocation), the cyclic collector stays off for the command
(a command is bounded in work and memory by the render limits, and what it
allocates is freed by reference counting) and the process ends with ``os._exit``
once the output streams and logging are flushed.
"""

from __future__ import annotations

import gc
import os
import sys

from polystack.helm.golang.log import shutdown as logging_shutdown

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

__all__ = ["run_as_process", "exit_code"]


def exit_code(code: Any) -> int:
    """The status sys.exit(code) ends a process with (a message goes to stderr)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except (OSError, ValueError):
        pass
    return 1


def run_as_process(run: Callable[[], Any]) -> NoReturn:
    """Run a standalone click main (it ends by raising SystemExit) and exit."""
    gc.disable()
    try:
        run()
        code = 0
    except SystemExit as e:
        code = exit_code(e.code)
    except KeyboardInterrupt:
        code = 130
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what was written is all there is
            code = code or 1
    logging_shutdown()
    os._exit(code)
