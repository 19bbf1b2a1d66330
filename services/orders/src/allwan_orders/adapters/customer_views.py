"""The customer record: name, email, phone and billing address, nothing else, all sealed
under the customer's key (P1, C1, T2). Erasure redacts it; a reader of a value whose key was
shredded gets ``ERASED`` and carries on."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar

from allwan_contracts import CustomerContact, CustomerContactChanged, CustomerErased, OrderPlaced
from allwan_contracts.envelope import Envelope
from allwan_runtime.keystore import ERASED, Purpose
from allwan_runtime.newest import apply_if_newer
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_orders.handlers.deps import Keys

Document = dict[str, Any]
CUSTOMERS = "customers"
FIELDS = ("name", "email", "phone", "billing_address")


class CustomerViews:
    """The ``customers`` collection, fed by orders (``OrderPlaced``), Salla
    (``CustomerContactChanged``) and erasure (``CustomerErased``); the newest contact wins."""

    name: ClassVar[str] = "customers"
    collections: ClassVar[tuple[str, ...]] = (CUSTOMERS,)
    event_types: ClassVar[tuple[str, ...]] = (
        "OrderPlaced",
        "CustomerContactChanged",
        "CustomerErased",
    )

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
        elif isinstance(event, CustomerErased):
            await self.redact(event.customer_id, event.erased_at)

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

    async def customer(self, customer_id: str) -> Document | None:
        return await self.customers.find_one({"_id": customer_id})


async def open_customer(
    views: CustomerViews, keys: Keys, customer_id: str, purpose: Purpose
) -> dict[str, str | None] | None:
    """The customer's contact in plain text for ``purpose`` (C4); ``ERASED`` in every field
    once they were erased, None for a customer orders has never seen."""
    doc = await views.customer(customer_id)
    if doc is None:
        return None
    if doc.get("erased") or "contact" not in doc:
        return dict.fromkeys(FIELDS, ERASED)
    contact = CustomerContact.model_validate(doc["contact"])
    opened: dict[str, str | None] = {}
    for field in FIELDS:
        sealed = getattr(contact, field)
        opened[field] = None
        if sealed is not None:
            with contextlib.suppress(ValueError):  # tampered: show nothing rather than fail
                opened[field] = await keys.open(sealed, field=field, purpose=purpose)
    return opened
