"""The ledger, the lease and the address book on the real MongoDB/FerretDB: claims are
inserts that exactly one writer wins; the lease has one holder; erasure takes and keeps."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts import Sealed
from allwan_devstack import Endpoints
from allwan_notifier.adapters.address_book import MongoAddressBook
from allwan_notifier.adapters.ledger import MongoLedger
from allwan_notifier.domain.deliveries import Delivery, Kind, State
from allwan_notifier.domain.recipients import Address
from allwan_runtime.lease import SlotLease
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SEALED = Sealed(alg="A256GCM", kid="c-1", iv="AAAAAAAAAAAAAAAA", ct="A" * 22 + "AA")


@pytest.fixture
async def db(servers: Endpoints) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongo_url, tz_aware=True, retryWrites=False
    )
    name = f"notifier_store_{uuid.uuid4().hex[:10]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


def entry(customer: str, job: str = "policy:3") -> Delivery:
    return Delivery(
        id=f"{job}:{customer}", kind=Kind.POLICY, customer_id=customer, queued_at=NOW, job=job
    )


async def test_pc2_of_many_concurrent_claims_of_one_message_exactly_one_wins(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    ledger = MongoLedger(db)

    wins = await asyncio.gather(*(ledger.claim(entry("c-1")) for _ in range(20)))

    assert wins.count(True) == 1


async def test_pc2_claiming_an_audience_twice_adds_only_the_newcomers(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    ledger = MongoLedger(db)
    await ledger.ensure_indexes()

    first = await ledger.claim_many([entry(f"c-{n}") for n in range(5)])
    again = await ledger.claim_many([entry(f"c-{n}") for n in range(8)])

    assert (first, again) == (5, 3)
    assert await ledger.count_job("policy:3") == 8


async def test_pc2_the_ledger_counts_and_pages_one_version_exactly(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    ledger = MongoLedger(db)
    await ledger.claim_many([entry(f"c-{n}") for n in range(6)] + [entry("c-0", "policy:4")])
    for n in range(3):
        sending = entry(f"c-{n}").moved(State.SENDING, message_id=f"<m{n}>", attempts=1)
        assert await ledger.begin_attempt(sending)
        await ledger.finish(sending.moved(State.SENT, done_at=NOW + timedelta(seconds=n)))
    await ledger.finish(entry("c-3").moved(State.SKIPPED, reason="erased"))
    await ledger.begin_attempt(entry("c-4").moved(State.SENDING, message_id="<m4>", attempts=1))

    tally = await ledger.tally("policy:3")
    first = await ledger.entries("policy:3", limit=4)
    rest = await ledger.entries("policy:3", after=first[-1].id, limit=4)
    sent = await ledger.entries("policy:3", state=State.SENT, limit=10)

    assert tally.as_dict() == {"total": 6, "sent": 3, "pending": 2, "failed": 0, "skipped": 1}
    assert [e.customer_id for e in first + rest] == [f"c-{n}" for n in range(6)]
    assert [e.message_id for e in sent] == ["<m0>", "<m1>", "<m2>"]
    assert (await ledger.get("policy:3:c-2")) == sent[2]
    in_flight = await ledger.get("policy:3:c-4")
    assert in_flight is not None
    assert (in_flight.state, in_flight.attempts, in_flight.message_id) == (
        State.SENDING,
        1,
        "<m4>",
    )


async def test_pc2_each_attempt_and_each_outcome_is_written_once(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    ledger = MongoLedger(db)
    await ledger.claim(entry("c-1"))
    first = entry("c-1").moved(State.SENDING, message_id="<m>", attempts=1)

    attempts = await asyncio.gather(*(ledger.begin_attempt(first) for _ in range(10)))
    sent = first.moved(State.SENT, done_at=NOW)
    outcomes = await asyncio.gather(*(ledger.finish(sent) for _ in range(10)))

    assert attempts.count(True) == 1  # two workers at one attempt: one sends
    assert outcomes.count(True) == 1
    assert (await ledger.get("policy:3:c-1")) == sent


async def test_the_fanout_lease_has_one_holder_until_it_lapses_or_is_released(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    clock = [1000.0]
    first = SlotLease(db, "fanout", "first", lease_s=10, clock=lambda: clock[0])
    second = SlotLease(db, "fanout", "second", lease_s=10, clock=lambda: clock[0])

    assert await first.hold()
    assert not await second.hold()
    clock[0] = 1009.0  # late in the slot: the holder claims the next one early
    assert await first.hold()
    clock[0] = 1012.0
    assert not await second.hold()  # the holder's early claim keeps it
    clock[0] = 1031.0  # the holder died: nobody renewed, its slots lapse
    assert await second.hold()
    await second.release()
    assert await first.hold()


async def test_an_erased_customers_address_is_redacted_and_takes_no_new_one(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    book = MongoAddressBook(db)
    await book.remember("c-1", Address(SEALED, "en"), NOW)

    await book.erase("c-1", version=3)
    await book.remember("c-1", Address(SEALED, "en"), NOW + timedelta(days=1))

    recipient = await book.recipient("c-1")
    assert recipient.erased
    assert recipient.address is None
    assert [c async for c in book.relationships()] == []
    stored = await db["address_book"].find_one({"_id": "c-1"})
    assert stored is not None
    assert "email" not in stored
    assert "locale" not in stored
