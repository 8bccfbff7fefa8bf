"""The ``polystack`` console script.

``main`` is the click command line of polystack.cli_click, imported only when it
is needed: a fresh `polystack helm template NAME CHART ...` process whose command
line polystack.helm.cli.fast understands runs without importing click (its
import and building Helm's command tree cost more than rendering a small chart).
``main`` is still usable as the click group (``CliRunner().invoke(main, ...)``,
``main.commands``): every attribute is the group's.
"""

from __future__ import annotations

import sys

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["main"]


def _group() -> Any:
    from polystack.cli_click import main as group

    return group


class _Main:
    """The console script's entry point and a stand-in for the click group."""

    def __call__(self, *args: Any, **kw: Any) -> Any:
        if not args and not kw and sys.argv[1:2] == ["helm"]:
            # (this process is the `polystack helm` command: polystack's own modules
            # are read from their cached bytecode directly, for `helm template` from
            # one bundle in the template cache, see helm/cli/imports.py)
            # (and its cyclic collector is off from here on, as helm/cli/process.py
            # keeps it for the command: already while its modules are read)
            import gc

            gc.disable()
            from polystack.helm.cli.imports import install

            install(bundle=sys.argv[2:3] == ["template"])
            from polystack.helm.cli.fast import try_fast

            try_fast(sys.argv[2:])  # ends the process when it runs the command
        return _group()(*args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(_group(), name)


main = _Main()

if __name__ == "__main__":
    main()
