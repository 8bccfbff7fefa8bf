"""Values the Redis spec validates at start-up: ``save`` points, and
``client-output-buffer-limit``: per client class, a hard limit and a soft limit with its time.

The value is Redis's: ``<class> <hard> <soft> <soft seconds>`` repeated, with the classes
``normal``, ``replica`` (``slave``) and ``pubsub``, and sizes as Redis's memory units
(``256mb``, ``64kb``, plain bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSES = ("normal", "slave", "pubsub")
_ALIASES = {"replica": "slave"}
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1024,
    "m": 1000**2,
    "mb": 1024**2,
    "g": 1000**3,
    "gb": 1024**3,
}


@dataclass(frozen=True, slots=True)
class OutputLimit:
    hard: int
    soft: int
    soft_seconds: int


def memtoull(text: str) -> int:
    """Redis's memtoull: ``1gb`` is 1024^3 and ``1g`` is 1000^3."""
    t = text.strip().lower()
    i = len(t)
    while i and t[i - 1].isalpha():
        i -= 1
    num, unit = t[:i], t[i:]
    if not num.isdigit() or unit not in _UNITS:
        raise ValueError(f"Invalid argument '{text}'")
    return int(num) * _UNITS[unit]


def parse_output_limits(text: str) -> dict[str, OutputLimit]:
    """Parse a client-output-buffer-limit value; raises ValueError with Redis's message."""
    words = text.split()
    if len(words) % 4:
        raise ValueError("Wrong number of arguments in buffer limit configuration.")
    out: dict[str, OutputLimit] = {}
    for i in range(0, len(words), 4):
        cls = _ALIASES.get(words[i].lower(), words[i].lower())
        if cls not in CLASSES:
            raise ValueError("Invalid client class specified in buffer limit configuration.")
        try:
            hard = memtoull(words[i + 1])
            soft = memtoull(words[i + 2])
        except ValueError:
            raise ValueError(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
            ) from None
        secs = words[i + 3]
        if not secs.lstrip("-").isdigit() or int(secs) < 0:
            raise ValueError(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
            )
        out[cls] = OutputLimit(hard, soft, int(secs))
    return out


def format_output_limits(limits: dict[str, OutputLimit]) -> str:
    """As CONFIG GET shows it: every class, in Redis's order, sizes in bytes."""
    return " ".join(
        f"{cls} {limits[cls].hard} {limits[cls].soft} {limits[cls].soft_seconds}"
        for cls in CLASSES
        if cls in limits
    )


def parse_save_points(text: str) -> list[tuple[int, int]]:
    """``"900 1 300 10"`` -> [(900, 1), (300, 10)]; ValueError for anything else."""
    words = text.split()
    if len(words) % 2:
        raise ValueError("Invalid save parameters")
    points = []
    for i in range(0, len(words), 2):
        secs, changes = int(words[i]), int(words[i + 1])
        if secs < 1 or changes < 0:
            raise ValueError("Invalid save parameters")
        points.append((secs, changes))
    return points
