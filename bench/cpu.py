"""Where a benchmark's CPU went: the CPU time of local processes (Linux ``/proc``), and the
process behind a local server's port (FerretDB, Kafka), so a result can say how many
milliseconds of each process one request or event cost.

Servers that are not local processes of this machine (containers, remote endpoints) are not
found: their share is left out, never guessed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

PROC: Final = Path("/proc")
_LISTEN: Final = "0A"
"""A socket's state in ``/proc/net/tcp``: TCP_LISTEN."""


def cpu_seconds(pids: Iterable[int], proc: Path = PROC) -> float | None:
    """CPU time the processes have used so far (user + system); None where one is unreadable."""
    total = 0.0
    for pid in pids:
        try:
            # The fields after the command name: utime and stime are the 12th and 13th.
            fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def listening_inodes(port: int, proc: Path = PROC) -> set[str]:
    """The inodes of the sockets listening on ``port`` (any local address, IPv4 or IPv6)."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def listener_pid(port: int, proc: Path = PROC) -> int | None:
    """The local process listening on ``port``, or None when there is none to be seen."""
    inodes = {f"socket:[{inode}]" for inode in listening_inodes(port, proc)}
    if not inodes:
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            descriptors = list((entry / "fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) in inodes:
                    return int(entry.name)
            except OSError:
                continue
    return None


def server_pids(mongo_url: str, kafka_brokers: Iterable[str]) -> dict[str, list[int]]:
    """The local processes of the MongoDB-protocol server and of the Kafka nodes, by kind;
    a kind none of whose servers is local is left out."""
    found: dict[str, list[int]] = {}
    mongo_port = urlsplit(mongo_url).port or 27017
    kafka_ports = [int(broker.rsplit(":", 1)[1]) for broker in kafka_brokers]
    for kind, ports in (("mongodb", [mongo_port]), ("kafka", kafka_ports)):
        pids = [pid for port in ports if (pid := listener_pid(port)) is not None]
        if pids:
            found[kind] = pids
    return found


class CpuMeter:
    """CPU used by groups of processes between ``start`` and ``per``."""

    def __init__(self, groups: Mapping[str, list[int]]) -> None:
        self._groups = dict(groups)
        self._before: dict[str, float | None] = {}

    def start(self) -> None:
        self._before = {name: cpu_seconds(pids) for name, pids in self._groups.items()}

    def per(self, count: int) -> dict[str, float]:
        """Milliseconds of CPU per unit of work (``count`` units since ``start``), by group,
        and their ``total``; a group whose processes could not be read is left out."""
        spent: dict[str, float] = {}
        for name, pids in self._groups.items():
            before, after = self._before.get(name), cpu_seconds(pids)
            if before is not None and after is not None and count:
                spent[name] = round((after - before) * 1000 / count, 2)
        if spent:
            spent["total"] = round(sum(spent.values()), 2)
        return spent
