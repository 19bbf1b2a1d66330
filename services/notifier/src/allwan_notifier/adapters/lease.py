"""Who runs fan-outs: a lease in MongoDB, so that replicas never run one job side by side.

The same scheme as the outbox relay's: time is cut into slots of ``lease_s`` seconds and
whoever inserts a slot's document first owns that slot; the owner claims the next slot early.
Only inserts against the unique ``_id`` decide (conditional updates are not atomic on
FerretDB). A process that dies keeps its lease until its slot (and, at worst, the next one)
ends; then another takes over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]
LEASES = "leases"


class SlotLease:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        name: str,
        owner: str,
        lease_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._leases: AsyncCollection[Document] = db[LEASES]
        self._name = name
        self._owner = owner
        self._lease_s = lease_s
        self._clock = clock
        self._owned: int | None = None
        self._next_claimed: int | None = None

    async def hold(self) -> bool:
        now = self._clock()
        slot = int(now // self._lease_s)
        if self._owned != slot:
            self._owned = slot if await self._claim(slot) else None
        late_in_slot = now % self._lease_s > 0.5 * self._lease_s
        if self._owned == slot and late_in_slot and self._next_claimed != slot + 1:
            await self._claim(slot + 1)
            self._next_claimed = slot + 1
        return self._owned == slot

    async def release(self) -> None:
        """Give the lease up (at shutdown) so another replica takes over at once."""
        await self._leases.delete_many({"name": self._name, "owner": self._owner})
        self._owned = self._next_claimed = None

    async def _claim(self, slot: int) -> bool:
        try:
            await self._leases.insert_one(
                {
                    "_id": f"{self._name}:{slot}",
                    "name": self._name,
                    "slot": slot,
                    "owner": self._owner,
                    "at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            found = await self._leases.find_one({"_id": f"{self._name}:{slot}"})
            return found is not None and found["owner"] == self._owner
        await self._leases.delete_many({"name": self._name, "slot": {"$lt": slot - 10}})
        return True
