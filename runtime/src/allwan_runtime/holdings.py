"""Whether the record of a key comes to this process: the partition the relay's producer puts
it on, against the partitions this process's consumer holds now.

Kafka sends each key to one partition (the producer's default partitioner: murmur2 of the
key, modulo the topic's partitions), and a consumer group gives each partition to one
member. So a process that holds a key's partition is the one that handles that key's next
record, and one that waits for it need not ask the database in the meantime. Only until the
group rebalances: ask again each time, the answer is good for now only.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

_partitioner = DefaultPartitioner()


class Holdings:
    """The partitions a consumer holds now (``consumer`` gives the current client, or None
    while there is none: then it holds nothing)."""

    def __init__(self, consumer: Callable[[], AIOKafkaConsumer | None]) -> None:
        self._consumer = consumer

    def holds(self, topic: str, key: str) -> bool:
        """Whether the next record keyed ``key`` on ``topic`` comes to this consumer."""
        consumer = self._consumer()
        if consumer is None:
            return False
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return False
        partition = _partitioner(key.encode(), sorted(partitions), [])
        return TopicPartition(topic, partition) in consumer.assignment()
