"""The requests a Salla delivery stands for, before anything is sealed or stored (T1).

Each becomes the same request the storefront makes (``request``), recorded as made by
``ACTOR``, so one set of rules decides both.
"""

from __future__ import annotations

from dataclasses import dataclass

from allwan_contracts import (
    AgeAttestation,
    CancellationReason,
    CardBrand,
    CustomerContact,
    RefundReason,
)
from allwan_contracts.intake import (
    CancellationRequested,
    OrderRequested,
    OrderSource,
    PaymentReported,
    RefundRequested,
)

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.salla_contact import SallaContact

ACTOR = "service:salla"


@dataclass(frozen=True)
class PlaceFromSalla:
    order_id: str
    customer_id: str
    plan_id: str
    quantity: int
    contact: SallaContact

    def request(
        self, contact: CustomerContact, *, checkout_attests_legal_age: bool
    ) -> OrderRequested:
        """The order with its contact sealed (T2). Salla took the payment itself, and its
        webhook carries no age attestation: the store's statement that its Salla checkout
        collects one stands for it (A1); without that statement the order has none, and
        placing refuses it."""
        return OrderRequested(
            order_id=self.order_id,
            customer_id=self.customer_id,
            requested_by=ACTOR,
            plan_id=self.plan_id,
            quantity=self.quantity,
            contact=contact,
            age_attestation=AgeAttestation.LEGAL_AGE if checkout_attests_legal_age else None,
            payment_token=f"{self.order_id}-checkout",
            locale="ar",
            source=OrderSource.SALLA,
        )


@dataclass(frozen=True)
class RefuseFromSalla:
    order_id: str
    customer_id: str
    refusal: OrderRefused


@dataclass(frozen=True)
class PayFromSalla:
    order_id: str
    customer_id: str
    payment_reference: str
    amount_halalas: int
    card_brand: CardBrand | None

    def request(self) -> PaymentReported:
        return PaymentReported(
            order_id=self.order_id,
            customer_id=self.customer_id,
            requested_by=ACTOR,
            payment_reference=self.payment_reference,
            amount_halalas=self.amount_halalas,
            card_brand=self.card_brand,
        )


@dataclass(frozen=True)
class CancelFromSalla:
    order_id: str
    customer_id: str
    reason: CancellationReason

    def request(self) -> CancellationRequested:
        return CancellationRequested(
            order_id=self.order_id,
            customer_id=self.customer_id,
            requested_by=ACTOR,
            reason=self.reason,
        )


@dataclass(frozen=True)
class RefundFromSalla:
    order_id: str
    customer_id: str
    refund_halalas: int
    refund_reference: str
    reason: RefundReason

    def request(self) -> RefundRequested:
        return RefundRequested(
            order_id=self.order_id,
            customer_id=self.customer_id,
            requested_by=ACTOR,
            reason=self.reason,
            refund_halalas=self.refund_halalas,
            refund_reference=self.refund_reference,
        )


@dataclass(frozen=True)
class ContactFromSalla:
    customer_id: str
    contact: SallaContact


SallaCommand = (
    PlaceFromSalla
    | RefuseFromSalla
    | PayFromSalla
    | CancelFromSalla
    | RefundFromSalla
    | ContactFromSalla
)
