"""Consumers take records in batches and commit once per batch, on real Kafka: what is
committed is exactly what was handled, whatever stops a batch part way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from allwan_contracts import ConsentGranted, encode
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_contracts.topics import CONSENT, dead_letter_topic
from allwan_runtime.consumer import Batching, subscribe
from allwan_runtime.dispatch import Dispatcher, Handler, RetryPolicy, TransientError
from allwan_runtime.settings import RuntimeSettings
from faststream.kafka import KafkaBroker

from tests.integration.harness import grant, prepare_topics, topic
from tests.waiting import eventually

pytestmark = pytest.mark.integration
Headers = list[tuple[str, bytes]]


async def produce(
    settings: RuntimeSettings, records: list[tuple[str, Envelope]], headers: Headers | None = None
) -> list[Any]:
    """Publish every record before returning (a consumer started afterwards finds them all);
    the record metadata of each, in order."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send(
                topic(settings, CONSENT.name),
                value=encode(envelope),
                key=key.encode(),
                headers=headers or [],
            )
            for key, envelope in records
        ]
        return list(await asyncio.gather(*sent))
    finally:
        await producer.stop()


@asynccontextmanager
async def consuming(
    settings: RuntimeSettings,
    group: str,
    handlers: Mapping[type[Event], Handler],
    batching: Batching | None = None,
) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(settings.kafka_bootstrap, logger=None)
    subscribe(
        broker,
        group=group,
        topics=[topic(settings, CONSENT.name)],
        dispatcher=Dispatcher(handlers, retry=RetryPolicy(max_attempts=3, initial_s=0.05)),
        dead_letters=topic(settings, dead_letter_topic(group)),
        batching=batching,
    )
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


def consumer_of(broker: KafkaBroker) -> AIOKafkaConsumer:
    (subscriber,) = broker.subscribers
    consumer = getattr(subscriber, "consumer", None)
    assert isinstance(consumer, AIOKafkaConsumer)
    return consumer


async def new_group(settings: RuntimeSettings) -> str:
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    return group


