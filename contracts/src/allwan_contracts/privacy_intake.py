"""Privacy requests as the gateway (web, staff) and the consent service (WhatsApp) record
them, on ``allwan.privacy.intake``, for the privacy service to decide (see
``allwan_contracts.privacy``)."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import model_validator

from allwan_contracts.base import Event
from allwan_contracts.consent import Actor
from allwan_contracts.fields import Channel, CustomerId, Summary, UtcDatetime
from allwan_contracts.privacy import (
    ContactChanges,
    DenialReason,
    ExtensionDays,
    IdentityCheck,
    PrivacyRequestKind,
    RequestId,
    require_changes_only_for_corrections,
)
from allwan_contracts.topics import PRIVACY_INTAKE


class _PrivacyIntake(Event):
    aggregate_type: ClassVar[str] = "privacy_intake"
    aggregate_id_field: ClassVar[str] = "request_id"
    topic: ClassVar[str] = PRIVACY_INTAKE.name

    request_id: RequestId
    customer_id: CustomerId
    requested_by: Actor


class PrivacyRequestSubmitted(_PrivacyIntake):
    """A customer asked to exercise a right: on the web, to staff by email or phone, or on
    WhatsApp. ``identity_check`` says how the requester was shown to be the customer; staff
    always record one, the web's is the customer's token, WhatsApp's the registered phone."""

    event_type: ClassVar[str] = "PrivacyRequestSubmitted"
    schema_version: ClassVar[int] = 1

    kind: PrivacyRequestKind
    channel: Channel
    identity_check: IdentityCheck | None = None
    changes: ContactChanges | None = None
    submitted_at: UtcDatetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        require_changes_only_for_corrections(self.kind, self.changes)
        if self.channel is Channel.SALLA:
            raise ValueError("privacy requests do not come through Salla")
        return self


class PrivacyRequestConfirmed(_PrivacyIntake):
    """A second WhatsApp message confirms the customer's erasure request (an erasure is
    irreversible). The sender cannot know the request's id: ``request_id`` here names this
    confirmation (derived from the message); the privacy service applies it to the customer's
    WhatsApp erasure awaiting confirmation, received within the previous 24 hours."""

    event_type: ClassVar[str] = "PrivacyRequestConfirmed"
    schema_version: ClassVar[int] = 1

    confirmed_at: UtcDatetime


class PrivacyRequestCancellationRequested(_PrivacyIntake):
    """The customer withdraws their request before work on it starts."""

    event_type: ClassVar[str] = "PrivacyRequestCancellationRequested"
    schema_version: ClassVar[int] = 1

    requested_at: UtcDatetime


class PrivacyRequestExtensionRequested(_PrivacyIntake):
    """Staff extend the deadline, once, by up to 30 days, with a reason the customer is told."""

    event_type: ClassVar[str] = "PrivacyRequestExtensionRequested"
    schema_version: ClassVar[int] = 1

    days: ExtensionDays
    reason: Summary
    requested_at: UtcDatetime


class PrivacyRequestDenialRequested(_PrivacyIntake):
    """Staff refuse a request for a legal reason, shown to the customer."""

    event_type: ClassVar[str] = "PrivacyRequestDenialRequested"
    schema_version: ClassVar[int] = 1

    reason: DenialReason
    explanation: Summary | None = None
    requested_at: UtcDatetime
