"""The order aggregate: its state, rebuilt from its events, and the checks every rule shares.

The rules that record events live beside it, one module per part of an order's life:
``placing`` (K1, K2, A1), ``payment`` (C3, activation) and ``ending`` (cancel, refund, expire).
A request the rules do not allow raises ``OrderRefused``; a request already carried out (same
order id, payment reference or refund reference) changes nothing, so retried and redelivered
requests are harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from allwan_contracts import (
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    OrderRequestKind,
    SubscriptionActivated,
)
from allwan_contracts import RejectionReason as Reason
from allwan_runtime.aggregate import Aggregate

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.status import OrderStatus

_MESSAGE_MAX_CHARS = 300  # contracts.orders.RejectionMessage


class Order(Aggregate):
    aggregate_type: ClassVar[str] = "order"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.status = OrderStatus.NEW
        self.customer_id: str | None = None
        self.plan_id: str | None = None
        self.total = self.paid = self.refunded = 0
        self.payment_reference: str | None = None
        self.refund_references: set[str] = set()
        self.refused_requests: set[UUID] = set()
        self.placement_refusal: OrderRefused | None = None
        self.ends_at: datetime | None = None

    def require_known(self, customer_id: str) -> str:
        """The order's customer id; refuses if there is no order or it is someone else's.

        A request about an order refused when placed is refused for that first reason: it is
        what explains the outcome, and read models show an order's latest refusal (a Salla
        payment follows a refused ``order.created`` at once). Only the order's own customer
        learns it; anyone else is told there is no such order.
        """
        refusal = self.placement_refusal
        if refusal is not None and customer_id == self.customer_id:
            message = f"This order was refused when placed: {refusal.message}"
            fits = len(message) <= _MESSAGE_MAX_CHARS
            raise OrderRefused(refusal.reason, message if fits else refusal.message)
        if self.customer_id is None or self.status in (OrderStatus.NEW, OrderStatus.REJECTED):
            raise OrderRefused(Reason.ORDER_NOT_FOUND, "There is no such order.")
        if customer_id != self.customer_id:
            raise OrderRefused(Reason.CUSTOMER_MISMATCH, "The order belongs to another customer.")
        return self.customer_id

    def refuse(
        self, kind: OrderRequestKind, request_id: UUID, customer_id: str, refusal: OrderRefused
    ) -> None:
        """Record that a request was refused, once per request (the gateway shows it)."""
        if request_id in self.refused_requests:
            return
        self.record(
            OrderRejected(
                order_id=self.id,
                customer_id=customer_id,
                request=kind,
                request_id=request_id,
                reason=refusal.reason,
                message=refusal.message,
            )
        )

    def apply(self, event: Any) -> None:
        match event:
            case OrderPlaced():
                self.status, self.customer_id = OrderStatus.PLACED, event.customer_id
                self.plan_id, self.total = event.plan_id, event.total_halalas
            case OrderRejected():
                self.refused_requests.add(event.request_id)
                if event.request is OrderRequestKind.PLACE and self.status is OrderStatus.NEW:
                    self.status, self.customer_id = OrderStatus.REJECTED, event.customer_id
                    self.placement_refusal = OrderRefused(event.reason, event.message)
            case OrderPaid():
                self.status, self.paid = OrderStatus.PAID, event.amount_halalas
                self.payment_reference = event.payment_reference
            case SubscriptionActivated():
                self.status, self.ends_at = OrderStatus.ACTIVE, event.ends_at
            case OrderCancelled():
                self.status = OrderStatus.CANCELLED
            case OrderRefunded():
                self.refunded += event.refund_halalas
                self.refund_references.add(event.refund_reference)
                if self.refunded >= self.paid:
                    self.status = OrderStatus.REFUNDED
            case OrderExpired():
                self.status = OrderStatus.EXPIRED
