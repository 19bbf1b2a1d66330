"""Fixtures over the real servers: a fresh database per test, Kafka helpers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from allwan_devstack import Endpoints
from allwan_runtime.settings import RuntimeSettings
from pydantic import SecretStr
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(servers: Endpoints) -> RuntimeSettings:
    """Settings for a service with its own, fresh database and topics."""
    run = uuid.uuid4().hex[:12]
    return RuntimeSettings(
        service_name="itest",
        kafka_bootstrap=servers.kafka_bootstrap,
        kafka_topic_prefix=f"itest{run}.",
        mongo_url=SecretStr(servers.mongo_url),
        mongo_db=f"itest_{run}",
        relay_poll_interval_s=0.05,
        consumer_backoff_initial_s=0.05,
        consumer_backoff_max_s=0.2,
        graceful_timeout_s=5,
    )


@pytest.fixture
async def db(settings: RuntimeSettings) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url.get_secret_value(), tz_aware=True, retryWrites=False
    )
    database = client[settings.database_name]
    yield database
    await client.drop_database(settings.database_name)
    await client.close()


@contextlib.asynccontextmanager
async def _topic_reader(bootstrap: str, topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer of ``topic`` in no group, starting at its first record."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _read_more(
    consumer: AIOKafkaConsumer, records: list[ConsumerRecord[bytes, bytes]]
) -> None:
    batch = await consumer.getmany(timeout_ms=200)
    for part in batch.values():
        records.extend(part)


async def read_topic(
    bootstrap: str,
    topic: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``topic`` from the beginning until ``until(records)`` holds, or fail."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with _topic_reader(bootstrap, topic) as consumer:
        try:
            async with asyncio.timeout(timeout):
                while not until(records):
                    await _read_more(consumer, records)
        except TimeoutError:
            pytest.fail(f"{topic}: condition not met after {timeout}s ({len(records)} records)")
    return records


async def read_to_end(
    bootstrap: str, topic: str, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record ``topic`` holds when this is called, read from the beginning.

    For checks that something is on the topic only once (or not at all): reading until the
    first match, as ``read_topic`` does, may stop before a second copy further on."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with _topic_reader(bootstrap, topic) as consumer:
        try:
            async with asyncio.timeout(timeout):
                while not consumer.assignment():
                    await consumer.getmany(timeout_ms=100)  # read again below, from the start
                assigned = list(consumer.assignment())
                await consumer.seek_to_beginning(*assigned)
                ends = await consumer.end_offsets(assigned)
                while any([await consumer.position(tp) < end for tp, end in ends.items()]):
                    await _read_more(consumer, records)
        except TimeoutError:
            pytest.fail(f"{topic}: not read to its end after {timeout}s ({len(records)} records)")
    return records
