"""What the gateway decides about a privacy request before it records anything (PDPL: the
rights to access and a copy, to correction and to destruction, answered within 30 days).

The privacy service owns every request (its ``privacy_request`` aggregate) and decides
again; these rules let the gateway answer at once with a clear problem instead of recording
what would be refused:

- one open request per kind and customer: another one of the same kind points to it;
- a customer may cancel only before work starts (an access or correction request from the
  web or staff starts on receipt, an erasure after a grace period); staff extend once, by
  up to 30 days, before the deadline passes, and deny only an open request;
- the export of an access request exists once it is completed, until it expires (7 days);
- the clock staff read: the deadline (``extended_until``, else ``due_at``) and days left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from allwan_contracts.privacy import (
    OPEN_STATES,
    RESPONSE_DAYS,
    PrivacyRequestKind,
    PrivacyRequestState,
)

NOT_STARTED = frozenset({PrivacyRequestState.RECEIVED, PrivacyRequestState.IDENTITY_VERIFIED})
"""States a customer may still cancel from: work on the request has not started."""

UNACKNOWLEDGED_BLOCKS_FOR = timedelta(days=1)
"""How long a request the privacy service has not acknowledged blocks another of its kind.

The privacy service refuses, without an event, a request that raced another open one of the
same kind; the gateway never hears of the refusal. Past this bound such a request no longer
stands in the customer's way (the privacy service still refuses a real duplicate)."""

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class RequestView:
    """One request as the gateway knows it: from the privacy service's events, or (until
    its ``PrivacyRequestReceived`` arrives, ``acknowledged`` False) from its own intake."""

    request_id: str
    customer_id: str
    kind: PrivacyRequestKind
    state: PrivacyRequestState
    received_at: datetime
    due_at: datetime
    extended_until: datetime | None = None
    export_expires_at: datetime | None = None
    export_destroyed: bool = False
    acknowledged: bool = True

    @property
    def deadline(self) -> datetime:
        """When the answer is due: the extended date once extended."""
        return self.extended_until or self.due_at

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Refused(Exception):
    """A request the rules refuse; ``kind`` names the problem, the message explains the rule."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class NoExport(Refused):
    """The request has no export and never will (it is not an access request)."""


class ExportExpired(Refused):
    """The export was destroyed, or its 7 days are over."""


def due_at(received_at: datetime) -> datetime:
    """PDPL: answered within 30 days of receipt."""
    return received_at + timedelta(days=RESPONSE_DAYS)


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole days before ``deadline``: 0 on its last day, negative once it has passed."""
    return math.floor((deadline - now) / _DAY)


def overdue(request: RequestView, now: datetime) -> bool:
    return request.is_open and now >= request.deadline


def blocking(
    requests: Iterable[RequestView], kind: PrivacyRequestKind, now: datetime
) -> RequestView | None:
    """The customer's open request of ``kind`` a new one would duplicate, if any."""
    for request in requests:
        if request.kind is not kind or not request.is_open:
            continue
        if request.acknowledged or now - request.received_at < UNACKNOWLEDGED_BLOCKS_FOR:
            return request
    return None


def check_cancellation(request: RequestView) -> None:
    """A customer withdraws a request only before work on it starts.

    A request the privacy service has not acknowledged yet came from the web or from staff,
    its requester already shown to be the customer: work on it starts as soon as it is
    received, but for an erasure, which waits a grace period the customer may cancel in.
    """
    started_on_receipt = not request.acknowledged and request.kind is not PrivacyRequestKind.ERASURE
    if request.state not in NOT_STARTED or started_on_receipt:
        raise Refused(
            "privacy-request-not-cancellable",
            "Work on this request has started or it is finished: it can no longer be cancelled.",
        )


def check_extension(request: RequestView, now: datetime) -> None:
    """PDPL: extended once, while open, before its deadline passes (the customer is told)."""
    if not request.is_open:
        raise Refused("privacy-request-closed", "This request is finished: it cannot change.")
    if request.extended_until is not None:
        raise Refused(
            "privacy-request-already-extended", "A request's deadline is extended once only."
        )
    if now >= request.deadline:
        raise Refused(
            "privacy-request-past-due",
            "The deadline has passed: a request is extended before its deadline only.",
        )


def check_denial(request: RequestView) -> None:
    """Only an open request is denied."""
    if not request.is_open:
        raise Refused("privacy-request-closed", "This request is finished: it cannot change.")


def check_export(request: RequestView, now: datetime) -> None:
    """An access request's export is there once completed, for 7 days."""
    if request.kind is not PrivacyRequestKind.ACCESS:
        raise NoExport("not-found", "Only an access request has an export.")
    if request.state is not PrivacyRequestState.COMPLETED:
        raise Refused(
            "export-not-ready", "The export is made when the request is completed; not yet."
        )
    expires = request.export_expires_at
    if request.export_destroyed or (expires is not None and now >= expires):
        raise ExportExpired(
            "export-expired", "The export was available for 7 days and has been destroyed."
        )
