"""Ports for servers a test starts itself."""

from __future__ import annotations

import socket


class ReservedPort:
    """A port on 127.0.0.1 kept for a server that listens later, or again after a restart.

    The socket is bound but does not listen: connecting is refused as if nothing were there,
    yet no other process can take the port meanwhile (``bind(0)`` and outgoing connections
    skip a bound port; a port picked and let go could be taken before the server binds it).
    The server binds it too, with ``SO_REUSEADDR`` (asyncio and uvicorn servers set it)."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]

    def release(self) -> None:
        self._socket.close()
