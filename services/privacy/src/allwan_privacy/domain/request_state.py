"""What a privacy request's events make of it: its receipt, state, history, answers and export,
and the questions they answer (is it open, its deadline, what its export's download gives).

``request.PrivacyRequest`` adds the commands; this module only folds recorded events.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from allwan_contracts import Channel
from allwan_contracts.privacy import (
    OPEN_STATES,
    PrivacyExportDestroyed,
    PrivacyRequestCancelled,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestIdentityVerified,
    PrivacyRequestKind,
    PrivacyRequestReceived,
    PrivacyRequestServiceAnswered,
    PrivacyRequestStarted,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_runtime.aggregate import Aggregate

from allwan_privacy.domain import deadlines
from allwan_privacy.domain.errors import NotTheirRequest, RequestClosed, UnknownRequest, WrongState

PRIVACY_SERVICE = "service:privacy"
"""Who records what no person decides: the start of work, completion, a lapsed confirmation."""


@dataclass(frozen=True)
class Receipt:
    """What a request is, fixed when it is received."""

    customer_id: str
    kind: PrivacyRequestKind
    channel: Channel
    received_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Step:
    """One state of the request's life: when it was reached and who moved it there."""

    state: State
    at: datetime
    by: str


class ExportStatus(StrEnum):
    """What a customer asking for a request's export gets."""

    READY = "ready"
    NOT_READY = "not_ready"  # an access request still open
    GONE = "gone"  # destroyed, or past its days
    NONE = "none"  # no such request of theirs, or one with no export


class RequestState(Aggregate):
    """A privacy request as its events left it; ``receipt`` is None until it is received."""

    aggregate_type: ClassVar[str] = "privacy_request"

    def __init__(self, request_id: str) -> None:
        super().__init__(request_id)
        self.receipt: Receipt | None = None
        self.state: State | None = None
        self.awaiting_confirmation = False
        self.verified_at: datetime | None = None
        self.extended_until: datetime | None = None
        self.answered: dict[str, datetime] = {}
        self.export_expires_at: datetime | None = None
        self.export_destroyed = False
        self.history: list[Step] = []

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def deadline(self) -> datetime:
        """The due date in force: the extended one, once extended."""
        return self.extended_until or self.received().due_at

    def check_customer(self, customer_id: str) -> None:
        """``NotTheirRequest`` unless the request is ``customer_id``'s (S1)."""
        if self.received().customer_id != customer_id:
            raise NotTheirRequest("the request belongs to another customer")

    def waiting_for(self, expected: Set[str]) -> frozenset[str]:
        """The expected services that have not answered yet."""
        return frozenset(expected) - self.answered.keys()

    def completes_for_erased(self, *, starting: bool) -> bool:
        """Whether the request completes at once because its customer is erased: nothing is
        left to access, correct or erase when work starts; an access request answers that
        nothing is held whenever the erasure is found."""
        receipt = self.receipt
        return (
            receipt is not None
            and self.state is State.IN_PROGRESS
            and (starting or receipt.kind is PrivacyRequestKind.ACCESS)
        )

    def export_status(self, customer_id: str, now: datetime) -> ExportStatus:
        """What ``customer_id`` gets when asking for this request's export at ``now``.

        Another customer's request is answered as one that does not exist (S1).
        """
        receipt = self.receipt
        if (
            receipt is None
            or receipt.customer_id != customer_id
            or receipt.kind is not PrivacyRequestKind.ACCESS
        ):
            return ExportStatus.NONE
        if self.open:
            return ExportStatus.NOT_READY
        expires = self.export_expires_at
        if expires is None:
            return ExportStatus.NONE  # denied or cancelled
        if self.export_destroyed or now >= expires:
            return ExportStatus.GONE
        return ExportStatus.READY

    def days_overdue(self, now: datetime) -> int:
        """Days an open request is past its deadline; 0 when on time or closed."""
        return deadlines.days_overdue(self.deadline, now) if self.open else 0

    def apply(self, event: Any) -> None:
        match event:
            case PrivacyRequestReceived():
                self.receipt = Receipt(
                    event.customer_id, event.kind, event.channel, event.received_at, event.due_at
                )
                self.awaiting_confirmation = event.awaiting_confirmation
                self._reach(State.RECEIVED, event.received_at, event.by)
            case PrivacyRequestIdentityVerified():
                self.verified_at = event.at
                self._reach(State.IDENTITY_VERIFIED, event.at, event.by)
            case PrivacyRequestStarted():
                self.awaiting_confirmation = False
                self._reach(State.IN_PROGRESS, event.at, event.by)
            case PrivacyRequestExtended():
                self.extended_until = event.extended_until
            case PrivacyRequestServiceAnswered():
                self.answered[event.service] = event.at
            case PrivacyRequestCompleted():
                self.export_expires_at = event.export_expires_at
                self._reach(State.COMPLETED, event.at, PRIVACY_SERVICE)
            case PrivacyRequestDenied():
                self._reach(State.DENIED, event.at, event.by)
            case PrivacyRequestCancelled():
                self._reach(State.CANCELLED, event.at, event.by)
            case PrivacyExportDestroyed():
                self.export_destroyed = True

    def _reach(self, state: State, at: datetime, by: str) -> None:
        self.state = state
        self.history.append(Step(state, at, by))

    def _ids(self) -> dict[str, str]:
        """The ids every event of the request carries."""
        return {"request_id": self.id, "customer_id": self.received().customer_id}

    def received(self) -> Receipt:
        """The request's receipt; ``UnknownRequest`` if it was never received."""
        if self.receipt is None:
            raise UnknownRequest("no request was received under this id")
        return self.receipt

    def _open(self) -> Receipt:
        receipt = self.received()
        if not self.open:
            raise RequestClosed("the request is closed")
        return receipt

    def _in_progress(self) -> Receipt:
        receipt = self._open()
        if self.state is not State.IN_PROGRESS:
            raise WrongState("this step needs work on the request to have started")
        return receipt
