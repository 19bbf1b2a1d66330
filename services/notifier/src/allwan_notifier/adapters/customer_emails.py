"""Which ledger entries are one customer's: ``customer_deliveries``, found by ``_id`` only.

An access request (PDPL) asks for every email sent or tried to one customer; the ledger is
keyed by entry and a filter on its ``customer_id`` would scan it on FerretDB. So each entry
that leaves ``pending`` is also named in a numbered slot of its customer's: ``<customer>#1``,
``<customer>#2``, ... (``{"delivery": <entry id>}``), inserted against the unique ``_id``
like every other ledger write (docs/ARCHITECTURE.md: inserts, never conditional updates).

Slots are taken in order and never removed, so a customer's are always ``1..n``: the first
free one is found by doubling, then halving (a few ``_id`` reads), and two writers that race
for one slot lose nothing: the loser takes the next. Reading walks ``1..n`` and stops at the
first missing slot. A writer that dies after naming an entry but before recording its state
names it again when it retries: readers keep each entry once.
"""

from __future__ import annotations

from collections.abc import Iterable

from allwan_runtime.grouped import GroupedInserts
from allwan_runtime.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

CUSTOMER_DELIVERIES = "customer_deliveries"


def slot_id(customer_id: str, n: int) -> str:
    return f"{customer_id}#{n}"


class CustomerDeliveries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._slots: AsyncCollection[Document] = db[CUSTOMER_DELIVERIES]
        self._inserts = GroupedInserts(self._slots)  # concurrent sends' slots go together

    async def add(self, customer_id: str, delivery_id: str) -> None:
        """Name ``delivery_id`` among the customer's entries (in a new slot)."""
        n = await self._first_free(customer_id)
        while not await self._insert(slot_id(customer_id, n), delivery_id):
            n += 1  # a concurrent writer took it: the slots below stay full

    async def of(self, customer_id: str) -> list[str]:
        """The customer's entry ids, each once, in the order they were named."""
        named: dict[str, None] = {}
        n = 1
        while (slot := await self._slots.find_one({"_id": slot_id(customer_id, n)})) is not None:
            named[slot["delivery"]] = None
            n += 1
        return list(named)

    async def customers(self) -> dict[str, set[str]]:
        """Every customer's entry ids (``rebuild``): a scan."""
        named: dict[str, set[str]] = {}
        async for slot in self._slots.find({}):
            customer_id = str(slot["_id"]).rsplit("#", 1)[0]
            named.setdefault(customer_id, set()).add(slot["delivery"])
        return named

    async def add_missing(self, entries: Iterable[tuple[str, str]]) -> int:
        """Name each ``(customer, entry)`` not named yet (``rebuild``); how many were added."""
        known = await self.customers()
        added = 0
        for customer_id, delivery_id in entries:
            if delivery_id not in known.get(customer_id, set()):
                await self.add(customer_id, delivery_id)
                known.setdefault(customer_id, set()).add(delivery_id)
                added += 1
        return added

    async def _first_free(self, customer_id: str) -> int:
        high = 1
        while await self._taken(customer_id, high):
            high *= 2
        low = high // 2  # taken (or 0): the first free slot is in (low, high]
        while high - low > 1:
            middle = (low + high) // 2
            if await self._taken(customer_id, middle):
                low = middle
            else:
                high = middle
        return high

    async def _insert(self, slot: str, delivery_id: str) -> bool:
        try:
            await self._inserts.insert_one({"_id": slot, "delivery": delivery_id})
        except DuplicateKeyError:
            return False
        return True

    async def _taken(self, customer_id: str, n: int) -> bool:
        found = await self._slots.find_one({"_id": slot_id(customer_id, n)}, {"_id": 1})
        return found is not None
