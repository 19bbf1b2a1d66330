"""Events of the order aggregate: from placing an order to the end of its subscription."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from allwan_contracts.base import Event
from allwan_contracts.customers import CustomerContact
from allwan_contracts.fields import (
    Currency,
    CustomerId,
    Halalas,
    Locale,
    OrderId,
    PaymentToken,
    PlanId,
    PositiveHalalas,
    Reference,
    UtcDatetime,
    Version,
    reject_card_numbers,
)
from allwan_contracts.topics import ORDERS

Quantity = Annotated[int, Field(strict=True, ge=1, le=1000)]
VatRatePercent = Annotated[int, Field(strict=True, ge=0, le=100)]
CardLast4 = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]


class AgeAttestation(StrEnum):
    """What the buyer confirmed about legal capacity (A1)."""

    LEGAL_AGE = "legal_age"
    GUARDIAN_CONSENT = "guardian_consent"


class CardBrand(StrEnum):
    MADA = "mada"
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    OTHER = "other"


class CancellationReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    PAYMENT_FAILED = "payment_failed"
    FRAUD_SUSPECTED = "fraud_suspected"
    NOT_DELIVERABLE = "not_deliverable"
    STAFF_DECISION = "staff_decision"


class RefundReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    ORDER_CANCELLED = "order_cancelled"
    NOT_DELIVERED = "not_delivered"
    DUPLICATE_PAYMENT = "duplicate_payment"
    GOODWILL = "goodwill"


class ExpiryReason(StrEnum):
    PAYMENT_TIMEOUT = "payment_timeout"
    SUBSCRIPTION_ENDED = "subscription_ended"


class _OrderEvent(Event):
    aggregate_type: ClassVar[str] = "order"
    aggregate_id_field: ClassVar[str] = "order_id"
    topic: ClassVar[str] = ORDERS.name

    order_id: OrderId
    customer_id: CustomerId


def vat_for(subtotal_halalas: int, rate_percent: int) -> int:
    """VAT on a VAT-exclusive amount, rounded half up to the halala."""
    return (subtotal_halalas * rate_percent + 50) // 100


class OrderPlaced(_OrderEvent):
    """A customer placed an order for a plan; payment follows.

    Amounts are VAT-exclusive except ``total_halalas``. ``vat_halalas`` may differ from
    ``vat_for(subtotal, rate)`` by one halala, the rounding of VAT-inclusive shelf prices.
    Placing the order is consent to ``order_processing`` only (K1), under ``policy_version``;
    marketing stays off unless the buyer ticked it (K2).

    Version 2 named the unit of the amounts (``unit_price`` became ``unit_price_halalas`` and
    so on) and added ``currency``, ``locale`` and ``vat_rate_percent``; see ``upcasting``.
    """

    event_type: ClassVar[str] = "OrderPlaced"
    schema_version: ClassVar[int] = 2

    plan_id: PlanId
    quantity: Quantity
    unit_price_halalas: Halalas
    subtotal_halalas: Halalas
    vat_rate_percent: VatRatePercent
    vat_halalas: Halalas
    total_halalas: Halalas
    currency: Currency
    contact: CustomerContact
    age_attestation: AgeAttestation
    payment_token: PaymentToken
    marketing_opt_in: StrictBool = False
    policy_version: Version
    locale: Locale

    @model_validator(mode="after")
    def _amounts_add_up(self) -> Self:
        if self.subtotal_halalas != self.unit_price_halalas * self.quantity:
            raise PydanticCustomError(
                "amounts_inconsistent", "subtotal_halalas must be unit_price_halalas * quantity"
            )
        if abs(self.vat_halalas - vat_for(self.subtotal_halalas, self.vat_rate_percent)) > 1:
            raise PydanticCustomError(
                "amounts_inconsistent", "vat_halalas must be vat_rate_percent of subtotal_halalas"
            )
        if self.total_halalas != self.subtotal_halalas + self.vat_halalas:
            raise PydanticCustomError(
                "amounts_inconsistent", "total_halalas must be subtotal_halalas + vat_halalas"
            )
        return self


class OrderPaid(_OrderEvent):
    """The payment provider confirmed payment. Card data stops at brand and last 4 (C3)."""

    event_type: ClassVar[str] = "OrderPaid"
    schema_version: ClassVar[int] = 1

    payment_reference: Reference
    amount_halalas: Halalas
    currency: Currency
    card_brand: CardBrand | None = None
    card_last4: CardLast4 | None = None


class SubscriptionActivated(_OrderEvent):
    """The subscription was delivered; it runs from ``starts_at`` until ``ends_at``.

    ``delivery_reference`` points at the delivery (the supplier's activation id); it is
    never the activation code or credentials themselves.
    """

    event_type: ClassVar[str] = "SubscriptionActivated"
    schema_version: ClassVar[int] = 1

    plan_id: PlanId
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    delivery_reference: Reference

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise PydanticCustomError("period_inverted", "ends_at must be after starts_at")
        return self


class OrderCancelled(_OrderEvent):
    """The order will not be fulfilled. ``refund_halalas`` is what is owed back (0 if
    nothing was paid); ``OrderRefunded`` follows once the provider has returned it."""

    event_type: ClassVar[str] = "OrderCancelled"
    schema_version: ClassVar[int] = 1

    reason: CancellationReason
    refund_halalas: Halalas
    currency: Currency


class OrderRefunded(_OrderEvent):
    """The payment provider returned money to the customer.

    v2 says whether the order is now fully refunded, as the order decided it, so a view never
    adds refunds up again to find out (v1 records read as partial: see ``upcasting``).
    """

    event_type: ClassVar[str] = "OrderRefunded"
    schema_version: ClassVar[int] = 2

    reason: RefundReason
    refund_halalas: PositiveHalalas
    currency: Currency
    refund_reference: Reference
    fully_refunded: StrictBool = Field(
        description="True when the refunds now add up to what was paid: the order has ended."
    )


class OrderExpired(_OrderEvent):
    """The order ran out: unpaid in time, or its subscription ended.

    From here on the order's purpose is over, which starts its retention clock.
    """

    event_type: ClassVar[str] = "OrderExpired"
    schema_version: ClassVar[int] = 1

    reason: ExpiryReason


class OrderRequestKind(StrEnum):
    """Which request about an order was refused."""

    PLACE = "place"
    PAYMENT = "payment"
    CANCELLATION = "cancellation"
    REFUND = "refund"


class RejectionReason(StrEnum):
    """Why the orders service refused a request: a stable code the gateway can translate."""

    AGE_ATTESTATION_MISSING = "age_attestation_missing"  # A1
    CARD_DATA_PRESENT = "card_data_present"  # C3, T3
    UNKNOWN_PLAN = "unknown_plan"
    PLAN_UNAVAILABLE = "plan_unavailable"
    QUANTITY_NOT_ALLOWED = "quantity_not_allowed"
    UNSUPPORTED_ORDER = "unsupported_order"
    CUSTOMER_ERASED = "customer_erased"
    ORDER_NOT_FOUND = "order_not_found"
    CUSTOMER_MISMATCH = "customer_mismatch"
    AMOUNT_MISMATCH = "amount_mismatch"
    REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
    INVALID_TRANSITION = "invalid_transition"


RejectionMessage = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300),
    AfterValidator(reject_card_numbers),
]
"""A sentence that explains the rule; never personal data or the refused value."""


class OrderRejected(_OrderEvent):
    """The orders service refused a request about this order; nothing else changed.

    A refused placement is the first and only event of its order, so the order id (derived from
    the ``Idempotency-Key``) cannot be reused. ``request_id`` is the id of the intake event that
    was refused, so a redelivered request is refused once.
    """

    event_type: ClassVar[str] = "OrderRejected"
    schema_version: ClassVar[int] = 1

    request: OrderRequestKind
    request_id: UUID
    reason: RejectionReason
    message: RejectionMessage


ORDER_EVENTS: tuple[type[Event], ...] = (
    OrderPlaced,
    OrderRejected,
    OrderPaid,
    SubscriptionActivated,
    OrderCancelled,
    OrderRefunded,
    OrderExpired,
)
"""Every event of an order's life on ``allwan.orders``: what the order records, and what a
view of orders is built from."""
