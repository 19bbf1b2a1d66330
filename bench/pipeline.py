"""Events per second through append + outbox relay + consumer, against raw aiokafka.

Both sides move the same encoded envelopes through the same broker, into fresh topics with
the same partition count, and count them at a consumer. The raw side only produces
(acks=all, idempotent) and consumes; allwan's side stores each event as its own command in the
event store, relays it, and hands it to a handler through the dispatcher.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from allwan_contracts import ConsentEvidence, ConsentGranted, ConsentPurpose, encode, new_envelope
from allwan_contracts.envelope import Envelope
from allwan_contracts.fields import Channel
from allwan_devstack import Endpoints
from allwan_runtime.consumer import subscribe
from allwan_runtime.dispatch import Dispatcher
from allwan_runtime.eventstore import EventStore
from allwan_runtime.kafka import idempotent_producer
from allwan_runtime.outbox import OutboxRelay, RelayConfig
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

PARTITIONS = 6


def envelopes(count: int, customers: int) -> list[Envelope]:
    versions: dict[str, int] = {}
    out = []
    for n in range(count):
        customer = f"bench-{n % customers}"
        versions[customer] = versions.get(customer, 0) + 1
        event = ConsentGranted(
            customer_id=customer,
            purpose=ConsentPurpose.MARKETING,
            channel=Channel.WEB,
            policy_version=1,
            recorded_by="customer",
            evidence=ConsentEvidence(user_agent_hmac="ab" * 32),
        )
        out.append(
            new_envelope(
                event,
                aggregate_version=versions[customer],
                producer="bench",
                correlation_id=uuid.uuid4(),
            )
        )
    return out


async def create_topics(bootstrap: str, *names: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1) for name in names])
    finally:
        await admin.close()


async def raw(bootstrap: str, topic: str, events: list[Envelope]) -> float:
    """Seconds for raw aiokafka to produce and consume every event."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    producer = idempotent_producer(bootstrap, "bench-raw")
    await producer.start()
    started = time.perf_counter()

    async def produce() -> None:
        futures = [
            await producer.send(topic, encode(e), key=e.aggregate_id.encode()) for e in events
        ]
        await asyncio.gather(*futures)

    async def consume() -> None:
        seen = 0
        while seen < len(events):
            batch = await consumer.getmany(timeout_ms=200)
            seen += sum(len(records) for records in batch.values())

    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    return elapsed


async def allwan(servers: Endpoints, topic: str, events: list[Envelope], writers: int) -> float:
    """Seconds for allwan to append, relay and consume every event."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongo_url, tz_aware=True, retryWrites=False
    )
    db = client[f"bench_{uuid.uuid4().hex[:8]}"]
    store = EventStore(db)
    await store.ensure_indexes()
    producer = idempotent_producer(servers.kafka_bootstrap, "bench-relay")
    await producer.start()
    relay = OutboxRelay(store, db, producer, lambda _: topic, RelayConfig(owner="bench"))
    done = asyncio.Event()
    seen = 0

    async def handler(envelope: Envelope, event: Any) -> None:
        nonlocal seen
        seen += 1
        if seen >= len(events):
            done.set()

    broker = KafkaBroker(servers.kafka_bootstrap, logger=None)
    subscribe(
        broker,
        group=f"bench-{uuid.uuid4().hex[:6]}",
        topics=[topic],
        dispatcher=Dispatcher({ConsentGranted: handler}),
    )
    await broker.start()
    # One writer owns each customer, so a customer's events are appended in order.
    by_customer: dict[str, list[Envelope]] = {}
    for envelope in events:
        by_customer.setdefault(envelope.aggregate_id, []).append(envelope)
    streams = list(by_customer.values())

    async def write(owned: list[list[Envelope]]) -> None:
        for stream in owned:
            for envelope in stream:
                await store.append([envelope], expected_version=envelope.aggregate_version - 1)

    stop = asyncio.Event()
    started = time.perf_counter()
    relaying = asyncio.create_task(relay.run(stop))
    await asyncio.gather(*(write(streams[i::writers]) for i in range(writers)))
    await done.wait()
    elapsed = time.perf_counter() - started
    stop.set()
    await relaying
    await broker.stop()
    await producer.stop()
    await client.drop_database(db.name)
    await client.close()
    return elapsed


async def run(servers: Endpoints, count: int, writers: int) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    raw_topic, allwan_topic = f"bench.raw.{run_id}", f"bench.allwan.{run_id}"
    await create_topics(servers.kafka_bootstrap, raw_topic, allwan_topic)
    events = envelopes(count, customers=max(1, count // 20))
    raw_s = await raw(servers.kafka_bootstrap, raw_topic, events)
    allwan_s = await allwan(servers, allwan_topic, events, writers)
    return {
        "benchmark": "pipeline",
        "events": count,
        "writers": writers,
        "raw_aiokafka_events_per_s": round(count / raw_s),
        "allwan_events_per_s": round(count / allwan_s),
        "ratio_allwan_to_raw": round(raw_s / allwan_s, 4),
    }
