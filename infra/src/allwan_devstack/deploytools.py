"""Tools that validate the deploy files offline, built from the Go module proxy into the cache.

``kustomize`` renders ``deploy/k8s/overlays/*``; ``kube-score`` and ``kube-linter`` lint the
rendered manifests. Each is pinned and ``go install``-ed into its own cache directory
(``<cache>/<tool>-<version>/bin``), under the same file lock and build-then-rename scheme as the
servers (see ``cache.py``), so a second run, or a second process, finds it there.

kube-linter's module lives on ``golang.stackrox.io``. A Go module proxy that does not serve
that host (this project's build machines are such) makes its build fail; it is therefore
optional: :func:`provision_deploy_tools` reports why it is missing instead of failing, and
the tests lint with kube-score (a ``github.com`` module) plus their own checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from allwan_devstack.cache import cache_root, ensure_artifact
from allwan_devstack.errors import DevStackError
from allwan_devstack.ferretdb import go_env
from allwan_devstack.tools import require_tool, run_tool


@dataclass(frozen=True)
class GoTool:
    """A command-line tool installed with ``go install <package>@<version>``."""

    name: str
    package: str
    version: str
    required: bool
    """Whether provisioning fails without it (True) or only reports it missing (False)."""

    @property
    def artifact(self) -> str:
        """Its directory name in the cache: a new version is a new directory."""
        return f"{self.name}-{self.version}"


# Pinned: `go install pkg@version` resolves every dependency from the tool's own go.sum,
# checked against the Go checksum database, so every machine builds the same binary.
# kustomize v5.8.1 is the newest whose go.mod asks for no more than Go 1.24 (FerretDB's floor).
KUSTOMIZE = GoTool("kustomize", "sigs.k8s.io/kustomize/kustomize/v5", "v5.8.1", required=True)
KUBE_SCORE = GoTool(
    "kube-score", "github.com/zegl/kube-score/cmd/kube-score", "v1.20.0", required=True
)
KUBE_LINTER = GoTool(
    "kube-linter", "golang.stackrox.io/kube-linter/cmd/kube-linter", "v0.8.3", required=False
)
DEPLOY_TOOLS = (KUSTOMIZE, KUBE_SCORE, KUBE_LINTER)


@dataclass(frozen=True)
class DeployTools:
    """Where each built tool is, why any optional one is missing, and seconds per step."""

    cache_dir: Path
    binaries: dict[str, Path]
    missing: dict[str, str] = field(default_factory=dict)
    built: frozenset[str] = frozenset()
    seconds: dict[str, float] = field(default_factory=dict)

    def binary(self, name: str) -> Path:
        """The path of tool ``name``; ``DevStackError`` (with the reason) if it is missing."""
        if name in self.binaries:
            return self.binaries[name]
        reason = self.missing.get(name, "not a deploy tool")
        raise DevStackError(f"{name} is not available: {reason}")


def provision_tool(root: Path, tool: GoTool) -> tuple[Path, bool]:
    """``go install`` one tool into ``root/<name>-<version>/bin`` unless it is already there.

    Returns the binary's path and whether it was built now (False: it was cached).
    """

    def build(tmp: Path) -> None:
        go = require_tool("go", f"to build {tool.name} (deploy-file validation)")
        env = go_env()
        env["GOBIN"] = str(tmp / "bin")
        run_tool(
            [go, "install", "-trimpath", f"{tool.package}@{tool.version}"],
            what=f"go install ({tool.name})",
            cwd=tmp,
            env=env,
        )

    path, built = ensure_artifact(root, tool.artifact, build)
    return path / "bin" / tool.name, built


def provision_deploy_tools(
    cache_dir: Path | None = None,
    *,
    tools: tuple[GoTool, ...] = DEPLOY_TOOLS,
    progress: Callable[[str], None] | None = None,
) -> DeployTools:
    """Build every deploy tool into the cache; skip what is there.

    A required tool that cannot be built raises :class:`ProvisionError`; an optional one is
    recorded in ``missing`` with the build's error. Idempotent and safe to run from several
    processes at once.
    """
    root = (cache_dir or cache_root()).resolve()
    root.mkdir(parents=True, exist_ok=True)
    binaries: dict[str, Path] = {}
    missing: dict[str, str] = {}
    built: set[str] = set()
    seconds: dict[str, float] = {}
    for tool in tools:
        started = time.monotonic()
        try:
            binaries[tool.name], fresh = provision_tool(root, tool)
        except DevStackError as error:  # ProvisionError, or Go itself missing
            if tool.required:
                raise
            missing[tool.name] = str(error).strip().splitlines()[-1]
            state = f"unavailable ({missing[tool.name]})"
        else:
            if fresh:
                built.add(tool.name)
            state = "built" if fresh else "cached"
        seconds[tool.name] = time.monotonic() - started
        if progress is not None:
            progress(f"{tool.name} {tool.version}: {state} in {seconds[tool.name]:.1f}s")
    return DeployTools(root, binaries, missing, frozenset(built), seconds)


__all__ = [
    "DEPLOY_TOOLS",
    "KUBE_LINTER",
    "KUBE_SCORE",
    "KUSTOMIZE",
    "DeployTools",
    "GoTool",
    "provision_deploy_tools",
    "provision_tool",
]
