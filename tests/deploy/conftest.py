"""Fixtures of the deploy checks: the deploy tools, and every overlay rendered by kustomize.

The overlays' secretGenerators read untracked files (``overlays/*/secrets/*.txt``); a clean
clone has none, so the overlays are rendered from a copy of ``deploy/k8s`` whose secret files
are the checked-in ``*.txt.example`` placeholders.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from allwan_devstack.deploytools import DeployTools, provision_deploy_tools

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")

Manifest = dict[str, Any]


def load_script(path: Path, name: str) -> ModuleType:
    """Import a script of the repository (possibly without a ``.py`` name) as a module."""
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it executes
    loader.exec_module(module)
    return module


def materialize_secrets(tree: Path) -> None:
    """Turn every ``secrets/*.txt.example`` under ``tree`` into the ``*.txt`` it stands for."""
    for example in tree.glob("overlays/*/secrets/*.txt.example"):
        example.with_suffix("").write_bytes(example.read_bytes())


@dataclass(frozen=True)
class Rendered:
    """One overlay as ``kustomize build`` printed it."""

    overlay: str
    path: Path
    manifests: list[Manifest]

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def named(self, kind: str, name: str) -> Manifest:
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.overlay}: {len(found)} {kind} named {name}"
        return found[0]


@pytest.fixture(scope="session")
def deploy_tools() -> DeployTools:
    """kustomize and kube-score (required), kube-linter (where its module host is reachable),
    built into the shared cache on first use (about a minute, cold)."""
    return provision_deploy_tools()


def kustomize_build(tools: DeployTools, overlay_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tools.binary("kustomize")), "build", str(overlay_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="session")
def k8s_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``deploy/k8s`` copied, with the placeholder secrets in place."""
    tree = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("*.txt", "__pycache__"))
    materialize_secrets(tree)
    return tree


@pytest.fixture(scope="session")
def rendered(
    deploy_tools: DeployTools, k8s_copy: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Rendered]:
    """Every overlay rendered; a failing ``kustomize build`` fails the tests that use it."""
    out = tmp_path_factory.mktemp("rendered")
    result: dict[str, Rendered] = {}
    for overlay in OVERLAYS:
        built = kustomize_build(deploy_tools, k8s_copy / "overlays" / overlay)
        assert built.returncode == 0, f"kustomize build {overlay} failed:\n{built.stderr}"
        path = out / f"{overlay}.yaml"
        path.write_text(built.stdout)
        manifests = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
        result[overlay] = Rendered(overlay, path, manifests)
    return result
