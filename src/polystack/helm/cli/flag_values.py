"""The values of Helm's shared flags, checked the way pflag checks them (the
install-only flags `helm template` accepts, `--dry-run`, durations) and the chart
path options built from them. No click here: the fast `helm template` path
(cli/fast.py) uses these without importing the command line framework.
"""

from __future__ import annotations

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["chart_path_from_kw", "check_install_only_flags", "dry_run_strategy", "parse_duration"]


def chart_path_from_kw(kw: dict[str, Any]) -> Any:
    """The downloader's ChartPathOptions from the chart_path_options flags."""
    from polystack.helm.remote.options import ChartPathOptions, default_keyring

    return ChartPathOptions(
        version=kw.get("chart_version", kw.get("version", "")) or "",
        devel=bool(kw.get("devel")),
        repo_url=kw.get("repo_url", kw.get("repo", "")) or "",
        verify=bool(kw.get("verify")),
        keyring=kw.get("keyring") or default_keyring(),
        username=kw.get("username") or "",
        password=kw.get("password") or "",
        cert_file=kw.get("cert_file") or "",
        key_file=kw.get("key_file") or "",
        ca_file=kw.get("ca_file") or "",
        insecure_skip_tls_verify=bool(kw.get("insecure_skip_tls_verify")),
        pass_credentials_all=bool(kw.get("pass_credentials")),
        plain_http=bool(kw.get("plain_http")),
    )


_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def dry_run_strategy(value: str) -> str:
    """cmdGetDryRunFlagStrategy(cmd, isTemplate=true); raises ValueError with Helm's text."""
    if value in ("unset", "client"):
        return "client"
    if value == "server":
        return "server"
    if value == "none" or value in _GO_FALSE:
        raise ValueError(f'invalid dry-run value ("{value}"). Must be "server" or "client"')
    if value in _GO_TRUE:
        return "client"
    raise ValueError(f'invalid dry-run value ("{value}"). Must be "none", "server", or "client"')


_DURATION = r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)"  # what _duration_part matches
_DIGITS = frozenset("0123456789")


def _duration_part(s: str) -> tuple[str, str]:
    """The number and the unit at the start of ``s``: re.match(_DURATION, s)'s two
    groups, scanned by hand (a fresh `helm template` checks --timeout's default)."""
    n = len(s)
    i = 0
    while i < n and s[i] in _DIGITS:
        i += 1
    if i < n and s[i] == ".":
        i += 1
        while i < n and s[i] in _DIGITS:
            i += 1
    j = i
    while j < n and s[j] not in _DIGITS and s[j] != ".":
        j += 1
    return s[:i], s[i:j]


_UNITS = ("ns", "us", "µs", "μs", "ms", "s", "m", "h")


_UNIT_SECONDS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}  # fmt: skip


def parse_duration(flag: str, s: str) -> float:
    """time.ParseDuration for a flag, in seconds; ValueError with pflag's text."""
    err = _duration_error(s)
    if err:
        raise ValueError(f'invalid argument "{s}" for "{flag}" flag: {err}')
    sign = -1.0 if s.startswith("-") else 1.0
    rest = s.lstrip("+-")
    total = 0.0
    while rest and rest != "0":
        num, unit = _duration_part(rest)
        total += float(num) * _UNIT_SECONDS[unit]
        rest = rest[len(num) + len(unit) :]
    return sign * total


def _duration_error(s: str) -> str:
    """time.ParseDuration's error for s, or ""."""
    orig = s
    if s[:1] in ("-", "+"):
        s = s[1:]
    if s == "0":
        return ""
    if not s:
        return f'time: invalid duration "{orig}"'
    while s:
        num, unit = _duration_part(s)
        if num in ("", "."):
            return f'time: invalid duration "{orig}"'
        if not unit:
            return f'time: missing unit in duration "{orig}"'
        if unit not in _UNITS:
            return f'time: unknown unit "{unit}" in duration "{orig}"'
        s = s[len(num) + len(unit) :]
    return ""


def _go_bool_error(flag: str, value: str) -> str:
    if value in _GO_TRUE or value in _GO_FALSE:
        return ""
    return (
        f'invalid argument "{value}" for "{flag}" flag:'
        f' strconv.ParseBool: parsing "{value}": invalid syntax'
    )


def check_install_only_flags(kw: dict[str, Any]) -> str:
    """pflag's parsing of the install-only flags: the error Helm prints, or ""."""
    err = _duration_error(kw["timeout"])
    if err:
        return f'invalid argument "{kw["timeout"]}" for "--timeout" flag: {err}'
    err = _go_bool_error("--server-side", kw["server_side"])
    if err:
        return err
    wait = kw["wait_strategy"]
    if wait is not None and wait not in ("watcher", "legacy", "true", "false"):
        return (
            f'invalid argument "{wait}" for "--wait" flag: invalid wait input "{wait}".'
            " Valid inputs are watcher, and legacy"
        )
    for item in kw["labels"]:
        for pair in item.split(","):
            if "=" not in pair:
                return (
                    f'invalid argument "{item}" for "-l, --labels" flag:'
                    f" {pair} must be formatted as key=value"
                )
    return ""
