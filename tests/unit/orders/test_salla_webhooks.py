"""T1, T2: a Salla delivery is opened, carried out, re-sealed under the customer's key, and
its delivery key shredded."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_contracts import CustomerContactChanged, OrderPlaced, OrderRejected, RejectionReason
from allwan_contracts.intake import WebhookReceived, WebhookSource
from allwan_orders.domain.salla import SallaPayloadError
from allwan_orders.handlers.salla import handle_webhook
from allwan_runtime.keystore import ERASED, InMemoryKeyStore, Purpose

from tests.unit.orders.fakes import orders
from tests.unit.orders.salla_samples import customer_event, order_event, raw

ORDER, CUSTOMER = "salla-2116149737", "salla-225167971"


async def delivery(keys: InMemoryKeyStore, body: dict[str, Any] | str) -> WebhookReceived:
    text = body if isinstance(body, str) else raw(body)
    delivery_id = hashlib.sha256(text.encode()).hexdigest()
    return WebhookReceived(
        delivery_id=delivery_id,
        source=WebhookSource.SALLA,
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        body=await keys.seal(f"webhook:{delivery_id}", "body", text),
    )


async def test_t1_t2_a_salla_order_is_sealed_under_the_customers_key_and_the_body_shredded() -> (
    None
):
    o = orders(salla_checkout_attests_legal_age=True)
    event = await delivery(o.keys, order_event("order.status.updated", "completed"))

    await o.handle(handle_webhook, event)

    assert o.types(ORDER) == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]
    placed = o.events(ORDER)[0]
    assert isinstance(placed, OrderPlaced)
    assert placed.contact.name.kid == CUSTOMER
    opened = await o.keys.open(placed.contact.phone, field="phone", purpose=Purpose.SUPPORT)
    assert opened == "+966501806978"
    assert await o.keys.open(event.body, field="body", purpose=Purpose.ORDER_PROCESSING) == ERASED
    await o.handle(handle_webhook, event)  # redelivered after shredding: nothing happens
    assert len(o.types(ORDER)) == 3


async def test_a1_salla_orders_are_refused_unless_the_checkout_attests_legal_age() -> None:
    o = orders()
    await o.handle(handle_webhook, await delivery(o.keys, order_event("order.created")))
    [event] = o.events(ORDER)
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.AGE_ATTESTATION_MISSING


async def test_t1_deliveries_out_of_order_still_end_in_one_paid_order() -> None:
    o = orders(salla_checkout_attests_legal_age=True)
    for body in (
        order_event("order.payment.updated"),
        order_event("order.created"),
        order_event("order.status.updated", "completed"),
    ):
        await o.handle(handle_webhook, await delivery(o.keys, body))
    assert o.types(ORDER) == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]


async def test_t1_a_customer_update_records_the_sealed_contact() -> None:
    o = orders()
    await o.handle(handle_webhook, await delivery(o.keys, customer_event()))
    [event] = o.contact_events(CUSTOMER)
    assert isinstance(event, CustomerContactChanged)
    email = await o.keys.open(event.contact.email, field="email", purpose=Purpose.SUPPORT)
    assert email == "m.alali@example.com"


async def test_an_erased_salla_customer_gets_no_new_key_and_their_order_is_refused() -> None:
    o = orders(salla_checkout_attests_legal_age=True)
    await o.keys.shred(CUSTOMER)
    await o.handle(handle_webhook, await delivery(o.keys, order_event("order.created")))
    await o.handle(handle_webhook, await delivery(o.keys, customer_event()))
    [event] = o.events(ORDER)
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CUSTOMER_ERASED
    assert o.store.envelopes("customer_contact") == []
    assert await o.keys.is_erased(CUSTOMER)


async def test_an_unreadable_delivery_keeps_its_key_for_a_replay_from_the_dead_letters() -> None:
    o = orders()
    event = await delivery(o.keys, "not json at all")
    with pytest.raises(SallaPayloadError):
        await o.handle(handle_webhook, event)
    assert not await o.keys.is_erased(f"webhook:{event.delivery_id}")


async def test_whatsapp_deliveries_are_left_to_the_consent_service() -> None:
    o = orders()
    event = (await delivery(o.keys, customer_event())).model_copy(
        update={"source": WebhookSource.WHATSAPP}
    )
    await o.handle(handle_webhook, event)
    assert not await o.keys.is_erased(f"webhook:{event.delivery_id}")
    assert o.store.streams == {}
