"""Finding and running the external build tools (java, mvn, go)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from allwan_devstack.errors import MissingToolError, ProvisionError

_HINTS = {
    "java": "Install a JDK 17 or newer (Debian: apt-get install openjdk-17-jre-headless) "
    "or set JAVA_HOME.",
    "mvn": "Install Apache Maven 3.8+ (Debian: apt-get install maven).",
    "go": "Install Go 1.24 or newer (https://go.dev/dl/, or Debian backports' golang).",
    "npm": "Install Node.js with npm (Debian: apt-get install npm).",
}


def require_tool(tool: str, purpose: str) -> str:
    """Return the absolute path of ``tool`` or raise :class:`MissingToolError`.

    ``java`` is looked up in ``$JAVA_HOME/bin`` first, as the JDK scripts do.
    """
    if tool == "java":
        java_home = os.environ.get("JAVA_HOME")
        if java_home:
            candidate = Path(java_home) / "bin" / "java"
            if os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which(tool)
    if found is None:
        raise MissingToolError(tool, purpose, _HINTS.get(tool, ""))
    return found


def tail(text: str, lines: int = 40) -> str:
    """Return the last ``lines`` lines of ``text``."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_tool(
    argv: Sequence[str],
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run a build command to completion; raise :class:`ProvisionError` with its output's
    tail if it fails. ``what`` names the step in that message."""
    # Inputs are our own constant command lines, never user-supplied strings.
    result = subprocess.run(  # noqa: S603
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ProvisionError(
            f"{what} failed (exit {result.returncode}): {' '.join(argv)}\n{tail(result.stdout)}"
        )


def try_tool(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> bool:
    """Run a command quietly and tell whether it succeeded."""
    result = subprocess.run(  # noqa: S603
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0
