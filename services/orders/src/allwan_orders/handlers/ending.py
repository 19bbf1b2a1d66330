"""CancellationRequested → OrderCancelled, RefundRequested → OrderRefunded; or OrderRejected."""

from __future__ import annotations

from allwan_contracts import OrderRequestKind
from allwan_contracts.intake import CancellationRequested, RefundRequested

from allwan_orders.domain.ending import cancel, refund
from allwan_orders.domain.order import Order
from allwan_orders.handlers.deciding import decide
from allwan_orders.handlers.deps import Deps, Request


async def cancel_order(request: CancellationRequested, intake: Request, deps: Deps) -> None:
    """Cancel an order not yet ended; what was paid becomes owed back."""

    async def decision(order: Order) -> None:
        cancel(order, request.customer_id, request.reason)

    await decide(
        deps,
        request.order_id,
        request.customer_id,
        kind=OrderRequestKind.CANCELLATION,
        request=intake,
        decision=decision,
    )


async def refund_order(request: RefundRequested, intake: Request, deps: Deps) -> None:
    """Record a refund the provider made; never more than is left of the payment."""

    async def decision(order: Order) -> None:
        refund(order, request)

    await decide(
        deps,
        request.order_id,
        request.customer_id,
        kind=OrderRequestKind.REFUND,
        request=intake,
        decision=decision,
    )
