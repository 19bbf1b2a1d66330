"""What the browser tests (``tests/browser``) need beyond Python: a Chromium, a font that
draws Arabic, and axe-core.

Chromium and the font are Debian packages (``chromium``, ``fonts-noto-core``), installed with
``apt-get install -y`` only when missing (through ``sudo -n`` when not root). Playwright then
drives that Chromium (``executable_path=/usr/bin/chromium``): ``playwright install`` downloads
browser builds from a host that is no package registry, so it is never run. axe-core comes
from the npm registry, pinned by version and checked against the registry's sha512, unpacked
into the provisioning cache (``<cache>/axe-core-<version>/axe.min.js``) under the same lock
and build-then-rename scheme as the servers (``cache.py``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from allwan_devstack.cache import cache_root, ensure_artifact
from allwan_devstack.errors import DevStackError, ProvisionError
from allwan_devstack.tools import require_tool, run_tool

CHROMIUM = Path("/usr/bin/chromium")
ARABIC_FONT = Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf")
"""A file of ``fonts-noto-core``: without an Arabic font Chromium draws the pages' Arabic as
empty boxes, and a screenshot shows nothing worth looking at."""

AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
"""``npm view axe-core@<version> dist.integrity``: the tarball must hash to it."""


@dataclass(frozen=True)
class DebianPackage:
    """A package the browser tests need, and the file that shows it is installed."""

    name: str
    marker: Path


BROWSER_PACKAGES = (
    DebianPackage("chromium", CHROMIUM),
    DebianPackage("fonts-noto-core", ARABIC_FONT),
)


@dataclass(frozen=True)
class BrowserTooling:
    """Where the browser and axe-core are, and which packages this call installed."""

    chromium: Path
    axe: Path
    installed: tuple[str, ...]


Runner = Callable[[Sequence[str]], None]


def _run(argv: Sequence[str]) -> None:
    run_tool(argv, what=" ".join(argv))


def missing_packages(packages: Sequence[DebianPackage] = BROWSER_PACKAGES) -> list[str]:
    """The names of ``packages`` whose marker file is not there."""
    return [package.name for package in packages if not package.marker.exists()]


def install_command(
    packages: Sequence[str], *, is_root: bool, sudo: str | None, apt_get: str | None
) -> list[str]:
    """``apt-get install -y <packages>``, through ``sudo -n`` when not root.

    Raises ``DevStackError`` saying what to install by hand when this machine has no
    ``apt-get``, or neither root nor a ``sudo`` to run it with.
    """
    names = " ".join(packages)
    by_hand = (
        f"install them yourself (Debian: `sudo apt-get install -y {names}`), then run "
        "`uv run devstack provision-browser` again"
    )
    purpose = "the browser tests (tests/browser) need them"
    if apt_get is None:
        raise DevStackError(f"{names} missing ({purpose}) and no apt-get here; {by_hand}")
    if is_root:
        prefix: list[str] = []
    elif sudo is not None:
        # -n: fail at once rather than wait at a password prompt nobody sees (CI).
        prefix = [sudo, "-n"]
    else:
        raise DevStackError(
            f"{names} missing ({purpose}), and installing them needs root or sudo; {by_hand}"
        )
    # Through env: sudo drops the caller's environment, and apt must not ask questions.
    return [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", apt_get, "install", "-y", *packages]


def ensure_packages(
    packages: Sequence[DebianPackage] = BROWSER_PACKAGES,
    *,
    run: Runner = _run,
    is_root: bool | None = None,
    which: Callable[[str], str | None] = shutil.which,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, ...]:
    """Install whichever of ``packages`` is missing; return the names installed.

    A first ``apt-get install`` that fails (package lists never fetched on a fresh machine)
    is retried once after ``apt-get update``.
    """
    missing = missing_packages(packages)
    if not missing:
        return ()
    root = os.geteuid() == 0 if is_root is None else is_root
    command = install_command(missing, is_root=root, sudo=which("sudo"), apt_get=which("apt-get"))
    if progress is not None:
        progress(f"installing {', '.join(missing)} (apt-get)")
    try:
        run(command)
    except ProvisionError:
        update = [*command[: command.index("install")], "update"]
        run(update)
        run(command)
    still = missing_packages(packages)
    if still:
        raise ProvisionError(
            f"apt-get installed {', '.join(missing)} but {', '.join(still)} is still missing "
            f"(looked for {', '.join(str(p.marker) for p in packages if p.name in still)})"
        )
    return tuple(missing)


def _integrity(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch_axe(
    cache_dir: Path | None = None,
    *,
    version: str = AXE_VERSION,
    integrity: str = AXE_INTEGRITY,
    run: Runner = _run,
    npm: str | None = None,
) -> Path:
    """The path of ``axe.min.js`` (axe-core ``version``), fetched with ``npm pack`` into the
    cache on first use and checked against ``integrity``."""
    root = (cache_dir or cache_root()).resolve()

    def build(tmp: Path) -> None:
        command = npm or require_tool(
            "npm", "to fetch axe-core (the browser tests' accessibility checks)"
        )
        run([command, "pack", f"axe-core@{version}", "--pack-destination", str(tmp), "--silent"])
        tarball = tmp / f"axe-core-{version}.tgz"
        if not tarball.is_file():
            raise ProvisionError(f"npm pack axe-core@{version} left no {tarball.name}")
        if _integrity(tarball) != integrity:
            raise ProvisionError(
                f"axe-core-{version}.tgz does not match its pinned sha512; refusing to use it"
            )
        with tarfile.open(tarball) as archive:
            for name in ("axe.min.js", "LICENSE"):
                member = archive.extractfile(f"package/{name}")
                if member is None:
                    raise ProvisionError(f"axe-core-{version}.tgz has no package/{name}")
                (tmp / name).write_bytes(member.read())
        tarball.unlink()

    path, _ = ensure_artifact(root, f"axe-core-{version}", build)
    return path / "axe.min.js"


def provision_browser(
    cache_dir: Path | None = None, *, progress: Callable[[str], None] | None = None
) -> BrowserTooling:
    """Install Chromium and the Arabic font where missing, and fetch axe-core into the cache.

    Idempotent: on a provisioned machine it installs nothing and fetches nothing.
    """
    installed = ensure_packages(progress=progress)
    axe = fetch_axe(cache_dir)
    if progress is not None:
        done = f"installed {', '.join(installed)}" if installed else "already installed"
        progress(f"chromium, fonts-noto-core: {done}; axe-core {AXE_VERSION}: {axe}")
    return BrowserTooling(CHROMIUM, axe, installed)


__all__ = [
    "AXE_VERSION",
    "BROWSER_PACKAGES",
    "CHROMIUM",
    "BrowserTooling",
    "DebianPackage",
    "ensure_packages",
    "fetch_axe",
    "install_command",
    "missing_packages",
    "provision_browser",
]
