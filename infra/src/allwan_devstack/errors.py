"""Errors raised by the devstack, each worded so that the reader knows what to do next."""

from __future__ import annotations


class DevStackError(Exception):
    """Base class of every devstack error."""


class MissingToolError(DevStackError):
    """A program the devstack needs (java, mvn, go) is not installed or not on PATH."""

    def __init__(self, tool: str, purpose: str, hint: str) -> None:
        self.tool = tool
        super().__init__(f"`{tool}` was not found on PATH; it is needed {purpose}. {hint}")


class ProvisionError(DevStackError):
    """Downloading or building one of the servers failed."""


class PortInUseError(DevStackError):
    """A fixed port asked for is already taken by another process."""


class ServerStartError(DevStackError):
    """A server exited or did not answer in time; the message ends with its log's last lines."""

    def __init__(self, server: str, reason: str, log_tail: str) -> None:
        self.server = server
        self.log_tail = log_tail
        message = f"{server} did not come up: {reason}"
        if log_tail:
            message += f"\n--- last lines of the {server} log ---\n{log_tail}"
        super().__init__(message)


class AlreadyRunningError(DevStackError):
    """The state directory's servers are already running (see ``devstack status``)."""
