"""Small records of the privacy service, each written once by an insert against its ``_id``:

- ``privacy_erasure_confirmations`` (``<customer>:<service>``): a service confirmed that a
  customer's erasure left nothing readable in it. Kept for good (the proof names no personal
  data) so that an erasure request that starts after the confirmation still takes it;
- ``privacy_overdue_notices`` (``<request>:<late day>``): a request past due was logged as an
  error on that day of lateness, so that it is logged once a day whichever replica looks.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from allwan_runtime.mongo import Document
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

CONFIRMATIONS = "privacy_erasure_confirmations"
OVERDUE_NOTICES = "privacy_overdue_notices"


class MongoConfirmations:
    """``handlers.ports.Confirmations`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._confirmations: AsyncCollection[Document] = db[CONFIRMATIONS]

    async def remember(self, customer_id: str, service: str, at: datetime) -> None:
        with contextlib.suppress(DuplicateKeyError):  # the first confirmation stands
            await self._confirmations.insert_one(
                {
                    "_id": f"{customer_id}:{service}",
                    "customer_id": customer_id,
                    "service": service,
                    "confirmed_at": at,
                }
            )

    async def of(self, customer_id: str, services: frozenset[str]) -> dict[str, datetime]:
        ordered = sorted(services)
        found = await asyncio.gather(
            *(self._confirmations.find_one({"_id": f"{customer_id}:{s}"}) for s in ordered)
        )
        return {
            service: document["confirmed_at"]
            for service, document in zip(ordered, found, strict=True)
            if document is not None
        }


class MongoOverdueNotices:
    """``handlers.clock.OverdueLog`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._notices: AsyncCollection[Document] = db[OVERDUE_NOTICES]

    async def first_notice(self, request_id: str, day: int) -> bool:
        try:
            await self._notices.insert_one({"_id": f"{request_id}:{day}", "request_id": request_id})
        except DuplicateKeyError:
            return False
        return True
