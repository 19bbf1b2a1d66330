"""An event stored at schema v1 is read as v2 everywhere, and its stored bytes stay v1."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from allwan_contracts import OrderPlaced, decode
from allwan_contracts.envelope import Envelope
from allwan_contracts.topics import ORDERS, dead_letter_topic
from allwan_runtime.consumer import subscribe
from allwan_runtime.dispatch import Dispatcher
from allwan_runtime.eventstore import EventStore
from allwan_runtime.settings import RuntimeSettings
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from tests.integration.harness import prepare_topics, running_relay, topic
from tests.waiting import eventually

pytestmark = pytest.mark.integration
SEALED = {"alg": "A256GCM", "kid": "cust-42", "iv": "AAECAwQFBgcICQoL", "ct": "Z" * 38 + "w"}


def v1_order_placed(order_id: str) -> dict[str, Any]:
    """OrderPlaced as the first release of the orders service stored it."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "OrderPlaced",
        "schema_version": 1,
        "occurred_at": "2025-03-01T09:30:00Z",
        "aggregate_type": "order",
        "aggregate_id": order_id,
        "aggregate_version": 1,
        "producer": "orders",
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "payload": {
            "order_id": order_id,
            "customer_id": "cust-42",
            "plan_id": "shahid-vip-12m",
            "quantity": 2,
            "unit_price": 19900,
            "subtotal": 39800,
            "vat": 5970,
            "total": 45770,
            "contact": {"name": SEALED, "email": SEALED, "phone": SEALED, "billing_address": None},
            "age_attestation": "legal_age",
            "payment_token": "tok_9f8e7d6c5b4a",
            "marketing_opt_in": False,
            "policy_version": 3,
        },
    }


async def test_a_v1_event_in_the_store_is_consumed_as_v2_and_stays_v1_at_rest(
    settings: RuntimeSettings, db: AsyncDatabase[dict[str, Any]]
) -> None:
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    order_id = f"o-{uuid.uuid4().hex}"
    stored = Envelope.model_validate(v1_order_placed(order_id))
    store = EventStore(db)
    await store.ensure_indexes()
    await store.append([stored], expected_version=0)
    at_rest_before = await db["event_commits"].find_one({}, {"events": 1})

    received: list[tuple[int, Any]] = []

    async def handler(envelope: Envelope, event: Any) -> None:
        if envelope.aggregate_id == order_id:
            received.append((envelope.schema_version, event))

    broker = KafkaBroker(settings.kafka_bootstrap, logger=None)
    subscribe(
        broker,
        group=group,
        topics=[topic(settings, ORDERS.name)],
        dispatcher=Dispatcher({OrderPlaced: handler}),
        dead_letters=topic(settings, dead_letter_topic(group)),
    )
    await broker.start()
    try:
        async with running_relay(settings, store, db):

            async def arrived() -> bool:
                return bool(received)

            await eventually(arrived)
    finally:
        await broker.stop()

    version_on_the_wire, event = received[0]
    assert version_on_the_wire == 1
    assert isinstance(event, OrderPlaced)
    assert (event.unit_price_halalas, event.currency, event.locale) == (19900, "SAR", "ar")
    at_rest_after = await db["event_commits"].find_one({}, {"events": 1})
    assert at_rest_after == at_rest_before
    assert at_rest_after is not None
    assert at_rest_after["events"][0]["payload"]["unit_price"] == 19900
    assert json.loads(json.dumps(at_rest_after["events"][0]["schema_version"])) == 1
    loaded = await store.load(f"order:{order_id}")
    assert decode(loaded[0].model_dump_json().encode()).schema_version == 1
