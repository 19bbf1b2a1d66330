"""Which privacy-policy version is in force (PC1), for placing orders under it (K1)."""

from __future__ import annotations

from typing import Any, ClassVar

from allwan_contracts import PolicyChanged
from allwan_contracts.envelope import Envelope
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]
POLICY_VERSIONS = "policy_versions"
FIRST_VERSION = 1


class PolicyVersions:
    """The newest published version of each policy; version 1 until one is published.

    ``$max`` makes it idempotent and indifferent to redelivery or order.
    """

    name: ClassVar[str] = "policy_versions"
    collections: ClassVar[tuple[str, ...]] = (POLICY_VERSIONS,)

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.versions = db[POLICY_VERSIONS]

    async def __call__(self, envelope: Envelope, event: PolicyChanged) -> None:
        update = {"$max": {"version": event.version}}
        try:
            await self.versions.update_one({"_id": event.policy_id}, update, upsert=True)
        except DuplicateKeyError:
            await self.versions.update_one({"_id": event.policy_id}, update)

    async def in_force(self) -> int:
        doc = await self.versions.find_one({"_id": "privacy"})
        return int(doc["version"]) if doc else FIRST_VERSION
