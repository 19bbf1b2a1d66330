"""A customer's list of ids on a real MongoDB-protocol server (``allwan_runtime.customer_lists``):
the gateway's orders and privacy requests, and orders' own list of a customer's orders."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from allwan_orders.adapters.customer_orders import CUSTOMER_ORDERS, CustomerOrders
from allwan_runtime.customer_lists import MongoListStore
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


class Counted(MongoListStore):
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        super().__init__(db)
        self.inserts = 0

    async def insert_in_order(self, collection: str, documents: Any) -> int:
        self.inserts += 1
        return await super().insert_in_order(collection, documents)


async def test_listing_one_more_order_costs_one_insert_however_many_the_customer_has(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    customer = f"c-{uuid.uuid4().hex}"
    orders = CustomerOrders(db)
    store = Counted(db)
    orders._list._documents = store
    ids = [f"o-{n:03d}" for n in range(60)]  # more than a page of slots

    for order_id in ids:
        await orders.add(customer, order_id)
    inserts_for_sixty = store.inserts
    await orders.add(customer, ids[7])  # a redelivery: listed already

    assert inserts_for_sixty == 60
    assert store.inserts == 60
    assert await orders.order_ids(customer) == ids
    assert await CustomerOrders(db).order_ids(customer) == ids  # a new process reads the same


async def test_two_writers_listing_at_once_lose_no_order_and_list_none_twice(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    # Two consumers (partitions, replicas) with hints of their own, one customer.
    customer = f"c-{uuid.uuid4().hex}"
    first, second = CustomerOrders(db), CustomerOrders(db)
    ids = [f"o-{n:03d}" for n in range(30)]

    await asyncio.gather(
        *(first.add(customer, order_id) for order_id in ids[::2]),
        *(second.add(customer, order_id) for order_id in ids[1::2]),
        *(second.add(customer, order_id) for order_id in ids[:4]),  # redeliveries, raced
    )
    listed = await CustomerOrders(db).order_ids(customer)
    slots = await db[CUSTOMER_ORDERS].count_documents({"_id": {"$regex": f"^{customer}#"}})

    assert sorted(listed) == ids
    assert slots <= len(ids) + 4  # a raced redelivery may take a slot; readers drop repeats
