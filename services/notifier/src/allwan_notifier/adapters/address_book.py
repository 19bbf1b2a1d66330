"""The address book in MongoDB: ``address_book`` (sealed email, language) and ``consents``
(per purpose, from the consent ledger), both keyed by customer id.

Two collections, not one: orders and the consent service write about one customer from
different partitions at once, and on FerretDB two updates of one document can lose one of
them. Each collection has one ordering rule: the address takes the newest event
(``apply_if_newer``), consents apply each ledger version once (``apply_once``). An erased
customer's address takes nothing new; even where a race let one in, the key store opens it
as ``ERASED`` and nothing is sent.

On FerretDB an update by ``_id`` scans the collection, an insert or a read by ``_id`` does
not: a customer's first record is therefore inserted, and a redelivered or older event is
recognised by a read; only a real change (a newer order, a consent changed) updates.

``consents.marketing`` indexes the marketing audience: it holds the domain's answer
(``MarketingConsent.allows_marketing``, K2) as of the last event, never a rule of its own; the
fan-out asks the domain again just before each message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from allwan_contracts import Sealed
from allwan_runtime.mongo import Document
from allwan_runtime.newest import APPLIED_AT_FIELD as APPLIED_AT
from allwan_runtime.newest import apply_if_newer
from allwan_runtime.projection import VERSION_FIELD as VERSION
from allwan_runtime.projection import apply_once
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_notifier.domain.recipients import Address, ConsentStatus, MarketingConsent, Recipient

ADDRESSES = "address_book"
CONSENTS = "consents"
MARKETING = "marketing"
_NOT_ERASED = {"erased": {"$ne": True}}
_ERASED = {"erased": True, MARKETING: MarketingConsent(erased=True).allows_marketing()}


class MongoAddressBook:
    def __init__(self, db: AsyncDatabase[Document], batch_size: int = 1000) -> None:
        self._addresses: AsyncCollection[Document] = db[ADDRESSES]
        self._consents: AsyncCollection[Document] = db[CONSENTS]
        self._batch_size = batch_size

    async def ensure_indexes(self) -> None:
        """The marketing audience's index (MongoDB uses it; FerretDB scans either way)."""
        await self._consents.create_index([(MARKETING, ASCENDING)], name=MARKETING)

    async def remember(self, customer_id: str, address: Address, at: datetime) -> None:
        update: Document = {"email": address.email.model_dump(mode="json")}
        if address.locale is not None:
            update["locale"] = address.locale
        known = await _first_or_known(self._addresses, customer_id, {**update, APPLIED_AT: at})
        if known is None or known.get("erased") or known.get(APPLIED_AT, at) >= at:
            return
        await apply_if_newer(
            self._addresses, customer_id, at, {"$set": update}, unless={"erased": True}
        )

    async def record_consent(
        self, customer_id: str, purpose: str, status: ConsentStatus, version: int
    ) -> None:
        first: Document = {"purposes": {purpose: status.value}, VERSION: version}
        if purpose == MARKETING:
            first[MARKETING] = MarketingConsent(status).allows_marketing()
        known = await _first_or_known(self._consents, customer_id, first)
        if known is None or known.get(VERSION, 0) >= version:
            return
        update: Document = {f"purposes.{purpose}": status.value}
        if purpose == MARKETING:
            consent = MarketingConsent(status, erased=bool(known.get("erased")))
            update[MARKETING] = consent.allows_marketing()
        await apply_once(self._consents, customer_id, version, {"$set": update})

    async def erase(self, customer_id: str, version: int) -> None:
        await apply_once(self._consents, customer_id, version, {"$set": _ERASED})
        await self.redact(customer_id)

    async def redact(self, customer_id: str) -> None:
        update = {"$set": {"erased": True}, "$unset": {"email": "", "locale": ""}}
        try:
            await self._addresses.update_one({"_id": customer_id}, update, upsert=True)
        except DuplicateKeyError:  # created concurrently: now it exists
            await self._addresses.update_one({"_id": customer_id}, update)
        await self._consents.update_one({"_id": customer_id}, {"$set": _ERASED})

    async def recipient(self, customer_id: str) -> Recipient:
        doc = await self._addresses.find_one({"_id": customer_id})
        if doc is None:
            consent = await self._consents.find_one({"_id": customer_id}, {"erased": 1})
            return Recipient(customer_id, None, erased=bool(consent and consent.get("erased")))
        address = None
        if "email" in doc:
            address = Address(Sealed.model_validate(doc["email"]), doc.get("locale"))
        return Recipient(customer_id, address, erased=bool(doc.get("erased")))

    async def marketing_consent(self, customer_id: str) -> MarketingConsent:
        doc = await self._consents.find_one({"_id": customer_id})
        if doc is None:
            return MarketingConsent()
        raw = doc.get("purposes", {}).get(MARKETING)
        return MarketingConsent(
            None if raw is None else ConsentStatus(raw), erased=bool(doc.get("erased"))
        )

    async def relationships(self) -> AsyncIterator[str]:
        """Customers with an address, then those known only by their consents: one cursor
        each; a customer in both comes twice (the ledger's claim keeps one)."""
        for collection in (self._addresses, self._consents):
            cursor = collection.find(_NOT_ERASED, {"_id": 1}, batch_size=self._batch_size)
            async for doc in cursor:
                yield doc["_id"]

    async def marketing_audience(self) -> AsyncIterator[str]:
        # The erasure flag too: a consent update racing an erasure could leave the index true.
        cursor = self._consents.find(
            {MARKETING: True, **_NOT_ERASED}, {"_id": 1}, batch_size=self._batch_size
        )
        async for doc in cursor:
            yield doc["_id"]

    async def customers(self) -> AsyncIterator[str]:
        """Every customer the address book has a record of, erased or not (``rebuild``)."""
        async for doc in self._addresses.find({}, {"_id": 1}, batch_size=self._batch_size):
            yield doc["_id"]


async def _first_or_known(
    collection: AsyncCollection[Document], doc_id: str, first: Document
) -> Document | None:
    """Insert ``first`` as the document if there is none (None then), or the one there is."""
    known = await collection.find_one({"_id": doc_id})
    if known is None:
        try:
            await collection.insert_one({"_id": doc_id, **first})
        except DuplicateKeyError:  # inserted concurrently: compare with that one
            return await collection.find_one({"_id": doc_id})
        return None
    return known
