"""The outbox relay on real Kafka and a real MongoDB-protocol server."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from allwan_contracts import ConsentGranted, decode
from allwan_contracts.topics import CONSENT
from allwan_runtime.eventstore import EventStore
from allwan_runtime.settings import RuntimeSettings
from pymongo.asynchronous.database import AsyncDatabase

from tests.integration.conftest import read_topic
from tests.integration.harness import (
    CountingProjection,
    grant,
    outbox_drained,
    prepare_topics,
    running_consumer,
    running_relay,
    topic,
)
from tests.waiting import eventually

pytestmark = pytest.mark.integration
Document = dict[str, Any]

# Stores one event, then hangs inside the relay's publish path, where the parent kills it.
CRASHING_WRITER = """
import asyncio, sys
from allwan_runtime.eventstore import EventStore
from allwan_runtime.kafka import idempotent_producer
from allwan_runtime.outbox import OutboxRelay, RelayConfig
from pymongo import AsyncMongoClient
from tests.integration.harness import grant

async def main(url, db_name, bootstrap, customer):
    db = AsyncMongoClient(url, tz_aware=True, retryWrites=False)[db_name]
    store = EventStore(db)
    await store.ensure_indexes()
    await store.append([grant(customer, 1)], expected_version=0)
    producer = idempotent_producer(bootstrap, "crashing-writer")
    await producer.start()

    def stuck_topic_for(envelope):
        print("stored", flush=True)
        import time
        time.sleep(3600)

    relay = OutboxRelay(store, db, producer, stuck_topic_for, RelayConfig(owner="doomed"))
    await relay.publish_pending()

asyncio.run(main(*sys.argv[1:]))
"""


async def test_event_stored_by_a_killed_process_is_published_after_restart_and_applied_once(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> None:
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    customer = f"c-{uuid.uuid4().hex}"
    writer = subprocess.Popen(  # noqa: ASYNC220 - a child we must SIGKILL at a precise point
        [
            sys.executable,
            "-c",
            CRASHING_WRITER,
            settings.mongo_url.get_secret_value(),
            settings.database_name,
            settings.kafka_bootstrap,
            customer,
        ],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert writer.stdout is not None
    line = await asyncio.to_thread(writer.stdout.readline)
    assert line.strip() == b"stored"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    assert await db["event_commits"].count_documents({}) == 1
    assert await db["outbox"].count_documents({}) == 1  # stored, never published

    store = EventStore(db)
    projection = CountingProjection(db)
    async with (
        running_consumer(settings, group, {ConsentGranted: projection}),
        running_relay(settings, store, db),
    ):

        async def applied() -> bool:
            return await projection.collection.find_one({"_id": customer}) is not None

        await eventually(applied)
        # The relay deletes the entry after Kafka's acknowledgement, which the consumer need
        # not wait for: the entry may still be there, and the same _id cannot go in twice.
        await outbox_drained(db)
        # A relay that died after the publish but before deleting the entry publishes again.
        commit = await db["event_commits"].find_one({})
        assert commit is not None
        await db["outbox"].insert_one(
            {"_id": commit["_id"], "stream_id": commit["stream_id"], "at": commit["committed_at"]}
        )

        async def redelivered() -> bool:
            return projection.arrivals.get(customer, [])[:2] == [1, 1]

        await eventually(redelivered)

    document = await projection.collection.find_one({"_id": customer})
    assert document is not None
    assert document["grants"] == 1
    assert await db["outbox"].count_documents({}) == 0


async def test_per_aggregate_order_holds_across_relay_restarts(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> None:
    await prepare_topics(settings, "unused")
    store = EventStore(db)
    await store.ensure_indexes()
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(6)]
    versions = dict.fromkeys(customers, 0)
    rng = random.Random(7)
    for _ in range(120):
        customer = rng.choice(customers)
        size = rng.choice([1, 1, 2, 3])
        events = [grant(customer, versions[customer] + i) for i in range(1, size + 1)]
        versions[customer] = await store.append(events, expected_version=versions[customer])

    commits = db["event_commits"]
    for restart in range(6):
        async with running_relay(settings, store, db, owner=f"relay-{restart}", batch_size=7):
            await asyncio.sleep(rng.uniform(0.05, 0.3))
        if restart % 2:
            # As if the relay died between the publish and the delete of some entries.
            pending = {e["_id"] for e in await db["outbox"].find({}).to_list()}
            published = [c for c in await commits.find({}).to_list() if c["_id"] not in pending]
            for commit in rng.sample(published, min(5, len(published))):
                await db["outbox"].insert_one(
                    {
                        "_id": commit["_id"],
                        "stream_id": commit["stream_id"],
                        "at": commit["committed_at"],
                    }
                )
    async with running_relay(settings, store, db):

        async def drained() -> bool:
            return await db["outbox"].count_documents({}) == 0

        await eventually(drained)

    wanted = set(customers)
    total = sum(versions.values())

    def complete(records: list[Any]) -> bool:
        return (
            len(
                {
                    (r.key, decode(r.value).aggregate_version)
                    for r in records
                    if r.key.decode() in wanted
                }
            )
            >= total
        )

    records = await read_topic(settings.kafka_bootstrap, topic(settings, CONSENT.name), complete)
    seen: dict[str, list[int]] = {c: [] for c in customers}
    for record in records:
        customer = record.key.decode()
        if customer in wanted:
            seen[customer].append(decode(record.value).aggregate_version)
    for customer in customers:
        first_seen = list(dict.fromkeys(seen[customer]))
        assert first_seen == list(range(1, versions[customer] + 1)), customer
        # A republished commit may repeat versions, but never goes back before them.
        highest = 0
        for version in seen[customer]:
            assert version <= highest + 1
            highest = max(highest, version)


async def test_only_one_of_several_relays_holds_the_lease_at_a_time(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> None:
    from allwan_runtime.outbox import OutboxRelay, RelayConfig
    from allwan_runtime.service import topic_for

    store = EventStore(db)

    class NoProducer:
        async def send(self, *args: object, **kwargs: object) -> Any:
            raise AssertionError("not used")

    lease_s = 30
    relays = [
        OutboxRelay(store, db, NoProducer(), topic_for, RelayConfig(owner=f"r{i}", lease_s=lease_s))
        for i in range(8)
    ]
    # The lease is a slot of wall-clock time: relays that asked on both sides of a slot's end
    # would each hold a different slot. Ask well inside one slot.
    await inside_one_slot(lease_s)
    holders = await asyncio.gather(*(relay._lease.hold() for relay in relays))
    assert sum(holders) == 1
    winner = relays[holders.index(True)]
    assert await winner._lease.hold() is True  # the owner keeps its slot
    await winner.release()
    await inside_one_slot(lease_s)
    again = await asyncio.gather(*(relay._lease.hold() for relay in relays if relay is not winner))
    assert sum(again) == 1  # released: another replica takes over at once


async def inside_one_slot(lease_s: float, margin_s: float = 10.0) -> None:
    """Return at a moment with at least ``margin_s`` left in the current lease slot."""
    left = lease_s - time.time() % lease_s
    if left < margin_s:
        await asyncio.sleep(left + 0.05)
