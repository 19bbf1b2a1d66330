"""The one error the order rules raise: a request refused, with a code and a reason."""

from __future__ import annotations

from allwan_contracts import RejectionReason


class OrderRefused(Exception):
    """A request the rules do not allow. ``message`` never holds personal data or values."""

    def __init__(self, reason: RejectionReason, message: str) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.message = message
