"""Go's path and path/filepath (Unix) as Sprig exposes them."""

from __future__ import annotations

from polystack.helm.golang.types import signature


def clean(p: str) -> str:
    """path.Clean: lexical processing, Go's rules (``//a`` is ``/a``)."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    s = "/".join(out)
    if rooted:
        return "/" + s
    return s or "."


def base(p: str) -> str:
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p[p.rfind("/") + 1 :]


def dir_(p: str) -> str:
    i = p.rfind("/")
    return clean(p[: i + 1])


def ext(p: str) -> str:
    i = len(p) - 1
    while i >= 0 and p[i] != "/":
        if p[i] == ".":
            return p[i:]
        i -= 1
    return ""


def is_abs(p: str) -> bool:
    return p.startswith("/")


_F = {
    "base": base,
    "dir": dir_,
    "clean": clean,
    "ext": ext,
    "isAbs": is_abs,
}

FUNCS = {name: signature("string")(fn) for name, fn in _F.items()}
FUNCS.update(
    {
        "osBase": FUNCS["base"],
        "osClean": FUNCS["clean"],
        "osDir": FUNCS["dir"],
        "osExt": FUNCS["ext"],
        "osIsAbs": FUNCS["isAbs"],
    }
)
