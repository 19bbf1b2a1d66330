"""Rewind a consumer group to the start of its topics (``allwan-gateway rebuild``)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition


async def rewind(bootstrap: str, group: str, topics: Sequence[str]) -> int:
    """Commit the earliest offset of every partition for ``group``; its members must be
    stopped. Returns how many partitions were rewound."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return 0
        consumer.assign(partitions)
        earliest = await consumer.beginning_offsets(partitions)
        await consumer.commit(dict(earliest))
        return len(partitions)
    finally:
        await consumer.stop()
