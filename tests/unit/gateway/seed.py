"""Events to seed a gateway's read models with, as orders and consent would publish them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentWithdrawn,
    Event,
    OrderPaid,
    OrderPlaced,
    OrderRejected,
    OrderRequestKind,
    PolicyChanged,
    PolicyContact,
    PolicyDocumentPublished,
    RejectionReason,
    SubscriptionActivated,
    new_envelope,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy import (
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
from allwan_gateway.bootstrap import Gateway, handlers

from tests.builders import catalogue_updated
from tests.unit.contracts.factories import contact
from tests.unit.gateway.fakes import NOW


def envelope(event: Event, version: int, producer: str) -> Envelope:
    return new_envelope(
        event, aggregate_version=version, producer=producer, correlation_id=uuid.uuid4()
    )


OWNERS = {"customer": "consent", "policy": "consent", "privacy_request": "privacy"}


async def deliver(gateway: Gateway, event: Event, version: int, producer: str = "") -> None:
    """Hand one event to the gateway's consumers, as Kafka would."""
    owner = producer or OWNERS.get(event.aggregate_type, "orders")
    consumers = handlers(gateway)
    bound = {
        **consumers.order_views.bound(),
        **consumers.views.bound(),
        **consumers.privacy_views.bound(),
    }
    await bound[type(event)](envelope(event, version, owner), event)


def placed(order_id: str, customer_id: str, **overrides: Any) -> OrderPlaced:
    fields: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": customer_id,
        "plan_id": "shahid-vip-1m",
        "quantity": 1,
        "unit_price_halalas": 2600,
        "subtotal_halalas": 2600,
        "vat_rate_percent": 15,
        "vat_halalas": 390,
        "total_halalas": 2990,
        "currency": "SAR",
        "contact": contact(),
        "age_attestation": "legal_age",
        "payment_token": "tok_1",
        "policy_version": 1,
        "locale": "ar",
    }
    return OrderPlaced(**(fields | overrides))


def rejected(order_id: str, customer_id: str) -> OrderRejected:
    return OrderRejected(
        order_id=order_id,
        customer_id=customer_id,
        request=OrderRequestKind.PLACE,
        request_id=uuid.uuid4(),
        reason=RejectionReason.AGE_ATTESTATION_MISSING,
        message="An order needs an age or guardian attestation (A1).",
    )


def paid(order_id: str, customer_id: str) -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        customer_id=customer_id,
        payment_reference="pay_1",
        amount_halalas=2990,
        currency="SAR",
    )


def activated(order_id: str, customer_id: str) -> SubscriptionActivated:
    return SubscriptionActivated(
        order_id=order_id,
        customer_id=customer_id,
        plan_id="shahid-vip-1m",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=31),
        delivery_reference="dlv-1",
    )


def consent(
    customer_id: str, purpose: ConsentPurpose = ConsentPurpose.MARKETING, *, granted: bool = True
) -> Event:
    kind = ConsentGranted if granted else ConsentWithdrawn
    return kind(
        customer_id=customer_id,
        purpose=purpose,
        channel=Channel.WEB,
        policy_version=1,
        recorded_by="customer",
        evidence=ConsentEvidence(user_agent_hmac="ab" * 32, message_reference="m-1"),
    )


CONTACT = PolicyContact(phone="0563120415", whatsapp="0563120415", email="privacy@example.com")


def policy_document(version: int) -> PolicyDocumentPublished:
    return PolicyDocumentPublished(
        version=version,
        text_ar=f"سياسة الخصوصية {version}",
        text_en=f"Privacy policy {version}",
        contact=CONTACT,
        published_by="staff:7",
    )


def policy_changed(version: int, *, material: bool = False) -> PolicyChanged:
    return PolicyChanged(
        version=version,
        effective_at=NOW,
        material=material,
        summary_ar="ملخص",
        summary_en="Summary",
        url=f"https://allwanstores.com/privacy/v{version}",
    )


async def publish_policy(gateway: Gateway, version: int, *, material: bool = False) -> None:
    await deliver(gateway, policy_document(version), 2 * version - 1)
    await deliver(gateway, policy_changed(version, material=material), 2 * version)


CATALOGUE = catalogue_updated("ab" * 32)


