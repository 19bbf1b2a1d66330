"""Round trips to MongoDB on the way from an append to Kafka: concurrent appends are written
together, a relay batch costs the same two commands whatever its size, and what the relay
publishes without reading the commits is exactly what they hold."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts import decode
from allwan_contracts.envelope import Envelope
from allwan_runtime.eventstore import EventStore, commit_id, stream_id_of
from allwan_runtime.outbox import OutboxRelay, RelayConfig
from allwan_runtime.settings import RuntimeSettings
from bson import ObjectId
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from tests.integration.harness import grant

pytestmark = pytest.mark.integration
Document = dict[str, Any]


class CommandLog(monitoring.CommandListener):
    """The commands a client sent, as ``(command, collection)``."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        self.commands.append((event.command_name, target if isinstance(target, str) else ""))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class AcknowledgingProducer:
    """Kafka that acknowledges every record at once; keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[Envelope] = []

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Awaitable[Any]:
        assert value is not None
        self.sent.append(decode(value))
        acknowledged = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


@pytest.fixture
async def watched(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> AsyncIterator[tuple[AsyncDatabase[Document], CommandLog]]:
    """The test's database through a client whose commands are logged."""
    log = CommandLog()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url.get_secret_value(),
        tz_aware=True,
        retryWrites=False,
        event_listeners=[log],
    )
    yield client[db.name], log
    await client.close()


def relay_over(
    store: EventStore, db: AsyncDatabase[Document], batch_size: int = 500
) -> tuple[OutboxRelay, list[Envelope]]:
    producer = AcknowledgingProducer()
    config = RelayConfig(owner="itest", batch_size=batch_size)
    relay = OutboxRelay(store, db, producer, lambda _: "unused", config)
    return relay, producer.sent


async def append_histories(store: EventStore, customers: list[str], commits_each: int) -> None:
    for version in range(commits_each):
        for customer in customers:
            await store.append([grant(customer, version + 1)], expected_version=version)


def key_of(customer: str, expected_version: int) -> str:
    return commit_id(stream_id_of(grant(customer, expected_version + 1)), expected_version)


async def keys_in_outbox(db: AsyncDatabase[Document]) -> list[str]:
    return [key for entry in await db["outbox"].find({}).to_list() for key in entry["keys"]]


def versions_by_customer(sent: list[Envelope]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for envelope in sent:
        seen.setdefault(envelope.aggregate_id, []).append(envelope.aggregate_version)
    return seen


async def test_a_batch_is_read_in_one_command_and_marked_published_in_one_more(
    watched: tuple[AsyncDatabase[Document], CommandLog],
) -> None:
    db, log = watched
    store = EventStore(db)
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(40)]
    await append_histories(store, customers, commits_each=3)
    relay, sent = relay_over(store, db)

    log.commands.clear()
    assert await relay.publish_pending() == 120

    # One read of the outbox and one delete of its published entries: no lookup of the commits
    # this process wrote, and no second page of entries.
    assert log.commands == [("find", "outbox"), ("delete", "outbox")]
    assert versions_by_customer(sent) == {customer: [1, 2, 3] for customer in customers}
    assert await db["outbox"].count_documents({}) == 0


async def test_concurrent_appends_are_written_in_one_command_per_collection(
    watched: tuple[AsyncDatabase[Document], CommandLog],
) -> None:
    db, log = watched
    store = EventStore(db)
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(32)]

    versions = await asyncio.gather(
        *(store.append([grant(customer, 1)], expected_version=0) for customer in customers)
    )

    assert versions == [1] * len(customers)
    assert log.commands == [("insert", "outbox"), ("insert", "event_commits")]
    stored = [commit["_id"] for commit in await db["event_commits"].find({}).to_list()]
    assert len(stored) == len(customers)
    named = [key for entry in await db["outbox"].find({}).to_list() for key in entry["keys"]]
    assert sorted(named) == sorted(stored)


