"""How an order ends: cancelled, refunded, or expired."""

from __future__ import annotations

from datetime import datetime, timedelta

from allwan_contracts import (
    CancellationReason,
    ExpiryReason,
    OrderCancelled,
    OrderExpired,
    OrderRefunded,
)
from allwan_contracts import RejectionReason as Reason
from allwan_contracts.intake import RefundRequested

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.status import CANCELLABLE, REFUNDABLE, OrderStatus


def cancel(order: Order, customer_id: str, reason: CancellationReason) -> None:
    """Cancel; whatever was paid and not yet returned is owed back. Twice is once."""
    order.require_known(customer_id)
    if order.status is OrderStatus.CANCELLED:
        return
    if order.status not in CANCELLABLE:
        raise OrderRefused(
            Reason.INVALID_TRANSITION, f"A {order.status} order cannot be cancelled."
        )
    order.record(
        OrderCancelled(
            order_id=order.id,
            customer_id=customer_id,
            reason=reason,
            refund_halalas=order.paid - order.refunded,
            currency="SAR",
        )
    )


def refund(order: Order, request: RefundRequested) -> None:
    """Record money returned to the customer; never more than is left of the payment."""
    order.require_known(request.customer_id)
    if request.refund_reference in order.refund_references:
        return
    if order.status not in REFUNDABLE or order.paid == 0:
        raise OrderRefused(
            Reason.INVALID_TRANSITION, f"A {order.status} order has nothing to refund."
        )
    if request.refund_halalas > order.paid - order.refunded:
        raise OrderRefused(
            Reason.REFUND_EXCEEDS_PAYMENT, "A refund cannot exceed what is left of the payment."
        )
    order.record(
        OrderRefunded(
            order_id=order.id,
            customer_id=request.customer_id,
            reason=request.reason,
            refund_halalas=request.refund_halalas,
            currency="SAR",
            refund_reference=request.refund_reference,
        )
    )


def expire(
    order: Order,
    now: datetime,
    reason: ExpiryReason,
    *,
    placed_at: datetime | None = None,
    payment_timeout: timedelta = timedelta(hours=1),
) -> None:
    """End a subscription past its end date, or an order left unpaid past the timeout."""
    if order.status is OrderStatus.EXPIRED:
        return
    if reason is ExpiryReason.SUBSCRIPTION_ENDED:
        due = order.status is OrderStatus.ACTIVE and order.ends_at is not None
        due = due and order.ends_at is not None and order.ends_at <= now
    else:
        due = order.status is OrderStatus.PLACED and placed_at is not None
        due = due and placed_at is not None and placed_at + payment_timeout <= now
    if not due or order.customer_id is None:
        raise OrderRefused(Reason.INVALID_TRANSITION, f"This {order.status} order is not due.")
    order.record(OrderExpired(order_id=order.id, customer_id=order.customer_id, reason=reason))
