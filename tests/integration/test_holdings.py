"""A consumer knows which keys' records come to it: ``Holdings`` names the partition the
relay's producer writes a key to, checked against where Kafka actually put each record."""

from __future__ import annotations

import dataclasses
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from allwan_contracts.topics import ORDERS
from allwan_runtime.holdings import Holdings
from allwan_runtime.kafka import ensure_topics, idempotent_producer
from allwan_runtime.settings import RuntimeSettings

from tests.waiting import eventually


async def _known(consumer: AIOKafkaConsumer, topic: str) -> bool:
    return bool(consumer.partitions_for_topic(topic))


async def test_a_key_is_held_exactly_where_its_records_are_consumed(
    settings: RuntimeSettings,
) -> None:
    topic = f"{settings.kafka_topic_prefix}{ORDERS.name}"
    await ensure_topics(settings.kafka_bootstrap, [dataclasses.replace(ORDERS, name=topic)])
    keys = [str(uuid.uuid4()) for _ in range(60)]
    producer = idempotent_producer(settings.kafka_bootstrap, "itest-holdings")
    await producer.start()
    try:
        sent = [await (await producer.send(topic, b"{}", key=key.encode())) for key in keys]
    finally:
        await producer.stop()
    landed = {key: metadata.partition for key, metadata in zip(keys, sent, strict=True)}
    assert len(set(landed.values())) > 1  # the keys are spread: the check below can fail

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        held = {0, 3, 7, 11}
        consumer.assign([TopicPartition(topic, partition) for partition in held])
        await eventually(lambda: _known(consumer, topic), what="the topic's partitions")
        holdings = Holdings(lambda: consumer)
        assert {key for key in keys if holdings.holds(topic, key)} == {
            key for key in keys if landed[key] in held
        }
    finally:
        await consumer.stop()
    assert not Holdings(lambda: None).holds(topic, keys[0])  # no client: holds nothing
