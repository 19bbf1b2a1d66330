"""The periodic expiry: subscriptions past their end, orders unpaid past the timeout."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import structlog
from allwan_contracts import ExpiryReason
from allwan_runtime.eventstore import ConcurrencyConflict

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.handlers.ports import Deps

log = structlog.get_logger(__name__)


class DueOrders(Protocol):
    """The read model's view of what may be due; the aggregate decides whether it is."""

    async def subscriptions_ended(self, now: datetime) -> Sequence[str]: ...

    async def unpaid_since(self, cutoff: datetime) -> Sequence[tuple[str, datetime]]: ...


async def expire_due(deps: Deps, due: DueOrders) -> int:
    """Expire every due order; returns how many expired now."""
    now = deps.clock()
    expired = 0
    for order_id in await due.subscriptions_ended(now):
        expired += await expire_order(deps, order_id, ExpiryReason.SUBSCRIPTION_ENDED, now)
    for order_id, placed_at in await due.unpaid_since(now - deps.payment_timeout):
        expired += await expire_order(
            deps, order_id, ExpiryReason.PAYMENT_TIMEOUT, now, placed_at=placed_at
        )
    return expired


async def expire_order(
    deps: Deps,
    order_id: str,
    reason: ExpiryReason,
    now: datetime,
    *,
    placed_at: datetime | None = None,
) -> int:
    """Expire one order if the rules find it due; 1 if it expired now, else 0.

    Lost to a concurrent writer, it is left for the next run, which looks again.
    """
    order = await deps.orders.get(order_id)
    try:
        if not order.expire(now, reason, placed_at=placed_at, payment_timeout=deps.payment_timeout):
            return 0  # expired already
    except OrderRefused:
        return 0  # the read model lagged behind: paid or cancelled since
    try:
        await deps.orders.save(order, correlation_id=uuid.uuid4())
    except ConcurrencyConflict:
        return 0
    log.info("order.expired", order_id=order_id, reason=reason.value)
    return 1
