"""The requests a Salla delivery stands for, before anything is sealed or stored (T1)."""

from __future__ import annotations

from dataclasses import dataclass

from allwan_contracts import CancellationReason, CardBrand, RefundReason

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.salla_contact import SallaContact


@dataclass(frozen=True)
class PlaceFromSalla:
    order_id: str
    customer_id: str
    plan_id: str
    quantity: int
    contact: SallaContact


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


@dataclass(frozen=True)
class CancelFromSalla:
    order_id: str
    customer_id: str
    reason: CancellationReason


@dataclass(frozen=True)
class RefundFromSalla:
    order_id: str
    customer_id: str
    refund_halalas: int
    refund_reference: str
    reason: RefundReason


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
