"""Which privacy-policy version is in force (PC1), for placing orders under it (K1)."""

from __future__ import annotations

from allwan_runtime.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

POLICY_VERSIONS = "policy_versions"
FIRST_VERSION = 1


class PolicyVersions:
    """The newest published version of each policy; version 1 until one is published.

    ``$max`` makes it idempotent and indifferent to redelivery or order. Not rebuilt with the
    read models: it comes from the policies topic, not from this service's event store.
    """

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.versions = db[POLICY_VERSIONS]

    async def record(self, policy_id: str, version: int) -> None:
        update = {"$max": {"version": version}}
        try:
            await self.versions.update_one({"_id": policy_id}, update, upsert=True)
        except DuplicateKeyError:
            await self.versions.update_one({"_id": policy_id}, update)

    async def in_force(self) -> int:
        doc = await self.versions.find_one({"_id": "privacy"})
        return int(doc["version"]) if doc else FIRST_VERSION
