"""Requests that enter through the gateway, recorded as events for the service that decides.

The gateway validates and authenticates a request, seals its personal fields, appends it to
its own event store and answers; the relay puts it on an intake topic; the owning service
consumes it and decides (``OrderRequested`` becomes ``OrderPlaced``, or is refused). So no
request is lost when a service is down, and a retried request (same ``Idempotency-Key``, same
webhook delivery) maps to the same stream and is recorded once.

Signed webhooks (Salla, WhatsApp) are checked at the gateway, then forwarded whole as
``WebhookReceived``: their body is sealed under a key of that one delivery, which the consuming
service destroys once it has mapped the delivery (the personal data then lives on only under
the customer's own key).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, StrictBool, StringConstraints, model_validator

from allwan_contracts.base import Event
from allwan_contracts.consent import (
    Actor,
    ConsentEvidence,
    ConsentPurpose,
    require_browser_allowed,
)
from allwan_contracts.customers import (
    CustomerContact,
    ErasureReason,
    require_channel_of_request,
)
from allwan_contracts.fields import (
    Channel,
    CustomerId,
    Halalas,
    Locale,
    OrderId,
    PaymentToken,
    PlanId,
    PositiveHalalas,
    Reference,
    Summary,
    UtcDatetime,
)
from allwan_contracts.orders import AgeAttestation, CancellationReason, CardBrand, RefundReason
from allwan_contracts.sealed import Sealed
from allwan_contracts.topics import CONSENT_INTAKE, ORDER_INTAKE, POLICY_INTAKE, WEBHOOKS

Quantity = Annotated[int, Field(strict=True, ge=1, le=100)]
CardLast4 = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
PolicyText = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class OrderSource(StrEnum):
    """Where an order came from (T1: the store runs on Salla; the storefront calls us too)."""

    STOREFRONT = "storefront"
    SALLA = "salla"


class _OrderIntake(Event):
    aggregate_type: ClassVar[str] = "order_intake"
    aggregate_id_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = ORDER_INTAKE.name

    order_id: OrderId
    customer_id: CustomerId
    requested_by: Actor


class OrderRequested(_OrderIntake):
    """A customer asked to buy a plan. The orders service places the order or refuses it."""

    event_type: ClassVar[str] = "OrderRequested"
    schema_version: ClassVar[int] = 1

    plan_id: PlanId
    quantity: Quantity
    contact: CustomerContact
    age_attestation: AgeAttestation | None = None
    payment_token: PaymentToken
    marketing_opt_in: StrictBool = False
    locale: Locale
    source: OrderSource


class PaymentReported(_OrderIntake):
    """The payment provider (through the storefront or Salla) reports the order paid."""

    event_type: ClassVar[str] = "PaymentReported"
    schema_version: ClassVar[int] = 1

    payment_reference: Reference
    amount_halalas: Halalas
    card_brand: CardBrand | None = None
    card_last4: CardLast4 | None = None


class CancellationRequested(_OrderIntake):
    """The customer or staff asked to cancel an order."""

    event_type: ClassVar[str] = "CancellationRequested"
    schema_version: ClassVar[int] = 1

    reason: CancellationReason


class RefundRequested(_OrderIntake):
    """Staff (or Salla) asked to refund an order."""

    event_type: ClassVar[str] = "RefundRequested"
    schema_version: ClassVar[int] = 1

    reason: RefundReason
    refund_halalas: PositiveHalalas
    refund_reference: Reference


class ConsentAction(StrEnum):
    GRANT = "grant"
    WITHDRAW = "withdraw"


class _ConsentIntake(Event):
    aggregate_type: ClassVar[str] = "consent_intake"
    aggregate_id_field: ClassVar[str] = "customer_id"
    topic: ClassVar[str] = CONSENT_INTAKE.name

    customer_id: CustomerId
    requested_by: Actor


class ConsentChangeRequested(_ConsentIntake):
    """A grant or withdrawal reached us by web, email or phone (K2, K3, CK1, CK2)."""

    event_type: ClassVar[str] = "ConsentChangeRequested"
    schema_version: ClassVar[int] = 2
    """v2: web evidence holds keyed hashes, not the raw ``User-Agent`` (C2)."""

    action: ConsentAction
    purpose: ConsentPurpose
    channel: Channel
    evidence: ConsentEvidence

    @model_validator(mode="after")
    def _browser_only_with_analytics(self) -> Self:
        granting = self.action is ConsentAction.GRANT
        require_browser_allowed(self.evidence, self.purpose, granting=granting)
        return self


class ErasureRequested(_ConsentIntake):
    """The customer (or the retention rule) asks that their personal data be destroyed."""

    event_type: ClassVar[str] = "ErasureRequested"
    schema_version: ClassVar[int] = 1

    reason: ErasureReason
    requested_via: Channel | None = None

    @model_validator(mode="after")
    def _request_names_its_channel(self) -> Self:
        # Checked at intake too: the consent service shreds the key before it records
        # CustomerErased, which would refuse a customer's request without its channel.
        require_channel_of_request(self.reason, self.requested_via)
        return self


class PolicyPublishRequested(Event):
    """Staff publish a new version of the privacy policy (PC1); consent assigns the version."""

    event_type: ClassVar[str] = "PolicyPublishRequested"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "policy_intake"
    aggregate_id_field: ClassVar[str] = "policy_id"
    topic: ClassVar[str] = POLICY_INTAKE.name

    policy_id: Literal["privacy"] = "privacy"
    text_ar: PolicyText
    text_en: PolicyText
    summary_ar: Summary
    summary_en: Summary
    material: StrictBool
    effective_at: UtcDatetime
    requested_by: Actor


class WebhookSource(StrEnum):
    SALLA = "salla"
    WHATSAPP = "whatsapp"


DeliveryId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class WebhookReceived(Event):
    """A signed webhook delivery, verified by the gateway, body sealed for its consumer.

    ``delivery_id`` is the SHA-256 of the raw body: a replayed delivery has the same id and
    is recorded once. ``body`` is sealed under the key ``webhook:<delivery_id>``.
    """

    event_type: ClassVar[str] = "WebhookReceived"
    schema_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "webhook"
    aggregate_id_field: ClassVar[str] = "delivery_id"
    topic: ClassVar[str] = WEBHOOKS.name

    delivery_id: DeliveryId
    source: WebhookSource
    received_at: UtcDatetime
    body: Sealed
