"""Fixtures over the real servers: a fresh database per test, Kafka helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from allwan_devstack import Endpoints, topics
from allwan_devstack.topics import read_more, topic_reader
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


async def read_topic(
    bootstrap: str,
    topic: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``topic`` from the beginning until ``until(records)`` holds, or fail."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with topic_reader(bootstrap, topic) as consumer:
        try:
            async with asyncio.timeout(timeout):
                while not until(records):
                    await read_more(consumer, records)
        except TimeoutError:
            pytest.fail(f"{topic}: condition not met after {timeout}s ({len(records)} records)")
    return records


async def read_to_end(
    bootstrap: str, topic: str, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record ``topic`` holds when this is called, read from the beginning
    (``allwan_devstack.topics.read_to_end``), or fail the test."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        return await topics.read_to_end(bootstrap, topic, timeout, records)
    except TimeoutError:
        pytest.fail(f"{topic}: not read to its end after {timeout}s ({len(records)} records)")
