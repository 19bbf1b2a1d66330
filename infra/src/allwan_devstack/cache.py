"""The provisioning cache: where downloaded and built servers live, outside the repository.

Each artifact lives in its own directory named by what produced it (a version and a hash of
the inputs), so a changed pom or go.sum simply yields a new directory and nothing is ever
rebuilt in place. An artifact directory is first assembled under a temporary name and then
renamed, so a directory with the final name is always complete; a per-artifact ``fcntl``
lock makes two processes provisioning at once build it only once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_COMPLETE_STAMP = ".complete"


def cache_root() -> Path:
    """Return the cache directory: ``$ALLWAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/allwan``,
    else ``~/.cache/allwan``."""
    explicit = os.environ.get("ALLWAN_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "allwan").resolve()


def fingerprint(*paths: Path, extra: str = "") -> str:
    """Return a short hash of the given files' names and contents (plus ``extra``)."""
    digest = hashlib.sha256(extra.encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``path`` (created if missing) for the block.

    The lock is released by the kernel if the process dies, so a crashed provisioning run
    never leaves a stale lock behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def is_complete(artifact_dir: Path) -> bool:
    """Tell whether ``artifact_dir`` holds a finished artifact."""
    return (artifact_dir / _COMPLETE_STAMP).is_file()


def ensure_artifact(root: Path, name: str, build: Callable[[Path], None]) -> tuple[Path, bool]:
    """Return ``(root/name, built)``, running ``build(tmp_dir)`` first if it is not there yet.

    ``build`` fills a fresh temporary directory; when it returns, that directory is renamed
    to ``root/name`` atomically. ``built`` is False when the artifact was already cached.
    """
    final = root / name
    # Fast path without the lock: the final name only ever appears complete.
    if is_complete(final):
        return final, False
    with file_lock(root / "locks" / f"{name}.lock"):
        if is_complete(final):  # another process built it while we waited for the lock
            return final, False
        # Leftovers of a run that crashed: we hold the lock, so nobody else is using them.
        for stale in root.glob(f".tmp-{name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists():
            shutil.rmtree(final)
        tmp = root / f".tmp-{name}-{os.getpid()}"
        tmp.mkdir(parents=True)
        try:
            build(tmp)
            (tmp / _COMPLETE_STAMP).write_text("ok\n")
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final, True