async def test_concurrent_appends_are_published_in_stream_order_across_small_batches_and_relays(
    db: AsyncDatabase[Document],
) -> None:
    writer = EventStore(db)
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(12)]
    commits_each = 6

    async def write(owned: list[str]) -> None:
        await append_histories(writer, owned, commits_each)

    writing = asyncio.gather(*(write(customers[i::4]) for i in range(4)))
    sent: list[Envelope] = []
    relays = 0
    async with asyncio.timeout(60):
        while not (writing.done() and await db["outbox"].count_documents({}) == 0):
            # Relays come and go, in the writers' process (commits in memory) or another one.
            store = writer if relays % 2 == 0 else EventStore(db)
            relay, relayed = relay_over(store, db, batch_size=7)
            for _ in range(3):
                await relay.publish_pending()
            sent.extend(relayed)
            relays += 1
    await writing

    for customer, versions in versions_by_customer(sent).items():
        assert list(dict.fromkeys(versions)) == list(range(1, commits_each + 1)), customer
        highest = 0
        for version in versions:  # a commit published again never comes before an earlier one
            assert version <= highest + 1, customer
            highest = max(highest, version)
    assert set(versions_by_customer(sent)) == set(customers)


async def test_a_relay_publishes_the_commits_another_replica_wrote(
    db: AsyncDatabase[Document],
) -> None:
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(5)]
    await append_histories(EventStore(db), customers, commits_each=2)
    relay, sent = relay_over(EventStore(db), db)  # a replica that wrote none of them

    assert await relay.publish_pending() == 10

    stored = [
        Envelope.model_validate(raw)
        for commit in await db["event_commits"].find({}).to_list()
        for raw in commit["events"]
    ]
    assert sorted(sent, key=lambda e: (e.aggregate_id, e.aggregate_version)) == sorted(
        stored, key=lambda e: (e.aggregate_id, e.aggregate_version)
    )
    assert await db["outbox"].count_documents({}) == 0


async def test_commits_beyond_what_the_writer_keeps_in_memory_are_read_and_published(
    db: AsyncDatabase[Document],
) -> None:
    store = EventStore(db, unpublished_in_memory=2)
    customer = f"c-{uuid.uuid4().hex}"
    await append_histories(store, [customer], commits_each=5)
    relay, sent = relay_over(store, db)

    assert await relay.publish_pending() == 5

    assert versions_by_customer(sent) == {customer: [1, 2, 3, 4, 5]}
    assert await db["outbox"].count_documents({}) == 0


async def test_keys_whose_commits_were_never_written_hold_their_streams_until_they_are(
    db: AsyncDatabase[Document],
) -> None:
    store = EventStore(db)
    held, other = f"c-{uuid.uuid4().hex}", f"c-{uuid.uuid4().hex}"
    await append_histories(store, [held, other], commits_each=1)
    # A writer that died after its outbox entry, before its commits (version 2 of both).
    dead_writers_keys = [key_of(held, 1), key_of(other, 1)]
    await db["outbox"].insert_one(
        {"_id": ObjectId(), "keys": dead_writers_keys, "at": datetime.now(UTC)}
    )
    # Another writer commits under one of those keys.
    await store.append([grant(other, 2)], expected_version=1)
    relay, sent = relay_over(store, db)

    assert await relay.publish_pending() == 3
    assert versions_by_customer(sent) == {held: [1], other: [1, 2]}
    # Kept for the key still without a commit: its writer may still be writing it.
    assert await keys_in_outbox(db) == [key_of(held, 1)]

    assert await relay.publish_pending() == 0
    await store.append([grant(held, 2)], expected_version=1)
    assert await relay.publish_pending() == 1
    assert versions_by_customer(sent) == {held: [1, 2], other: [1, 2]}
    assert await db["outbox"].count_documents({}) == 0


