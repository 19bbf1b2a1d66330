"""Questions the read model answers: the open requests (for the deadline job and the
metrics: a scan of ``privacy_requests``, run every minute or so by one replica), and a
customer's requests (one ``_id`` lookup)."""

from __future__ import annotations

from allwan_contracts.privacy import (
    OPEN_STATES,
    PrivacyRequestKind,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_runtime.mongo import Document
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from allwan_privacy.adapters.read_models import CUSTOMERS, REQUESTS
from allwan_privacy.handlers.clock import OpenRequest

_OPEN = sorted(state.value for state in OPEN_STATES)


class RequestQueries:
    """``handlers.clock.DueRequests`` and ``handlers.ports.CustomerRequests``."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._requests = db[REQUESTS]
        self._customers = db[CUSTOMERS]

    async def ensure_indexes(self) -> None:
        """On MongoDB the scan of open requests uses it; FerretDB scans either way."""
        await self._requests.create_index([("state", ASCENDING)], name="by_state")

    async def open_requests(self) -> list[OpenRequest]:
        cursor = self._requests.find(
            {"state": {"$in": _OPEN}},
            projection={
                "kind": 1,
                "state": 1,
                "received_at": 1,
                "deadline": 1,
                "awaiting_confirmation": 1,
            },
        )
        return [
            OpenRequest(
                request_id=document["_id"],
                kind=PrivacyRequestKind(document["kind"]),
                state=State(document["state"]),
                received_at=document["received_at"],
                deadline=document["deadline"],
                awaiting_confirmation=bool(document.get("awaiting_confirmation")),
            )
            async for document in cursor
        ]

    async def request_ids(self, customer_id: str) -> list[str]:
        found = await self._customers.find_one({"_id": customer_id})
        return list(found.get("requests", [])) if found else []
