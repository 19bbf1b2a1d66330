"""One orders service per test module, on the real servers, with its own names throughout:
service (consumer groups), database, key database, and the gateway and privacy service it
obeys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from allwan_devstack import Endpoints
from allwan_orders.bootstrap import OrdersService
from allwan_orders.entrypoints.app import build_service
from allwan_orders.settings import OrdersSettings
from allwan_runtime.keystore import KeyStore, MasterKeyring, generate_master_key
from allwan_runtime.service import ServiceRuntime
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from tests.integration.orders.gateway import Gateway


@dataclass
class Running:
    run: str
    settings: OrdersSettings
    runtime: ServiceRuntime
    service: OrdersService
    gateway: Gateway
    outsider: KeyStore  # the consent service's view of the keys: it shreds
    privacy: Gateway  # puts events on Kafka as the privacy service of this run
    consent: Gateway  # ... and as its consent service (erasures, S1)


@pytest.fixture(scope="module")
async def orders(servers: Endpoints) -> AsyncIterator[Running]:
    # Personal data and ids embed the run id; all in digits (1 run in 110), it would make
    # 13-digit runs there, which pass the Luhn check one time in ten: card data, refused (C3).
    # A leading letter keeps every digit run in this module's data under 13 digits.
    run = "a" + uuid.uuid4().hex[:9]
    master, index = f"k1:{generate_master_key()}", generate_master_key()
    settings = OrdersSettings(
        service_name=f"orders-{run}",
        kafka_topic_prefix=f"t{run}.",
        kafka_bootstrap=servers.kafka_bootstrap,
        mongo_url=SecretStr(servers.mongo_url),
        keys_db=f"keys_{run}",
        master_keys=SecretStr(master),
        blind_index_key=SecretStr(index),
        intake_producers=frozenset({f"gateway-{run}"}),
        privacy_producers=frozenset({f"privacy-{run}"}),
        consent_producers=frozenset({f"consent-{run}"}),
        salla_checkout_attests_legal_age=True,
        relay_poll_interval_s=0.05,
        consumer_backoff_initial_s=0.05,
        consumer_backoff_max_s=0.2,
        graceful_timeout_s=5,
        expiry_interval_s=3600,
    )
    runtime, service = build_service(settings)
    ring = MasterKeyring.parse(master, index)
    keys_db = runtime.mongo[settings.keys_db]
    gateway_keys = KeyStore(keys_db, ring, service="gateway", purposes=())
    outsider = KeyStore(keys_db, ring, service="consent", purposes=())
    async with runtime.running():
        await service.start()
        async with (
            Gateway(servers.kafka_bootstrap, gateway_keys, f"gateway-{run}", f"t{run}.") as gateway,
            Gateway(servers.kafka_bootstrap, outsider, f"privacy-{run}", f"t{run}.") as privacy,
            Gateway(servers.kafka_bootstrap, outsider, f"consent-{run}", f"t{run}.") as consent,
        ):
            yield Running(run, settings, runtime, service, gateway, outsider, privacy, consent)
        await service.stop()
    # Once the relay and the consumers have stopped: dropped while they still ran, the
    # database came back with their next write (the relay's lease, at least).
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    await client.drop_database(settings.database_name)
    await client.drop_database(settings.keys_db)
    await client.close()
