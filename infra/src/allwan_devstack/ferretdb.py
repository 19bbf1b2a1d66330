"""FerretDB (MongoDB wire protocol on SQLite): building our wrapper, command line, readiness.

FerretDB's own command panics at start when built from the module zip, so we build
``infra/ferretdb``, a small Go module of ours that embeds FerretDB's ``ferretdb`` package.

FerretDB is built from a patched copy of its module source: the patches are the ``*.patch``
files in ``infra/ferretdb`` (unified diffs against FerretDB's module root). The copy and the
build live in the cache directory, never in the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from allwan_devstack import resources
from allwan_devstack.cache import ensure_artifact, fingerprint
from allwan_devstack.errors import MissingToolError, ProvisionError
from allwan_devstack.tools import require_tool, run_tool, tail

BINARY = "allwan-ferretdb"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"


@dataclass(frozen=True)
class FerretDBInstall:
    """A built FerretDB wrapper: the FerretDB version it embeds and the binary's path."""

    version: str
    binary: Path
    built: bool


def ferretdb_version(go_mod: Path) -> str:
    """Read the FerretDB version our wrapper module requires."""
    match = re.search(r"github\.com/FerretDB/FerretDB\s+(v\S+)", go_mod.read_text())
    if match is None:
        raise ProvisionError(f"{go_mod} does not require github.com/FerretDB/FerretDB")
    return match.group(1)


def go_env() -> dict[str, str]:
    """Environment for ``go`` builds: the caller's, minus settings that break reproducibility."""
    env = dict(os.environ)
    # Our go.mod/go.sum are the source of truth; a user's GOFLAGS=-mod=vendor would not be.
    env.pop("GOFLAGS", None)
    # Pure-Go SQLite: no C toolchain needed, and the binary is static.
    env["CGO_ENABLED"] = "0"
    return env


def patches(module: Path) -> list[Path]:
    """The patches applied to FerretDB's source before the build, in the order applied."""
    return sorted(module.glob("*.patch"))


