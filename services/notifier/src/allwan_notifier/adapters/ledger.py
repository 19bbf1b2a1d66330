"""The delivery ledger in MongoDB, insert-only: every state change is an insert.

- ``deliveries``: the claim, ``_id`` = the entry's id (``policy:3:c-42``): who is owed what;
- ``delivery_attempts``: ``<id>#<n>``, inserted just before the n-th SMTP transaction (the
  ``sending`` state); the insert also makes each attempt exclusive: of two workers about to
  make attempt n, one gets ``DuplicateKeyError`` and leaves the message to the other;
- ``delivery_outcomes``: ``_id`` = the entry's id, inserted once: ``sent``, ``failed`` or
  ``skipped``. An entry has at most one outcome, whoever writes it.

Why no updates: an insert against the unique ``_id`` decides a race (one worker gets
``DuplicateKeyError``), where an update is read-modify-write without isolation on FerretDB
(docs/ARCHITECTURE.md, storage rules), and an entry's history stays readable. The send path
does ``_id`` reads and inserts only, and the inserts of concurrent sends go together
(``allwan_runtime.grouped``: one command for the attempts of every fan-out lane); a fan-out
reads its job's documents through one cursor per collection per pass; staff queries scan.
No personal data is kept: the customer id, states, Message-IDs, languages and times.

An entry that leaves ``pending`` (its first attempt, or an outcome without one) is also named
among its customer's (``adapters.customer_emails``), before its state is written: an access
request reads one customer's entries by ``_id`` alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from allwan_runtime.grouped import GroupedInserts
from allwan_runtime.mongo import Document
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from allwan_notifier.adapters.customer_emails import CustomerDeliveries
from allwan_notifier.domain.deliveries import FINAL, Delivery, Kind, State, Tally

DELIVERIES = "deliveries"
ATTEMPTS = "delivery_attempts"
OUTCOMES = "delivery_outcomes"
DUPLICATE_KEY = 11000


def _claim_document(entry: Delivery) -> Document:
    return {
        "_id": entry.id,
        "kind": entry.kind.value,
        "customer_id": entry.customer_id,
        "job": entry.job,
        "queued_at": entry.queued_at,
    }


def _entry(claim: Document, attempt: Document | None, outcome: Document | None) -> Delivery:
    last = outcome or attempt or {}
    attempts = outcome["attempts"] if outcome else attempt["n"] if attempt else 0
    return Delivery(
        id=claim["_id"],
        kind=Kind(claim["kind"]),
        customer_id=claim["customer_id"],
        queued_at=claim["queued_at"],
        job=claim.get("job"),
        state=State(outcome["state"]) if outcome else State.SENDING if attempt else State.PENDING,
        reason=outcome.get("reason") if outcome else None,
        message_id=last.get("message_id"),
        locale=last.get("locale"),
        attempts=int(attempts),
        sending_at=last.get("sending_at"),
        done_at=outcome.get("done_at") if outcome else None,
    )


class MongoLedger:
    def __init__(self, db: AsyncDatabase[Document], batch_size: int = 1000) -> None:
        self._claims: AsyncCollection[Document] = db[DELIVERIES]
        self._attempts: AsyncCollection[Document] = db[ATTEMPTS]
        self._outcomes: AsyncCollection[Document] = db[OUTCOMES]
        self._customers = CustomerDeliveries(db)
        self._batch_size = batch_size
        self._claim_inserts = GroupedInserts(self._claims)
        self._attempt_inserts = GroupedInserts(self._attempts)
        self._outcome_inserts = GroupedInserts(self._outcomes)

    async def ensure_indexes(self) -> None:
        """``job`` indexes for MongoDB; FerretDB scans either way."""
        for collection in (self._claims, self._attempts, self._outcomes):
            await collection.create_index([("job", ASCENDING)], name="job")

    async def claim(self, entry: Delivery) -> bool:
        try:
            await self._claim_inserts.insert_one(_claim_document(entry))
        except DuplicateKeyError:
            return False
        return True

    async def claim_many(self, entries: Sequence[Delivery]) -> int:
        if not entries:
            return 0
        try:
            result = await self._claims.insert_many(
                [_claim_document(entry) for entry in entries], ordered=False
            )
        except BulkWriteError as error:
            details = error.details
            if any(e.get("code") != DUPLICATE_KEY for e in details.get("writeErrors", [])):
                raise
            return int(details.get("nInserted", 0))
        return len(result.inserted_ids)

    async def begin_attempt(self, entry: Delivery) -> bool:
        """Record attempt ``entry.attempts`` (state ``sending``); False if it exists already."""
        if entry.attempts == 1:
            await self._customers.add(entry.customer_id, entry.id)
        try:
            await self._attempt_inserts.insert_one(
                {
                    "_id": f"{entry.id}#{entry.attempts}",
                    "delivery": entry.id,
                    "job": entry.job,
                    "n": entry.attempts,
                    "message_id": entry.message_id,
                    "locale": entry.locale,
                    "sending_at": entry.sending_at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def finish(self, entry: Delivery) -> bool:
        """Record the entry's outcome (a final state); False if it has one already."""
        if entry.state not in FINAL:
            raise ValueError(f"{entry.state.value} is not an outcome")
        if entry.attempts == 0:  # never tried (skipped, unreadable): named here, not before
            await self._customers.add(entry.customer_id, entry.id)
        try:
            await self._outcome_inserts.insert_one(
                {
                    "_id": entry.id,
                    "job": entry.job,
                    "kind": entry.kind.value,
                    "customer_id": entry.customer_id,
                    "state": entry.state.value,
                    "reason": entry.reason,
                    "message_id": entry.message_id,
                    "locale": entry.locale,
                    "attempts": entry.attempts,
                    "sending_at": entry.sending_at,
                    "done_at": entry.done_at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def get(self, delivery_id: str) -> Delivery | None:
        claim = await self._claims.find_one({"_id": delivery_id})
        if claim is None:
            return None
        outcome = await self._outcomes.find_one({"_id": delivery_id})
        if outcome is not None:
            return _entry(claim, None, outcome)
        attempt, n = None, 1
        while (found := await self._attempts.find_one({"_id": f"{delivery_id}#{n}"})) is not None:
            attempt, n = found, n + 1
        return _entry(claim, attempt, None)

    async def of_customer(self, customer_id: str) -> list[Delivery]:
        """Every entry of one customer that left ``pending``: ``_id`` reads only."""
        ids = await self._customers.of(customer_id)
        found = await asyncio.gather(*(self.get(delivery_id) for delivery_id in ids))
        return [entry for entry in found if entry is not None]

    async def name_customers(self) -> int:
        """Name among its customer's every entry that left ``pending`` and is not named yet
        (entries older than the index; ``rebuild``): scans. How many were named."""
        tried = [
            (entry.customer_id, entry.id)
            async for entry in self.scan()
            if entry.state is not State.PENDING
        ]
        return await self._customers.add_missing(tried)

    async def of_job(self, job_id: str) -> AsyncIterator[Delivery]:
        """Every entry of one fan-out: one cursor per collection."""
        outcomes = {doc["_id"]: doc async for doc in self._scan(self._outcomes, job_id)}
        attempts: dict[str, Document] = {}
        async for doc in self._scan(self._attempts, job_id):
            if doc["n"] > attempts.get(doc["delivery"], {"n": 0})["n"]:
                attempts[doc["delivery"]] = doc
        async for claim in self._scan(self._claims, job_id):
            yield _entry(claim, attempts.get(claim["_id"]), outcomes.get(claim["_id"]))

    async def count_job(self, job_id: str) -> int:
        return await self._claims.count_documents({"job": job_id})

    async def entries(
        self, job_id: str, *, state: State | None = None, after: str | None = None, limit: int
    ) -> list[Delivery]:
        """A page of one fan-out's entries in id order, for staff (scans)."""
        page: list[Delivery] = []
        async for entry in self.of_job(job_id):
            if (state is None or entry.state is state) and (after is None or entry.id > after):
                page.append(entry)
        return sorted(page, key=lambda entry: entry.id)[:limit]

    async def tally(self, job_id: str) -> Tally:
        """One fan-out's entries counted from the ledger itself: exact."""
        counts = dict.fromkeys(State, 0)
        async for doc in self._scan(self._outcomes, job_id, {"state": 1}):
            counts[State(doc["state"])] += 1
        return Tally(
            total=await self.count_job(job_id),
            sent=counts[State.SENT],
            failed=counts[State.FAILED],
            skipped=counts[State.SKIPPED],
        )

    async def scan(self) -> AsyncIterator[Delivery]:
        """Every entry, fan-outs and transactional mail alike (audits, tests): a scan."""
        outcomes = {doc["_id"]: doc async for doc in self._outcomes.find({})}
        attempts: dict[str, Document] = {}
        async for doc in self._attempts.find({}):
            if doc["n"] > attempts.get(doc["delivery"], {"n": 0})["n"]:
                attempts[doc["delivery"]] = doc
        async for claim in self._claims.find({}, batch_size=self._batch_size):
            yield _entry(claim, attempts.get(claim["_id"]), outcomes.get(claim["_id"]))

    def _scan(
        self,
        collection: AsyncCollection[Document],
        job_id: str,
        projection: Document | None = None,
    ) -> AsyncIterator[Document]:
        return aiter(collection.find({"job": job_id}, projection, batch_size=self._batch_size))
