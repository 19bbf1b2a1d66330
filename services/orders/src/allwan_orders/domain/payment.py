"""Payment and activation: a digital subscription starts when it is paid."""

from __future__ import annotations

from datetime import datetime

from allwan_contracts import OrderPaid, SubscriptionActivated
from allwan_contracts import RejectionReason as Reason
from allwan_contracts.intake import PaymentReported

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.periods import add_months
from allwan_orders.domain.status import PAYABLE, OrderStatus


def pay(order: Order, request: PaymentReported) -> None:
    """Record the provider's confirmation of the whole total.

    Only the provider's reference and at most the card's brand and last 4 digits are kept
    (C3, T3). The same payment reported again changes nothing.
    """
    customer_id = order.require_known(request.customer_id)
    if request.payment_reference == order.payment_reference:
        return
    if order.status not in PAYABLE:
        raise OrderRefused(Reason.INVALID_TRANSITION, f"A {order.status} order cannot be paid.")
    if request.amount_halalas != order.total:
        raise OrderRefused(
            Reason.AMOUNT_MISMATCH, "The amount paid differs from the order's total."
        )
    order.record(
        OrderPaid(
            order_id=order.id,
            customer_id=customer_id,
            payment_reference=request.payment_reference,
            amount_halalas=request.amount_halalas,
            currency="SAR",
            card_brand=request.card_brand,
            card_last4=request.card_last4,
        )
    )


def activate(order: Order, starts_at: datetime, months: int, delivery_reference: str) -> None:
    """Start the subscription of a paid order; it ends ``months`` calendar months later."""
    if order.status is not OrderStatus.PAID or order.customer_id is None or order.plan_id is None:
        raise OrderRefused(
            Reason.INVALID_TRANSITION, f"A {order.status} order cannot be activated."
        )
    order.record(
        SubscriptionActivated(
            order_id=order.id,
            customer_id=order.customer_id,
            plan_id=order.plan_id,
            starts_at=starts_at,
            ends_at=add_months(starts_at, months),
            delivery_reference=delivery_reference,
        )
    )
