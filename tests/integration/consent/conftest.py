"""A consent service of its own for each test, on the real Kafka and FerretDB/MongoDB.

Each test runs the service under its own name (``consent-<random>``): fresh consumer groups,
its own database and key store. Topics are shared by every test of the run, so the test
plays the gateway, the orders and the privacy service under names of its own too, and the
service obeys only those (``gateway_producer``, ``orders_producer``, ``privacy_producer``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaProducer
from allwan_consent.bootstrap import ConsentService
from allwan_consent.entrypoints.app import build
from allwan_consent.settings import ConsentSettings
from allwan_contracts import Envelope, Event
from allwan_devstack import Endpoints
from allwan_runtime.kafka import idempotent_producer
from allwan_runtime.keystore import KeyStore, generate_master_key
from allwan_runtime.service import ServiceRuntime
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from tests.integration.harness import published_by, put_on_topic

T = TypeVar("T")


@dataclass
class RunningConsent:
    settings: ConsentSettings
    runtime: ServiceRuntime
    service: ConsentService
    producer: AIOKafkaProducer

    @property
    def name(self) -> str:
        return self.settings.service_name

    @property
    def keystore(self) -> KeyStore:
        return self.service.secrets.store

    async def send(self, event: Event, *, as_: str = "gateway", version: int = 1) -> Envelope:
        """Put an event on its topic as the gateway (or the orders or privacy service) would."""
        producer = {
            "gateway": self.settings.gateway_producer,
            "orders": self.settings.orders_producer,
            "privacy": self.settings.privacy_producer,
        }[as_]
        return await put_on_topic(self.producer, self.runtime, event, producer, version)

    async def published(
        self, topic: str, until: Callable[[list[Envelope]], bool], timeout: float = 30
    ) -> list[Envelope]:
        """This service's envelopes on ``topic``, read from the start until ``until`` holds."""
        return await published_by(self.runtime, topic, self.name, until, timeout)


@pytest.fixture
async def consent(servers: Endpoints) -> AsyncIterator[RunningConsent]:
    suffix = uuid.uuid4().hex[:10]
    settings = ConsentSettings(
        service_name=f"consent-{suffix}",
        kafka_topic_prefix=f"t{suffix}.",
        kafka_bootstrap=servers.kafka_bootstrap,
        mongo_url=SecretStr(servers.mongo_url),
        keys_db=f"keys_{suffix}",
        master_keys=SecretStr(f"k1:{generate_master_key()}"),
        blind_index_key=SecretStr(generate_master_key()),
        gateway_producer=f"gateway-{suffix}",
        orders_producer=f"orders-{suffix}",
        privacy_producer=f"privacy-{suffix}",
        relay_poll_interval_s=0.05,
        consumer_backoff_initial_s=0.05,
        consumer_backoff_max_s=0.2,
        graceful_timeout_s=5,
    )
    runtime, service = build(settings)
    producer = idempotent_producer(settings.kafka_bootstrap, f"itest-{suffix}")
    await producer.start()
    try:
        await service.prepare()
        async with runtime.running():
            yield RunningConsent(settings, runtime, service, producer)
    finally:
        await producer.stop()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        await client.drop_database(settings.database_name)
        await client.drop_database(settings.keys_db)
        await client.close()
