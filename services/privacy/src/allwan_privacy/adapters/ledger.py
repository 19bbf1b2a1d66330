"""The disclosure ledger in MongoDB (``handlers.ports.Ledger``):

- ``privacy_disclosures``: one document per disclosure (``_id`` = disclosure id), written
  once by an insert: the event as it arrived (JSON, so its instant reads back exactly), its
  customer and its position in the ledger (``domain.disclosures.position``);
- ``privacy_customer_disclosures``: one document per customer (``_id`` = customer id)
  listing the positions of their disclosures, so a page is one ``_id`` lookup plus one per
  entry shown (docs/ARCHITECTURE.md: no scan on a customer's read).

The ledger is the only copy of other services' disclosures (``allwan.disclosures`` keeps 30
days): ``allwan-privacy rebuild`` leaves it alone, and an erasure keeps it (it holds ids,
categories and times, no personal data: the controller's accountability).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from allwan_contracts.disclosures import DataDisclosed
from allwan_runtime.dispatch import TransientError
from allwan_runtime.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_privacy.domain.disclosures import Page, id_at, page, position

DISCLOSURES = "privacy_disclosures"
CUSTOMER_DISCLOSURES = "privacy_customer_disclosures"
_LISTING_ATTEMPTS = 5
_READ_AT_ONCE = 50


class MongoLedger:
    """``handlers.ports.Ledger`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._disclosures: AsyncCollection[Document] = db[DISCLOSURES]
        self._customers: AsyncCollection[Document] = db[CUSTOMER_DISCLOSURES]

    async def keep(self, disclosure: DataDisclosed) -> bool:
        where = position(disclosure.at, disclosure.disclosure_id)
        kept = True
        try:
            await self._disclosures.insert_one(
                {
                    "_id": disclosure.disclosure_id,
                    "customer_id": disclosure.customer_id,
                    "position": where,
                    "event": disclosure.model_dump(mode="json"),
                }
            )
        except DuplicateKeyError:
            kept = False  # a redelivery: still list it, a crash may have come in between
            first = await self._disclosures.find_one({"_id": disclosure.disclosure_id})
            if first is not None:
                where = first["position"]
        await self._list(disclosure.customer_id, where)
        return kept

    async def page(self, customer_id: str, limit: int, cursor: str | None) -> Page:
        return page(await self._positions(customer_id), limit, cursor)

    async def positions(self, customer_id: str) -> list[str]:
        return await self._positions(customer_id)

    async def at(self, positions: Sequence[str]) -> list[DataDisclosed]:
        found: list[DataDisclosed] = []
        for start in range(0, len(positions), _READ_AT_ONCE):
            chunk = positions[start : start + _READ_AT_ONCE]
            documents = await asyncio.gather(
                *(self._disclosures.find_one({"_id": id_at(entry)}) for entry in chunk)
            )
            found.extend(
                DataDisclosed.model_validate(document["event"])
                for document in documents
                if document is not None
            )
        return found

    async def _positions(self, customer_id: str) -> list[str]:
        listed = await self._customers.find_one({"_id": customer_id})
        return list(listed.get("positions", [])) if listed else []

    async def _list(self, customer_id: str, where: str) -> None:
        """Add the position to the customer's list and check it is there: two replicas adding
        disclosures of one customer at once could each rewrite the list without the other's
        (FerretDB updates are not isolated), so the loser adds it again."""
        for _ in range(_LISTING_ATTEMPTS):
            with contextlib.suppress(DuplicateKeyError):  # a concurrent first listing
                await self._customers.update_one(
                    {"_id": customer_id}, {"$addToSet": {"positions": where}}, upsert=True
                )
            if where in await self._positions(customer_id):
                return
        raise TransientError("the customer's ledger keeps losing a concurrent update")
