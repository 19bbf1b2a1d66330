"""The privacy request aggregate (stream ``privacy_request:<request id>``): a customer's access,
correction or erasure request (PDPL), from receipt to its answer, against its 30-day clock.

States (``PrivacyRequestState``)::

    received ──► identity_verified ──► in_progress ──► completed
       │  │              │                  │
       │  ╰──────────────┴──► cancelled     ╰──► denied (from any open state: a legal reason)
       ╰── a WhatsApp erasure awaits its confirming message for 24 h, else it is cancelled

A request whose requester was shown to be the customer (web token, staff's check, registered
phone) goes received → identity_verified → in_progress at once; an erasure, irreversible,
waits its grace period in identity_verified first (``start_erasure``): the customer is told
it is coming and may cancel it until then. Work in progress is each
holding service's answer (``ServiceAnswered``: proof, without personal data); the request
completes once every service expected for its kind answered. Commands check their rules
before they record anything and raise a ``RequestRefused`` otherwise; those a redelivery may
repeat (``receive``, ``answer``, ``complete``, ...) return False instead. Every instant is
passed in (``deadlines``): nothing here reads the time.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timedelta
from typing import ClassVar

from allwan_contracts import Channel
from allwan_contracts.base import Event
from allwan_contracts.privacy import (
    PRIVACY_REQUEST_EVENTS,
    ContactChanges,
    DenialReason,
    IdentityCheck,
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

from allwan_privacy.domain import deadlines
from allwan_privacy.domain.errors import (
    AnswerRefused,
    CompletionRefused,
    ConfirmationRefused,
    ExtensionRefused,
    WorkStarted,
    WrongState,
)
from allwan_privacy.domain.request_state import (
    PRIVACY_SERVICE,
    ExportStatus,
    Receipt,
    RequestState,
    Step,
)

__all__ = ["PRIVACY_SERVICE", "ExportStatus", "PrivacyRequest", "Receipt", "Step"]


class PrivacyRequest(RequestState):
    """One privacy request and the commands that move it on."""

    event_classes: ClassVar[tuple[type[Event], ...]] = PRIVACY_REQUEST_EVENTS
    """What a request records, all on ``allwan.privacy``."""

    def receive(
        self,
        *,
        customer_id: str,
        kind: PrivacyRequestKind,
        channel: Channel,
        by: str,
        at: datetime,
        identity_check: IdentityCheck | None = None,
        changes: ContactChanges | None = None,
        erasure_grace: timedelta = timedelta(0),
    ) -> bool:
        """Put the request on record; its clock runs from ``at``, when the customer asked.

        With the requester's identity already shown (``identity_check``), work starts at
        once, an erasure after ``erasure_grace``; a WhatsApp erasure awaits its confirming
        message first. False if the request is on record already (a redelivery).
        """
        if self.receipt is not None:
            return False
        _check_changes(kind, changes)
        awaiting = deadlines.needs_confirmation(kind, channel)
        self.record(
            PrivacyRequestReceived(
                request_id=self.id,
                customer_id=customer_id,
                kind=kind,
                channel=channel,
                received_at=at,
                due_at=deadlines.due_date(at),
                by=by,
                awaiting_confirmation=awaiting,
            )
        )
        if identity_check is not None and not awaiting:
            self.verify(identity_check, by=by, at=at)
            self._start_unless_waiting(at, erasure_grace, changes)
        return True

    def start_erasure(self, *, grace: timedelta, now: datetime) -> bool:
        """Start a verified erasure once its grace period is over; False if it is not one
        whose time has come."""
        receipt = self.receipt
        if (
            receipt is None
            or receipt.kind is not PrivacyRequestKind.ERASURE
            or self.state is not State.IDENTITY_VERIFIED
            or self.verified_at is None
            or not deadlines.erasure_may_start(self.verified_at, grace, now)
        ):
            return False
        self.start(by=PRIVACY_SERVICE, at=now)
        return True

    def _start_unless_waiting(
        self, at: datetime, erasure_grace: timedelta, changes: ContactChanges | None = None
    ) -> None:
        kind = self.received().kind
        if kind is not PrivacyRequestKind.ERASURE or not erasure_grace:
            self.start(by=PRIVACY_SERVICE, at=at, changes=changes)

    def verify(self, check: IdentityCheck, *, by: str, at: datetime) -> None:
        """The requester was shown to be the customer, by ``check``."""
        self._open()
        if self.state is not State.RECEIVED or self.awaiting_confirmation:
            raise WrongState("identity is verified once, on a request not awaiting confirmation")
        self.record(PrivacyRequestIdentityVerified(**self._ids(), check=check, at=at, by=by))

    def start(self, *, by: str, at: datetime, changes: ContactChanges | None = None) -> None:
        """Work starts: every service holding the customer's data acts on it. A correction
        starts with the corrected values (sealed), and only a correction has them."""
        receipt = self._open()
        if self.state is not State.IDENTITY_VERIFIED:
            raise WrongState("work starts once the requester's identity is verified")
        _check_changes(receipt.kind, changes)
        self.record(
            PrivacyRequestStarted(
                **self._ids(),
                kind=receipt.kind,
                channel=receipt.channel,
                changes=changes,
                at=at,
                by=by,
            )
        )

    def confirm(
        self, *, at: datetime, by: str = "customer", erasure_grace: timedelta = timedelta(0)
    ) -> None:
        """A second WhatsApp message confirms the erasure (K3): sent within 24 hours of the
        request, it shows again that the registered phone asked; work starts after
        ``erasure_grace``."""
        receipt = self._open()
        if self.state is not State.RECEIVED or not self.awaiting_confirmation:
            raise ConfirmationRefused("no erasure awaits a confirmation")
        if not deadlines.confirmed_in_time(receipt.received_at, at):
            raise ConfirmationRefused("an erasure is confirmed within 24 hours of its request")
        self.record(
            PrivacyRequestIdentityVerified(
                **self._ids(), check=IdentityCheck.REGISTERED_PHONE, at=at, by=by
            )
        )
        self._start_unless_waiting(at, erasure_grace)

    def extend(self, days: int, reason: str, *, by: str, at: datetime) -> None:
        """Move the deadline once, by 1 to 30 days, before the first one passes (PDPL)."""
        receipt = self._open()
        if self.extended_until is not None:
            raise ExtensionRefused("a request is extended once")
        if not deadlines.may_extend(receipt.due_at, days, at):
            raise ExtensionRefused("an extension is 1 to 30 days, asked before the due date")
        until = deadlines.extended_date(receipt.due_at, days)
        self.record(
            PrivacyRequestExtended(**self._ids(), extended_until=until, reason=reason, at=at, by=by)
        )

    def deny(self, reason: DenialReason, explanation: str | None, *, by: str, at: datetime) -> None:
        """Refuse the request for a legal reason, shown to the customer; only while open."""
        self._open()
        self.record(
            PrivacyRequestDenied(
                **self._ids(), reason=reason, explanation=explanation, at=at, by=by
            )
        )

    def cancel(self, *, by: str, at: datetime) -> None:
        """The customer withdraws the request, before work on it starts."""
        self._open()
        if self.state is State.IN_PROGRESS:
            raise WorkStarted("work on the request has started")
        self.record(PrivacyRequestCancelled(**self._ids(), at=at, by=by))

    def expire_unconfirmed(self, now: datetime) -> bool:
        """Cancel a WhatsApp erasure left unconfirmed for 24 hours; False if it is not one."""
        receipt = self.receipt
        if receipt is None or self.state is not State.RECEIVED or not self.awaiting_confirmation:
            return False
        if not deadlines.confirmation_expired(receipt.received_at, now):
            return False
        self.record(PrivacyRequestCancelled(**self._ids(), at=now, by=PRIVACY_SERVICE))
        return True

    def answer(self, service: str, *, at: datetime, expected: Set[str]) -> bool:
        """``service`` did its part; False if it had answered already."""
        self._in_progress()
        if service not in expected:
            raise AnswerRefused("the request does not wait for this service")
        if service in self.answered:
            return False
        self.record(PrivacyRequestServiceAnswered(**self._ids(), service=service, at=at))
        return True

    def complete(
        self, *, at: datetime, expected: Set[str], export_expires_at: datetime | None = None
    ) -> bool:
        """Every expected service answered: the request is done. An access request completes
        with its export, available until ``export_expires_at``. False if it was done."""
        if self.state is State.COMPLETED:
            return False
        self._in_progress()
        if self.waiting_for(expected):
            raise CompletionRefused("not every expected service answered")
        self._record_completion(at, export_expires_at)
        return True

    def complete_for_erased(self, *, at: datetime, export_expires_at: datetime | None) -> bool:
        """Complete without waiting for answers: the customer is erased (see
        ``completes_for_erased``). False if the request was done."""
        if self.state is State.COMPLETED:
            return False
        self._record_completion(at, export_expires_at)
        return True

    def complete_nothing_to_correct(self, *, owner: str, at: datetime) -> bool:
        """The owner of the customer's contact (orders) answered that it holds none (never
        known, or erased): no service will have a corrected value to show, so the correction
        is done without the others' answers. False if the request was done."""
        if self.state is State.COMPLETED:
            return False
        receipt = self._in_progress()
        if receipt.kind is not PrivacyRequestKind.CORRECTION or owner not in self.answered:
            raise CompletionRefused("only the contact's owner, having answered, can say so")
        self._record_completion(at, None)
        return True

    def destroy_export(self, at: datetime) -> bool:
        """Destroy the export once its days are over; False if there is none to destroy."""
        expires = self.export_expires_at
        if expires is None or self.export_destroyed or at < expires:
            return False
        self.record(PrivacyExportDestroyed(**self._ids(), at=at))
        return True

    def _record_completion(self, at: datetime, export_expires_at: datetime | None) -> None:
        receipt = self._in_progress()
        if (receipt.kind is PrivacyRequestKind.ACCESS) != (export_expires_at is not None):
            raise CompletionRefused("an access request, and only one, completes with an export")
        self.record(
            PrivacyRequestCompleted(
                **self._ids(), kind=receipt.kind, at=at, export_expires_at=export_expires_at
            )
        )


def _check_changes(kind: PrivacyRequestKind, changes: ContactChanges | None) -> None:
    if (kind is PrivacyRequestKind.CORRECTION) != (changes is not None):
        raise WrongState("corrected values come with a correction, and only with one")