async def test_one_offset_commit_covers_many_records(
    settings: RuntimeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = await new_group(settings)
    run = uuid.uuid4().hex[:8]
    records = [(f"c-{run}-{n % 30}", grant(f"c-{run}-{n % 30}", n // 30 + 1)) for n in range(300)]
    await produce(settings, records)
    commits = 0
    commit = AIOKafkaConsumer.commit

    async def counted(self: AIOKafkaConsumer, *args: Any, **kwargs: Any) -> None:
        nonlocal commits
        commits += 1
        await commit(self, *args, **kwargs)

    monkeypatch.setattr(AIOKafkaConsumer, "commit", counted)
    handled = 0

    async def count(envelope: Envelope, event: Any) -> None:
        nonlocal handled
        if event.customer_id.startswith(f"c-{run}-"):
            handled += 1

    async with consuming(settings, group, {ConsentGranted: count}) as broker:
        consumer = consumer_of(broker)

        async def all_committed() -> bool:
            assigned = list(consumer.assignment())
            if handled < len(records) or not assigned:
                return False
            ends = await consumer.end_offsets(assigned)
            return all([await consumer.committed(tp) == ends[tp] for tp in assigned])

        await eventually(all_committed, what="every record handled and committed")

    assert handled == len(records)
    # A commit per record would be 300.
    assert commits <= len(records) // 10, commits


async def test_shutdown_mid_batch_commits_exactly_the_records_handled(
    settings: RuntimeSettings,
) -> None:
    group = await new_group(settings)
    customer = f"c-{uuid.uuid4().hex}"
    # One key, one partition: all five come in the same batch, in order.
    await produce(settings, [(customer, grant(customer, version)) for version in range(1, 6)])
    slow_started = asyncio.Event()
    first_run: list[int] = []

    async def slow_second(envelope: Envelope, event: Any) -> None:
        if envelope.aggregate_version == 2:
            slow_started.set()
            await asyncio.sleep(1.0)
        first_run.append(envelope.aggregate_version)

    async with consuming(settings, group, {ConsentGranted: slow_second}):
        await asyncio.wait_for(slow_started.wait(), 60)
    assert first_run == [1, 2]  # the record in hand was finished, no further one started

    second_run: list[int] = []

    async def note(envelope: Envelope, event: Any) -> None:
        second_run.append(envelope.aggregate_version)

    async with consuming(settings, group, {ConsentGranted: note}):

        async def rest() -> bool:
            return len(second_run) >= 3

        await eventually(rest, what="the records not handled before the shutdown")
    assert second_run == [3, 4, 5]


async def test_a_record_still_failing_is_read_again_in_order_and_its_batch_is_not(
    settings: RuntimeSettings,
) -> None:
    group = await new_group(settings)
    run = uuid.uuid4().hex[:8]
    failing = f"c-{run}-failing"
    others = [f"c-{run}-{n}" for n in range(12)]  # spread over the partitions, some share one
    await produce(
        settings,
        [(failing, grant(failing, 1)), (failing, grant(failing, 2))]
        + [(other, grant(other, 1)) for other in others],
    )
    attempts = 0
    handled: list[tuple[str, int]] = []

    async def flaky(envelope: Envelope, event: Any) -> None:
        nonlocal attempts
        if event.customer_id == failing and envelope.aggregate_version == 1:
            attempts += 1
            if attempts <= 3:  # every retry of its first delivery: StillFailing
                raise TransientError("store unreachable")
        handled.append((event.customer_id, envelope.aggregate_version))

    async with consuming(settings, group, {ConsentGranted: flaky}):

        async def all_handled() -> bool:
            return len(handled) >= len(others) + 2

        await eventually(all_handled, what="every record handled")

    assert attempts == 4  # three on its first delivery, one more on its second
    assert [version for customer, version in handled if customer == failing] == [1, 2]
    assert sorted(customer for customer, _ in handled if customer != failing) == sorted(others)


async def test_a_record_with_a_header_that_is_not_text_is_handled_with_its_batch(
    settings: RuntimeSettings,
) -> None:
    group = await new_group(settings)
    customer = f"c-{uuid.uuid4().hex}"
    await produce(settings, [(customer, grant(customer, 1))], headers=[("note", b"\xff\xfe")])
    await produce(settings, [(customer, grant(customer, 2))])
    handled: list[int] = []

    async def note(envelope: Envelope, event: Any) -> None:
        if event.customer_id == customer:
            handled.append(envelope.aggregate_version)

    async with consuming(settings, group, {ConsentGranted: note}):

        async def both() -> bool:
            return len(handled) >= 2

        await eventually(both, what="both records handled")
    assert handled == [1, 2]


async def test_a_batch_past_its_time_commits_what_it_handled_before_reading_on(
    settings: RuntimeSettings,
) -> None:
    group = await new_group(settings)
    customer = f"c-{uuid.uuid4().hex}"
    sent = await produce(settings, [(customer, grant(customer, v)) for v in range(1, 6)])
    tp = TopicPartition(topic(settings, CONSENT.name), sent[0].partition)
    handled: list[int] = []
    committed_before_the_last: list[int | None] = []
    running: list[KafkaBroker] = []

    async def slow(envelope: Envelope, event: Any) -> None:
        await asyncio.sleep(0.15)
        if envelope.aggregate_version == 5:
            consumer = consumer_of(running[0])
            committed_before_the_last.append(await consumer.committed(tp))
        handled.append(envelope.aggregate_version)

    async with consuming(
        settings, group, {ConsentGranted: slow}, Batching(max_records=500, max_s=0.2)
    ) as broker:
        running.append(broker)

        async def all_handled() -> bool:
            return len(handled) >= 5

        await eventually(all_handled, what="every record handled")

    assert handled == [1, 2, 3, 4, 5]
    # The five were there before the consumer started, so one fetch brings them all: without
    # the time bound, nothing would be committed before the last of them was handled.
    [committed] = committed_before_the_last
    assert committed is not None
    assert committed >= sent[2].offset, (committed, [s.offset for s in sent])
