"""Release names as `helm template`/`install` choose them (pkg/action/install.go
NameAndChart and TemplateName)."""

from __future__ import annotations

import os
import time

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["expand_env", "name_and_chart", "template_name"]

_SHELL_SPECIAL = set("*#$@!?-0123456789")
_ALNUM = set("_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _shell_name(s: str) -> tuple[str, int]:
    """os.getShellName: the variable name after a "$" and how many bytes it takes."""
    if s[0] == "{":
        if len(s) > 2 and s[1] in _SHELL_SPECIAL and s[2] == "}":
            return s[1], 3
        end = s.find("}", 1)
        if end < 0:
            return "", 1  # bad syntax: eat "${"
        if end == 1:
            return "", 2  # bad syntax: eat "${}"
        return s[1:end], end + 1
    if s[0] in _SHELL_SPECIAL:
        return s[0], 1
    i = 0
    while i < len(s) and s[i] in _ALNUM:
        i += 1
    return s[:i], i


def expand_env(s: str) -> str:
    """Go's os.ExpandEnv: $VAR and ${VAR} replaced by the environment ("" if unset)."""
    out: list[str] = []
    i = 0
    j = 0
    while j < len(s):
        if s[j] == "$" and j + 1 < len(s):
            out.append(s[i:j])
            name, w = _shell_name(s[j + 1 :])
            if name == "" and w > 0:
                pass  # invalid syntax: the characters are eaten
            elif name == "":
                out.append("$")  # "$" not followed by a name stays
            else:
                out.append(os.environ.get(name, ""))
            j += w
            i = j + 1
        j += 1
    if not out:
        return s
    return "".join(out) + s[i:]


def _name_template_funcs() -> dict[str, Any]:
    """sprig.TxtFuncMap(): Sprig with env and expandenv (Helm's engine drops those two)."""
    from polystack.helm.funcs.sprig import sprig_funcs
    from polystack.helm.golang.types import signature

    funcs = dict(sprig_funcs())
    funcs["env"] = signature("string")(lambda name: os.environ.get(name, ""))
    funcs["expandenv"] = signature("string")(expand_env)
    return funcs


def template_name(name_template: str) -> str:
    """TemplateName: the --name-template rendered with Sprig and no data.

    Raises TemplateError (ParseError or ExecError) with Go's text."""
    from polystack.helm.template import TemplateSet

    if not name_template:
        return ""
    ts = TemplateSet(_name_template_funcs(), name="name-template")
    ts.parse("name-template", name_template)
    return ts.execute("name-template", None)


def name_and_chart(
    args: list[str], release_name: str, name_template: str, generate_name: bool
) -> tuple[str, str]:
    """Install.NameAndChart; raises ValueError with Helm's message."""
    if len(args) > 2:
        raise ValueError(
            f"expected at most two arguments, unexpected arguments: {', '.join(args[2:])}"
        )
    if len(args) == 2:
        if generate_name:
            raise ValueError("cannot set --generate-name and also specify a name")
        if name_template:
            raise ValueError("cannot set --name-template and also specify a name")
        return args[0], args[1]
    if name_template:
        from polystack.helm.template import TemplateError

        try:
            return template_name(name_template), args[0]
        except TemplateError as e:
            raise ValueError(str(e)) from None
    if release_name:
        return release_name, args[0]
    if not generate_name:
        raise ValueError("must either provide a name or specify --generate-name")
    from polystack.helm.funcs.sprig.paths import base as go_base  # filepath.Base on Unix

    base = go_base(args[0])
    if base in (".", ""):
        base = "chart"
    if "." in base:
        base = base[: base.index(".")]
    return f"{base}-{int(time.time())}", args[0]