async def everything(gateway: Gateway, customer_id: str = "cust-1") -> None:
    """A catalogue, a policy, one active order, one rejected, and some consents."""
    await deliver(gateway, CATALOGUE, 1)
    await publish_policy(gateway, 1)
    for version, event in enumerate(
        (placed("o-1", customer_id), paid("o-1", customer_id), activated("o-1", customer_id)),
        start=1,
    ):
        await deliver(gateway, event, version)
    await deliver(gateway, rejected("o-2", customer_id), 1)
    await deliver(gateway, consent(customer_id), 1)
    await deliver(gateway, consent(customer_id, ConsentPurpose.ANALYTICS_COOKIES), 2)
    # A completed access request whose export is still there (it expires 7 days after).
    now = datetime.now(UTC)
    await life(gateway, *access_completed(f"{customer_id}-access-1", customer_id, now))


# -- a privacy request's life, as the privacy service publishes it ------------------------

PRIVACY = "service:privacy"


def received(
    request_id: str,
    customer_id: str,
    kind: PrivacyRequestKind = PrivacyRequestKind.ACCESS,
    *,
    at: datetime = NOW,
    channel: Channel = Channel.WEB,
    by: str = "customer",
) -> PrivacyRequestReceived:
    return PrivacyRequestReceived(
        request_id=request_id,
        customer_id=customer_id,
        kind=kind,
        channel=channel,
        received_at=at,
        due_at=at + timedelta(days=30),
        by=by,
        awaiting_confirmation=channel is Channel.WHATSAPP and kind is PrivacyRequestKind.ERASURE,
    )


def verified(request_id: str, customer_id: str, at: datetime = NOW) -> Event:
    return PrivacyRequestIdentityVerified(
        request_id=request_id,
        customer_id=customer_id,
        check=IdentityCheck.CUSTOMER_TOKEN,
        at=at,
        by=PRIVACY,
    )


def started(
    request_id: str,
    customer_id: str,
    kind: PrivacyRequestKind = PrivacyRequestKind.ACCESS,
    at: datetime = NOW,
) -> Event:
    return PrivacyRequestStarted(
        request_id=request_id,
        customer_id=customer_id,
        kind=kind,
        channel=Channel.WEB,
        at=at,
        by=PRIVACY,
    )


def answered(request_id: str, customer_id: str, service: str, at: datetime = NOW) -> Event:
    return PrivacyRequestServiceAnswered(
        request_id=request_id, customer_id=customer_id, service=service, at=at
    )


def completed(
    request_id: str,
    customer_id: str,
    kind: PrivacyRequestKind = PrivacyRequestKind.ACCESS,
    at: datetime = NOW,
) -> Event:
    expires = at + timedelta(days=7) if kind is PrivacyRequestKind.ACCESS else None
    return PrivacyRequestCompleted(
        request_id=request_id,
        customer_id=customer_id,
        kind=kind,
        at=at,
        export_expires_at=expires,
    )


def extended(request_id: str, customer_id: str, until: datetime, at: datetime = NOW) -> Event:
    return PrivacyRequestExtended(
        request_id=request_id,
        customer_id=customer_id,
        extended_until=until,
        reason="The order history is being restored.",
        at=at,
        by="staff:s-7",
    )


def denied(request_id: str, customer_id: str, at: datetime = NOW) -> Event:
    return PrivacyRequestDenied(
        request_id=request_id,
        customer_id=customer_id,
        reason=DenialReason.EXCESSIVE_OR_REPEATED,
        at=at,
        by="staff:s-7",
    )


def cancelled(request_id: str, customer_id: str, at: datetime = NOW, by: str = "customer") -> Event:
    return PrivacyRequestCancelled(request_id=request_id, customer_id=customer_id, at=at, by=by)


def destroyed(request_id: str, customer_id: str, at: datetime = NOW) -> Event:
    return PrivacyExportDestroyed(request_id=request_id, customer_id=customer_id, at=at)


def access_completed(request_id: str, customer_id: str, at: datetime = NOW) -> list[Event]:
    """An access request from the web, answered by the three services, completed at ``at``."""
    return [
        received(request_id, customer_id, at=at),
        verified(request_id, customer_id, at),
        started(request_id, customer_id, at=at),
        *(answered(request_id, customer_id, s, at) for s in ("orders", "consent", "notifier")),
        completed(request_id, customer_id, at=at),
    ]


async def life(gateway: Gateway, *events: Event, first_version: int = 1) -> None:
    """One request's events, delivered in order with consecutive versions."""
    for version, event in enumerate(events, start=first_version):
        await deliver(gateway, event, version)
