"""Shared by the chart generators: file writing, random words, names."""

from __future__ import annotations

import os
import random

# ---------------------------------------------------------------- helpers


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _words(rng: random.Random, n: int) -> str:
    vocab = (
        "pod container node namespace cluster job instance service endpoint volume "
        "memory cpu disk network request limit quota replica deployment daemonset "
        "statefulset scrape target alert rule latency error rate budget burn"
    ).split()
    return " ".join(rng.choice(vocab) for _ in range(n))


def _camel(s: str) -> str:
    parts = s.replace("_", "-").split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


COMPONENTS = ["alertmanager", "prometheus", "operator", "thanosRuler"]
