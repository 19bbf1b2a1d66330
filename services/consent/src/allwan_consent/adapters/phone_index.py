"""The phone blind index: which customers a WhatsApp sender may be (K3).

One document per (phone hash, customer): a family may share a number. Only the keyed hash
of the E.164 number is stored, never the number; erasure deletes the customer's entries, and
a corrected phone (PDPL correction) replaces them.
It is built from ``OrderPlaced`` (sealed phones), not from this service's own events, so
rebuilding it means reading ``allwan.orders`` again from the start.
"""

from __future__ import annotations

import contextlib

from allwan_runtime.mongo import Document
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

PHONE_INDEX = "phone_index"


class MongoPhoneIndex:
    """``handlers.ports.PhoneIndex`` in the ``phone_index`` collection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._entries: AsyncCollection[Document] = db[PHONE_INDEX]

    async def ensure_indexes(self) -> None:
        await self._entries.create_index([("phone_hash", ASCENDING)], name="by_phone")
        await self._entries.create_index([("customer_id", ASCENDING)], name="by_customer")

    async def add(self, phone_hash: str, customer_id: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self._entries.insert_one(
                {
                    "_id": f"{phone_hash}:{customer_id}",
                    "phone_hash": phone_hash,
                    "customer_id": customer_id,
                }
            )

    async def customers(self, phone_hash: str) -> list[str]:
        found = self._entries.find({"phone_hash": phone_hash}, projection={"customer_id": 1})
        return sorted({entry["customer_id"] async for entry in found})

    async def forget(self, customer_id: str) -> None:
        await self._entries.delete_many({"customer_id": customer_id})

    async def replace(self, customer_id: str, phone_hash: str) -> None:
        # The new entry first: a "stop" arriving meanwhile still finds the customer.
        await self.add(phone_hash, customer_id)
        await self._entries.delete_many(
            {"customer_id": customer_id, "phone_hash": {"$ne": phone_hash}}
        )
