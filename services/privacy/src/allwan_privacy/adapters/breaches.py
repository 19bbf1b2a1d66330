"""The breach register in MongoDB:

- ``privacy_breach_customers`` (``_id`` = ``<breach id>/<customer id>``): the customers a
  breach affects, resolved when it was opened, each written by an insert (a retry adds
  nothing). Read back by breach (a scan: staff's notification, once per breach);
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
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from allwan_privacy.domain.breach import Breach
from allwan_privacy.domain.breach_rules import RegisteredBreach

AFFECTED = "privacy_breach_customers"
BREACHES = "privacy_breaches"
_INSERT_AT_ONCE = 1000
_DUPLICATE_KEY = 11000


class MongoAffected:
    """``accountability_ports.AffectedCustomers`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._affected: AsyncCollection[Document] = db[AFFECTED]

    async def ensure_indexes(self) -> None:
        """On MongoDB the read of a breach's customers uses it; FerretDB scans either way."""
        await self._affected.create_index([("breach_id", ASCENDING)], name="by_breach")

    async def keep(self, breach_id: str, customer_ids: Sequence[str]) -> int:
        for start in range(0, len(customer_ids), _INSERT_AT_ONCE):
            chunk = customer_ids[start : start + _INSERT_AT_ONCE]
            documents = [
                {"_id": f"{breach_id}/{customer}", "breach_id": breach_id, "customer_id": customer}
                for customer in chunk
            ]
            try:
                await self._affected.insert_many(documents, ordered=False)
            except BulkWriteError as error:
                failures = error.details.get("writeErrors", [])
                if any(failure.get("code") != _DUPLICATE_KEY for failure in failures):
                    raise
        return await self._affected.count_documents({"breach_id": breach_id})

    async def of(self, breach_id: str) -> list[str]:
        cursor = self._affected.find({"breach_id": breach_id}, projection={"customer_id": 1})
        return sorted([document["customer_id"] async for document in cursor])


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
