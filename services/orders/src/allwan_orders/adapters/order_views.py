"""The read model of orders: each order with its status history, and what the periodic expiry
looks for (subscriptions past their end, orders unpaid past the timeout). No personal data:
the customer is an id (P1, T2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

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
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_runtime.mongo import Document
from allwan_runtime.projection import apply_once
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from allwan_orders.domain.order import Order
from allwan_orders.domain.status import OrderStatus

ORDERS = "orders"


def view_update(envelope: Envelope, event: Any) -> Document:  # noqa: PLR0911 - one arm per event
    """The update one order event makes to its order's document (empty for other events)."""
    at = envelope.occurred_at
    entry = {"event": envelope.event_type, "at": at}
    match event:
        case OrderPlaced():
            fields = {
                "customer_id": event.customer_id,
                "plan_id": event.plan_id,
                "quantity": event.quantity,
                "total_halalas": event.total_halalas,
                "currency": event.currency,
                "policy_version": event.policy_version,
                "marketing_opt_in": event.marketing_opt_in,
                "placed_at": at,
            }
            return _status(OrderStatus.PLACED, entry, fields)
        case OrderRejected():
            rejection = {**entry, "request": event.request.value, "reason": event.reason.value}
            rejection["message"] = event.message
            fields = {"customer_id": event.customer_id}
            update: Document = {"$push": {"history": rejection}}
            if event.request is OrderRequestKind.PLACE:
                update["$set"] = {**fields, "status": OrderStatus.REJECTED.value}
            return update
        case OrderPaid():
            return _status(OrderStatus.PAID, entry, {"paid_halalas": event.amount_halalas})
        case SubscriptionActivated():
            dates = {"starts_at": event.starts_at, "ends_at": event.ends_at}
            return _status(
                OrderStatus.ACTIVE, entry, dates | {"delivery": event.delivery_reference}
            )
        case OrderCancelled():
            return _status(OrderStatus.CANCELLED, entry, {"refund_owed": event.refund_halalas})
        case OrderRefunded():
            refunded = {"refunded_halalas": event.refund_halalas}
            update = {"$push": {"history": entry}, "$inc": refunded}
            if event.fully_refunded:  # the order decided it: refunds are not added up here
                update["$set"] = {"status": OrderStatus.REFUNDED.value}
            return update
        case OrderExpired():
            return _status(OrderStatus.EXPIRED, entry, {"expiry_reason": event.reason.value})
    return {}


def _status(status: OrderStatus, entry: Document, fields: Document) -> Document:
    return {
        "$set": {**fields, "status": status.value},
        "$push": {"history": {**entry, "status": status.value}},
    }


class OrderViews:
    """The ``orders`` collection: one document per order, kept by ``apply_once``."""

    name: ClassVar[str] = "orders"
    collections: ClassVar[tuple[str, ...]] = (ORDERS,)
    event_classes: ClassVar[tuple[type[Event], ...]] = Order.event_classes

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.orders = db[ORDERS]

    async def ensure_indexes(self) -> None:
        """The indexes of the expiry's two queries."""
        await self.orders.create_index([("status", ASCENDING), ("ends_at", ASCENDING)])
        await self.orders.create_index([("status", ASCENDING), ("placed_at", ASCENDING)])

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        update = view_update(envelope, event)
        if update:
            await apply_once(self.orders, envelope.aggregate_id, envelope.aggregate_version, update)

    async def subscriptions_ended(self, now: datetime) -> Sequence[str]:
        found = self.orders.find(
            {"status": OrderStatus.ACTIVE.value, "ends_at": {"$lte": now}}, projection={"_id": 1}
        )
        return [doc["_id"] for doc in await found.to_list()]

    async def unpaid_since(self, cutoff: datetime) -> Sequence[tuple[str, datetime]]:
        found = self.orders.find(
            {"status": OrderStatus.PLACED.value, "placed_at": {"$lte": cutoff}},
            projection={"placed_at": 1},
        )
        return [(doc["_id"], doc["placed_at"]) for doc in await found.to_list()]
