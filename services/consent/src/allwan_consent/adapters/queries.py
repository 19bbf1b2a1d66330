"""Questions the read models answer, for the gateway's API and the notifier's audience."""

from __future__ import annotations

from allwan_contracts import ConsentPurpose
from allwan_runtime.mongo import Document
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from allwan_consent.adapters.read_models import CONSENTS, HISTORY, POLICY_VERSIONS
from allwan_consent.domain.consents import CustomerConsents
from allwan_consent.domain.policy import PRIVACY
from allwan_consent.domain.purposes import PurposeState, PurposeStatus


def _state(raw: Document) -> PurposeState:
    return PurposeState(
        PurposeStatus(raw["status"]), raw["policy_version"], raw.get("reconfirm_for")
    )


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Indexes the queries below rely on; safe to call at every start."""
    await db[CONSENTS].create_index([("marketing", ASCENDING)], name="marketing")
    await db[HISTORY].create_index(
        [("customer_id", ASCENDING), ("version", ASCENDING)], name="by_customer"
    )
    await db[POLICY_VERSIONS].create_index(
        [("published", ASCENDING), ("version", DESCENDING)], name="published"
    )


class ConsentQueries:
    """The consent read models, as the domain's ``CustomerConsents`` and proof documents."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._consents = db[CONSENTS]
        self._history = db[HISTORY]

    async def current(self, customer_id: str) -> CustomerConsents:
        """The customer's consents now; none at all for a customer the ledger never saw."""
        found = await self._consents.find_one({"_id": customer_id})
        if found is None:
            return CustomerConsents(customer_id)
        purposes = {
            ConsentPurpose(name): _state(raw) for name, raw in found.get("purposes", {}).items()
        }
        return CustomerConsents(customer_id, purposes, erased=found.get("erased", False))

    async def history(self, customer_id: str) -> list[Document]:
        """Every grant, withdrawal, suspension and the erasure, oldest first: the proof."""
        cursor = self._history.find({"customer_id": customer_id}, projection={"_id": 0, "_v": 0})
        return await cursor.sort("version", ASCENDING).to_list()

    async def marketing_audience(self) -> list[str]:
        """Customers who may receive marketing now (K2): granted, not suspended, not erased."""
        cursor = self._consents.find(
            {"marketing": True, "erased": {"$ne": True}}, projection={"_id": 1}
        )
        return sorted([document["_id"] async for document in cursor])

    async def may_record_browsing(self, customer_id: str) -> bool:
        """C2: whether browsing data may be recorded for the customer now."""
        return (await self.current(customer_id)).may_record_browsing()

    async def awaiting_reconfirmation(self, purpose: ConsentPurpose) -> list[str]:
        """Customers whose consent to ``purpose`` waits to be confirmed under new terms."""
        status = PurposeStatus.RECONFIRMATION_REQUIRED.value
        cursor = self._consents.find(
            {f"purposes.{purpose.value}.status": status, "erased": {"$ne": True}},
            projection={"_id": 1},
        )
        return sorted([document["_id"] async for document in cursor])


class PolicyQueries:
    """The published policy versions (PC1)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._versions = db[POLICY_VERSIONS]

    async def current(self) -> Document | None:
        """The version in force: the newest published one, with both texts (PC1)."""
        return await self._versions.find_one(
            {"policy_id": PRIVACY, "published": True},
            projection={"_id": 0, "_v": 0},
            sort=[("version", DESCENDING)],
        )

    async def history(self) -> list[Document]:
        """Every published version, oldest first."""
        cursor = self._versions.find(
            {"policy_id": PRIVACY, "published": True}, projection={"_id": 0, "_v": 0}
        )
        return await cursor.sort("version", ASCENDING).to_list()
