"""The breach register in MongoDB:

- ``privacy_breach_customers`` (``_id`` = breach id): the customers a breach affects, resolved
  when it was opened, in one document written by one insert: whoever inserts first fixes the
  set (a retry, even one whose order window would resolve more customers now, keeps it), and
  both the write and the read are ``_id`` operations, whatever the number of breaches (at most
  ``MAX_LISTED_CUSTOMERS`` listed ids; a window's few thousand ids fit a document easily);
- ``privacy_breaches`` (``_id`` = breach id): the register's read model (state, detection,
  deadline), built from this service's own events on ``allwan.breaches`` with ``apply_once``,
  read whole (a register of a few breaches) for the list and the metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allwan_contracts.breaches import (
    BreachClosed,
    BreachCustomersNotified,
    BreachOpened,
    BreachRegulatorNotified,
    BreachState,
)
from allwan_contracts.envelope import Envelope
from allwan_runtime.mongo import Document
from allwan_runtime.projection import apply_once
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_privacy.domain.breach import Breach
from allwan_privacy.domain.breach_rules import RegisteredBreach

AFFECTED = "privacy_breach_customers"
BREACHES = "privacy_breaches"


class MongoAffected:
    """``accountability_ports.AffectedCustomers`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._affected: AsyncCollection[Document] = db[AFFECTED]

    async def ensure_indexes(self) -> None:
        """Nothing beyond ``_id``: every read and write is by breach id."""

    async def keep(self, breach_id: str, customer_ids: Sequence[str]) -> int:
        try:
            await self._affected.insert_one(
                {"_id": breach_id, "customers": sorted(set(customer_ids))}
            )
        except DuplicateKeyError:
            return len(await self.of(breach_id))
        return len(set(customer_ids))

    async def of(self, breach_id: str) -> list[str]:
        found = await self._affected.find_one({"_id": breach_id})
        return list(found["customers"]) if found is not None else []


def update_for(event: Any) -> Document | None:
    """The read-model update one breach event makes, None if it makes none."""
    match event:
        case BreachOpened():
            return {
                "$set": {
                    "state": BreachState.OPEN.value,
                    "detected_at": event.detected_at,
                    "regulator_deadline": event.regulator_deadline,
                }
            }
        case BreachRegulatorNotified():
            return {"$set": {"state": BreachState.REGULATOR_NOTIFIED.value}}
        case BreachCustomersNotified():
            return {"$set": {"state": BreachState.CUSTOMERS_NOTIFIED.value}}
        case BreachClosed():
            return {"$set": {"state": BreachState.CLOSED.value}}
    return None


class BreachProjection:
    """``privacy_breaches`` from this service's breach events (others' are skipped: this
    service alone registers breaches)."""

    name = "privacy_breaches"
    collections: Sequence[str] = (BREACHES,)

    def __init__(self, db: AsyncDatabase[Document], producer: str) -> None:
        self._breaches = db[BREACHES]
        self._producer = producer

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        if envelope.producer != self._producer or envelope.aggregate_type != Breach.aggregate_type:
            return
        update = update_for(event)
        if update is not None:
            await apply_once(
                self._breaches, envelope.aggregate_id, envelope.aggregate_version, update
            )


async def project_breach(event: Any, envelope: Envelope, projection: BreachProjection) -> None:
    """A breach's event into the register's read model."""
    await projection(envelope, event)


class MongoRegister:
    """``accountability_ports.Register``: the register's read model, read whole."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._breaches = db[BREACHES]

    async def breaches(self) -> list[RegisteredBreach]:
        # A document without its opening (a later event applied first) is not listed yet.
        cursor = self._breaches.find({"detected_at": {"$exists": True}})
        return [
            RegisteredBreach(
                breach_id=document["_id"],
                state=BreachState(document["state"]),
                detected_at=document["detected_at"],
                regulator_deadline=document["regulator_deadline"],
            )
            async for document in cursor
        ]
