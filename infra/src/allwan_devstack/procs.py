"""Server processes: spawning them detached, recognising them again, stopping them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path


def spawn(
    argv: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session with stdout and stderr appended to ``log_file``.

    The new session keeps the server out of the terminal's process group: a Ctrl-C meant
    for the CLI does not reach it, and it outlives the CLI after ``devstack up``.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"=== {stamp} devstack: {' '.join(argv)}\n".encode())
        log.flush()
        process = subprocess.Popen(  # noqa: S603 - our own command line
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(f"{process.pid}\n")
    tmp.replace(pid_file)
    return process


def cmdline(pid: int) -> str | None:
    """Return the command line of ``pid`` or None if there is no such (live) process."""
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            stat = (proc / "stat").read_text()
            # The state letter follows the parenthesised command name; Z is a zombie.
            if stat[stat.rindex(")") + 2] == "Z":
                return None
            return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            return None
    # No /proc (macOS): ask ps.
    result = subprocess.run(  # noqa: S603
        ["ps", "-o", "command=", "-p", str(pid)],  # noqa: S607 - ps is on every Unix PATH
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def find_running(pid_file: Path, marker: str) -> int | None:
    """Return the pid recorded in ``pid_file`` if that process still runs and is ours.

    ``marker`` (a path inside the state directory) must appear in its command line: this
    guards against a pid reused by an unrelated process after a reboot or crash.
    """
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    line = cmdline(pid)
    if line is None or marker not in line:
        return None
    return pid


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # Each server leads its own session and process group, so this reaches any helper
    # process it started as well.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def terminate(
    pids: Sequence[int],
    *,
    grace: float,
    children: Mapping[int, subprocess.Popen[bytes]] | None = None,
) -> list[int]:
    """SIGTERM every pid's process group, wait up to ``grace`` seconds, then SIGKILL.

    ``children`` maps pids this process spawned to their Popen objects so that they are
    reaped instead of lingering as zombies. Returns the pids that had to be killed.
    """
    children = children or {}

    def alive(pid: int) -> bool:
        child = children.get(pid)
        if child is not None:
            return child.poll() is None
        return cmdline(pid) is not None

    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    remaining = [pid for pid in pids if alive(pid)]
    while remaining and time.monotonic() < deadline:
        time.sleep(0.05)
        remaining = [pid for pid in remaining if alive(pid)]
    for pid in remaining:
        _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in remaining) and time.monotonic() < deadline:
        time.sleep(0.05)
    return remaining


def log_tail(path: Path, lines: int = 40, *, offset: int = 0) -> str:
    """Return the last ``lines`` lines of ``path`` written after byte ``offset``."""
    try:
        with path.open("rb") as handle:
            # Only the end matters, and a long-running server's log can be large.
            handle.seek(max(offset, path.stat().st_size - 256 * 1024))
            data = handle.read()
    except OSError:
        return ""
    return "\n".join(data.decode(errors="replace").rstrip().splitlines()[-lines:])
