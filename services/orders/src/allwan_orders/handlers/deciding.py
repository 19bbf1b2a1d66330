"""Load an order, let the rules decide, save; a refusal is recorded instead (the gateway
shows it). A lost concurrency race raises ``ConcurrencyConflict``: the handler is registered
with ``allwan_runtime.guards.retry_on_conflict``, which runs it again on a fresh load."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from allwan_contracts import OrderRequestKind

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.handlers.deps import Deps, Request

log = structlog.get_logger(__name__)

Decision = Callable[[Order], Awaitable[None]]


async def decide(
    deps: Deps,
    order_id: str,
    customer_id: str,
    *,
    kind: OrderRequestKind,
    request: Request,
    decision: Decision,
) -> None:
    """Apply ``decision`` to the order and store what it recorded, or record its refusal."""

    order = await deps.orders.get(order_id)
    try:
        await decision(order)
    except OrderRefused as refusal:
        order = await deps.orders.get(order_id)  # drop anything recorded before the refusal
        order.refuse(kind, request.request_id, customer_id, refusal)
        log.info(
            "order.refused", order_id=order_id, request=kind.value, reason=refusal.reason.value
        )
    await deps.orders.save(
        order, correlation_id=request.correlation_id, causation_id=request.request_id
    )
