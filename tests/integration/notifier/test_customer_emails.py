"""PDPL access on the real MongoDB/FerretDB: one customer's ledger entries are found by ``_id``
reads alone, none is lost to writers racing for a slot, and ``rebuild`` names older entries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_devstack import Endpoints
from allwan_notifier.adapters.customer_emails import CUSTOMER_DELIVERIES, CustomerDeliveries
from allwan_notifier.adapters.ledger import DELIVERIES, OUTCOMES, MongoLedger
from allwan_notifier.domain.deliveries import Delivery, Kind, State
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def db(servers: Endpoints) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongo_url, tz_aware=True, retryWrites=False
    )
    name = f"notifier_emails_{uuid.uuid4().hex[:10]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


def receipt(customer: str, order: str) -> Delivery:
    return Delivery(id=f"receipt:{order}", kind=Kind.RECEIPT, customer_id=customer, queued_at=NOW)


async def test_pdpl_writers_racing_for_a_customers_slots_lose_no_entry(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    index = CustomerDeliveries(db)
    ids = [f"receipt:ord-{n}" for n in range(30)]

    await asyncio.gather(*(index.add("c-1", delivery) for delivery in ids))

    assert sorted(await index.of("c-1")) == sorted(ids)
    slots = await db[CUSTOMER_DELIVERIES].count_documents({})
    assert slots == 30  # one slot each: 1..30, no gap for a reader to stop at


async def test_pdpl_a_customers_entries_are_those_that_left_pending_and_only_theirs(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    ledger = MongoLedger(db)
    sent, skipped, owed = receipt("c-1", "a"), receipt("c-1", "b"), receipt("c-1", "c")
    theirs = receipt("c-2", "d")
    for entry in (sent, skipped, owed, theirs):
        await ledger.claim(entry)
    for entry in (sent, theirs):
        sending = entry.moved(State.SENDING, attempts=1, sending_at=NOW, locale="en")
        await ledger.begin_attempt(sending)
        await ledger.finish(sending.moved(State.SENT, done_at=NOW))
    await ledger.finish(skipped.moved(State.SKIPPED, reason="no_address", done_at=NOW))

    found = {entry.id: entry.state for entry in await ledger.of_customer("c-1")}

    assert found == {sent.id: State.SENT, skipped.id: State.SKIPPED}


async def test_pdpl_rebuild_names_entries_older_than_the_index_once(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    # Entries as the ledger wrote them before customers' entries were named.
    for order in ("a", "b"):
        await db[DELIVERIES].insert_one(
            {
                "_id": f"receipt:{order}",
                "kind": "receipt",
                "customer_id": "c-1",
                "job": None,
                "queued_at": NOW,
            }
        )
    await db[OUTCOMES].insert_one(
        {
            "_id": "receipt:a",
            "job": None,
            "kind": "receipt",
            "customer_id": "c-1",
            "state": "sent",
            "reason": None,
            "message_id": "<receipt.a@x>",
            "locale": "en",
            "attempts": 1,
            "sending_at": NOW,
            "done_at": NOW,
        }
    )
    ledger = MongoLedger(db)

    named = await ledger.name_customers()
    again = await ledger.name_customers()

    assert (named, again) == (1, 0)  # receipt:b was never tried
    assert [entry.id for entry in await ledger.of_customer("c-1")] == ["receipt:a"]
