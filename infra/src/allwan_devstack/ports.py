"""TCP port helpers: picking free ports and checking that fixed ones are free."""

from __future__ import annotations

import contextlib
import socket

from allwan_devstack.errors import PortInUseError

HOST = "127.0.0.1"


def port_open(port: int, timeout: float = 1.0) -> bool:
    """Tell whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers themselves, ignore connections of a previous run in TIME_WAIT;
        # a live listener on the port still makes bind fail.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def ensure_free(port: int, what: str, env_var: str | None = None) -> None:
    """Raise :class:`PortInUseError` if 127.0.0.1:``port`` cannot be bound."""
    if not _bindable(port):
        hint = f"; choose another with {env_var}" if env_var else ""
        raise PortInUseError(f"port {port} ({what}) is already in use{hint}")


def pick_free_ports(count: int) -> list[int]:
    """Return ``count`` distinct ports that are free right now, chosen by the kernel.

    All sockets stay bound until every port is chosen, so the ports differ from each
    other; another process may still grab one before our server binds it, in which case
    that server fails to start with a clear error.
    """
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((HOST, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports
