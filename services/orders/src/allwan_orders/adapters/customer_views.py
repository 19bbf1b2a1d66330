"""The customer record: name, email, phone and billing address, nothing else, all sealed
under the customer's key (P1, C1, T2). Erasure redacts it for good."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar

from allwan_contracts import CustomerContactChanged, OrderPlaced
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_runtime.mongo import Document
from allwan_runtime.newest import apply_if_newer
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

CUSTOMERS = "customers"


class CustomerViews:
    """The ``customers`` collection, fed by orders (``OrderPlaced``), Salla
    (``CustomerContactChanged``) and erasure (``redact``); the newest contact wins."""

    name: ClassVar[str] = "customers"
    collections: ClassVar[tuple[str, ...]] = (CUSTOMERS,)
    event_classes: ClassVar[tuple[type[Event], ...]] = (OrderPlaced, CustomerContactChanged)

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.customers = db[CUSTOMERS]

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        if isinstance(event, OrderPlaced | CustomerContactChanged):
            contact = event.contact.model_dump(mode="json")
            await apply_if_newer(
                self.customers,
                event.customer_id,
                envelope.occurred_at,
                {"$set": {"contact": contact}},
                unless={"erased": True},  # an erased customer's record takes nothing new
            )

    async def redact(self, customer_id: str, erased_at: datetime) -> None:
        """Drop the customer's sealed contact for good; the record keeps only the erasure."""
        update = {"$set": {"erased": True, "erased_at": erased_at}, "$unset": {"contact": ""}}
        try:
            await self.customers.update_one({"_id": customer_id}, update, upsert=True)
        except DuplicateKeyError:  # created concurrently: now it exists
            await self.customers.update_one({"_id": customer_id}, update)

    async def redact_erased(
        self, is_erased: Callable[[str], Awaitable[bool]], now: datetime
    ) -> int:
        """After a rebuild: redact again every customer whose key was shredded (erasures are
        the consent service's events, not in this event store)."""
        redacted = 0
        async for doc in self.customers.find({"erased": {"$ne": True}}, projection={"_id": 1}):
            if await is_erased(doc["_id"]):
                await self.redact(doc["_id"], now)
                redacted += 1
        return redacted
