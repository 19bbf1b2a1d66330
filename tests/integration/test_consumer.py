"""Consumers on real Kafka: dead letters, idempotent redelivery, graceful shutdown, tracing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from allwan_contracts import ConsentGranted, encode
from allwan_contracts.envelope import Envelope
from allwan_contracts.topics import CONSENT, dead_letter_topic
from allwan_runtime.eventstore import EventStore
from allwan_runtime.settings import RuntimeSettings
from allwan_runtime.telemetry import setup_tracing
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tests.integration.conftest import read_topic
from tests.integration.harness import (
    CountingProjection,
    grant,
    prepare_topics,
    running_consumer,
    running_relay,
    telemetry_broker_options,
    topic,
)
from tests.waiting import eventually

pytestmark = pytest.mark.integration
Document = dict[str, Any]


async def produce(settings: RuntimeSettings, records: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(
                topic(settings, CONSENT.name),
                value=value,
                key=key.encode(),
                headers=[("origin", b"itest")],
            )
    finally:
        await producer.stop()


def with_payload(envelope: Envelope, **changes: Any) -> bytes:
    return encode(envelope.model_copy(update=changes))


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_next_is_processed(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> None:
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    customer = f"c-{uuid.uuid4().hex}"
    good = grant(customer, 1)
    poison = [
        b"\xff\xfenot json at all",
        b'{"event_type": "ConsentGranted"}',
        with_payload(good, event_type="NoSuchEvent"),
        with_payload(good, schema_version=99),
        with_payload(good, payload={**good.payload, "purpose": "selling_data"}),
    ]
    projection = CountingProjection(db)
    async with running_consumer(settings, group, {ConsentGranted: projection}):
        await produce(
            settings, [(customer, value) for value in poison] + [(customer, encode(good))]
        )

        async def applied() -> bool:
            return await projection.collection.find_one({"_id": customer}) is not None

        await eventually(applied)

    def mine(records: list[Any]) -> list[Any]:
        return [r for r in records if r.key == customer.encode()]

    letters = mine(
        await read_topic(
            settings.kafka_bootstrap,
            topic(settings, dead_letter_topic(group)),
            lambda r: len(mine(r)) >= len(poison),
        )
    )
    reasons = [dict(r.headers)["x-dead-letter-reason"].decode() for r in letters]
    assert reasons == [
        "not_json",
        "invalid_envelope",
        "unknown_event_type",
        "schema_version_too_new",
        "invalid_payload",
    ]
    assert [r.value for r in letters] == poison
    for letter in letters:
        headers = dict(letter.headers)
        assert headers["origin"] == b"itest"  # the original headers travel with it
        assert headers["x-original-topic"] == topic(settings, CONSENT.name).encode()
    assert projection.arrivals[customer] == [1]


async def test_redelivering_an_event_leaves_the_projection_unchanged(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> None:
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    customer = f"c-{uuid.uuid4().hex}"
    first, second = grant(customer, 1), grant(customer, 2)
    projection = CountingProjection(db)
    async with running_consumer(settings, group, {ConsentGranted: projection}):
        await produce(settings, [(customer, encode(first)), (customer, encode(second))])

        async def both() -> bool:
            # On the read model itself: a version counts as arrived before its write is done.
            document = await projection.collection.find_one({"_id": customer})
            return document is not None and document["grants"] == 2

        await eventually(both)
        before = await projection.collection.find_one({"_id": customer})
        await produce(settings, [(customer, encode(first)), (customer, encode(second))] * 2)

        async def all_seen() -> bool:
            return len(projection.arrivals.get(customer, [])) >= 6

        await eventually(all_seen)
    after = await projection.collection.find_one({"_id": customer})
    assert before == after
    assert after is not None
    assert after["grants"] == 2


async def test_graceful_shutdown_finishes_and_commits_the_in_flight_record(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> None:
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    customer = f"c-{uuid.uuid4().hex}"
    started = asyncio.Event()
    finished: list[int] = []

    async def slow(envelope: Envelope, event: Any) -> None:
        if event.customer_id != customer:
            return
        started.set()
        await asyncio.sleep(1.0)
        finished.append(envelope.aggregate_version)

    async with running_consumer(settings, group, {ConsentGranted: slow}):
        await produce(settings, [(customer, encode(grant(customer, 1)))])
        await asyncio.wait_for(started.wait(), 30)
    assert finished == [1]  # stop() waited for the handler

    again: list[int] = []

    async def record(envelope: Envelope, event: Any) -> None:
        if event.customer_id == customer:
            again.append(envelope.aggregate_version)

    async with running_consumer(settings, group, {ConsentGranted: record}):
        await produce(settings, [(customer, encode(grant(customer, 2)))])

        async def second() -> bool:
            return 2 in again

        await eventually(second)
    assert again == [2]  # the first record was committed, so it was not delivered again


async def test_a_span_before_publish_and_the_consumer_spans_share_one_trace(
    settings: RuntimeSettings, db: AsyncDatabase[Document]
) -> None:
    exporter = InMemorySpanExporter()
    provider = setup_tracing("itest", extra_processors=(SimpleSpanProcessor(exporter),))
    # PyMongo's command listener is global and attaches to clients created after it.
    traced = AsyncMongoClient[Document](settings.mongo_url.get_secret_value(), tz_aware=True)
    traced_db = traced[settings.database_name]
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    customer = f"c-{uuid.uuid4().hex}"
    store = EventStore(traced_db)
    projection = CountingProjection(traced_db)
    tracer = trace.get_tracer("itest")
    async with (
        running_consumer(
            settings, group, {ConsentGranted: projection}, **telemetry_broker_options(provider)
        ),
        running_relay(settings, store, db),
    ):
        with tracer.start_as_current_span("POST /consents") as request_span:
            await store.append([grant(customer, 1)], expected_version=0)
        trace_id = request_span.get_span_context().trace_id

        async def applied() -> bool:
            return await projection.collection.find_one({"_id": customer}) is not None

        await eventually(applied)
    await traced.close()

    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    in_trace = [s for s in spans if s.context is not None and s.context.trace_id == trace_id]
    kinds = {s.kind for s in in_trace}
    assert trace.SpanKind.PRODUCER in kinds
    assert trace.SpanKind.CONSUMER in kinds
    # The handler's MongoDB write (PyMongo's async client) is traced inside the same trace.
    mongo_writes = [
        s
        for s in in_trace
        if s.attributes is not None
        and s.attributes.get("db.system") == "mongodb"
        and s.name.endswith(".update")
    ]
    assert mongo_writes, sorted(s.name for s in in_trace)
