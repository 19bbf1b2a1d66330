"""``devstack provision-browser``: Debian's Chromium and an Arabic font installed only when
missing (root, else ``sudo -n``, else a message saying what to install), axe-core fetched
from npm into the cache once and checked against its pinned hash."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from allwan_devstack.browser import (
    DebianPackage,
    ensure_packages,
    fetch_axe,
    install_command,
)
from allwan_devstack.errors import DevStackError, ProvisionError

APT = "/usr/bin/apt-get"


class Apt:
    """Runs nothing: records each command and, on ``install``, creates the markers."""

    def __init__(self, packages: Sequence[DebianPackage], *, fail_first: bool = False) -> None:
        self.packages = packages
        self.fail_first = fail_first
        self.commands: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> None:
        self.commands.append(list(argv))
        if argv[-1] == "update":
            return
        if self.fail_first:
            self.fail_first = False
            raise ProvisionError("E: Unable to locate package chromium")
        for package in self.packages:
            if package.name in argv:
                package.marker.parent.mkdir(parents=True, exist_ok=True)
                package.marker.write_text("")


def packages_under(root: Path) -> tuple[DebianPackage, ...]:
    return (
        DebianPackage("chromium", root / "usr/bin/chromium"),
        DebianPackage("fonts-noto-core", root / "fonts/NotoNaskhArabic-Regular.ttf"),
    )


def which(found: set[str]):  # type: ignore[no-untyped-def]
    return lambda name: f"/usr/bin/{name}" if name in found else None


def test_nothing_is_installed_when_both_are_there(tmp_path: Path) -> None:
    packages = packages_under(tmp_path)
    for package in packages:
        package.marker.parent.mkdir(parents=True, exist_ok=True)
        package.marker.write_text("")
    apt = Apt(packages)

    assert ensure_packages(packages, run=apt, is_root=True, which=which({"apt-get"})) == ()
    assert apt.commands == []


def test_root_installs_only_the_missing_package_with_apt_get(tmp_path: Path) -> None:
    packages = packages_under(tmp_path)
    packages[0].marker.parent.mkdir(parents=True)
    packages[0].marker.write_text("")
    apt = Apt(packages)

    installed = ensure_packages(packages, run=apt, is_root=True, which=which({"apt-get"}))

    assert installed == ("fonts-noto-core",)
    assert apt.commands == [
        ["env", "DEBIAN_FRONTEND=noninteractive", APT, "install", "-y", "fonts-noto-core"]
    ]


def test_without_root_it_goes_through_sudo_without_a_prompt_and_updates_lists_once(
    tmp_path: Path,
) -> None:
    packages = packages_under(tmp_path)
    apt = Apt(packages, fail_first=True)

    installed = ensure_packages(packages, run=apt, is_root=False, which=which({"apt-get", "sudo"}))

    assert installed == ("chromium", "fonts-noto-core")
    prefix = ["/usr/bin/sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", APT]
    install = [*prefix, "install", "-y", "chromium", "fonts-noto-core"]
    assert apt.commands == [install, [*prefix, "update"], install]


def test_without_root_or_sudo_it_says_what_to_install_by_hand() -> None:
    with pytest.raises(DevStackError) as raised:
        install_command(["chromium"], is_root=False, sudo=None, apt_get=APT)

    message = str(raised.value)
    assert "needs root or sudo" in message
    assert "sudo apt-get install -y chromium" in message
    assert "devstack provision-browser" in message


def test_without_apt_get_it_says_what_to_install_by_hand() -> None:
    with pytest.raises(DevStackError, match="no apt-get here"):
        install_command(["chromium", "fonts-noto-core"], is_root=True, sudo=None, apt_get=None)


def test_a_package_still_missing_after_apt_get_is_an_error(tmp_path: Path) -> None:
    packages = packages_under(tmp_path)

    with pytest.raises(ProvisionError, match="still missing"):
        ensure_packages(packages, run=lambda _: None, is_root=True, which=which({"apt-get"}))


def fake_tarball(version: str) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        for name, body in (("axe.min.js", b"window.axe = {};"), ("LICENSE", b"MPL-2.0")):
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return data.getvalue()


def integrity_of(raw: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(raw).digest()).decode()


class Npm:
    def __init__(self, tarball: bytes) -> None:
        self.tarball = tarball
        self.packs = 0

    def __call__(self, argv: Sequence[str]) -> None:
        self.packs += 1
        spec = argv[argv.index("pack") + 1]
        destination = Path(argv[argv.index("--pack-destination") + 1])
        (destination / f"{spec.replace('@', '-')}.tgz").write_bytes(self.tarball)


def test_axe_is_fetched_once_into_the_cache(tmp_path: Path) -> None:
    tarball = fake_tarball("9.9.9")
    npm = Npm(tarball)

    path = fetch_axe(tmp_path, version="9.9.9", integrity=integrity_of(tarball), run=npm, npm="npm")
    again = fetch_axe(
        tmp_path, version="9.9.9", integrity=integrity_of(tarball), run=npm, npm="npm"
    )

    assert path == again == tmp_path.resolve() / "axe-core-9.9.9" / "axe.min.js"
    assert path.read_bytes() == b"window.axe = {};"
    assert npm.packs == 1
    assert not list(path.parent.glob("*.tgz"))


def test_an_axe_tarball_that_does_not_match_its_pinned_hash_is_refused(tmp_path: Path) -> None:
    npm = Npm(fake_tarball("9.9.9"))

    with pytest.raises(ProvisionError, match="pinned sha512"):
        fetch_axe(tmp_path, version="9.9.9", integrity=integrity_of(b"other"), run=npm, npm="npm")
    assert not (tmp_path / "axe-core-9.9.9").exists()
