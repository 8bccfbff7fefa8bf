"""The Helm polystack is compatible with (Helm's internal/version): what `helm
version` prints and templates see as ``.Capabilities.HelmVersion``. A module of
its own: `helm version` imports it and nothing of the template functions."""

from __future__ import annotations

from polystack.helm.golang.types import GoStruct

# typing is imported by type checkers only (its import is a fresh command's cost)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["HELM_VERSION", "GO_VERSION", "KUBE_CLIENT_VERSION", "HelmVersion"]

HELM_VERSION = "v4.2"
GO_VERSION = "go1.26.6"
KUBE_CLIENT_VERSION = "v1.36"


class HelmVersion(GoStruct):
    go_type_name = "version.BuildInfo"
    go_fields = ("Version", "GitCommit", "GitTreeState", "GoVersion", "KubeClientVersion")

    def __init__(self) -> None:
        self.Version = HELM_VERSION
        self.GitCommit = ""
        self.GitTreeState = ""
        self.GoVersion = GO_VERSION
        self.KubeClientVersion = KUBE_CLIENT_VERSION

    def go_json(self) -> dict[str, Any]:
        from polystack.helm.encoding.jsongo import Struct  # (toJson only)

        out = Struct(version=self.Version)
        for key, val in (
            ("git_commit", self.GitCommit),
            ("git_tree_state", self.GitTreeState),
            ("go_version", self.GoVersion),
            ("kube_client_version", self.KubeClientVersion),
        ):
            if val:
                out[key] = val
        return out
