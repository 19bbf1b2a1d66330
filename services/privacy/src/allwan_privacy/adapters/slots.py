"""Which request holds a customer's one open request of each kind (``privacy_open_requests``).

One document per (customer, kind), ``_id`` = ``<customer>:<kind>``, made by an insert against
the unique ``_id``: of two requests of one kind received at once (on two partitions, by two
replicas), one gets it and the other is refused. A conditional update would not decide that
on FerretDB, where updates are not isolated (docs/ARCHITECTURE.md). The document goes when
its request closes; the collection holds open requests only, so its scans stay small.
"""

from __future__ import annotations

from datetime import datetime

from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_runtime.dispatch import TransientError
from allwan_runtime.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_privacy.handlers.ports import Slot

SLOTS = "privacy_open_requests"
_ATTEMPTS = 3


def _slot_id(customer_id: str, kind: PrivacyRequestKind) -> str:
    return f"{customer_id}:{kind.value}"


class MongoSlots:
    """``handlers.ports.Slots`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._slots: AsyncCollection[Document] = db[SLOTS]

    async def claim(
        self, customer_id: str, kind: PrivacyRequestKind, request_id: str, at: datetime
    ) -> Slot:
        slot_id = _slot_id(customer_id, kind)
        for _ in range(_ATTEMPTS):
            try:
                await self._slots.insert_one(
                    {"_id": slot_id, "request_id": request_id, "claimed_at": at}
                )
            except DuplicateKeyError:
                held = await self.holder(customer_id, kind)
                if held is not None:
                    return held
                continue  # released in between: claim again
            return Slot(request_id, at)
        raise TransientError("the slot keeps changing hands")

    async def take_over(
        self,
        customer_id: str,
        kind: PrivacyRequestKind,
        held: Slot,
        request_id: str,
        at: datetime,
    ) -> bool:
        slot_id = _slot_id(customer_id, kind)
        await self._slots.delete_one({"_id": slot_id, "request_id": held.request_id})
        try:
            await self._slots.insert_one(
                {"_id": slot_id, "request_id": request_id, "claimed_at": at}
            )
        except DuplicateKeyError:
            return False
        return True

    async def holder(self, customer_id: str, kind: PrivacyRequestKind) -> Slot | None:
        found = await self._slots.find_one({"_id": _slot_id(customer_id, kind)})
        return None if found is None else Slot(found["request_id"], found["claimed_at"])

    async def release(self, customer_id: str, kind: PrivacyRequestKind, request_id: str) -> None:
        await self._slots.delete_one({"_id": _slot_id(customer_id, kind), "request_id": request_id})
