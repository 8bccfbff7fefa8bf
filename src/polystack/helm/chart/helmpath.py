"""Helm's directories and environment (pkg/helmpath and cli.EnvSettings): the
XDG-based homes ($HELM_CONFIG_HOME, $HELM_CACHE_HOME, $HELM_DATA_HOME) and the
files and settings the HELM_* variables (and the command line's global flags,
which set them) choose."""

from __future__ import annotations

import os
import sys

__all__ = ["config_path", "cache_path", "data_path", "env_vars"]


def _home(var: str, xdg: str, default: str) -> str:
    return os.environ.get(var) or os.path.join(
        os.environ.get(xdg) or os.path.expanduser(default), "helm"
    )


def _join(base: str, elem: tuple[str, ...]) -> str:
    """filepath.Join: no trailing separator for an empty element."""
    parts = [e for e in elem if e]
    return os.path.join(base, *parts) if parts else base


def config_path(*elem: str) -> str:
    """helmpath.ConfigPath: under $HELM_CONFIG_HOME, else $XDG_CONFIG_HOME/helm."""
    return _join(_home("HELM_CONFIG_HOME", "XDG_CONFIG_HOME", "~/.config"), elem)


def cache_path(*elem: str) -> str:
    """helmpath.CachePath: under $HELM_CACHE_HOME, else $XDG_CACHE_HOME/helm."""
    return _join(_home("HELM_CACHE_HOME", "XDG_CACHE_HOME", "~/.cache"), elem)


def data_path(*elem: str) -> str:
    """helmpath.DataPath: under $HELM_DATA_HOME, else $XDG_DATA_HOME/helm."""
    return _join(_home("HELM_DATA_HOME", "XDG_DATA_HOME", "~/.local/share"), elem)


def _env(name: str, default: str) -> str:
    v = os.environ.get(name)
    return default if v is None else v


def _int_env(name: str, default: int) -> str:
    try:
        return str(int(os.environ.get(name, "")))
    except ValueError:
        return str(default)


def _bool_env(name: str) -> str:
    v = os.environ.get(name, "").strip().lower()
    return "true" if v in ("1", "t", "true", "y", "yes") else "false"


def env_vars() -> dict[str, str]:
    """cli.EnvSettings.EnvVars: what `helm env` prints."""
    try:
        qps = f"{float(os.environ.get('HELM_QPS', '0')):.2f}"
    except ValueError:
        qps = "0.00"
    groups = ",".join(
        g for g in os.environ.get("HELM_KUBEASGROUPS", "").strip(", ").split(",") if g
    )
    out = {
        "HELM_BIN": os.environ.get("HELM_BIN") or sys.argv[0],
        "HELM_CACHE_HOME": cache_path(""),
        "HELM_CONFIG_HOME": config_path(""),
        "HELM_DATA_HOME": data_path(""),
        "HELM_DEBUG": _bool_env("HELM_DEBUG"),
        "HELM_PLUGINS": _env("HELM_PLUGINS", data_path("plugins")),
        "HELM_REGISTRY_CONFIG": _env("HELM_REGISTRY_CONFIG", config_path("registry/config.json")),
        "HELM_REPOSITORY_CACHE": _env("HELM_REPOSITORY_CACHE", cache_path("repository")),
        "HELM_CONTENT_CACHE": _env("HELM_CONTENT_CACHE", cache_path("content")),
        "HELM_REPOSITORY_CONFIG": _env("HELM_REPOSITORY_CONFIG", config_path("repositories.yaml")),
        "HELM_NAMESPACE": os.environ.get("HELM_NAMESPACE") or "default",
        "HELM_MAX_HISTORY": _int_env("HELM_MAX_HISTORY", 10),
        "HELM_BURST_LIMIT": _int_env("HELM_BURST_LIMIT", 100),
        "HELM_QPS": qps,
        "HELM_MAX_CHART_SIZE": _int_env("HELM_MAX_CHART_SIZE", 100 * 1024 * 1024),
        "HELM_MAX_FILE_SIZE": _int_env("HELM_MAX_FILE_SIZE", 5 * 1024 * 1024),
        "HELM_KUBECONTEXT": os.environ.get("HELM_KUBECONTEXT", ""),
        "HELM_KUBETOKEN": os.environ.get("HELM_KUBETOKEN", ""),
        "HELM_KUBEASUSER": os.environ.get("HELM_KUBEASUSER", ""),
        "HELM_KUBEASGROUPS": groups,
        "HELM_KUBEAPISERVER": os.environ.get("HELM_KUBEAPISERVER", ""),
        "HELM_KUBECAFILE": os.environ.get("HELM_KUBECAFILE", ""),
        "HELM_KUBEINSECURE_SKIP_TLS_VERIFY": _bool_env("HELM_KUBEINSECURE_SKIP_TLS_VERIFY"),
        "HELM_KUBETLS_SERVER_NAME": os.environ.get("HELM_KUBETLS_SERVER_NAME", ""),
    }
    if os.environ.get("KUBECONFIG"):
        out["KUBECONFIG"] = os.environ["KUBECONFIG"]
    return out
