"""The gateway on Kafka and FerretDB/MongoDB: intake recorded and relayed, decisions read
back from the topics, nothing personal in the clear, read models by ``_id``."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from allwan_contracts import decode, read_event
from allwan_contracts.consent import ConsentPurpose
from allwan_contracts.intake import OrderRequested, WebhookReceived
from allwan_contracts.topics import ORDER_INTAKE, WEBHOOKS

from tests.integration.conftest import read_to_end
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.harness import consumers_joined, outbox_drained
from tests.unit.gateway.seed import CATALOGUE, consent, placed, policy_changed, policy_document
from tests.unit.gateway.test_orders import FULL_ORDER
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def test_t2_an_order_request_reaches_its_topic_sealed_and_once(
    running: RunningGateway,
) -> None:
    headers = running.customer("cust-it-1") | {"Idempotency-Key": "checkout-it-0001"}
    started = time.perf_counter()
    first = await running.http.post("/v1/orders", json=FULL_ORDER, headers=headers)
    waited_ms = (time.perf_counter() - started) * 1000
    print(f"\nno decision (no orders service): 202 after {waited_ms:.0f} ms (bound 2000 ms)")
    retry = await running.http.post("/v1/orders", json=FULL_ORDER, headers=headers)
    order_id = first.json()["order_id"]

    assert first.status_code == retry.status_code == 202
    # "Once" is proven on everything the gateway stored: wait until its relay published it
    # all, then read the whole topic (a second copy would come after the first).
    await outbox_drained(running.runtime.db)
    records = await read_to_end(
        running.settings.kafka_bootstrap, running.runtime.topic(ORDER_INTAKE.name)
    )
    mine = [decode(r.value) for r in records if decode(r.value).aggregate_id == order_id]
    assert mine, "the order request never reached its topic"
    assert len({envelope.event_id for envelope in mine}) == 1
    assert mine[0].producer == running.settings.service_name
    request = read_event(mine[0])
    assert isinstance(request, OrderRequested)
    assert request.contact.email.kid == "cust-it-1"
    raw = b"".join(r.value for r in records)
    for plain in (b"noura@example.com", b"+966512345678", b"Prince Sultan"):
        assert plain not in raw


async def test_the_decision_published_by_orders_is_answered_within_the_bound(
    running: RunningGateway,
) -> None:
    async def orders_decides() -> None:
        orders = running.settings.orders_producer
        while True:
            pending = await running.gateway.queries.customer_orders("cust-it-2")
            if pending:
                await running.publish(placed(pending[0]["order_id"], "cust-it-2"), orders)
                return
            await asyncio.sleep(0.02)

    # The bound is measured on a running gateway, not across its consumers' first group join.
    await consumers_joined(running.runtime.broker)
    answer, _ = await asyncio.gather(
        running.http.post("/v1/orders", json=FULL_ORDER, headers=running.customer("cust-it-2")),
        orders_decides(),
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "placed"
    # The only gateway holds every partition of the decisions: its waiters need not poll.
    assert running.gateway.decisions.projected_here(answer.json()["order_id"])
    listed = await running.http.get(
        "/v1/customers/cust-it-2/orders", headers=running.customer("cust-it-2")
    )
    assert [o["status"] for o in listed.json()["orders"]] == ["placed"]


async def test_pc1_policy_consents_and_catalogue_come_from_their_topics(
    running: RunningGateway,
) -> None:
    consent_service = running.settings.consent_producer
    await running.publish(policy_document(1), consent_service)
    await running.publish(policy_changed(1), consent_service)
    await running.publish(consent("cust-it-3"), consent_service)
    await running.publish(CATALOGUE, running.settings.orders_producer)
    await running.publish(consent("cust-it-4"), "impostor")
    # Same key, same partition, after the impostor's record: once this one is served,
    # the impostor's has been read (and must have been skipped).
    await running.publish(consent("cust-it-4", ConsentPurpose.ANALYTICS_COOKIES), consent_service)

    async def purposes(customer_id: str) -> dict[str, Any]:
        answer = await running.http.get(
            f"/v1/customers/{customer_id}/consents", headers=running.customer(customer_id)
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()["purposes"]
        return found

    async def served() -> bool:
        policy = await running.http.get("/v1/policy")
        catalogue = await running.http.get("/v1/catalogue")
        return (
            policy.status_code == 200
            and catalogue.status_code == 200
            and "marketing" in await purposes("cust-it-3")
            and "analytics_cookies" in await purposes("cust-it-4")
        )

    await eventually(served)
    assert (await purposes("cust-it-3"))["marketing"]["status"] == "granted"
    assert set(await purposes("cust-it-4")) == {"analytics_cookies"}


async def test_t1_a_signed_webhook_is_relayed_once_with_its_body_sealed(
    running: RunningGateway,
) -> None:
    raw = json.dumps({"event": "order.created", "data": {"id": 991}}).encode()
    secret = running.settings.salla_webhook_secret.get_secret_value().encode()
    headers = {
        "content-type": "application/json",
        "x-salla-security-strategy": "Signature",
        "x-salla-signature": hmac.new(secret, raw, hashlib.sha256).hexdigest(),
    }
    first = await running.http.post("/v1/webhooks/salla", content=raw, headers=headers)
    replay = await running.http.post("/v1/webhooks/salla", content=raw, headers=headers)

    assert (first.status_code, replay.status_code) == (202, 200)
    delivery = first.json()["delivery_id"]
    await outbox_drained(running.runtime.db)
    records = await read_to_end(
        running.settings.kafka_bootstrap, running.runtime.topic(WEBHOOKS.name)
    )
    mine = [decode(r.value) for r in records if decode(r.value).aggregate_id == delivery]
    assert mine, "the webhook never reached its topic"
    assert len({envelope.event_id for envelope in mine}) == 1
    assert isinstance(read_event(mine[0]), WebhookReceived)
    assert not any(b"order.created" in r.value for r in records)
