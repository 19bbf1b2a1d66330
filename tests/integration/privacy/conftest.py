"""A privacy service of its own for each test, on the real Kafka and FerretDB/MongoDB.

Each test runs the service under its own name (``privacy-<random>``), with its own topics,
database and key store. The test plays the gateway and the three holding services under names
of their own, and the service obeys and waits for only those.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from allwan_contracts import Envelope, Event
from allwan_devstack import Endpoints
from allwan_privacy.bootstrap import PrivacyService
from allwan_privacy.entrypoints.app import build, export_route, internal_api
from allwan_privacy.settings import PrivacySettings
from allwan_runtime.kafka import idempotent_producer
from allwan_runtime.keystore import KeyStore, generate_master_key
from allwan_runtime.service import ServiceRuntime
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from tests.integration.harness import published_by, put_on_topic


@dataclass
class RunningPrivacy:
    settings: PrivacySettings
    runtime: ServiceRuntime
    service: PrivacyService
    producer: AIOKafkaProducer
    suffix: str

    @property
    def name(self) -> str:
        return self.settings.service_name

    @property
    def keystore(self) -> KeyStore:
        return self.service.secrets.store

    def holder(self, service: str) -> str:
        """The name the test's stand-in for a holding service answers under."""
        return f"{service}-{self.suffix}"

    async def send(self, event: Event, producer: str) -> Envelope:
        """Put an event on its topic as ``producer`` would (through its relay)."""
        return await put_on_topic(self.producer, self.runtime, event, producer, 1)

    async def published(
        self, topic: str, until: Callable[[list[Envelope]], bool], timeout: float = 30
    ) -> list[Envelope]:
        """This service's envelopes on ``topic``, read from the start until ``until`` holds."""
        return await published_by(self.runtime, topic, self.name, until, timeout)

    def http(self) -> httpx.AsyncClient:
        """The service's export route, in process, on its real stores."""
        transport = httpx.ASGITransport(app=export_route(self.service))
        return httpx.AsyncClient(transport=transport, base_url="http://privacy")

    def internal(self) -> httpx.AsyncClient:
        """The service's internal accountability API, in process, on its real stores."""
        transport = httpx.ASGITransport(app=internal_api(self.service))
        return httpx.AsyncClient(transport=transport, base_url="http://privacy")


@pytest.fixture
async def privacy(servers: Endpoints) -> AsyncIterator[RunningPrivacy]:
    suffix = uuid.uuid4().hex[:10]
    holders = [f"{service}-{suffix}" for service in ("orders", "consent", "notifier")]
    settings = PrivacySettings(
        service_name=f"privacy-{suffix}",
        kafka_topic_prefix=f"t{suffix}.",
        kafka_bootstrap=servers.kafka_bootstrap,
        mongo_url=SecretStr(servers.mongo_url),
        keys_db=f"keys_{suffix}",
        master_keys=SecretStr(f"k1:{generate_master_key()}"),
        blind_index_key=SecretStr(generate_master_key()),
        gateway_producer=f"gateway-{suffix}",
        consent_producer=f"consent-{suffix}",
        access_services=holders,
        correction_services=holders,
        erasure_services=holders,
        disclosing_services=[f"notifier-{suffix}", f"orders-{suffix}"],
        relay_poll_interval_s=0.05,
        consumer_backoff_initial_s=0.05,
        consumer_backoff_max_s=0.2,
        graceful_timeout_s=5,
    )
    runtime, service = build(settings)
    producer = idempotent_producer(settings.kafka_bootstrap, f"itest-{suffix}")
    await producer.start()
    try:
        async with runtime.running():
            await service.start()
            try:
                yield RunningPrivacy(settings, runtime, service, producer, suffix)
            finally:
                await service.stop()
    finally:
        await producer.stop()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        await client.drop_database(settings.database_name)
        await client.drop_database(settings.keys_db)
        await client.close()
