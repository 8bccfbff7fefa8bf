"""Sprig semver.go: semver and semverCompare (Masterminds/semver v3)."""

from __future__ import annotations

from polystack.helm.encoding.semver import Constraints, SemverError, Version
from polystack.helm.funcs.sprig._conv import GoError
from polystack.helm.golang.types import signature


@signature("string")
def semver(version: str) -> Version:
    try:
        return Version.parse(version)
    except SemverError as e:
        raise GoError(str(e)) from None


@signature("string", "string")
def semver_compare(constraint: str, version: str) -> bool:
    try:
        c = Constraints.parse(constraint)
        v = Version.parse(version)
    except SemverError as e:
        raise GoError(str(e)) from None
    return c.check(v)


FUNCS = {"semver": semver, "semverCompare": semver_compare}
