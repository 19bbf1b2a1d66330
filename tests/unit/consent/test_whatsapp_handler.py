"""K3 by WhatsApp: an opt-out from a known phone withdraws marketing, in memory."""

from __future__ import annotations

from typing import Any

from allwan_consent.handlers.whatsapp import handle_whatsapp_delivery
from allwan_contracts import Channel, ConsentPurpose, ConsentWithdrawn
from allwan_contracts.intake import WebhookReceived, WebhookSource
from structlog.testing import capture_logs

from tests.unit.consent.conftest import World
from tests.unit.consent.fakes import envelope, order_placed, text_message, webhook, whatsapp_body
from tests.unit.consent.test_consent_handlers import purchase

PHONE = "966563120415"
MARKETING = ConsentPurpose.MARKETING


async def deliver(world: World, received: WebhookReceived) -> None:
    await handle_whatsapp_delivery(received, envelope(received), world.deps)


async def known_customer(
    world: World, customer_id: str = "cust-1", phone: str = "0563120415"
) -> None:
    await world.publish_v1()
    await purchase(
        world, order_placed(world.secrets, customer_id, phone=phone, marketing_opt_in=True)
    )


async def test_k3_stop_in_arabic_from_a_known_phone_withdraws_marketing(world: World) -> None:
    await known_customer(world)
    received = webhook(world.secrets, whatsapp_body(text_message(PHONE, "إيقاف", "wamid.77")))

    await deliver(world, received)

    withdrawn = world.events("cust-1")[-1]
    assert isinstance(withdrawn, ConsentWithdrawn)
    assert (withdrawn.purpose, withdrawn.channel) == (MARKETING, Channel.WHATSAPP)
    assert withdrawn.evidence.message_reference == "wamid.77"
    assert withdrawn.policy_version == 1
    assert not (await world.ledger("cust-1")).granted(MARKETING)
    assert f"webhook:{received.delivery_id}" in world.secrets.shredded


async def test_k3_every_customer_sharing_the_phone_is_withdrawn(world: World) -> None:
    await known_customer(world, "cust-1")
    await known_customer(world, "cust-2", phone="+966 56 312 0415")

    await deliver(world, webhook(world.secrets, whatsapp_body(text_message(PHONE, "STOP"))))

    for customer in ("cust-1", "cust-2"):
        assert not (await world.ledger(customer)).granted(MARKETING)


async def test_an_unknown_sender_changes_nothing_and_the_delivery_is_shredded(
    world: World,
) -> None:
    await known_customer(world)
    before = world.ledger_events()
    received = webhook(world.secrets, whatsapp_body(text_message("966500000000", "STOP")))

    with capture_logs() as logs:
        await deliver(world, received)

    assert world.ledger_events() == before
    assert f"webhook:{received.delivery_id}" in world.secrets.shredded
    (summary,) = [log for log in logs if log["event"] == "whatsapp.delivery_handled"]
    assert summary["unknown_sender"] == 1


async def test_a_text_that_is_not_an_opt_out_changes_nothing(world: World) -> None:
    await known_customer(world)
    before = world.ledger_events()

    await deliver(world, webhook(world.secrets, whatsapp_body(text_message(PHONE, "مرحبا"))))

    assert world.ledger_events() == before


async def test_logs_count_messages_but_never_carry_phone_or_text(world: World) -> None:
    await known_customer(world)
    body = whatsapp_body(
        text_message(PHONE, "STOP", "wamid.1"),
        text_message("966500000000", "secret words", "wamid.2"),
        statuses=2,
    )

    with capture_logs() as logs:
        await deliver(world, webhook(world.secrets, body))

    (summary,) = [log for log in logs if log["event"] == "whatsapp.delivery_handled"]
    assert {k: summary[k] for k in ("withdrawn", "not_opt_out", "statuses")} == {
        "withdrawn": 1,
        "not_opt_out": 1,
        "statuses": 2,
    }
    text = repr(logs)
    for secret in (PHONE, "563120415", "966500000000", "secret words", "STOP"):
        assert secret not in text


async def test_a_delivery_handled_before_is_skipped(world: World) -> None:
    await known_customer(world)
    received = webhook(world.secrets, whatsapp_body(text_message(PHONE, "stop")))
    await deliver(world, received)
    after_first = world.ledger_events()

    await deliver(world, received)  # redelivered: its key is gone

    assert world.ledger_events() == after_first


async def test_a_malformed_body_is_shredded_without_changes(world: World) -> None:
    await known_customer(world)
    before = world.ledger_events()
    received = webhook(world.secrets, "{not json")

    await deliver(world, received)

    assert world.ledger_events() == before
    assert f"webhook:{received.delivery_id}" in world.secrets.shredded


async def test_salla_webhooks_are_left_to_the_orders_service(world: World) -> None:
    await known_customer(world)
    body: dict[str, Any] = {"event": "order.created", "data": {"id": 1}}
    received = webhook(world.secrets, repr(body), source=WebhookSource.SALLA)

    await deliver(world, received)

    assert f"webhook:{received.delivery_id}" not in world.secrets.shredded
