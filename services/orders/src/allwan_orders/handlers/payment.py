"""PaymentReported → OrderPaid and SubscriptionActivated, or OrderRejected; and the
disclosure of the paid order to the payment provider (D1, P2)."""

from __future__ import annotations

import uuid

import structlog
from allwan_contracts import OrderRequestKind
from allwan_contracts.disclosures import (
    DataCategory,
    DataDisclosed,
    LegalBasis,
    RecipientRole,
    disclosure_id,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import PaymentReported
from allwan_runtime.keystore import Purpose

from allwan_orders.domain.order import Order
from allwan_orders.domain.status import OrderStatus
from allwan_orders.handlers.deciding import Request, decide
from allwan_orders.handlers.ports import Deps

log = structlog.get_logger(__name__)
_DELIVERIES = uuid.UUID("5b0f3d4e-8a57-4a53-9a2c-6c1e0f1d2b77")


def delivery_reference(order_id: str) -> str:
    """The activation's reference: stable per order, and opaque (no personal data)."""
    return f"dlv-{uuid.uuid5(_DELIVERIES, order_id).hex[:24]}"


async def report_payment(event: PaymentReported, envelope: Envelope, deps: Deps) -> None:
    """Record the payment and start the subscription at once (a digital subscription runs
    from payment, for its plan's months). Refused for an unknown order, another customer's,
    an amount other than the total, or an order past payment (cancelled, expired...)."""
    await decide_payment(event, Request.of(envelope), deps)


async def decide_payment(request: PaymentReported, cause: Request, deps: Deps) -> None:
    """``report_payment`` for a report of any origin (the gateway's, or Salla's).

    An accepted payment is then recorded as disclosed to the payment provider, once per
    order (``disclose_payment``); a refused one discloses nothing.
    """
    accepted: bool | None = None  # None: refused; False: this payment was recorded before

    async def decision(order: Order) -> None:
        nonlocal accepted
        accepted = order.pay(request)
        if not accepted or order.status is not OrderStatus.PAID or order.plan_id is None:
            return
        plan = deps.catalogue.plan(order.plan_id)
        if plan is None:
            # Paid stays paid; staff activate by hand once the plan is back (never retire a
            # plan by deleting it: mark it retired).
            log.error("order.activation_plan_missing", order_id=order.id, plan_id=order.plan_id)
            return
        order.activate(deps.clock(), plan.months, delivery_reference(order.id))

    await decide(
        deps,
        request.order_id,
        request.customer_id,
        kind=OrderRequestKind.PAYMENT,
        cause=cause,
        decision=decision,
    )
    if accepted is not None:
        await disclose_payment(request, cause, deps, newly_paid=accepted)


async def disclose_payment(
    request: PaymentReported, cause: Request, deps: Deps, *, newly_paid: bool
) -> None:
    """Record that the paid order's details went to the payment provider (D1: to deliver
    what the customer bought; P2), once per order.

    On the hot path: when this handling recorded the payment, no earlier one can have
    recorded the disclosure (it follows the payment's commit), so it is appended without
    reading its stream first. A report seen before (redelivered after a crash between the two
    writes, or sent again) reads the stream first, so it records what is missing and nothing
    twice.
    """
    source = f"payment:{request.order_id}"
    disclosed = DataDisclosed(
        disclosure_id=disclosure_id(deps.payment_recipient, source),
        customer_id=request.customer_id,
        recipient=deps.payment_recipient,
        role=RecipientRole.PROCESSOR,
        categories=[DataCategory.ORDER_DETAILS, DataCategory.PAYMENT],
        purpose=Purpose.ORDER_PROCESSING.value,
        legal_basis=LegalBasis.CONTRACT,
        source=source,
        recorded_by=f"service:{deps.service}",
        at=deps.clock(),
    )
    await deps.disclosures.first(disclosed, cause.correlation_id, surely_new=newly_paid)