async def test_a_key_without_a_commit_long_after_its_entry_was_written_is_dropped(
    db: AsyncDatabase[Document],
) -> None:
    store = EventStore(db)
    customer = f"c-{uuid.uuid4().hex}"
    await append_histories(store, [customer], commits_each=1)
    await db["outbox"].insert_one(
        {
            "_id": ObjectId(),
            "keys": [key_of(customer, 1)],
            "at": datetime.now(UTC) - timedelta(hours=2),
        }
    )
    relay, sent = relay_over(store, db)

    assert await relay.publish_pending() == 1
    assert await db["outbox"].count_documents({}) == 0
    await store.append([grant(customer, 2)], expected_version=1)
    assert await relay.publish_pending() == 1
    assert versions_by_customer(sent) == {customer: [1, 2]}


async def test_a_key_named_again_by_a_writer_still_writing_it_is_not_dropped_as_abandoned(
    db: AsyncDatabase[Document],
) -> None:
    store = EventStore(db)
    customer = f"c-{uuid.uuid4().hex}"
    await append_histories(store, [customer], commits_each=1)
    key = key_of(customer, 1)
    # Version 2's first writer died two hours ago; a second one has just written its entry.
    for written in (datetime.now(UTC) - timedelta(hours=2), datetime.now(UTC)):
        await db["outbox"].insert_one({"_id": ObjectId(), "keys": [key], "at": written})
    relay, sent = relay_over(store, db)

    assert await relay.publish_pending() == 1
    assert key in await keys_in_outbox(db)

    # The second writer's commit lands.
    event = grant(customer, 2)
    await db["event_commits"].insert_one(
        {
            "_id": key,
            "stream_id": stream_id_of(event),
            "expected_version": 1,
            "version": 2,
            "events": [event.model_dump(mode="json")],
            "committed_at": datetime.now(UTC),
            "trace": {},
        }
    )
    assert await relay.publish_pending() == 1
    assert versions_by_customer(sent) == {customer: [1, 2]}
    assert await db["outbox"].count_documents({}) == 0


async def test_an_outbox_written_before_appends_were_grouped_is_published_in_order(
    db: AsyncDatabase[Document],
) -> None:
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(4)]
    await append_histories(EventStore(db), customers, commits_each=3)
    # The earlier format: one entry per commit, under the commit's own _id, in commit order;
    # the newest commits of each stream are named by entries of today's format.
    await db["outbox"].delete_many({})
    commits = db["event_commits"].find({}).sort([("version", 1), ("stream_id", 1)])
    for commit in await commits.to_list():
        if commit["version"] < 3:
            entry = {"_id": commit["_id"], "stream_id": commit["stream_id"]}
        else:
            entry = {"_id": ObjectId(), "keys": [commit["_id"]]}
        await db["outbox"].insert_one({**entry, "at": commit["committed_at"]})
    relay, sent = relay_over(EventStore(db), db)  # upgraded, with nothing in memory

    assert await relay.publish_pending() == 12

    assert versions_by_customer(sent) == {customer: [1, 2, 3] for customer in customers}
    assert await db["outbox"].count_documents({}) == 0


async def test_only_the_winner_of_a_race_for_a_commit_is_published(
    db: AsyncDatabase[Document],
) -> None:
    customer = f"c-{uuid.uuid4().hex}"
    replicas = [EventStore(db) for _ in range(4)]
    rivals = [grant(customer, 1) for _ in replicas]
    outcomes = await asyncio.gather(
        *(
            store.append([event], expected_version=0)
            for store, event in zip(replicas, rivals, strict=True)
        ),
        return_exceptions=True,
    )
    assert outcomes.count(1) == 1
    winner = rivals[outcomes.index(1)]
    key = commit_id(stream_id_of(winner), 0)

    # Whichever replica holds the lease, losers included, publishes the winner's event.
    for store in replicas:
        relay, sent = relay_over(store, db)
        assert await relay.publish_pending() == 1
        assert [envelope.event_id for envelope in sent] == [winner.event_id]
        # As if that relay died before deleting the entry: the next one publishes it again.
        await db["outbox"].insert_one(
            {"_id": key, "stream_id": stream_id_of(winner), "at": datetime.now(UTC)}
        )
