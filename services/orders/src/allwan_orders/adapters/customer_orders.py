"""Each customer's orders, by customer id: what a privacy request reads to find them.

A list of slots ``<customer>#<n>`` claimed by insert, with a marker ``<customer>|<order>``
that makes listing an order idempotent (``allwan_runtime.customer_lists``): on FerretDB a
conditional update (``$addToSet`` on one document per customer) is not isolated, and two
orders of one customer, projected from two partitions at once, could each lose the other.
Listing one more order is one ordered insert of its slot and marker (the next free slot is
remembered); it used to walk the slots from the first, one insert each, so a customer's
hundredth order cost a hundred inserts. No personal data: ids (P1).
"""

from __future__ import annotations

from typing import Any, ClassVar

from allwan_contracts import OrderPlaced
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_runtime.customer_lists import CustomerList, MongoListStore
from allwan_runtime.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

CUSTOMER_ORDERS = "customer_orders"


class CustomerOrders:
    """The ``customer_orders`` collection, fed by ``OrderPlaced`` (a placement that was
    refused made no order)."""

    name: ClassVar[str] = "customer-orders"
    collections: ClassVar[tuple[str, ...]] = (CUSTOMER_ORDERS,)
    event_classes: ClassVar[tuple[type[Event], ...]] = (OrderPlaced,)

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._list = CustomerList(MongoListStore(db), CUSTOMER_ORDERS, "order_id")

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        if isinstance(event, OrderPlaced):
            await self.add(event.customer_id, event.order_id)

    async def add(self, customer_id: str, order_id: str) -> None:
        """List ``order_id`` among the customer's orders, once."""
        await self._list.add(customer_id, order_id)

    async def order_ids(self, customer_id: str) -> list[str]:
        """The customer's order ids in the order they were first listed, each once."""
        return await self._list.ids(customer_id)
