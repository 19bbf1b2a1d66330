"""The order aggregate: an order's life as commands, each checking its rules before it records.

Commands are methods, as on consent's ``ConsentLedger``: ``place`` (K1, K2, A1, C3, T2; its
request rules in ``placing``), ``pay`` (C3, T3), ``activate``, ``cancel``, ``refund`` and
``expire``, and ``refuse`` to record a request the rules turned down. A command checks
everything before it records anything, so a refusal (``OrderRefused``) leaves the order as it
was. Each returns whether it recorded anything: a request already carried out (same order id,
payment reference or refund reference) changes nothing, so retried and redelivered requests
are harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from allwan_contracts import (
    ORDER_EVENTS,
    CancellationReason,
    ExpiryReason,
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
from allwan_contracts.base import Event
from allwan_contracts.intake import OrderRequested, PaymentReported, RefundRequested
from allwan_runtime.aggregate import Aggregate

from allwan_orders.domain.catalogue import Plan
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.periods import add_months
from allwan_orders.domain.placing import OpenedContact, placeable_plan
from allwan_orders.domain.pricing import price
from allwan_orders.domain.status import CANCELLABLE, PAYABLE, REFUNDABLE, OrderStatus

_MESSAGE_MAX_CHARS = 300  # contracts.orders.RejectionMessage


class Order(Aggregate):
    """One order (stream ``order:<id>``), from placement or refusal to its end."""

    aggregate_type: ClassVar[str] = "order"
    event_classes: ClassVar[tuple[type[Event], ...]] = ORDER_EVENTS
    """What an order records, all on ``allwan.orders``."""

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

    def place(
        self,
        request: OrderRequested,
        contact: OpenedContact,
        plan: Plan | None,
        *,
        vat_rate_percent: int,
        policy_version: int,
    ) -> bool:
        """Place the order, priced from the catalogue (refusals: ``placing.placeable_plan``).

        Placing is consent to ``order_processing`` under the policy version in force (K1; the
        consent service records it from ``OrderPlaced``), and marketing only if the buyer ticked
        it, off by default (K2). The same order id again (the same ``Idempotency-Key``)
        changes nothing.
        """
        if self.status is not OrderStatus.NEW:
            return False
        sold = placeable_plan(request, contact, plan)
        cost = price(sold.price_sar, request.quantity, vat_rate_percent)
        self.record(
            OrderPlaced(
                order_id=self.id,
                customer_id=request.customer_id,
                plan_id=sold.id,
                quantity=request.quantity,
                unit_price_halalas=cost.unit_price,
                subtotal_halalas=cost.subtotal,
                vat_rate_percent=cost.vat_rate_percent,
                vat_halalas=cost.vat,
                total_halalas=cost.total,
                currency="SAR",
                contact=request.contact,
                age_attestation=request.age_attestation,
                payment_token=request.payment_token,
                marketing_opt_in=request.marketing_opt_in,
                policy_version=policy_version,
                locale=request.locale,
            )
        )
        return True

    def pay(self, request: PaymentReported) -> bool:
        """Record the provider's confirmation of the whole total.

        Only the provider's reference and at most the card's brand and last 4 digits are kept
        (C3, T3). The same payment reported again changes nothing.
        """
        customer_id = self.require_known(request.customer_id)
        if request.payment_reference == self.payment_reference:
            return False
        if self.status not in PAYABLE:
            raise OrderRefused(Reason.INVALID_TRANSITION, f"A {self.status} order cannot be paid.")
        if request.amount_halalas != self.total:
            raise OrderRefused(
                Reason.AMOUNT_MISMATCH, "The amount paid differs from the order's total."
            )
        self.record(
            OrderPaid(
                order_id=self.id,
                customer_id=customer_id,
                payment_reference=request.payment_reference,
                amount_halalas=request.amount_halalas,
                currency="SAR",
                card_brand=request.card_brand,
                card_last4=request.card_last4,
            )
        )
        return True

    def activate(self, starts_at: datetime, months: int, delivery_reference: str) -> bool:
        """Start the subscription of a paid order; it ends ``months`` calendar months later."""
        if self.status is not OrderStatus.PAID or self.customer_id is None or self.plan_id is None:
            raise OrderRefused(
                Reason.INVALID_TRANSITION, f"A {self.status} order cannot be activated."
            )
        self.record(
            SubscriptionActivated(
                order_id=self.id,
                customer_id=self.customer_id,
                plan_id=self.plan_id,
                starts_at=starts_at,
                ends_at=add_months(starts_at, months),
                delivery_reference=delivery_reference,
            )
        )
        return True

    def cancel(self, customer_id: str, reason: CancellationReason) -> bool:
        """Cancel; whatever was paid and not yet returned is owed back. Twice is once."""
        self.require_known(customer_id)
        if self.status is OrderStatus.CANCELLED:
            return False
        if self.status not in CANCELLABLE:
            raise OrderRefused(
                Reason.INVALID_TRANSITION, f"A {self.status} order cannot be cancelled."
            )
        self.record(
            OrderCancelled(
                order_id=self.id,
                customer_id=customer_id,
                reason=reason,
                refund_halalas=self.paid - self.refunded,
                currency="SAR",
            )
        )
        return True

    def refund(self, request: RefundRequested) -> bool:
        """Record money returned to the customer; never more than is left of the payment.

        The event says whether the order is now fully refunded (which ends it), so that no
        reader adds refunds up again to find out.
        """
        self.require_known(request.customer_id)
        if request.refund_reference in self.refund_references:
            return False
        if self.status not in REFUNDABLE or self.paid == 0:
            raise OrderRefused(
                Reason.INVALID_TRANSITION, f"A {self.status} order has nothing to refund."
            )
        if request.refund_halalas > self.paid - self.refunded:
            raise OrderRefused(
                Reason.REFUND_EXCEEDS_PAYMENT, "A refund cannot exceed what is left of the payment."
            )
        self.record(
            OrderRefunded(
                order_id=self.id,
                customer_id=request.customer_id,
                reason=request.reason,
                refund_halalas=request.refund_halalas,
                currency="SAR",
                refund_reference=request.refund_reference,
                fully_refunded=self.refunded + request.refund_halalas >= self.paid,
            )
        )
        return True

    def expire(
        self,
        now: datetime,
        reason: ExpiryReason,
        *,
        placed_at: datetime | None = None,
        payment_timeout: timedelta = timedelta(hours=1),
    ) -> bool:
        """End a subscription past its end date, or an order left unpaid past the timeout."""
        if self.status is OrderStatus.EXPIRED:
            return False
        if reason is ExpiryReason.SUBSCRIPTION_ENDED:
            due = self.status is OrderStatus.ACTIVE and self.ends_at is not None
            due = due and self.ends_at is not None and self.ends_at <= now
        else:
            due = self.status is OrderStatus.PLACED and placed_at is not None
            due = due and placed_at is not None and placed_at + payment_timeout <= now
        if not due or self.customer_id is None:
            raise OrderRefused(Reason.INVALID_TRANSITION, f"This {self.status} order is not due.")
        self.record(OrderExpired(order_id=self.id, customer_id=self.customer_id, reason=reason))
        return True

    def refuse(
        self, kind: OrderRequestKind, request_id: UUID, customer_id: str, refusal: OrderRefused
    ) -> bool:
        """Record that a request was refused, once per request (the gateway shows it)."""
        if request_id in self.refused_requests:
            return False
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
        return True

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
                # Added up, not read from ``fully_refunded``: v1 records read it as False.
                if self.refunded >= self.paid:
                    self.status = OrderStatus.REFUNDED
            case OrderExpired():
                self.status = OrderStatus.EXPIRED
