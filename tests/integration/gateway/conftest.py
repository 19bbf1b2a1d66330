"""The gateway in this process over the real servers: its own event store, relay and
consumers, under names of its own (service, database, topic prefix, producers it obeys)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from allwan_contracts import Event
from allwan_devstack import Endpoints
from allwan_gateway.bootstrap import Gateway
from allwan_gateway.domain.auth import Role
from allwan_gateway.entrypoints.app import build, create_app
from allwan_gateway.settings import GatewaySettings
from allwan_runtime.eventstore import stream_id
from allwan_runtime.keystore import generate_master_key
from allwan_runtime.service import ServiceRuntime
from pydantic import SecretStr

from tests.integration.harness import put_on_topic
from tests.unit.gateway.fakes import SECRETS

pytestmark = pytest.mark.integration


@dataclass
class RunningGateway:
    settings: GatewaySettings
    gateway: Gateway
    runtime: ServiceRuntime
    http: httpx.AsyncClient
    kafka: AIOKafkaProducer
    versions: dict[str, int]

    def customer(self, subject: str) -> dict[str, str]:
        token = self.gateway.tokens.issue(
            Role.CUSTOMER, subject, "storefront", self.gateway.clock()
        )
        return {"Authorization": f"Bearer {token}"}

    async def publish(self, event: Event, producer: str) -> None:
        """Put an event on its (prefixed) topic as ``producer`` would."""
        stream = stream_id(event.aggregate_type, event.aggregate_id())
        self.versions[stream] = version = self.versions.get(stream, 0) + 1
        await put_on_topic(self.kafka, self.runtime, event, producer, version)


@pytest.fixture
async def running(servers: Endpoints) -> AsyncIterator[RunningGateway]:
    run = uuid.uuid4().hex[:10]
    secrets: dict[str, Any] = {name: SecretStr(value) for name, value in SECRETS.items()}
    settings = GatewaySettings(
        **secrets,
        service_name=f"gw-{run}",
        kafka_bootstrap=servers.kafka_bootstrap,
        kafka_topic_prefix=f"it{run}.",
        mongo_url=SecretStr(servers.mongo_url),
        keys_db=f"keys_{run}",
        master_keys=SecretStr(f"k1:{generate_master_key()}"),
        blind_index_key=SecretStr(generate_master_key()),
        relay_poll_interval_s=0.05,
        decision_wait_s=2.0,
        orders_producer=f"orders-{run}",
        consent_producer=f"consent-{run}",
    )
    gateway, runtime = build(settings)
    kafka = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, acks="all")
    await kafka.start()
    transport = httpx.ASGITransport(app=create_app(gateway))
    try:
        async with (
            gateway.lifespan(),
            httpx.AsyncClient(transport=transport, base_url="https://gateway.test") as http,
        ):
            yield RunningGateway(settings, gateway, runtime, http, kafka, {})
    finally:
        await kafka.stop()
        client = runtime.mongo.__class__(servers.mongo_url)
        await client.drop_database(settings.database_name)
        await client.drop_database(settings.keys_db)
        await client.close()
