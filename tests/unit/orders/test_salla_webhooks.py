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
from allwan_runtime.keystore import ERASED, Purpose

from tests.unit.orders.fakes import MemoryKeys, MemoryRepository, deps, intake
from tests.unit.orders.salla_samples import customer_event, order_event, raw

ORDER, CUSTOMER = "salla-2116149737", "salla-225167971"


async def delivery(keys: MemoryKeys, body: dict[str, Any] | str) -> WebhookReceived:
    text = body if isinstance(body, str) else raw(body)
    delivery_id = hashlib.sha256(text.encode()).hexdigest()
    return WebhookReceived(
        delivery_id=delivery_id,
        source=WebhookSource.SALLA,
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        body=await keys.seal(f"webhook:{delivery_id}", "body", text),
    )


def parts(d: Any) -> tuple[MemoryRepository[Any], MemoryRepository[Any], MemoryKeys]:
    assert isinstance(d.orders, MemoryRepository)
    assert isinstance(d.contacts, MemoryRepository)
    assert isinstance(d.keys, MemoryKeys)
    return d.orders, d.contacts, d.keys


async def test_t1_t2_a_salla_order_is_sealed_under_the_customers_key_and_the_body_shredded() -> (
    None
):
    d = deps(salla_checkout_attests_legal_age=True)
    orders, _, keys = parts(d)
    event = await delivery(keys, order_event("order.status.updated", "completed"))

    await handle_webhook(event, intake(), d)

    assert orders.types(ORDER) == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]
    placed = orders.events(ORDER)[0]
    assert isinstance(placed, OrderPlaced)
    assert placed.contact.name.kid == CUSTOMER
    opened = await keys.open(placed.contact.phone, field="phone", purpose=Purpose.SUPPORT)
    assert opened == "+966501806978"
    assert await keys.open(event.body, field="body", purpose=Purpose.ORDER_PROCESSING) == ERASED
    await handle_webhook(event, intake(), d)  # redelivered after shredding: nothing happens
    assert len(orders.types(ORDER)) == 3


async def test_a1_salla_orders_are_refused_unless_the_checkout_attests_legal_age() -> None:
    d = deps()
    orders, _, keys = parts(d)
    await handle_webhook(await delivery(keys, order_event("order.created")), intake(), d)
    [event] = orders.events(ORDER)
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.AGE_ATTESTATION_MISSING


async def test_t1_deliveries_out_of_order_still_end_in_one_paid_order() -> None:
    d = deps(salla_checkout_attests_legal_age=True)
    orders, _, keys = parts(d)
    for body in (
        order_event("order.payment.updated"),
        order_event("order.created"),
        order_event("order.status.updated", "completed"),
    ):
        await handle_webhook(await delivery(keys, body), intake(), d)
    assert orders.types(ORDER) == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]


async def test_t1_a_customer_update_records_the_sealed_contact() -> None:
    d = deps()
    _, contacts, keys = parts(d)
    await handle_webhook(await delivery(keys, customer_event()), intake(), d)
    [event] = contacts.events(CUSTOMER)
    assert isinstance(event, CustomerContactChanged)
    email = await keys.open(event.contact.email, field="email", purpose=Purpose.SUPPORT)
    assert email == "m.alali@example.com"


async def test_an_erased_salla_customer_gets_no_new_key_and_their_order_is_refused() -> None:
    d = deps(salla_checkout_attests_legal_age=True)
    orders, contacts, keys = parts(d)
    await keys.shred(CUSTOMER)
    await handle_webhook(await delivery(keys, order_event("order.created")), intake(), d)
    await handle_webhook(await delivery(keys, customer_event()), intake(), d)
    [event] = orders.events(ORDER)
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CUSTOMER_ERASED
    assert contacts.streams == {}
    assert await keys.is_erased(CUSTOMER)


async def test_an_unreadable_delivery_keeps_its_key_for_a_replay_from_the_dead_letters() -> None:
    d = deps()
    _, _, keys = parts(d)
    event = await delivery(keys, "not json at all")
    with pytest.raises(SallaPayloadError):
        await handle_webhook(event, intake(), d)
    assert not await keys.is_erased(f"webhook:{event.delivery_id}")


async def test_whatsapp_deliveries_are_left_to_the_consent_service() -> None:
    d = deps()
    orders, _, keys = parts(d)
    event = (await delivery(keys, customer_event())).model_copy(
        update={"source": WebhookSource.WHATSAPP}
    )
    await handle_webhook(event, intake(), d)
    assert not await keys.is_erased(f"webhook:{event.delivery_id}")
    assert orders.streams == {}
