"""Who runs a singleton job among replicas: a lease in MongoDB (the outbox relay, fan-outs).

Time is cut into slots of ``lease_s`` seconds and whoever inserts a slot's document first owns
that slot; the owner claims the next slot early (in the last ``1 - EARLY_CLAIM`` of its slot),
so the lease does not hop needlessly. Only inserts against the unique ``_id`` decide:
conditional updates are not atomic on FerretDB (two writers can both "win" a compare-and-set
there). A process that dies keeps its lease until its slot (at worst the next one) ends, unless
it comes back under the same owner name (a stable ``ALLWAN_INSTANCE_ID``), which takes it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_runtime.mongo import Document

LEASES = "leases"
EARLY_CLAIM = 0.8
"""How far into its slot the owner claims the next one."""
_KEEP_SLOTS = 10


class SlotLease:
    """One named lease, held by ``owner`` slot after slot."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        name: str,
        owner: str,
        lease_s: float,
        *,
        collection: str = LEASES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if lease_s <= 0:
            raise ValueError("a lease needs a positive duration")
        self._leases: AsyncCollection[Document] = db[collection]
        self._name = name
        self._owner = owner
        self._lease_s = lease_s
        self._clock = clock
        self._owned: int | None = None
        self._next_claimed: int | None = None

    async def hold(self) -> bool:
        """Whether this owner holds the lease now (claiming it, or the next slot, if due)."""
        now = self._clock()
        slot = int(now // self._lease_s)
        if self._owned != slot:
            self._owned = slot if await self._claim(slot) else None
        late_in_slot = now % self._lease_s > EARLY_CLAIM * self._lease_s
        if self._owned == slot and late_in_slot and self._next_claimed != slot + 1:
            await self._claim(slot + 1)
            self._next_claimed = slot + 1
        return self._owned == slot

    async def release(self) -> None:
        """Give the lease up (at shutdown) so another replica takes over at once."""
        await self._leases.delete_many({"name": self._name, "owner": self._owner})
        self._owned = self._next_claimed = None

    async def _claim(self, slot: int) -> bool:
        key = f"{self._name}:{slot}"
        try:
            await self._leases.insert_one(
                {
                    "_id": key,
                    "name": self._name,
                    "slot": slot,
                    "owner": self._owner,
                    "at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            found = await self._leases.find_one({"_id": key})
            return found is not None and found["owner"] == self._owner
        await self._leases.delete_many({"name": self._name, "slot": {"$lt": slot - _KEEP_SLOTS}})
        return True
