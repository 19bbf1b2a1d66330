"""CancellationRequested → OrderCancelled, RefundRequested → OrderRefunded; or OrderRejected."""

from __future__ import annotations

from allwan_contracts import OrderRequestKind
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import CancellationRequested, RefundRequested

from allwan_orders.domain.order import Order
from allwan_orders.handlers.deciding import Request, decide
from allwan_orders.handlers.ports import Deps


async def cancel_order(event: CancellationRequested, envelope: Envelope, deps: Deps) -> None:
    """Cancel an order not yet ended; what was paid becomes owed back."""
    await decide_cancellation(event, Request.of(envelope), deps)


async def decide_cancellation(request: CancellationRequested, cause: Request, deps: Deps) -> None:
    """``cancel_order`` for a request of any origin (the gateway's, or Salla's)."""

    async def decision(order: Order) -> None:
        order.cancel(request.customer_id, request.reason)

    await decide(
        deps,
        request.order_id,
        request.customer_id,
        kind=OrderRequestKind.CANCELLATION,
        cause=cause,
        decision=decision,
    )


async def refund_order(event: RefundRequested, envelope: Envelope, deps: Deps) -> None:
    """Record a refund the provider made; never more than is left of the payment."""
    await decide_refund(event, Request.of(envelope), deps)


async def decide_refund(request: RefundRequested, cause: Request, deps: Deps) -> None:
    """``refund_order`` for a request of any origin (the gateway's, or Salla's)."""

    async def decision(order: Order) -> None:
        order.refund(request)

    await decide(
        deps,
        request.order_id,
        request.customer_id,
        kind=OrderRequestKind.REFUND,
        cause=cause,
        decision=decision,
    )
