"""The gateway's collections in its own MongoDB database, by ``_id`` (and staff's scans)."""

from __future__ import annotations

from allwan_runtime.customer_lists import MongoListStore
from allwan_runtime.mongo import Document
from allwan_runtime.projection import apply_once
from pymongo.errors import DuplicateKeyError


class MongoDocuments(MongoListStore):
    """``handlers.ports.Documents`` on MongoDB or FerretDB: every read is an ``_id`` lookup
    (the one fast path on both), but ``scan`` and ``page`` (staff's queries), every claim an
    insert against the unique ``_id``. ``get``, ``get_many`` and ``insert_in_order`` are the
    runtime's (``customer_lists.MongoListStore``)."""

    async def apply_once(
        self, collection: str, doc_id: str, version: int, fields: Document
    ) -> bool:
        return await apply_once(self._db[collection], doc_id, version, {"$set": fields})

    async def scan(self, collection: str) -> list[Document]:
        return await self._db[collection].find({}).to_list()

    async def page(
        self, collection: str, where: Document, *, before: str | None, limit: int
    ) -> list[Document]:
        if "_id" in where:
            raise ValueError("a page is bounded by ``before``, not by an _id condition")
        query = where if before is None else {**where, "_id": {"$lt": before}}
        found = self._db[collection].find(query).sort("_id", -1).limit(limit)
        return await found.to_list()

    async def insert(self, collection: str, document: Document) -> bool:
        try:
            await self._db[collection].insert_one(document)
        except DuplicateKeyError:
            return False
        return True
