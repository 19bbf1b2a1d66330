"""Each customer's orders, by customer id: what a privacy request reads to find them.

The list is a run of slots ``<customer>#<n>`` claimed by insert, plus a marker
``<customer>|<order>`` that makes listing an order idempotent. On FerretDB a conditional
update (``$addToSet`` on one document per customer) is not isolated: two orders of one
customer, projected from two partitions at once, could each lose the other. An insert
against the unique ``_id`` cannot (docs/ARCHITECTURE.md). Reading is ``_id`` lookups only.
No personal data: ids (P1).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from allwan_contracts import OrderPlaced
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_runtime.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

CUSTOMER_ORDERS = "customer_orders"


def slot_id(customer_id: str, n: int) -> str:
    return f"{customer_id}#{n:06d}"


class CustomerOrders:
    """The ``customer_orders`` collection, fed by ``OrderPlaced`` (a placement that was
    refused made no order)."""

    name: ClassVar[str] = "customer-orders"
    collections: ClassVar[tuple[str, ...]] = (CUSTOMER_ORDERS,)
    event_classes: ClassVar[tuple[type[Event], ...]] = (OrderPlaced,)
    _PAGE = 20

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.slots = db[CUSTOMER_ORDERS]

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        if isinstance(event, OrderPlaced):
            await self.add(event.customer_id, event.order_id)

    async def add(self, customer_id: str, order_id: str) -> None:
        """List ``order_id`` among the customer's orders, once."""
        marker = f"{customer_id}|{order_id}"
        if await self.slots.find_one({"_id": marker}, projection={"_id": 1}) is not None:
            return
        n = 0
        while not await self._claim({"_id": slot_id(customer_id, n), "order_id": order_id}):
            n += 1
        # A crash before the marker lists the order twice at worst; readers drop repeats.
        await self._claim({"_id": marker})

    async def order_ids(self, customer_id: str) -> list[str]:
        """The customer's order ids in the order they were first listed, each once."""
        found: list[str] = []
        n = 0
        while True:
            ids = [slot_id(customer_id, n + i) for i in range(self._PAGE)]
            # One lookup per id, together: ``$in`` would scan the collection on FerretDB.
            slots = await asyncio.gather(*(self.slots.find_one({"_id": i}) for i in ids))
            taken = [slot["order_id"] for slot in slots if slot is not None]
            found += taken
            if len(taken) < self._PAGE:
                return list(dict.fromkeys(found))
            n += self._PAGE

    async def _claim(self, document: Document) -> bool:
        try:
            await self.slots.insert_one(document)
        except DuplicateKeyError:
            return False
        return True
