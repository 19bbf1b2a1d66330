"""Customers' activity as the retention rule counts it, in the privacy service's own database:
each order's phase and instants from ``allwan.orders`` (the orders service), and who is erased
from ``allwan.customers`` (the consent service). The breach register asks it too, for "every
customer with an order in a window".

- ``activity_orders``: one document per order (``_id`` = order id): customer id, phase,
  placed_at, ends_at, closed_at and the order's last version applied (``_v``).
- ``activity_erased``: one document per erased customer (``_id`` = customer id).

Ids, phases and instants only: no personal data. What an event does to an order is
``domain.retention.order_after``; here it is stored once. One order's events arrive in order
(one partition), so a version at or below the one applied is a redelivery. The guard reads and
writes by ``_id`` only: a filter on ``_id`` plus ``_v`` would scan the collection on FerretDB,
on every order event. Different orders and the erasures touch different documents, so their
relative order does not matter. ``allwan-privacy rebuild`` does not replay these: they come
from other services' topics, which expire after 30 days.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

from allwan_contracts.customers import CustomerErased
from allwan_contracts.envelope import Envelope
from allwan_contracts.orders import (
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    SubscriptionActivated,
)
from allwan_runtime.dispatch import TransientError
from allwan_runtime.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_privacy.domain.retention import CustomerActivity, OrderActivity, Phase, order_after

ORDERS = "activity_orders"
ERASED = "activity_erased"
VERSION = "_v"
_ATTEMPTS = 3

OrderEvent = (
    OrderPlaced
    | OrderRejected
    | OrderPaid
    | SubscriptionActivated
    | OrderCancelled
    | OrderRefunded
    | OrderExpired
)


def _order(document: Document) -> OrderActivity:
    return OrderActivity(
        Phase(document["phase"]),
        placed_at=document.get("placed_at"),
        ends_at=document.get("ends_at"),
        closed_at=document.get("closed_at"),
    )


class MongoActivity:
    """Orders' phases and erased customers (the ``activity`` consumer group writes them)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._orders: AsyncCollection[Document] = db[ORDERS]
        self._erased: AsyncCollection[Document] = db[ERASED]

    async def apply(self, envelope: Envelope, event: OrderEvent) -> bool:
        """Apply one order event, once per order version; False if it changed nothing."""
        order_id, version = envelope.aggregate_id, envelope.aggregate_version
        for _ in range(_ATTEMPTS):
            found = await self._orders.find_one({"_id": order_id})
            if found is not None and found.get(VERSION, 0) >= version:
                return False
            order = order_after(_order(found) if found else None, event, envelope.occurred_at)
            if order is None:
                return False
            document = {
                "customer_id": event.customer_id,
                "phase": order.phase.value,
                "placed_at": order.placed_at,
                "ends_at": order.ends_at,
                "closed_at": order.closed_at,
                VERSION: version,
            }
            try:
                await self._orders.replace_one({"_id": order_id}, document, upsert=True)
            except DuplicateKeyError:
                continue  # a concurrent first write of this order (a rebalance): read it again
            return True
        raise TransientError("an order's activity keeps changing under a concurrent write")

    async def erased(self, customer_id: str, at: datetime) -> None:
        """Remember that the customer is erased: the rule no longer counts for them."""
        with contextlib.suppress(DuplicateKeyError):  # a redelivery
            await self._erased.insert_one({"_id": customer_id, "erased_at": at})

    async def customers(self) -> AsyncIterator[CustomerActivity]:
        """Every customer with an order who is not erased, in the order of their ids (a scan:
        for the periodic job and its preview)."""
        erased = {document["_id"] async for document in self._erased.find({}, {"_id": 1})}
        current: str | None = None
        orders: list[OrderActivity] = []
        cursor = self._orders.find({}, sort=[("customer_id", 1), ("_id", 1)])
        async for document in cursor:
            customer_id = document["customer_id"]
            if customer_id != current:
                if current is not None and current not in erased:
                    yield CustomerActivity(current, tuple(orders))
                current, orders = customer_id, []
            orders.append(_order(document))
        if current is not None and current not in erased:
            yield CustomerActivity(current, tuple(orders))

    async def ordered_between(self, start: datetime, end: datetime) -> list[str]:
        """The customers not erased with an order placed in [``start``, ``end``), sorted."""
        window = {"placed_at": {"$gte": start, "$lt": end}}
        found = {
            document["customer_id"]
            async for document in self._orders.find(window, {"customer_id": 1})
        }
        erased = {document["_id"] async for document in self._erased.find({}, {"_id": 1})}
        return sorted(found - erased)


async def record_order(event: OrderEvent, envelope: Envelope, activity: MongoActivity) -> None:
    """An order's event from the orders service: the order's phase and instants, once."""
    await activity.apply(envelope, event)


async def record_erasure(
    event: CustomerErased, envelope: Envelope, activity: MongoActivity
) -> None:
    """A customer erased (by request or by retention): no rule counts for them any more."""
    await activity.erased(event.customer_id, event.erased_at)
