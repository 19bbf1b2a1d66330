"""FerretDB (MongoDB wire protocol on SQLite): building our wrapper, command line, readiness.

FerretDB's own command panics at start when built from the module zip, so we build
``infra/ferretdb``, a small Go module of ours that embeds FerretDB's ``ferretdb`` package.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from allwan_devstack import resources
from allwan_devstack.cache import ensure_artifact, fingerprint
from allwan_devstack.errors import ProvisionError
from allwan_devstack.tools import require_tool, run_tool

BINARY = "allwan-ferretdb"


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


def provision_ferretdb(root: Path) -> FerretDBInstall:
    """Build the wrapper into ``root/ferretdb-<version>-<hash>/bin`` unless already there.

    The hash covers go.mod, go.sum and main.go, so any change to them gives a new build.
    """
    module = resources.ferretdb_module()
    go_mod, go_sum, main_go = module / "go.mod", module / "go.sum", module / "main.go"
    version = ferretdb_version(go_mod)

    def build(tmp: Path) -> None:
        go = require_tool("go", "to build FerretDB (the MongoDB-protocol server)")
        # -mod=readonly: the committed go.sum must already cover every module, so two
        # machines build exactly the same dependencies.
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
            cwd=module,
            env=go_env(),
        )

    name = f"ferretdb-{version}-{fingerprint(go_mod, go_sum, main_go)}"
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
