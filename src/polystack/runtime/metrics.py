"""The Prometheus registry shared by all systems (served on the admin port at /metrics)."""

from __future__ import annotations

from collections.abc import Callable

REGISTRY_COLLECTORS: list[Callable[[], list[tuple[str, str, str, dict[str, str], float]]]] = []


def register(collector: Callable[[], list[tuple[str, str, str, dict[str, str], float]]]) -> None:
    """Add a collector: returns (name, type, help, labels, value) samples when scraped.

    Collectors read the servers' own counters at scrape time, so the hot paths pay
    nothing for metrics.
    """
    REGISTRY_COLLECTORS.append(collector)


def unregister(collector: Callable) -> None:
    if collector in REGISTRY_COLLECTORS:
        REGISTRY_COLLECTORS.remove(collector)


def render(collectors: list[Callable] | None = None) -> bytes:
    """The text exposition format (version 0.0.4)."""
    lines: list[str] = []
    seen: set[str] = set()
    for collect in collectors if collectors is not None else REGISTRY_COLLECTORS:
        for name, kind, help_text, labels, value in collect():
            if name not in seen:
                seen.add(name)
                lines.append(f"# HELP {name} {help_text}")
                lines.append(f"# TYPE {name} {kind}")
            if labels:
                lab = ",".join(
                    f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                    for k, v in labels.items()
                )
                lines.append(f"{name}{{{lab}}} {_num(value)}")
            else:
                lines.append(f"{name} {_num(value)}")
    return ("\n".join(lines) + "\n").encode()


def _num(v: float) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return repr(float(v))
