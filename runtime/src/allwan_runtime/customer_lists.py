"""Each customer's ids of one kind (orders, privacy requests), as an append-only list of
slots ``<customer>#<n>`` claimed by insert, in whichever database the service keeps it.

The rule for FerretDB: conditional updates are not atomic there, inserts against ``_id`` are,
so two writers never both take one slot. A marker ``<customer>|<id>`` makes listing an id
idempotent. Reading walks pages of slots by ``_id``: no scans. Used by the gateway (orders and
privacy requests it shows) and orders (what a privacy request reads to find an order).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase

from allwan_runtime.commits import insert_prefix
from allwan_runtime.mongo import Document


class ListStore(Protocol):
    """What a list needs of its storage: ``_id`` lookups and ordered inserts."""

    async def get(self, collection: str, doc_id: str) -> Document | None: ...

    async def get_many(self, collection: str, doc_ids: Sequence[str]) -> list[Document | None]: ...

    async def insert_in_order(self, collection: str, documents: Sequence[Document]) -> int:
        """Insert in order in one round trip, stopping at the first ``_id`` taken; how many
        went in."""
        ...


class MongoListStore:
    """``ListStore`` over a MongoDB database."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def get(self, collection: str, doc_id: str) -> Document | None:
        return await self._db[collection].find_one({"_id": doc_id})

    async def get_many(self, collection: str, doc_ids: Sequence[str]) -> list[Document | None]:
        # One lookup per id, together: ``$in`` would scan the collection on FerretDB.
        return list(await asyncio.gather(*(self.get(collection, i) for i in doc_ids)))

    async def insert_in_order(self, collection: str, documents: Sequence[Document]) -> int:
        return await insert_prefix(self._db[collection], documents)


def slot_id(customer_id: str, n: int) -> str:
    return f"{customer_id}#{n:06d}"


class CustomerList:
    """Each customer's ids in ``collection``, each slot holding its id under ``field``.

    The next free slot of recently seen customers is remembered (a hint: a stale one costs a
    few refused inserts, never a gap), so listing one more id is one insert, not a walk.
    """

    _PAGE = 50

    def __init__(
        self, documents: ListStore, collection: str, field: str, remember: int = 100_000
    ) -> None:
        self._documents = documents
        self._collection = collection
        self._field = field
        self._next: OrderedDict[str, int] = OrderedDict()
        self._remember = remember

    def _hint(self, customer_id: str, n: int) -> None:
        self._next[customer_id] = max(n, self._next.pop(customer_id, 0))
        if len(self._next) > self._remember:
            self._next.popitem(last=False)

    async def add(self, customer_id: str, item_id: str, *, surely_new: bool = False) -> None:
        """List ``item_id`` for the customer, once (``surely_new``: the caller knows it is
        not listed yet, which saves a read)."""
        marker = f"{customer_id}|{item_id}"
        if not surely_new and await self._documents.get(self._collection, marker) is not None:
            return
        n = self._next.get(customer_id, 0)
        # The slot, then the marker, in one round trip; a taken slot stops it before the
        # marker, and the next slot is tried. A crash before the marker lists the id twice at
        # worst (readers drop repeats); a marker never stands without its slot.
        while not await self._documents.insert_in_order(
            self._collection,
            [{"_id": slot_id(customer_id, n), self._field: item_id}, {"_id": marker}],
        ):
            n += 1
        self._hint(customer_id, n + 1)

    async def ids(self, customer_id: str) -> list[str]:
        """The customer's ids in the order they were first listed, each once."""
        found: list[str] = []
        n = 0
        while True:
            ids = [slot_id(customer_id, n + i) for i in range(self._PAGE)]
            slots = await self._documents.get_many(self._collection, ids)
            taken = [slot[self._field] for slot in slots if slot is not None]
            found += taken
            if len(taken) < self._PAGE:
                self._hint(customer_id, n + len(taken))
                return list(dict.fromkeys(found))
            n += self._PAGE
