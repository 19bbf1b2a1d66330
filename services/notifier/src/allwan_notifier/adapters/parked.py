"""Parked privacy letters in MongoDB: ``parked_letters``, one document per letter waiting for
its customer's address (``domain.parked``).

``_id`` is the id of the ledger entry that owes the letter (``privacy_received:<request>``).
Parking is an insert against it, so a redelivered event parks nothing twice and the letter
keeps the time it was first parked (its bound counts from there). A document is never
updated: it holds the customer id, the letter's kind and fields (no address: the letter has
none), when it was parked and the correlation id of the event that owed it. It is deleted once
the ledger entry has its outcome. The ledger, insert-only, records what became of the letter;
this collection holds only letters still waiting.

The mail consumer asks for one customer's letters on every order it reads, hence the
``customer_id`` index (MongoDB uses it; FerretDB scans, which costs little on a collection
that holds only what waits, as does a delete by ``_id``). Each replica asks for the letters
parked before a time every ``ALLWAN_PARKED_SWEEP_INTERVAL_S`` (10 minutes): a scan too.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from allwan_runtime.mongo import Document
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_notifier.domain.parked import ParkedLetter, letter_fields, rebuilt

PARKED = "parked_letters"


def document(parked: ParkedLetter) -> Document:
    """The stored form of a parked letter (the unit tests' fake keeps the same)."""
    return {
        "_id": parked.id,
        "customer_id": parked.customer_id,
        "kind": parked.letter.kind.value,
        "letter": letter_fields(parked.letter),
        "parked_at": parked.parked_at,
        "cause": None if parked.cause is None else str(parked.cause),
    }


def parked_letter(doc: Document) -> ParkedLetter:
    """The parked letter a stored document holds, its letter rebuilt from its fields."""
    cause = doc.get("cause")
    return ParkedLetter(
        id=doc["_id"],
        customer_id=doc["customer_id"],
        letter=rebuilt(doc["kind"], doc["letter"]),
        parked_at=doc["parked_at"],
        cause=None if cause is None else UUID(cause),
    )


class MongoParkedLetters:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._letters: AsyncCollection[Document] = db[PARKED]

    async def ensure_indexes(self) -> None:
        """The ``customer_id`` index: what the mail consumer asks by."""
        await self._letters.create_index([("customer_id", ASCENDING)], name="customer_id")

    async def park(self, parked: ParkedLetter) -> ParkedLetter:
        try:
            await self._letters.insert_one(document(parked))
        except DuplicateKeyError:
            first = await self._letters.find_one({"_id": parked.id})
            # None: discarded since the insert failed (its entry has its outcome).
            return parked if first is None else parked_letter(first)
        return parked

    async def of_customer(self, customer_id: str) -> list[ParkedLetter]:
        found = self._letters.find({"customer_id": customer_id})
        letters = [parked_letter(doc) async for doc in found]
        return sorted(letters, key=lambda parked: (parked.parked_at, parked.id))

    async def parked_before(self, when: datetime) -> list[ParkedLetter]:
        found = self._letters.find({"parked_at": {"$lt": when}})
        letters = [parked_letter(doc) async for doc in found]
        return sorted(letters, key=lambda parked: parked.parked_at)

    async def discard(self, letter_id: str) -> None:
        await self._letters.delete_one({"_id": letter_id})