def module_source(go: str, wrapper: Path, env: dict[str, str]) -> Path:
    """Download (if needed) the FerretDB version ``wrapper``'s go.mod requires and return its
    directory in the Go module cache, checked against ``wrapper``'s go.sum."""
    argv = [go, "mod", "download", "-json", FERRETDB_MODULE]
    # Fixed arguments only; nothing here comes from a user.
    result = subprocess.run(  # noqa: S603
        argv,
        cwd=wrapper,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ProvisionError(
            f"go mod download (FerretDB source) failed (exit {result.returncode}): "
            f"{' '.join(argv)}\n{tail(result.stdout + result.stderr)}"
        )
    info = json.loads(result.stdout)
    if info.get("Error") or not info.get("Dir"):
        raise ProvisionError(f"go mod download found no source for {FERRETDB_MODULE}: {info}")
    return Path(info["Dir"])


def copy_writable(source: Path, target: Path) -> None:
    """Copy the tree ``source`` to ``target`` with fresh, writable permissions.

    The module cache is read-only (files 0444, directories 0555): a copy that kept those
    modes could be neither patched nor deleted by ``ensure_artifact``'s clean-up.
    """
    for dirpath, _dirnames, filenames in os.walk(source):
        here = target / Path(dirpath).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            shutil.copyfile(Path(dirpath) / name, here / name)


def apply_patch(patch: Path, tree: Path) -> None:
    """Apply the unified diff ``patch`` (paths ``a/...``, ``b/...``) to ``tree``, or raise.

    Uses ``patch`` without fuzz, else ``git apply``: both refuse a patch whose context
    does not match exactly, so a FerretDB upgrade that moves the patched code fails the
    build instead of changing some other line.
    """
    what = f"applying {patch.name} to FerretDB's source"
    # Absolute: both tools resolve the patch's path after changing to the tree.
    patch, tree = patch.resolve(), tree.resolve()
    patch_tool = shutil.which("patch")
    if patch_tool is not None:
        run_tool(
            [
                patch_tool,
                "-p1",
                "--batch",
                "--forward",
                "--fuzz=0",
                "--no-backup-if-mismatch",
                "-d",
                str(tree),
                "-i",
                str(patch),
            ],
            what=what,
        )
        return
    git = shutil.which("git")
    if git is None:
        raise MissingToolError(
            "patch",
            "to patch FerretDB's source before building it",
            "Install patch or git (Debian: apt-get install patch).",
        )
    env = dict(os.environ)
    # Outside a repository git apply patches the current directory like patch(1); the
    # ceiling keeps it from finding a repository around the cache directory.
    env["GIT_CEILING_DIRECTORIES"] = str(tree.parent)
    run_tool([git, "apply", "-p1", str(patch)], what=what, cwd=tree, env=env)


def provision_ferretdb(root: Path) -> FerretDBInstall:
    """Build the wrapper into ``root/ferretdb-<version>-<hash>/bin`` unless already there.

    The hash covers go.mod, go.sum, main.go and the patches, so any change to them gives a
    new build. The build copies FerretDB's source from the Go module cache into
    ``src/FerretDB`` of the artifact, applies the patches, and builds a copy of the wrapper
    module whose go.mod replaces FerretDB by that directory.
    """
    module = resources.ferretdb_module()
    go_mod, go_sum, main_go = module / "go.mod", module / "go.sum", module / "main.go"
    version = ferretdb_version(go_mod)
    to_apply = patches(module)

    def build(tmp: Path) -> None:
        go = require_tool("go", "to build FerretDB (the MongoDB-protocol server)")
        env = go_env()
        wrapper, ferretdb_src = tmp / "src" / "wrapper", tmp / "src" / "FerretDB"
        wrapper.mkdir(parents=True)
        for path in (go_mod, go_sum, main_go):
            shutil.copyfile(path, wrapper / path.name)
        # Run in the copy: whatever go writes, the committed go.sum stays as it is.
        copy_writable(module_source(go, wrapper, env), ferretdb_src)
        for patch in to_apply:
            apply_patch(patch, ferretdb_src)
        # Relative, so the replace still holds once tmp is renamed to the artifact's name.
        run_tool(
            [go, "mod", "edit", f"-replace={FERRETDB_MODULE}=../FerretDB"],
            what="go mod edit (FerretDB wrapper)",
            cwd=wrapper,
            env=env,
        )
        # -mod=readonly: the committed go.sum must already cover every module, so two
        # machines build exactly the same dependencies and nothing new is ever resolved.
        run_tool(
            [
                go,
                "build",
                "-mod=readonly",
                "-trimpath",
                "-buildvcs=false",
                "-o",
                str(tmp / "bin" / BINARY),
                ".",
            ],
            what="go build (FerretDB wrapper)",
            cwd=wrapper,
            env=env,
        )

    name = f"ferretdb-{version}-{fingerprint(go_mod, go_sum, main_go, *to_apply)}"
    path, built = ensure_artifact(root, name, build)
    return FerretDBInstall(version=version, binary=path / "bin" / BINARY, built=built)


def server_command(install: FerretDBInstall, *, port: int, data_dir: Path) -> list[str]:
    """Return the command line of FerretDB listening on 127.0.0.1:``port``."""
    return [
        str(install.binary),
        "-listen-addr",
        f"127.0.0.1:{port}",
        "-data-dir",
        str(data_dir),
    ]


def mongo_ready(port: int, timeout: float = 2.0) -> bool:
    """Tell whether the server on 127.0.0.1:``port`` answers a MongoDB ``ping``."""
    ms = int(timeout * 1000)
    client: MongoClient[dict[str, object]] = MongoClient(
        f"mongodb://127.0.0.1:{port}/",
        serverSelectionTimeoutMS=ms,
        connectTimeoutMS=ms,
        socketTimeoutMS=ms,
        directConnection=True,
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True
