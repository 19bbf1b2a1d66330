"""PaymentReported → OrderPaid and SubscriptionActivated, or OrderRejected."""

from __future__ import annotations

import uuid

import structlog
from allwan_contracts import OrderRequestKind
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import PaymentReported

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
    """``report_payment`` for a report of any origin (the gateway's, or Salla's)."""

    async def decision(order: Order) -> None:
        order.pay(request)
        if order.status is not OrderStatus.PAID or order.plan_id is None:
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
