"""Kafka clients: the relay's idempotent producer and topic creation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from allwan_contracts.topics import TopicSpec


def idempotent_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """acks=all and idempotence: a retried send is written once, in order, on every replica."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )


async def ensure_topics(
    bootstrap: str, topics: Iterable[TopicSpec], replication_factor: int = 1
) -> None:
    """Create missing topics with their partitions and retention; existing ones are kept.

    In production the topics are declared as Strimzi ``KafkaTopic`` resources; this keeps a
    laptop or a test broker usable, and changes nothing where they exist.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=spec.name,
                num_partitions=spec.partitions,
                replication_factor=replication_factor,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for spec in topics
            if spec.name not in existing
        ]
        if missing:
            # Another replica may create one between our list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
