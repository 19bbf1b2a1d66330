"""A small service made of the real runtime parts, for tests of the plumbing itself."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaProducer
from allwan_contracts import ConsentGranted, decode, new_envelope
from allwan_contracts.base import Event
from allwan_contracts.consent import ConsentEvidence, ConsentPurpose
from allwan_contracts.envelope import Envelope
from allwan_contracts.fields import Channel
from allwan_contracts.topics import ALL_TOPICS, CONSENT, dead_letter_spec, dead_letter_topic
from allwan_runtime.consumer import subscribe
from allwan_runtime.dispatch import Dispatcher, Handler, RetryPolicy
from allwan_runtime.eventstore import EventStore
from allwan_runtime.kafka import ensure_topics, idempotent_producer
from allwan_runtime.outbox import OutboxRelay, RelayConfig
from allwan_runtime.projection import apply_once
from allwan_runtime.service import ServiceRuntime, topic_for
from allwan_runtime.settings import RuntimeSettings
from allwan_runtime.wire import message_headers, message_value
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from pymongo.asynchronous.database import AsyncDatabase

from tests.integration.conftest import read_topic
from tests.waiting import eventually

Document = dict[str, Any]


def grant(
    customer_id: str, version: int, purpose: ConsentPurpose = ConsentPurpose.MARKETING
) -> Envelope:
    event = ConsentGranted(
        customer_id=customer_id,
        purpose=purpose,
        channel=Channel.WEB,
        policy_version=1,
        recorded_by="customer",
        evidence=ConsentEvidence(user_agent_hmac="ab" * 32),
    )
    return new_envelope(
        event, aggregate_version=version, producer="itest", correlation_id=uuid.uuid4()
    )


class CountingProjection:
    """Counts grants per customer and remembers the order versions arrived in."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["grants_by_customer"]
        self.arrivals: dict[str, list[int]] = {}
        self.calls = 0

    async def __call__(self, envelope: Envelope, event: ConsentGranted) -> None:
        self.calls += 1
        self.arrivals.setdefault(event.customer_id, []).append(envelope.aggregate_version)
        await apply_once(
            self.collection,
            event.customer_id,
            envelope.aggregate_version,
            {"$inc": {"grants": 1}},
        )


def topic(settings: RuntimeSettings, name: str) -> str:
    """The test's own copy of topic ``name``: topics are not shared between tests, so what a
    test reads (and how long its new consumer groups take to catch up) never depends on what
    earlier tests, or earlier runs on the same servers, left there."""
    return f"{settings.kafka_topic_prefix}{name}"


async def prepare_topics(settings: RuntimeSettings, group: str) -> None:
    specs = [*ALL_TOPICS, dead_letter_spec(group)]
    await ensure_topics(
        settings.kafka_bootstrap,
        [dataclasses.replace(spec, name=topic(settings, spec.name)) for spec in specs],
    )


@asynccontextmanager
async def running_relay(
    settings: RuntimeSettings,
    store: EventStore,
    db: AsyncDatabase[Document],
    owner: str = "itest",
    batch_size: int = 500,
) -> AsyncIterator[OutboxRelay]:
    producer = idempotent_producer(settings.kafka_bootstrap, "itest-relay")
    await producer.start()
    relay = OutboxRelay(
        store,
        db,
        producer,
        lambda envelope: topic(settings, topic_for(envelope)),
        RelayConfig(owner=owner, poll_interval_s=0.05, lease_s=2, batch_size=batch_size),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await task
        await relay.release()
        await producer.stop()


@asynccontextmanager
async def running_consumer(
    settings: RuntimeSettings,
    group: str,
    handlers: Mapping[type[Event], Handler],
    **broker_options: Any,
) -> AsyncIterator[Dispatcher]:
    broker = KafkaBroker(settings.kafka_bootstrap, logger=None, **broker_options)
    dispatcher = Dispatcher(handlers=handlers, retry=RetryPolicy(max_attempts=3, initial_s=0.05))
    subscribe(
        broker,
        group=group,
        topics=[topic(settings, CONSENT.name)],
        dispatcher=dispatcher,
        dead_letters=topic(settings, dead_letter_topic(group)),
    )
    await broker.start()
    try:
        yield dispatcher
    finally:
        await broker.stop()


def telemetry_broker_options(provider: Any) -> dict[str, Any]:
    return {"middlewares": [KafkaTelemetryMiddleware(tracer_provider=provider)]}


async def outbox_drained(db: AsyncDatabase[Document], timeout: float = 30.0) -> None:
    """Wait until the relay has published every commit stored in ``db`` so far (it deletes an
    outbox entry once Kafka acknowledged its commit): what a test reads back from Kafka after
    this is everything the service stored, not merely what the relay got to first."""

    async def empty() -> bool:
        return await db["outbox"].count_documents({}) == 0

    await eventually(empty, timeout)


async def consumers_joined(broker: KafkaBroker, timeout: float = 60.0) -> None:
    """Wait until every consumer of ``broker`` has joined its group and holds its partitions.

    A test that measures a promised latency starts its clock after this: the first group
    join (seconds on a loaded machine) is start-up, not the latency the product promises."""

    def joined() -> bool:
        consumers = [getattr(subscriber, "consumer", None) for subscriber in broker.subscribers]
        return all(consumer is not None and consumer.assignment() for consumer in consumers)

    async with asyncio.timeout(timeout):
        while not joined():
            await asyncio.sleep(0.05)


async def put_on_topic(
    kafka: AIOKafkaProducer, runtime: ServiceRuntime, event: Event, producer: str, version: int
) -> Envelope:
    """Put ``event`` on its topic (with ``runtime``'s prefix) as ``producer``'s relay would."""
    envelope = new_envelope(
        event, aggregate_version=version, producer=producer, correlation_id=uuid.uuid4()
    )
    await kafka.send_and_wait(
        runtime.topic(topic_for(envelope)),
        value=message_value(envelope),
        key=envelope.aggregate_id.encode(),
        headers=message_headers(envelope),
    )
    return envelope


async def published_by(
    runtime: ServiceRuntime,
    topic: str,
    producer: str,
    until: Callable[[list[Envelope]], bool],
    timeout: float = 30,
) -> list[Envelope]:
    """``producer``'s envelopes on ``topic`` (with ``runtime``'s prefix), read from the start
    until ``until`` holds."""

    def theirs(records: list[Any]) -> list[Envelope]:
        envelopes = [decode(record.value) for record in records]
        return [e for e in envelopes if e.producer == producer]

    records = await read_topic(
        runtime.settings.kafka_bootstrap,
        runtime.topic(topic),
        lambda found: until(theirs(found)),
        timeout,
    )
    return theirs(records)
