"""Load an order, let its rules decide, save; a refusal is recorded instead (the gateway
shows it).

An order's commands check before they record, so a refusal leaves nothing of the decision
behind and the refusal alone is stored. A lost race for the stream raises
``ConcurrencyConflict`` and leaves the order untouched: the intake handlers are registered
with ``retry_conflicts``, which runs the handler again, on a fresh load.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import structlog
from allwan_contracts import OrderRequestKind
from allwan_contracts.envelope import Envelope

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.handlers.ports import Deps

log = structlog.get_logger(__name__)

Decision = Callable[[Order], Awaitable[object]]


@dataclass(frozen=True)
class Request:
    """Which request is being decided, to tie what it causes back to it: an intake event, or
    one of the requests a Salla delivery stands for."""

    request_id: UUID
    correlation_id: UUID

    @classmethod
    def of(cls, envelope: Envelope) -> Request:
        return cls(request_id=envelope.event_id, correlation_id=envelope.correlation_id)


async def decide(
    deps: Deps,
    order_id: str,
    customer_id: str,
    *,
    kind: OrderRequestKind,
    cause: Request,
    decision: Decision,
) -> None:
    """Apply ``decision`` to the order and store what it recorded, or record its refusal."""
    order = await deps.orders.get(order_id)
    try:
        await decision(order)
    except OrderRefused as refusal:
        order.refuse(kind, cause.request_id, customer_id, refusal)
        log.info(
            "order.refused", order_id=order_id, request=kind.value, reason=refusal.reason.value
        )
    await deps.orders.save(
        order, correlation_id=cause.correlation_id, causation_id=cause.request_id
    )
