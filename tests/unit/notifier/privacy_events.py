"""Builders of the privacy service's events, as the notifier receives them."""

from __future__ import annotations

from datetime import timedelta

from allwan_contracts import (
    Channel,
    ContactChanges,
    DenialReason,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestKind,
    PrivacyRequestReceived,
    PrivacyRequestStarted,
)
from allwan_contracts.privacy import (
    EXPORT_DAYS,
    RESPONSE_DAYS,
)
from allwan_runtime.keystore import InMemoryKeyStore

from tests.unit.notifier.fakes import WHEN

RECEIVED_AT = WHEN
DUE_AT = WHEN + timedelta(days=RESPONSE_DAYS)
EXTENDED_UNTIL = DUE_AT + timedelta(days=20)
EXPIRES_AT = WHEN + timedelta(days=2 + EXPORT_DAYS)


def request_id(customer_id: str, kind: PrivacyRequestKind) -> str:
    return f"req-{kind.value}-{customer_id}"


def received(
    customer_id: str,
    kind: PrivacyRequestKind = PrivacyRequestKind.ACCESS,
    *,
    channel: Channel = Channel.WEB,
    awaiting_confirmation: bool = False,
) -> PrivacyRequestReceived:
    return PrivacyRequestReceived(
        request_id=request_id(customer_id, kind),
        customer_id=customer_id,
        kind=kind,
        channel=channel,
        received_at=RECEIVED_AT,
        due_at=DUE_AT,
        by="customer",
        awaiting_confirmation=awaiting_confirmation,
    )


def started(
    customer_id: str, kind: PrivacyRequestKind = PrivacyRequestKind.ACCESS
) -> PrivacyRequestStarted:
    changes = None
    if kind is PrivacyRequestKind.CORRECTION:
        email = InMemoryKeyStore().seal_now(customer_id, "email", "new@example.com")
        changes = ContactChanges(email=email)
    return PrivacyRequestStarted(
        request_id=request_id(customer_id, kind),
        customer_id=customer_id,
        kind=kind,
        channel=Channel.WEB,
        changes=changes,
        at=WHEN,
        by="service:privacy",
    )


def extended(
    customer_id: str, reason: str = "Records held by a provider"
) -> PrivacyRequestExtended:
    return PrivacyRequestExtended(
        request_id=request_id(customer_id, PrivacyRequestKind.ACCESS),
        customer_id=customer_id,
        extended_until=EXTENDED_UNTIL,
        reason=reason,
        at=WHEN,
        by="staff:7",
    )


def completed(
    customer_id: str, kind: PrivacyRequestKind = PrivacyRequestKind.ACCESS
) -> PrivacyRequestCompleted:
    return PrivacyRequestCompleted(
        request_id=request_id(customer_id, kind),
        customer_id=customer_id,
        kind=kind,
        at=WHEN,
        export_expires_at=EXPIRES_AT if kind is PrivacyRequestKind.ACCESS else None,
    )


def denied(
    customer_id: str,
    reason: DenialReason = DenialReason.EXCESSIVE_OR_REPEATED,
    explanation: str | None = None,
) -> PrivacyRequestDenied:
    return PrivacyRequestDenied(
        request_id=request_id(customer_id, PrivacyRequestKind.ACCESS),
        customer_id=customer_id,
        reason=reason,
        explanation=explanation,
        at=WHEN,
        by="staff:7",
    )
