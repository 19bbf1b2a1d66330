"""Where an order is in its life, and which statuses each request may start from."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    NEW = "new"  # nothing recorded yet
    PLACED = "placed"  # awaiting payment
    PAID = "paid"  # paid, not yet activated (its plan left the catalogue)
    ACTIVE = "active"  # subscription running
    CANCELLED = "cancelled"
    REFUNDED = "refunded"  # everything paid was returned
    EXPIRED = "expired"  # unpaid in time, or the subscription ended
    REJECTED = "rejected"  # the placement was refused


PAYABLE = frozenset({OrderStatus.PLACED})
CANCELLABLE = frozenset({OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.ACTIVE})
REFUNDABLE = frozenset(
    {OrderStatus.PAID, OrderStatus.ACTIVE, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
)
FINAL = frozenset({OrderStatus.REFUNDED, OrderStatus.REJECTED})
